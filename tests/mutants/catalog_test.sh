#!/usr/bin/env bash
# The mutants ctest label runs one test per mutant name listed in tests/mutants/CMakeLists.txt;
# this test fails when that list and the build's catalog (`treesim mutants --list`) differ, so a
# new mutant cannot be left out of the gate.
# Usage: catalog_test.sh TREESIM NAME...
set -u
treesim=$1
shift
expected=$(printf '%s\n' "$@" | sort)
actual=$("$treesim" mutants --list | grep -v '^ ' | sort) || { echo "FAIL: treesim mutants --list"; exit 1; }
if [ "$expected" != "$actual" ]; then
  echo "FAIL: the mutants gate and the catalog differ"
  diff <(printf '%s\n' "$expected") <(printf '%s\n' "$actual")
  exit 1
fi
echo "mutants catalog: $(printf '%s\n' "$actual" | wc -l) mutants, all in the gate"
