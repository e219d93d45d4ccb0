package jsonfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/otelcounters/otelcounters/report"
)

// Snapshot is one report as read back from a JSON file.
type Snapshot struct {
	// Time is __collection_time__, to the microsecond (the file holds
	// fractional seconds as a float64, which keeps no more).
	Time time.Time
	// Values holds every non-metadata key: a number, or nil for null.
	Values map[string]*float64
	// Meta holds the metadata keys other than __collection_time__, as
	// written.
	Meta map[string]json.RawMessage
}

// ReadFile reads and parses the file at path.
func ReadFile(path string) (Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Snapshot{}, fmt.Errorf("jsonfile: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return Snapshot{}, fmt.Errorf("jsonfile: %s: %w", path, err)
	}
	return s, nil
}

// Parse parses the content of a report file: one flat JSON object whose
// values are numbers or null, except for metadata keys, which may hold any
// JSON, and __collection_time__, which must be a number of Unix seconds.
// Values and Meta are never nil.
func Parse(data []byte) (Snapshot, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return Snapshot{}, errors.New("empty report file")
	}
	if trimmed[0] != '{' {
		return Snapshot{}, errors.New("report file is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return Snapshot{}, fmt.Errorf("report file: %w", err)
	}
	s := Snapshot{Values: make(map[string]*float64, len(raw)), Meta: map[string]json.RawMessage{}}
	haveTime := false
	for k, v := range raw {
		switch {
		case k == report.CollectionTimeKey:
			t, err := parseTime(v)
			if err != nil {
				return Snapshot{}, fmt.Errorf("key %q: %w", k, err)
			}
			s.Time, haveTime = t, true
		case report.IsMetadata(k):
			s.Meta[k] = v
		default:
			f, err := parseNumber(v)
			if err != nil {
				return Snapshot{}, fmt.Errorf("key %q: %w", k, err)
			}
			s.Values[k] = f
		}
	}
	if !haveTime {
		return Snapshot{}, fmt.Errorf("key %q missing", report.CollectionTimeKey)
	}
	return s, nil
}

// parseNumber reads a JSON number, or null as nil.
func parseNumber(v json.RawMessage) (*float64, error) {
	switch {
	case len(v) == 0:
		return nil, errors.New("no value")
	case v[0] == 'n':
		return nil, nil
	case v[0] == '-' || ('0' <= v[0] && v[0] <= '9'):
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s out of range", v)
		}
		return &f, nil
	}
	return nil, fmt.Errorf("%s is a %s, want a number or null", abbrev(v), jsonKind(v[0]))
}

// maxSeconds keeps times where float64 seconds still convert to an int64
// exactly.
const maxSeconds = 1 << 53

func parseTime(v json.RawMessage) (time.Time, error) {
	f, err := parseNumber(v)
	if err != nil {
		return time.Time{}, err
	}
	if f == nil {
		return time.Time{}, errors.New("null, want Unix seconds")
	}
	if math.Abs(*f) >= maxSeconds {
		return time.Time{}, fmt.Errorf("%v seconds out of range", *f)
	}
	sec := math.Floor(*f)
	us := math.Round((*f - sec) * 1e6)
	return time.Unix(int64(sec), int64(us)*1e3), nil
}

func jsonKind(c byte) string {
	switch c {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

// abbrev shortens a value for an error message.
func abbrev(v []byte) string {
	if len(v) > 40 {
		return string(v[:37]) + "..."
	}
	return string(v)
}
