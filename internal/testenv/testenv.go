package testenv

import (
	"os"
	"testing"
)

// EmulatorEnv is the environment variable that names the user-mode
// emulator the test binary runs under; it is empty or unset when the
// binary runs natively.
const EmulatorEnv = "OTELCOUNTERS_EMULATOR"

// NeedsProcesses skips t, with the reason, when the test binary runs under
// a user-mode emulator, where a Go program cannot start processes.
func NeedsProcesses(t testing.TB) {
	t.Helper()
	if e := os.Getenv(EmulatorEnv); e != "" {
		t.Skipf("starts processes, which a Go program cannot do under the emulator %s (%s is set); it runs natively on amd64, and on 386 where the kernel runs 386", e, EmulatorEnv)
	}
}
