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
    "$RELAYD" "${args[@]}" > /tmp/fo-$name.log 2>&1 &
    pid=$!
    for j in $(seq 100); do curl -fs -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:17447/ && break; sleep 0.2; done
    for mode in "" "-rate 500"; do
    "$RELAYLOAD" fanout -subs 100 -events 1000 $mode -url ws://127.0.0.1:17447 -pid $pid -timeout 20s -drain 5s 2>/dev/null | grep -v '^#' | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$name', '${mode:-unpaced}', round(r['relay_cpu_s']/max(r['delivered'],1)*1e6,2), 'us/delivery', r['delivered'], 'ooo', r['out_of_order'], 'other', r.get('other_cpu_s'))"
    done
    kill $pid; wait $pid 2>/dev/null; rm -rf $data
  done
done
