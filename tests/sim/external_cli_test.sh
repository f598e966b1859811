#!/usr/bin/env bash
# The external system under test end to end (docs/sut-protocol.md): runs through treesim-adapter
# give the in-process run's trace hash and result; killing adapters on SQLite and on the
# journaled memory store loses no acknowledged op; a hung adapter is a failure of class
# unresponsive naming the request, within the watchdog's time; a garbled line, an adapter that
# exits and one that speaks another protocol version are clear failures naming replica, request
# and raw line; shrinking works through the adapter. Each PART is its own ctest entry.
# Usage: external_cli_test.sh PART TREESIM ADAPTER MISBEHAVING_ADAPTER
#   PART: equivalence | transport | shrink
set -u
part=$1
treesim=$2
adapter=$3
misbehaving=$4
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
contains() {  # contains TEXT FRAGMENT CONTEXT
  case "$1" in *"$2"*) ;; *) fail "$3: output lacks '$2': $1" ;; esac
}

# The adapters' databases go here too: on a RAM disk when there is one, since SQLite syncs
# every commit (synchronous=FULL) and a sync to a real disk costs milliseconds.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  scratch=$(mktemp -d -p /dev/shm)
else
  scratch=$(mktemp -d)
fi
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

# "<trace hash> <failure class or ok> <crashes>" of a run's JSON report.
summary() {
  "$treesim" run --json "$@" 2>/dev/null | awk '
    /"trace_hash"/ { gsub(/[",]/, "", $2); hash = $2 }
    /"crashes"/ { gsub(/,/, "", $2); crashes = $2 }
    /"class"/ { gsub(/[",]/, "", $2); class = $2 }
    END { print hash, (class == "" ? "ok" : class), crashes }'
}

# The same run in process and through the adapter: same trace hash, same result.
expect_equivalent() {
  local inside outside
  inside=$(summary "$@")
  outside=$(summary "$@" --sut external --sut-cmd "$adapter")
  [ -n "${inside%% *}" ] || fail "run $*: no trace hash"
  [ "$inside" = "$outside" ] || fail "run $*: in process '$inside', external '$outside'"
  echo "$outside"
}

case "$part" in
equivalence)
  # Swarm profiles mixing SQLite and memory replicas, every strategy, deferred mode, crashes,
  # fault points, forged ops, partitions (none arms a storage fault at an SQLite replica, the
  # one fault an adapter injects differently).
  for seed in 1 3 9; do
    expect_equivalent --seed "$seed" --swarm --safety-ticks 60 >/dev/null
  done
  # Crash by kill on SQLite: every restart must come back with exactly the acknowledged ops
  # (the durability checker), and the runs must have crashed.
  result=$(expect_equivalent --seed 5 --store sqlite --crash-per-mille 40 --fault-point-per-mille 20 \
    --safety-ticks 80)
  case "$result" in *" ok "[1-9]*) ;; *) fail "sqlite crash run: expected a pass with crashes: $result" ;; esac
  # The journaled memory store, with storage faults armed across kills (pending_faults).
  result=$(expect_equivalent --seed 6 --store memory --strategy prefix-replay --deferred \
    --crash-per-mille 40 --storage-fault-per-mille 40 --safety-ticks 80)
  case "$result" in *" ok "[1-9]*) ;; *) fail "memory crash run: expected a pass with crashes: $result" ;; esac
  # An adapter with no optional capability: reads one value per request, arms no fault; on a
  # profile without faults the trace is still the in-process one.
  inside=$(summary --seed 7 --crash-per-mille 30 --safety-ticks 60)
  outside=$(summary --seed 7 --crash-per-mille 30 --safety-ticks 60 --sut external \
    --sut-cmd "$misbehaving bare hello $adapter")
  [ "$inside" = "$outside" ] || fail "bare adapter: in process '$inside', external '$outside'"
  ;;

transport)
  started=$(date +%s)
  output=$("$treesim" run --seed 3 --sut external --sut-timeout 0.5 \
    --sut-cmd "$misbehaving hang append $adapter" 2>&1)
  status=$?
  [ "$status" -eq 15 ] || fail "hung adapter: exit $status, expected 15 ($output)"
  contains "$output" "unresponsive/watchdog" "hung adapter"
  contains "$output" "request 'append'" "hung adapter"
  contains "$output" "no response within 0.5 s" "hung adapter"
  contains "$output" "reproduce: treesim run --seed 0x0000000000000003 --sut external --sut-cmd '" \
    "hung adapter"
  contains "$output" "--sut-timeout 0.5" "hung adapter"
  [ $(($(date +%s) - started)) -lt 30 ] || fail "hung adapter: took $(($(date +%s) - started)) s"

  output=$("$treesim" run --seed 3 --sut external --sut-cmd "$misbehaving garble state $adapter" 2>&1)
  status=$?
  [ "$status" -eq 10 ] || fail "garbled line: exit $status, expected 10 ($output)"
  contains "$output" "correctness/protocol" "garbled line"
  contains "$output" "adapter of replica b" "garbled line"
  contains "$output" "request 'state'" "garbled line"
  contains "$output" "the response is not a JSON line" "garbled line"
  contains "$output" 'raw line: {"head": 7, oops' "garbled line"

  output=$("$treesim" run --seed 3 --sut external --sut-cmd "$misbehaving exit local $adapter" 2>&1)
  status=$?
  [ "$status" -eq 10 ] || fail "exiting adapter: exit $status, expected 10 ($output)"
  contains "$output" "request 'local'" "exiting adapter"
  contains "$output" "closed its output before answering; it exited with status 3" "exiting adapter"
  contains "$output" "adapter gave up" "exiting adapter"

  output=$("$treesim" run --seed 3 --sut external --sut-cmd "$misbehaving version hello $adapter" 2>&1)
  status=$?
  [ "$status" -eq 10 ] || fail "future adapter: exit $status, expected 10 ($output)"
  contains "$output" "request 'hello'" "future adapter"
  contains "$output" "speaks protocol version 99; this build speaks version 1" "future adapter"

  output=$("$treesim" sweep --seeds 3..4 --no-swarm --sut external --sut-timeout 0.5 \
    --sut-cmd "$misbehaving hang append $adapter" 2>&1)
  status=$?
  [ "$status" -eq 15 ] || fail "sweep with a hung adapter: exit $status, expected 15 ($output)"
  contains "$output" "2 seeds, 2 failed" "sweep with a hung adapter"
  contains "$output" "reproduce: treesim run --seed 0x0000000000000004 --sut external" \
    "sweep with a hung adapter"

  output=$("$treesim" run --seed 3 --sut external 2>&1)
  [ $? -eq 3 ] || fail "--sut external without --sut-cmd: expected exit 3 ($output)"
  contains "$output" "--sut external needs --sut-cmd" "--sut external without --sut-cmd"
  # Every run directory is gone.
  leftover=$(find "$scratch" -mindepth 1 -maxdepth 1 -name 'treesim-sut-*' | head -1)
  [ -z "$leftover" ] || fail "run directory left behind: $leftover"
  ;;

shrink)
  if ! "$treesim" mutants --list 2>/dev/null | grep -q '^move-no-old-parent-dot'; then
    echo "SKIP: this build has no planted bugs"
    exit 77
  fi
  sut=(--sut external --sut-cmd "$adapter --mutant move-no-old-parent-dot")
  output=$("$treesim" shrink --seed 3 --swarm --safety-ticks 100 "${sut[@]}" --time 40s \
    --out "$scratch/small.json" 2>"$scratch/progress")
  status=$?
  [ "$status" -eq 0 ] || fail "shrink: exit $status ($output $(cat "$scratch/progress"))"
  contains "$output" "fails with correctness/model" "shrink"
  contains "$output" "reproduce: treesim replay $scratch/small.json --sut external --sut-cmd '" \
    "shrink"
  events=$(grep -c '"tick"' "$scratch/small.json")
  [ "$events" -le 12 ] || fail "shrink: $events events left"
  output=$("$treesim" replay "$scratch/small.json" "${sut[@]}" 2>&1)
  [ $? -eq 10 ] || fail "replay of the shrunk scenario through the adapter: ($output)"
  contains "$output" "correctness/model" "replay of the shrunk scenario"
  # In process, with the same planted bug, it fails the same way.
  output=$("$treesim" replay "$scratch/small.json" --mutant move-no-old-parent-dot 2>&1)
  [ $? -eq 10 ] || fail "replay of the shrunk scenario in process: ($output)"
  ;;

*)
  echo "unknown part $part"
  exit 2
  ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "external $part: all passed"
