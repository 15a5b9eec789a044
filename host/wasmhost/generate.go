package wasmhost

//go:generate sh testdata/gen.sh
