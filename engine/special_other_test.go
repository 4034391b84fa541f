//go:build !unix

package engine

import "testing"

// Named pipes and devices cannot be made here: the tests that need them
// are skipped.

func mkfifo(t *testing.T, p string) { t.Skip("no named pipes on this system") }

func mknodNull(t *testing.T, p string) { t.Skip("no device files on this system") }
