package jsonfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/otelcounters/otelcounters/report"
)

// timeMember is how __collection_time__ starts in [report.Report.AppendJSON]'s
// output. It is the last member, and a report key holding the same text would
// have its quotes escaped, so its last occurrence is the real one.
var timeMember = []byte(`"` + report.CollectionTimeKey + `": `)

// addMetadata inserts the keys of rp.meta(r) into rp.buf, which holds r as
// AppendJSON wrote it, just before __collection_time__. The caller holds sem.
func (rp *Reporter) addMetadata(r report.Report) error {
	meta := rp.meta(r)
	if len(meta) == 0 {
		return nil
	}
	at := bytes.LastIndex(rp.buf, timeMember)
	if at < 0 {
		return fmt.Errorf("metadata: no %s in the encoded report", report.CollectionTimeKey)
	}
	var val bytes.Buffer
	enc := json.NewEncoder(&val)
	enc.SetEscapeHTML(false) // keys like name{k="<v>"} stay readable
	tail := rp.tail[:0]
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		v := meta[k]
		if v == nil {
			continue
		}
		if !report.IsMetadata(k) || k == report.CollectionTimeKey {
			return fmt.Errorf("metadata key %q: want a key that starts and ends with \"__\", other than %s", k, report.CollectionTimeKey)
		}
		val.Reset()
		if err := enc.Encode(k); err != nil {
			return fmt.Errorf("metadata key %q: %w", k, err)
		}
		tail = append(tail, bytes.TrimSuffix(val.Bytes(), []byte("\n"))...)
		tail = append(tail, ": "...)
		val.Reset()
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("metadata key %q: %w", k, err)
		}
		tail = append(tail, bytes.TrimSuffix(val.Bytes(), []byte("\n"))...)
		tail = append(tail, ", "...)
	}
	tail = append(tail, rp.buf[at:]...)
	rp.buf = append(rp.buf[:at], tail...)
	rp.tail = tail
	return nil
}
