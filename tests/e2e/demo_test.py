"""The checks of tests/e2e/demo.sh: every endpoint of `sekisho demo`, with
the proxyctl toolkit. Reads DEMO_PORT, DEMO_LOG and SEKISHO from the
environment (demo.sh starts the demo and cleans it up)."""
import base64
import os
import random
import re
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from proxyctl import (Conn, ProxyCtlError, Proc, Runner, Slowloris, build_request, make_test_cert,  # noqa: E402
                      pipeline, request, send_raw, slow_request, tls_request, ws_connect, ws_echo)

PORT = int(os.environ["DEMO_PORT"])
LOG = os.environ["DEMO_LOG"]
T = Runner("demo", time_limit=60)


def demo_log():
    with open(LOG, encoding="utf-8", errors="replace") as f:
        return f.read()


# ---- the shop

@T.test
def healthz():
    r = request(PORT, "GET", "/healthz")
    assert r.status == 200 and r.body == b"ok", r


@T.test
def home_page():
    r = request(PORT, "GET", "/")
    assert r.status == 200, r
    assert r.header("content-type") == "text/html; charset=utf-8", r.headers
    t = r.text
    assert "関所ショップ" in t and 'action="/search"' in t and 'action="/login"' in t, t[:300]
    assert 'name="username"' in t and 'name="password"' in t


@T.test
def search_escapes_xss():
    r = request(PORT, "GET", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27%26")
    assert r.status == 200, r
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;" in r.text, r.text
    assert "<script>alert" not in r.text


@T.test
def search_japanese():
    r = request(PORT, "GET", "/search?q=%E6%8A%B9%E8%8C%B6")
    assert r.status == 200 and "「抹茶」の検索結果" in r.text and "宇治" in r.text, r.text
    r = request(PORT, "GET", "/search?q=%E3%81%AA%E3%81%84")  # ない: no product
    assert "該当する商品はありません" in r.text


def login(user, password):
    body = "username=%s&password=%s" % (user, password)
    return request(PORT, "POST", "/login", [("Content-Type", "application/x-www-form-urlencoded")], body)


@T.test
def login_success_and_account():
    r = login("taro", "correct-horse")
    assert r.status == 302 and r.header("location") == "/account", r
    cookie = r.header("set-cookie")
    m = re.fullmatch(r"session=([0-9a-f]{32}); HttpOnly; Path=/", cookie or "")
    assert m, cookie
    a = request(PORT, "GET", "/account", [("Cookie", "theme=dark; session=%s" % m.group(1))])
    assert a.status == 200 and "taro" in a.text, a
    # another login gives another session
    r2 = login("taro", "correct-horse")
    assert r2.header("set-cookie") != cookie


@T.test
def login_failure_marker():
    for user, pw in (("taro", "wrong"), ("hanako", "correct-horse"), ("taro", "")):
        r = login(user, pw)
        assert r.status == 200 and "ログインに失敗しました" in r.text, (user, pw, r)
        assert r.header("set-cookie") is None
    r = request(PORT, "POST", "/login", body="")
    assert r.status == 200 and "ログインに失敗しました" in r.text


@T.test
def account_needs_session():
    r = request(PORT, "GET", "/account")
    assert r.status == 302 and r.header("location") == "/", r
    r = request(PORT, "GET", "/account", [("Cookie", "session=" + "0" * 32)])
    assert r.status == 302, r


# ---- test endpoints

@T.test
def echo_content_length():
    r = request(PORT, "POST", "/api/echo", [("Content-Type", "text/plain; charset=utf-8")], "こんにちは")
    j = r.json()
    assert r.status == 200 and r.header("content-type") == "application/json"
    assert j["content_type"] == "text/plain; charset=utf-8" and j["body"] == "こんにちは", j
    assert j["length"] == len("こんにちは".encode()) and j["chunked"] is False


@T.test
def echo_chunked_decoded():
    raw = (b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
           b"5\r\n{\"a\":\r\n3;ext=1\r\n 1}\r\n0\r\n\r\n")
    j = send_raw(PORT, raw).json()
    assert j["body"] == '{"a": 1}' and j["chunked"] is True and j["length"] == 8, j


@T.test
def echo_exact_bytes():
    body = bytes(range(256)) * 4
    r = request(PORT, "POST", "/api/echo", [("Content-Type", "application/octet-stream")], body)
    j = r.json()
    assert base64.b64decode(j["body_base64"]) == body and j["length"] == 1024, j["length"]
    j = request(PORT, "POST", "/api/echo", body=b"").json()
    assert j["content_type"] is None and j["length"] == 0 and j["body"] == "", j


@T.test
def echo_large_body():
    body = b"x" * (2 * 1024 * 1024)
    j = request(PORT, "POST", "/api/echo", body=body, timeout=30).json()
    assert j["length"] == len(body)


@T.test
def headers_as_received():
    hdrs = [("X-Forwarded-For", "203.0.113.7"), ("X-Request-Id", "abc-123"), ("X-Dup", "1"), ("X-Dup", "2")]
    j = request(PORT, "GET", "/api/headers?x=1", hdrs).json()
    assert j["method"] == "GET" and j["target"] == "/api/headers?x=1" and j["version"] == "HTTP/1.1", j
    names = [h[0] for h in j["headers"]]
    assert names == ["Host", "X-Forwarded-For", "X-Request-Id", "X-Dup", "X-Dup", "Connection"], names
    assert ["X-Request-Id", "abc-123"] in j["headers"] and j["peer"].startswith("127.0.0.1:")


@T.test
def slow():
    t0 = time.monotonic()
    r = request(PORT, "GET", "/slow?ms=300")
    dt = time.monotonic() - t0
    assert r.status == 200 and r.body == b"slept 300 ms\n" and dt >= 0.3, (r, dt)
    assert request(PORT, "GET", "/slow?ms=60001").status == 400
    assert request(PORT, "GET", "/slow?ms=abc").status == 400


@T.test
def chunked_response():
    with Conn(PORT) as c:
        c.send(build_request("GET", "/chunked?n=5"))
        r = c.read_response()
        assert r.status == 200 and r.framing == "chunked", r
        assert r.body == b"".join(b"chunk %d\n" % i for i in range(5)), r.body
        assert b"8\r\nchunk 0\n\r\n8\r\nchunk 1\n\r\n" in r.raw and r.raw.endswith(b"0\r\n\r\n")
        c.send(build_request("GET", "/chunked?n=0"))  # same connection: still in sync
        r = c.read_response()
        assert r.framing == "chunked" and r.body == b""
    assert request(PORT, "GET", "/chunked?n=10001").status == 400
    t0 = time.monotonic()
    r = request(PORT, "GET", "/chunked?n=3&ms=100")
    assert r.body.count(b"chunk") == 3 and time.monotonic() - t0 >= 0.3


@T.test
def big():
    r = request(PORT, "GET", "/big?kb=300", timeout=30)
    assert r.status == 200 and r.framing == "length" and int(r.header("content-length")) == 300 * 1024
    assert r.body == b"0123456789abcdef" * (300 * 64)
    r = request(PORT, "GET", "/big?kb=0")
    assert r.status == 200 and r.body == b""
    assert request(PORT, "GET", "/big?kb=65537").status == 400


@T.test
def close_endpoint():
    with Conn(PORT) as c:
        c.send(build_request("GET", "/close"))
        r = c.read_response()
        assert r.status == 200 and (r.header("connection") or "").lower() == "close", r
        assert c.closed_by_peer(2.0)


@T.test
def not_found():
    assert request(PORT, "GET", "/nope").status == 404
    assert request(PORT, "POST", "/", body="a").status == 404
    assert request(PORT, "DELETE", "/healthz").status == 404


@T.test
def head_has_no_body():
    with Conn(PORT) as c:
        c.send(build_request("HEAD", "/"))
        r = c.read_response("HEAD")
        assert r.status == 200 and int(r.header("content-length")) > 100 and r.body == b""
        c.send(build_request("GET", "/healthz"))  # the next response is still in sync
        assert c.read_response().body == b"ok"


# ---- WebSocket

@T.test
def websocket_echo():
    assert ws_echo(PORT, "こんにちは、関所") == "こんにちは、関所"
    ws = ws_connect(PORT)
    try:
        assert ws.response.header("upgrade").lower() == "websocket"
        ws.send_binary(b"\x00\x01\xff")
        assert ws.recv_frame() == (2, True, b"\x00\x01\xff")
        big = "あ" * 30000  # 90000 bytes: 64-bit length form
        ws.send_text(big)
        assert ws.recv_text() == big
        ws.send_frame(9, b"ping!")
        assert ws.recv_frame() == (10, True, b"ping!")
    finally:
        payload = ws.close(1000)
    assert payload == b"\x03\xe8", payload


@T.test
def websocket_fragments_and_errors():
    ws = ws_connect(PORT)
    ws.send_frame(1, "ab", fin=False)
    ws.send_frame(0, "cd", fin=True)
    assert ws.recv_frame() == (1, False, b"ab") and ws.recv_frame() == (0, True, b"cd")
    ws.conn.send(b"\x81\x02hi")  # unmasked client frame: protocol error
    assert ws.recv_frame() == (8, True, b"\x03\xea")  # close 1002
    assert ws.conn.closed_by_peer(2.0)
    ws.conn.close()


@T.test
def garbage_does_not_hurt():
    rnd = random.Random(1234)
    for i in range(150):
        data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        if i % 3 == 0:  # a valid start, then noise
            data = b"POST /api/echo HTTP/1.1\r\nHost: a\r\n" + data
        with Conn(PORT, timeout=5) as c:
            try:
                c.send(data)
                c.sock.shutdown(socket.SHUT_WR)
                c.read_until_close(timeout=5)
            except (OSError, ProxyCtlError):
                pass
    assert request(PORT, "GET", "/healthz").body == b"ok"


@T.test
def websocket_bad_handshakes():
    r = request(PORT, "GET", "/ws")
    assert r.status == 400, r
    r = request(PORT, "GET", "/ws", [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                     ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                                     ("Sec-WebSocket-Version", "8")])
    assert r.status == 426 and r.header("sec-websocket-version") == "13", r


# ---- connection behaviour

@T.test
def keep_alive():
    with Conn(PORT) as c:
        for i in range(5):
            c.send(build_request("GET", "/search?q=%d" % i))
            r = c.read_response()
            assert r.status == 200 and r.header("connection") is None, r
        c.send(build_request("POST", "/api/echo", body="after five"))
        assert c.read_response().json()["body"] == "after five"
    # HTTP/1.0: closes unless asked to keep alive
    with Conn(PORT) as c:
        c.send(build_request("GET", "/healthz", version="HTTP/1.0"))
        r = c.read_response()
        assert r.body == b"ok" and c.closed_by_peer(2.0), r
    with Conn(PORT) as c:
        c.send(build_request("GET", "/healthz", [("Connection", "keep-alive")], version="HTTP/1.0"))
        r = c.read_response()
        assert (r.header("connection") or "").lower() == "keep-alive", r.headers
        c.send(build_request("GET", "/healthz", [("Connection", "keep-alive")], version="HTTP/1.0"))
        assert c.read_response().body == b"ok"


@T.test
def pipelining():
    reqs = [build_request("GET", "/healthz"),
            build_request("POST", "/api/echo", body="one"),
            build_request("POST", "/api/echo", body="two", chunked=True),
            build_request("HEAD", "/"),
            build_request("GET", "/search?q=x", close=True)]
    rs = pipeline(PORT, reqs, ["GET", "POST", "POST", "HEAD", "GET"])
    assert [r.status for r in rs] == [200] * 5, rs
    assert rs[0].body == b"ok" and rs[1].json()["body"] == "one" and rs[2].json()["body"] == "two"
    assert rs[3].body == b"" and "検索結果" in rs[4].text


@T.test
def slow_sender():
    r = slow_request(PORT, build_request("POST", "/api/echo", body="slow", close=True), delay=0.002)
    assert r is not None and r.json()["body"] == "slow", r


@T.test
def expect_continue():
    with Conn(PORT) as c:
        c.send(b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert c.recv_some(5).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        c.send(b"hello")
        r = c.read_response()
        assert r.status == 200 and r.json()["body"] == "hello", r


@T.test
def malformed_requests():
    r = send_raw(PORT, b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert r.status == 400, r
    r = send_raw(PORT, b"GET / HTTP/1.1\r\nHost: a\r\n bad fold\r\n\r\n")
    assert r.status == 400, r
    r = send_raw(PORT, b"POST /api/echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert r.status == 400, r


@T.test
def limits():
    with Conn(PORT) as c:  # announced body over 8 MiB: refused before it is sent
        c.send(b"POST /api/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 9000000\r\n\r\n")
        r = c.read_response()
        assert r.status == 413 and c.closed_by_peer(2.0), r
    big_head = b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Pad: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    with Conn(PORT) as c:
        try:
            c.send(big_head)
        except OSError:
            pass  # closed while we were still sending: also a refusal
        r = c.read_response()
        assert r.status == 431, r


@T.test
def connection_cap():
    # 256 connections are served; the next one is told 503 at once.
    with Slowloris(PORT, 256) as s:
        assert s.open() == 256
        time.sleep(0.3)
        r = request(PORT, "GET", "/healthz")
        assert r.status == 503, r
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if request(PORT, "GET", "/healthz").status == 200:
            return
        time.sleep(0.1)
    raise AssertionError("connections were not released")


@T.test
def port_taken():
    p = Proc([os.environ["SEKISHO"], "demo", "--listen", "127.0.0.1:%d" % PORT], name="demo2")
    rc = p.wait(10)
    assert rc == 2 and "Address already in use" in p.log(), (rc, p.log())
    p = Proc([os.environ["SEKISHO"], "demo", "--bogus"], name="demo3")
    assert p.wait(10) == 2


@T.test
def request_log():
    log = demo_log()
    for line in ("demo: GET /healthz 200", "demo: POST /login 302", "demo: GET /nope 404", "demo: GET /ws 101"):
        assert line in log, line
    assert "demo: GET /search?q=%3Cscript%3E" in log


# ---- the toolkit's own helpers that the demo cannot exercise

@T.test
def toolkit_slowloris_and_tls():
    with Slowloris(PORT, 10) as s:
        assert s.open() == 10 and s.trickle() == 10 and s.count_open(0.2) == 10
    cert = make_test_cert()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert.cert, cert.key)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(10)
    port = srv.getsockname()[1]

    def serve():
        try:
            conn, _ = srv.accept()
            with ctx.wrap_socket(conn, server_side=True) as t:
                t.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = t.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntls")
        except OSError:
            pass
        finally:
            srv.close()

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    r = tls_request(port, cert.ca_cert, "GET", "/")
    th.join(10)
    assert r.status == 200 and r.body == b"tls", r
    try:
        request(port, "GET", "/")  # closed server: connection refused
        raise AssertionError("expected a refused connection")
    except (OSError, ProxyCtlError):
        pass


T.finish()
