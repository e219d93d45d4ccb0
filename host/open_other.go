//go:build !unix

package host

import (
	"io/fs"
	"os"
)

// openReport opens a report file for reading. This system has no
// O_NOFOLLOW: with nofollow, a link is refused by the Lstat before the open.
func openReport(path string, nofollow bool) (*os.File, error) {
	if nofollow {
		st, err := os.Lstat(path)
		if err != nil {
			return nil, err
		}
		if st.Mode()&fs.ModeSymlink != 0 {
			return nil, errSymlink
		}
	}
	return os.Open(path)
}
