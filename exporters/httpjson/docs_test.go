package httpjson_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocsAcceptTable checks the table of Accept headers in
// docs/http-and-pipe.md against the handler.
func TestDocsAcceptTable(t *testing.T) {
	data, err := os.ReadFile("../../docs/http-and-pipe.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (none|`([^`]*)`)[^|]*\\| (JSON|page) \\|$")
	rows := row.FindAllStringSubmatch(string(data), -1)
	if len(rows) < 6 {
		t.Fatalf("found %d rows of the Accept table", len(rows))
	}
	h := fixed(hard())
	for _, r := range rows {
		accept, want := r[2], r[3]
		rec := serve(h, http.MethodGet, "/", "Accept", accept)
		got := "JSON"
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			got = "page"
		}
		if got != want {
			t.Errorf("docs: Accept %q gets the %s; the handler answers with the %s", accept, want, got)
		}
	}
}
