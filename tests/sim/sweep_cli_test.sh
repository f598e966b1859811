#!/usr/bin/env bash
# `treesim sweep` end to end: a seed range runs every seed of this machine's shard; --json
# reports counts, rates and every probe, naming those no seed hit; --verify-determinism runs
# each seed twice and says so; --time stops starting seeds after the budget (and
# without --seeds runs from seed 1 upward); --ledger resumes a sweep (below); bad arguments exit 3
# naming the option.
# Usage: sweep_cli_test.sh TREESIM
set -u
treesim=$1
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

json_field() {  # json_field JSON NAME: the number after "NAME": in the output
  printf '%s\n' "$1" | sed -n "s/^  \"$2\": \\([0-9.]*\\),*\$/\\1/p"
}

out=$("$treesim" sweep --seeds 1..6 --shard 2/3 --jobs 2 --safety-ticks 30 --json) ||
  fail "sweep 1..6 shard 2/3: exit $?"
[ "$(json_field "$out" seeds_run)" = "2" ] || fail "shard 2/3 of 1..6 should run seeds 2 and 5: $out"
[ "$(json_field "$out" failed_count)" = "0" ] || fail "shard 2/3 of 1..6 failed: $out"
case "$out" in *'"catch-up-rewind":'*) ;; *) fail "--json lacks the probe counts: $out" ;; esac

out=$("$treesim" sweep --seeds 3..4 --safety-ticks 20 --verify-determinism --json) ||
  fail "sweep --verify-determinism: exit $?"
case "$out" in *'"verify_determinism": true'*) ;; *) fail "--json lacks verify_determinism: $out" ;; esac
[ "$(json_field "$out" failed_count)" = "0" ] || fail "seeds 3..4 failed the determinism check: $out"

# A calm profile of 5 ticks never catches up by rewind: the report must say so.
out=$("$treesim" sweep --seeds 1..1 --no-swarm --safety-ticks 5) || fail "calm sweep: exit $?"
case "$out" in *"probes not hit:"*"catch-up-rewind"*) ;; *) fail "unhit probes not named: $out" ;; esac

out=$("$treesim" sweep --time 2s --jobs 2 --safety-ticks 20 --json) || fail "sweep --time 2s: exit $?"
seeds_run=$(json_field "$out" seeds_run)
[ -n "$seeds_run" ] && [ "$seeds_run" -ge 1 ] || fail "--time 2s ran no seed: $out"

# --ledger: a sweep resumed from its ledger runs only the seeds the ledger lacks, after re-running
# recorded ones to their recorded trace hashes; a ledger of another build or other settings is
# refused, a failure recorded by an earlier sitting still fails the sweep, and --status reports
# the ledger's progress without running or writing anything.
ledger_dir=$(mktemp -d)
trap 'rm -rf "$ledger_dir"' EXIT
ledger=$ledger_dir/sweep.ledger
"$treesim" sweep --seeds 1..4 --jobs 2 --safety-ticks 20 --ledger "$ledger" > /dev/null ||
  fail "sweep --ledger (new): exit $?"
[ "$(grep -c '^0x' "$ledger")" = "4" ] || fail "a new ledger should hold seeds 1..4: $(cat "$ledger")"
out=$("$treesim" sweep --seeds 1..6 --safety-ticks 20 --ledger "$ledger" --json) ||
  fail "sweep --ledger (resumed): exit $?"
[ "$(json_field "$out" seeds_run)" = "2" ] || fail "a resumed 1..6 should run seeds 5 and 6 only: $out"
[ "$(grep -c '^0x' "$ledger")" = "6" ] || fail "the ledger should now hold seeds 1..6: $(cat "$ledger")"
case "$out" in *'"verified_seeds": ['*'"0x0000000000000004"'*) ;;
  *) fail "--json does not list the re-run seeds: $out" ;; esac

# Seed 2's recorded hash with its last digit changed: this "build" does not reproduce the ledger.
awk '$1 == "0x0000000000000002" { last = substr($2, length($2))
       $2 = substr($2, 1, length($2) - 1) (last == "0" ? "1" : "0") } { print }' \
  "$ledger" > "$ledger_dir/other-build.ledger"
output=$("$treesim" sweep --seeds 1..7 --safety-ticks 20 --ledger "$ledger_dir/other-build.ledger" 2>&1)
status=$?
[ "$status" -eq 14 ] || fail "a ledger of another build: exit $status, expected 14 ($output)"
case "$output" in *"seed 0x0000000000000002 was recorded passing with trace hash"*) ;;
  *) fail "the stale-ledger message does not name the seed: $output" ;; esac
grep -q '^0x0000000000000007' "$ledger_dir/other-build.ledger" &&
  fail "a refused ledger gained seed 7"

output=$("$treesim" sweep --seeds 1..7 --safety-ticks 21 --ledger "$ledger" 2>&1)
status=$?
[ "$status" -eq 3 ] || fail "a ledger of other settings: exit $status, expected 3 ($output)"
case "$output" in *"safety_ticks=20, this sweep has safety_ticks=21"*) ;;
  *) fail "the settings message does not name safety_ticks: $output" ;; esac

sed 's/^\(0x0000000000000003 0x[0-9a-f]*\) 0 /\1 10 /' "$ledger" > "$ledger_dir/failed.ledger"
output=$("$treesim" sweep --seeds 1..6 --safety-ticks 20 --ledger "$ledger_dir/failed.ledger" 2>&1)
status=$?
[ "$status" -eq 10 ] || fail "a ledger with a recorded failure: exit $status, expected 10 ($output)"
case "$output" in *"seed 0x0000000000000003 FAILED (exit 10, as recorded in the ledger)"*"reproduce: treesim run --seed 0x0000000000000003 --swarm --safety-ticks 20"*) ;;
  *) fail "the recorded failure is not reported with its reproduce line: $output" ;; esac

# --status: how far a ledger has come over --seeds, reading it only (a sweep may be appending).
cp "$ledger" "$ledger_dir/before-status.ledger"
printf '0x0000000000000007 0x12' >> "$ledger"  # a line a running sweep is half-way through
output=$("$treesim" sweep --seeds 1..8 --safety-ticks 20 --ledger "$ledger" --status 2>&1)
status=$?
[ "$status" -eq 0 ] || fail "--status: exit $status, expected 0 ($output)"
case "$output" in *"6 of 8 seeds recorded, 0 failed"*"left: 2 seeds, the first 0x0000000000000007"*"the last line is incomplete"*) ;;
  *) fail "--status does not report 6 of 8 recorded and the first missing seed: $output" ;; esac
[ "$(tail -c 23 "$ledger")" = "0x0000000000000007 0x12" ] ||
  fail "--status changed the ledger: $(tail -n 2 "$ledger")"
cp "$ledger_dir/before-status.ledger" "$ledger"
out=$("$treesim" sweep --seeds 1..6 --safety-ticks 20 --ledger "$ledger" --status --json) ||
  fail "--status --json: exit $?"
[ "$(json_field "$out" recorded)" = "6" ] || fail "--status --json: recorded should be 6: $out"
case "$out" in *'"first_missing": null'*) ;; *) fail "--status --json: nothing is missing: $out" ;; esac
output=$("$treesim" sweep --seeds 1..6 --safety-ticks 20 --ledger "$ledger_dir/failed.ledger" --status 2>&1)
status=$?
[ "$status" -eq 10 ] || fail "--status of a ledger with a recorded failure: exit $status, expected 10"
case "$output" in *"seed 0x0000000000000003 FAILED (exit 10, as recorded in the ledger)"*"reproduce: treesim run --seed 0x0000000000000003"*) ;;
  *) fail "--status does not report the recorded failure: $output" ;; esac
output=$("$treesim" sweep --seeds 1..6 --safety-ticks 20 --ledger "$ledger_dir/none.ledger" --status 2>&1)
status=$?
[ "$status" -eq 3 ] || fail "--status of a missing ledger: exit $status, expected 3 ($output)"
[ -e "$ledger_dir/none.ledger" ] && fail "--status created a ledger"
case "$output" in *"none.ledger: no such ledger"*) ;; *) fail "--status of a missing ledger: $output" ;; esac

output=$("$treesim" sweep --time 2s --ledger "$ledger" 2>&1)
status=$?
[ "$status" -eq 3 ] || fail "--ledger without --seeds: exit $status, expected 3 ($output)"
case "$output" in *"--ledger needs --seeds"*) ;; *) fail "--ledger without --seeds: $output" ;; esac

for bad in "--time 5x" "--seeds 9..1" "--shard 4/3" "--jobs 0"; do
  # shellcheck disable=SC2086
  output=$("$treesim" sweep $bad 2>&1)
  status=$?
  [ "$status" -eq 3 ] || fail "sweep $bad: exit $status, expected 3 ($output)"
  option=${bad%% *}
  case "$output" in *"$option"*) ;; *) fail "sweep $bad: message does not name $option: $output" ;; esac
done

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "sweep CLI: all checks passed"
