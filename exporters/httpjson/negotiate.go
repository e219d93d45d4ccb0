package httpjson

import (
	"mime"
	"strconv"
	"strings"
)

// wantsHTML reports whether an Accept header asks for the page rather than
// the JSON: it must name text/html (or application/xhtml+xml) itself, with a
// preference above application/json's and no lower than any wildcard's.
// Wildcards alone (curl's */*, fetch's default) get JSON, as statvent's
// clients always did; so does a header that cannot be parsed.
func wantsHTML(accept string) bool {
	var html, json, wild float64
	for part := range strings.SplitSeq(accept, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue // one bad range does not spoil the others
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			q, err = strconv.ParseFloat(s, 64)
			if err != nil || q < 0 || q > 1 {
				continue
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			html = max(html, q)
		case "application/json":
			json = max(json, q)
		case "*/*", "text/*", "application/*":
			wild = max(wild, q)
		}
	}
	return html > 0 && html > json && html >= wild
}
