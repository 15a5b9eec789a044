package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/wasmhost"
)

// pluginWaitPoll is how often -wait reads the nodes bucket.
const pluginWaitPoll = 200 * time.Millisecond

// clusterFlags are the flags that say which cluster a plugin command
// talks to.
type clusterFlags struct {
	nats, config, stream *string
	replicas             *int
	timeout              *time.Duration
}

func addClusterFlags(fs *flag.FlagSet) clusterFlags {
	return clusterFlags{
		nats:     fs.String("nats", "", "NATS URL of the cluster (one, or a comma-separated list)"),
		config:   fs.String("config", "", "relayd.toml whose [cluster] table names the cluster (instead of -nats)"),
		stream:   fs.String("stream", "", "the cluster's stream name (default: the config's, else "+config.DefaultClusterStream+")"),
		replicas: fs.Int("replicas", 0, "replicas of the plugins' object store if this command creates it (default: the config's, else 1)"),
		timeout:  fs.Duration("timeout", 30*time.Second, "give up after this long (connecting and each step)"),
	}
}

// cluster returns the [cluster] table to connect with: the config's (an
// embedded server is reached on its listen address), with -nats, -stream
// and -replicas over it.
func (f clusterFlags) cluster() (config.Cluster, error) {
	var cc config.Cluster
	if *f.config != "" {
		cfg, err := config.Load(*f.config)
		if err != nil {
			return cc, err
		}
		cc = cfg.Cluster.WithDefaults()
		if cc.Embedded && cc.NATSURL == "" {
			cc.NATSURL = "nats://" + cc.Listen
		}
		cc.Embedded = false
	}
	if *f.nats != "" {
		cc.NATSURL = *f.nats
	}
	if *f.stream != "" {
		cc.Stream = *f.stream
	}
	if *f.replicas != 0 {
		cc.Replicas = *f.replicas
	}
	if cc.NATSURL == "" {
		return cc, errors.New("want -nats URL, or -config FILE with a [cluster] table")
	}
	host, _ := os.Hostname()
	cc.Node = "relayd-plugin-" + host
	return cc, nil
}

// connect connects to the cluster, waiting at most -timeout.
func (f clusterFlags) connect(ctx context.Context) (*cluster.Conn, error) {
	cc, err := f.cluster()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, *f.timeout)
	defer cancel()
	return cluster.Connect(ctx, cluster.Options{Config: cc})
}

// clusterCommand is what push, rm and ls share: flag parsing (-h exits
// 0), the interrupt, and the connection.
func clusterCommand(name, usage string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (clusterFlags, []string, int, bool) {
	fs := newFlags("plugin "+name, usage, stderr)
	cf := addClusterFlags(fs)
	extra(fs)
	pos, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return cf, nil, 0, false
	}
	if err != nil {
		return cf, nil, 2, false
	}
	return cf, pos, 0, true
}

const pluginPushUsage = `usage: relayd plugin push (-nats URL | -config FILE) [-wait D] NAME.wasm [NAME.toml]

Checks the plugin as "relayd plugin check" does and, if it would load,
stores it (with NAME.toml: the one given, else the one beside the .wasm)
in the cluster's object store; every node then loads it beside the
plugins of its plugin directory, or keeps its previous version and says
why if it fails to load there. Prints the sha256 of the .wasm. With
-wait, waits until every node in the nodes bucket runs that sha256 and
exits 1 if one reports it failed (with why) or D passes.

A pushed plugin carries NAME.wasm and NAME.toml only: settings that list
files are refused. A local plugin of the same name wins on a node.
`

// pluginPush runs `relayd plugin push`.
func pluginPush(args []string, stdout, stderr io.Writer) int {
	var wait *time.Duration
	cf, pos, code, ok := clusterCommand("push", pluginPushUsage, args, stderr, func(fs *flag.FlagSet) {
		wait = fs.Duration("wait", 0, "wait until every node runs the pushed version, at most this long (0: do not wait)")
	})
	if !ok {
		return code
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr(stderr, "push", "want NAME.wasm [NAME.toml]")
	}
	toml := ""
	if len(pos) == 2 {
		toml = pos[1]
	}
	p, err := checkForPush(pos[0], toml, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin push: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	conn, err := cf.connect(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin push: %v\n", err)
		return 1
	}
	defer conn.Close()
	opCtx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	sum, err := conn.PushPlugin(opCtx, p.Name, p.Wasm, p.TOML, pushedBy())
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin push: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "pushed %s sha256 %s (%d bytes) to %s\n", p.Name, sum, len(p.Wasm), conn.Bucket(cluster.PluginsBucket))
	if *wait <= 0 {
		return 0
	}
	return waitNodes(ctx, conn, *wait, stdout, stderr, "push", func(n cluster.NodeInfo) (bool, string) {
		for _, np := range n.Plugins {
			if np.Name != p.Name {
				continue
			}
			if np.Failed == sum {
				return true, fmt.Sprintf("failed to load %s (running %s): %s", short(sum), orNone(short(np.SHA256)), np.Error)
			}
			return np.SHA256 == sum && np.Source == wasmhost.SourcePushed, ""
		}
		return false, ""
	})
}

// checkForPush reads the plugin at wasmPath with its settings (tomlPath,
// else NAME.toml beside it) and checks it as `relayd plugin check` does;
// a plugin that would not load, or whose settings list files, is refused
// with the problems printed to stderr.
func checkForPush(wasmPath, tomlPath string, stderr io.Writer) (cluster.PushedPlugin, error) {
	var p cluster.PushedPlugin
	staged, settings, cleanup, err := stage(wasmPath, tomlPath)
	if err != nil {
		return p, err
	}
	defer cleanup()
	p.Name = strings.TrimSuffix(filepath.Base(wasmPath), ".wasm")
	if !cluster.ValidPluginName(p.Name) {
		return p, fmt.Errorf("plugin name %q: want letters, digits, '-' and '_' (at most 64)", p.Name)
	}
	if p.Wasm, err = os.ReadFile(staged); err != nil {
		return p, err
	}
	if settings != "" {
		if p.TOML, err = os.ReadFile(settings); err != nil {
			return p, err
		}
		if set, err := wasmhost.ParseSettings(p.TOML); err == nil && len(set.Files) > 0 {
			return p, fmt.Errorf("%s lists files (%s): a pushed plugin carries NAME.wasm and NAME.toml only", settings, strings.Join(set.Files, ", "))
		}
	}
	rep, err := wasmhost.Check(context.Background(), staged)
	if err != nil {
		return p, err
	}
	if !rep.OK() {
		for _, pr := range rep.Problems {
			pr = strings.ReplaceAll(pr, strings.TrimSuffix(staged, ".wasm")+".toml", settings)
			fmt.Fprintf(stderr, "  %s\n", strings.ReplaceAll(pr, staged, wasmPath))
		}
		return p, fmt.Errorf("%s would not load (relayd plugin check says why): not pushed", wasmPath)
	}
	return p, nil
}

// pushedBy names who pushes: user@host.
func pushedBy() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

const pluginRmUsage = `usage: relayd plugin rm (-nats URL | -config FILE) [-wait D] NAME

Removes the pushed plugin NAME from the cluster's object store: every node
unloads it (a local plugin of the same name is not touched). With -wait,
waits until no node runs it as a pushed plugin, at most D.
`

// pluginRm runs `relayd plugin rm`.
func pluginRm(args []string, stdout, stderr io.Writer) int {
	var wait *time.Duration
	cf, pos, code, ok := clusterCommand("rm", pluginRmUsage, args, stderr, func(fs *flag.FlagSet) {
		wait = fs.Duration("wait", 0, "wait until no node runs the plugin, at most this long (0: do not wait)")
	})
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageErr(stderr, "rm", "want one NAME")
	}
	name := strings.TrimSuffix(pos[0], ".wasm")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	conn, err := cf.connect(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin rm: %v\n", err)
		return 1
	}
	defer conn.Close()
	opCtx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	if err := conn.RemovePlugin(opCtx, name); err != nil {
		fmt.Fprintf(stderr, "relayd plugin rm: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "removed %s from %s\n", name, conn.Bucket(cluster.PluginsBucket))
	if *wait <= 0 {
		return 0
	}
	return waitNodes(ctx, conn, *wait, stdout, stderr, "rm", func(n cluster.NodeInfo) (bool, string) {
		for _, np := range n.Plugins {
			if np.Name == name && np.Source == wasmhost.SourcePushed && np.SHA256 != "" {
				return false, ""
			}
		}
		return true, ""
	})
}

// waitNodes polls the nodes bucket until done is true for every node, or
// one reports a failure, or wait passes. It prints each node's state as
// it settles.
func waitNodes(ctx context.Context, conn *cluster.Conn, wait time.Duration, stdout, stderr io.Writer, cmd string,
	done func(cluster.NodeInfo) (bool, string)) int {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	printed, seen := map[string]bool{}, map[string]bool{}
	for {
		nodes, err := conn.Nodes(ctx)
		if err == nil && len(nodes) == 0 {
			err = errors.New("no node in the nodes bucket")
		}
		if err == nil {
			all, failed := true, false
			listed := map[string]bool{}
			for _, n := range nodes {
				seen[n.Node], listed[n.Node] = true, true
			}
			for n := range seen {
				all = all && listed[n] // a node seen before must answer again
			}
			for _, n := range nodes {
				ok, why := done(n)
				switch {
				case why != "":
					fmt.Fprintf(stderr, "relayd plugin %s: node %s: %s\n", cmd, n.Node, why)
					failed = true
				case ok && !printed[n.Node]:
					fmt.Fprintf(stdout, "node %s: done\n", n.Node)
					printed[n.Node] = true
				case !ok:
					all = false
				}
			}
			if failed {
				return 1
			}
			if all {
				return 0
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			fmt.Fprintf(stderr, "relayd plugin %s: not every node done within %v: %v (relayd plugin ls shows what each runs)\n", cmd, wait, err)
			return 1
		case <-time.After(pluginWaitPoll):
		}
	}
}

const pluginLsUsage = `usage: relayd plugin ls (-nats URL | -config FILE) [-json]

Lists the plugins pushed to the cluster, then what each node runs: every
plugin of its chain with the sha256 of its .wasm (12 digits; -json gives
all 64) and its source, local (the node's plugin directory) or pushed,
and any version that failed to load there, with why.
`

// lsJSON is `relayd plugin ls -json`.
type lsJSON struct {
	Pushed []cluster.PushedPlugin `json:"pushed"`
	Nodes  []cluster.NodeInfo     `json:"nodes"`
}

// pluginLs runs `relayd plugin ls`.
func pluginLs(args []string, stdout, stderr io.Writer) int {
	var asJSON *bool
	cf, pos, code, ok := clusterCommand("ls", pluginLsUsage, args, stderr, func(fs *flag.FlagSet) {
		asJSON = fs.Bool("json", false, "print as JSON")
	})
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return usageErr(stderr, "ls", "takes no arguments")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	conn, err := cf.connect(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin ls: %v\n", err)
		return 1
	}
	defer conn.Close()
	opCtx, cancel := context.WithTimeout(ctx, *cf.timeout)
	defer cancel()
	var out lsJSON
	if out.Pushed, err = conn.ListPlugins(opCtx); err == nil {
		out.Nodes, err = conn.Nodes(opCtx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin ls: %v\n", err)
		return 1
	}
	if *asJSON {
		if out.Pushed == nil {
			out.Pushed = []cluster.PushedPlugin{}
		}
		if out.Nodes == nil {
			out.Nodes = []cluster.NodeInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	printLs(stdout, out)
	return 0
}

func printLs(w io.Writer, ls lsJSON) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PUSHED\tSHA256\tSIZE\tPUSHED BY\tAT")
	for _, p := range ls.Pushed {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", p.Name, short(p.SHA256), p.Size, p.PushedBy, p.Pushed.Format(time.RFC3339))
	}
	if len(ls.Pushed) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t\t")
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tPLUGIN\tSHA256\tSOURCE\tSTATUS")
	for _, n := range ls.Nodes {
		if len(n.Plugins) == 0 {
			fmt.Fprintf(tw, "%s\t(none)\t\t\t\n", n.Node)
		}
		for _, p := range n.Plugins {
			status := "ok"
			if p.Failed != "" {
				status = "failed " + short(p.Failed) + ": " + p.Error
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Node, p.Name, orNone(short(p.SHA256)), p.Source, status)
		}
	}
	tw.Flush()
}

// short is the first 12 hex digits of a sha256.
func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
