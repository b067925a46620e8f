#!/usr/bin/env bash
# Same-session speed comparison of two builds of the benchmarks (issue: "no loss of speed").
#
#   bash bench/compare_builds.sh BEFORE_BENCH_DIR AFTER_BENCH_DIR [ROUNDS=2] [OUT=bench/out/compare]
#
# Each *_BENCH_DIR holds bench_slq, bench_operator_products and bench_eigs (for
# example build/release/bench of two checkouts). The rounds alternate
# before, after, before, after, ... so that a drift of the machine hits both;
# then bench/compare_builds.py prints one markdown row per benchmark: the
# median time of each build, the ratio after/before and the run-to-run spread
# of each build ((max - min) / median over its rounds). The --long rows
# (1000 x 1000 Laplacian, the 10^8 stencil) are not run.
set -euo pipefail
before=$1
after=$2
rounds=${3:-2}
out=${4:-bench/out/compare}
mkdir -p "$out"
export BLOCKSPEC_BENCH_DATA="${BLOCKSPEC_BENCH_DATA:-bench/out}"
run() {  # run <label> <dir> <round>
  local label=$1 dir=$2 r=$3
  "$dir/bench_slq" --benchmark_filter='slq_(goe|laplacian)' \
    --benchmark_out="$out/slq_${label}_$r.json" --benchmark_out_format=json >/dev/null
  "$dir/bench_operator_products" --benchmark_min_time=0.5 --benchmark_filter='dense' \
    --benchmark_out="$out/op_${label}_$r.json" --benchmark_out_format=json >/dev/null
  "$dir/bench_eigs" --benchmark_filter='^blockspec_eigs/[01]/' \
    --benchmark_out="$out/eigs_${label}_$r.json" --benchmark_out_format=json >/dev/null
}
for r in $(seq 1 "$rounds"); do
  echo "round $r: before"; run before "$before" "$r"
  echo "round $r: after"; run after "$after" "$r"
done
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/compare_builds.py" "$out"
