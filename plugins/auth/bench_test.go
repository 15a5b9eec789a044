package main

import (
	"context"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

func benchEvent(kind int, pubkey string, tags nostr.Tags) *nostr.Event {
	return &nostr.Event{ID: "e0" + pubkey[2:], PubKey: pubkey, Kind: kind, CreatedAt: 1700000000, Tags: tags,
		Content: "hello, this is a note of some length", Sig: pubkey + pubkey}
}

// BenchmarkAuthDeliver is the deliver hook (run for every stored and live
// event a session receives) with the default config.
func BenchmarkAuthDeliver(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{}, "[config]\n")
	tags := nostr.Tags{{"e", carol}, {"p", carol}, {"p", bob}}
	cases := []struct {
		name string
		ev   *nostr.Event
		want policy.Action
	}{
		{"note", benchEvent(1, alice, tags), policy.Accept},
		{"dm_to_recipient", benchEvent(4, alice, tags), policy.Accept},
		{"dm_to_other", benchEvent(1059, carol, nostr.Tags{{"p", alice}}), policy.Reject},
	}
	for _, c := range cases {
		in := &policy.DeliverInput{Session: plugintest.Session(bob), SubID: "s", Event: c.ev, Raw: []byte(c.ev.String())}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				v, err := p.Deliver(context.Background(), in)
				if err != nil || v.Action != c.want {
					b.Fatalf("%v %v", v, err)
				}
			}
		})
	}
}

// BenchmarkAuthReq is the req hook with the default config.
func BenchmarkAuthReq(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{}, "[config]\n")
	cases := []struct {
		name    string
		filters nostr.Filters
		want    policy.Action
	}{
		{"no_kinds", nostr.Filters{{Authors: []string{alice}, Limit: 20}}, policy.Accept},
		{"notes", nostr.Filters{{Kinds: []int{1, 6}, Authors: []string{alice}, Limit: 20}}, policy.Accept},
		{"dm_narrowed", nostr.Filters{{Kinds: []int{4}, Limit: 20}}, policy.Rewrite},
	}
	for _, c := range cases {
		in := &policy.FilterInput{Session: plugintest.Session(bob), Hook: policy.HookReq, SubID: "s", Filters: c.filters}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				v, err := p.Filter(context.Background(), in)
				if err != nil || v.Action != c.want {
					b.Fatalf("%v %v", v, err)
				}
			}
		})
	}
}

// BenchmarkAuthEventPre is the publish gate of the members-only example.
func BenchmarkAuthEventPre(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{}, "[config]\npublish_auth = true\nallow_pubkeys = [\""+alice+"\", \""+bob+"\"]\n")
	in := &policy.EventInput{Session: plugintest.Session(alice), Event: benchEvent(1, alice, nil), Source: policy.SourceIP4}
	in.Raw = []byte(in.Event.String())
	for b.Loop() {
		v, err := p.EventPre(context.Background(), in)
		if err != nil || v.Action != policy.Accept {
			b.Fatalf("%v %v", v, err)
		}
	}
}
