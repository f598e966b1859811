#!/usr/bin/env bash
# `treesim sweep` end to end: a seed range runs every seed of this machine's shard; --json
# reports counts, rates and every probe, naming those no seed hit; --verify-determinism runs
# each seed twice and says so; --time stops starting seeds after the budget (and
# without --seeds runs from seed 1 upward); bad arguments exit 3 naming the option.
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
