#!/bin/sh
# Rebuilds testdata/wat/*.wasm from the .wat beside them (Debian: wabt).
# Run from host/wasmhost: `go generate` or `sh testdata/gen.sh`.
set -e
cd "$(dirname "$0")/wat"
for f in *.wat; do
	wat2wasm "$f" -o "${f%.wat}.wasm"
done
