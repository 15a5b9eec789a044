package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/sdk/nip19"
)

const adminUsage = `usage: relayd admin -url URL [-key-file FILE] [-json] METHOD [ARGS...]

Calls the NIP-86 management API of a running relay, signed (NIP-98) with
the admin key from -key-file, else from the environment variable
RELAYD_ADMIN_KEY (64 hex digits or an nsec). The key's pubkey must be in
the relay's admin_pubkeys. Flags come before METHOD.

An argument that is a JSON object or array, true, false, null or an
integer is sent as JSON; any other as a string. Lists print as a table,
objects as "key: value" lines, true as "ok"; -json prints the result as
the relay sent it.

Examples:
  relayd admin -url wss://relay.example.com supportedmethods
  relayd admin -url wss://relay.example.com banevent EVENT_ID "illegal content"
  relayd admin -url wss://relay.example.com banpubkey PUBKEY spam '{"purge": true}'
  relayd admin -url wss://relay.example.com listbannedpubkeys
  relayd admin -url wss://relay.example.com changerelayname "My relay"
  relayd admin -url wss://relay.example.com stats
`

// adminCommand runs `relayd admin`.
func adminCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("admin", adminUsage, stderr)
	url := fs.String("url", "", "the relay's URL (ws://, wss://, http:// or https://)")
	keyFile := fs.String("key-file", "", "file holding the admin's secret key (hex or nsec); default $RELAYD_ADMIN_KEY")
	raw := fs.Bool("json", false, "print the result as JSON, as the relay sent it")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *url == "" || fs.NArg() == 0 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	sk, err := adminKey(*keyFile)
	if err != nil {
		fmt.Fprintf(stderr, "relayd admin: %v\n", err)
		return 2
	}
	method, params := fs.Arg(0), adminParams(fs.Args()[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := (&manage.Client{URL: *url, SecretKey: sk}).Call(ctx, method, params)
	if err != nil {
		fmt.Fprintf(stderr, "relayd admin: %s\n", adminError(method, sk, err))
		return 1
	}
	if *raw {
		fmt.Fprintf(stdout, "%s\n", res)
		return 0
	}
	if err := printResult(stdout, res); err != nil {
		fmt.Fprintf(stderr, "relayd admin: %v\n", err)
		return 1
	}
	return 0
}

// adminKey reads the secret key from file, else $RELAYD_ADMIN_KEY, as
// hex.
func adminKey(file string) (string, error) {
	v, from := os.Getenv("RELAYD_ADMIN_KEY"), "RELAYD_ADMIN_KEY"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("key file: %w", err)
		}
		v, from = string(b), file
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("no admin key: give -key-file FILE or set RELAYD_ADMIN_KEY (64 hex digits or an nsec)")
	}
	if b, err := nip19.DecodeNsec(v); err == nil {
		return hex.EncodeToString(b), nil
	}
	if b, err := hex.DecodeString(v); err == nil && len(b) == 32 {
		return strings.ToLower(v), nil
	}
	return "", fmt.Errorf("the admin key in %s is not 64 hex digits or an nsec", from)
}

// integer is an argument sent as a JSON number.
var integer = regexp.MustCompile(`^-?[0-9]{1,15}$`)

// adminParams turns the arguments into params: JSON objects, arrays,
// literals and integers as JSON, the rest as strings.
func adminParams(args []string) []any {
	out := make([]any, 0, len(args))
	for _, a := range args {
		t := strings.TrimSpace(a)
		isJSON := integer.MatchString(t) || t == "true" || t == "false" || t == "null" ||
			strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[")
		if isJSON && json.Valid([]byte(t)) {
			out = append(out, json.RawMessage(t))
			continue
		}
		out = append(out, a)
	}
	return out
}

// adminError says what went wrong, with the way out for a refusal.
func adminError(method, sk string, err error) string {
	var rpc *manage.RPCError
	switch {
	case errors.Is(err, manage.ErrUnauthorised):
		pk, _ := nostr.GetPublicKey(sk)
		return fmt.Sprintf("not authorised: is your pubkey in admin_pubkeys? (yours is %s; -url must also be the URL "+
			"the relay knows itself by, its relay_url if set, and its clock within a minute of this one's)", pk)
	case errors.As(err, &rpc):
		return method + ": " + rpc.Message
	}
	return err.Error()
}

// printResult prints a result for a person: a list of objects as a
// table, other lists one item a line, an object as sorted "key: value"
// lines, true as "ok", anything else as JSON.
func printResult(w io.Writer, res json.RawMessage) error {
	var v any
	d := json.NewDecoder(bytes.NewReader(res))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return fmt.Errorf("the relay's result is not JSON: %w", err)
	}
	switch x := v.(type) {
	case []any:
		printList(w, x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s:\t%s\n", k, plain(x[k]))
		}
		tw.Flush()
	case bool:
		if x {
			fmt.Fprintln(w, "ok")
		} else {
			fmt.Fprintln(w, "false")
		}
	default:
		fmt.Fprintln(w, plain(v))
	}
	return nil
}

// printList prints a list: objects as a table with a header of their
// keys (the first object's, an id-like key first), others one a line.
func printList(w io.Writer, list []any) {
	var cols []string
	for _, item := range list {
		if m, ok := item.(map[string]any); ok {
			for k := range m {
				if !slices.Contains(cols, k) {
					cols = append(cols, k)
				}
			}
		}
	}
	if len(cols) == 0 {
		for _, item := range list {
			fmt.Fprintln(w, plain(item))
		}
		return
	}
	sort.Slice(cols, func(i, j int) bool {
		if ri, rj := colRank(cols[i]), colRank(cols[j]); ri != rj {
			return ri < rj
		}
		return cols[i] < cols[j]
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, item := range list {
		m, _ := item.(map[string]any)
		row := make([]string, len(cols))
		for i, c := range cols {
			row[i] = plain(m[c])
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

// colRank puts the keys NIP-86 lists lead with first and reason last.
func colRank(k string) int {
	switch k {
	case "id", "pubkey", "kind", "ip":
		return 0
	case "reason":
		return 2
	}
	return 1
}

// plain formats a JSON value for a table cell: strings bare, the rest as
// JSON.
func plain(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	}
	b, _ := json.Marshal(v)
	return string(b)
}
