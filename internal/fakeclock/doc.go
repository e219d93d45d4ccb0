// Package fakeclock is the clock the project's tests inject where a
// component takes a func() time.Time: it moves only when told to.
//
// It is internal: for tests of this module only, never a dependency of what
// the library does.
package fakeclock
