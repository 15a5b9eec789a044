// Command tck is the Go SDK's TCK plugin: it runs the command each hook call
// carries with the Go SDK, as sdk/tck/README.md specifies, so that the
// conformance kit checks the SDK against ABI.md. Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o tck.wasm ./tck/go
package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/db"
)

func init() {
	sdk.OnInit(setup)
	sdk.OnConnect(func(s sdk.Session) sdk.Verdict { return run(s.Header("x-tck"), call{s: s}) })
	sdk.OnEventPre(onEvent)
	sdk.OnEvent(onEvent)
	sdk.OnAuth(onEvent)
	sdk.OnDeliver(onEvent)
	sdk.OnReq(onReq)
	sdk.OnCount(onReq)
	sdk.OnClose(func(s sdk.Session) { run(s.Header("x-tck"), call{s: s}) })
	sdk.OnLimitation(func() map[string]any { return map[string]any{"tck": 1} })
	sdk.OnManage("tck", manage)
}

// manage serves the method tck: its first param is a command
// (sdk/tck/README.md, "Management").
func manage(p sdk.Params) ([]byte, error) {
	cmd, ok := p.String(0)
	if !ok {
		return nil, errors.New("want one string param")
	}
	op, rest, _ := strings.Cut(cmd, " ")
	switch op {
	case "result":
		return []byte(rest), nil
	case "refuse":
		return nil, errors.New(rest)
	case "params":
		return append([]byte(nil), p.Raw()...), nil
	}
	return nil, errors.New("unknown command")
}

func setup() error {
	var cfg struct {
		InitFail string `json:"init_fail"`
		Tick     bool   `json:"tick"`
	}
	if err := config.Decode(&cfg); err != nil {
		return err
	}
	if cfg.InitFail != "" {
		return errors.New(cfg.InitFail)
	}
	if cfg.Tick {
		sdk.OnTick(func() error {
			_, err := sdk.CounterAdd("tck-ticks", 1, 0)
			return err
		})
	}
	return nil
}

func onEvent(e sdk.Event) sdk.Verdict { return run(e.Content(), call{s: e.Session(), e: &e}) }

func onReq(r sdk.Req) sdk.Verdict { return run(r.SubID(), call{s: r.Session(), r: &r}) }

// call is the input of one hook call: the session, and the event or the
// request if the hook has one.
type call struct {
	s sdk.Session
	e *sdk.Event
	r *sdk.Req
}

// arity is the number of arguments of each operation; the last one is the
// rest of the command.
var arity = map[string]int{
	"accept": 0, "shadow": 0, "panic": 0, "now": 0, "db-usage": 0,
	"reject": 2, "ratelimit": 1, "rewrite": 1, "get": 1, "tag": 1, "tagvalue": 1, "header": 1, "file": 1,
	"config-ints": 1, "feature": 1, "log": 2, "counter-add": 2, "counter-get": 1, "take": 4,
	"kv-set": 2, "kv-get": 1, "kv-cas": 3, "kv-del": 1, "db-put": 2, "db-new": 2, "db-get": 1,
	"db-has": 1, "db-del": 1, "db-keys": 1, "db-scan": 1, "db-count": 1, "store-count": 1, "store-query": 1,
}

func run(cmd string, c call) sdk.Verdict {
	op, rest, _ := strings.Cut(cmd, " ")
	n, ok := arity[op]
	if !ok {
		return sdk.Reject(sdk.Invalid, "unknown command: "+op)
	}
	var a []string
	if n > 0 {
		a = strings.SplitN(rest, " ", n)
		for len(a) < n {
			a = append(a, "")
		}
	}
	switch op {
	case "accept":
		return sdk.Accept()
	case "reject":
		return sdk.Reject(prefixes[a[0]], a[1])
	case "shadow":
		return sdk.ShadowReject()
	case "ratelimit":
		return sdk.RateLimited(a[0])
	case "rewrite":
		if c.r != nil {
			return sdk.RewriteFilters([]byte(a[0]))
		}
		return sdk.RewriteEvent([]byte(a[0]))
	case "panic":
		panic("tck: panic")
	case "log":
		sdk.Log(levels[a[0]], a[1])
		return sdk.Accept()
	}
	return answer(value(op, a, c))
}

var prefixes = map[string]sdk.Prefix{
	"default": sdk.Default, "blocked": sdk.Blocked, "rate-limited": sdk.RateLimit, "invalid": sdk.Invalid,
	"restricted": sdk.Restricted, "auth-required": sdk.AuthRequired, "pow": sdk.PoW, "duplicate": sdk.Duplicate,
	"error": sdk.ErrorPrefix, "mute": sdk.Mute,
}

var sources = map[sdk.Source]string{
	sdk.SourceIP4: "IP4", sdk.SourceIP6: "IP6", sdk.SourceImport: "Import",
	sdk.SourceStream: "Stream", sdk.SourceSync: "Sync", sdk.SourceStored: "Stored",
}

var levels = map[string]sdk.Level{"debug": sdk.LevelDebug, "info": sdk.LevelInfo, "warn": sdk.LevelWarn, "error": sdk.LevelError}

// answer reports a value: reject(blocked, VALUE), (none) for ErrNotFound,
// (error N) for another host error.
func answer(v string, err error) sdk.Verdict {
	var he *sdk.Error
	switch {
	case errors.Is(err, sdk.ErrNotFound):
		v = "(none)"
	case errors.As(err, &he):
		v = "(error " + strconv.Itoa(int(he.Code)) + ")"
	case err != nil:
		v = "(error " + err.Error() + ")"
	}
	return sdk.Reject(sdk.Blocked, v)
}

func none(v string, ok bool, err error) (string, error) {
	if err == nil && !ok {
		return "(none)", nil
	}
	return v, err
}

func itoa(n int64, err error) (string, error) { return strconv.FormatInt(n, 10), err }

func value(op string, a []string, c call) (string, error) {
	switch op {
	case "get":
		return get(a[0], c)
	case "tag":
		if c.e == nil {
			return "(none)", nil
		}
		i, _ := strconv.Atoi(a[0])
		t, err := c.e.GetTag(i)
		return strings.Join(t, "|"), err
	case "tagvalue":
		if c.e == nil {
			return "(none)", nil
		}
		return none(c.e.GetTagValue(a[0]))
	case "header":
		return c.s.GetHeader(a[0])
	case "file":
		b, err := sdk.GetFile(a[0])
		return string(b), err
	case "config-ints":
		return configInts(a[0])
	case "feature":
		bit, _ := strconv.ParseInt(a[0], 10, 64)
		if int64(sdk.Features())&bit != 0 {
			return "yes", nil
		}
		return "no", nil
	case "now":
		if sdk.Now().UnixNano() > 1.6e18 {
			return "ok", nil
		}
		return "bad", nil
	}
	return state(op, a)
}

func get(name string, c call) (string, error) {
	s := c.s
	switch name {
	case "session":
		return strconv.FormatUint(s.ID(), 10), nil
	case "ip":
		return s.GetIP()
	case "authed":
		v, err := s.GetAuthed()
		return none(v, v != "", err)
	case "is_authed":
		return strconv.FormatBool(s.IsAuthed()), nil
	case "connected_at":
		return itoa(s.GetConnectedAt())
	case "plugin":
		return sdk.GetPluginName()
	case "config":
		b, err := sdk.GetConfig()
		return string(b), err
	}
	if c.r != nil {
		return getReq(name, *c.r)
	}
	if c.e != nil {
		return getEvent(name, *c.e)
	}
	return "", &sdk.Error{Op: "get", Code: -1}
}

func getReq(name string, r sdk.Req) (string, error) {
	switch name {
	case "sub":
		return r.GetSubID()
	case "filters":
		b, err := r.GetFiltersJSON()
		return string(b), err
	case "filter_count":
		return strconv.Itoa(r.FilterCount()), nil
	}
	return "", &sdk.Error{Op: "get", Code: -1}
}

func getEvent(name string, e sdk.Event) (string, error) {
	switch name {
	case "id":
		return e.GetID()
	case "pubkey":
		return e.GetPubkey()
	case "sig":
		return e.GetSig()
	case "content":
		return e.GetContent()
	case "tags":
		b, err := e.GetTagsJSON()
		return string(b), err
	case "raw":
		b, err := e.GetRaw()
		return string(b), err
	case "strfry":
		b, err := e.GetStrfryInput()
		return string(b), err
	case "sub":
		return e.GetSubID()
	case "kind":
		return strconv.Itoa(e.Kind()), nil
	case "created_at":
		return strconv.FormatInt(e.CreatedAt(), 10), nil
	case "received_at":
		return strconv.FormatInt(e.ReceivedAt(), 10), nil
	case "content_len":
		return strconv.Itoa(e.ContentLen()), nil
	case "tag_count":
		return strconv.Itoa(e.TagCount()), nil
	case "source":
		return sources[e.Source()], nil
	}
	return "", &sdk.Error{Op: "get", Code: -1}
}

func configInts(key string) (string, error) {
	var m map[string]any
	if err := config.Decode(&m); err != nil {
		return "", err
	}
	v, ok := m[key]
	if !ok {
		return "(none)", nil
	}
	arr, ok := v.([]any)
	if !ok {
		return "(invalid)", nil
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		f, ok := x.(float64)
		if !ok || f != float64(int64(f)) {
			return "(invalid)", nil
		}
		out = append(out, strconv.FormatInt(int64(f), 10))
	}
	return strings.Join(out, ","), nil
}

func state(op string, a []string) (string, error) {
	switch op {
	case "counter-add":
		d, _ := strconv.ParseInt(a[1], 10, 64)
		return itoa(sdk.CounterAdd(a[0], d, 0))
	case "counter-get":
		return itoa(sdk.CounterGet(a[0]))
	case "take":
		cost, _ := strconv.ParseInt(a[1], 10, 64)
		rate, _ := strconv.ParseFloat(a[2], 64)
		burst, _ := strconv.ParseInt(a[3], 10, 64)
		ok, _, err := sdk.Take(a[0], cost, rate, burst)
		return pick(ok, "ok", "wait"), err
	case "kv-set":
		return "ok", sdk.KVSet(a[0], []byte(a[1]), 0)
	case "kv-get":
		v, ok, err := sdk.KVGet(a[0])
		return none(string(v), ok, err)
	case "kv-cas":
		var old []byte
		if a[1] != "-" {
			old = []byte(a[1])
		}
		ok, err := sdk.KVCAS(a[0], old, []byte(a[2]), 0)
		return pick(ok, "stored", "mismatch"), err
	case "kv-del":
		ok, err := sdk.KVDelete(a[0])
		return none("deleted", ok, err)
	case "store-count":
		return itoa(sdk.StoreCount(a[0]))
	case "store-query":
		r, err := sdk.StoreQuery(a[0])
		if err != nil {
			return "", err
		}
		out := strconv.Itoa(len(r.Events)) + " " + map[bool]string{true: "yes", false: "no"}[r.Truncated]
		for i, e := range r.Events {
			out += map[bool]string{true: " ", false: ","}[i == 0] + strconv.Itoa(len(e))
		}
		return out, nil
	}
	return durable(op, a)
}

func durable(op string, a []string) (string, error) {
	switch op {
	case "db-put":
		return "ok", db.Put(a[0], []byte(a[1]))
	case "db-new":
		ok, err := db.PutNew(a[0], []byte(a[1]))
		return pick(ok, "stored", "exists"), err
	case "db-get":
		v, ok, err := db.Get(a[0])
		return none(string(v), ok, err)
	case "db-has":
		ok, err := db.Has(a[0])
		return pick(ok, "yes", "no"), err
	case "db-del":
		ok, err := db.Delete(a[0])
		return none("deleted", ok, err)
	case "db-keys":
		keys, err := db.Keys(a[0])
		return joined(keys), err
	case "db-scan":
		var kv []string
		err := db.Scan(a[0], func(k string, v []byte) bool {
			kv = append(kv, k+"="+string(v))
			return true
		})
		return joined(kv), err
	case "db-count":
		var keys, bytes int
		err := db.Scan(a[0], func(_ string, v []byte) bool {
			keys, bytes = keys+1, bytes+len(v)
			return true
		})
		return strconv.Itoa(keys) + " " + strconv.Itoa(bytes), err
	case "db-usage":
		u, err := db.GetUsage()
		return strings.Join([]string{
			strconv.FormatInt(u.Keys, 10), strconv.FormatInt(u.Bytes, 10),
			strconv.FormatInt(u.MaxKeys, 10), strconv.FormatInt(u.MaxBytes, 10),
		}, " "), err
	}
	return "", errors.New("BUG: no operation " + op)
}

func pick(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func joined(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, "|")
}

func main() {}
