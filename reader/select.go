package reader

import (
	"slices"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/otelcounters/otelcounters/counters"
)

// selectMode is how a counter chooses the attributes of its series.
type selectMode uint8

const (
	selectNone    selectMode = iota // one series, the counter's plain name
	selectAll                       // a series per attribute set
	selectBy                        // the attributes named in By
	selectWithout                   // all but those named in Without
)

// selection is a counter's attribute selection, applied at tick time to
// each data point's attributes: measurements pay nothing for it.
type selection struct {
	mode selectMode
	keys []attribute.Key // sorted: By or Without
}

func newSelection(def counters.Definition) selection {
	switch {
	case def.KeepsAllAttributes():
		return selection{mode: selectAll}
	case len(def.By) > 0:
		return selection{mode: selectBy, keys: toKeys(def.By)}
	case len(def.Without) > 0:
		return selection{mode: selectWithout, keys: toKeys(def.Without)}
	}
	return selection{mode: selectNone}
}

func toKeys(names []string) []attribute.Key {
	ks := make([]attribute.Key, len(names))
	for i, n := range names {
		ks[i] = attribute.Key(n)
	}
	return ks
}

// overflowSet is the attribute set of the series past a series limit, the
// reader's as the SDK's.
var overflowKV = attribute.Bool(OverflowKey, true)

// apply returns the attributes of the series that a data point with attrs
// belongs to. The SDK's own overflow point (attribute sets past its
// cardinality limit) cannot be told apart by any attribute, so it goes to
// the overflow series under By, as it does with every attribute kept.
// Resource attributes fill in names of By that the point lacks.
func (sel selection) apply(attrs attribute.Set, res *resource.Resource) attribute.Set {
	switch sel.mode {
	case selectAll:
		return attrs
	case selectNone:
		return attribute.Set{}
	case selectWithout:
		s, _ := attrs.Filter(func(kv attribute.KeyValue) bool {
			_, found := slices.BinarySearch(sel.keys, kv.Key)
			return !found
		})
		return s
	}
	if v, ok := attrs.Value(OverflowKey); ok && v.Type() == attribute.BOOL && v.AsBool() {
		return attribute.NewSet(overflowKV)
	}
	kvs := make([]attribute.KeyValue, 0, len(sel.keys))
	for _, k := range sel.keys {
		if v, ok := attrs.Value(k); ok {
			kvs = append(kvs, attribute.KeyValue{Key: k, Value: v})
		} else if res != nil {
			if v, ok := res.Set().Value(k); ok {
				kvs = append(kvs, attribute.KeyValue{Key: k, Value: v})
			}
		}
	}
	return attribute.NewSet(kvs...)
}
