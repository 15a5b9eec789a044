#!/bin/bash
# bench-deliver.sh ROUNDS NAME=[PLUGIN_DIR]@RELAYD ...: the unpaced fan-out step of
# issue 10 item 6 (100 subscribers x 5,000 events) against a fresh relayd per run,
# the sets interleaved; prints relay CPU per delivery, out-of-order and missing
# deliveries, and the CPU other processes used meanwhile. relayload as in
# ../shared/bench/README.md (RELAYLOAD=path). Example:
#   .ci/bench-deliver.sh 5 none=@bin/relayd dm=/tmp/dm@bin/relayd
# where /tmp/dm holds dm-privacy.wasm and no NAME.toml (the hook on every delivery).
RELAYLOAD=${RELAYLOAD:-/tmp/relayd-bench/bin/relayload}
[ -x "$RELAYLOAD" ] || { echo "no relayload at $RELAYLOAD (set RELAYLOAD)" >&2; exit 1; }
ROUNDS=$1; shift
LOGS=$(mktemp -d)
ulimit -n 65536 2>/dev/null
for i in $(seq "$ROUNDS"); do
  for set in "$@"; do
    name=${set%%=*}; rest=${set#*=}; dir=${rest%@*}; bin=${rest#*@}
    data=$(mktemp -d)
    args=(-listen 127.0.0.1:17467 -data "$data")
    [ -n "$dir" ] && args+=(-plugins "$dir")
    "$bin" "${args[@]}" > "$LOGS/$name.log" 2>&1 &
    pid=$!
    # Plugins load after the listener opens: wait for "relayd ready".
    for _ in $(seq 300); do grep -q 'relayd ready' "$LOGS/$name.log" && break; sleep 0.1; done
    "$RELAYLOAD" fanout -subs 100 -events 5000 -timeout 60s -drain 5s -url ws://127.0.0.1:17467 -pid "$pid" 2>/dev/null |
      grep -v '^#' | python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print('$i', '$name', round(r['relay_cpu_s']/max(r['delivered'],1)*1e6,2), 'us/delivery', 'out_of_order', r.get('out_of_order'), 'missing', r.get('missing'), 'other_cpu_s', r.get('other_cpu_s'))"
    kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$data"
  done
done
rm -rf "$LOGS"
