#!/bin/bash
# bench-import-khatru.sh ROUNDS FILE RELAYD...: per round, khatru's ingest rate
# (relayload ingest, 4 connections, 80,000 events, fresh data dir, peer-khatru
# on 127.0.0.1:17491) and then `relayd import FILE` for each build through
# bench-import.sh, so that the ratio comes from one session. Needs relayload
# and peer-khatru in $BIN_DIR (default /tmp/relayd-bench/bin).
set -u
R=$1; F=$2; shift 2
B=${BIN_DIR:-/tmp/relayd-bench/bin}
HERE=$(cd "$(dirname "$0")" && pwd)
for _ in $(seq "$R"); do
  d=$(mktemp -d)
  "$B/peer-khatru" -addr 127.0.0.1:17491 -data "$d" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fsS -o /dev/null -H 'Accept: application/nostr+json' http://127.0.0.1:17491/ 2>/dev/null && break
    sleep 0.1
  done
  "$B/relayload" ingest -url ws://127.0.0.1:17491 -conns 4 -events 80000 -pid "$pid" 2>/dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    if l.startswith("{"):
        j = json.loads(l)
        print("khatru events/s", round(j["events_per_s"]), "cpu_us/event", round(j["relay_cpu_s"] / j["events"] * 1e6, 1),
              "ok", j["ok"], "other_cpu_s", j.get("other_cpu_s"), "elapsed_s", j["elapsed_s"])'
  kill -TERM "$pid"; wait "$pid" 2>/dev/null; rm -rf "$d"
  "$HERE/bench-import.sh" 1 "$F" "$@"
  echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
done
