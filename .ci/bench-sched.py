#!/usr/bin/env python3
# bench-sched.py ROUNDS "RELAYLOAD STEP" NAME=CMD...: interleaved rounds of one
# relayload step against each relay command (PORT in CMD is replaced; a fresh
# -data dir each run), like bench-ab.sh, but the relay CPU is read from its
# threads' /proc/PID/task/*/schedstat (exact; /proc/PID/stat samples 250 Hz
# ticks) and its system calls and context switches are counted with perf stat,
# per delivery. NICE=-10 runs relay and client at that nice level.
# BIN (default /tmp/relayd-bench/bin) holds relayload. Example:
#   .ci/bench-sched.py 5 "fanout -subs 100 -events 1000 -rate 500 -timeout 20s -drain 5s" \
#     "new=bin/relayd -listen 127.0.0.1:PORT -config cfg.toml" "khatru=$BIN/peer-khatru -addr 127.0.0.1:PORT"
import subprocess, sys, os, time, json, tempfile, shutil, glob, statistics
PORT = int(os.environ.get('PORT', '17461'))
BIN = os.environ.get('BIN', '/tmp/relayd-bench/bin')
NICE = ['nice', '-n', os.environ['NICE']] if os.environ.get('NICE') else []
rounds = int(sys.argv[1]); step = sys.argv[2].split()
targets = [a.split('=', 1) for a in sys.argv[3:]]
def sched(pid):
    t = 0
    for f in glob.glob(f'/proc/{pid}/task/*/schedstat'):
        try: t += int(open(f).read().split()[0])
        except Exception: pass
    return t
res = {n: [] for n, _ in targets}
for r in range(rounds):
    for name, cmd in targets:
        d = tempfile.mkdtemp()
        args = NICE + cmd.replace('PORT', str(PORT)).split() + ['-data', d]
        log = open(f'/tmp/bench-sched-{PORT}-{name}.log', 'w')
        p = subprocess.Popen(args, stdout=log, stderr=log)
        for _ in range(100):
            if subprocess.run(['curl', '-fs', '-o', '/dev/null', '-H', 'Accept: application/nostr+json', f'http://127.0.0.1:{PORT}/']).returncode == 0: break
            time.sleep(0.1)
        la0 = os.getloadavg()[0]
        ev = 'context-switches,syscalls:sys_enter_write,syscalls:sys_enter_writev,syscalls:sys_enter_futex,syscalls:sys_enter_nanosleep'
        ps = subprocess.Popen(['perf', 'stat', '-x,', '-e', ev, '-p', str(p.pid), '-o', f'/tmp/bench-sched-{PORT}-perf.txt'])
        time.sleep(0.2)
        s0 = sched(p.pid)
        out = subprocess.run(NICE + [BIN + '/relayload'] + step + ['-url', f'ws://127.0.0.1:{PORT}', '-pid', str(p.pid)], capture_output=True, text=True).stdout
        s1 = sched(p.pid)
        ps.send_signal(2); ps.wait()
        cnt = {}
        for l in open(f'/tmp/bench-sched-{PORT}-perf.txt'):
            f = l.strip().split(',')
            if len(f) > 3 and f[0].isdigit():
                cnt[f[2].split(':')[-1].replace('sys_enter_', '')] = int(f[0])
        j = json.loads([l for l in out.splitlines() if l.startswith('{')][0])
        p.terminate(); p.wait(); shutil.rmtree(d)
        n = j['delivered']
        row = dict(sched_us=(s1 - s0) / n / 1e3, stat_us=j['relay_cpu_s'] / n * 1e6, p50=j['deliver_lat_p50_ms'], p99=j['deliver_lat_p99_ms'], other=j.get('other_cpu_s'), load=la0, ooo=j['out_of_order'], missing=j['missing'])
        n2 = n
        row.update({k: v / n2 for k, v in cnt.items()})
        res[name].append(row)
        print(name, ' '.join(f'{k}={v:.2f}' if isinstance(v, float) else f'{k}={v}' for k, v in row.items()), flush=True)
print('medians:')
for name, rows in res.items():
    print(name, ' '.join(f'{k}={statistics.median(r[k] for r in rows):.2f}' for k in ['sched_us', 'stat_us', 'p50', 'p99', 'other', 'load', 'context-switches', 'write', 'writev', 'futex', 'nanosleep'] if k in rows[0]))
