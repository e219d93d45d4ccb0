// Package report defines what otelcounters reports: a [Report] of every
// counter's [Value] per series at one time, the [Reporter] interface that
// outputs it, the report keys and PyCounters' flat JSON encoding.
//
// # Keys
//
// A series without attributes is reported under its counter's name; a series
// with attributes as name{k1="v1",k2="v2"}: keys sorted, values quoted and
// escaped as in the Prometheus text format. Keys that start and end with
// "__" are metadata, such as __collection_time__.
//
// # JSON
//
// [Report.AppendJSON] writes the flat object PyCounters' JSONFileReporter
// wrote and its munin helper reads:
//
//	{"requests_time": 0.00039, "requests_frequency": 0.0142, "__collection_time__": 1307115164.88}
//
// Keys are sorted, empty counters are null, numbers are the shortest decimal
// that reads back to the same float64, and __collection_time__ comes last in
// fractional Unix seconds. This layout is version 1 of the format and stays
// stable: new information arrives only under new metadata keys.
package report
