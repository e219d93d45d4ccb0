// Package testenv tells the project's tests what the machine running them
// cannot do, so that a test that needs it skips with the reason rather
// than failing for the machine's sake.
//
// # Emulated test binaries
//
// scripts/check-386.sh runs the 32-bit x86 tests under a user-mode
// emulator (qemu-i386) on machines whose kernel cannot execute 386
// binaries, and says so by setting [EmulatorEnv] to the emulator's name.
// Under that emulator a Go program's fork/exec corrupts the Go runtime
// (the emulator turns the runtime's vfork-style clone into something the
// runtime does not expect), so tests that start processes call
// [NeedsProcesses]. The same tests run everywhere else: natively on amd64
// with -race, and on 386 where the kernel runs it.
//
// It is internal: for tests of this module only, never a dependency of what
// the library does.
package testenv
