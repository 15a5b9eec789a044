// Package status serves relayd's status page: a plain HTML page for a
// browser at the relay's root, with a little CSS and JavaScript embedded in
// the binary (no CDN, no request to any other site: its Content Security
// Policy allows this origin only), and /status.json, which the page polls
// every two seconds for live numbers.
//
// The numbers are a view on the relay's metrics registry (host/metrics,
// host/relay/metrics.go): the page shows what /metrics serves, read from
// the same counters, so the two never disagree. Gathering is cached for a
// second, so a crowd of open pages costs one gather a second.
//
// What the page shows: the relay's name and description, uptime,
// connections, subscriptions, events/s (computed by the page between two
// polls), events stored, store size, the plugin chain in order (each
// plugin's version, hooks, mode, on_error, calls, verdicts and errors
// since that version was loaded, when it was loaded and whether the
// plugin's files on disk last failed to load), and the sync peers (none
// yet: Options.Peers is the hook for them). It shows no secrets; who may
// see it is the config's status_page (public, local or off).
package status
