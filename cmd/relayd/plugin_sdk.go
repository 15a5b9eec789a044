package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/abi"
)

const (
	relaydModulePath = "github.com/relayd/relayd"
	sdkModulePath    = relaydModulePath + "/sdk"
	// sdkCopyDir is the folder of a plugin that holds its copy of the SDK.
	sdkCopyDir = "relayd-sdk"
	// sdkPseudoVersion is the version a plugin's go.mod requires; the
	// replace makes any version mean the copy.
	sdkPseudoVersion = "v0.0.0-00010101000000-000000000000"
)

// pluginSDK runs `relayd plugin sdk`: it writes this relay's SDK into
// DIR/relayd-sdk, replacing what is there, so a plugin made by `plugin new`
// for an older relay builds against the SDK of this one.
func pluginSDK(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin sdk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "the plugin's folder (where its go.mod is)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		return usageErr(stderr, "sdk", "takes no arguments; -dir names the plugin's folder")
	}
	mod, err := os.ReadFile(filepath.Join(*dir, "go.mod"))
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin sdk: %v\n", err)
		return 1
	}
	if !bytes.Contains(mod, []byte("=> ./"+sdkCopyDir)) {
		fmt.Fprintf(stderr, "relayd plugin sdk: %s/go.mod does not replace %s with ./%s; add\n  replace %s => ./%s\n",
			*dir, sdkModulePath, sdkCopyDir, sdkModulePath, sdkCopyDir)
		return 1
	}
	if err := writeSDK(*dir); err != nil {
		fmt.Fprintf(stderr, "relayd plugin sdk: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: the SDK of relayd %s, ABI %d\n", filepath.Join(*dir, sdkCopyDir), version(), sdkABIVersion())
	return 0
}

// writeSDK writes the SDK this binary was built with (sdk.ModuleSource,
// without test files and testdata) into dir/relayd-sdk. It builds the
// copy beside and swaps it in, so a failure leaves the old copy.
func writeSDK(dir string) error {
	final := filepath.Join(dir, sdkCopyDir)
	tmp, err := os.MkdirTemp(dir, "."+sdkCopyDir+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	src := sdk.ModuleSource()
	err = fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return fs.SkipDir
		case d.IsDir() || strings.HasSuffix(p, "_test.go"):
			return nil
		}
		b, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		out := filepath.Join(tmp, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err == nil {
		err = os.WriteFile(filepath.Join(tmp, "README.md"), []byte(sdkCopyReadme()), 0o644)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755) // MkdirTemp makes it private
	}
	if err != nil {
		return fmt.Errorf("writing the SDK: %w", err)
	}
	old := tmp + ".old"
	if err := os.Rename(final, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Rename(old, final)
		return err
	}
	return os.RemoveAll(old)
}

func sdkCopyReadme() string {
	return fmt.Sprintf(`# relayd SDK (a copy)

The Go SDK of relayd %s (plugin ABI version %d), module %s, written
here by `+"`relayd plugin new`"+`. The plugin's go.mod replaces the SDK module with this
folder, so the plugin builds with the Go toolchain alone and against the SDK
of the relay it was made for. Commit it with the plugin; do not edit it.

After upgrading relayd, run `+"`relayd plugin sdk`"+` in the plugin's folder: it
replaces this folder with the SDK of the new relay.
`, version(), sdkABIVersion(), sdkModulePath)
}

// sdkGoVersion is the go line of the SDK's go.mod: the oldest Go a plugin
// can be built with.
func sdkGoVersion() string {
	b, err := fs.ReadFile(sdk.ModuleSource(), "go.mod")
	if err != nil {
		return "1.24"
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	return "1.24"
}

// sdkABIVersion is the ABI version of the embedded SDK, which is the one
// this relay speaks: both come from the same sdk/abi.
func sdkABIVersion() int { return abi.Version }
