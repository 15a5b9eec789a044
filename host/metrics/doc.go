// Package metrics holds relayd's Prometheus instruments that are not the
// relay core's own: the policy chain's (Plugins, a policy.Observer), the
// store's (Store), the plugin manager's load failures (LoadFailures), the
// Go runtime and process collectors (NewRuntimeRegistry), and the HTTP
// handler that serves them all (Handler). The relay core registers its own
// in host/relay/metrics.go. Every metric is listed in docs/metrics.md, and
// a test holds that list to what /metrics serves.
//
// Nothing here is global: host/server creates the registries and passes
// them to whatever registers into them (no promauto, no default registry).
//
// # Cost on the hot paths
//
// Instruments touched per event or per delivery are resolved once, never
// per call: a plugin's recorder caches its label children (plugins.go) and
// the relay holds its histograms directly. Gauges that describe state
// (connections, queued bytes, store size) are read when scraped, not kept
// up to date on every change.
package metrics
