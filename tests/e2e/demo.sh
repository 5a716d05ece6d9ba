#!/bin/sh
# e2e: `sekisho demo`, the bundled upstream, checked endpoint by endpoint
# with the integration-test toolkit (tests/e2e/lib/proxyctl.py): the shop
# pages, login and session, echo/headers as tests use them through the
# proxy, slow/chunked/big/close, WebSocket echo, keep-alive, pipelining,
# limits, and the toolkit's own TLS and slowloris helpers.
# Last line: "demo: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
command -v python3 >/dev/null 2>&1 || { echo "demo: 0 passed, 1 failed (python3 missing)"; exit 1; }
tmp=$(mktemp -d)
pid=""
tpid=""
cleanup() {
	if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null; fi
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Port 0: the demo picks a free port and prints it, so no race with others.
"$bin" demo --listen 127.0.0.1:0 2>"$tmp/demo.log" &
pid=$!
port=""
i=0
while [ $i -lt 200 ] && [ -z "$port" ]; do
	port=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$tmp/demo.log")
	[ -n "$port" ] || sleep 0.05
	i=$((i + 1))
done
if [ -z "$port" ]; then
	cat "$tmp/demo.log"
	echo "demo: 0 passed, 1 failed (the demo did not start)"
	exit 1
fi

SEKISHO="$bin" DEMO_PORT=$port DEMO_PID=$pid DEMO_LOG="$tmp/demo.log" \
	timeout 300 python3 tests/e2e/demo_test.py > "$tmp/out" 2>&1 &
tpid=$!
# In the background so that a signal to this script runs the trap at once.
wait "$tpid"; rc=$?
tpid=""
# Stop the demo the way a user does (SIGTERM) and read its whole log: an
# ASan/UBSan build reports there, and it must exit 0.
kill "$pid" 2>/dev/null
wait "$pid"; drc=$?
pid=""
line=$(grep -E '^demo: [0-9]+ passed, [0-9]+ failed' "$tmp/out" | tail -n 1)
p=$(printf '%s' "$line" | sed -nE 's/^demo: ([0-9]+) passed.*/\1/p')
f=$(printf '%s' "$line" | sed -nE 's/^demo: [0-9]+ passed, ([0-9]+) failed.*/\1/p')
p=${p:-0}; f=${f:-0}
grep -v '^demo: [0-9]* passed, [0-9]* failed' "$tmp/out"
if [ -z "$line" ] || { [ "$rc" != 0 ] && [ "$f" = 0 ]; }; then
	echo "FAIL: the test driver stopped early (rc=$rc)"; f=$((f + 1))
fi
if grep -qE 'Sanitizer|runtime error:' "$tmp/demo.log"; then
	echo "FAIL: sanitizer report in the demo's log:"; grep -A 30 -E 'Sanitizer|runtime error:' "$tmp/demo.log" | head -n 60
	f=$((f + 1))
else
	p=$((p + 1))
fi
if [ "$drc" = 0 ]; then p=$((p + 1)); else echo "FAIL: the demo exited $drc on SIGTERM"; f=$((f + 1)); fi
echo "demo: $p passed, $f failed"
[ "$f" = 0 ]
