//go:build !unix

package host

// alive cannot tell on this system: every process counts as alive and
// only the maximum age leaves reports out.
func alive(int) bool { return true }
