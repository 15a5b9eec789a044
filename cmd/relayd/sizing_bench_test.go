package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// sizingEvents is the size of the sizing dump (docs/deploy.md, "Sizing").
const sizingEvents = 100_000

// sizingMix writes a dump shaped like a public relay's traffic, per 100
// events: 45 notes (20-800 bytes, 1-4 tags), 30 reactions (e, p, k
// tags), 8 reposts (the note embedded as content), 5 zap receipts
// (bolt11 and description tags), 5 comments (kind 1111, 4 tags), 3
// profiles, 2 follow lists (300 p tags) and 2 relay lists. It returns the
// file and the bytes of event JSON in it.
func sizingMix(b *testing.B, n int) (path string, jsonBytes int64) {
	g := newFixtureGen(b, 77, 500)
	var sb strings.Builder
	var last *nostr.Event
	lorem := strings.Repeat("the quick brown fox jumps over the lazy dog; ", 20)
	for i := range n {
		a := g.rnd.IntN(len(g.keys))
		p := g.pubs[(a+1+g.rnd.IntN(len(g.pubs)-1))%len(g.pubs)]
		at := g.now - int64(g.rnd.IntN(365*86400))
		var ev *nostr.Event
		switch r := i % 100; {
		case r < 45 || last == nil:
			tags := []nostr.Tag{{"p", p}}
			for range g.rnd.IntN(4) {
				tags = append(tags, nostr.Tag{"t", fmt.Sprint("topic", g.rnd.IntN(500))})
			}
			ev = g.sign(a, 1, at, lorem[:20+g.rnd.IntN(780)], tags...)
			last = ev
		case r < 75:
			ev = g.sign(a, 7, at, "+", nostr.Tag{"e", last.ID}, nostr.Tag{"p", last.PubKey}, nostr.Tag{"k", "1"})
		case r < 83:
			ev = g.sign(a, 6, at, line(last), nostr.Tag{"e", last.ID, "wss://relay.example.com"}, nostr.Tag{"p", last.PubKey})
		case r < 88:
			desc := fmt.Sprintf(`{"kind":9734,"content":"","tags":[["p","%s"],["e","%s"],["amount","21000"],["relays","wss://relay.example.com"]],"pubkey":"%s","created_at":%d}`, last.PubKey, last.ID, g.pubs[a], at)
			ev = g.sign(a, 9735, at, "", nostr.Tag{"p", last.PubKey}, nostr.Tag{"e", last.ID},
				nostr.Tag{"bolt11", "lnbc210n1" + strings.Repeat("q", 380)}, nostr.Tag{"description", desc})
		case r < 93:
			ev = g.sign(a, 1111, at, lorem[:40+g.rnd.IntN(300)], nostr.Tag{"E", last.ID}, nostr.Tag{"K", "1"},
				nostr.Tag{"e", last.ID}, nostr.Tag{"k", "1"})
		case r < 96:
			ev = g.sign(a, 0, at, fmt.Sprintf(`{"name":"user%d","about":"%s","picture":"https://example.com/%d.jpg","nip05":"user%d@example.com"}`, a, lorem[:200], a, a))
		case r < 98:
			var tags []nostr.Tag
			for j := range 300 {
				tags = append(tags, nostr.Tag{"p", g.pubs[(a+j+1)%len(g.pubs)]})
			}
			ev = g.sign(a, 3, at, "", tags...)
		default:
			ev = g.sign(a, 10002, at, "", nostr.Tag{"r", "wss://relay.example.com"}, nostr.Tag{"r", "wss://nos.lol", "read"},
				nostr.Tag{"r", "wss://relay.damus.io", "write"})
		}
		l := line(ev)
		jsonBytes += int64(len(l))
		sb.WriteString(l + "\n")
	}
	path = filepath.Join(b.TempDir(), "mix.jsonl")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, jsonBytes
}

// allocated returns the disk space the files under dir whose names end
// in suffix take (allocated blocks: badger preallocates sparse files far
// larger than their data).
func allocated(b testing.TB, dir, suffix string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, suffix) {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		n += info.Sys().(*syscall.Stat_t).Blocks * 512
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkSizingDisk imports sizingEvents events of sizingMix into a new
// data dir and reports, per stored event (replaceable versions replaced
// are not stored): the bytes of its JSON (as export writes it); the
// store's disk space, allocated blocks of the closed store, in all and in
// badger's tables (sst: keys, indexes, values under 256 bytes) and value
// log (vlog: event values); the total relayd stats prints (allocated
// blocks of the open store); and the disk space after relayd compact. Run
// with -benchtime 1x.
func BenchmarkSizingDisk(b *testing.B) {
	path, _ := sizingMix(b, sizingEvents)
	for range b.N {
		data := filepath.Join(b.TempDir(), "data")
		code, out, stderr := relaydRun("import", "-data", data, "-skip-verify", "-progress", "0", path)
		if rows, _ := summary(b, out); code != 0 || rows["stored"] < sizingEvents*9/10 {
			b.Fatalf("import: exit %d\n%s%s", code, out, stderr)
		}
		code, out, stderr = relaydRun("stats", "-data", data, "-json")
		var s statsJSON
		if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil {
			b.Fatalf("stats: exit %d %v\n%s", code, err, stderr)
		}
		dump := filepath.Join(b.TempDir(), "dump.jsonl")
		if code, out, stderr := relaydRun("export", "-data", data, "-progress", "0", dump); code != 0 {
			b.Fatalf("export: exit %d\n%s%s", code, out, stderr)
		}
		n := float64(s.Events)
		store := filepath.Join(data, "events")
		b.ReportMetric(n, "events")
		b.ReportMetric(float64(fileSize(b, dump)-int64(s.Events))/n, "json-B/event")
		b.ReportMetric(float64(allocated(b, store, ""))/n, "disk-B/event")
		b.ReportMetric(float64(allocated(b, store, ".sst"))/n, "sst-B/event")
		b.ReportMetric(float64(allocated(b, store, ".vlog"))/n, "vlog-B/event")
		b.ReportMetric(float64(s.Disk["total"])/n, "stats-total-B/event")
		if code, out, stderr := relaydRun("compact", "-data", data); code != 0 {
			b.Fatalf("compact: exit %d\n%s%s", code, out, stderr)
		}
		b.ReportMetric(float64(allocated(b, store, ""))/n, "compacted-disk-B/event")
	}
}

func fileSize(b *testing.B, path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return info.Size()
}
