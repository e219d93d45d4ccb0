package host

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// DefaultMaxFileSize is the largest report file [Merge] and [Read] read:
// far above any real report (a report of 100,000 values is about 6 MiB),
// low enough that a hostile file cannot exhaust memory.
const DefaultMaxFileSize = 64 << 20

// errSymlink: a folder entry is a symbolic link, which is not followed.
var errSymlink = errors.New("is a symbolic link, which is not followed")

// readReport reads a report file, refusing anything that is not a regular
// file (a FIFO would hang the reader, a link to /dev/zero exhaust its
// memory) and anything larger than limit bytes. With nofollow a symbolic
// link is refused too. The error names the path and what is wrong.
func readReport(path string, limit int64, nofollow bool) ([]byte, error) {
	f, err := openReport(path, nofollow)
	if err != nil {
		if errors.Is(err, errSymlink) {
			return nil, fmt.Errorf("%s %w", path, err)
		}
		return nil, err // *PathError names the path
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, fileType(st.Mode()))
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, over the limit of %d (host.WithMaxFileSize)", path, st.Size(), limit)
	}
	// The file may grow while it is read: never read past the limit.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s grew past the limit of %d bytes (host.WithMaxFileSize) while read", path, limit)
	}
	return data, nil
}

// fileType names the type of a file that is not a regular file.
func fileType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a folder"
	}
	return "of type " + m.Type().String()
}
