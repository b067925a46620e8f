#!/usr/bin/env bash
# bench/run_all.sh — build and run every benchmark, then write bench/RESULTS.md.
#
# Usage: bench/run_all.sh [--long | --slq-only]      (from the repository root)
#   --long      also the 1000 x 1000 Laplacian eigenpair runs (blockspec ncv = 60 and
#               scipy eigsh ncv = 60, about ten minutes each on 2 cores)
#   --slq-only  rerun only the operator products and the SLQ comparisons (C++ and numpy),
#               keeping the eigenpair and scale outputs of an earlier run; RESULTS.md dates
#               each section
# Environment: BUILD_DIR (default build/bench), BLOCKSPEC_BENCH_DATA (default bench/out),
#              CXXFLAGS_BENCH (extra compiler flags; the benchmarks are built with -march=native
#              unless -DBLOCKSPEC_BENCH_NATIVE=OFF, see bench/CMakeLists.txt),
#              SCALE_GRID (default 464: n = 464^3 ~ 10^8), SCALE_PROBES (default 10).
# Generated data (goe_4000.npy, JSON outputs) goes to bench/out/ and is never committed.
# numpy is timed with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command
# only. If the system numpy is not on OpenBLAS (Debian's default libblas is the
# reference BLAS), the OpenBLAS .deb is fetched with `apt-get download` and unpacked
# under bench/out/openblas, and put first on LD_LIBRARY_PATH for the numpy commands only.
set -euo pipefail
cd "$(dirname "$0")/.."
LONG=0
SLQ_ONLY=0
[[ "${1:-}" == "--long" ]] && LONG=1
[[ "${1:-}" == "--slq-only" ]] && SLQ_ONLY=1
BUILD_DIR=${BUILD_DIR:-build/bench}
OUT=${BLOCKSPEC_BENCH_DATA:-bench/out}
export BLOCKSPEC_BENCH_DATA=$OUT
mkdir -p "$OUT"
PY=/usr/bin/python3
log() { echo "[run_all $(date +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)] $*" | tee -a "$OUT/run_all.log"; }

log "configure and build ($BUILD_DIR, Release)"
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="${CXXFLAGS_BENCH:-}" >/dev/null
cmake --build "$BUILD_DIR" -j2 --target bench_operator_products bench_slq bench_eigs bench_scale
B="$BUILD_DIR/bench"

log "data"
[[ -f "$OUT/goe_4000.npy" ]] || $PY bench/reference_slq.py --data "$OUT" --make-data

# numpy's BLAS: OpenBLAS, both cores.
NUMPY_LD=""
if ! $PY -c "import numpy,sys; numpy.ones((64,64))@numpy.ones((64,64)); sys.exit(0 if 'openblas' in open('/proc/self/maps').read() else 1)"; then
  if [[ ! -d "$OUT/openblas" ]]; then
    (cd "$OUT" && apt-get download libopenblas0-pthread >/dev/null 2>&1 && dpkg -x libopenblas0-pthread_*.deb openblas)
  fi
  NUMPY_LD=$(dirname "$(find "$PWD/$OUT/openblas" -name libblas.so.3 | head -1)")
fi
numpy_run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="${NUMPY_LD}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" $PY bench/reference_slq.py --data "$OUT" "$@"; }

log "operator products"
"$B/bench_operator_products" --benchmark_min_time=1 --benchmark_out="$OUT/operator_products.json" --benchmark_out_format=json
log "SLQ (C++)"
"$B/bench_slq" --benchmark_out="$OUT/slq.json" --benchmark_out_format=json
log "SLQ (numpy, GOE)"
cp "$OUT/python.jsonl" "$OUT/python.jsonl.keep" 2>/dev/null || : > "$OUT/python.jsonl.keep"
: > "$OUT/python.jsonl"
numpy_run --problem goe --mode vectorized | tee -a "$OUT/python.jsonl"
numpy_run --problem goe --mode pyhessian | tee -a "$OUT/python.jsonl"
if [[ $SLQ_ONLY == 1 ]]; then
  grep -v '"problem": "\(goe\|laplacian\)", "mode": "\(vectorized\|pyhessian\)"' "$OUT/python.jsonl.keep" >> "$OUT/python.jsonl" || true
  log "SLQ (numpy, Laplacian)"
  numpy_run --problem laplacian --mode vectorized | tee -a "$OUT/python.jsonl"
  numpy_run --problem laplacian --mode pyhessian | tee -a "$OUT/python.jsonl"
  log "write bench/RESULTS.md"
  $PY bench/make_results.py "$OUT" > bench/RESULTS.md
  log "done"
  exit 0
fi
log "eigenpairs (C++: blockspec and Spectra)"
"$B/bench_eigs" --benchmark_filter='^(blockspec_eigs|spectra_eigs)/[01]/' --benchmark_out="$OUT/eigs.json" --benchmark_out_format=json
log "eigsh (scipy, 300 x 300 Laplacian, ncv 60)"
numpy_run --problem laplacian300 --mode eigsh --ncv 60 | tee -a "$OUT/python.jsonl"
log "SLQ (numpy, Laplacian)"
numpy_run --problem laplacian --mode vectorized | tee -a "$OUT/python.jsonl"
numpy_run --problem laplacian --mode pyhessian | tee -a "$OUT/python.jsonl"
log "scale run"
/usr/bin/time -v "$B/bench_scale" "${SCALE_GRID:-464}" "${SCALE_PROBES:-10}" 100 1 > "$OUT/scale.json" 2> "$OUT/scale_time.txt"
cat "$OUT/scale.json"
if [[ $LONG == 1 ]]; then
  log "long: 1000 x 1000 Laplacian eigenpairs"
  "$B/bench_eigs" --benchmark_filter='^blockspec_eigs/2/' --benchmark_out="$OUT/eigs_long.json" --benchmark_out_format=json
  numpy_run --problem laplacian --mode eigsh --ncv 60 | tee -a "$OUT/python.jsonl"
fi
log "write bench/RESULTS.md"
$PY bench/make_results.py "$OUT" > bench/RESULTS.md
log "done"
