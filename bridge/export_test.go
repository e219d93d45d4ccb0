package bridge

// WithGetenv replaces os.Getenv for the environment tests, which must not
// touch the process environment (tests run in parallel).
var WithGetenv = withGetenv
