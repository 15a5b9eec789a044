package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/relayd/relayd/host/wasmhost"
)

// stdin is what `relayd plugin test` reads when no file is given; tests
// replace it.
var stdin io.Reader = os.Stdin

const pluginUsage = `usage: relayd plugin <command> [arguments]

Tools for policy plugin authors:

  check [-config FILE.toml] [-json] FILE.wasm
        load the plugin as the relay would and report its ABI version,
        hooks, imports and any problem; exit 1 if it would not load
  test [-config FILE.toml] [-authed PUBKEY|author] [-skip-verify] [-log LEVEL]
       [-expect GOLDEN [-update]] FILE.wasm [FIXTURES.jsonl]
        replay fixtures through the plugin's hooks, one call per line: an
        event (event_pre, the signature check, event), strfry plugin
        input, or {"hook":"connect|event|req|count|auth|deliver|close",...}
        (README, "Writing a policy"); print "<label> <verdict>" per call,
        or with -expect compare them with GOLDEN and exit 1 with a diff
        on a difference (-update rewrites GOLDEN); reads stdin without a
        file
  bench [-config FILE.toml] [-time D] FILE.wasm [FIXTURES.jsonl]
        call each of the plugin's hooks through the relay's host until D
        passes and print a table: calls, ns/call and host allocations per
        call, with the fixtures' inputs or built-in ones
  tck FILE.wasm [CASES.jsonl]
        run the guest conformance kit (sdk/tck) against a TCK plugin, a
        plugin written to sdk/tck/README.md to check an SDK against the
        ABI; print each case that fails, exit 1 if any does
  new [-dir DIR] [-module PATH] NAME
        create DIR/NAME, a new plugin from a template: main.go, a test,
        README.md, NAME.toml, fixtures and their golden file; outside a
        module that provides the SDK, also go.mod and relayd-sdk/, a copy
        of this relay's SDK, so it builds with the Go toolchain alone
  sdk [-dir DIR]
        replace DIR/relayd-sdk with this relay's SDK (after an upgrade)

Cluster ([cluster] in relayd.toml, docs/cluster.md; -nats URL or -config
FILE names the cluster):

  push [-wait D] NAME.wasm [NAME.toml]
        check the plugin, then store it in the cluster: every node loads
        it beside its local plugins; print its sha256; -wait waits until
        every node runs it (exit 1 with why if one fails to load it)
  rm [-wait D] NAME
        remove a pushed plugin: every node unloads it
  ls [-json]
        the pushed plugins, and what each node runs: plugin, sha256,
        source (local or pushed), load failures

Flags may come before or after the arguments. NAME.toml beside FILE.wasm
is used unless -config names another settings file.
`

// pluginCommand runs `relayd plugin ...`. Exit codes: 0 success, 1 the
// plugin or its input failed, 2 bad usage.
func pluginCommand(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, pluginUsage)
		return 2
	}
	switch args[0] {
	case "check":
		return pluginCheck(args[1:], stdout, stderr)
	case "test":
		return pluginTest(args[1:], stdin, stdout, stderr)
	case "new":
		return pluginNew(args[1:], stdout, stderr)
	case "sdk":
		return pluginSDK(args[1:], stdout, stderr)
	case "bench":
		return pluginBench(args[1:], stdout, stderr)
	case "tck":
		return pluginTCK(args[1:], stdout, stderr)
	case "push":
		return pluginPush(args[1:], stdout, stderr)
	case "rm":
		return pluginRm(args[1:], stdout, stderr)
	case "ls":
		return pluginLs(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, pluginUsage)
		return 0
	}
	fmt.Fprintf(stderr, "relayd plugin: unknown command %q\n\n%s", args[0], pluginUsage)
	return 2
}

// parseArgs parses flags that may come before, between or after the
// positional arguments, and returns the positional ones. It prints usage
// errors to fs's output.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// usageErr reports a usage error and returns exit code 2.
func usageErr(stderr io.Writer, cmd, msg string) int {
	fmt.Fprintf(stderr, "relayd plugin %s: %s\n", cmd, msg)
	return 2
}

// stage puts the plugin at wasmPath, with its settings, alone in a new
// temporary directory, as NAME.wasm and NAME.toml, with links to the files
// the settings list (which the relay reads beside the .wasm): the layout
// the relay and wasmhost.Check expect. The settings are tomlPath if not
// empty, else NAME.toml beside the .wasm if there is one. It returns the
// staged .wasm path, the settings file used ("" for none) and a cleanup
// function.
func stage(wasmPath, tomlPath string) (staged, settings string, cleanup func(), err error) {
	name := strings.TrimSuffix(filepath.Base(wasmPath), ".wasm")
	if name == "" || !strings.HasSuffix(wasmPath, ".wasm") {
		return "", "", nil, fmt.Errorf("%s: want a NAME.wasm file", wasmPath)
	}
	bin, err := os.ReadFile(wasmPath)
	if err != nil {
		return "", "", nil, err
	}
	var set []byte
	switch {
	case tomlPath != "":
		if set, err = os.ReadFile(tomlPath); err != nil {
			return "", "", nil, err
		}
		settings = tomlPath
	default:
		beside := strings.TrimSuffix(wasmPath, ".wasm") + ".toml"
		if set, err = os.ReadFile(beside); err == nil {
			settings = beside
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", "", nil, err
		}
	}
	dir, err := os.MkdirTemp("", "relayd-plugin-")
	if err != nil {
		return "", "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	staged = filepath.Join(dir, name+".wasm")
	if err = os.WriteFile(staged, bin, 0o644); err == nil && settings != "" {
		err = os.WriteFile(filepath.Join(dir, name+".toml"), set, 0o644)
	}
	if err == nil {
		err = linkFiles(set, filepath.Dir(wasmPath), dir)
	}
	if err != nil {
		cleanup()
		return "", "", nil, err
	}
	return staged, settings, cleanup, nil
}

// linkFiles links each plain file name the settings list from src into
// dst. Bad settings and names are left for the loader to report.
func linkFiles(settings []byte, src, dst string) error {
	s, err := wasmhost.ParseSettings(settings)
	if err != nil {
		return nil
	}
	src, err = filepath.Abs(src)
	if err != nil {
		return err
	}
	for _, name := range s.Files {
		if name == "" || filepath.Base(name) != name || name == ".." {
			continue
		}
		if err := stageFile(filepath.Join(src, name), filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	return nil
}
