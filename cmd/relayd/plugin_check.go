package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/relayd/relayd/host/wasmhost"
)

// pluginCheck runs `relayd plugin check`: wasmhost.Check on the plugin,
// staged with its settings, printed as text or JSON.
func pluginCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "settings file (default: NAME.toml beside FILE.wasm)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		return usageErr(stderr, "check", "want one FILE.wasm")
	}
	path := pos[0]
	staged, settings, cleanup, err := stage(path, *config)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin check: %v\n", err)
		return 1
	}
	defer cleanup()
	rep, err := wasmhost.Check(context.Background(), staged)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin check: %v\n", err)
		return 1
	}
	rep.Path = path
	// Problems name the staged copy; show the operator's files instead.
	for i, p := range rep.Problems {
		p = strings.ReplaceAll(p, strings.TrimSuffix(staged, ".wasm")+".toml", settings)
		p = strings.ReplaceAll(p, staged, path)
		rep.Problems[i] = strings.ReplaceAll(p, filepath.Dir(staged), filepath.Dir(path))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(checkJSON{Report: rep, SettingsFile: settings, OK: rep.OK()})
	} else {
		printReport(stdout, rep, settings)
	}
	if !rep.OK() {
		return 1
	}
	return 0
}

// checkJSON is the -json output.
type checkJSON struct {
	wasmhost.Report
	SettingsFile string `json:"SettingsFile"`
	OK           bool   `json:"OK"`
}

func printReport(w io.Writer, r wasmhost.Report, settings string) {
	line := func(k, v string) {
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(w, "%-11s %s\n", k, v)
	}
	line("plugin", r.Name)
	line("file", fmt.Sprintf("%s (%d bytes, sha256 %s)", r.Path, r.Size, r.SHA256))
	if settings == "" {
		settings = "none (relay defaults)"
	}
	line("settings", settings)
	if r.ABIVersion > 0 {
		line("abi", fmt.Sprint(r.ABIVersion))
	}
	line("hooks", list(r.Hooks))
	line("exports", list(r.Exports))
	for i, imp := range groupImports(r.Imports) {
		if i == 0 {
			line("imports", imp)
		} else {
			line("", imp)
		}
	}
	line("memory", fmt.Sprintf("%d pages (%d KiB) initial", r.InitialPages, r.InitialPages*64))
	use := "not used"
	if r.UsesDB {
		use = "used"
	}
	line("db", fmt.Sprintf("%s (db_max_keys %d, db_max_bytes %d)", use, r.DBMaxKeys, r.DBMaxBytes))
	for i, f := range r.Files {
		k := ""
		if i == 0 {
			k = "files"
		}
		line(k, fmt.Sprintf("%s (%d bytes, sha256 %s)", f.Name, f.Size, f.SHA256))
	}
	if len(r.Limitation) > 0 {
		b, _ := json.Marshal(r.Limitation)
		line("limitation", string(b))
	}
	for _, p := range r.Problems {
		line("problem", p)
	}
	if r.OK() {
		fmt.Fprintln(w, "ok: the relay would load this plugin")
	} else {
		fmt.Fprintln(w, "FAIL: the relay would not load this plugin")
	}
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// groupImports turns "module.name" imports into one sorted line per
// module: "relayd_v1: get, log".
func groupImports(imports []string) []string {
	by := map[string][]string{}
	var mods []string
	for _, imp := range imports {
		mod, name, _ := strings.Cut(imp, ".")
		if by[mod] == nil {
			mods = append(mods, mod)
		}
		if !slices.Contains(by[mod], name) {
			by[mod] = append(by[mod], name)
		}
	}
	if len(mods) == 0 {
		return []string{"none"}
	}
	slices.Sort(mods)
	out := make([]string, len(mods))
	for i, mod := range mods {
		slices.Sort(by[mod])
		out[i] = mod + ": " + strings.Join(by[mod], ", ")
	}
	return out
}
