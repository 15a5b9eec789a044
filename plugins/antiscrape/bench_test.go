package main

import (
	"context"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/internal/testing/plugintest"
)

// BenchmarkAntiscrapeReq is the req hook with the default rules.
func BenchmarkAntiscrapeReq(b *testing.B) {
	p := plugintest.Policy(b, pluginName, plugintest.Options{}, "[config]\n")
	cases := []struct {
		name    string
		filters nostr.Filters
		want    policy.Action
	}{
		{"selective", nostr.Filters{{Kinds: []int{1, 6}, Authors: []string{pk, mirror}, Limit: 50}}, policy.Accept},
		{"three_filters", nostr.Filters{{Kinds: []int{1}, Authors: []string{pk}}, {Kinds: []int{7}, Tags: nostr.TagMap{"e": {pk}}}, {IDs: []string{pk}}}, policy.Accept},
		{"global_feed_clamped", nostr.Filters{{Kinds: []int{1}, Limit: 1000}}, policy.Rewrite},
		{"empty_rejected", nostr.Filters{{Limit: 10}}, policy.Reject},
	}
	for _, c := range cases {
		in := &policy.FilterInput{Session: plugintest.Session(""), Hook: policy.HookReq, SubID: "s", Filters: c.filters}
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
