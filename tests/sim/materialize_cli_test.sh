#!/usr/bin/env bash
# `treesim materialize` end to end: the worked examples fold to the trees SEMANTICS.md states;
# the production materializer prints exactly what the reference model prints for every example
# log, under every catch-up strategy, whole or one op per append, in file order and reversed (so
# it catches up); and bad input (a corrupt line, a missing file, an equivocating op, an unknown
# option) gets exit code 3 or 2 with a message naming what is wrong and where.
# Usage: materialize_cli_test.sh TREESIM CORPUS_DIR
set -u
treesim=$1
source "$(dirname "$0")/cli_test_lib.sh"
examples=$2/examples

expect_tree() {  # expect_tree FILE EXPECTED_TEXT
  local actual
  actual=$("$treesim" materialize --ops "$examples/$1" --format text 2>&1) || fail "$1: exit $?"
  [ "$actual" = "$2" ] || fail "$1: expected
$2
got
$actual"
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
[[ $json == *'"engine": "model"'* ]] || fail "json output does not name the model engine"
json=$("$treesim" materialize --ops "$examples/example07_partial_delete.jsonl") ||
  fail "json output: exit $?"
[[ $json == *'"engine": "materializer"'* ]] || fail "the default engine is not the materializer"

# The JSON output without its "engine" line, which is the only line allowed to differ.
output_without_engine() {  # output_without_engine FILE ARGS...
  local file=$1
  shift
  "$treesim" materialize --ops "$file" "$@" >"$scratch/raw.json" || return
  grep -v '^  "engine": ' "$scratch/raw.json"
}

expect_same_as_model() {  # expect_same_as_model FILE ARGS... (after $scratch/model.json is made)
  local file=$1
  shift
  output_without_engine "$file" --engine materializer "$@" >"$scratch/materializer.json" ||
    fail "$file $*: exit $?"
  diff "$scratch/model.json" "$scratch/materializer.json" >"$scratch/diff" ||
    fail "$file $*: the materializer differs from the model:
$(head -20 "$scratch/diff")"
}

for log in "$examples"/*.jsonl; do
  output_without_engine "$log" --model >"$scratch/model.json" || fail "$log --model: exit $?"
  # The same ops in reverse: the model's output is the same, the materializer must catch up.
  tac "$log" >"$scratch/reversed.jsonl"
  for strategy in rebuild prefix-replay rewind; do
    for batch in "" "--batch 1"; do
      # shellcheck disable=SC2086  # $batch is zero or two words
      expect_same_as_model "$log" --strategy "$strategy" $batch
      # shellcheck disable=SC2086
      expect_same_as_model "$scratch/reversed.jsonl" --strategy "$strategy" $batch
    done
  done
done

sed '3s/"node":"0*7"/"node":"07"/' "$examples/example07_partial_delete.jsonl" >"$scratch/corrupt.jsonl"
expect_exit 3 "line 3: field 'node'" materialize --ops "$scratch/corrupt.jsonl"
expect_exit 3 "cannot read '$scratch/missing.jsonl'" materialize --ops "$scratch/missing.jsonl"
head -c 40 "$examples/example01_concurrent_moves_last_wins.jsonl" >"$scratch/truncated.jsonl"
printf '\n{"replica":"61","counter":1' >>"$scratch/truncated.jsonl"
expect_exit 3 "line 2" materialize --ops "$scratch/truncated.jsonl"
expect_exit 2 "--ops is required" materialize
expect_exit 2 "--engine" materialize --ops x --engine fast
expect_exit 2 "--strategy" materialize --ops x --strategy fast
expect_exit 2 "--batch" materialize --ops x --batch 0
expect_exit 2 "materializer only" materialize --ops x --model --strategy rebuild
# An op that reuses a stored id with different content: named by its position in the log.
{
  cat "$examples/example01_concurrent_moves_last_wins.jsonl"
  grep -m1 '"counter":1,' "$examples/example01_concurrent_moves_last_wins.jsonl" |
    sed 's/"node":"[0-9a-f]*"/"node":"000000000000000000000000000000ff"/'
} >"$scratch/equivocation.jsonl"
expect_exit 3 "op 6: op id a:1 is already used" materialize --ops "$scratch/equivocation.jsonl"
expect_exit 3 "op 6: op id a:1 is already used" materialize --ops "$scratch/equivocation.jsonl" \
  --batch 1
expect_exit 3 "op 6:" materialize --model --ops "$scratch/equivocation.jsonl"
expect_exit 2 "" frobnicate

finish "materialize CLI"
