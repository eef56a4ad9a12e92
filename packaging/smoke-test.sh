#!/bin/sh
# Smoke test of a one-folder build (make package-test): runs the frozen programs with a bare
# environment (no .venv, no Python on purpose), fresh data and config folders, and fails on the
# first problem. Prints the timings it measures.
#
#   packaging/smoke-test.sh dist/loci 0.1.0
set -eu

DIST=$(cd "$1" && pwd)
VERSION=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/loci-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/data" "$work/config"

# Only what a fresh login has; LOCI_* keep the test away from the real index and settings.
run() {
    env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
        LOCI_DATA_DIR="$work/data" LOCI_CONFIG_DIR="$work/config" QT_QPA_PLATFORM=offscreen \
        "$@"
}
# For `run_bg ... &`: exec, so that $! is the program itself and a signal reaches it.
run_bg() { exec env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
    LOCI_DATA_DIR="$work/data" LOCI_CONFIG_DIR="$work/config" QT_QPA_PLATFORM=offscreen "$@"; }
fail() { echo "smoke-test: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

t0=$(now)
out=$(run "$DIST/loci" --version) || fail "loci --version exited $?"
t1=$(now)
[ "$out" = "loci $VERSION" ] || fail "loci --version printed '$out', expected 'loci $VERSION'"
echo "ok  loci --version ($(ms "$t0" "$t1") ms)"

# No folder configured: `loci index` indexes the bundled demo folder (resources/ in the build).
t0=$(now)
run "$DIST/loci" index > "$work/index.log" 2>&1 || { cat "$work/index.log"; fail "loci index"; }
t1=$(now)
grep -q "errors 0" "$work/index.log" || { cat "$work/index.log"; fail "loci index reported errors"; }
echo "ok  loci index, demo folder ($(ms "$t0" "$t1") ms): $(tail -n 1 "$work/index.log")"

top=$(run "$DIST/loci" search --json --limit 1 "a feline pet") || fail "loci search exited $?"
case $top in
    *'notes/cats.md"'*) echo "ok  loci search \"a feline pet\" -> notes/cats.md" ;;
    *) fail "loci search \"a feline pet\" found: $top" ;;
esac
# The OCR model (RapidOCR, bundled as data) read the whiteboard photo.
run "$DIST/loci" search --json --kind image "whiteboard pricing tiers" | grep -q "PRICING TIERS" \
    || fail "no OCR text from the demo whiteboard photo"
echo "ok  OCR text found in whiteboard-pricing.jpg"

# Speech (faster-whisper + CTranslate2 + the Whisper model packages), where espeak-ng can speak.
if command -v espeak-ng >/dev/null 2>&1; then
    mkdir "$work/memos"
    espeak-ng -w "$work/memos/memo.wav" "Call the plumber about the leaking kitchen tap."
    run "$DIST/loci" index "$work/memos" > "$work/memo.log" 2>&1 \
        || { cat "$work/memo.log"; fail "loci index of a voice memo"; }
    run "$DIST/loci" search --json --kind audio "plumber leaking tap" | grep -qi "plumber" \
        || fail "the voice memo was not transcribed"
    echo "ok  voice memo transcribed and found"
else
    echo "--  espeak-ng not installed: speech not checked"
fi

# The resident engine: `loci serve` answers `loci search` over its socket, then stops on Ctrl+C.
mkdir -p "$work/run" && chmod 700 "$work/run"
run_bg_rt() { exec env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR="$work/run" \
    LOCI_DATA_DIR="$work/data" LOCI_CONFIG_DIR="$work/config" "$@"; }
run_bg_rt "$DIST/loci" serve > "$work/serve.log" 2>&1 &
pid=$!
waited=0
until grep -q "up to date" "$work/serve.log" || [ "$waited" -ge 120 ]; do sleep 1; waited=$((waited + 1)); done
grep -q "serving on" "$work/serve.log" || { cat "$work/serve.log"; kill -KILL "$pid"; fail "loci serve did not serve"; }
t0=$(now)
top=$(env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 XDG_RUNTIME_DIR="$work/run" \
    LOCI_DATA_DIR="$work/data" LOCI_CONFIG_DIR="$work/config" "$DIST/loci" search --json --limit 1 "a feline pet") \
    || { kill -KILL "$pid"; fail "loci search beside loci serve exited $?"; }
t1=$(now)
case $top in
    *'notes/cats.md"'*) echo "ok  loci search answered by loci serve ($(ms "$t0" "$t1") ms)" ;;
    *) kill -KILL "$pid"; fail "loci search beside loci serve found: $top" ;;
esac
kill -INT "$pid"
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || { cat "$work/serve.log"; fail "loci serve exited $status after Ctrl+C"; }
echo "ok  loci serve stopped cleanly on Ctrl+C"

# The MCP server: handshake and the tool list over stdio, as an agent's client starts it.
mcp_in='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
out=$( { printf '%s\n' "$mcp_in"; sleep 15; } | run timeout 60 "$DIST/loci" mcp 2> "$work/mcp.err") || true
case $out in
    *'"name":"search"'*) echo "ok  loci mcp answered the handshake and listed its tools" ;;
    *) cat "$work/mcp.err"; fail "loci mcp listed no tools: $out" ;;
esac

# The window: the probe prints the time to the first paint and quits.
out=$(run LOCI_STARTUP_PROBE="$(now)" timeout 60 "$DIST/loci-desktop" 2> "$work/gui.err") \
    || { cat "$work/gui.err"; fail "loci-desktop (startup probe) exited $?"; }
case $out in
    *"window shown"*) echo "ok  $out" ;;
    *) cat "$work/gui.err"; fail "loci-desktop showed no window: $out" ;;
esac

# A few seconds of the running app (engine open, sync started), then Ctrl+C: a clean exit.
run_bg "$DIST/loci-desktop" > "$work/gui.out" 2> "$work/gui.err" &
pid=$!
sleep 8
kill -0 "$pid" 2>/dev/null || { cat "$work/gui.err"; wait "$pid" || true; fail "loci-desktop stopped"; }
kill -INT "$pid"
waited=0
while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 30 ]; do sleep 1; waited=$((waited + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; cat "$work/gui.err"; fail "loci-desktop still running 30 s after Ctrl+C"
fi
status=0
wait "$pid" || status=$?
if [ "$status" -ne 0 ] || grep -q "Traceback" "$work/gui.err"; then
    cat "$work/gui.err"; fail "loci-desktop exited $status after Ctrl+C"
fi
echo "ok  loci-desktop ran offscreen for 8 s and quit cleanly on Ctrl+C"
echo "smoke-test: all passed ($(du -sh "$DIST" | cut -f1) in $DIST)"
