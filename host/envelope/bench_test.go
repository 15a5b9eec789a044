package envelope_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mailru/easyjson"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

const benchReq = `["REQ","sub1",{"kinds":[1],"authors":["` + hexB + `"],"limit":10}]`

func BenchmarkParseEvent(b *testing.B) {
	msg := eventMsg(b, typicalEvent(b))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Parse(msg, envelope.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReq(b *testing.B) {
	msg := []byte(benchReq)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Parse(msg, envelope.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseClose(b *testing.B) {
	msg := []byte(`["CLOSE","sub1"]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Parse(msg, envelope.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInvalidEvent(b *testing.B) {
	msg := []byte(`["EVENT",` + ev("kind", `"1"`) + `]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Parse(msg, envelope.Limits{}); err == nil {
			b.Fatal("accepted")
		}
	}
}

// BenchmarkGoNostrParseEvent is the go-nostr way, for comparison: parse the
// envelope, then marshal the event for storage.
func BenchmarkGoNostrParseEvent(b *testing.B) {
	msg := string(eventMsg(b, typicalEvent(b)))
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := nostr.NewMessageParser().ParseMessage(msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := easyjson.Marshal(env.(*nostr.EventEnvelope).Event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoNostrParseReq(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := nostr.NewMessageParser().ParseMessage(benchReq); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendOK(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = envelope.AppendOK(buf[:0], hexA, false, "invalid: kind must be an integer")
	}
}

func BenchmarkAppendEventPrefix(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = envelope.AppendEventPrefix(buf[:0], "sub1")
	}
}

// BenchmarkAppendFilters writes relayload's four REQ shapes as the JSON
// plugins read (FieldFilters), against encoding/json, which the host used
// before.
func BenchmarkAppendFilters(b *testing.B) {
	pk := strings.Repeat("ab", 32)
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("%064x", i)
	}
	shapes := map[string]nostr.Filters{
		"author":     {{Authors: []string{pk, pk, pk}, Kinds: []int{1}, Limit: 50}},
		"kind_limit": {{Kinds: []int{1}, Limit: 50}},
		"etag":       {{Tags: nostr.TagMap{"e": {pk}}, Limit: 50}},
		"ids":        {{IDs: ids}},
	}
	for name, fs := range shapes {
		b.Run(name+"/AppendFilters", func(b *testing.B) {
			for b.Loop() {
				envelope.AppendFilters(make([]byte, 0, 512), fs)
			}
		})
		b.Run(name+"/encoding_json", func(b *testing.B) {
			for b.Loop() {
				if _, err := json.Marshal(fs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
