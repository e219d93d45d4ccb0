package munin

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// maxFieldLen bounds field names: munin keeps one RRD file per field, named
// after the host, graph and field, and file names have a length limit.
const maxFieldLen = 64

// FieldName returns the munin field name of a report key, before any
// disambiguation within a graph (see the package doc).
func FieldName(key string) string {
	var b strings.Builder
	if name, pairs, ok := splitKey(key); ok {
		clean(&b, name)
		for _, p := range pairs {
			b.WriteByte('_')
			clean(&b, p[0])
			b.WriteByte('_')
			clean(&b, p[1])
		}
	} else {
		clean(&b, key)
	}
	s := b.String()
	switch {
	case s == "":
		s = "_"
	case s[0] >= '0' && s[0] <= '9':
		s = "_" + s
	case s == "root": // munin 2.0 refuses it
		s = "_root"
	}
	if len(s) > maxFieldLen {
		s = fmt.Sprintf("%s_%08x", s[:maxFieldLen-9], hash32(key))
	}
	return s
}

// graphID returns the munin-safe form of a graph id: FieldName's character
// rule, with no attribute parsing or length limit.
func graphID(id string) string {
	var b strings.Builder
	clean(&b, id)
	s := b.String()
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "_" + s
	}
	return s
}

// clean writes s with every character other than [A-Za-z0-9_] replaced by
// "_", one for one (PyCounters replaced spaces and dots so).
func clean(b *strings.Builder, s string) {
	for _, r := range s {
		if r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
}

// isName reports whether s is a valid munin field name.
func isName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')) {
			return false
		}
	}
	return true
}

// isAttrKey reports whether s can follow "graph_" or "<field>." in munin's
// protocol: letters, digits and underscores.
func isAttrKey(s string) bool {
	return s != "" && isName("_"+s)
}

func hash32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// suffix tells apart keys whose field names collide: six hex digits of a
// hash of the key.
func suffix(key string) string { return fmt.Sprintf("_%06x", hash32(key)&0xffffff) }

// splitKey splits a report key of the form name{k1="v1",k2="v2"} (values
// escaped as in the Prometheus text format) into its name and pairs; ok is
// false for any other key.
func splitKey(key string) (name string, pairs [][2]string, ok bool) {
	open := strings.IndexByte(key, '{')
	if open <= 0 || !strings.HasSuffix(key, "}") {
		return "", nil, false
	}
	name, rest := key[:open], key[open+1:len(key)-1]
	for rest != "" {
		eq := strings.Index(rest, `="`)
		if eq <= 0 {
			return "", nil, false
		}
		k := rest[:eq]
		rest = rest[eq+2:]
		var v strings.Builder
		closed := false
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if c == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(rest[i])
				}
				continue
			}
			if c == '"' {
				rest, closed = rest[i+1:], true
				break
			}
			v.WriteByte(c)
		}
		if !closed {
			return "", nil, false
		}
		pairs = append(pairs, [2]string{k, v.String()})
		if rest == "" {
			break
		}
		if rest[0] != ',' || len(rest) == 1 {
			return "", nil, false
		}
		rest = rest[1:]
	}
	return name, pairs, true
}
