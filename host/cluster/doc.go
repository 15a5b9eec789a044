// Package cluster makes several relayd nodes act as one relay through NATS
// JetStream: events are replicated through one JetStream stream, policy
// state is shared through JetStream key-value buckets, and plugins are
// distributed through a JetStream object store. It never runs a consensus
// or gossip protocol of its own: JetStream (RAFT inside nats-server) owns
// ordering, replication and durability.
//
// A node connects to NATS with Connect: to a NATS cluster by its client
// URLs ([cluster] nats_url, failing over between them), or to a NATS
// server it runs itself (embedded = true, its JetStream store under the
// data dir, routed to the other nodes' embedded servers).
//
// Names: everything a relay's nodes share derives from the stream name S
// ([cluster] stream): the event stream S, the subjects S.>, and buckets
// S_NAME (Conn.Bucket). Two relays on one NATS use two stream names.
package cluster
