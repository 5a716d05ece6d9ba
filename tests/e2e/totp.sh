#!/bin/sh
# e2e: `sekisho totp enroll|verify|list` as an operator runs them. The code
# is computed independently in python3 (hmac, hashlib, base64, struct) from
# the otpauth:// URI that enroll prints, then checked with `totp verify`:
# accepted once (exit 0), refused when replayed or wrong (exit 1); bad
# files, loose permissions and symlinks are exit 2. Last line:
# "totp: N passed, N failed".
set -u
bin=${SEKISHO:?}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
f=$tmp/secrets

# code URI OFFSET_STEPS: the TOTP code of the URI's key at now + OFFSET steps.
# code URI list: the codes of steps -1..+2 (to pick a code that is wrong).
code() {
	python3 - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, struct, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
q = dict(urllib.parse.parse_qsl(u.query))
key = base64.b32decode(q["secret"] + "=" * (-len(q["secret"]) % 8))
alg = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[q["algorithm"]]
digits, period = int(q["digits"]), int(q["period"])
def at(step):
    mac = hmac.new(key, struct.pack(">Q", step), alg).digest()
    off = mac[-1] & 15
    v = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(v).zfill(digits)
step = int(time.time()) // period
if sys.argv[2] == "list":
    print(" ".join(at(step + d) for d in (-1, 0, 1, 2)))
else:
    print(at(step + int(sys.argv[2])))
EOF
}
uri_of() { sed -n 's/^uri: //p' "$1"; }

# enroll: exit 0, 0600, the URI in the documented form
"$bin" totp enroll alice --file "$f" > "$tmp/enroll" 2> "$tmp/err"; rc=$?
[ "$rc" = 0 ] && ok || bad "enroll rc=$rc $(cat "$tmp/err")"
[ "$(stat -c %a "$f")" = 600 ] && ok || bad "mode after enroll: $(stat -c %a "$f")"
uri=$(uri_of "$tmp/enroll")
python3 - "$uri" <<'EOF' && ok || bad "uri: $uri"
import base64, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
q = dict(urllib.parse.parse_qsl(u.query))
assert u.scheme == "otpauth" and u.netloc == "totp", u
assert urllib.parse.unquote(u.path) == "/sekisho:alice", u.path
assert q["issuer"] == "sekisho" and q["algorithm"] == "SHA1" and q["digits"] == "6" and q["period"] == "30", q
s = q["secret"]
assert len(base64.b32decode(s + "=" * (-len(s) % 8))) == 20 and "=" not in s, s
EOF
secret=$(sed -n 's/^secret: //p' "$tmp/enroll")
grep -q "^alice:$secret:SHA1:6:0\$" "$f" && ok || bad "stored line: $(grep -v '^#' "$f")"
# a QR code drawn with half blocks; if zbarimg is installed, it must decode to the URI
grep -q '▀\|▄' "$tmp/enroll" && ok || bad "no QR code drawn"
if command -v zbarimg > /dev/null 2>&1; then
	python3 - "$tmp/enroll" "$tmp/qr.pbm" <<'EOF'
import sys
rows = []
for l in open(sys.argv[1], encoding="utf-8"):
    l = l.rstrip("\n")
    if not any(c in l for c in "█▀▄"):
        continue
    rows.append([c in "█▀" for c in l])
    rows.append([c in "█▄" for c in l])
w, S = max(len(r) for r in rows), 6
with open(sys.argv[2], "w") as f:
    f.write("P1\n%d %d\n" % (w * S, len(rows) * S))
    for r in rows:
        r = r + [False] * (w - len(r))
        line = " ".join("0" if v else "1" for v in r for _ in range(S))
        for _ in range(S):
            f.write(line + "\n")
EOF
	[ "$(zbarimg -q --raw "$tmp/qr.pbm" 2>/dev/null)" = "$uri" ] && ok || bad "QR code does not decode to the URI"
fi

# verify the current code: accepted once, then a replay
c=$(code "$uri" 0)
"$bin" totp verify alice "$c" --file "$f" > "$tmp/out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q 'code accepted' "$tmp/out" && ok || bad "verify current code rc=$rc $(cat "$tmp/out")"
[ "$(stat -c %a "$f")" = 600 ] && ok || bad "mode after verify"
grep -q "^alice:$secret:SHA1:6:[1-9][0-9]*\$" "$f" && ok || bad "last_used_step not recorded"
"$bin" totp verify alice "$c" --file "$f" > "$tmp/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'replay' "$tmp/out" && ok || bad "replayed code rc=$rc $(cat "$tmp/out")"
# the previous step's code is older than the one used: refused too
"$bin" totp verify alice "$(code "$uri" -1)" --file "$f" > "$tmp/out" 2>&1; rc=$?
[ "$rc" = 1 ] && ok || bad "older code rc=$rc $(cat "$tmp/out")"
# a wrong code
codes=$(code "$uri" list)
w=000000
for x in 000000 111111 222222 333333; do
	case " $codes " in *" $x "*) ;; *) w=$x; break ;; esac
done
"$bin" totp verify alice "$w" --file "$f" > "$tmp/out" 2>&1; rc=$?
[ "$rc" = 1 ] && grep -q 'wrong code' "$tmp/out" && ok || bad "wrong code rc=$rc $(cat "$tmp/out")"
"$bin" totp verify alice 12345x --file "$f" > /dev/null 2>&1; [ $? = 1 ] && ok || bad "non-digit code"
"$bin" totp verify alice 1234567 --file "$f" > /dev/null 2>&1; [ $? = 1 ] && ok || bad "7-digit code"

# two verifies racing with the same fresh code: exactly one wins
c=$(code "$uri" 1)
"$bin" totp verify alice "$c" --file "$f" > "$tmp/r1" 2>&1 &
p1=$!
"$bin" totp verify alice "$c" --file "$f" > "$tmp/r2" 2>&1 &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
[ "$((r1 + r2))" = 1 ] && ok || bad "racing verifies: rc $r1 and $r2"

# a second user with SHA256 and 8 digits
"$bin" totp enroll bob --file "$f" --algorithm SHA256 --digits 8 --issuer "Example Shop" > "$tmp/bob" 2>&1; rc=$?
[ "$rc" = 0 ] && ok || bad "enroll bob rc=$rc"
buri=$(uri_of "$tmp/bob")
case $buri in "otpauth://totp/Example%20Shop:bob?"*"&issuer=Example%20Shop&algorithm=SHA256&digits=8&period=30") ok ;; *) bad "bob uri $buri" ;; esac
"$bin" totp verify bob "$(code "$buri" 0)" --file "$f" > "$tmp/out" 2>&1; rc=$?
[ "$rc" = 0 ] && ok || bad "bob verify rc=$rc $(cat "$tmp/out")"
# alice's state survived bob's enrolment
"$bin" totp verify alice "$c" --file "$f" > /dev/null 2>&1; [ $? = 1 ] && ok || bad "alice replay after bob"

# enroll refuses an existing user without --force; --force changes the secret
"$bin" totp enroll alice --file "$f" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'already enrolled' "$tmp/err" && ok || bad "enroll existing rc=$rc"
"$bin" totp enroll alice --file "$f" --force > "$tmp/enroll2" 2>&1; rc=$?
s2=$(sed -n 's/^secret: //p' "$tmp/enroll2")
[ "$rc" = 0 ] && [ -n "$s2" ] && [ "$s2" != "$secret" ] && ok || bad "enroll --force rc=$rc"

# list: users, no secrets
"$bin" totp list --file "$f" > "$tmp/list" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q '^alice SHA1 6 last used never$' "$tmp/list" && grep -q '^bob SHA256 8 last used 20' "$tmp/list" &&
	! grep -q "$s2" "$tmp/list" && ok || bad "list rc=$rc $(cat "$tmp/list")"

# a bad file: exit 2 with FILE:LINE:COL
printf 'alice:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ:SHA1:6:0\n# fine\nbob:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ:MD5:6:0\n' > "$tmp/bad"
chmod 600 "$tmp/bad"
"$bin" totp verify alice 123456 --file "$tmp/bad" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q "^$tmp/bad:3:38: algorithm must be" "$tmp/err" && ok || bad "bad file rc=$rc $(cat "$tmp/err")"
"$bin" totp list --file "$tmp/bad" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "list of a bad file"
"$bin" totp enroll carol --file "$tmp/bad" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "enroll into a bad file"
grep -q MD5 "$tmp/bad" && ok || bad "a bad file was rewritten"

# group/world-readable: verify and list refuse (exit 2), enroll warns and rewrites 0600
cp "$f" "$tmp/loose"; chmod 644 "$tmp/loose"
"$bin" totp verify alice 123456 --file "$tmp/loose" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'chmod 600' "$tmp/err" && ok || bad "loose file verify rc=$rc $(cat "$tmp/err")"
"$bin" totp list --file "$tmp/loose" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "loose file list"
"$bin" totp enroll dave --file "$tmp/loose" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" = 0 ] && grep -q warning "$tmp/err" && [ "$(stat -c %a "$tmp/loose")" = 600 ] && ok || bad "loose enroll rc=$rc"

# a symlink is never followed
ln -s "$f" "$tmp/link"
"$bin" totp verify alice 123456 --file "$tmp/link" > /dev/null 2> "$tmp/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'symbolic link' "$tmp/err" && ok || bad "symlink rc=$rc $(cat "$tmp/err")"
# missing file, unknown user
"$bin" totp verify alice 123456 --file "$tmp/none" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "missing file"
"$bin" totp verify zed 123456 --file "$f" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "unknown user"

# usage
"$bin" totp > /dev/null 2>&1; [ $? = 2 ] && ok || bad "no subcommand"
"$bin" totp enroll 'bad name' --file "$f" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "bad user name"
"$bin" totp enroll eve --file "$f" --issuer 'a:b' > /dev/null 2>&1; [ $? = 2 ] && ok || bad "issuer with ':'"
"$bin" totp enroll eve --file "$f" --digits 7 > /dev/null 2>&1; [ $? = 2 ] && ok || bad "--digits 7"
"$bin" totp verify alice --file "$f" > /dev/null 2>&1; [ $? = 2 ] && ok || bad "verify without a code"
"$bin" totp frobnicate > /dev/null 2>&1; [ $? = 2 ] && ok || bad "unknown subcommand"
"$bin" totp --help | grep -q 'totp enroll USER' && ok || bad "--help"
! ls "$tmp" | grep -q '\.tmp\.' && ok || bad "temporary files left behind"

echo "totp: $pass passed, $fail failed"
[ "$fail" = 0 ]
