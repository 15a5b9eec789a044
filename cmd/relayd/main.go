// Command relayd is a Nostr relay whose policies are WebAssembly plugins.
//
//	relayd [-listen ADDR] [-data DIR] [-plugins DIR] [-config FILE] [-accept-store-rollback]
//	relayd import|export|delete|stats|compact|fsck [-data DIR] [-config FILE] ...
//	relayd plugin check|test|bench|new|sdk ...
//	relayd help [COMMAND] | -version
//
// Flags override the config file, which overrides the built-in defaults.
// SIGINT and SIGTERM shut down gracefully (queues flushed for a bounded
// time, the store closed cleanly); SIGHUP reloads the config file (the
// flags stay over it) and the plugins, and a change of the config file
// reloads it too. "relayd check-config FILE" validates a config file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if code, handled := dispatch(args, stdout, stderr); handled {
		return code
	}
	cfg, src, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "relayd:", err)
		return 2
	}
	level := new(slog.LevelVar)
	level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	hooks := server.Hooks{Reload: reload, Config: &src, LogLevel: level, Version: version()}
	if err := server.Run(ctx, cfg, log, hooks); err != nil {
		log.Error("relayd stopped", "err", err)
		return 1
	}
	return 0
}

// parseFlags loads -config and applies the flags that were set over it.
// The source it returns does the same again at each reload.
func parseFlags(args []string, stderr io.Writer) (config.Config, config.Source, error) {
	fs := flag.NewFlagSet("relayd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := config.Default()
	listen := fs.String("listen", def.Listen, "address to listen on")
	data := fs.String("data", def.DataDir, "data directory (badger store, wasm cache)")
	plugins := fs.String("plugins", "", "plugin directory (NAME.wasm with optional NAME.toml)")
	file := fs.String("config", "", "TOML config file")
	for _, name := range []string{"trust_proxy", "trust-proxy"} {
		fs.BoolFunc(name, "removed: set trusted_proxies in the config file", func(string) error { return config.ErrTrustProxy })
	}
	rollback := fs.Bool("accept-store-rollback", false,
		"start on a store that has gone backwards against its rollback record (lost or replaced files), serving it as it is")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, config.Source{}, err
	}
	if fs.NArg() > 0 {
		return config.Config{}, config.Source{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	src := config.Source{Path: *file, Flags: func(cfg *config.Config) {
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "listen":
				cfg.Listen = *listen
			case "data":
				cfg.DataDir = *data
			case "plugins":
				cfg.PluginDir = *plugins
			case "accept-store-rollback":
				cfg.AcceptStoreRollback = *rollback
			}
		})
	}}
	cfg, err := src.Load()
	return cfg, src, err
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "0.1.0-dev"
}
