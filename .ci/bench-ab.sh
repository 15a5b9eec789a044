#!/bin/bash
# bench-ab.sh ROUNDS: relayload steps against this relayd ("new", $BIN/relayd),
# an older build ("base", $BIN/relayd-base, e.g. built from the commit before a
# change) and khatru ($BIN/peer-khatru), interleaved, each on a fresh data
# dir; with and without the deliver plugin set in /tmp/benchplugins/deliver.
# STEPS (";"-separated relayload runs) and TARGETS narrow it. Prints one line
# per run: target, step, relay CPU µs per unit (event or delivery), rate,
# out-of-order, missing, latency p50/p99 ms and other processes' CPU seconds.
# Build relayload and peer-khatru as in ../shared/bench/README.md into $BIN.
# A target may also be LABEL=RELAYD[,PLUGIN_DIR] (another relayd build, with a
# plugin directory), e.g. TARGETS="old=/tmp/a/relayd,/tmp/a/defaults khatru".
# PORT (default 17447) lets two people on one machine run side by side.
BIN=${BIN:-/tmp/relayd-bench/bin}
PORT=${PORT:-17447}  # another port when others benchmark on this machine too
CONFIG=${CONFIG:-${CFG:-/tmp/benchcfg.toml}}
WASMCACHE=${WASMCACHE:-/tmp/bench-ab-wasm-cache-$PORT}
LOAD=$BIN/relayload
ROUNDS=${1:-3}
IFS=";" read -r -a RUNS <<< "${STEPS:-ingest -conns 4 -events 20000;fanout -subs 100 -events 1000 -timeout 20s -drain 5s;fanout -subs 100 -events 1000 -rate 500 -timeout 20s -drain 5s}"
TARGETS=${TARGETS:-new base khatru new+deliver base+deliver}
ulimit -n 65536 2>/dev/null
run() { # name cmd...
  local name=$1; shift
  local data; data=$(mktemp -d)
  # Compiled plugins are cached in the data dir; share one cache across runs.
  mkdir -p "$WASMCACHE" && ln -s "$WASMCACHE" "$data/wasm-cache"
  "$@" -data "$data" > /tmp/bench7-$PORT-$name.log 2>&1 &
  local pid=$!
  # "relayd ready" is logged once the plugins have loaded (it listens before).
  for _ in $(seq 1200); do grep -qE 'relayd ready|peer-khatru pid=' /tmp/bench7-$PORT-$name.log 2>/dev/null && break; sleep 0.1; done
  for _ in $(seq 100); do curl -fs -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:$PORT/ && break; sleep 0.1; done
  for r in "${RUNS[@]}"; do
    $LOAD $r -url ws://127.0.0.1:$PORT -pid "$pid" 2>/dev/null | grep -v '^#' | python3 -c "
import json,sys
r=json.loads(sys.stdin.read())
unit=r.get('ok') or r.get('delivered') or r.get('completed') or 1
pre={'ingest':'ok_lat','query':'author'}.get(r['test'],'deliver_lat')
print('$name', r['test']+('-paced' if r.get('rate') else ''), round(r['relay_cpu_s']/max(unit,1)*1e6,2), 'us/unit', 'rate', r.get('events_per_s') or r.get('delivered_per_s') or r.get('reqs_per_s'), 'ooo', r.get('out_of_order'), 'missing', r.get('missing'), 'refused', r.get('ok_false') or r.get('closed_by_relay'), 'p50', r.get(pre+'_p50_ms'), 'p99', r.get(pre+'_p99_ms'), 'other', r.get('other_cpu_s'))" 
  done
  kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$data"
}
declare -A CMD
CMD[new]="$BIN/relayd -listen 127.0.0.1:$PORT -config $CONFIG"
CMD[base]="$BIN/relayd-base -listen 127.0.0.1:$PORT -config $CONFIG"
CMD[khatru]="$BIN/peer-khatru -addr 127.0.0.1:$PORT"
CMD[new+deliver]="$BIN/relayd -listen 127.0.0.1:$PORT -config $CONFIG -plugins /tmp/benchplugins/deliver"
CMD[base+deliver]="$BIN/relayd-base -listen 127.0.0.1:$PORT -config $CONFIG -plugins /tmp/benchplugins/deliver"
for i in $(seq "$ROUNDS"); do
  for t in $TARGETS; do
    # shellcheck disable=SC2086
    case $t in
      *=*) spec=${t#*=}; bin=${spec%%,*}; dir=; [ "$spec" != "$bin" ] && dir=${spec#*,}
        # shellcheck disable=SC2086
        run "${t%%=*}" "$bin" -listen 127.0.0.1:$PORT -config "$CONFIG" ${dir:+-plugins "$dir"} ;;
      *) # shellcheck disable=SC2086
        run "$t" ${CMD[$t]} ;;
    esac
  done
done
