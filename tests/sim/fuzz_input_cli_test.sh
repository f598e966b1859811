#!/usr/bin/env bash
# `treesim replay --from-fuzz-input` end to end: a sim_fuzz input runs the same twice, its
# --record file replays to the same result line and trace hash and is a scenario `treesim shrink`
# reads; an unreadable input exits 3 with a message naming it, and misused flags exit 2.
# Usage: fuzz_input_cli_test.sh TREESIM
set -u
treesim=$1
source "$(dirname "$0")/cli_test_lib.sh"

# Inputs of a few shapes: empty, short, and a few hundred bytes of a fixed pattern.
: >"$scratch/empty.bin"
printf '\x07\x00\xff\x30\x99\x02\x10\x80\x40' >"$scratch/short.bin"
for i in $(seq 1 300); do printf "\\$(printf '%03o' $((i * 37 % 251)))"; done >"$scratch/long.bin"

for name in empty short long; do
  input="$scratch/$name.bin"
  printed=$("$treesim" replay --from-fuzz-input "$input" --record "$scratch/$name.json") ||
    fail "replay --from-fuzz-input $name: exit $?"
  [ -n "$printed" ] || fail "$name: nothing printed"
  replayed=$("$treesim" replay "$scratch/$name.json") || fail "replay $name.json: exit $?"
  [ "$printed" = "$replayed" ] || fail "$name: the fuzz input printed
$printed
but its recorded scenario printed
$replayed"
  input_hash=$("$treesim" replay --from-fuzz-input "$input" --json --verify-determinism |
    grep '"trace_hash"')
  file_hash=$("$treesim" replay "$scratch/$name.json" --json | grep '"trace_hash"')
  [ -n "$input_hash" ] && [ "$input_hash" = "$file_hash" ] ||
    fail "$name: JSON trace hash '$input_hash' vs '$file_hash'"
  grep -q '"events"' "$scratch/$name.json" || fail "$name.json has no explicit events"
  grep -q 'recorded by treesim replay --from-fuzz-input' "$scratch/$name.json" ||
    fail "$name.json: comment does not say where it came from"
done
# A passing run has nothing to shrink, but the file is one shrink reads.
expect_exit 4 "" shrink "$scratch/long.json"

expect_exit 3 "--from-fuzz-input: cannot read '$scratch/missing.bin'" \
  replay --from-fuzz-input "$scratch/missing.bin"
expect_exit 3 "'$scratch' is a directory" replay --from-fuzz-input "$scratch"
expect_exit 3 "--record:" replay --from-fuzz-input "$scratch/short.bin" \
  --record "$scratch/no/such/dir.json"
expect_exit 2 "" replay "$scratch/long.json" --from-fuzz-input "$scratch/short.bin"
expect_exit 2 "" replay "$scratch/long.json" --record "$scratch/x.json"
expect_exit 2 "--from-fuzz-input" replay
"$treesim" replay --help | grep -q -- "--from-fuzz-input" || fail "replay --help lacks --from-fuzz-input"

finish "fuzz input CLI"
