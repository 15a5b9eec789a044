#!/bin/bash
# bench-defaults.sh WORKTREE OUTDIR: builds relayd and the default plugin set
# (plugins/defaults, with the ratelimit rates raised so a benchmark is never
# refused) from WORKTREE into OUTDIR/relayd and OUTDIR/defaults, for
# bench-ab.sh targets such as new=OUTDIR/relayd,OUTDIR/defaults.
set -e
W=$1; O=$2
mkdir -p $O/defaults
cd $W
go build -tags libsecp256k1 -o $O/relayd ./cmd/relayd
for f in plugins/defaults/*.toml; do n=$(basename $f .toml)
  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o $O/defaults/$n.wasm ./plugins/$n
  cp $f $O/defaults/
done
python3 - $O/defaults/ratelimit.toml <<'PY'
import re,sys
p=sys.argv[1]; s=open(p).read()
s=re.sub(r'rate = [0-9.]+','rate = 1000000.0',s); s=re.sub(r'burst = [0-9]+','burst = 10000000',s)
open(p,'w').write(s)
PY
