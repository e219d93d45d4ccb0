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
// others. The errors are returned joined, each naming its reporter.
func (r *Reader) OutputReport(ctx context.Context) error {
	rep, err := r.Report(ctx)
	if err != nil {
		return fmt.Errorf("otelcounters: report: %w", err)
	}
	return r.deliver(ctx, rep)
}

func (r *Reader) deliver(ctx context.Context, rep report.Report) error {
	r.mu.Lock()
	reps := slices.Clone(r.reporters)
	r.mu.Unlock()
	if len(reps) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.reportTimeout)
	defer cancel()
	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(reps))
	errs := make([]error, len(reps))
	waiting := 0
	for i, nr := range reps {
		r.mu.Lock()
		busy := r.busy[nr.name]
		if !busy {
			r.busy[nr.name] = true
		}
		r.mu.Unlock()
		if busy {
			errs[i] = fmt.Errorf("otelcounters: reporter %q: skipped, still busy with an earlier report", nr.name)
			continue
		}
		waiting++
		go func() {
			err := callReporter(ctx, nr.rep, rep)
			r.mu.Lock()
			delete(r.busy, nr.name)
			r.mu.Unlock()
			results <- result{i, err}
		}()
	}
	answered := make([]bool, len(reps))
	for waiting > 0 {
		select {
		case res := <-results:
			waiting--
			answered[res.i] = true
			if res.err != nil {
				errs[res.i] = fmt.Errorf("otelcounters: reporter %q: %w", reps[res.i].name, res.err)
			}
		case <-ctx.Done():
			// The report timeout or the caller's context, whichever ends first.
			for i, nr := range reps {
				if errs[i] == nil && !answered[i] {
					errs[i] = fmt.Errorf("otelcounters: reporter %q: no answer within the report timeout (%v): %w", nr.name, r.cfg.reportTimeout, ctx.Err())
				}
			}
			return errors.Join(errs...)
		}
	}
	return errors.Join(errs...)
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
