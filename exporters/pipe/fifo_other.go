//go:build !unix

package pipe

import (
	"errors"
	"os"
)

var errNoFIFO = errors.New("named pipes need a Unix system")

func mkfifo(string, uint32) error           { return errNoFIFO }
func makeFIFO(string) error                 { return errNoFIFO }
func openWriteNow(string) (*os.File, error) { return nil, errNoFIFO }
func checkFolder(string) error              { return errNoFIFO }
