# What the treesim CLI tests share; each sources it after setting `treesim` to the binary:
#   fail MESSAGE                      count a failure and print it
#   expect_exit CODE FRAGMENT ARGS    run treesim ARGS: exit CODE, output containing FRAGMENT
#   finish NAME                       exit 1 after any failure, else say NAME passed
#   $scratch                          a temporary directory, removed on exit
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_exit() {  # expect_exit EXIT_CODE MESSAGE_FRAGMENT ARGS...
  local code=$1 fragment=$2
  shift 2
  local output status
  output=$("$treesim" "$@" 2>&1)
  status=$?
  [ "$status" -eq "$code" ] || fail "'$*': exit $status, expected $code ($output)"
  case "$output" in *"$fragment"*) ;; *) fail "'$*': output lacks '$fragment': $output" ;; esac
}

finish() {  # finish NAME
  if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
  fi
  echo "$1: all checks passed"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
