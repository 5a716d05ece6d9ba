#!/bin/sh
# e2e: `sekisho parse` on real files: valid requests give JSON and exit 0;
# malformed ones exit 2 naming the byte offset and the rule.
set -u
bin=${SEKISHO:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# 1. benign sample parses, JSON is valid, Japanese query decoded
out=$("$bin" parse etc/samples/benign-search.http) && ok || bad "benign sample exit $?"
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(t["loc"]=="query_arg" and t["value"]=="新着" for t in d["targets"]), d' && ok || bad "benign sample: Japanese query value"

# 2. the OGNL payload in Content-Type is a target
"$bin" parse etc/samples/struts2-ognl.http | python3 -c 'import json,sys; d=json.load(sys.stdin); assert any(t["name"]=="Content-Type" and "_memberAccess" in t["value"] for t in d["targets"])' && ok || bad "ognl Content-Type target"

# 3. stdin works
"$bin" parse - < etc/samples/benign-search.http > /dev/null && ok || bad "stdin"

# 4. malformed requests: exit 2 and a message with the byte offset and rule
check_err() { # name, request bytes (printf format), expected rule substring
	printf "$2" > "$tmp/req"
	msg=$("$bin" parse "$tmp/req" 2>&1 >/dev/null); rc=$?
	if [ "$rc" = 2 ] && printf '%s' "$msg" | grep -q "at byte [0-9]*: .*$3"; then ok; else bad "$1: rc=$rc msg=$msg"; fi
}
check_err "CL+TE" 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' 'Content-Length together with Transfer-Encoding'
check_err "duplicate CL" 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx' 'duplicate Content-Length'
check_err "obs-fold" 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n' 'obs-fold'
check_err "bare LF" 'GET / HTTP/1.1\nHost: a\r\n\r\n' 'bare LF'
check_err "space before colon" 'GET / HTTP/1.1\r\nHost : a\r\n\r\n' 'whitespace between header name'
check_err "bad chunk size" 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n' 'invalid chunk size'
check_err "truncated chunked" 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel' 'ends before its last chunk'
check_err "short body" 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc' 'shorter than Content-Length'
check_err "no end of head" 'GET / HTTP/1.1\r\nHost: a\r\n' 'incomplete'
check_err "NUL in value" 'GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n' 'NUL'

# 5. missing file and usage errors exit 2 with a message
msg=$("$bin" parse "$tmp/nope" 2>&1); [ $? = 2 ] && printf '%s' "$msg" | grep -q 'No such file' && ok || bad "missing file: $msg"
"$bin" parse >/dev/null 2>&1; [ $? = 2 ] && ok || bad "no argument should exit 2"

# 6. a 10,000-parameter query is refused with a reason, not half-inspected
python3 -c 'import sys; q="&".join("p%d=1"%i for i in range(10000)); sys.stdout.write("GET /?%s HTTP/1.1\r\nHost: a\r\n\r\n" % q)' > "$tmp/many"
msg=$("$bin" parse "$tmp/many" 2>&1 >/dev/null); rc=$?
# The request line itself is over the 8 KB limit: 414. Either refusal is right; silence is not.
[ "$rc" = 2 ] && printf '%s' "$msg" | grep -Eq '414|413' && ok || bad "10k params: rc=$rc $msg"
python3 -c 'import sys; b="&".join("p%d=1"%i for i in range(10000)); sys.stdout.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))' > "$tmp/manyform"
msg=$("$bin" parse "$tmp/manyform" 2>&1 >/dev/null); rc=$?
[ "$rc" = 2 ] && printf '%s' "$msg" | grep -q '413' && ok || bad "10k form fields: rc=$rc $msg"

# 7. JSON nested 10,000 deep: body error recorded, raw body still inspected, no crash
python3 -c 'import sys; b="["*10000+"]"*10000; sys.stdout.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b))' > "$tmp/deep"
"$bin" parse "$tmp/deep" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["body"]["error"] and d["targets"][-1]["loc"]=="body_raw", d["body"]' && ok || bad "deep json"

echo "parse: $pass passed, $fail failed"
[ "$fail" = 0 ]
