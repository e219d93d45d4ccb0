package reader

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/otelcounters/otelcounters/report"
)

// ErrDuplicateReporter is returned by [Reader.RegisterReporter] for a name
// already in use.
var ErrDuplicateReporter = errors.New("reporter already registered")

// RegisterReporter adds a reporter under a name, which identifies it in
// errors and in [Reader.UnregisterReporter].
func (r *Reader) RegisterReporter(name string, rep report.Reporter) error {
	if rep == nil {
		return fmt.Errorf("reporter %q is nil", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shut {
		return ErrShutdown
	}
	for _, nr := range r.reporters {
		if nr.name == name {
			return fmt.Errorf("reporter %q: %w", name, ErrDuplicateReporter)
		}
	}
	r.reporters = append(r.reporters, namedReporter{name, rep})
	return nil
}

// UnregisterReporter removes the reporter registered under name and reports
// whether there was one. A report it is writing runs to its end.
func (r *Reader) UnregisterReporter(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.reporters)
	r.reporters = slices.DeleteFunc(r.reporters, func(nr namedReporter) bool { return nr.name == name })
	return len(r.reporters) != n
}

// OutputReport makes a report now and sends it to every reporter, as
// PyCounters' output_report. Reporters run concurrently and independently:
// one that fails, panics or outlives the report timeout does not stop the
// others. A reporter still busy with an earlier report gets this one when
// it finishes, if that is within the report timeout (the periodic reports
// skip it instead: the next one comes anyway). The errors are returned
// joined, each naming its reporter.
func (r *Reader) OutputReport(ctx context.Context) error {
	rep, err := r.Report(ctx)
	if err != nil {
		return fmt.Errorf("otelcounters: report: %w", err)
	}
	return r.deliver(ctx, rep, explicitReport, nil)
}

// delivery is how a report goes to the reporters.
type delivery uint8

const (
	// periodicReport: a reporter busy with an earlier report is skipped;
	// each reporter has the report timeout.
	periodicReport delivery = iota
	// explicitReport (OutputReport, ForceFlush): a busy reporter is waited
	// for up to the report timeout, then has the report timeout.
	explicitReport
	// finalReport (Shutdown): as explicitReport, but a context with a
	// deadline replaces the report timeout: the final report must reach
	// every reporter, a slow one too, as long as Shutdown's caller allows.
	finalReport
)

// deliver sends rep to every reporter and returns when each has answered
// or its time is up. It returns early, leaving the reporters to finish on
// their own, when quit closes.
func (r *Reader) deliver(ctx context.Context, rep report.Report, how delivery, quit <-chan struct{}) error {
	r.mu.Lock()
	reps := slices.Clone(r.reporters)
	r.mu.Unlock()
	if len(reps) == 0 {
		return nil
	}
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(reps))
	for i, nr := range reps {
		go func() { results <- result{i, r.deliverOne(ctx, nr, rep, how, quit)} }()
	}
	errs := make([]error, len(reps))
	for range reps {
		res := <-results
		if res.err != nil {
			errs[res.i] = fmt.Errorf("otelcounters: reporter %q: %w", reps[res.i].name, res.err)
		}
	}
	return errors.Join(errs...)
}

// errQuit: the reader is shutting down and sends its final report instead.
var errQuit = errors.New("cut short by Shutdown, which sends the final report")

// deliverOne sends rep to one reporter, and returns its answer, or an error
// once its time is up (see delivery).
func (r *Reader) deliverOne(ctx context.Context, nr namedReporter, rep report.Report, how delivery, quit <-chan struct{}) error {
	_, deadline := ctx.Deadline()
	byCaller := how == finalReport && deadline
	bound := func() (context.Context, context.CancelFunc) {
		if byCaller {
			return context.WithCancel(ctx)
		}
		return context.WithTimeout(ctx, r.cfg.reportTimeout)
	}
	wctx, cancel := bound()
	defer cancel()
	if !r.claim(wctx, nr.name, how != periodicReport, quit) {
		switch {
		case how == periodicReport:
			return errors.New("skipped, still busy with an earlier report")
		case byCaller:
			return fmt.Errorf("skipped, still busy with an earlier report when Shutdown's context ended: %w", context.Cause(wctx))
		}
		return fmt.Errorf("skipped, still busy with an earlier report after waiting for it (report timeout %v): %w", r.cfg.reportTimeout, context.Cause(wctx))
	}
	cctx, cancel := bound()
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := callReporter(cctx, nr.rep, rep)
		r.release(nr.name)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-cctx.Done():
		if byCaller {
			return fmt.Errorf("no answer before Shutdown's context ended: %w", cctx.Err())
		}
		// The report timeout or the caller's context, whichever ends first.
		return fmt.Errorf("no answer within the report timeout (%v): %w", r.cfg.reportTimeout, cctx.Err())
	case <-quit:
		return errQuit
	}
}

// claim marks a reporter busy with a report, and reports whether it could:
// a reporter runs one report at a time. With wait, it waits for the
// report in progress to end, within ctx.
func (r *Reader) claim(ctx context.Context, name string, wait bool, quit <-chan struct{}) bool {
	for {
		r.mu.Lock()
		ch, busy := r.busy[name]
		if !busy {
			r.busy[name] = make(chan struct{})
			r.mu.Unlock()
			return true
		}
		r.mu.Unlock()
		if !wait {
			return false
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		case <-quit:
			return false
		}
	}
}

// release ends the report a reporter was busy with.
func (r *Reader) release(name string) {
	r.mu.Lock()
	if ch, ok := r.busy[name]; ok {
		close(ch)
		delete(r.busy, name)
	}
	r.mu.Unlock()
}

// callReporter turns a reporter's panic into an error: a broken reporter
// must not take the application down.
func callReporter(ctx context.Context, rep report.Reporter, r report.Report) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return rep.Report(ctx, r)
}
