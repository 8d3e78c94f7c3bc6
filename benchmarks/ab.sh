#!/usr/bin/env bash
# Paired A/B of run settings on the engine's own timed chunks (python -m iclx.bench): every setting in
# a fresh process, the rounds interleaved so that drift hits every setting alike, then one table.
#   benchmarks/ab.sh ROUNDS OUTDIR "SETTING A" "SETTING B" ...
# A SETTING is environment assignments, e.g. "ICLX_CPU_DEVICES=1" or
# "ICLX_CPU_DEVICES=2 XLA_FLAGS=--xla_cpu_use_onednn=true". BENCH_FLAGS adds flags (default --mode=cpu).
set -euo pipefail
rounds=$1 out=$2; shift 2
mkdir -p "$out"
py=${PY:-.venv/bin/python}
for round in $(seq 1 "$rounds"); do
  i=0
  for setting in "$@"; do
    i=$((i + 1))
    echo "round $round, setting $i: $setting" >&2
    env $setting "$py" -m iclx.bench ${BENCH_FLAGS:---mode=cpu} --out="$out/s$i-r$round.json" >"$out/s$i-r$round.log" 2>&1
  done
done
"$py" -m iclx.bench.ab "$out" "$@"
