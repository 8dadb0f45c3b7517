//go:build !unix

package store

// lockFile is a no-op where flock is unavailable: one process per results
// directory is then the user's responsibility.
func lockFile(string) (func(), error) { return func() {}, nil }
