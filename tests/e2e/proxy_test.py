"""Integration tests of `sekisho proxy`: the real binary in front of the
real demo upstream on 127.0.0.1, driven with raw sockets (proxyctl).
Run by tests/e2e/proxy.sh; reads SEKISHO from the environment."""
import json
import os
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from proxyctl import (Conn, Runner, Slowloris, build_request, free_port, make_test_cert, pipeline,  # noqa: E402
                      request, send_raw, start_demo, start_proxy, tls_connect, tls_request, ws_echo)

T = Runner("proxy", time_limit=90)
TMP = tempfile.mkdtemp(prefix="sekisho-proxy-test-")
# The proxy drops privileges after binding (to nobody when started as root);
# a reload reads the file again as that user, like /etc/sekisho would be.
os.chmod(TMP, 0o755)
DEMO = T.watch(start_demo())


def write_config(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def config_text(port, upstream_port, extra=""):
    return ("listen: \"127.0.0.1:%d\"\nupstream: \"http://127.0.0.1:%d\"\nworkers: 2\n"
            "admin:\n  listen: \"127.0.0.1:%d\"\n" % (port, upstream_port, free_port()) +
            "timeouts:\n  header: 2s\n  body: 3s\n  upstream_connect: 1s\n  upstream_response: 2s\n"
            "  keepalive: 5s\nlimits:\n  max_body_inspect: 64KiB\n") + extra


def proxy(extra="", upstream_port=None, events=None):
    port = free_port()
    cfg = write_config("p%d.yaml" % port, config_text(port, upstream_port or DEMO.port, extra))
    args = ["-c", cfg]
    if events:
        args += ["--events", events]
    p = T.watch(start_proxy(args, port=port))
    p.config = cfg
    return p


def demo_saw(marker):
    return marker in DEMO.log()


PX = proxy(events=os.path.join(TMP, "events.jsonl"))
EVENTS = os.path.join(TMP, "events.jsonl")


def events():
    time.sleep(0.3)  # the sink writes from its own thread
    out = []
    with open(EVENTS, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
    return out


@T.test
def benign_request_passes():
    r = request(PX.port, "GET", "/search?q=%E9%96%A2%E6%89%80")
    assert r.status == 200, r
    assert "関所".encode() in r.body
    assert r.header("x-content-type-options") == "nosniff"
    assert r.header("x-frame-options") == "SAMEORIGIN"


@T.test
def attack_is_blocked_and_audited():
    r = request(PX.port, "GET", "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--blockmarker")
    assert r.status == 403, r
    rid = r.header("x-request-id")
    assert rid and rid.encode() in r.body
    assert not demo_saw("blockmarker"), "a blocked request reached the upstream"
    ev = [e for e in events() if e.get("request_id") == rid]
    assert ev and ev[0]["kind"] == "block", ev
    assert ev[0]["details"]["verdict"]["matches"][0]["detector"] == "sqli"
    assert ["Host", "127.0.0.1"] in ev[0]["details"]["headers"]


@T.test
def struts2_content_type_blocked_and_header_logged():
    ct = ("%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)."
          "(#_memberAccess=#dm).(#cmd='id').(#p=new java.lang.ProcessBuilder({'/bin/sh','-c',#cmd})).(#p.start())}")
    r = request(PX.port, "POST", "/contact?ognlmarker", headers=[("Content-Type", ct)], body=b"a=b")
    assert r.status == 403, r
    assert not demo_saw("ognlmarker")
    ev = [e for e in events() if e.get("request_id") == r.header("x-request-id")]
    assert ev and ["Content-Type", ct] in ev[0]["details"]["headers"], ev


@T.test
def forwarded_headers():
    r = request(PX.port, "GET", "/api/headers", headers=[("X-Forwarded-For", "6.6.6.6"), ("Connection", "close, X-Secret"),
                                                          ("X-Secret", "drop me")])
    h = {k.lower(): v for k, v in r.json()["headers"]} if isinstance(r.json().get("headers"), list) else \
        {k.lower(): v for k, v in r.json()["headers"].items()}
    # a client that is not a trusted proxy cannot forge its address
    assert h.get("x-forwarded-for") == "127.0.0.1", h
    assert h.get("x-real-ip") == "127.0.0.1", h
    assert h.get("x-request-id") == r.header("x-request-id"), h
    assert "x-secret" not in h, "a header named in Connection must not be forwarded"


@T.test
def keep_alive_reuses_the_connection():
    with Conn(PX.port) as c:
        for i in range(5):
            c.send(build_request("GET", "/healthz", None, None))
            r = c.read_response()
            assert r.status == 200 and r.body == b"ok", r


@T.test
def pipelining_in_order():
    reqs = [build_request("GET", "/search?q=p%d" % i, None, None) for i in range(4)]
    rs = pipeline(PX.port, reqs)
    assert [r.status for r in rs] == [200] * 4, [r.status for r in rs]
    for i, r in enumerate(rs):
        assert ("p%d" % i).encode() in r.body


@T.test
def pipelined_attack_after_benign_is_blocked():
    reqs = [build_request("GET", "/healthz", None, None),
            build_request("GET", "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E", None, None)]
    rs = pipeline(PX.port, reqs)
    assert rs[0].status == 200 and rs[1].status == 403, [r.status for r in rs]


@T.test
def chunked_request_body_is_decoded_and_inspected():
    r = request(PX.port, "POST", "/api/echo", headers=[("Content-Type", "text/plain")], body=b"hello chunked world",
                chunked=True)
    assert r.status == 200, r
    j = r.json()
    assert j["body"] == "hello chunked world" and j["length"] == 19, j
    bad = request(PX.port, "POST", "/api/echo", headers=[("Content-Type", "application/x-www-form-urlencoded")],
                  body=b"q=1%27%20or%20%271%27%3D%271", chunked=True)
    assert bad.status == 403, bad


@T.test
def chunked_response_relayed():
    r = request(PX.port, "GET", "/chunked?n=5")
    assert r.status == 200 and r.framing == "chunked", (r.status, r.framing)
    assert len(r.body) > 0


@T.test
def large_response_streams():
    r = request(PX.port, "GET", "/big?kb=2048", timeout=20)
    assert r.status == 200 and len(r.body) == 2048 * 1024, len(r.body)


@T.test
def body_over_limit_is_refused():
    body = b"a=" + b"x" * (70 * 1024)
    r = request(PX.port, "POST", "/api/echo", headers=[("Content-Type", "application/x-www-form-urlencoded")], body=body)
    assert r.status == 413, r


@T.test
def body_over_limit_passes_when_configured():
    p = proxy("limits2: {}\n".replace("limits2: {}\n", ""), events=os.path.join(TMP, "pass.jsonl"))
    p.stop()
    port = free_port()
    cfg = write_config("pass.yaml", config_text(port, DEMO.port).replace(
        "  max_body_inspect: 64KiB\n", "  max_body_inspect: 64KiB\n  body_over_limit: pass\n"))
    q = T.watch(start_proxy(["-c", cfg, "--events", os.path.join(TMP, "pass.jsonl")], port=port))
    body = b"x" * (200 * 1024)
    r = request(port, "POST", "/api/echo", headers=[("Content-Type", "application/octet-stream")], body=body, timeout=20)
    assert r.status == 200 and r.json()["length"] == len(body), r
    # a chunked body over the limit passes too, byte for byte
    body2 = bytes(range(256)) * 800
    r = request(port, "POST", "/api/echo", headers=[("Content-Type", "application/octet-stream")], body=body2,
                chunked=True, timeout=20)
    assert r.status == 200 and r.json()["length"] == len(body2), r
    import base64
    assert base64.b64decode(r.json()["body_base64"]) == body2
    # an attack in the inspected part is still blocked
    evil = b"a=%3Cscript%3Ealert(1)%3C/script%3E&pad=" + b"x" * (100 * 1024)
    r = request(port, "POST", "/api/echo", headers=[("Content-Type", "application/x-www-form-urlencoded")], body=evil,
                chunked=True, timeout=20)
    assert r.status == 403, r
    q.stop()


@T.test
def expect_100_continue():
    with Conn(PX.port) as c:
        c.send(b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
               b"Expect: 100-continue\r\n\r\n")
        first = c.recv_some(2)
        assert first.startswith(b"HTTP/1.1 100"), first
        c.send(b"hello")
        c.buf = first[first.index(b"\r\n\r\n") + 4:] + c.buf
        r = c.read_response()
        assert r.status == 200 and r.json()["body"] == "hello", r


@T.test
def websocket_passthrough():
    assert ws_echo(PX.port, "こんにちは sekisho") == "こんにちは sekisho"


@T.test
def smuggling_refused_and_never_forwarded():
    shapes = [
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled1 HTTP/1.1\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhelloGET /smuggled2 HTTP/1.1\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nGET /smuggled3 HTTP/1.1\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        b"GET /smuggled4 HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    ]
    before = DEMO.log().count("/api/echo")
    for raw in shapes:
        r = send_raw(PX.port, raw)
        assert r.status == 400, (raw, r.status)
    time.sleep(0.2)
    log = DEMO.log()
    assert "smuggled" not in log, "a smuggled request reached the upstream"
    assert log.count("/api/echo") == before, "a refused request reached the upstream"


@T.test
def upstream_down_gives_502_quickly():
    dead = free_port()
    p = proxy(upstream_port=dead)
    t0 = time.monotonic()
    r = request(p.port, "GET", "/")
    assert r.status == 502, r
    assert time.monotonic() - t0 < 1.5
    p.stop()


@T.test
def upstream_slow_gives_504():
    t0 = time.monotonic()
    r = request(PX.port, "GET", "/slow?ms=5000", timeout=10)
    took = time.monotonic() - t0
    assert r.status == 504, r
    assert 1.5 < took < 4.5, took


@T.test
def monitor_mode_logs_but_passes():
    ev = os.path.join(TMP, "monitor.jsonl")
    p = proxy("detection:\n  mode: monitor\n", events=ev)
    r = request(p.port, "GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status == 200, r
    time.sleep(0.3)
    kinds = [json.loads(l)["kind"] for l in open(ev, encoding="utf-8")]
    assert "flag" in kinds, kinds
    p.stop()


@T.test
def reload_refuses_a_broken_config_and_keeps_serving():
    p = proxy()
    with open(p.config, "a", encoding="utf-8") as f:
        f.write("detection:\n  paranoia: 9\n")
    os.kill(p.p.pid, signal.SIGHUP)
    p.wait_log(r"reload refused", 5)
    r = request(p.port, "GET", "/healthz")
    assert r.status == 200, r
    # a good config is taken: switch to monitor mode, an attack then passes
    with open(p.config, "w", encoding="utf-8") as f:
        f.write(config_text(p.port, DEMO.port, "detection:\n  mode: monitor\n"))
    os.kill(p.p.pid, signal.SIGHUP)
    p.wait_log(r"configuration reloaded", 5)
    r = request(p.port, "GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert r.status == 200, r
    p.stop()


@T.test
def slowloris_does_not_starve_normal_clients():
    with Slowloris(PX.port, 300) as s:
        opened = s.open()
        assert opened >= 250, opened
        worst = 0.0
        for _ in range(10):
            s.trickle()
            t0 = time.monotonic()
            r = request(PX.port, "GET", "/healthz", timeout=5)
            worst = max(worst, time.monotonic() - t0)
            assert r.status == 200, r
            time.sleep(0.1)
        assert worst < 1.0, worst
        # the header timeout (2 s) cuts them
        time.sleep(3.0)
        left = s.count_open(timeout=0.5)
        assert left < 10, left


@T.test
def slow_request_head_times_out():
    with Conn(PX.port) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n")
        t0 = time.monotonic()
        data = c.read_until_close(65536, 6)
        assert time.monotonic() - t0 < 4.5
        assert data.startswith(b"HTTP/1.1 408") or data == b"", data[:40]


@T.test
def metrics_and_health():
    import re
    m = re.search(r"admin:\n  listen: \"127\.0\.0\.1:(\d+)\"", open(PX.config, encoding="utf-8").read())
    admin = int(m.group(1))
    h = request(admin, "GET", "/healthz")
    assert h.status == 200 and h.body == b"ok\n", h
    r = request(admin, "GET", "/metrics")
    assert r.status == 200, r
    text = r.text
    for name in ("sekisho_requests_total", "sekisho_blocked_total", "sekisho_open_connections",
                 "sekisho_request_duration_seconds_bucket", "sekisho_upstream_errors_total"):
        assert name in text, name
    blocked = int(re.search(r"^sekisho_blocked_total (\d+)$", text, re.M).group(1))
    assert blocked >= 3, blocked
    sqli = int(re.search(r'^sekisho_block_matches_total\{detector="sqli"\} (\d+)$', text, re.M).group(1))
    assert sqli >= 1, sqli


def tls_proxy():
    """A proxy with a plain listener that redirects and a TLS listener with
    two certificates (the second chosen by SNI)."""
    for d in ("cert-main", "cert-shop"):
        os.makedirs(os.path.join(TMP, d), exist_ok=True)
    main = make_test_cert(os.path.join(TMP, "cert-main"), names=("localhost",))
    shop = make_test_cert(os.path.join(TMP, "cert-shop"), names=("shop.example.jp",))
    for d in (main.dir, shop.dir):
        os.chmod(d, 0o755)
    port, tport = free_port(), free_port()
    cfg = write_config("tls.yaml", config_text(port, DEMO.port) +
                       "tls:\n  listen: \"127.0.0.1:%d\"\n  redirect_http: true\n  certificates:\n"
                       "    - cert: %s\n      key: %s\n    - cert: %s\n      key: %s\n"
                       % (tport, main.cert, main.key, shop.cert, shop.key))
    p = T.watch(start_proxy(["-c", cfg], port=tport))
    p.plain, p.tport, p.main, p.shop = port, tport, main, shop
    return p


TLSP = None


@T.test
def tls_request_passes_with_hsts():
    global TLSP
    TLSP = tls_proxy()
    r = tls_request(TLSP.tport, TLSP.main.ca_cert, "GET", "/search?q=%E6%8A%B9%E8%8C%B6")
    assert r.status == 200, r
    assert "抹茶".encode() in r.body
    assert r.header("strict-transport-security"), r.headers
    h = tls_request(TLSP.tport, TLSP.main.ca_cert, "GET", "/api/headers").json()["headers"]
    h = {k.lower(): v for k, v in (h if isinstance(h, list) else h.items())}
    assert h.get("x-forwarded-proto") == "https", h


@T.test
def tls_attack_is_blocked():
    r = tls_request(TLSP.tport, TLSP.main.ca_cert, "GET", "/search?q=%3Csvg%20onload%3Dalert(1)%3E")
    assert r.status == 403, r


@T.test
def tls_version_and_sni():
    c = tls_connect(TLSP.tport, TLSP.main.ca_cert)
    assert c.sock.version() in ("TLSv1.2", "TLSv1.3"), c.sock.version()
    c.close()
    # the second certificate is served for its name (verification with its own CA)
    c = tls_connect(TLSP.tport, TLSP.shop.ca_cert, server_hostname="shop.example.jp")
    c.send(build_request("GET", "/healthz", None, None, host="shop.example.jp", close=True))
    assert c.read_response().status == 200
    c.close()


@T.test
def plain_listener_redirects_to_https():
    r = request(TLSP.plain, "GET", "/account?x=1", host="shop.example.jp")
    assert r.status == 301, r
    assert r.header("location") == "https://shop.example.jp/account?x=1", r.header("location")


@T.test
def plain_http_to_tls_port_is_refused_cleanly():
    with Conn(TLSP.tport) as c:
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        data = c.read_until_close(4096, 3)
        assert not data.startswith(b"HTTP/1.1 200"), data[:40]
    assert request(TLSP.plain, "GET", "/").status == 301


@T.test
def event_flood_is_capped():
    ev = os.path.join(TMP, "flood.jsonl")
    p = proxy(events=ev)
    attack = build_request("GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", None, None)
    rs = pipeline(p.port, [attack] * 500, timeout=30)
    assert all(r.status == 403 for r in rs), set(r.status for r in rs)
    time.sleep(1.5)  # the summary comes from the worker's tick once the second is over
    request(p.port, "GET", "/search?q=%3Cscript%3Ealert(2)%3C/script%3E")
    time.sleep(0.3)
    kinds = [json.loads(l) for l in open(ev, encoding="utf-8")]
    blocks = [e for e in kinds if e["kind"] == "block"]
    summary = [e for e in kinds if e["kind"] == "events_suppressed"]
    assert len(blocks) <= 3 * 200 + 1, len(blocks)
    assert summary, "no events_suppressed summary"
    assert len(blocks) + sum(e["details"]["suppressed"] for e in summary) == 501, \
        (len(blocks), [e["details"] for e in summary])
    p.stop()


@T.test
def per_path_modes():
    p = proxy("detection:\n  paths:\n    - prefix: /api/\n      mode: monitor\n    - prefix: /healthz\n      mode: off\n")
    xss = "%3Cscript%3Ealert(1)%3C/script%3E"
    assert request(p.port, "GET", "/search?q=" + xss).status == 403          # default: block
    assert request(p.port, "POST", "/api/echo?q=" + xss, body=b"x").status == 200  # monitor: passes
    assert request(p.port, "GET", "/healthz?q=" + xss).status == 200         # off: not inspected
    p.stop()


@T.test
def trusted_proxy_forwarded_for():
    ev = os.path.join(TMP, "trusted.jsonl")
    p = proxy("trusted_proxies:\n  - 127.0.0.0/8\n", events=ev)
    r = request(p.port, "GET", "/api/headers", headers=[("X-Forwarded-For", "203.0.113.7")])
    h = r.json()["headers"]
    h = {k.lower(): v for k, v in (h if isinstance(h, list) else h.items())}
    assert h.get("x-forwarded-for") == "203.0.113.7, 127.0.0.1", h
    assert h.get("x-real-ip") == "203.0.113.7", h
    b = request(p.port, "GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
                headers=[("X-Forwarded-For", "198.51.100.9, 203.0.113.7")])
    assert b.status == 403
    time.sleep(0.3)
    blocks = [json.loads(l) for l in open(ev, encoding="utf-8") if '"kind":"block"' in l]
    assert blocks and blocks[-1]["src"] == "203.0.113.7", blocks[-1]["src"]  # right-most untrusted
    p.stop()


@T.test
def access_log_records_every_request():
    ev = os.path.join(TMP, "access.jsonl")
    p = proxy("log:\n  access: true\n", events=ev)
    for _ in range(3):
        assert request(p.port, "GET", "/healthz").status == 200
    time.sleep(0.3)
    kinds = [json.loads(l)["kind"] for l in open(ev, encoding="utf-8")]
    assert kinds.count("access") == 3, kinds
    p.stop()


@T.test
def graceful_stop():
    p = proxy()
    assert request(p.port, "GET", "/healthz").status == 200
    rc = p.stop(timeout=12)
    assert rc == 0, rc


T.finish()
