#!/usr/bin/env bash
# The rendered report in a real browser: `treesim report render` of a small sweep (with fuzz,
# coverage and mutants extras), opened in headless Chromium. The page must load with no console
# message at all (it has no script of its own, so any message is an error: a failed load, a
# parse error), every chart must be drawn (an <svg> with a non-zero rendered size and marks in
# it), and a screenshot is saved next to the report in OUT_DIR for a person to look at.
#
# The check itself is checked: the same page with a deliberate script error must be refused, so
# a Chromium that stops printing console messages cannot make this test pass silently.
# Usage: report_browser_test.sh TREESIM OUT_DIR      (exit 77, skipped, when Chromium is absent)
set -u
treesim=$1
out=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null; then browser=$(command -v "$candidate"); break; fi
done
[ -n "$browser" ] || { echo "no Chromium on this machine (scripts/setup installs it): skipped"; exit 77; }

rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$treesim" sweep --seeds 1..3 --safety-ticks 100 --results "$work/results.json" >"$work/sweep.out" 2>&1 ||
  fail "sweep: exit $?: $(cat "$work/sweep.out")"
# Small extras in the formats scripts/nightly writes, so that every chart kind is on the page.
cat >"$work/fuzz.json" <<'EOF2'
{"seconds": 120, "targets": [
  {"name": "codec_fuzz", "runs": 700000, "exec_per_second": 12000, "corpus_before": 40,
   "corpus_after": 52, "crashes": [], "samples": [[0, 40], [100000, 45], [700000, 52]]},
  {"name": "materializer_fuzz", "runs": 5400, "exec_per_second": 90, "corpus_before": 20,
   "corpus_after": 23, "crashes": [], "samples": [[0, 20], [900, 21], [5400, 23]]}]}
EOF2
cat >"$work/coverage.json" <<'EOF2'
{"data": [{"files": [
  {"filename": "/src/materializer/apply.cc", "summary": {
     "lines": {"count": 300, "covered": 290, "percent": 96.7},
     "branches": {"count": 120, "covered": 110, "percent": 91.7}}},
  {"filename": "/src/materializer/tree.cc", "summary": {
     "lines": {"count": 280, "covered": 250, "percent": 89.3},
     "branches": {"count": 90, "covered": 70, "percent": 77.8}}}]}]}
EOF2
cat >"$work/mutants.json" <<'EOF2'
{"mutants": [{"mutant": "payload-adds-dot", "detected": true, "seeds_run": 1, "seconds": 0.1,
              "class": "correctness", "checker": "model",
              "shrunk": {"events": 2, "original_events": 6}}]}
EOF2
"$treesim" report render "$work/results.json" --fuzz "$work/fuzz.json" \
  --coverage "$work/coverage.json" --mutants "$work/mutants.json" --out-dir "$out" \
  >"$work/render.out" 2>&1 || fail "render: exit $?: $(cat "$work/render.out")"
[ -s "$out/index.html" ] || { fail "render wrote no index.html"; exit 1; }

# check PAGE LOG: opens a copy of PAGE with a probe script appended, which reports how many
# charts were drawn on the console; writes the browser's console messages to LOG.
check() {
  local page=$1 log=$2 probed="$work/probed-$(basename "$1")"
  sed 's#</body></html>#<script>\
const svgs = [...document.querySelectorAll("svg")];\
const drawn = svgs.filter(s => { const r = s.getBoundingClientRect();\
  return r.width > 0 \&\& r.height > 0 \&\& s.querySelectorAll("polyline,rect,circle").length > 0; });\
console.log("report-probe svgs=" + svgs.length + " drawn=" + drawn.length);\
</script></body></html>#' "$page" >"$probed"
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
    --enable-logging=stderr --v=0 --window-size=1280,3000 --hide-scrollbars \
    --screenshot="$work/shot.png" "file://$probed" 2>"$log" >/dev/null
  grep -a 'CONSOLE' "$log" | sed 's/^\[[^]]*\] //' >"$log.console"
}

check "$out/index.html" "$work/page.log"
grep -q 'report-probe' "$work/page.log.console" ||
  fail "the browser ran no script or printed no console message: $(tail -n 5 "$work/page.log")"
if grep -v 'report-probe' "$work/page.log.console" | grep -q .; then
  fail "console messages on the report page: $(grep -v 'report-probe' "$work/page.log.console")"
fi
probe=$(sed -n 's/.*"report-probe svgs=\([0-9]*\) drawn=\([0-9]*\)".*/\1 \2/p' "$work/page.log.console")
read -r svgs drawn <<<"${probe:-0 0}"
expected=$(grep -o '<svg' "$out/index.html" | wc -l)
[ "$svgs" -ge 2 ] || fail "the browser found $svgs charts, expected the seeds chart and probe bars at least"
[ "$svgs" -eq "$expected" ] || fail "the browser found $svgs charts, the file has $expected"
[ "$drawn" -eq "$svgs" ] || fail "$drawn of $svgs charts were drawn (zero size or no marks)"

# The screenshot of the real page (no probe), kept next to the report.
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
  --window-size=1280,3000 --screenshot="$out/index.png" "file://$out/index.html" \
  >/dev/null 2>"$work/shot.log"
[ "$(head -c 8 "$out/index.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
  fail "no PNG screenshot at $out/index.png: $(tail -n 3 "$work/shot.log")"
size=$(wc -c <"$out/index.png" 2>/dev/null || echo 0)
# A blank 1280x3000 page compresses to a few kilobytes; the report with its charts does not.
[ "$size" -gt 20000 ] || fail "the screenshot is $size bytes: a blank page?"

# The negative control: a script error on the page must be seen.
sed 's#<h1>#<script>no_such_function();</script><h1>#' "$out/index.html" >"$work/broken.html"
check "$work/broken.html" "$work/broken.log"
grep -q 'no_such_function' "$work/broken.log.console" ||
  fail "a script error on the page went unseen: the console check is blind ($(head -c 300 "$work/broken.log.console"))"

[ "$failures" -eq 0 ] || { echo "$failures failure(s)"; exit 1; }
echo "report in $browser: $drawn of $svgs charts drawn, no console message, screenshot $out/index.png ($size bytes)"
