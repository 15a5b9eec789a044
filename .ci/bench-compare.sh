#!/usr/bin/env bash
# bench-compare.sh [ROUNDS] — run ../shared/bench/run-all.sh against relayd and
# against the khatru peer, interleaved, each on a fresh data dir and process.
# JSON lines go to $OUT_DIR (default /tmp/relayd-bench). Needs the shared
# bench folder next to the project (../shared/bench).
set -u
ROUNDS=${1:-1}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${BENCH:-$HERE/../shared/bench}
OUT_DIR=${OUT_DIR:-/tmp/relayd-bench}
BIN=${BIN_DIR:-/tmp/relayd-bench/bin}
mkdir -p "$OUT_DIR" "$BIN"
if ss -ltn 2>/dev/null | grep -q ':17447 '; then echo "port 17447 is busy" >&2; exit 1; fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ -x "$BIN/relayload" ] || (cd "$BENCH/relayload" && go build -o "$BIN/relayload" .) || exit 1
[ -x "$BIN/peer-khatru" ] || (cd "$BENCH/peer-khatru" && go build -o "$BIN/peer-khatru" .) || exit 1
(cd "$HERE" && go build -tags libsecp256k1 -o "$BIN/relayd" ./cmd/relayd) || exit 1
# PLUGIN_SETS="name=DIR ..." adds a relayd run per plugin directory;
# KHATRU_POLICIES=1 adds a khatru run with its three native policies.
PLUGIN_SETS=${PLUGIN_SETS:-}
CONFIG=${CONFIG:-}

run_one() { # name cmd...
  local name=$1; shift
  local data; data=$(mktemp -d)
  "$@" -data "$data" >"$OUT_DIR/$name.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:17447/ 2>/dev/null && break
    sleep 0.1
  done
  if ! kill -0 "$pid" 2>/dev/null; then echo "$name did not start:"; cat "$OUT_DIR/$name.log"; return 1; fi
  OUT="$OUT_DIR/$name.jsonl" RELAYLOAD="$BIN/relayload" "$BENCH/run-all.sh" ws://127.0.0.1:17447 "$pid"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null
  rm -rf "$data"
}

cfgargs=()
[ -n "$CONFIG" ] && cfgargs=(-config "$CONFIG")
for i in $(seq "$ROUNDS"); do
  run_one "relayd-$i" "$BIN/relayd" -listen 127.0.0.1:17447 "${cfgargs[@]}"
  run_one "khatru-$i" "$BIN/peer-khatru" -addr 127.0.0.1:17447
  for set in $PLUGIN_SETS; do
    run_one "relayd+${set%%=*}-$i" "$BIN/relayd" -listen 127.0.0.1:17447 "${cfgargs[@]}" -plugins "${set#*=}"
  done
  if [ -n "${KHATRU_POLICIES:-}" ]; then
    run_one "khatru+policies-$i" "$BIN/peer-khatru" -addr 127.0.0.1:17447 -policies
  fi
done
