#!/bin/sh
# e2e: `sekisho check` as a user runs it: verdict JSON, exit codes 0/1/2,
# rule files with errors reported by file and line, corpus statistics.
set -u
bin=${SEKISHO:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$bin" check etc/samples/benign-search.http > "$tmp/out"; rc=$?
[ "$rc" = 0 ] && grep -q '"decision":"pass"' "$tmp/out" && ok || bad "benign: rc=$rc $(cat "$tmp/out")"

"$bin" check etc/samples/struts2-ognl.http > "$tmp/out"; rc=$?
[ "$rc" = 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["decision"]=="block"; assert any(m["detector"]=="ognl" and m["name"]=="Content-Type" for m in d["matches"]), d' "$tmp/out" && ok || bad "struts2 sample: rc=$rc"

for p in 1 2 3; do
	"$bin" check --paranoia $p etc/samples/struts2-ognl.http > /dev/null; [ $? = 1 ] && ok || bad "struts2 at paranoia $p"
done

printf 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' > "$tmp/smuggle"
"$bin" check "$tmp/smuggle" > "$tmp/out"; rc=$?
[ "$rc" = 1 ] && grep -q '"detector":"protocol"' "$tmp/out" && ok || bad "smuggling: rc=$rc"

# --view adds the inspection view
"$bin" check --view etc/samples/benign-search.http | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["view"]["targets"]' && ok || bad "--view"

# rules: a virtual patch blocks, an allow rule lets the request through
printf '# virtual patches\n900100 query:sort !regex "^(price|new|popular)$" msg="sort is a known word"\n' > "$tmp/vp.rules"
printf 'GET /search?q=a&sort=price%%20desc HTTP/1.1\r\nHost: a\r\n\r\n' > "$tmp/sort"
"$bin" check --rules "$tmp/vp.rules" "$tmp/sort" > "$tmp/out"; rc=$?
[ "$rc" = 1 ] && grep -q 'rule 900100: sort is a known word' "$tmp/out" && ok || bad "virtual patch: rc=$rc $(cat "$tmp/out")"
"$bin" check --rules "$tmp/vp.rules" etc/samples/benign-search.http > /dev/null; [ $? = 0 ] && ok || bad "virtual patch on a good request"

# a bad rule file: exit 2, file and line named
printf '1 path contains a\n\n2 path regex "a(("\n' > "$tmp/bad.rules"
msg=$("$bin" check --rules "$tmp/bad.rules" etc/samples/benign-search.http 2>&1); rc=$?
[ "$rc" = 2 ] && printf '%s' "$msg" | grep -q "bad.rules:3: bad regex" && ok || bad "bad rule: rc=$rc $msg"
msg=$("$bin" check --rules "$tmp/missing.rules" etc/samples/benign-search.http 2>&1); rc=$?
[ "$rc" = 2 ] && printf '%s' "$msg" | grep -q "No such file" && ok || bad "missing rules: rc=$rc $msg"

# usage errors
"$bin" check --paranoia 7 etc/samples/benign-search.http 2>/dev/null; [ $? = 2 ] && ok || bad "--paranoia 7"
"$bin" check 2>/dev/null; [ $? = 2 ] && ok || bad "no file"
"$bin" check "$tmp/nope" 2>/dev/null; [ $? = 2 ] && ok || bad "missing file"

# corpus mode on a few real corpus lines
if [ -f ../shared/corpus/attacks.jsonl ]; then
	{ head -n 50 ../shared/corpus/attacks.jsonl; head -n 50 ../shared/corpus/benign.jsonl; } > "$tmp/mini.jsonl"
	"$bin" check --corpus "$tmp/mini.jsonl" > "$tmp/out"; rc=$?
	[ "$rc" = 0 ] && grep -q '^ATTACKS *50 ' "$tmp/out" && grep -q '^BENIGN *50 ' "$tmp/out" && grep -q 'time per request' "$tmp/out" && ok || bad "corpus: rc=$rc $(head -5 "$tmp/out")"
fi
printf '{"id": "x", broken\n' > "$tmp/broken.jsonl"
"$bin" check --corpus "$tmp/broken.jsonl" > /dev/null 2>"$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'broken.jsonl:1: invalid JSON' "$tmp/err" && ok || bad "broken corpus: rc=$rc $(cat "$tmp/err")"

echo "check: $pass passed, $fail failed"
[ "$fail" = 0 ]
