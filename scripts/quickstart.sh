#!/usr/bin/env bash
# blockspec quickstart.
#   bash scripts/quickstart.sh deps   install the Debian 12 packages blockspec needs (only if missing)
#   bash scripts/quickstart.sh test   deps + configure, build and run the test suite (preset "release")
#   bash scripts/quickstart.sh demo   deps + build and run the demo example (preset "release")
#   bash scripts/quickstart.sh bench  deps + build the Google Benchmark executables into build/release/bench/
# Run it as any user: apt runs (through sudo when not root) only when a package is missing.
# Uses at most 2 parallel jobs (override: JOBS=4 bash scripts/quickstart.sh test).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
JOBS="${JOBS:-2}"

# One list of packages for the quickstart, CI and the README: scripts/debian-packages.txt.
mapfile -t PACKAGES < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' scripts/debian-packages.txt)
# Extra configure arguments (CI: -DBLOCKSPEC_WARNINGS_AS_ERRORS=ON).
read -r -a CMAKE_ARGS <<< "${BLOCKSPEC_CMAKE_ARGS:-}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "quickstart: some packages are missing; as root, run: $*" >&2
    exit 1
  fi
}

deps() {
  if ! command -v dpkg >/dev/null 2>&1; then
    echo "quickstart: no dpkg here; install by hand: ${PACKAGES[*]}" >&2
    return 0
  fi
  local missing=()
  local p
  for p in "${PACKAGES[@]}"; do
    # "install ok installed" only: a removed package whose config files remain is missing
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    echo "quickstart: all ${#PACKAGES[@]} packages are installed"
    return 0
  fi
  echo "quickstart: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

build_release() {
  cmake --preset release "${CMAKE_ARGS[@]}"
  cmake --build --preset release -j"$JOBS" "$@"
}

run_test() {
  deps
  build_release
  ctest --preset release -j"$JOBS"
}

run_demo() {
  deps
  local name
  if [ -f examples/reproduce_paper.cpp ]; then
    name=reproduce_paper
  elif [ -f examples/lanczos_quickstart.cpp ]; then
    name=lanczos_quickstart
  else
    echo "quickstart: no demo example (examples/reproduce_paper.cpp or examples/lanczos_quickstart.cpp)" >&2
    exit 1
  fi
  build_release --target "$name"
  echo "quickstart: running ./build/release/examples/$name $*"
  "./build/release/examples/$name" "$@"
}

run_bench() {
  deps
  cmake --preset release "${CMAKE_ARGS[@]}"
  cmake --build --preset release-benchmarks -j"$JOBS"
  ls build/release/bench/bench_* 2>/dev/null || echo "quickstart: no bench/*.cpp yet"
}

case "${1:-}" in
  deps) deps ;;
  test) run_test ;;
  demo) shift; run_demo "$@" ;;
  bench) run_bench ;;
  *)
    echo "usage: bash scripts/quickstart.sh {deps|test|demo [args...]|bench}" >&2
    exit 2
    ;;
esac
