#!/bin/bash
# bench-import.sh ROUNDS FILE RELAYD...: relayd import FILE into a fresh data dir
# per run, interleaved; prints events/s (wall) and process CPU µs/event.
R=$1; F=$2; shift 2
N=$(wc -l < $F)
for i in $(seq $R); do
  for b in "$@"; do
    d=$(mktemp -d)
    python3 - "$b" "$d" "$F" "$N" <<'PY'
import os, resource, subprocess, sys, time
b, d, f, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t0 = time.time(); r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
p = subprocess.run([b, "import", "-data", d + "/data", "-progress", "0", f], capture_output=True, text=True)
t1 = time.time(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
stored = [l for l in p.stdout.splitlines() if l.strip().startswith("stored")]
print(os.path.basename(b), "events/s", round(n / (t1 - t0)), "cpu_us/event", round(cpu / n * 1e6, 1), "exit", p.returncode, stored[:1])
PY
    rm -rf $d
  done
done
