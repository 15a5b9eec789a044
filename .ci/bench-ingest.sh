#!/bin/bash
# Usage: ROUNDS name=PLUGIN_DIR ... — one relayload step against a fresh relayd
# per run, with no plugins and with each plugin directory, interleaved; prints
# relay CPU per unit of work. Build first: make build, and relayload as in
# ../shared/bench/README.md (RELAYLOAD=path).
HERE=$(cd "$(dirname "$0")/.." && pwd)
RELAYD=${RELAYD:-$HERE/bin/relayd}
RELAYLOAD=${RELAYLOAD:-/tmp/relayd-bench/bin/relayload}
ROUNDS=$1; shift
ulimit -n 65536 2>/dev/null
for i in $(seq $ROUNDS); do
  for set in "none=" "$@"; do
    name=${set%%=*}; dir=${set#*=}
    data=$(mktemp -d)
    args=(-listen 127.0.0.1:17447 -data $data)
    [ -n "$dir" ] && args+=(-plugins $dir)
    "$RELAYD" "${args[@]}" > /tmp/io-$name.log 2>&1 &
    pid=$!
    for j in $(seq 100); do curl -fs -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:17447/ && break; sleep 0.2; done
    "$RELAYLOAD" ingest -conns 4 -events 20000 -url ws://127.0.0.1:17447 -pid $pid 2>/dev/null | grep -v '^#' | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$name', round(r['relay_cpu_s']/r['ok']*1e6,1), 'us/event', r['ok'], 'ok', 'other', r.get('other_cpu_s'))"
    kill $pid; wait $pid 2>/dev/null; rm -rf $data
  done
done
