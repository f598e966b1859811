#!/usr/bin/env bash
# The shrink step of `treesim mutants`: the matrix shrinks each mutant's failing run (a checker's
# failure, or a crash of the materializer), writes MUTANT.json into --out-dir, and reports it as
# shrunk only when the file, read back, replays to the same failure. This test replays every
# written file itself with `treesim replay --mutant` (it must end with the expected exit status:
# 10 for a correctness failure, 134 for an assertion's abort) and without the mutant (it must
# pass: the scenario is about the planted bug, not a real one), and holds each shrunk scenario
# to the issue's bound of 20 events.
# Usage: shrink_step_test.sh TREESIM MUTANT:STATUS...
set -u
treesim=$1
shift
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

args=()
for pair in "$@"; do args+=(--mutant "${pair%%:*}"); done
# One failing seed per mutant (--shrink-seeds 1): the shrink and its replay are what this tests;
# the search for smaller runs among the next failing seeds triples the time (the matrix's job).
"$treesim" mutants "${args[@]}" --seeds 40 --safety-ticks 100 --shrink-time 60s --shrink-seeds 1 \
  --out-dir "$scratch/shrunk" --json "$scratch/matrix.json" >"$scratch/table.md" 2>"$scratch/log"
status=$?
cat "$scratch/table.md"
[ "$status" -eq 0 ] || fail "treesim mutants exit $status: $(cat "$scratch/log")"
grep -q "shrunk $#/$# (replayed from the file, same failure)" "$scratch/table.md" ||
  fail "not every mutant was shrunk to a scenario that replays the same way"

for pair in "$@"; do
  mutant=${pair%%:*}
  expected=${pair##*:}
  file="$scratch/shrunk/$mutant.json"
  [ -f "$file" ] || { fail "$mutant: no $file"; continue; }
  # One event per line after the "events" key; the file's format (sim/scenario.h).
  events=$(sed -n '/"events": \[/,/^  \]/p' "$file" | grep -c '"kind"')
  [ "$events" -ge 1 ] && [ "$events" -le 20 ] || fail "$mutant: shrunk to $events events (want 1..20)"
  # In a subshell, so that an abort is its exit status and not the shell's report.
  ("$treesim" replay "$file" --mutant "$mutant" >"$scratch/replay.out" 2>&1)
  code=$?
  [ "$code" -eq "$expected" ] ||
    fail "$mutant: replay with the mutant exited $code, expected $expected: $(tail -3 "$scratch/replay.out")"
  "$treesim" replay "$file" >"$scratch/clean.out" 2>&1
  code=$?
  [ "$code" -eq 0 ] || fail "$mutant: replay without the mutant exited $code: $(tail -3 "$scratch/clean.out")"
  echo "$mutant: $events events; replay fails with the mutant, passes without"
done

[ "$failures" -eq 0 ] || exit 1
echo "shrink step: $# mutants shrunk to <= 20 events, each replaying the same failure"
