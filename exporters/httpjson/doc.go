// Package httpjson serves the current report as JSON over HTTP:
// statvent's web service, as an [http.Handler] to mount on a server the
// application already runs (or on a loopback listener of its own).
//
//	mux.Handle("GET /debug/counters", httpjson.ForReader(r))
//
// # Format
//
// The body is the report as PyCounters' JSON file holds it (see package
// jsonfile): one flat object, every report key with its number or null,
// then __collection_time__, and a newline; Content-Type application/json,
// Cache-Control no-store. GET and HEAD are served; other methods get 405.
//
// # Source
//
// [New] serves whatever a function returns, called once per request with
// the request's context: a reader's report, the merge of a host's folder
// (command otelcounters serve), a test's fixed report. [ForReader] serves a
// reader's values as of its last tick ([reader.Reader.Snapshot]), which
// any number of requests may read without disturbing the windows. When the
// function fails the answer is 503 with a short text, and the error goes
// to the OpenTelemetry error handler rather than to the client, which may
// not be trusted with paths or addresses.
//
// # What it is not
//
// It starts no server and no goroutine, and authenticates nobody: mount it
// where only those who may see the counters can reach it (command
// otelcounters serve listens on loopback by default).
package httpjson
