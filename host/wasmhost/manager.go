package wasmhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/host/wasmhost/state"
)

// Options configure a Manager.
type Options struct {
	// Dir holds the plugins: NAME.wasm, with optional NAME.toml settings,
	// and the files their settings list. It may be empty if PushedDir is
	// set.
	Dir string
	// PushedDir, if set, is a second plugin source laid out like Dir: the
	// plugins pushed to the cluster (host/cluster), which the node writes
	// there and loads with ReloadPushed. A name in both is the local
	// plugin's: the pushed one is refused (see pushed.go).
	PushedDir string
	// OnReload, if set, is called after every load or reload, once the
	// new chain is in place (Running then reports it). It must not block
	// long.
	OnReload func()
	// CacheDir keeps compiled code across restarts (the relay passes
	// <data>/wasm-cache). Empty keeps it in memory only.
	CacheDir string
	// Logger receives load, reload, failure and guest log lines; nil
	// discards them. Lines that can come once per call or restart (failed
	// calls, failed restarts, recycled instances) are capped per plugin:
	// the first of each kind in a LogSummaryEvery window, then a summary.
	Logger *slog.Logger
	// LogSummaryEvery is the window of that cap; default one minute.
	LogSummaryEvery time.Duration
	// Store backs the store_count host function; nil makes it report
	// ErrUnavailable. If it also implements store.PluginState
	// (badgerstore does), it keeps the plugins' durable state (db_*, see
	// package durable); otherwise the db_* functions report
	// ErrUnavailable.
	Store store.Store
	// Holder receives each new chain; nil makes the Manager own one.
	Holder *policy.Holder
	// Defaults are the settings of plugins without a NAME.toml, and fill
	// the fields a NAME.toml leaves out.
	Defaults Settings
	// StateLimits bound each plugin's shared state.
	StateLimits state.Limits
	// Cluster, set when [cluster] is on, makes every plugin's state
	// cluster-wide: it is handed each plugin's state (counters, buckets)
	// and durable state once, when the Manager makes them. Nil keeps them
	// node-local.
	Cluster ClusterState
	// Debounce is how long Run waits for file events to settle before it
	// reloads; default 100 ms.
	Debounce time.Duration
	// DrainGrace is how long a replaced plugin keeps answering callers
	// that loaded the previous chain before its instances are closed;
	// default 2 s. Close waits for it only until the pools are idle.
	DrainGrace time.Duration
	// RelayVersion is what plugins read as FieldRelayVersion.
	RelayVersion string
	// Chain is the chain's order by plugin name (relayd.toml's chain);
	// SetChain changes it. See chainLess.
	Chain []string
	// NoInstrument runs plugins as they are, interrupted through wazero's
	// WithCloseOnContextDone and a function listener (the same stop and
	// stack checks at every guest call) instead of the checks package
	// preempt adds: ~1 µs more per call, two exits to Go per guest
	// function call and up to ~50× slower loops. For debugging the
	// instrumentation.
	NoInstrument bool
}

// ClusterState shares the plugins' state across the nodes of a cluster
// (host/cluster/sharedstate). Its methods are called with the Manager's
// load lock held, off the hot path; they may wait (bounded) for the
// cluster's copy of the state.
type ClusterState interface {
	// State makes plugin's buckets and counters cluster-wide
	// (state.Space.SetShared).
	State(plugin string, sp *state.Space)
	// Durable makes plugin's durable state cluster-wide
	// (durable.Space.SetMirror), after its Load.
	Durable(plugin string, db *durable.Space)
}

// Manager loads the plugins of a directory into a policy chain and keeps
// the chain up to date as files change. Its methods are safe for
// concurrent use.
//
// Shared state lives in the Manager, keyed by plugin name, so it survives
// reloads and instance recycling.
type Manager struct {
	opts    Options
	env     *env
	log     *slog.Logger // through flood
	flood   *floodState
	holder  *policy.Holder
	mu      sync.Mutex // serialises Load, Reload, SetChain and Close
	order   []string   // Options.Chain, then SetChain's
	plugins map[string]*Plugin
	failed  map[string][3][32]byte // versions that failed to load, reported once
	// conflicted are the plugins of failed refused for a management
	// method clash (manage.go): retried at every reload, since the clash
	// may be gone.
	conflicted map[string]bool
	routes     atomic.Pointer[map[string]*Plugin] // management method → plugin
	spaces     map[string]*state.Space
	dbs        map[string]*durable.Space // durable state, if env.db is set
	// stats and tickLocks are per plugin name, kept across versions: the
	// store_query and tick counts, and the lock that keeps two versions'
	// ticks from overlapping.
	statsMu   sync.Mutex // guards stats, for QueryStats
	stats     map[string]*QueryStats
	tickLocks map[string]*sync.Mutex
	// listed are the names of the files the plugins' settings list, as of
	// the last rescan, for the watcher.
	listed atomic.Pointer[map[string]bool]
	// loadErrs are the errors of the versions in failed, by name;
	// shadowLogged the pushed plugins refused for a local one of the same
	// name at the last scan; running is what Running returns (pushed.go).
	loadErrs     map[string]loadErr
	shadowLogged shadowedSet
	running      atomic.Pointer[[]RunningPlugin]
	closing      sync.WaitGroup
	closed       bool
}

// NewManager checks opts and prepares the compilation cache. Call Load to
// build the first chain.
func NewManager(opts Options) (*Manager, error) {
	if opts.Dir == "" && opts.PushedDir == "" {
		return nil, errors.New("wasmhost: Options.Dir and Options.PushedDir are empty")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Holder == nil {
		opts.Holder = &policy.Holder{}
	}
	if opts.LogSummaryEvery <= 0 {
		opts.LogSummaryEvery = time.Minute
	}
	flood := newFloodHandler(opts.Logger.Handler(), opts.LogSummaryEvery)
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.DrainGrace <= 0 {
		opts.DrainGrace = 2 * time.Second
	}
	if _, err := opts.Defaults.resolve(Settings{}, 1); err != nil {
		return nil, fmt.Errorf("wasmhost: defaults: %w", err)
	}
	if len(opts.Defaults.Files) > 0 {
		return nil, errors.New("wasmhost: defaults: files is a per-plugin setting")
	}
	cache := wazero.NewCompilationCache()
	if opts.CacheDir != "" {
		var err error
		if cache, err = wazero.NewCompilationCacheWithDir(opts.CacheDir); err != nil {
			return nil, fmt.Errorf("wasmhost: cache dir: %w", err)
		}
	}
	e := &env{cache: cache, store: opts.Store, relayVersion: opts.RelayVersion, noInstrument: opts.NoInstrument}
	e.db, _ = opts.Store.(store.PluginState)
	return &Manager{
		opts: opts, log: slog.New(flood), flood: flood.st, holder: opts.Holder, order: slices.Clone(opts.Chain), env: e,
		plugins: map[string]*Plugin{}, failed: map[string][3][32]byte{}, spaces: map[string]*state.Space{},
		dbs: map[string]*durable.Space{}, conflicted: map[string]bool{}, loadErrs: map[string]loadErr{},
		stats: map[string]*QueryStats{}, tickLocks: map[string]*sync.Mutex{},
	}, nil
}

// Holder returns the holder the Manager stores its chains in.
func (m *Manager) Holder() *policy.Holder { return m.holder }

// Load builds the first chain from the directory. Plugins that fail to
// load are left out and logged; their errors are returned joined, after
// the chain of the others is in place, so the caller can decide whether a
// broken plugin at start is fatal.
func (m *Manager) Load(ctx context.Context) error { return m.Reload(ctx) }

// Reload rescans the directory and swaps in a new chain: new or changed
// plugins (by sha256 of NAME.wasm, NAME.toml and the files NAME.toml
// lists) are compiled, instantiated and checked first, off the hot path;
// unchanged ones keep their instances; removed or disabled ones are
// dropped. A plugin that fails to load keeps its previous version.
// Replaced plugins are closed once their calls in flight drain. It returns
// the load errors, joined.
func (m *Manager) Reload(ctx context.Context) error {
	m.mu.Lock()
	err := m.reload(ctx)
	m.mu.Unlock()
	if m.opts.OnReload != nil {
		m.opts.OnReload()
	}
	return err
}

// reload is Reload with m.mu held.
func (m *Manager) reload(ctx context.Context) error {
	if m.closed {
		return errors.New("wasmhost: manager closed")
	}
	files, shadowed, err := m.scanAll()
	if err != nil {
		return fmt.Errorf("wasmhost: %w", err)
	}
	next := map[string]*Plugin{}
	listed := map[string]bool{}
	var errs []error
	for name := range m.conflicted {
		delete(m.failed, name)
		delete(m.loadErrs, name)
		delete(m.conflicted, name)
	}
	// A plugin whose files are gone has no failed version any more.
	scanned := map[string]bool{}
	for _, f := range files {
		scanned[f.name] = true
	}
	for name := range m.failed {
		if !scanned[name] {
			delete(m.failed, name)
			delete(m.loadErrs, name)
		}
	}
	for _, f := range files {
		for _, name := range f.set.Files {
			listed[name] = true
		}
		p, err := m.loadOne(ctx, f)
		if err != nil {
			errs = append(errs, err)
		}
		if p != nil {
			next[f.name] = p
		}
	}
	m.listed.Store(&listed)
	routes, rerrs := m.route(next)
	errs = append(errs, rerrs...)
	changed := m.swap(next)
	m.routes.Store(&routes)
	if changed {
		m.logChain(next)
	}
	m.storeRunning(shadowed)
	return errors.Join(append(errs, shadowed.errs()...)...)
}

// loadOne returns the plugin to run for f: the current one if unchanged or
// if the new version fails (with the error), the new one, or nil.
func (m *Manager) loadOne(ctx context.Context, f pluginFile) (*Plugin, error) {
	old := m.plugins[f.name]
	if old != nil && old.sum == f.sum {
		return old, nil
	}
	if sum, ok := m.failed[f.name]; ok && sum == f.sum {
		return old, nil // already reported
	}
	p, err := m.build(ctx, f)
	if err != nil {
		m.failed[f.name] = f.sum
		m.loadErrs[f.name] = loadErr{msg: err.Error(), source: f.source}
		kept := "none"
		if old != nil {
			kept = "previous version"
		}
		m.log.Error("wasm plugin failed to load", "plugin", f.name, "file", f.wasmPath, "err", err, "running", kept)
		return old, fmt.Errorf("plugin[%s] load %s: %w", f.name, f.wasmPath, err)
	}
	delete(m.failed, f.name)
	delete(m.loadErrs, f.name)
	return p, nil
}

// build checks f's settings and files and loads it; nil, nil means
// disabled.
func (m *Manager) build(ctx context.Context, f pluginFile) (*Plugin, error) {
	if f.setErr != nil {
		return nil, fmt.Errorf("%s: %w", f.tomlPath, f.setErr)
	}
	set, err := f.set.resolve(m.opts.Defaults, runtime.GOMAXPROCS(0))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.tomlPath, err)
	}
	if !set.enabled {
		return nil, nil
	}
	if err := f.files.err(); err != nil {
		return nil, err
	}
	set.files = f.files.data
	sp := m.spaces[f.name]
	if sp == nil {
		sp = state.New(m.opts.StateLimits)
		if m.opts.Cluster != nil {
			m.opts.Cluster.State(f.name, sp)
		}
		m.spaces[f.name] = sp
	}
	db := m.durable(f.name, set.db)
	p, err := loadPlugin(ctx, m.env, f.name, f.wasmPath, f.wasm, set, sp, db, m.log)
	if err != nil {
		return nil, err
	}
	if db != nil {
		db.SetLimits(set.db)
	}
	m.statsMu.Lock()
	if m.stats[f.name] == nil {
		m.stats[f.name] = &QueryStats{}
	}
	p.stats = m.stats[f.name]
	m.statsMu.Unlock()
	p.sum = f.sum
	p.source = f.source
	return p, nil
}

// durable returns the durable state of plugin name, made with limits the
// first time; nil without a store that keeps plugin state.
func (m *Manager) durable(name string, limits durable.Limits) *durable.Space {
	if m.env.db == nil {
		return nil
	}
	db := m.dbs[name]
	if db == nil {
		db = durable.New(name, m.env.db, limits, m.log)
		if err := db.Load(); err != nil {
			m.log.Warn("plugin state: cannot read its size yet; retrying at the first write", "plugin", name, "err", err)
		}
		if m.opts.Cluster != nil {
			m.opts.Cluster.Durable(name, db)
		}
		m.dbs[name] = db
	}
	return db
}

// FlushState waits until the durable state writes plugin name made before
// the call are committed to the store, or ctx ends. A plugin without
// durable state has nothing to wait for.
func (m *Manager) FlushState(ctx context.Context, name string) error {
	m.mu.Lock()
	db := m.dbs[name]
	m.mu.Unlock()
	if db == nil {
		return nil
	}
	return db.Flush(ctx)
}

// swap installs next as the current plugins and chain, and closes the
// plugins it replaces in the background. It reports whether anything
// changed.
func (m *Manager) swap(next map[string]*Plugin) bool {
	var gone []*Plugin
	for name, p := range m.plugins {
		if next[name] != p {
			gone = append(gone, p)
		}
	}
	if len(gone) == 0 && len(next) == len(m.plugins) && m.holder.Load() != nil {
		return false
	}
	m.plugins = next
	m.holder.Store(m.chain())
	for name, p := range next {
		if m.tickLocks[name] == nil {
			m.tickLocks[name] = &sync.Mutex{}
		}
		p.startTick(m.tickLocks[name])
	}
	for _, p := range gone {
		p.retireTick()
		m.closing.Add(1)
		go func() {
			defer m.closing.Done()
			p.close(m.opts.DrainGrace, false)
		}()
	}
	return true
}

// chain builds the policy chain in the order chainLess gives.
func (m *Manager) chain() *policy.Chain {
	ps := make([]*Plugin, 0, len(m.plugins))
	for _, p := range m.plugins {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, chainLess(m.order))
	entries := make([]policy.Entry, len(ps))
	for i, p := range ps {
		entries[i] = policy.Entry{Policy: p, Mode: p.set.mode, OnErr: p.set.onErr, Kinds: p.set.kinds}
		for h, ks := range p.kinds {
			entries[i].HookKinds[h] = ks
		}
	}
	return policy.NewChain(m.log, entries...)
}

func (m *Manager) logChain(ps map[string]*Plugin) {
	for i, e := range m.holder.Load().Entries() {
		p := ps[e.Policy.Name()]
		var hooks []string
		for _, h := range p.hooks.List() {
			hooks = append(hooks, h.String())
		}
		args := []any{"plugin", p.name, "file", p.file, "position", i, "order", p.set.order,
			"hooks", hooks, "mode", modeName(p.set.mode), "on_error", failName(p.set.onErr),
			"pool", p.set.pool, "timeout", p.set.timeout, "memory_mb", p.set.memPages / 16}
		if len(p.set.files) > 0 {
			args = append(args, "files", slices.Sorted(maps.Keys(p.set.files)))
		}
		m.log.Info("wasm plugin loaded", args...)
	}
	if len(ps) == 0 {
		m.log.Info("wasm plugins: none loaded", "dir", m.opts.Dir)
	}
	m.logMissing(ps)
}

func modeName(md policy.Mode) string {
	if md == policy.Shadow {
		return "shadow"
	}
	return "enforce"
}

func failName(f policy.FailMode) string {
	if f == policy.FailClosed {
		return "closed"
	}
	return "open"
}

// Close unloads every plugin, waiting for calls in flight up to the drain
// grace, and releases the compilation cache. The holder keeps its last
// chain; calls through it then fail with ErrClosed and get each plugin's
// on_error answer.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.routes.Store(nil)
	for _, p := range m.plugins {
		m.closing.Add(1)
		go func() {
			defer m.closing.Done()
			p.close(m.opts.DrainGrace, true)
		}()
	}
	m.plugins = nil
	m.mu.Unlock()
	m.closing.Wait()
	m.closeDurable()
	m.flood.close()
	return m.env.cache.Close(context.Background())
}

// closeTimeout bounds how long Close waits for the plugins' durable state
// writes to be committed.
const closeTimeout = 10 * time.Second

// closeDurable commits the plugins' pending durable state writes, once
// their instances are closed, and stops the flushers. Writes the store
// does not take within closeTimeout are lost, and logged.
func (m *Manager) closeDurable() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, db := range m.dbs {
		wg.Go(func() { db.Close(ctx) })
	}
	wg.Wait()
}

// pluginFile is one NAME.wasm with its optional NAME.toml and the files
// that lists, read whole.
type pluginFile struct {
	name               string
	source             string // SourceLocal or SourcePushed
	wasmPath, tomlPath string
	wasm, toml         []byte
	set                Settings // NAME.toml parsed, if setErr is nil
	setErr             error
	files              listedFiles
	sum                [3][32]byte // of wasm, toml and files
}

// scan reads every NAME.wasm in dir, its NAME.toml and the files that
// lists. A .wasm that vanishes between listing and reading is skipped (it
// is being replaced); a listed file that cannot be read is an error of
// its plugin, reported when it loads.
func scan(dir string) ([]pluginFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []pluginFile
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || name == "" || strings.HasPrefix(name, ".") || e.IsDir() {
			continue
		}
		f := pluginFile{name: name, wasmPath: filepath.Join(dir, e.Name()), tomlPath: filepath.Join(dir, name+".toml")}
		if f.wasm, err = os.ReadFile(f.wasmPath); err != nil {
			continue
		}
		if f.toml, err = os.ReadFile(f.tomlPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		f.sum[0] = sha256.Sum256(f.wasm)
		if f.toml != nil {
			f.sum[1] = sha256.Sum256(f.toml)
			if f.set, f.setErr = ParseSettings(f.toml); f.setErr == nil {
				f.files = readFiles(dir, f.set.Files)
				f.sum[2] = f.files.sum
			}
		}
		out = append(out, f)
	}
	return out, nil
}
