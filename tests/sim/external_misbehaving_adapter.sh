#!/usr/bin/env bash
# An adapter that misbehaves on purpose, for the external-SUT tests: it forwards every request to
# a real adapter and its answer back, except at the first request named REQUEST, where it
#   hang     stops answering (sleeps);
#   garble   answers with a line that is not valid JSON;
#   exit     writes "adapter gave up" to standard error and exits with status 3;
#   version  (REQUEST is hello) claims protocol version 99;
#   bare     (REQUEST is hello) advertises only the capabilities store and strategy, so the
#            simulator reads head, frontier and version vector one by one and arms no fault.
# Usage: external_misbehaving_adapter.sh MODE REQUEST ADAPTER_COMMAND...
set -u
mode=$1
target=$2
shift 2
coproc ADAPTER { "$@"; }
fired=0
while IFS= read -r line; do
  name=${line#*\"request\":\"}
  name=${name%%\"*}
  if [ "$fired" -eq 0 ] && [ "$name" = "$target" ]; then
    fired=1
    case "$mode" in
      hang) exec sleep 1000 ;;
      garble) printf '%s\n' '{"head": 7, oops'; continue ;;
      exit) echo "adapter gave up" >&2; exit 3 ;;
      version) printf '%s\n' '{"protocol": 99, "name": "future", "capabilities": []}'; continue ;;
    esac
  fi
  printf '%s\n' "$line" >&"${ADAPTER[1]}"
  IFS= read -r reply <&"${ADAPTER[0]}" || exit 4
  if [ "$mode" = bare ] && [ "$name" = hello ]; then
    reply='{"protocol": 1, "name": "bare", "capabilities": ["store", "strategy"]}'
  fi
  printf '%s\n' "$reply"
done
