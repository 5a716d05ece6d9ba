#!/bin/sh
# e2e: `sekisho config check` as a user runs it: "FILE: ok" and exit 0 for
# good files; exit 2 and "FILE:LINE:COL: message" for bad ones (each bad file
# states its expected message in a "# expect:" line, or "# expect-text:" for
# messages about another file, such as a bad rule); etc/sekisho.yaml passes;
# docs/config.md is what `sekisho config doc` prints.
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
dir=tests/data/config/files
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

for f in "$dir"/good-*.yaml etc/sekisho.yaml; do
	"$bin" config check "$f" > "$tmp/out" 2>&1; rc=$?
	[ "$rc" = 0 ] && grep -q "^$f: ok$" "$tmp/out" && grep -q '^listen .*, upstream http://.*, mode .*, paranoia [123], .*rules ' "$tmp/out" &&
		ok || bad "$f: rc=$rc $(cat "$tmp/out")"
done

for f in "$dir"/bad-*.yaml; do
	want=$(sed -n 's/^# expect: //p' "$f")
	text=$(sed -n 's/^# expect-text: //p' "$f")
	"$bin" config check "$f" > "$tmp/out" 2> "$tmp/err"; rc=$?
	if [ -n "$want" ]; then
		[ "$rc" = 2 ] && grep -qF "$f:$want" "$tmp/err" && [ ! -s "$tmp/out" ] && ok || bad "$f: rc=$rc $(cat "$tmp/err")"
	elif [ -n "$text" ]; then
		[ "$rc" = 2 ] && grep -qF "$text" "$tmp/err" && ok || bad "$f: rc=$rc $(cat "$tmp/err")"
	else
		bad "$f has no '# expect:' line"
	fi
done

# the default file name, in the working directory
(cd "$tmp" && printf 'upstream: http://127.0.0.1:1\n' > sekisho.yaml && "$bin" config check > out 2>&1) &&
	grep -q '^sekisho.yaml: ok' "$tmp/out" && ok || bad "default ./sekisho.yaml: $(cat "$tmp/out")"
(cd "$tmp" && rm -f sekisho.yaml && "$bin" config check 2> err); rc=$?
[ "$rc" = 2 ] && grep -q 'sekisho.yaml: No such file' "$tmp/err" && ok || bad "missing ./sekisho.yaml: rc=$rc"

# an empty file is the defaults, but the proxy needs an upstream
: > "$tmp/empty.yaml"
"$bin" config check "$tmp/empty.yaml" 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "empty.yaml:1:1: upstream is not set" "$tmp/err" && ok || bad "empty: rc=$rc $(cat "$tmp/err")"

# stdin, and a file over 1 MiB
printf 'upstream: http://127.0.0.1:1\n' | "$bin" config check - > "$tmp/out"; rc=$?
[ "$rc" = 0 ] && grep -q '^-: ok' "$tmp/out" && ok || bad "stdin: rc=$rc"
{ printf 'upstream: http://127.0.0.1:1\n'; head -c 1100000 /dev/zero | tr '\0' '#'; printf '\n'; } > "$tmp/big.yaml"
"$bin" config check "$tmp/big.yaml" 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'big.yaml: larger than 1048576 bytes' "$tmp/err" && ok || bad "big: rc=$rc $(cat "$tmp/err")"

# usage
"$bin" config 2>/dev/null; [ $? = 2 ] && ok || bad "config without a subcommand"
"$bin" config check a b 2>/dev/null; [ $? = 2 ] && ok || bad "two files"
"$bin" config --help | grep -q 'config check' && ok || bad "--help"

# the reference page is generated from the directive table
"$bin" config doc > "$tmp/doc.md"; rc=$?
[ "$rc" = 0 ] && cmp -s "$tmp/doc.md" docs/config.md && ok || bad "docs/config.md differs from 'sekisho config doc' (regenerate it)"

echo "config: $pass passed, $fail failed"
[ "$fail" = 0 ]
