#!/usr/bin/env bash
# `treesim materialize` end to end: the worked examples fold to the trees SEMANTICS.md states,
# and bad input (a corrupt line, a missing file, an unknown option) gets exit code 3 or 2 with
# a message naming what is wrong and where. Usage: materialize_cli_test.sh TREESIM CORPUS_DIR
set -u
treesim=$1
examples=$2/examples
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_tree() {  # expect_tree FILE EXPECTED_TEXT
  local actual
  actual=$("$treesim" materialize --ops "$examples/$1" --format text 2>&1) || fail "$1: exit $?"
  [ "$actual" = "$2" ] || fail "$1: expected
$2
got
$actual"
}

expect_error() {  # expect_error EXIT_CODE MESSAGE_FRAGMENT ARGS...
  local code=$1 fragment=$2
  shift 2
  local output status
  output=$("$treesim" "$@" 2>&1)
  status=$?
  [ "$status" -eq "$code" ] || fail "'$*': exit $status, expected $code ($output)"
  case "$output" in *"$fragment"*) ;; *) fail "'$*': message lacks '$fragment': $output" ;; esac
}

expect_tree example01_concurrent_moves_last_wins.jsonl "ROOT
  0x1
  0x2
    0x3
# 5 ops, 3 nodes, 3 visible"
expect_tree example06_payload_last_writer_wins.jsonl 'ROOT
  0x8 payload="B"
# 3 ops, 1 nodes, 1 visible'
expect_tree example08_aware_delete.jsonl "ROOT
# 3 ops, 2 nodes, 0 visible"

json=$("$treesim" materialize --model --ops "$examples/example07_partial_delete.jsonl") ||
  fail "json output: exit $?"
case "$json" in *'"tombstoned": false'*'"visible"'*) ;; *) fail "json output lacks rows/visible" ;; esac

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
sed '3s/"node":"0*7"/"node":"07"/' "$examples/example07_partial_delete.jsonl" >"$scratch/corrupt.jsonl"
expect_error 3 "line 3: field 'node'" materialize --ops "$scratch/corrupt.jsonl"
expect_error 3 "cannot read '$scratch/missing.jsonl'" materialize --ops "$scratch/missing.jsonl"
head -c 40 "$examples/example01_concurrent_moves_last_wins.jsonl" >"$scratch/truncated.jsonl"
printf '\n{"replica":"61","counter":1' >>"$scratch/truncated.jsonl"
expect_error 3 "line 2" materialize --ops "$scratch/truncated.jsonl"
expect_error 2 "--ops is required" materialize
expect_error 2 "--engine" materialize --ops x --engine fast
expect_error 2 "" frobnicate

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "materialize CLI: all checks passed"
