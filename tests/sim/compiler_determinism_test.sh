#!/usr/bin/env bash
# Determinism across compilers and build types: the same seed gives the same trace hash from
# the test build (g++, Debug, ASan + UBSan) and from the clang build that scripts/test makes with
# the fuzz targets when clang is installed (.clusterfuzzlite/build.sh: RelWithDebInfo, ASan +
# UBSan, libFuzzer's coverage instrumentation). Skipped (exit 77) when there is no clang build.
# Usage: compiler_determinism_test.sh TREESIM CLANG_TREESIM
set -u
treesim=$1
clang_treesim=$2
[ -x "$clang_treesim" ] || { echo "no clang build at $clang_treesim: skipped"; exit 77; }
failures=0

trace_of() {  # trace_of BINARY SEED: the run's trace hash
  "$1" run --seed "$2" --swarm --safety-ticks 80 --json | sed -n 's/.*"trace_hash": "\([^"]*\)".*/\1/p'
}

for seed in 1 2 3 5 8 13; do
  mine=$(trace_of "$treesim" "$seed")
  theirs=$(trace_of "$clang_treesim" "$seed")
  if [ -z "$mine" ] || [ "$mine" != "$theirs" ]; then
    echo "FAIL: seed $seed: trace '$mine' (this build) vs '$theirs' (clang)"
    failures=$((failures + 1))
  fi
done
[ "$failures" -eq 0 ] || { echo "$failures seed(s) differ"; exit 1; }
echo "6 swarm seeds: identical trace hashes from both builds"
