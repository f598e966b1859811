#!/usr/bin/env bash
# `treesim shrink` end to end: a failing scenario shrinks to the events that matter, is written
# with its account in the comment and replays to the same failure; --save writes into a corpus;
# a budget is reported; an input that does not fail exits 4 saying so; a malformed or missing
# file exits 3 naming the file; FILE and --seed together, or neither, exit 2; with a planted bug
# that crashes the materializer, the crash shrinks and the shrunk file crashes the same way.
# Usage: shrink_cli_test.sh TREESIM
set -u
treesim=$1
source "$(dirname "$0")/cli_test_lib.sh"

# Replica 2 cannot restart (an armed fault fails its memory store's reopen) and is down at the
# end. Everything else is noise: edits at every replica, a sync, a partition, a fault point.
node() { printf '"%032x"' "$1"; }
cat >"$scratch/down.json" <<JSON
{"format": "treesim-scenario", "version": 1, "seed": 1,
 "options": {"replicas": [{}, {}, {"store": "memory"}]},
 "events": [
  {"tick": 0, "kind": "local", "replica": 0, "edit": {"kind": "insert", "node": $(node 1), "parent": $(node 0)}},
  {"tick": 0, "kind": "local", "replica": 2, "edit": {"kind": "insert", "node": $(node 2), "parent": $(node 0)}},
  {"tick": 1, "kind": "partition", "side": [1, 2], "until": 6},
  {"tick": 2, "kind": "local", "replica": 1, "edit": {"kind": "insert", "node": $(node 3), "parent": $(node 0)}},
  {"tick": 3, "kind": "sync", "from": 0, "to": 1, "known": {}},
  {"tick": 4, "kind": "arm_fault_point", "replica": 0, "countdown": 3},
  {"tick": 5, "kind": "arm_storage_fault", "replica": 2, "countdown": 1},
  {"tick": 6, "kind": "heal"},
  {"tick": 7, "kind": "crash", "replica": 2},
  {"tick": 8, "kind": "local", "replica": 0, "edit": {"kind": "remove", "node": $(node 1)}},
  {"tick": 40, "kind": "end"}]}
JSON
expect_exit 13 "the replica is down at the end of the run" replay "$scratch/down.json"

output=$("$treesim" shrink "$scratch/down.json" --out "$scratch/small.json" 2>"$scratch/progress")
status=$?
[ "$status" -eq 0 ] || fail "shrink down.json: exit $status ($output)"
case "$output" in
  *"shrunk 11 events at 3 replicas to 3 events at 1 replicas"*) ;;
  *) fail "shrink down.json: unexpected summary: $output" ;;
esac
case "$output" in *"reproduce: treesim replay $scratch/small.json"*) ;; *)
  fail "shrink down.json: no reproduce line: $output" ;;
esac
grep -q "^replicas .* events, .* replicas, .* tries" "$scratch/progress" ||
  fail "no progress lines on standard error: $(cat "$scratch/progress")"
expect_exit 13 "replica 0: the replica is down at the end of the run" replay "$scratch/small.json"
grep -q '"version": 1,' "$scratch/small.json" || fail "the shrunk file is not version 1"
grep -q 'It fails with convergence/convergence' "$scratch/small.json" ||
  fail "the comment does not name the checker"
grep -q 'r0 arms a storage fault' "$scratch/small.json" ||
  fail "the comment does not say which replica did what"
[ "$(grep -c '^    {"tick":' "$scratch/small.json")" -eq 3 ] ||
  fail "the shrunk file does not hold 3 events: $(cat "$scratch/small.json")"

# Without --out, next to the input; --save into a corpus, never over an existing file.
mkdir -p "$scratch/corpus/regressions"
expect_exit 0 "wrote $scratch/down.shrunk.json" shrink "$scratch/down.json" --save down_at_end \
  --corpus "$scratch/corpus"
[ -f "$scratch/corpus/regressions/down_at_end.json" ] || fail "--save wrote nothing"
cmp -s "$scratch/down.shrunk.json" "$scratch/corpus/regressions/down_at_end.json" ||
  fail "--save and the default output differ"
expect_exit 3 "--save: $scratch/corpus/regressions/down_at_end.json exists" \
  shrink "$scratch/down.json" --save down_at_end --corpus "$scratch/corpus"
expect_exit 3 "is not a corpus name" shrink "$scratch/down.json" --save "../x" --corpus "$scratch/corpus"

# Budgets.
expect_exit 0 "(budget spent: --time or --tries)" shrink "$scratch/down.json" --tries 1 \
  --out "$scratch/budget.json"
expect_exit 13 "the replica is down at the end of the run" replay "$scratch/budget.json"
expect_exit 3 "--time: 'soon' is not a duration" shrink "$scratch/down.json" --time soon
expect_exit 3 "--tries must be at least 1" shrink "$scratch/down.json" --tries 0

# Nothing to shrink: a passing recorded run, and a passing seed.
"$treesim" run --seed 21 --safety-ticks 30 --record "$scratch/ok.json" >/dev/null ||
  fail "run --seed 21 --record: exit $?"
expect_exit 4 "the scenario does not fail" shrink "$scratch/ok.json"
expect_exit 4 "there is nothing to shrink" shrink --seed 5 --safety-ticks 20 --store memory

# Bad input and usage.
sed 's/"version": 1/"version": 2/' "$scratch/down.json" >"$scratch/version.json"
expect_exit 3 "$scratch/version.json: field 'version': scenario version 2; this build reads version 1" \
  shrink "$scratch/version.json"
sed 's/"replica": 2, "countdown"/"replica": 5, "countdown"/' "$scratch/down.json" >"$scratch/index.json"
expect_exit 3 "field 'events[6].replica': 5 is outside [0, 2]" shrink "$scratch/index.json"
printf '{"format": "treesim-scenario", "version": 1, "seed": 1, "options": {}, "events": [\n' \
  >"$scratch/truncated.json"
expect_exit 3 "$scratch/truncated.json: line 2: invalid JSON" shrink "$scratch/truncated.json"
expect_exit 3 "cannot read '$scratch/missing.json'" shrink "$scratch/missing.json"
expect_exit 2 "not both and not neither" shrink "$scratch/down.json" --seed 3
expect_exit 2 "not both and not neither" shrink
expect_exit 0 "--tries" shrink --help

# With a planted bug (builds with mutants): a swarm seed's failure shrinks and replays.
if "$treesim" mutants --list 2>/dev/null | grep -qx "duplicate-reapplied"; then
  expect_exit 0 "fails with correctness/invariants" shrink --seed 1 --swarm --safety-ticks 100 \
    --mutant duplicate-reapplied --out "$scratch/mutant.json"
  expect_exit 10 "correctness/invariants" replay "$scratch/mutant.json" --mutant duplicate-reapplied
fi

# A planted bug that breaks an assertion of the materializer: the first swarm seed whose run
# crashes shrinks to a few events, and the shrunk file crashes with the same assertion.
if "$treesim" mutants --list 2>/dev/null | grep -qx "rewind-to-op-predecessor"; then
  crash_mutant=rewind-to-op-predecessor
  crash_seed=
  for seed in $(seq 1 20); do
    if "$treesim" run --seed "$seed" --swarm --safety-ticks 100 --mutant "$crash_mutant" 2>&1 |
      grep -q "^assertion failed: "; then
      crash_seed=$seed
      break
    fi
  done
  if [ -z "$crash_seed" ]; then
    fail "$crash_mutant: no seed in 1..20 crashes"
  else
    output=$("$treesim" shrink --seed "$crash_seed" --swarm --safety-ticks 100 \
      --mutant "$crash_mutant" --time 60s --out "$scratch/crash.json" 2>/dev/null)
    status=$?
    [ "$status" -eq 0 ] || fail "shrink the crash of seed $crash_seed: exit $status ($output)"
    assertion=$(printf '%s\n' "$output" | grep -o "assertion failed: .*")
    [ -n "$assertion" ] || fail "shrink the crash: no assertion named: $output"
    events=$(printf '%s\n' "$output" | sed -n 's/^shrunk .* to \([0-9]*\) events.*/\1/p')
    [ -n "$events" ] && [ "$events" -le 20 ] || fail "shrink the crash: not at most 20 events: $output"
    grep -q 'It crashes the system under test (crash/assertion)' "$scratch/crash.json" ||
      fail "the comment does not say that it crashes"
    replayed=$("$treesim" replay "$scratch/crash.json" --mutant "$crash_mutant" 2>&1)
    status=$?
    [ "$status" -ne 0 ] || fail "replay of the shrunk crash passes"
    case "$replayed" in *"$assertion"*) ;; *)
      fail "replay of the shrunk crash does not crash with '$assertion': $replayed" ;;
    esac
  fi
fi

finish "shrink CLI"
