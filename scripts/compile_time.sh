#!/usr/bin/env bash
# Compile-time figures of issue 11 (bench/RESULTS.md, "Compile time").
#
#   bash scripts/compile_time.sh [tu|suite|all] [SOURCE_TREE]
#
#   tu     CPU time (user+system, /usr/bin/time -f %U+%S) of ONE translation unit
#          that includes the core umbrella and every component umbrella header
#          that exists (io, xtensor, lab) and instantiates slq, extreme_eigenpairs
#          and blockwise_spectra on a dense operator; Release flags
#          (-O3 -DNDEBUG -std=c++20), -fsyntax-only is NOT used (full codegen).
#   suite  CPU time of building the doctest suite (target blockspec_tests,
#          Release, ninja -j1) in a fresh build directory <SOURCE_TREE>/build-compile-time.
#   all    both (default: tu only, the suite takes ~20 CPU-minutes).
#
# SOURCE_TREE defaults to this checkout; pass another checkout (e.g. an older
# commit) to get its "before" figure with the same TU. CXX overrides g++.
set -euo pipefail
what="${1:-tu}"
src="$(cd "${2:-$(dirname "${BASH_SOURCE[0]}")/..}" && pwd)"
CXX="${CXX:-g++}"
EIGEN_INC="${EIGEN_INC:-/usr/include/eigen3}"

cpu() {  # cpu <out-file> <command...>: prints user+system seconds
  local out=$1; shift
  /usr/bin/time -f '%U %S' -o "$out.time" "$@" >"$out.log" 2>&1 || { cat "$out.log" >&2; return 1; }
  awk '{printf "%.2f\n", $1 + $2}' "$out.time"
}

tu() {
  local work
  work="$(mktemp -d)"
  {
    for h in blockspec/blockspec.hpp blockspec/io/io.hpp blockspec/operator/xtensor.hpp blockspec/xtensor.hpp blockspec/lab/lab.hpp; do
      [ -f "$src/include/$h" ] && echo "#include <$h>"
    done
    cat <<'CPP'
#include <Eigen/Core>

// One of each heavy algorithm, on a dense operator.
int main() {
  const Eigen::Index n = 64;
  Eigen::MatrixXd a = Eigen::MatrixXd::Random(n, n);
  a = (a + a.transpose()).eval();
  auto op = blockspec::dense_operator(a);
  blockspec::SlqOptions o;
  o.probes = 2;
  o.steps = 10;
  auto q = blockspec::slq(op, o);
  auto e = blockspec::extreme_eigenpairs(op, 2);
  auto part = blockspec::BlockPartition::uniform(2, n / 2);
#if __has_include(<blockspec/executor.hpp>)  // BlockwiseOptions (after the architecture change)
  blockspec::BlockwiseOptions bo;
  bo.slq = o;
  auto b = blockspec::blockwise_spectra(op, part, bo);
#else
  auto b = blockspec::blockwise_spectra(op, part, o);
#endif
  return static_cast<int>(q.probes.size() + e.values.size() + b.blocks.size()) == 0;
}
CPP
  } >"$work/tu.cpp"
  local t
  t="$(cpu "$work/tu" "$CXX" -std=c++20 -O3 -DNDEBUG -I"$src/include" -I"$EIGEN_INC" -c "$work/tu.cpp" -o "$work/tu.o")"
  echo "tu: $t s CPU  ($CXX -std=c++20 -O3 -DNDEBUG -c: $(grep -c '#include' "$work/tu.cpp") umbrella includes, $src)"
  rm -rf "$work"
}

suite() {
  local b="$src/build-compile-time"
  rm -rf "$b"
  cmake -S "$src" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBLOCKSPEC_BUILD_EXAMPLES=OFF \
        -DBLOCKSPEC_BUILD_BENCHMARKS=OFF -DBLOCKSPEC_TEST_CONSUMERS=OFF -DBLOCKSPEC_HEADER_CHECK=OFF >/dev/null
  local t
  t="$(cpu "$b/suite" ninja -C "$b" -j1 blockspec_tests)"
  echo "suite: $t s CPU  (ninja -j1 blockspec_tests, Release, $src)"
}

case "$what" in
  tu) tu ;;
  suite) suite ;;
  all) tu; suite ;;
  *) echo "usage: bash scripts/compile_time.sh [tu|suite|all] [SOURCE_TREE]" >&2; exit 2 ;;
esac
