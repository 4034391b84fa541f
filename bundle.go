// Package evaluate holds the default policy bundle, embedded in the binary
// so that the CLI works from any folder. The bundle itself is the folder
// policies/, which holds policies only: a copy of it (cp -r policies
// my-policies) is a bundle with nothing else in it.
package evaluate

import (
	"embed"
	"io/fs"
)

//go:embed policies
var embedded embed.FS

// Policies is the default bundle. Its root holds one folder per designation.
var Policies = mustSub(embedded, "policies")

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // the embed directive above guarantees the folder
	}
	return sub
}
