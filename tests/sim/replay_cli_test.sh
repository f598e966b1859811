#!/usr/bin/env bash
# `treesim run --record` and `treesim replay` end to end: a recorded run replays to the same
# result line and trace hash (text and JSON); a scenario with only a seed and options runs like
# `treesim run`; a failing replay exits with its class's code and prints its reproduce line; bad
# files get exit code 3 and a message naming the file and the field, a missing argument 2.
# Usage: replay_cli_test.sh TREESIM
set -u
treesim=$1
source "$(dirname "$0")/cli_test_lib.sh"

for seed in 21 22; do
  recorded=$("$treesim" run --seed "$seed" --swarm --safety-ticks 60 --record "$scratch/$seed.json") ||
    fail "run --seed $seed --record: exit $?"
  replayed=$("$treesim" replay "$scratch/$seed.json") || fail "replay $seed: exit $?"
  [ "$recorded" = "$replayed" ] || fail "seed $seed: run printed
$recorded
but replay printed
$replayed"
  run_hash=$("$treesim" run --seed "$seed" --swarm --safety-ticks 60 --json | grep '"trace_hash"')
  replay_hash=$("$treesim" replay --json --verify-determinism "$scratch/$seed.json" |
    grep '"trace_hash"')
  [ -n "$run_hash" ] && [ "$run_hash" = "$replay_hash" ] ||
    fail "seed $seed: JSON trace hash '$run_hash' vs '$replay_hash'"
done
grep -q '"format": "treesim-scenario"' "$scratch/21.json" || fail "recorded file lacks its format"

# Only a seed and options: the seed's schedule runs, as with `treesim run`.
printf '{"format": "treesim-scenario", "version": 1, "seed": "0x2a", "options": {}}\n' \
  >"$scratch/seed_only.json"
[ "$("$treesim" replay "$scratch/seed_only.json")" = "$("$treesim" run --seed 42)" ] ||
  fail "a seed-only scenario does not run like treesim run --seed 42"

# A failing replay: replica 2's restart fails on an armed fault and it is down at the end (a
# memory store fails the very next store call, whatever it is: the reopen).
cat >"$scratch/down.json" <<'JSON'
{"format": "treesim-scenario", "version": 1, "seed": 1,
 "options": {"replicas": [{}, {}, {"store": "memory"}]},
 "events": [{"tick": 0, "kind": "arm_storage_fault", "replica": 2, "countdown": 1},
            {"tick": 0, "kind": "crash", "replica": 2},
            {"tick": 1, "kind": "end"}]}
JSON
expect_exit 13 "reproduce: treesim replay $scratch/down.json" replay "$scratch/down.json"
expect_exit 13 "the replica is down at the end of the run" replay "$scratch/down.json"

sed 's/treesim-scenario/treesim-oplog/' "$scratch/seed_only.json" >"$scratch/format.json"
expect_exit 3 "$scratch/format.json: field 'format': expected \"treesim-scenario\"" \
  replay "$scratch/format.json"
sed 's/"version": 1/"version": 2/' "$scratch/seed_only.json" >"$scratch/version.json"
expect_exit 3 "scenario version 2; this build reads version 1" replay "$scratch/version.json"
sed 's/"replica": 2, "countdown"/"replica": 5, "countdown"/' "$scratch/down.json" >"$scratch/index.json"
expect_exit 3 "field 'events[0].replica': 5 is outside [0, 2]" replay "$scratch/index.json"
expect_exit 3 "cannot read '$scratch/missing.json'" replay "$scratch/missing.json"
expect_exit 3 "'$scratch' is a directory, not a file" replay "$scratch"
expect_exit 3 "--record:" run --seed 1 --safety-ticks 5 --record "$scratch/no/such/dir.json"
expect_exit 2 "" replay

finish "replay CLI"
