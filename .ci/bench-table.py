#!/usr/bin/env python3
"""bench-table.py DIR — summarise the relayload JSON lines that
bench-compare.sh left in DIR as a markdown table: per relay (relayd,
relayd-plugins, khatru) the median over rounds of each metric, and the
ratio relayd/khatru."""
import json, glob, os, statistics, sys
from collections import defaultdict

d = sys.argv[1] if len(sys.argv) > 1 else "/tmp/relayd-bench"
runs = defaultdict(list)  # relay -> list of {step: result}
for f in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
    name = os.path.basename(f).rsplit("-", 1)[0]
    steps, fan = {}, 0
    for line in open(f):
        r = json.loads(line)
        t = r["test"]
        if t == "fanout":
            t = "fanout" if fan == 0 else "fanout-paced"
            fan += 1
        steps[t] = r
    runs[name].append(steps)

def per(r, num, den, scale=1.0):
    try:
        return r[num] / r[den] * scale
    except (KeyError, ZeroDivisionError, TypeError):
        return None

metrics = [
    ("ingest", "events/s", lambda r: r.get("events_per_s")),
    ("ingest", "relay CPU µs/event", lambda r: per(r, "relay_cpu_s", "ok", 1e6)),
    ("ingest", "OK p50 ms", lambda r: r.get("ok_lat_p50_ms")),
    ("query", "REQ/s", lambda r: r.get("reqs_per_s")),
    ("query", "relay CPU µs/REQ", lambda r: per(r, "relay_cpu_s", "completed", 1e6)),
    ("query", "REQ→EOSE p50 ms", lambda r: r.get("eose_lat_p50_ms")),
    ("fanout", "deliveries/s", lambda r: r.get("delivered_per_s")),
    ("fanout", "relay CPU µs/delivery", lambda r: per(r, "relay_cpu_s", "delivered", 1e6)),
    ("fanout", "out_of_order / missing", lambda r: f'{r.get("out_of_order")} / {r.get("missing")}'),
    ("fanout-paced", "latency p50 / p99 ms", lambda r: f'{r.get("deliver_lat_p50_ms")} / {r.get("deliver_lat_p99_ms")}'),
    ("fanout-paced", "relay CPU µs/delivery", lambda r: per(r, "relay_cpu_s", "delivered", 1e6)),
    ("idle", "RSS KiB per subscribed conn", lambda r: r.get("relay_rss_per_conn_kb")),
    ("large", "5k / 64k / 500k", lambda r: " / ".join(str(x.get("status")) for x in r.get("results", []))),
    ("ingest", "other procs CPU s (noise)", lambda r: r.get("other_cpu_s")),
    ("query", "other procs CPU s (noise)", lambda r: r.get("other_cpu_s")),
]

def med(vals):
    nums = [v for v in vals if isinstance(v, (int, float))]
    if nums:
        return statistics.median(nums)
    return vals[0] if vals else None

names = [n for n in ("relayd", "khatru") if n in runs] + sorted(n for n in runs if n not in ("relayd", "khatru"))
print("| step | metric | " + " | ".join(f"{n} (n={len(runs[n])})" for n in names) + " | relayd / khatru |")
print("|---|---|" + "---|" * (len(names) + 1))
for step, label, fn in metrics:
    row, vals = [], {}
    for n in names:
        v = med([fn(s[step]) for s in runs[n] if step in s])
        vals[n] = v
        row.append(f"{v:.1f}" if isinstance(v, float) else str(v))
    ratio = ""
    a, b = vals.get("relayd"), vals.get("khatru")
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        ratio = f"{a / b:.2f}"
    print(f"| {step} | {label} | " + " | ".join(row) + f" | {ratio} |")
