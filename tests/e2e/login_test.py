"""Integration tests of login protection: the real `sekisho proxy` in front
of the real demo shop (its /login: taro / correct-horse -> 302 + session
cookie, anything else -> 200 with a failure message), a real redis-server on
127.0.0.1 started here, clients on many source addresses of 127.0.0.0/8
(Linux lets a socket bind any of them). Run by tests/e2e/login.sh."""
import json
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from proxyctl import Conn, Runner, build_request, free_port, start_demo, start_proxy, start_redis  # noqa: E402

T = Runner("login", time_limit=120)
TMP = tempfile.mkdtemp(prefix="sekisho-login-test-")
os.chmod(TMP, 0o755)  # the proxy drops to nobody after binding
DEMO = T.watch(start_demo())
REDIS = T.watch(start_redis())

# Small numbers so the tests run in seconds; the defaults are documented in
# docs/config.md.
POLICY = """login:
  endpoints:
    - {path: /login, username: username, success_cookie: session}
  window: 10m
  delay_after: 5
  pair_delay_after: 3
  net_delay_after: 1000
  delay_base: 300ms
  delay_max: 1s
  ban_after: 10
  ban_ttl: 60s
  lock_after: 8
  lock_ttl: 60s
  accounts_per_source: 6
  sources_per_account: 6
  wave_min_failures: 30
  wave_delay: 1500ms
"""


def proxy(extra="", redis=True, name="p"):
    port, admin = free_port(), free_port()
    text = ("listen: \"127.0.0.1:%d\"\nupstream: \"http://127.0.0.1:%d\"\nworkers: 2\n"
            "admin:\n  listen: \"127.0.0.1:%d\"\n" % (port, DEMO.port, admin))
    text += POLICY + extra
    if redis:
        text += "state:\n  redis: \"127.0.0.1:%d\"\n  ban_cache: 200ms\n  redis_timeout: 100ms\n" % REDIS.port
    path = os.path.join(TMP, "%s%d.yaml" % (name, port))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o644)
    ev = os.path.join(TMP, "%s%d.events" % (name, port))
    p = T.watch(start_proxy(["-c", path, "--events", ev], port=port))
    p.admin, p.events_path = admin, ev
    return p


def events(p, kind=None):
    time.sleep(0.3)  # the sink writes from its own thread
    out = []
    with open(p.events_path, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if kind is None or e["kind"] == kind:
                out.append(e)
    return out


def metric(p, name):
    with Conn(p.admin) as c:
        c.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.read_response()
    for line in r.text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError("metric %s missing" % name)


def delayed(p, src):
    """login_delayed events of proxy p for source src: the proxy's own
    record that it held an attempt back (no wall-clock guess needed)."""
    return [e for e in events(p, "login_delayed") if e.get("src") == src]


def send_from(src, port, method, path, body=None, headers=None, timeout=20):
    """One request from source address `src` (127.x.y.z); returns (response, seconds)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    t0 = time.monotonic()
    s.connect(("127.0.0.1", port))
    with Conn(sock=s, timeout=timeout) as c:
        c.send(build_request(method, path, headers, body, close=True))
        r = c.read_response(method)
    return r, time.monotonic() - t0


def login(src, port, user, password):
    body = urllib.parse.urlencode({"username": user, "password": password}).encode()
    return send_from(src, port, "POST", "/login", body,
                     [("Content-Type", "application/x-www-form-urlencoded")])


def logged_in(r):
    return r.status == 302 and "session=" in (r.header("set-cookie") or "")


A = proxy(name="a")
B = proxy(name="b")
MEM = proxy(redis=False, name="m")
TARO_HOME = "127.0.0.10"   # where taro usually logs in from


@T.test
def legitimate_user_mistyping_is_never_slowed_or_locked():
    for p in (A, MEM):
        for pw in ("correct-hors", "Correct-horse"):
            r, dt = login(TARO_HOME, p.port, "taro", pw)
            assert r.status == 200 and "ログインに失敗".encode() in r.body, r
        r, dt = login(TARO_HOME, p.port, "taro", "correct-horse")
        assert logged_in(r), r
        assert not delayed(p, TARO_HOME), "a first or second typo was delayed: %s" % delayed(p, TARO_HOME)
    assert metric(A, "sekisho_login_successes_total") >= 1
    assert metric(A, "sekisho_login_failures_total") >= 2


@T.test
def brute_force_from_one_source_is_delayed_then_banned():
    src = "127.0.0.20"
    statuses, delays = [], []
    for i in range(14):
        r, dt = login(src, MEM.port, "taro", "guess-%d" % i)
        statuses.append(r.status)
        delays.append(dt)
    # three failures on one account pass at once; from the 4th attempt on
    # they wait (pair_delay_after), longer and longer
    held = delayed(MEM, src)
    assert len(held) >= 3, held
    assert "failures source=3 " in held[0]["details"]["guard"], held[0]
    assert min(delays[3:6]) >= 0.25, delays
    # the account is locked against this new source after 8 failures, and
    # the source is banned after 10
    assert 429 in statuses, statuses
    assert statuses[-1] == 403, statuses
    r, _ = send_from(src, MEM.port, "GET", "/")
    assert r.status == 403 and r.header("retry-after"), r
    r, _ = send_from("127.0.0.21", MEM.port, "GET", "/")
    assert r.status == 200, r
    bans = [e for e in events(MEM, "ban") if e["details"]["key"] == "ip:" + src]
    assert bans and "brute force" in bans[0]["details"]["reason"], events(MEM)
    locks = [e for e in events(MEM, "ban") if e["details"]["key"] == "acct:taro"]
    assert locks, "the account lock made no event"
    # the locked account still admits its owner from a known source ...
    r, dt = login(TARO_HOME, MEM.port, "taro", "correct-horse")
    assert logged_in(r), r
    # ... but not a new source, even with the right password
    r, _ = login("127.0.0.22", MEM.port, "taro", "correct-horse")
    assert r.status == 429 and r.header("retry-after"), r
    held_events = events(MEM, "login_delayed")
    assert held_events and "failures source=" in held_events[0]["details"]["guard"], held_events[:1]
    assert metric(MEM, "sekisho_banned_requests_total") >= 1


@T.test
def two_proxies_share_counts_and_bans_through_redis():
    src = "127.0.0.30"
    for i in range(6):
        login(src, A.port, "hanako", "x%d" % i)
    statuses = [login(src, B.port, "jiro", "y%d" % i)[0].status for i in range(6)]
    # 6 failures on A + 4 on B reach ban_after (10): B bans the source
    assert 403 in statuses, statuses
    time.sleep(0.3)  # A's cache of "not banned" answers lasts 200 ms
    r, _ = send_from(src, A.port, "GET", "/")
    assert r.status == 403, r
    assert [e for e in events(B, "ban") if e["details"]["key"] == "ip:" + src]


@T.test
def stuffing_wave_from_200_sources_is_detected_and_slowed():
    # 200 sources in 200 different /24s, each trying 3 accounts once: no
    # source and no account crosses a per-key threshold. Only the global
    # failure ratio shows the wave.
    jobs = []
    for i in range(200):
        src = "127.%d.%d.%d" % (1 + i // 100, i % 100 + 1, 7)
        for k in range(3):
            jobs.append((src, "user%04d" % (i * 3 + k)))
    results = [None] * len(jobs)
    lock = threading.Lock()
    nxt = [0]

    def worker():
        while True:
            with lock:
                j = nxt[0]
                nxt[0] += 1
            if j >= len(jobs):
                return
            src, user = jobs[j]
            p = A if j % 2 else B
            try:
                r, dt = login(src, p.port, user, "Passw0rd!")
                results[j] = (time.monotonic(), r.status, dt)
            except Exception as e:  # noqa: BLE001
                results[j] = (time.monotonic(), str(e), 0)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    # Meanwhile the real taro logs in from home: never slowed by the wave.
    time.sleep(4)
    r, dt_taro = login(TARO_HOME, A.port, "taro", "correct-horse")
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    assert all(isinstance(x[1], int) for x in results), [x for x in results if not isinstance(x[1], int)][:3]
    assert all(x[1] == 200 for x in results), sorted(set(x[1] for x in results))
    waves = events(A, "stuffing_wave") + events(B, "stuffing_wave")
    assert waves and waves[0]["details"]["state"] == "start", waves
    late = sorted(x[2] for x in results[300:])
    median_late = late[len(late) // 2]
    assert median_late >= 1.4, "late attempts were not slowed: median %.2fs" % median_late
    assert logged_in(r), r
    assert not delayed(A, TARO_HOME), "the known user was slowed by the wave"
    print("  wave: 600 attempts in %.1fs, median delay of the last 300: %.2fs; taro %.2fs"
          % (took, median_late, dt_taro))
    assert metric(A, "sekisho_login_wave") == 1


@T.test
def redis_stopped_mid_test_both_proxies_keep_serving():
    REDIS.stop()
    for p in (A, B):
        r, dt = send_from("127.0.0.40", p.port, "GET", "/")
        assert r.status == 200, r
        r, dt = login("127.0.0.40", p.port, "saburo", "nope")
        assert r.status == 200 and dt < 3.0, (r, dt)
    # bans made during the outage still hold (local state)
    statuses = [login("127.0.0.41", A.port, "shiro", "z%d" % i)[0].status for i in range(12)]
    assert statuses[-1] == 403, statuses
    for p in (A, B):
        assert metric(p, "sekisho_state_degraded") == 1
        assert events(p, "state_degraded"), p.name


@T.test
def redis_back_is_used_again():
    global REDIS
    REDIS = T.watch(start_redis(port=REDIS.port))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        send_from("127.0.0.42", A.port, "GET", "/")
        if metric(A, "sekisho_state_degraded") == 0:
            break
        time.sleep(0.5)
    assert metric(A, "sekisho_state_degraded") == 0
    assert events(A, "state_restored")


T.finish()
