//go:build !wasip1

package sdk

import (
	"embed"
	"io/fs"
)

// source is this module's source: go.mod and every package directory.
// source_test.go checks that no package is missing.
//
//go:embed go.mod *.go abi internal config db filter kinds nip19 sdktest tck/tck.go tck/cases.jsonl tck/go
var source embed.FS

// ModuleSource returns the source of this SDK module: go.mod and the
// directories of its Go packages, test files and testdata included.
// relayd embeds it so that `relayd plugin new` can write the SDK that
// matches the relay's ABI beside a new plugin, for a replace directive
// (RATIONALE.md, "Why does plugin new copy the SDK into the plugin?").
// Native builds only: a plugin built for wasm carries none of it.
func ModuleSource() fs.FS { return source }
