# relayd Makefile: the CI contract. `make run` and `make test` are the two
# set-up commands in the README. The SDK (sdk/) is its own module, with the
# standard library only; go.mod uses it through a replace, and the targets
# below run the go tool in both modules.
GO      ?= go
TAGS    ?= libsecp256k1
GOFLAGS_BUILD := -tags $(TAGS)
WASMENV := GOOS=wasip1 GOARCH=wasm
PLUGIN_DIRS := $(wildcard plugins/*/main.go examples/policies/*/main.go)
# C plugins (sdk/c): a WASI reactor per directory with a main.c.
CLANG   ?= clang
WASM_CFLAGS := --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wl,--strip-all -I sdk/c
C_PLUGIN_DIRS := $(wildcard plugins/*/main.c examples/policies/*/main.c)
# Rust plugins (sdk/rust): a cdylib crate per directory with a Cargo.toml,
# its [lib] name the directory's with _ for -. Debian's rustc/cargo by path:
# a rustup toolchain first on PATH may lack wasm32-wasi (RATIONALE.md).
CARGO   ?= /usr/bin/cargo
RUSTC   ?= /usr/bin/rustc
CARGO_WASM_FLAGS := build --offline --release --target wasm32-wasi
RUST_PLUGIN_DIRS := $(wildcard plugins/*/Cargo.toml examples/policies/*/Cargo.toml)
# AssemblyScript plugins (sdk/assemblyscript): a directory with index.ts and
# an asconfig.json extending the SDK's, built with the SDK's pinned asc once
# `npm ci` in sdk/assemblyscript installed it (.ci/run does).
ASC     := $(CURDIR)/sdk/assemblyscript/node_modules/.bin/asc
AS_PLUGIN_DIRS := $(wildcard plugins/*/asconfig.json examples/policies/*/asconfig.json)

.PHONY: all build plugins plugins-default run test test-portable check cross bench fmt vet tidy testdata

all: build plugins

build:
	$(GO) build $(GOFLAGS_BUILD) -o bin/relayd ./cmd/relayd

plugins:
	@mkdir -p bin/plugins
	@for f in $(PLUGIN_DIRS); do d=$$(dirname $$f); n=$$(basename $$d); \
	  echo "wasm $$d -> bin/plugins/$$n.wasm"; \
	  $(WASMENV) $(GO) build -buildmode=c-shared -o bin/plugins/$$n.wasm ./$$d || exit 1; done
	@if [ -n "$(C_PLUGIN_DIRS)" ] && ! command -v $(CLANG) >/dev/null; then \
	  echo "$(CLANG) not found: C plugins not built (apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)"; \
	else for f in $(C_PLUGIN_DIRS); do d=$$(dirname $$f); n=$$(basename $$d); \
	  echo "clang $$d -> bin/plugins/$$n.wasm"; \
	  $(CLANG) $(WASM_CFLAGS) -o bin/plugins/$$n.wasm $$d/*.c sdk/c/relayd.c || exit 1; done; fi
	@if [ -n "$(RUST_PLUGIN_DIRS)" ] && ! { [ -x $(CARGO) ] && [ -d "$$($(RUSTC) --print target-libdir --target wasm32-wasi 2>/dev/null)" ]; }; then \
	  echo "$(CARGO) or the wasm32-wasi std not found: Rust plugins not built (apt-get install rustc cargo libstd-rust-dev-wasm32)"; \
	else for f in $(RUST_PLUGIN_DIRS); do d=$$(dirname $$f); n=$$(basename $$d); \
	  echo "cargo $$d -> bin/plugins/$$n.wasm"; \
	  RUSTC=$(RUSTC) $(CARGO) $(CARGO_WASM_FLAGS) -q --manifest-path $$d/Cargo.toml --target-dir bin/cargo-target || exit 1; \
	  cp bin/cargo-target/wasm32-wasi/release/$$(echo $$n | tr - _).wasm bin/plugins/$$n.wasm || exit 1; done; fi
	@if [ -z "$(AS_PLUGIN_DIRS)" ]; then :; elif ! [ -x $(ASC) ] || ! command -v node >/dev/null; then \
	  echo "asc not found: AssemblyScript plugins not built (with node and npm: cd sdk/assemblyscript && npm ci)"; \
	else for f in $(AS_PLUGIN_DIRS); do d=$$(dirname $$f); n=$$(basename $$d); \
	  echo "asc $$d -> bin/plugins/$$n.wasm"; \
	  (cd $$d && $(ASC) index.ts --config asconfig.json -o $(CURDIR)/bin/plugins/$$n.wasm) || exit 1; done; fi

# plugins-default is the default plugin set in bin/plugins-default: for
# each plugins/defaults/NAME.toml, bin/plugins/NAME.wasm and its settings
# (rebuilt every time; the Dockerfile in deploy/docker ships this directory).
plugins-default: plugins
	@rm -rf bin/plugins-default && mkdir -p bin/plugins-default
	@for f in plugins/defaults/*.toml; do n=$$(basename $$f .toml); \
	  cp bin/plugins/$$n.wasm bin/plugins-default/ && cp $$f bin/plugins-default/ || exit 1; done

# run starts relayd with the default plugin set (edit the copies in
# bin/plugins-default while it runs, the relay reloads them, or
# plugins/defaults to keep them).
run: build plugins-default
	./bin/relayd -listen 127.0.0.1:7447 -data ./data -plugins ./bin/plugins-default

# Packages with concurrency run under the race detector; plugin, example
# and SDK tests (wasm builds and native policy tests) run without it, and so
# does test/negentropy's run of go-nostr's nip77 client, which races with
# itself (gonostr_test.go).
RACE_PKGS := ./host/... ./cmd/... ./internal/... $(if $(wildcard test),./test/...)
# The `relayd plugin` CLI tests and the conformance kit's TestTCK compile
# several Go plugins with wazero, which the race detector slows ~10x; they
# run in the later passes.
test:
	$(GO) test $(GOFLAGS_BUILD) -race -timeout 30m -skip '^(TestPlugin|TestTCK)' $(RACE_PKGS)
	cd sdk && $(GO) test -timeout 30m ./...
	$(GO) test $(GOFLAGS_BUILD) -timeout 30m ./plugins/... ./examples/...
	$(GO) test $(GOFLAGS_BUILD) -timeout 30m -run '^TestTCK' ./internal/tck/
	$(GO) test $(GOFLAGS_BUILD) -timeout 30m -run '^TestGoNostr' ./test/negentropy/
	$(GO) test $(GOFLAGS_BUILD) -timeout 30m -run '^TestPlugin' ./cmd/relayd
	$(MAKE) test-portable

# test-portable runs the websocket tests, and the relay's end to end over
# real sockets, with the portable reader macOS and Windows use
# (host/wsconn/read_portable.go, selected on Linux by the relayd_portable
# tag); the end-to-end tests also run as those builds do, without cgo and
# with go-nostr's pure-Go signature check.
PORTABLE_E2E := '^TestRelayd(LargeEventsRoundTrip|SlowReaderCutOthersUnaffected|ClientVanishingMidStream|GracefulShutdown)$$'
test-portable:
	$(GO) test -tags $(TAGS),relayd_portable -race -timeout 30m ./host/wsconn/
	CGO_ENABLED=0 $(GO) test -tags relayd_portable -timeout 30m -run '^TestRelay' ./host/relay/
	CGO_ENABLED=0 $(GO) test -tags relayd_portable -timeout 30m -run $(PORTABLE_E2E) ./cmd/relayd/

check: fmt vet tidy testdata cross
	$(WASMENV) $(GO) build ./plugins/... ./examples/...
	cd sdk && $(WASMENV) $(GO) build ./...
	@git diff --exit-code -- go.mod go.sum sdk/go.mod host/wasmhost/testdata || (echo "go.mod/go.sum not tidy or WAT test guests out of date" && exit 1)

# cross builds relayd (its plugin tools are subcommands) and every host
# package for macOS and Windows, and vets host/wsconn there, tests
# included. Without cgo and so without the libsecp256k1 tag: cgo
# cross-compiling needs a C cross toolchain per target, which CI lacks, so
# these builds check signatures with go-nostr's pure-Go code (test-portable
# runs that path on Linux). A native build on a Mac with a C compiler may
# add -tags libsecp256k1.
CROSS := darwin/amd64 darwin/arm64 windows/amd64
cross:
	@for t in $(CROSS); do echo "cross $$t"; \
	  CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./... || exit 1; \
	  CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./host/wsconn/ || exit 1; done

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi

vet:
	$(GO) vet $(GOFLAGS_BUILD) ./...
	cd sdk && $(GO) vet ./...

tidy:
	$(GO) mod tidy
	cd sdk && $(GO) mod tidy

bench:
	$(GO) test $(GOFLAGS_BUILD) -run '^$$' -bench . -benchmem ./host/...

# Rebuild the WAT test guests (.wat -> .wasm, Debian package wabt). The
# .wasm files are committed so tests need no wabt; make check rebuilds them
# and fails if they changed.
testdata:
	sh host/wasmhost/testdata/gen.sh
