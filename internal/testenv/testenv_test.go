package testenv_test

import (
	"os/exec"
	"testing"

	"github.com/otelcounters/otelcounters/internal/testenv"
)

func TestNeedsProcesses(t *testing.T) {
	for _, tc := range []struct {
		emulator string
		skipped  bool
	}{
		{"", false},
		{"qemu-i386", true},
	} {
		var sub *testing.T
		t.Run("emulator="+tc.emulator, func(t *testing.T) {
			sub = t
			t.Setenv(testenv.EmulatorEnv, tc.emulator)
			testenv.NeedsProcesses(t)
		})
		if sub.Skipped() != tc.skipped {
			t.Errorf("%s=%q: skipped %v, want %v", testenv.EmulatorEnv, tc.emulator, sub.Skipped(), tc.skipped)
		}
	}
}

// TestStartProcess starts a process wherever NeedsProcesses lets it: the
// run that would crash under the emulator is the one that is skipped.
func TestStartProcess(t *testing.T) {
	testenv.NeedsProcesses(t)
	if err := exec.Command("/bin/sh", "-c", "exit 0").Run(); err != nil {
		t.Fatal(err)
	}
}
