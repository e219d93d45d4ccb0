// Package httpjson serves the current report as JSON over HTTP:
// statvent's web service, as an [http.Handler] to mount on a server the
// application already runs (or on a loopback listener of its own), and a
// live page that plots every counter for a person with a browser.
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
// # The page
//
// A request whose Accept header names text/html (or application/xhtml+xml)
// ahead of application/json and of any wildcard, as browsers send it, gets
// the page instead; everyone else (curl's */*, scripts, statvent's clients)
// gets the JSON, as before. The query chooses whatever Accept says:
// ?format=json, ?format=html. The page shows one small plot per counter
// series: the recent values over time, the current one large, the unit,
// kind and window; grouped by counter, a percentiles counter's quantiles as
// bands, an empty window as a gap. It asks for new values every report
// interval ([WithRefresh]) and keeps them.
//
// Everything the page needs is on the handler's own path, so that it works
// wherever the handler is mounted: its script, style sheet and icon
// (?asset=page.js, ?asset=page.css, ?asset=icon.svg), built into the
// program, and its data (?format=history&since=T: the reports kept, newer
// than T in Unix seconds, grouped by counter and series; version 1, for the
// page alone).
//
// The handler keeps the recent reports ([WithHistory]) so that a page that
// opens starts with them. It is a [report.Reporter]: registered with the
// reader, it keeps every report whether or not a page is open; otherwise it
// keeps what pages were answered with.
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
// # Safety
//
// Counter names and attribute values are untrusted text: the page writes
// them as text, never as markup, and its JSON escapes <, > and &. The page
// and its parts are served with a Content-Security-Policy that allows only
// the page's own script, style and icon and requests to its own origin (no
// inline script or style, no other origin, no framing), and with
// X-Content-Type-Options nosniff. Nothing is loaded from the network.
//
// # What it is not
//
// It starts no server and no goroutine, and authenticates nobody: mount it
// where only those who may see the counters can reach it (command
// otelcounters serve listens on loopback by default).
package httpjson
