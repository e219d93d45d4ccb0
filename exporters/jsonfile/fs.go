package jsonfile

import (
	"io"
	"os"
)

// FS is the file-system layer a [Reporter] writes through; the default is
// the os package. Tests use it to inject disk errors. An FS that also has a
// method SyncDir(dir string) error is asked to make the rename durable by
// syncing the folder; without it that step is skipped.
type FS interface {
	CreateTemp(dir, pattern string) (File, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
}

// File is a temporary file made by [FS.CreateTemp]; *os.File is one.
type File interface {
	io.Writer
	Name() string
	Sync() error
	Chmod(mode os.FileMode) error
	Close() error
}

// dirSyncer is the optional ability of an FS to sync a folder.
type dirSyncer interface {
	SyncDir(dir string) error
}

// osFS is the real file system.
type osFS struct{}

func (osFS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
