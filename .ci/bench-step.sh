#!/bin/bash
# bench-step.sh ingest|fanout ROUNDS [name=PLUGIN_DIR ...]
# One relayload step against a fresh relayd per run, with no plugins and with
# each plugin directory, interleaved; prints relay CPU per unit of work
# (µs per ingested event, or per delivery for fanout unpaced and paced at
# 500 ev/s). Build first: make build, and relayload as in
# ../shared/bench/README.md (RELAYLOAD=path).
HERE=$(cd "$(dirname "$0")/.." && pwd)
RELAYD=${RELAYD:-$HERE/bin/relayd}
RELAYLOAD=${RELAYLOAD:-/tmp/relayd-bench/bin/relayload}
[ -x "$RELAYLOAD" ] || { echo "no relayload at $RELAYLOAD (set RELAYLOAD)" >&2; exit 1; }
[ -x "$RELAYD" ] || { echo "no relayd at $RELAYD (make build)" >&2; exit 1; }
STEP=$1; ROUNDS=$2; shift 2
case $STEP in
  ingest) runs=("ingest -conns 4 -events 20000"); unit=ok ;;
  fanout) runs=("fanout -subs 100 -events 1000 -timeout 20s -drain 5s" "fanout -subs 100 -events 1000 -rate 500 -timeout 20s -drain 5s"); unit=delivered ;;
  *) echo "usage: $0 ingest|fanout ROUNDS [name=DIR ...]" >&2; exit 2 ;;
esac
ulimit -n 65536 2>/dev/null
for i in $(seq "$ROUNDS"); do
  for set in "none=" "$@"; do
    name=${set%%=*}; dir=${set#*=}
    data=$(mktemp -d)
    args=(-listen 127.0.0.1:17447 -data "$data")
    [ -n "$dir" ] && args+=(-plugins "$dir")
    "$RELAYD" "${args[@]}" > "/tmp/bench-step-$name.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fs -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:17447/ && break; sleep 0.2; done
    for r in "${runs[@]}"; do
      # shellcheck disable=SC2086
      "$RELAYLOAD" $r -url ws://127.0.0.1:17447 -pid "$pid" 2>/dev/null | grep -v '^#' |
        python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$name', '$r', round(r['relay_cpu_s']/max(r['$unit'],1)*1e6,1), 'us/unit', 'other_cpu_s', r.get('other_cpu_s'))"
    done
    kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$data"
  done
done
