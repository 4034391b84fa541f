//go:build unix

package engine

import (
	"syscall"
	"testing"
)

// mkfifo makes a named pipe at p: opening it for reading blocks until a
// writer comes, which is what a bundle reader must never do.
func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
}

// mknodNull makes at p the character device /dev/null is (1, 3); only
// root may, so the test is skipped otherwise.
func mknodNull(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skip("mknod:", err)
	}
}
