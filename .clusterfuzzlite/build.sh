#!/bin/bash -eu
# Builds the fuzz targets under the OSS-Fuzz / ClusterFuzzLite build contract: compilers and
# flags from $CC $CXX $CFLAGS $CXXFLAGS (which carry the sanitizer and the fuzzer's coverage
# instrumentation), the engine linked from $LIB_FUZZING_ENGINE, and into $OUT: each target, its
# seed corpus as <target>_seed_corpus.zip and its dictionary as <target>.dict.
# Runs from the checkout (OSS-Fuzz: $SRC/treesim); the CMake build goes to $WORK/treesim-build.
# scripts/test runs it with a local $OUT, so CI checks this contract on every run;
# TREESIM_EXTRA_TARGETS (local use only) names more targets to build in the same tree.
cd "$(dirname "$0")/.."
: "${OUT:?set OUT to the output directory}" "${WORK:=$OUT/../work}"
: "${CC:=clang}" "${CXX:=clang++}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
export CC CXX
mkdir -p "$OUT" "$WORK"
OUT=$(cd "$OUT" && pwd)
WORK=$(cd "$WORK" && pwd)
targets=(codec_fuzz materializer_fuzz sim_fuzz)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

cmake -S . -B "$WORK/treesim-build" "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTREESIM_FUZZ=ON -DTREESIM_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" \
  -DTREESIM_BUILD_TESTS=OFF -DTREESIM_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$WORK/treesim-build" -j "$(nproc)" --target "${targets[@]}" ${TREESIM_EXTRA_TARGETS:-}

for target in "${targets[@]}"; do
  cp "$WORK/treesim-build/fuzz/$target" "$OUT/"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
  if [ -f "fuzz/$target.dict" ]; then cp "fuzz/$target.dict" "$OUT/"; fi
done
echo "build.sh: ${targets[*]} with seed corpora and dictionaries in $OUT"
