package httpjson

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/otelcounters/otelcounters/counters"
	"github.com/otelcounters/otelcounters/report"
)

// FuzzDescribe reads report keys as the page does: a merged report's keys
// come from files anyone may have written. Whatever the key, describe must
// not panic, must give valid UTF-8 attributes, and must read back the
// attributes of any key report.Key writes.
func FuzzDescribe(f *testing.F) {
	for _, s := range []string{`a`, `a{k="v"}`, `lat.p99{k="<script>",m="\x41\"\\\n"}`, `a{k="\xff"}`, `{`, `a{k="v",}`, `a{="v"}`} {
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, kind := range []counters.Kind{0, counters.Max, counters.Percentiles} {
			d := describe(report.Value{Key: key, Kind: kind, Quantile: 0.99})
			for _, a := range d.attrs {
				if !utf8.ValidString(a[0]) || !utf8.ValidString(a[1]) {
					t.Fatalf("%q: attribute %q is not valid UTF-8", key, a)
				}
			}
			if d.counter == "" && key != "" {
				t.Fatalf("%q: no counter name", key)
			}
		}
		if strings.ContainsAny(key, "{}") || key == "" {
			return
		}
		set := attribute.NewSet(attribute.String("k", value), attribute.String("z", key))
		d := describe(report.Value{Key: report.Key(key, set)})
		want := [][2]string{{"k", strings.ToValidUTF8(value, "\uFFFD")}, {"z", strings.ToValidUTF8(key, "\uFFFD")}}
		if d.counter != key || len(d.attrs) != 2 || d.attrs[0] != want[0] || d.attrs[1] != want[1] {
			t.Fatalf("report.Key(%q, k=%q, z=%q) read back as %q %q", key, value, key, d.counter, d.attrs)
		}
	})
}

// FuzzWantsHTML checks that no Accept header makes the negotiation panic,
// and that a header naming no HTML type never gets the page.
func FuzzWantsHTML(f *testing.F) {
	for _, s := range []string{"", "*/*", "text/html", "text/html;q=0.5, */*", "text/html;q=x", ";;,", "application/json, text/html"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		html := wantsHTML(accept)
		lower := strings.ToLower(accept)
		if html && !strings.Contains(lower, "text/html") && !strings.Contains(lower, "application/xhtml+xml") {
			t.Fatalf("%q gets the page, but names no HTML type", accept)
		}
	})
}
