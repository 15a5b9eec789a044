package main

import (
	"fmt"
	"io"
)

const usage = `usage: relayd [flags]                serve the relay
       relayd <command> [arguments]

Commands:
  import    import events from JSONL (a file or stdin) into the data dir,
            with the relay's checks and, with -plugins, its policies
  export    write stored events as JSONL, byte-identical to what REQ serves
  delete    delete the events matching a filter, with every index entry
  stats     events by kind and age, authors, bytes on disk
  compact   reclaim the space of deleted and replaced events
  fsck      check the store's events and indexes; -repair rebuilds them
  sync      sync with another relay by negentropy (NIP-77): download what
            is missing here, upload what it lacks, or both
  backup    write a copy of the whole store (badger's dump, checksummed)
  restore   make a new data dir's store from a backup
  plugin    tools for plugin authors: check, test, bench, new, sdk;
            on a cluster: push, ls, rm
  admin     call a running relay's management API (NIP-86): ban events
            and pubkeys, rename the relay, stats
  check-config FILE
            validate a relayd.toml without starting (exit 1 and the key
            at fault if it is wrong)
  help      this text; "relayd help COMMAND" for a command's flags

The data commands take -data DIR and -config FILE like the relay and open
the data dir themselves: stop relayd first, or use -url ws://... for import
and export against the running relay ([[sync]] peers in its config sync it). Run "relayd COMMAND -h" for details.

Flags of the relay:
  -listen ADDR    address to listen on (default 127.0.0.1:7447)
  -data DIR       data directory: badger store, wasm cache (default ./data)
  -plugins DIR    plugin directory (NAME.wasm with optional NAME.toml)
  -config FILE    TOML config file; flags override it, also when SIGHUP or
                  a change of the file reloads it
  -version        print the version and exit
`

// command is one `relayd COMMAND`: it gets the arguments after the name
// and returns the exit code (0 success, 1 failure, 2 bad usage, 130
// interrupted).
type command func(args []string, stdout, stderr io.Writer) int

// commands are relayd's subcommands, by name.
func commands() map[string]command {
	return map[string]command{
		"import":  importCommand,
		"export":  exportCommand,
		"delete":  deleteCommand,
		"stats":   statsCommand,
		"compact": compactCommand,
		"fsck":    fsckCommand,
		"sync":    syncCommand,
		"backup":  backupCommand,
		"restore": restoreCommand,
		"plugin":  pluginCommand,
		"admin":   adminCommand,

		"check-config": checkConfigCommand,
	}
}

// dispatch runs a subcommand, help or -version; handled is false when
// args are the relay's own flags.
func dispatch(args []string, stdout, stderr io.Writer) (code int, handled bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			if cmd, ok := commands()[args[1]]; ok {
				return cmd([]string{"-h"}, stdout, stderr), true
			}
		}
		fmt.Fprint(stdout, usage)
		return 0, true
	case "-version", "--version", "version":
		fmt.Fprintln(stdout, "relayd", version())
		return 0, true
	}
	if cmd, ok := commands()[args[0]]; ok {
		return cmd(args[1:], stdout, stderr), true
	}
	return 0, false
}
