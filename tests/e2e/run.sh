#!/bin/sh
# e2e: the README's main command, tools/run-demo (what `make run` runs): the
# proxy in front of the demo shop; the README's two curl requests give 200
# and 403, and the block is printed as a JSON event. Free ports, cleaned up.
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
tmp=$(mktemp -d)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pp=$(port); dp=$(port)
cat > "$tmp/cfg.yaml" <<CFG
admin:
  listen: ""
CFG
LISTEN=127.0.0.1:$pp DEMO_LISTEN=127.0.0.1:$dp CONFIG="$tmp/cfg.yaml" sh tools/run-demo "$bin" > "$tmp/out" 2>&1 &
pid=$!
pass=0; fail=0
i=0
while [ $i -lt 100 ] && ! grep -q 'sekisho proxy: listening' "$tmp/out"; do sleep 0.1; i=$((i + 1)); done
get() { python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e:
    print(e.code)
except Exception as e:
    print("error", e)
PY
}
s1=$(get "http://127.0.0.1:$pp/search?q=%E9%96%A2%E6%89%80")
s2=$(get "http://127.0.0.1:$pp/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--")
[ "$s1" = 200 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: benign search gave $s1"; }
[ "$s2" = 403 ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: attack gave $s2"; }
sleep 0.3
grep -q '"kind":"block"' "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no block event"; cat "$tmp/out"; }
grep -q "curl -i 'http://127.0.0.1:$pp/search" "$tmp/out" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no instructions"; }
echo "run: $pass passed, $fail failed"
[ "$fail" = 0 ]
