package testenv_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocsTesting checks docs/testing.md against the scripts and tests it
// describes: every Debian package that scripts install is in its table, the
// lines check-386.sh prints are quoted as printed, and the number of tests
// that skip under the emulator is the number that call NeedsProcesses.
func TestDocsTesting(t *testing.T) {
	doc := strings.Join(strings.Fields(read(t, "../../docs/testing.md")), " ") // one line: sentences wrap
	scripts := read(t, "../../scripts/install-deps.sh") + read(t, "../../scripts/check-386.sh") + read(t, "../../scripts/lib.sh")

	var pkgs []string
	for _, m := range regexp.MustCompile(`(?m)^\s*apt_install ([a-z0-9 .+-]+)$`).FindAllStringSubmatch(scripts, -1) {
		pkgs = append(pkgs, strings.Fields(m[1])...)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s*need_commands ([a-z0-9.+-]+)`).FindAllStringSubmatch(scripts, -1) {
		pkgs = append(pkgs, m[1])
	}
	if len(pkgs) < 5 {
		t.Fatalf("found only %q installed by the scripts", pkgs)
	}
	for _, p := range pkgs {
		if !strings.Contains(doc, "`"+p+"`") {
			t.Errorf("scripts install %s, which docs/testing.md does not list", p)
		}
	}

	check386 := read(t, "../../scripts/check-386.sh")
	if !strings.Contains(check386, `echo "check-386.sh: running the GOARCH=386 tests $mode"`) ||
		!strings.Contains(check386, "\tmode=natively\n") || !strings.Contains(check386, `mode="under the emulator $q"`) ||
		!strings.Contains(doc, "`check-386.sh: running the GOARCH=386 tests natively`") ||
		!strings.Contains(doc, "`… under the emulator qemu-i386`") {
		t.Error("docs/testing.md does not quote the line check-386.sh prints first")
	}

	calls := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return fs.SkipDir // another module
			}
			if d.Name() == "testenv" || d.Name() == ".git" {
				return fs.SkipDir
			}
		}
		if strings.HasSuffix(path, "_test.go") {
			calls += strings.Count(read(t, path), "testenv.NeedsProcesses(t)")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}
	if calls >= len(words) || !strings.Contains(doc, "The "+words[calls]+" tests that start processes") {
		t.Errorf("%d calls of testenv.NeedsProcesses; docs/testing.md does not say %q", calls, "The "+words[min(calls, len(words)-1)]+" tests that start processes")
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
