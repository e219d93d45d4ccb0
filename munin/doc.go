// Package munin turns otelcounters reports into munin plugin output, in
// the way PyCounters' munin helper did: a graph configuration in
// PyCounters' format names, per graph, the report keys to plot, and a
// [Plugin] prints munin's multigraph configuration (the config command) and
// values (fetch). Command otelcounters munin is the plugin itself; see
// docs/munin.md.
//
// # Graph configuration
//
// A list of graphs, in JSON or YAML (JSON with comments and trailing
// commas, as PyCounters' Python examples were written, reads as YAML):
//
//	[{"id": "requests_per_sec",
//	  "global": {"title": "Request Frequency", "category": "PyCounters example"},
//	  "data": [{"counter": "requests_frequency", "label": "requests per second", "draw": "LINE2"}]}]
//
// "global" holds the graph's attributes (graph_title, ...; the graph_
// prefix may be left out), "data" one entry per field: "counter" is the
// report key to plot, every other key a field attribute (label, draw, type,
// min, warning, ...). Values are text or numbers; booleans print as yes and
// no. [ParseConfig] rejects what munin would misread: other keys, names
// that are not munin identifiers, values spanning lines, a "value"
// attribute (the value comes from the report).
//
// # Output
//
// config prints, per graph, "multigraph <id>", "graph_<key> <value>" per
// global entry, "<field>.<key> <value>" per data attribute (with
// "<field>.label <counter>" first when the entry has no label), then an
// empty line. fetch prints "multigraph <id>" and "<field>.value <value>"
// per field, the value with PyCounters' 12 significant digits, or U
// (munin's unknown) for a counter that is empty, missing or not finite.
//
// # Field names
//
// munin field names match [A-Za-z_][A-Za-z0-9_]*. [FieldName] derives one
// from a report key: a key PyCounters could name (requests_time) keeps its
// name, other characters become "_" one for one as PyCounters did for
// spaces and dots, a key with attributes becomes the name and its pairs
// (requests_time{method="GET"} gives requests_time_method_GET), a leading
// digit gets a "_" in front, "root" (which munin 2.0 refuses) becomes
// _root, and a name over 64 characters is cut and ends with a hash of the
// key. Keys that would share a name within a graph are told apart by a
// suffix of six hex digits of a hash of the key, always the same for the
// same key; a key that is already a valid name keeps it. Graph ids get
// the same character rule, and two graphs with one id are an error.
//
// # What it is not
//
// It does not read report files (package host does) nor talk to
// munin-node: munin runs the plugin.
package munin
