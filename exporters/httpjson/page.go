package httpjson

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"time"
)

// assets are the page's files, built into the binary: the page needs no
// network but the handler's own address. A package-level variable because
// go:embed needs one; it is read-only.
//
//go:embed page
var assets embed.FS

// contentSecurityPolicy lets the page load its own script, style and icon
// and fetch from its own origin, and nothing else: no inline script or
// style, no other origin, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// assetType returns the Content-Type of a page's part served with
// ?asset=NAME, and whether there is one of that name.
func assetType(name string) (string, bool) {
	switch name {
	case "page.js":
		return "text/javascript; charset=utf-8", true
	case "page.css":
		return "text/css; charset=utf-8", true
	case "icon.svg":
		return "image/svg+xml", true
	}
	return "", false
}

// page holds the page's files with their ETags.
type page struct {
	files map[string]file // by name; index.html is the page
}

type file struct {
	body  []byte
	ctype string
	etag  string
}

func newPage() *page {
	p := &page{files: map[string]file{}}
	for _, name := range []string{"index.html", "page.js", "page.css", "icon.svg"} {
		ctype, ok := assetType(name)
		if !ok {
			ctype = "text/html; charset=utf-8"
		}
		body, err := assets.ReadFile(path.Join("page", name))
		if err != nil {
			panic("httpjson: page file missing from the build: " + name) // cannot happen: embedded
		}
		sum := sha256.Sum256(body)
		p.files[name] = file{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	}
	return p
}

func (p *page) serveIndex(w http.ResponseWriter, req *http.Request) {
	p.serve(w, req, p.files["index.html"])
}

func (p *page) serveAsset(w http.ResponseWriter, req *http.Request, name string) {
	if _, ok := assetType(name); !ok {
		http.Error(w, "unknown asset", http.StatusNotFound)
		return
	}
	p.serve(w, req, p.files[name])
}

// serve answers with f, or 304 when the client has it: the files change
// only with the program.
func (p *page) serve(w http.ResponseWriter, req *http.Request, f file) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.ctype)
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", f.etag)
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(f.body))
}
