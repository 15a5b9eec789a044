package wasmhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/tetratelabs/wazero"

	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/sdk/abi"
)

// Report is what Check found out about a plugin.
type Report struct {
	// Path is the .wasm checked; Name the plugin name derived from it.
	Path, Name string
	// Size is the .wasm's size in bytes; SHA256 its hex digest.
	Size   int
	SHA256 string
	// ABIVersion is the version the module reported, 0 if it did not load.
	ABIVersion int
	// Exports are the relayd exports found (hooks and optional exports).
	Exports []string
	// Imports are the module's imports as "module.name".
	Imports []string
	// Hooks are the hooks the relay would call (present, registered by
	// relayd_init and allowed by the settings).
	Hooks []string
	// InitialPages is the initial linear memory in 64 KiB pages.
	InitialPages uint32
	// Settings are the NAME.toml settings, if there is one.
	Settings *Settings
	// Files are the files the settings list that were read, in the
	// settings' order; Problems says what is wrong with the others.
	Files []ListedFile
	// UsesDB is true when the plugin imports a durable state function
	// (db_*): it keeps data in the relay's store across restarts.
	UsesDB bool
	// DBMaxKeys and DBMaxBytes bound its durable state (db_max_keys and
	// db_max_bytes, defaults applied).
	DBMaxKeys, DBMaxBytes int64
	// Limitation are the NIP-11 limitation keys the plugin reports.
	Limitation map[string]any
	// Instrumented is true when calls are bounded by the preemption check
	// (package preempt), false when the module could not be instrumented
	// and falls back to wazero's slower context interruption.
	Instrumented bool
	// Problems lists everything that would stop the relay loading the
	// plugin; empty means it loads.
	Problems []string
}

// ListedFile is a file of a plugin's "files" setting, as Check read it
// from the plugin's directory.
type ListedFile struct {
	Name   string
	Size   int
	SHA256 string
}

// OK reports whether the plugin would load.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Check loads the plugin at path (NAME.wasm, with NAME.toml beside it if
// present, and the files that lists) as the relay would, with one
// instance, and reports what it found. The error is for an unreadable
// .wasm or .toml only; everything wrong with the plugin, including a
// listed file that is missing, is in Report.Problems.
func Check(ctx context.Context, path string) (Report, error) {
	r := Report{Path: path, Name: strings.TrimSuffix(filepath.Base(path), ".wasm")}
	bin, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	r.Size = len(bin)
	sum := sha256.Sum256(bin)
	r.SHA256 = hexString(sum[:])
	var s Settings
	tomlPath := strings.TrimSuffix(path, ".wasm") + ".toml"
	if b, err := os.ReadFile(tomlPath); err == nil {
		if s, err = ParseSettings(b); err != nil {
			r.Problems = append(r.Problems, tomlPath+": "+err.Error())
		}
		r.Settings = &s
	} else if !errors.Is(err, os.ErrNotExist) {
		return r, err
	}
	set, err := s.resolve(Settings{}, runtime.GOMAXPROCS(0))
	if err != nil {
		r.Problems = append(r.Problems, tomlPath+": "+err.Error())
		return r, nil
	}
	set.pool = 1
	describe(ctx, &r, bin, set.memPages)
	if !checkFiles(&r, filepath.Dir(path), s.Files, &set) {
		return r, nil
	}
	e := &env{cache: wazero.NewCompilationCache(), relayVersion: "check"}
	defer e.cache.Close(ctx)
	r.UsesDB = usesDB(r.Imports)
	r.DBMaxKeys, r.DBMaxBytes = set.db.MaxKeys, set.db.MaxBytes
	p, err := loadPlugin(ctx, e, r.Name, path, bin, set, state.New(state.Limits{}), nil, slog.New(slog.DiscardHandler))
	if err != nil {
		r.Problems = append(r.Problems, err.Error())
		return r, nil
	}
	defer p.close(0, true)
	r.ABIVersion = abi.Version
	for _, h := range p.hooks.List() {
		r.Hooks = append(r.Hooks, h.String())
	}
	r.Limitation = p.limits
	r.Instrumented = p.preempt
	return r, nil
}

// checkFiles reads the listed files into r and set; false if any is
// wrong (the relay would not load the plugin, so Check does not either).
func checkFiles(r *Report, dir string, names []string, set *resolved) bool {
	l := readFiles(dir, names)
	for _, name := range names {
		if b, ok := l.data[name]; ok {
			sum := sha256.Sum256(b)
			r.Files = append(r.Files, ListedFile{Name: name, Size: len(b), SHA256: hexString(sum[:])})
		}
	}
	for _, err := range l.errs {
		r.Problems = append(r.Problems, err.Error())
	}
	set.files = l.data
	return len(l.errs) == 0
}

// describe fills the static parts of r: exports, imports, memory.
func describe(ctx context.Context, r *Report, bin []byte, memPages uint32) {
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter()) // 10× faster to compile
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return // loadPlugin reports it
	}
	for name := range cm.ExportedFunctions() {
		if strings.HasPrefix(name, "relayd_") || name == abi.ExportInitialize {
			r.Exports = append(r.Exports, name)
		}
	}
	slices.Sort(r.Exports)
	r.Imports = importNames(cm)
	if mem, ok := cm.ExportedMemories()[abi.ExportMemory]; ok {
		r.InitialPages = mem.Min()
	}
}

// usesDB reports whether imports ("module.name") hold a db_* host
// function.
func usesDB(imports []string) bool {
	for _, imp := range imports {
		switch strings.TrimPrefix(imp, abi.ModuleName+".") {
		case abi.FuncDBGet, abi.FuncDBPut, abi.FuncDBDelete, abi.FuncDBList, abi.FuncDBUsage:
			return true
		}
	}
	return false
}

func hexString(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = hex[c>>4], hex[c&0xf]
	}
	return string(out)
}
