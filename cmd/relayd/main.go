// Command relayd is a Nostr relay whose policies are WebAssembly plugins.
//
//	relayd [-listen ADDR] [-data DIR] [-plugins DIR] [-config FILE]
//
// Flags override the config file, which overrides the built-in defaults.
// SIGINT and SIGTERM shut down gracefully (queues flushed for a bounded
// time, the store closed cleanly); SIGHUP reloads the plugins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store/badgerstore"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "plugin" {
		return pluginCommand(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "relayd:", err)
		return 2
	}
	log := newLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, log, nil); err != nil {
		log.Error("relayd stopped", "err", err)
		return 1
	}
	return 0
}

// parseFlags loads -config and applies the flags that were set over it.
func parseFlags(args []string, stderr io.Writer) (config.Config, error) {
	fs := flag.NewFlagSet("relayd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := config.Default()
	listen := fs.String("listen", def.Listen, "address to listen on")
	data := fs.String("data", def.DataDir, "data directory (badger store, wasm cache)")
	plugins := fs.String("plugins", "", "plugin directory (NAME.wasm with optional NAME.toml)")
	file := fs.String("config", "", "TOML config file")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return cfg, err
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = *listen
		case "data":
			cfg.DataDir = *data
		case "plugins":
			cfg.PluginDir = *plugins
		}
	})
	return cfg, cfg.Validate()
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// serve runs the relay until ctx ends. ready, if not nil, receives the
// listening address once the relay accepts connections.
func serve(ctx context.Context, cfg config.Config, log *slog.Logger, ready chan<- string) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := badgerstore.Open(filepath.Join(cfg.DataDir, "events"), badgerstore.Options{
		Logger:       log,
		MaxEventSize: cfg.MaxMessageBytes,
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", "err", err)
		}
	}()
	holder := &policy.Holder{}
	plugins, err := startPlugins(ctx, cfg, log, st, holder)
	if err != nil {
		return err
	}
	defer plugins.close()

	r, err := relay.New(relayOptions(cfg, log), st, holder)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 1)
	go func() { errc <- r.Serve(ln) }()
	log.Info("relayd listening", "addr", ln.Addr().String(), "data", cfg.DataDir, "plugins", cfg.PluginDir)
	if cfg.DebugListen != "" {
		go serveDebug(cfg.DebugListen, log)
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	}
	log.Info("shutting down", "flush_timeout", cfg.ShutdownTimeout.Duration)
	ln.Close() // stop accepting; upgraded connections are the relay's
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout.Duration)
	defer cancel()
	if err := r.Shutdown(sctx); err != nil {
		log.Warn("some connections did not flush in time", "err", err)
	}
	return nil
}

func relayOptions(cfg config.Config, log *slog.Logger) relay.Options {
	return relay.Options{
		RelayURL: cfg.RelayURL, TrustProxy: cfg.TrustProxy,
		Name: cfg.Name, Description: cfg.Description, Pubkey: cfg.Pubkey, Contact: cfg.Contact, Icon: cfg.Icon,
		Version:             version(),
		MaxMessageBytes:     cfg.MaxMessageBytes,
		MaxContentBytes:     cfg.MaxContentBytes,
		MaxSubscriptions:    cfg.MaxSubscriptions,
		MaxFilters:          cfg.MaxFilters,
		MaxFilterValues:     cfg.MaxFilterValues,
		MaxLimit:            cfg.MaxLimit,
		DefaultLimit:        cfg.DefaultLimit,
		MaxSubIDLength:      cfg.MaxSubIDLength,
		MaxEventTags:        cfg.MaxEventTags,
		CreatedAtLowerLimit: cfg.CreatedAtLowerLimit,
		CreatedAtUpperLimit: cfg.CreatedAtUpperLimit,
		AuthRequired:        cfg.AuthRequired,
		MaxConnections:      cfg.MaxConnections,
		QueueBytes:          cfg.QueueBytes,
		WriteTimeout:        cfg.WriteTimeout.Duration,
		PingInterval:        cfg.PingInterval.Duration,
		IdleTimeout:         cfg.IdleTimeout.Duration,
		ExpireInterval:      cfg.ExpireInterval.Duration,
		Logger:              log,
	}
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "0.1.0-dev"
}

// serveDebug serves Go's pprof handlers on a separate, operator-only address.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("debug server listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Warn("debug server stopped", "err", err)
	}
}
