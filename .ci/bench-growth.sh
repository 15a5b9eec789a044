#!/bin/bash
# bench-growth.sh RELAYD CHUNKS EVENTS [relayd flags...]: one relayd on a
# fresh data dir, then CHUNKS relayload ingest runs of EVENTS events each,
# one after the other; after each prints the relay CPU per event, the rate
# and the relay's RSS (VmRSS, RssAnon, RssFile from /proc/PID/status).
# CONFIG (relayd.toml), PORT and RELAYLOAD as in bench-ab.sh.
BIN=$1; CH=$2; N=$3; shift 3
PORT=${PORT:-17447}
CONFIG=${CONFIG:-/tmp/benchcfg.toml}
RELAYLOAD=${RELAYLOAD:-/tmp/relayd-bench/bin/relayload}
ulimit -n 65536 2>/dev/null
data=$(mktemp -d)
log=/tmp/bench-growth-$PORT.log
"$BIN" -listen 127.0.0.1:$PORT -config "$CONFIG" -data "$data" "$@" > "$log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -fs -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:$PORT/ && break; sleep 0.1; done
kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
stored=0
for _ in $(seq "$CH"); do
  out=$("$RELAYLOAD" ingest -conns 4 -events "$N" -url ws://127.0.0.1:$PORT -pid $pid 2>/dev/null | grep -v '^#')
  stored=$((stored+N))
  anon=$(awk '/RssAnon/{print $2}' /proc/$pid/status); file=$(awk '/RssFile/{print $2}' /proc/$pid/status)
  echo "$out" | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('stored', $stored, 'us/ev', round(r['relay_cpu_s']/max(r['ok'],1)*1e6,1), 'ev/s', r['events_per_s'], 'ok', r['ok'], 'rssMB', r['relay_rss_kb']//1024, 'anonMB', $anon//1024, 'fileMB', $file//1024, 'other', r.get('other_cpu_s'))"
done
du -sm "$data" | awk '{print "data MB", $1}'
kill $pid; wait $pid 2>/dev/null; rm -rf "$data"
