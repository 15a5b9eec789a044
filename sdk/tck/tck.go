// Package tck is relayd's guest conformance kit: Cases, the language-neutral
// cases every SDK's TCK plugin must pass (README.md has their format and
// what a TCK plugin does). The runner is in the relay's module
// (internal/tck, `relayd plugin tck`); the TCK plugins are in go/, c/ and
// rust/.
package tck

import _ "embed"

// Cases is cases.jsonl, the kit's cases.
//
//go:embed cases.jsonl
var Cases []byte
