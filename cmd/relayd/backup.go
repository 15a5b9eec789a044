package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/relayd/relayd/host/server"
)

const backupUsage = `usage: relayd backup [flags] [FILE|-]

Writes a copy of the whole store to FILE or stdout: badger's own dump of
every key, from one snapshot, between a header and a checksum. Unlike
export it keeps everything the store holds: NIP-09 deletion records (also
those whose deletion event is gone), expired events not yet removed, the
serial counter, and whatever else lives in the store. It does not hold the
wasm cache (rebuilt at start), the config or the plugins: copy those as
files. FILE is written beside itself and renamed into place when complete.

Like the other data commands it opens the data dir, so stop relayd first
(systemctl stop relayd; relayd backup ...; systemctl start relayd), or take
a filesystem snapshot of the data dir instead.
`

const restoreUsage = `usage: relayd restore [flags] FILE|-

Makes the store of the data dir (-data, or the config's) from a backup
written by relayd backup. The data dir must have no store yet: restore
into a new data dir, then point relayd at it (or move it in place). The
backup is checked whole (its checksum, then the store's own event count);
a refused restore leaves nothing behind.
`

// backupCommand runs `relayd backup`.
func backupCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup", backupUsage, stderr)
	df := addDataFlags(fs)
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "relayd backup: want at most one FILE")
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	d, ok := openData(ctx, "backup", cfg, stderr, server.DataOptions{}, "")
	if !ok {
		return 1
	}
	defer d.Close()
	out, name, commit, err := createAtomic(pos, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "relayd backup: %v\n", err)
		return 1
	}
	w := bufio.NewWriterSize(out, 1<<20)
	n, err := d.Store.Backup(ctx, w)
	if err == nil {
		err = w.Flush()
	}
	if err = commit(err); err != nil {
		fmt.Fprintf(stderr, "relayd backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "relayd backup: %s of %s written to %s\n", size(n), cfg.DataDir, name)
	return 0
}

// createAtomic opens FILE.tmp (or stdout for "-" or no argument); commit
// syncs it and renames it to FILE when err is nil, and removes it
// otherwise, returning the first error.
func createAtomic(pos []string, stdout io.Writer) (w io.Writer, name string, commit func(error) error, err error) {
	if len(pos) == 0 || pos[0] == "-" {
		return stdout, "-", func(err error) error { return err }, nil
	}
	name = pos[0]
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, "", nil, err
	}
	return f, name, func(err error) error {
		if err == nil {
			err = f.Sync()
		}
		err = errors.Join(err, f.Close())
		if err == nil {
			err = os.Rename(tmp, name)
		}
		if err != nil {
			os.Remove(tmp)
		}
		return err
	}, nil
}

// restoreCommand runs `relayd restore`.
func restoreCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore", restoreUsage, stderr)
	df := addDataFlags(fs)
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "relayd restore: want one FILE (- for stdin)")
		return 2
	}
	in, name, _, closeIn, err := openInput(pos)
	if err != nil {
		fmt.Fprintf(stderr, "relayd restore: %v\n", err)
		return 1
	}
	defer closeIn()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		fmt.Fprintf(stderr, "relayd restore: %v\n", err)
		return 1
	}
	if err := server.Restore(cfg, dataLogger(stderr), in); err != nil {
		fmt.Fprintf(stderr, "relayd restore: %s: %v\n", name, err)
		return 1
	}
	fmt.Fprintf(stderr, "relayd restore: %s restored into %s\n", name, filepath.Join(cfg.DataDir, "events"))
	return 0
}
