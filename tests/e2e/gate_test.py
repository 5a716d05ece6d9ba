"""Integration tests of the TOTP gate and the password policy in `sekisho
proxy`: the real binary in front of the real demo upstream on 127.0.0.1,
secrets made by the real `sekisho totp enroll`, codes computed here from the
secrets (RFC 6238 with hmac/hashlib). Run by tests/e2e/gate.sh."""
import hashlib
import hmac
import json
import os
import pwd
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from proxyctl import (Runner, form_inputs, free_port, request, sekisho_path, set_cookies,  # noqa: E402
                      start_demo, start_proxy, totp_code)

T = Runner("gate", time_limit=90)
BIN = sekisho_path()
ROOT = os.geteuid() == 0
TMP = tempfile.mkdtemp(prefix="sekisho-gate-test-")
DATA = os.path.join(TMP, "gate")  # the proxy's own directory: it replaces the secrets file in it
os.mkdir(DATA, 0o700)
SECRETS = os.path.join(DATA, "totp")
KEYFILE = os.path.join(DATA, "session.key")
PWLIST = os.path.join(TMP, "passwords.txt")
EVENTS = os.path.join(TMP, "events.jsonl")
NOBODY = pwd.getpwnam("nobody") if ROOT else None


def give_to_proxy(path):
    """Started as root, the proxy drops to nobody: the gate's files are its."""
    if ROOT:
        os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)


os.chmod(TMP, 0o755)
SECRET = {}
for user in ("alice", "bob", "dave", "erin", "frank"):
    out = subprocess.run([BIN, "totp", "enroll", user, "--file", SECRETS], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=30).stdout.decode()
    SECRET[user] = re.search(r"^secret: ([A-Z2-7]+)$", out, re.M).group(1)
MASTER = os.urandom(32)
with open(KEYFILE, "wb") as f:
    f.write(MASTER)
os.chmod(KEYFILE, 0o600)
for p in (DATA, SECRETS, SECRETS + ".lock", KEYFILE):
    give_to_proxy(p)
with open(PWLIST, "w", encoding="utf-8") as f:
    f.write("123456\npassword\nqwertyuiop123\ncorrecthorsebatterystaple\n")
os.chmod(PWLIST, 0o644)

DEMO = T.watch(start_demo())
PORT = free_port()
ADMIN = free_port()
CONFIG = os.path.join(TMP, "gate.yaml")
with open(CONFIG, "w", encoding="utf-8") as f:
    f.write("""listen: "127.0.0.1:%d"
upstream: "http://127.0.0.1:%d"
workers: 2
admin:
  listen: "127.0.0.1:%d"
trusted_proxies: ["127.0.0.1/32"]
totp_gate:
  paths: [/admin/, /api/headers]
  secrets: %s
  session_key_file: %s
  session_ttl: 10m
  max_attempts: 3
  window: 2m
password_policy:
  endpoints:
    - {path: /api/echo, field: password}
    - {path: /api/echo, field: user.password}
  min_length: 10
  list: %s
  status: 422
  message: "Choose a longer password."
""" % (PORT, DEMO.port, ADMIN, SECRETS, KEYFILE, PWLIST))
os.chmod(CONFIG, 0o644)
PX = T.watch(start_proxy(["-c", CONFIG, "--events", EVENTS], port=PORT))


def demo_saw(marker):
    time.sleep(0.05)
    return marker in DEMO.log()


def events():
    time.sleep(0.3)  # the sink writes from its own thread
    with open(EVENTS, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def events_of(rid):
    return [e for e in events() if e.get("request_id") == rid]


def xff(addr):
    return [("X-Forwarded-For", addr)]


def login_form(path="/admin/", addr="10.9.9.9"):
    """GET a gated path: (response, csrf cookie value, form inputs)."""
    r = request(PORT, "GET", path, headers=xff(addr))
    return r, set_cookies(r).get("sekisho_csrf", (None,))[0], form_inputs(r.text)


def post_login(user, code, addr, next_path="/admin/", csrf_cookie=None, token=None):
    if csrf_cookie is None:
        _, csrf_cookie, inputs = login_form(addr=addr)
        token = inputs["csrf"] if token is None else token
    body = urllib.parse.urlencode({"csrf": token, "next": next_path, "user": user, "code": code})
    hdrs = xff(addr) + [("Content-Type", "application/x-www-form-urlencoded")]
    if csrf_cookie:
        hdrs.append(("Cookie", "sekisho_csrf=" + csrf_cookie))
    return request(PORT, "POST", "/.sekisho/totp", headers=hdrs, body=body)


def wait_fresh_step():
    """Leave at least 3 s in the current 30 s step, so a code computed now is
    checked in the same step (or the next, which the window accepts)."""
    left = 30 - time.time() % 30
    if left < 3:
        time.sleep(left + 0.2)


def b64url(b):
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def forge_cookie(user, expiry, master=MASTER):
    """A session cookie made here from the key file, as docs/totp.md says:
    the gate's session key is HMAC-SHA256(master, label)."""
    key = hmac.new(master, b"sekisho gate session v1", hashlib.sha256).digest()
    nonce = os.urandom(16)
    msg = "%s.%d.%s" % (b64url(user.encode()), expiry, b64url(nonce))
    mac = hmac.new(key, b"sekisho-session-v1." + msg.encode(), hashlib.sha256).digest()
    return msg + "." + b64url(mac)


STATE = {}


@T.test
def gated_path_shows_login_page():
    r, csrf, inputs = login_form("/admin/panel?m=gatemarker1", "10.1.0.1")
    assert r.status == 401, r
    assert "<form" in r.text and 'action="/.sekisho/totp"' in r.text
    assert inputs.get("next") == "/admin/panel?m=gatemarker1", inputs
    assert re.fullmatch(r"\d+\.[0-9a-f]{64}", inputs.get("csrf", "")), inputs
    assert csrf and re.fullmatch(r"[0-9a-f]{32}", csrf), csrf
    attrs = set_cookies(r)["sekisho_csrf"][1]
    assert "httponly" in attrs and "samesite=strict" in attrs, attrs
    assert r.header("cache-control") == "no-store"
    csp = r.header("content-security-policy") or ""
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp
    # no external resources: no src= or href= to anything
    assert not re.search(r"(src|href)=", r.text), r.text
    assert not demo_saw("gatemarker1"), "a gated request reached the upstream"
    # case and encoding do not get around it
    for p in ("/ADMIN/x?m=gatemarker2", "/%61dmin/x?m=gatemarker2", "/public/../admin/x?m=gatemarker2",
              "/admin;x=1/y?m=gatemarker2", "/admin?m=gatemarker2"):
        assert request(PORT, "GET", p).status == 401, p
    assert not demo_saw("gatemarker2")


@T.test
def ungated_paths_pass():
    assert request(PORT, "GET", "/healthz").status == 200
    r = request(PORT, "GET", "/administrator?m=gatemarker3")
    assert r.status == 404 and demo_saw("gatemarker3"), r


@T.test
def correct_code_admits_and_cookie_works():
    wait_fresh_step()
    code = totp_code(SECRET["alice"])
    r = post_login("alice", code, "10.2.0.1", next_path="/admin/panel?m=gatemarker4")
    assert r.status == 303, (r, r.text)
    assert r.header("location") == "/admin/panel?m=gatemarker4", r.header("location")
    cookies = set_cookies(r)
    value, attrs = cookies["sekisho_gate"]
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs, attrs
    assert "secure" not in attrs  # plain HTTP here
    assert cookies["sekisho_csrf"][0] == "", cookies
    STATE["cookie"], STATE["code"] = value, code
    # the next request with the cookie goes through
    r = request(PORT, "GET", "/admin/panel?m=gatemarker4", headers=[("Cookie", "sekisho_gate=" + value)])
    assert r.status == 404 and demo_saw("gatemarker4"), r
    ev = [e for e in events() if e["kind"] == "totp_success"]
    assert ev and "alice" in ev[-1]["details"]["guard"], ev
    assert code not in json.dumps(ev[-1]), "the code must not be in the event"
    # the step is recorded in the file
    step = int(time.time()) // 30
    line = [ln for ln in open(SECRETS) if ln.startswith("alice:")][0]
    assert int(line.strip().split(":")[4]) in (step - 1, step, step + 1), line


@T.test
def our_cookie_is_not_sent_upstream():
    r = request(PORT, "GET", "/api/headers",
                headers=[("Cookie", "theme=dark; sekisho_gate=%s; lang=ja" % STATE["cookie"])])
    assert r.status == 200, r
    hs = r.json()["headers"]
    pairs = hs if isinstance(hs, list) else list(hs.items())
    cookie = [v for k, v in pairs if k.lower() == "cookie"]
    assert cookie == ["theme=dark; lang=ja"], cookie
    # only our cookie: no Cookie header at all upstream
    r = request(PORT, "GET", "/api/headers", headers=[("Cookie", "sekisho_gate=" + STATE["cookie"])])
    hs = r.json()["headers"]
    pairs = hs if isinstance(hs, list) else list(hs.items())
    assert not [v for k, v in pairs if k.lower() == "cookie"], pairs


@T.test
def replayed_code_is_refused():
    r = post_login("alice", STATE["code"], "10.3.0.1")
    assert r.status == 401, r
    assert "sekisho_gate" not in set_cookies(r)
    assert "Code not accepted" in r.text
    ev = events_of(r.header("x-request-id"))
    assert ev and ev[0]["kind"] == "totp_failure" and "already used" in ev[0]["details"]["guard"], ev
    # the CLI reads the same file under the same lock: a replay there too
    p = subprocess.run([BIN, "totp", "verify", "alice", STATE["code"], "--file", SECRETS],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    assert p.returncode == 1 and b"replay" in p.stdout, p.stdout


@T.test
def wrong_code_is_refused():
    wait_fresh_step()
    good = {totp_code(SECRET["bob"], d) for d in (-1, 0, 1)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in good)
    r = post_login("bob", wrong, "10.4.0.1")
    assert r.status == 401 and "sekisho_gate" not in set_cookies(r), r
    ev = events_of(r.header("x-request-id"))
    assert ev and ev[0]["kind"] == "totp_failure" and "wrong code" in ev[0]["details"]["guard"], ev
    assert wrong not in json.dumps(ev[0]["details"]), ev
    # malformed codes and unknown users are wrong too, without a crash
    for i, (user, code) in enumerate((("bob", "12345"), ("ghost", "abcdef"), ("nobody-here", "123456"),
                                      ("a:b", "123456"), ("", ""))):
        r = post_login(user, code, "10.4.1.%d" % i)
        assert r.status == 401, (user, code, r)


@T.test
def too_many_wrong_codes_from_one_address():
    wait_fresh_step()
    good = {totp_code(SECRET["erin"], d) for d in (-1, 0, 1)}
    wrong = [c for c in ("000001", "000002", "000003", "000004") if c not in good]
    statuses = [post_login("erin", c, "10.5.0.1").status for c in wrong[:3]]
    assert statuses == [401, 401, 429], statuses
    # locked: even the right code gets 429 now, from this address
    r = post_login("erin", totp_code(SECRET["erin"]), "10.5.0.1")
    assert r.status == 429, r
    retry = int(r.header("retry-after") or 0)
    assert 60 <= retry <= 120, r.header("retry-after")
    ev = events_of(r.header("x-request-id"))
    assert ev and ev[0]["kind"] == "totp_lockout", ev


@T.test
def too_many_wrong_codes_for_one_user():
    wait_fresh_step()
    good = {totp_code(SECRET["dave"], d) for d in (-1, 0, 1)}
    wrong = [c for c in ("000011", "000012", "000013", "000014") if c not in good]
    # three sources, one wrong code each: the account's counter reaches the limit
    statuses = [post_login("dave", c, "10.6.0.%d" % i).status for i, c in enumerate(wrong[:3])]
    assert statuses == [401, 401, 429], statuses
    r = post_login("dave", totp_code(SECRET["dave"]), "10.6.1.1")
    assert r.status == 429 and r.header("retry-after"), r
    # another user from a fresh address is not affected
    r = post_login("frank", totp_code(SECRET["frank"]), "10.6.2.1")
    assert r.status == 303, r


@T.test
def expired_or_forged_cookie_is_refused():
    now = int(time.time())
    good = forge_cookie("alice", now + 300)  # made here with the key file: accepted
    r = request(PORT, "GET", "/admin/?m=gatemarker5", headers=[("Cookie", "sekisho_gate=" + good)])
    assert r.status == 404 and demo_saw("gatemarker5"), r
    bad = {
        "expired": forge_cookie("alice", now - 5),
        "beyond session_ttl": forge_cookie("alice", now + 3600 * 24),
        "other key": forge_cookie("alice", now + 300, master=os.urandom(32)),
        "flipped mac": STATE["cookie"][:-2] + ("AA" if not STATE["cookie"].endswith("AA") else "BB"),
        "other user": STATE["cookie"].replace(STATE["cookie"].split(".")[0], b64url(b"mallory"), 1),
        "garbage": "x" * 40,
    }
    for why, value in bad.items():
        r = request(PORT, "GET", "/admin/?m=gatemarker6", headers=[("Cookie", "sekisho_gate=" + value)])
        assert r.status == 401 and "<form" in r.text, (why, r)
        ev = events_of(r.header("x-request-id"))
        assert ev and ev[0]["kind"] == "totp_session_refused", (why, ev)
    assert not demo_saw("gatemarker6")


@T.test
def redirect_stays_on_the_site():
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                   "/ok\r\nSet-Cookie: x=1", "javascript:alert(1)"):
        r = request(PORT, "GET", "/.sekisho/totp?next=" + urllib.parse.quote(target, safe=""))
        assert r.status == 200 and form_inputs(r.text)["next"] == "/", (target, form_inputs(r.text))
    wait_fresh_step()
    r = post_login("frank", totp_code(SECRET["frank"], 1), "10.7.0.1", next_path="//evil.example/")
    assert r.status == 303 and r.header("location") == "/", (r, r.header("location"))
    # a local path is kept as it is
    r = request(PORT, "GET", "/.sekisho/totp?next=%2Fadmin%2Fa%3Fb%3D1")
    assert form_inputs(r.text)["next"] == "/admin/a?b=1"


@T.test
def login_needs_the_csrf_token():
    _, csrf, inputs = login_form(addr="10.8.0.1")
    _, csrf2, _ = login_form(addr="10.8.0.2")
    code = totp_code(SECRET["bob"])
    for cookie, token in ((None, inputs["csrf"]), (csrf2, inputs["csrf"]), (csrf, "1.x"), (csrf, "")):
        r = post_login("bob", code, "10.8.0.3", csrf_cookie=cookie or "", token=token)
        assert r.status == 403 and "sekisho_gate" not in set_cookies(r), (cookie, token, r)
    r = request(PORT, "PUT", "/.sekisho/totp", body="x")
    assert r.status == 405, r


@T.test
def short_and_listed_passwords_are_refused_before_the_upstream():
    for i, pw in enumerate(("tinypw1", "qwertyuiop123", "correcthorsebatterystaple")):
        marker = "pwmarker%d" % i
        r = request(PORT, "POST", "/api/echo?m=" + marker,
                    headers=[("Content-Type", "application/x-www-form-urlencoded")],
                    body="user=kim&password=" + urllib.parse.quote(pw))
        assert r.status == 422 and "Choose a longer password." in r.text, (pw, r)
        assert not demo_saw(marker), "a refused password reached the upstream"
        ev = events_of(r.header("x-request-id"))
        assert ev and ev[0]["kind"] == "password_refused", ev
        assert pw not in json.dumps(ev[0]), "the password must not be in the event"
        assert ("too short" if pw == "tinypw1" else "password list") in ev[0]["details"]["guard"], ev


@T.test
def good_password_passes():
    r = request(PORT, "POST", "/api/echo?m=pwmarker9", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                body="user=kim&password=" + urllib.parse.quote("ein langes Passwort 42"))
    assert r.status == 200 and demo_saw("pwmarker9"), r
    # 10 Japanese characters are 30 bytes and 10 characters: long enough; 9 are not
    r = request(PORT, "POST", "/api/echo", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                body="password=" + urllib.parse.quote("関所関所関所関所関所"))
    assert r.status == 200, r
    r = request(PORT, "POST", "/api/echo", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                body="password=" + urllib.parse.quote("関所関所関所関所関"))
    assert r.status == 422, r


@T.test
def json_bodies():
    def post(obj, marker):
        return request(PORT, "POST", "/api/echo?m=" + marker, headers=[("Content-Type", "application/json")],
                       body=json.dumps(obj))
    r = post({"user": {"name": "kim", "password": "password"}}, "pwjson1")
    assert r.status == 422 and r.header("content-type") == "application/json", r
    j = r.json()
    assert j["error"] == "password_policy" and j["reason"] == "too_short" and j["min_length"] == 10, j
    assert not demo_saw("pwjson1")
    r = post({"user": {"password": "qwertyuiop123"}}, "pwjson2")
    assert r.status == 422 and r.json()["reason"] == "listed" and not demo_saw("pwjson2"), r
    r = post({"password": "tiny"}, "pwjson3")  # the top-level field too
    assert r.status == 422 and not demo_saw("pwjson3"), r
    r = post({"user": {"password": "a much better passphrase"}}, "pwjson4")
    assert r.status == 200 and demo_saw("pwjson4"), r
    # another endpoint is not checked
    r = request(PORT, "POST", "/login?m=pwjson5", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                body="user=a&password=x")
    assert r.status != 422 and demo_saw("pwjson5"), r


@T.test
def duplicate_fields_all_checked():
    r = request(PORT, "POST", "/api/echo?m=pwdup", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                body="password=a+long+enough+one&password=short")
    assert r.status == 422 and not demo_saw("pwdup"), r


@T.test
def reload_keeps_the_gate():
    PX.signal(signal.SIGHUP)
    PX.wait_log(r"configuration reloaded|reload refused", timeout=10)
    assert "reload refused" not in PX.log(), PX.log_tail()
    r = request(PORT, "GET", "/admin/?m=gatemarker7", headers=[("Cookie", "sekisho_gate=" + STATE["cookie"])])
    assert r.status == 404 and demo_saw("gatemarker7"), r


@T.test
def metrics_count_the_gate():
    text = request(ADMIN, "GET", "/metrics").text
    def val(name):
        m = re.search(r"^%s (\d+)$" % name, text, re.M)
        return int(m.group(1)) if m else -1
    assert val("sekisho_totp_success_total") >= 2, text
    assert val("sekisho_totp_failure_total") >= 5
    assert val("sekisho_totp_lockout_total") >= 2
    assert val("sekisho_password_refused_total") >= 5


@T.test
def unusable_secrets_file_stops_the_start():
    d = os.path.join(TMP, "locked")
    os.mkdir(d, 0o700)  # root's (or, not as root, read-only below)
    s = os.path.join(d, "totp")
    subprocess.run([BIN, "totp", "enroll", "zed", "--file", s], stdout=subprocess.DEVNULL, timeout=30)
    if not ROOT:
        os.chmod(d, 0o500)
    port = free_port()
    cfg = os.path.join(TMP, "locked.yaml")
    with open(cfg, "w") as f:
        f.write('listen: "127.0.0.1:%d"\nupstream: "http://127.0.0.1:%d"\nadmin:\n  listen: ""\n'
                "totp_gate:\n  paths: [/admin/]\n  secrets: %s\n" % (port, DEMO.port, s))
    os.chmod(cfg, 0o644)
    p = start_proxy(["-c", cfg])
    rc = p.wait(timeout=10)
    assert rc == 2, (rc, p.log())
    assert "totp_gate.secrets" in p.log() and "cannot" in p.log(), p.log()
    os.chmod(d, 0o700)
    # a file others can read is refused at start as well
    os.chmod(s, 0o644)
    p = start_proxy(["-c", cfg])
    assert p.wait(timeout=10) == 2 and "chmod 600" in p.log(), p.log()


T.finish()
