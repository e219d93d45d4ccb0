package jsonfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/otelcounters/otelcounters/report"
)

// Mode is the permission of the files a Reporter writes: readable by
// everyone (munin runs its plugins as another user), writable by the owner.
const Mode os.FileMode = 0o644

// Reporter writes each report to one JSON file, replacing the previous one
// atomically. Its zero value is not usable: make one with [New]. It is safe
// for concurrent use; reports are written one at a time.
type Reporter struct {
	path string
	dir  string
	base string
	fs   FS
	// sem holds the right to write and, with it, buf; a channel rather
	// than a mutex so that a caller waiting for its turn honours ctx.
	sem  chan struct{}
	buf  []byte
	meta func(report.Report) map[string]any
	tail []byte // scratch space of addMetadata; guarded by sem
}

var _ report.Reporter = (*Reporter)(nil)

// New returns a Reporter writing to path, which is made absolute. The
// folder must exist and path must not be a folder; the file itself need not
// exist yet. New removes the temporary files of path that writers killed
// mid-write left behind (see the package doc); never anyone else's.
func New(path string, opts ...Option) (*Reporter, error) {
	cfg := config{}
	for _, o := range opts {
		cfg = o.apply(cfg)
	}
	if cfg.fs == nil {
		cfg.fs = osFS{}
	}
	if path == "" {
		return nil, errors.New("jsonfile: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("jsonfile: path %q: %w", path, err)
	}
	dir, base := filepath.Split(abs)
	dir = filepath.Clean(dir)
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("jsonfile: folder of %s: %w", abs, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("jsonfile: folder of %s: %s is not a folder", abs, dir)
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return nil, fmt.Errorf("jsonfile: %s is a folder, want a file path", abs)
	}
	rp := &Reporter{path: abs, dir: dir, base: base, fs: cfg.fs, sem: make(chan struct{}, 1), meta: cfg.meta}
	rp.removeStaleTemps(time.Now(), cfg.tempsOf)
	return rp, nil
}

// Path returns the absolute path of the file.
func (rp *Reporter) Path() string { return rp.path }

// Report writes r as one line of JSON ([report.Report.AppendJSON] and a
// newline) to a temporary file in the same folder, syncs it, gives it mode
// [Mode] and renames it over the file, so that readers see the previous
// report or this one, whole. On failure the temporary file is removed, the
// previous file stays as it was, and the error names the path and the step
// that failed. A ctx done before the rename stops the write.
func (rp *Reporter) Report(ctx context.Context, r report.Report) error {
	select {
	case rp.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("jsonfile: write %s: %w", rp.path, ctx.Err())
	}
	defer func() { <-rp.sem }()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("jsonfile: write %s: %w", rp.path, err)
	}
	rp.buf = append(r.AppendJSON(rp.buf[:0]), '\n')
	if rp.meta != nil {
		if err := rp.addMetadata(r); err != nil {
			return fmt.Errorf("jsonfile: write %s: %w", rp.path, err)
		}
	}
	if err := rp.write(ctx, rp.buf); err != nil {
		return fmt.Errorf("jsonfile: write %s: %w", rp.path, err)
	}
	return nil
}

func (rp *Reporter) write(ctx context.Context, data []byte) (err error) {
	f, err := rp.fs.CreateTemp(rp.dir, tempPattern(rp.base, os.Getpid()))
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	lockTemp(f) // until Close: see removeStaleTemps
	name := f.Name()
	closed, renamed := false, false
	defer func() {
		if err == nil || renamed {
			return
		}
		if !closed {
			_ = f.Close() // the step's error says what went wrong
		}
		if rerr := rp.fs.Remove(name); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove temporary file %s: %w", name, rerr))
		}
	}()
	n, err := f.Write(data)
	if err == nil && n < len(data) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("write temporary file %s: %w", name, err)
	}
	// Mode before sync, so that the sync makes the mode durable too.
	if err := f.Chmod(Mode); err != nil {
		return fmt.Errorf("set mode of temporary file %s: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync temporary file %s: %w", name, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("close temporary file %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := rp.fs.Rename(name, rp.path); err != nil {
		return fmt.Errorf("rename temporary file %s: %w", name, err)
	}
	renamed = true
	if ds, ok := rp.fs.(dirSyncer); ok {
		// The new file is in place; only its durability across a crash
		// is in question. Some file systems cannot sync folders.
		if err := ds.SyncDir(rp.dir); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("report written, but sync folder %s: %w", rp.dir, err)
		}
	}
	return nil
}
