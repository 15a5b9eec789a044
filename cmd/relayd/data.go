package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/host/store/badgerstore"
)

// dataFlags are the flags every data command shares with the relay: where
// the data is, and the config file whose limits apply.
type dataFlags struct {
	data, config *string
}

func addDataFlags(fs *flag.FlagSet) dataFlags {
	return dataFlags{
		data:   fs.String("data", "", "data directory (default: the config's, else ./data)"),
		config: fs.String("config", "", "TOML config file, as the relay's"),
	}
}

// load returns the config the relay would run with: defaults, the file,
// then -data.
func (d dataFlags) load() (config.Config, error) {
	cfg, err := config.Load(*d.config)
	if err != nil {
		return cfg, err
	}
	if *d.data != "" {
		cfg.DataDir = *d.data
	}
	return cfg, cfg.Validate()
}

// newFlags returns the flag set of a data command, printing usage (the
// text, then the flags) on -h.
func newFlags(name, text string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("relayd "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), text, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseData parses a data command's arguments and loads its config. On a
// usage error it returns the exit code to use (0 for -h).
func parseData(fs *flag.FlagSet, df dataFlags, args []string, stdout, stderr io.Writer) (config.Config, []string, int, bool) {
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return config.Config{}, nil, 0, false
	}
	if err != nil {
		return config.Config{}, nil, 2, false
	}
	cfg, err := df.load()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return cfg, nil, 2, false
	}
	return cfg, pos, 0, true
}

// dataLogger logs warnings and errors (badger's, the plugins') to stderr.
func dataLogger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openData opens the data dir for a data command, or explains in one line
// why it cannot: a running relayd holds badger's lock. alt is the way to
// do it through the running relay, if there is one.
func openData(ctx context.Context, name string, cfg config.Config, stderr io.Writer, opts server.DataOptions, alt string) (*server.Data, bool) {
	d, err := server.OpenData(ctx, cfg, dataLogger(stderr), opts)
	if errors.Is(err, badgerstore.ErrLocked) {
		msg := fmt.Sprintf("relayd %s: the data dir %s is in use by another relayd (%v); stop it first", name, cfg.DataDir, lockHolder(err))
		if alt != "" {
			msg += ", or go through the running relay: " + alt
		}
		fmt.Fprintln(stderr, msg)
		return nil, false
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayd %s: %v\n", name, err)
		return nil, false
	}
	return d, true
}

// lockHolder is the "(pid N)" part of a lock error, or "another process".
func lockHolder(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "(pid "); i >= 0 {
		return strings.Trim(s[i:], "()")
	}
	return "another process"
}

// relayURL is the websocket URL of the relay cfg describes, as seen from
// this machine.
func relayURL(cfg config.Config) string {
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "ws://" + cfg.Listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "ws://" + net.JoinHostPort(host, port)
}

// interruptible returns a context that SIGINT and SIGTERM cancel once; the
// second signal gets the default action (the process ends, the store is
// still consistent: badger replays its log).
func interruptible() (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// parseFilter parses a NIP-01 filter with the relay's own REQ parser, so
// that it means what it would mean in a REQ. Empty means every event.
func parseFilter(s string) (nostr.Filter, error) {
	if s == "" {
		return nostr.Filter{}, nil
	}
	m, err := envelope.Parse([]byte(`["REQ","filter",`+s+`]`), envelope.Limits{})
	if err != nil {
		var e *envelope.Error
		if errors.As(err, &e) {
			return nostr.Filter{}, fmt.Errorf("-filter: %s", e.Reason)
		}
		return nostr.Filter{}, fmt.Errorf("-filter: %w", err)
	}
	if len(m.Filters) != 1 {
		return nostr.Filter{}, errors.New("-filter: want one filter object")
	}
	if m.Filters[0].Search != "" {
		return nostr.Filter{}, errors.New("-filter: search (NIP-50) is not supported")
	}
	return m.Filters[0], nil
}

// openInput opens FILE, or stdin for "-" or no argument. size is the
// file's size, 0 when unknown.
func openInput(pos []string) (r io.Reader, name string, size int64, closeFn func(), err error) {
	if len(pos) == 0 || pos[0] == "-" {
		return stdin, "-", 0, func() {}, nil
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return nil, "", 0, nil, err
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, pos[0], size, func() { f.Close() }, nil
}

// openOutput creates FILE, or uses stdout for "-" or no argument.
func openOutput(pos []string, stdout io.Writer) (w io.Writer, name string, closeFn func() error, err error) {
	if len(pos) == 0 || pos[0] == "-" {
		return stdout, "-", func() error { return nil }, nil
	}
	f, err := os.Create(pos[0])
	if err != nil {
		return nil, "", nil, err
	}
	return f, pos[0], f.Close, nil
}
