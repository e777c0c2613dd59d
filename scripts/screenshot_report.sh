#!/usr/bin/env bash
# Render a modewise HTML report in headless Chromium: a PNG screenshot, and optionally the DOM as Chromium parsed
# it plus Chromium's log (console messages appear there as ":CONSOLE" lines; a clean report has none).
#   scripts/screenshot_report.sh REPORT.html OUT.png [WIDTH,HEIGHT] [DOM_OUT.html LOG_OUT.txt]
# Chromium: $CHROMIUM, else /usr/bin/chromium (Debian package "chromium"). Exit 2: usage, 1: failure.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 5 ] || [ $# -eq 4 ]; then
  echo "usage: $0 REPORT.html OUT.png [WIDTH,HEIGHT] [DOM_OUT.html LOG_OUT.txt]" >&2
  exit 2
fi
report=$1 png=$2 size=${3:-1280,2000}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -f "$report" ] || { echo "screenshot_report: no such file: $report" >&2; exit 1; }
[ -x "$chromium" ] || { echo "screenshot_report: Chromium not found at $chromium (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --user-data-dir="$profile")
rm -f "$png"
timeout 120 "$chromium" "${flags[@]}" --screenshot="$png" --window-size="$size" "$url" >/dev/null 2>&1 || {
  echo "screenshot_report: chromium failed to take the screenshot of $url" >&2; exit 1; }
[ -s "$png" ] || { echo "screenshot_report: chromium wrote no screenshot" >&2; exit 1; }
if [ $# -eq 5 ]; then
  timeout 120 "$chromium" "${flags[@]}" --enable-logging=stderr --v=0 --dump-dom "$url" >"$4" 2>"$5" || {
    echo "screenshot_report: chromium failed to load $url" >&2; exit 1; }
fi
echo "$png"
