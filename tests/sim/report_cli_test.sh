#!/usr/bin/env bash
# The nightly report's chain end to end: `treesim sweep --results` on two shards (one seed of
# them failing under a planted bug), `treesim report merge` of the shards, and `treesim report
# render` of the merged file to summary.md, index.html and junit.xml. Bad inputs (a shard given
# twice, a file that is not a results file, a results file of an unknown version, a field of the
# wrong type) exit 3 naming the file and what is wrong, and write nothing.
# Usage: report_cli_test.sh TREESIM MUTANT
set -u
treesim=$1
mutant=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

for shard in 1 2; do
  "$treesim" sweep --seeds 1..4 --shard "$shard/2" --safety-ticks 100 --mutant "$mutant" \
    --results "$dir/shard$shard.json" >"$dir/sweep$shard.out" 2>&1
  status=$?
  [ "$status" -eq 0 ] || [ "$status" -ge 10 ] || fail "sweep shard $shard: exit $status: $(cat "$dir/sweep$shard.out")"
  [ -s "$dir/shard$shard.json" ] || fail "sweep shard $shard wrote no results"
done
"$treesim" report merge "$dir/shard1.json" "$dir/shard2.json" --out "$dir/all.json" ||
  fail "merge: exit $?"
grep -q '"seeds_run": 4' "$dir/all.json" || fail "the merged summary does not count 4 seeds"
for seed in 1 2 3 4; do
  grep -q "\"seed\": \"0x000000000000000$seed\"" "$dir/all.json" || fail "seed $seed missing from the merge"
done
failed=$(sed -n 's/^  "failed_count": \([0-9]*\),*$/\1/p' "$dir/all.json")
[ -n "$failed" ] && [ "$failed" -ge 1 ] || fail "the mutant $mutant failed no seed of 1..4 (failed_count '$failed')"

"$treesim" report render "$dir/all.json" --out-dir "$dir/report" || fail "render: exit $?"
for file in summary.md index.html junit.xml; do
  [ -s "$dir/report/$file" ] || fail "render wrote no $file"
done
grep -q '<testsuite name="treesim.sweep" tests="4" failures="'"$failed"'"' "$dir/report/junit.xml" ||
  fail "junit.xml does not count 4 seeds and $failed failures: $(head -c 400 "$dir/report/junit.xml")"
grep -q "reproduce: treesim run --seed 0x[0-9a-f]* --swarm --safety-ticks 100 --mutant $mutant" \
  "$dir/report/junit.xml" || fail "junit.xml lacks the failing seed's reproduce line"
grep -q '^## Failures' "$dir/report/summary.md" && grep -q "| $failed |\|| [0-9]* | 0x" "$dir/report/summary.md" ||
  fail "summary.md lacks the failures table"
grep -q '<svg' "$dir/report/index.html" || fail "index.html has no chart"
if grep -Eq '(src|href)=' "$dir/report/index.html"; then
  fail "index.html loads something: it must be self-contained"
fi

# Bad inputs: exit 3, a message naming the file and the problem, nothing written.
expect_bad() {  # expect_bad WHAT PATTERN COMMAND...
  local what=$1 pattern=$2
  shift 2
  local output status
  output=$("$@" 2>&1)
  status=$?
  [ "$status" -eq 3 ] || fail "$what: exit $status, expected 3 ($output)"
  case "$output" in *"$pattern"*) ;; *) fail "$what: the message does not say '$pattern': $output" ;; esac
}
expect_bad "a shard given twice" "is in both" \
  "$treesim" report merge "$dir/shard1.json" "$dir/shard1.json" --out "$dir/twice.json"
[ ! -e "$dir/twice.json" ] || fail "a failed merge wrote its output"
echo '{"format": "something-else"}' >"$dir/other.json"
expect_bad "not a results file" "other.json: \"format\"" \
  "$treesim" report render "$dir/other.json" --out-dir "$dir/bad"
sed 's/"version": 1/"version": 9/' "$dir/shard1.json" >"$dir/v9.json"
expect_bad "an unknown version" "results version 9" \
  "$treesim" report merge "$dir/v9.json" "$dir/shard2.json" --out "$dir/v9-merged.json"
sed -E '0,/"exit_code": ?[0-9]+/s//"exit_code": "zero"/' "$dir/shard1.json" >"$dir/typed.json"
expect_bad "a field of the wrong type" "seeds[0].exit_code" \
  "$treesim" report render "$dir/typed.json" --out-dir "$dir/bad"
echo 'not json' >"$dir/garbage.json"
expect_bad "a file that is not JSON" "garbage.json: not valid JSON" \
  "$treesim" report render "$dir/garbage.json" --out-dir "$dir/bad"
[ ! -e "$dir/bad" ] || fail "a failed render created its output directory"
expect_bad "an unwritable results path" "--results" \
  "$treesim" sweep --seeds 1..1 --results "$dir/no/such/dir/results.json"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "report chain: 2 shards merged ($failed of 4 seeds failing under $mutant), rendered; 6 bad inputs refused"
