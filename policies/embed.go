// Package policies holds the default policy bundle, embedded in the binary so
// that the CLI works from any folder. Each sub-folder is one designation: a
// params.yaml, a rules.yaml of CEL expressions and Rego policies.
package policies

import "embed"

// FS is the default bundle. Its root holds one folder per designation.
//
//go:embed *
var FS embed.FS
