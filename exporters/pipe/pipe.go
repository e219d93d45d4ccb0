package pipe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"

	"github.com/otelcounters/otelcounters/exporters/slogreport"
	"github.com/otelcounters/otelcounters/report"
)

// ErrShutdown is returned by [Reporter.Report] after [Reporter.Shutdown].
var ErrShutdown = errors.New("pipe: reporter is shut down")

// errNoReader: nobody has the FIFO open for reading.
var errNoReader = errors.New("no reader")

// errImpostor: something other than our FIFO is in its place.
var errImpostor = errors.New("not this process's named pipe")

// Mode is the permission of the FIFO: readable by everyone on the host.
const Mode os.FileMode = 0o644

// FolderMode is the permission of a folder [New] creates: everyone may list
// and read it, only its owner may write to it.
const FolderMode os.FileMode = 0o755

// Reporter keeps the latest report and writes it to its FIFO whenever a
// reader opens it. Make one with [New]; it is safe for concurrent use and
// owns one goroutine until [Reporter.Shutdown].
type Reporter struct {
	path string
	cfg  config

	mu     sync.Mutex // guards the fields below
	latest report.Report
	have   bool
	shut   bool
	cur    *os.File // the write end being written; Shutdown closes it

	stop     chan struct{}
	done     chan struct{}
	shutOnce sync.Once
	shutErr  error
}

var _ report.Reporter = (*Reporter)(nil)

// New creates dir (if needed, with [FolderMode]) and the FIFO
// dir/<pid>.stats, and starts the goroutine that writes to it. An existing
// dir must belong to this process's user (or root) and must not be
// writable by other users unless it is sticky and ours: whoever can write
// to it could put a link in place of the FIFO and have the report written
// over a file of their choosing. The error names the folder and what is
// wrong with it.
func New(dir string, opts ...Option) (*Reporter, error) {
	cfg := config{poll: DefaultPollInterval, writeTimeout: DefaultWriteTimeout}
	for _, o := range opts {
		cfg = o.apply(cfg)
	}
	if dir == "" {
		return nil, errors.New("pipe: empty folder name")
	}
	if err := makeFolder(dir); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%d.stats", os.Getpid()))
	if st, err := os.Lstat(path); err == nil {
		if st.Mode().Type() != fs.ModeNamedPipe {
			return nil, fmt.Errorf("pipe: %s exists and is not a named pipe", path)
		}
		// Left by an earlier process that had this pid.
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("pipe: remove stale %w", err)
		}
	}
	if err := makeFIFO(path); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("pipe: create %s: %w", path, err)
	}
	p := &Reporter{path: path, cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p, nil
}

// Path returns the FIFO's path.
func (p *Reporter) Path() string { return p.path }

// Report makes r the report the next reader gets. It keeps r (reports are
// immutable) and returns at once; it returns [ErrShutdown] after Shutdown.
func (p *Reporter) Report(_ context.Context, r report.Report) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shut {
		return ErrShutdown
	}
	p.latest, p.have = r, true
	return nil
}

// Shutdown stops the writing goroutine, cutting short a write in progress,
// and removes the FIFO. Only the first call does anything; later calls
// return its result. If ctx ends first, Shutdown returns its error and the
// goroutine ends on its own shortly after.
func (p *Reporter) Shutdown(ctx context.Context) error {
	p.shutOnce.Do(func() {
		p.mu.Lock()
		p.shut = true
		cur := p.cur
		p.mu.Unlock()
		close(p.stop)
		if cur != nil {
			_ = cur.Close() // a reader that does not read must not hold us
		}
		var errs []error
		select {
		case <-p.done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("pipe: shutdown: %w", ctx.Err()))
		}
		if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("pipe: %w", err))
		}
		p.shutErr = errors.Join(errs...)
	})
	return p.shutErr
}

// readerGap is the least time between serving one reader and looking for
// the next.
const readerGap = 50 * time.Millisecond

func (p *Reporter) run() {
	defer close(p.done)
	var buf []byte
	for {
		f, err := openWriteNow(p.path)
		if err != nil {
			switch {
			case errors.Is(err, fs.ErrNotExist):
				// Removed behind our back (a cleaner of /tmp): make it again.
				err = makeFIFO(p.path)
			case errors.Is(err, errImpostor):
				// Swapped behind our back: never write to it; take it
				// away (it is at our name, in a folder we checked) so that
				// the FIFO is made again.
				err = errors.Join(err, removeImpostor(p.path))
			}
			wait := p.cfg.poll
			if err != nil && !errors.Is(err, errNoReader) {
				otel.Handle(fmt.Errorf("pipe: open %w", err))
				wait = time.Second // do not spin on a lasting error
			}
			if !p.pause(wait) {
				return
			}
			continue
		}
		p.mu.Lock()
		if p.shut {
			p.mu.Unlock()
			_ = f.Close()
			return
		}
		r, have := p.latest, p.have
		p.cur = f
		p.mu.Unlock()
		if have {
			buf = appendLines(buf[:0], r)
			_ = f.SetWriteDeadline(time.Now().Add(p.cfg.writeTimeout))
			// A reader that leaves early or never reads is its own
			// business, not an error of the application's.
			_, _ = f.Write(buf)
		}
		p.mu.Lock()
		p.cur = nil
		p.mu.Unlock()
		_ = f.Close()
		// Give the reader time to see the end before looking for the next:
		// a reader still draining when the FIFO is opened again would read
		// the report twice. At least readerGap, however short the poll.
		if !p.pause(max(p.cfg.poll, readerGap)) {
			return
		}
	}
}

// makeFolder creates dir with FolderMode, whatever the umask, or checks the
// folder that is there.
func makeFolder(dir string) error {
	err := os.Mkdir(dir, FolderMode)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dir), FolderMode); err == nil {
			err = os.Mkdir(dir, FolderMode)
		}
	}
	switch {
	case err == nil:
		if err := os.Chmod(dir, FolderMode); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	return checkFolder(dir)
}

// removeImpostor removes what was found in place of the FIFO.
func removeImpostor(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove it: %w", err)
	}
	return nil
}

// pause waits d, or until Shutdown; it reports whether to go on.
func (p *Reporter) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.stop:
		return false
	case <-t.C:
		return true
	}
}

// appendLines appends r's "key: value" lines.
func appendLines(b []byte, r report.Report) []byte {
	for _, v := range r.Values {
		if report.IsMetadata(v.Key) {
			continue
		}
		if strings.ContainsAny(v.Key, "\n\r") {
			b = append(b, strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(v.Key)...)
		} else {
			b = append(b, v.Key...)
		}
		b = append(b, ": "...)
		b = slogreport.AppendValue(b, v.Value)
		b = append(b, '\n')
	}
	return b
}
