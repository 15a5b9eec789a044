// Command kit is the ABI kit: a Go plugin whose handlers call every SDK
// function, hence every relayd_v1 host function, and report what they saw
// in the verdict message, so host tests can assert it as text.
package main

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
)

var cfg struct {
	Greeting string   `json:"greeting"`
	Banned   []string `json:"banned"`
	Burst    int64    `json:"burst"`
}

func init() {
	sdk.OnInit(func() error {
		if err := config.Decode(&cfg); err != nil {
			return err
		}
		if cfg.Greeting == "fail" {
			return errors.New("greeting says fail")
		}
		return nil
	})
	sdk.OnLimitation(func() map[string]any { return map[string]any{"min_pow_difficulty": 8, "auth_required": false} })
	sdk.OnConnect(func(s sdk.Session) sdk.Verdict {
		return sdk.Reject(sdk.Blocked, "ip="+s.IP()+" ua="+s.Header("User-Agent")+" id="+strconv.FormatUint(s.ID(), 10)+
			" at="+strconv.FormatInt(s.ConnectedAt(), 10))
	})
	sdk.OnEvent(onEvent)
	sdk.OnEventPre(func(e sdk.Event) sdk.Verdict {
		if ok, _, err := sdk.Take("bucket", 1, 1e-9, cfg.Burst); err != nil || !ok {
			return sdk.RateLimited("empty")
		}
		return sdk.Accept()
	})
	sdk.OnReq(func(r sdk.Req) sdk.Verdict {
		return sdk.RewriteFilters([]byte(`[{"kinds":[1],"limit":` + strconv.Itoa(r.FilterCount()) + `}]`))
	})
	sdk.OnCount(func(r sdk.Req) sdk.Verdict {
		return sdk.Reject(sdk.Restricted, "sub="+r.SubID()+" filters="+string(r.FiltersJSON()))
	})
	sdk.OnAuth(func(e sdk.Event) sdk.Verdict {
		return sdk.Reject(sdk.AuthRequired, "auth as "+e.Pubkey()[:8]+" kind="+strconv.Itoa(e.Kind()))
	})
	sdk.OnDeliver(func(e sdk.Event) sdk.Verdict {
		if e.Kind() == 7 {
			return sdk.Reject(sdk.Blocked, "")
		}
		return sdk.RewriteEvent([]byte(`{"sub":"` + e.SubID() + `"}`))
	})
	sdk.OnClose(func(s sdk.Session) { sdk.CounterAdd("closed", 1, 0) })
}

func onEvent(e sdk.Event) sdk.Verdict {
	for _, b := range cfg.Banned {
		if e.Pubkey() == b {
			return sdk.Reject(sdk.Blocked, "banned")
		}
	}
	var out []string
	add := func(k, v string) { out = append(out, k+"="+v) }
	add("greeting", cfg.Greeting)
	add("plugin", sdk.PluginName())
	add("kind", strconv.Itoa(e.Kind()))
	add("created", strconv.FormatInt(e.CreatedAt(), 10))
	add("received", strconv.FormatInt(e.ReceivedAt(), 10))
	add("id", e.ID()[:4])
	add("pubkey", e.Pubkey()[:4])
	add("sig", e.Sig()[:4])
	add("content", e.Content())
	add("tags", strconv.Itoa(e.TagCount()))
	add("tag1", strings.Join(e.Tag(1), ","))
	t, _ := e.TagValue("t")
	add("t", t)
	add("tagsjson", strconv.Itoa(len(e.TagsJSON())))
	add("raw", strconv.FormatBool(strings.HasPrefix(string(e.Raw()), "{")))
	add("strfry", strconv.FormatBool(strings.Contains(string(e.StrfryInput()), `"sourceInfo":"203.0.113.7"`)))
	add("source", strconv.Itoa(int(e.Source())))
	add("authed", e.Session().Authed())
	n, err := sdk.CounterAdd("events", 1, time.Minute)
	add("counter", strconv.FormatInt(n, 10)+errText(err))
	n, err = sdk.CounterGet("events")
	add("counterget", strconv.FormatInt(n, 10)+errText(err))
	ok, err := sdk.KVCAS("k", nil, []byte("v1"), 0)
	add("cas", strconv.FormatBool(ok)+errText(err))
	_ = sdk.KVSet("k2", []byte("v2"), time.Hour)
	v, found, err := sdk.KVGet("k2")
	add("kv", string(v)+strconv.FormatBool(found)+errText(err))
	deleted, _ := sdk.KVDelete("k2")
	add("del", strconv.FormatBool(deleted))
	_, err = sdk.StoreCount(`{"kinds":[1]}`)
	add("count", errText(err))
	add("hasstore", strconv.FormatBool(sdk.HasStore()))
	add("now", strconv.FormatBool(sdk.Now().After(time.Unix(1700000000, 0))))
	f, ok := sdk.File("kit.txt")
	add("file", strings.TrimSpace(string(f))+strconv.FormatBool(ok))
	_, ok = sdk.File("unlisted.txt")
	add("unlisted", strconv.FormatBool(ok))
	if sdk.LogEnabled(sdk.LevelInfo) {
		sdk.Log(sdk.LevelInfo, "kit saw kind "+strconv.Itoa(e.Kind()))
	}
	return sdk.Reject(sdk.Invalid, strings.Join(out, " "))
}

func errText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, sdk.ErrUnavailable):
		return "unavailable"
	}
	return "err:" + err.Error()
}

func main() {}
