"""proxyctl - a toolkit for integration tests of sekisho (Python 3, stdlib only).

It starts and stops the processes under test (sekisho demo, sekisho proxy,
redis-server) with their output captured, and talks to them over raw
sockets so a test controls every byte: exact requests, pipelining, slow
senders, slowloris, WebSocket, TLS. Every loop is bounded in count and
time, and only loopback addresses are ever connected to.

    import sys; sys.path.insert(0, "tests/e2e/lib")
    from proxyctl import *
    demo = start_demo(sekisho_path())
    r = request(demo.port, "GET", "/healthz")
    assert r.status == 200 and r.body == b"ok"

Test runner: Runner("name"), runner.run(name, fn) or @runner.test,
runner.finish() prints "name: N passed, N failed" last and exits 1 on any
failure.
"""

import atexit
import base64
import hashlib
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

LOOPBACK = ("127.0.0.1", "localhost", "::1")
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEFAULT_TIMEOUT = 10.0
MAX_RESPONSE = 256 * 1024 * 1024  # bytes one read_response accepts
MAX_HEAD = 1024 * 1024            # bytes of a response head
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class ProxyCtlError(Exception):
    """A helper could not do its job (timeout, malformed response, ...)."""


class Skip(Exception):
    """Raise in a test to count it as skipped (e.g. redis-server missing)."""


def _check_host(host):
    if host not in LOOPBACK:
        raise ProxyCtlError("refusing to connect to %r: tests only target loopback" % (host,))


def sekisho_path():
    """The binary under test: $SEKISHO, else build/release/sekisho."""
    return os.environ.get("SEKISHO") or os.path.join(REPO, "build", "release", "sekisho")


# ---------------------------------------------------------------- processes

def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago on `host` (bind to port 0).
    Another process may take it before you do; prefer letting the server
    pick (sekisho demo --listen 127.0.0.1:0) where it can."""
    _check_host(host)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1", timeout=0.2):
    """True if something accepts TCP connections on host:port."""
    _check_host(host)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT, proc=None):
    """Wait until host:port accepts connections. Raises ProxyCtlError after
    `timeout` seconds, or at once if `proc` (a Proc) exits meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return
        if proc is not None and not proc.alive():
            raise ProxyCtlError("%s exited (rc=%s) before listening on %d:\n%s"
                                % (proc.name, proc.returncode(), port, proc.log_tail()))
        time.sleep(0.02)
    raise ProxyCtlError("nothing listening on %s:%d after %.1fs" % (host, port, timeout))


_procs = []


class Proc:
    """A child process with stdout and stderr captured to one log file.

    Proc(argv, name=None, env=None, cwd=None) starts it at once (own
    process group). p.alive(), p.returncode(), p.wait(timeout) -> rc,
    p.stop(timeout=5) (SIGTERM, then SIGKILL; returns rc), p.log() -> str,
    p.log_tail(n=30), p.wait_log(regex, timeout) -> re.Match. Also a
    context manager. Every Proc is stopped at interpreter exit."""

    def __init__(self, argv, name=None, env=None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.dir = tempfile.mkdtemp(prefix="proxyctl-")
        self.log_path = os.path.join(self.dir, "output.log")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self._log = open(self.log_path, "wb")
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self._log,
                                  stderr=subprocess.STDOUT, env=full_env, cwd=cwd or REPO,
                                  start_new_session=True)
        self.pid = self.p.pid
        self.port = None
        _procs.append(self)

    def alive(self):
        return self.p.poll() is None

    def returncode(self):
        return self.p.poll()

    def wait(self, timeout=DEFAULT_TIMEOUT):
        """Wait for exit; returns the exit code. ProxyCtlError on timeout."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProxyCtlError("%s still running after %.1fs" % (self.name, timeout))

    def signal(self, sig):
        if self.alive():
            self.p.send_signal(sig)

    def stop(self, timeout=5.0):
        """SIGTERM, wait up to `timeout`, then SIGKILL. Returns the exit code
        (negative: killed by that signal)."""
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.p.returncode

    def log(self):
        """Everything the process printed so far (stdout and stderr)."""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=30):
        return "\n".join(self.log().splitlines()[-n:])

    def wait_log(self, pattern, timeout=DEFAULT_TIMEOUT):
        """Wait until the log matches regex `pattern`; returns the match."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.log())
            if m:
                return m
            if not self.alive():
                raise ProxyCtlError("%s exited (rc=%s) without printing /%s/:\n%s"
                                    % (self.name, self.returncode(), pattern, self.log_tail()))
            if time.monotonic() > deadline:
                raise ProxyCtlError("%s did not print /%s/ in %.1fs:\n%s"
                                    % (self.name, pattern, timeout, self.log_tail()))
            time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def stop_all():
    """Stop every Proc started by this process and remove their log dirs."""
    for p in list(_procs):
        try:
            p.stop()
        finally:
            shutil.rmtree(p.dir, ignore_errors=True)
    _procs.clear()


atexit.register(stop_all)


def start_demo(sekisho=None, port=0, timeout=DEFAULT_TIMEOUT):
    """Start `sekisho demo` on 127.0.0.1:port (0: the demo picks a free port
    and prints it). Returns the Proc with .port set, once it accepts."""
    p = Proc([sekisho or sekisho_path(), "demo", "--listen", "127.0.0.1:%d" % port], name="demo")
    m = p.wait_log(r"listening on http://127\.0\.0\.1:(\d+)/", timeout)
    p.port = int(m.group(1))
    wait_port(p.port, timeout=timeout, proc=p)
    return p


def start_proxy(args, port=None, sekisho=None, timeout=DEFAULT_TIMEOUT):
    """Start `sekisho proxy ARGS...`. If `port` is given, wait until it
    accepts connections and has said it is up, and set .port. Returns the Proc."""
    p = Proc([sekisho or sekisho_path(), "proxy"] + list(args), name="proxy")
    if port is not None:
        wait_port(port, timeout=timeout, proc=p)
        # The listeners accept (into the kernel's backlog) before the admin
        # listener, the state backend and the workers are up; the proxy
        # says "listening on" when all of them are.
        p.wait_log(r"sekisho proxy: listening on", timeout)
        p.port = port
    return p


def start_redis(port=None, timeout=DEFAULT_TIMEOUT):
    """Start a throw-away redis-server on 127.0.0.1 (no persistence).
    Raises Skip if redis-server is not installed."""
    exe = shutil.which("redis-server")
    if not exe:
        raise Skip("redis-server is not installed")
    port = port or free_port()
    p = Proc([exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
              "--protected-mode", "yes"], name="redis")
    wait_port(port, timeout=timeout, proc=p)
    p.port = port
    return p


# ---------------------------------------------------------------- raw HTTP

class Response:
    """One parsed HTTP response.

    status (int), reason (str), version ("HTTP/1.1"), headers (list of
    (name, value) str pairs in order), body (bytes, de-chunked), raw (every
    byte of the message as received), framing ("length", "chunked",
    "close" or "none"), trailers (list of pairs), interim (1xx responses
    before this one). header(name) -> first value or None;
    header_all(name) -> list; text -> body as UTF-8; json() -> parsed body."""

    def __init__(self):
        self.status = 0
        self.reason = ""
        self.version = ""
        self.headers = []
        self.body = b""
        self.raw = b""
        self.framing = "none"
        self.trailers = []
        self.interim = []

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %s, %d body bytes, %s>" % (self.status, self.reason, len(self.body), self.framing)


def build_request(method, path, headers=None, body=None, host="127.0.0.1", version="HTTP/1.1",
                  chunked=False, close=False):
    """The exact bytes of a request. `headers`: list of (name, value) pairs
    or a dict, sent as given after Host (pass host=None to omit Host).
    `body` (bytes or str) gets Content-Length, or chunked coding in one
    chunk when chunked=True, unless headers already frame it.
    close=True adds Connection: close."""
    if isinstance(headers, dict):
        headers = list(headers.items())
    headers = list(headers or [])
    names = {k.lower() for k, _ in headers}
    if isinstance(body, str):
        body = body.encode("utf-8")
    lines = ["%s %s %s" % (method, path, version)]
    if host is not None and "host" not in names:
        lines.append("Host: %s" % host)
    lines += ["%s: %s" % (k, v) for k, v in headers]
    if close and "connection" not in names:
        lines.append("Connection: close")
    payload = b""
    if body is not None:
        if chunked:
            if "transfer-encoding" not in names:
                lines.append("Transfer-Encoding: chunked")
            payload = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        else:
            if "content-length" not in names and "transfer-encoding" not in names:
                lines.append("Content-Length: %d" % len(body))
            payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + payload


class Conn:
    """A client connection with its own read buffer, so pipelined responses
    and bytes after a 101 are never lost.

    Conn(port, host="127.0.0.1", timeout=10) or Conn(sock=an_ssl_socket).
    send(bytes); send_slowly(bytes, delay, step, max_time); read_response(
    method="GET") -> Response; read_exact(n); recv_some(timeout) -> bytes
    (b"" on EOF); read_until_close(max_bytes, timeout) -> bytes;
    closed_by_peer(timeout) -> bool; close(). Context manager."""

    def __init__(self, port=None, host="127.0.0.1", timeout=DEFAULT_TIMEOUT, sock=None):
        self.timeout = timeout
        if sock is None:
            _check_host(host)
            sock = socket.create_connection((host, port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(timeout)
        self.sock = sock
        self.buf = b""
        self.eof = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def send_slowly(self, data, delay=0.01, step=1, max_time=60.0):
        """Send `step` bytes at a time with `delay` seconds between sends.
        Refuses (ValueError) if that would take longer than max_time.
        Returns False if the peer closed before all was sent."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        steps = (len(data) + step - 1) // step
        if steps * delay > max_time:
            raise ValueError("send_slowly would take %.1fs > max_time %.1fs" % (steps * delay, max_time))
        for i in range(0, len(data), step):
            try:
                self.sock.sendall(data[i:i + step])
            except OSError:
                return False
            time.sleep(delay)
        return True

    def _fill(self, deadline):
        """Read more bytes into the buffer; False on EOF."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            raise ProxyCtlError("timed out waiting for data (have %d bytes: %r)" % (len(self.buf), self.buf[:200]))
        self.sock.settimeout(min(left, self.timeout))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise ProxyCtlError("timed out waiting for data (have %d bytes: %r)" % (len(self.buf), self.buf[:200]))
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _take(self, n):
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _line(self, deadline, limit=MAX_HEAD):
        while b"\r\n" not in self.buf:
            if len(self.buf) > limit:
                raise ProxyCtlError("line longer than %d bytes" % limit)
            if not self._fill(deadline):
                raise ProxyCtlError("connection closed in the middle of a line: %r" % self.buf[:200])
        i = self.buf.index(b"\r\n")
        return self._take(i + 2)

    def read_exact(self, n, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ProxyCtlError("connection closed after %d of %d bytes" % (len(self.buf), n))
        return self._take(n)

    def recv_some(self, timeout=None):
        """Buffered bytes, or one recv; b"" on EOF. ProxyCtlError on timeout."""
        if self.buf:
            return self._take(len(self.buf))
        if not self._fill(time.monotonic() + (timeout or self.timeout)):
            return b""
        return self._take(len(self.buf))

    def read_until_close(self, max_bytes=MAX_RESPONSE, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while self._fill(deadline):
            if len(self.buf) > max_bytes:
                raise ProxyCtlError("more than %d bytes before close" % max_bytes)
        return self._take(len(self.buf))

    def closed_by_peer(self, timeout=1.0):
        """True if the peer closed (or reset) the connection within `timeout`
        seconds; bytes that arrive meanwhile are kept in the buffer."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if not self._fill(deadline):
                    return True
        except ProxyCtlError:
            return False
        return self.eof

    def _read_head(self, deadline):
        r = Response()
        raw = b""
        line = self._line(deadline)
        raw += line
        m = re.match(rb"(HTTP/\d\.\d) (\d{3})(?: (.*))?\r\n$", line)
        if not m:
            raise ProxyCtlError("bad status line: %r" % line)
        r.version = m.group(1).decode()
        r.status = int(m.group(2))
        r.reason = (m.group(3) or b"").decode("latin-1")
        for _ in range(10000):
            line = self._line(deadline)
            raw += line
            if len(raw) > MAX_HEAD:
                raise ProxyCtlError("response head larger than %d bytes" % MAX_HEAD)
            if line == b"\r\n":
                r.raw = raw
                return r
            if b":" not in line:
                raise ProxyCtlError("bad header line: %r" % line)
            k, v = line[:-2].split(b":", 1)
            r.headers.append((k.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
        raise ProxyCtlError("too many header lines")

    def read_response(self, method="GET", timeout=None, max_bytes=MAX_RESPONSE):
        """Read one response, framed as RFC 9112 6.3 says: no body for HEAD,
        1xx, 204, 304 and 2xx to CONNECT; chunked; Content-Length; else up
        to close. 1xx interim responses (except 101) are collected in
        .interim and the final one is returned. Raises ProxyCtlError on
        timeout, EOF before a status line, or bad framing."""
        deadline = time.monotonic() + (timeout or self.timeout)
        interim = []
        for _ in range(100):
            r = self._read_head(deadline)
            if 100 <= r.status < 200 and r.status != 101:
                interim.append(r)
                continue
            break
        else:
            raise ProxyCtlError("more than 100 interim responses")
        r.interim = interim
        te = (r.header("transfer-encoding") or "").lower()
        cl = r.header("content-length")
        if method == "HEAD" or 100 <= r.status < 200 or r.status in (204, 304) or \
                (method == "CONNECT" and 200 <= r.status < 300):
            r.framing = "none"
        elif te:
            if te.split(",")[-1].strip() != "chunked":
                r.framing = "close"
                r.body = self.read_until_close(max_bytes, max(0.001, deadline - time.monotonic()))
                r.raw += r.body
            else:
                r.framing = "chunked"
                self._read_chunked(r, deadline, max_bytes)
        elif cl is not None:
            if not cl.isdigit():
                raise ProxyCtlError("bad Content-Length %r" % cl)
            n = int(cl)
            if n > max_bytes:
                raise ProxyCtlError("Content-Length %d over max_bytes" % n)
            r.framing = "length"
            r.body = self.read_exact(n, timeout=max(0.001, deadline - time.monotonic()))
            r.raw += r.body
        else:
            r.framing = "close"
            r.body = self.read_until_close(max_bytes, max(0.001, deadline - time.monotonic()))
            r.raw += r.body
        return r

    def _read_chunked(self, r, deadline, max_bytes):
        parts = []
        total = 0
        for _ in range(10_000_000):
            line = self._line(deadline)
            r.raw += line
            size_s = line[:-2].split(b";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                raise ProxyCtlError("bad chunk size line %r" % line)
            if size == 0:
                break
            total += size
            if total > max_bytes:
                raise ProxyCtlError("chunked body over max_bytes")
            data = self.read_exact(size + 2, timeout=max(0.001, deadline - time.monotonic()))
            r.raw += data
            if data[-2:] != b"\r\n":
                raise ProxyCtlError("chunk not followed by CRLF")
            parts.append(data[:-2])
        for _ in range(1000):
            line = self._line(deadline)
            r.raw += line
            if line == b"\r\n":
                break
            k, _, v = line[:-2].partition(b":")
            r.trailers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        r.body = b"".join(parts)


def request(port, method="GET", path="/", headers=None, body=None, host="127.0.0.1", timeout=DEFAULT_TIMEOUT,
            chunked=False):
    """One request on a fresh connection (Connection: close); returns the
    Response."""
    with Conn(port, timeout=timeout) as c:
        c.send(build_request(method, path, headers, body, host=host, chunked=chunked, close=True))
        return c.read_response(method)


def send_raw(port, data, method="GET", timeout=DEFAULT_TIMEOUT):
    """Send exact bytes on a fresh connection and read one response."""
    with Conn(port, timeout=timeout) as c:
        c.send(data)
        return c.read_response(method)


def pipeline(port, requests, methods=None, timeout=DEFAULT_TIMEOUT):
    """Send every request (bytes) in one write, then read as many responses.
    `methods` lists each request's method (HEAD changes framing)."""
    methods = methods or ["GET"] * len(requests)
    with Conn(port, timeout=timeout) as c:
        c.send(b"".join(requests))
        return [c.read_response(m) for m in methods]


def slow_request(port, data, delay=0.01, step=1, method="GET", timeout=DEFAULT_TIMEOUT, max_time=60.0):
    """Send `data` byte by byte (step bytes every delay s), then read the
    response. Returns the Response, or None if the peer closed without one."""
    with Conn(port, timeout=timeout) as c:
        c.send_slowly(data, delay, step, max_time)
        try:
            return c.read_response(method)
        except ProxyCtlError:
            return None


class Slowloris:
    """Many clients that each send a partial request head and then trickle
    one header line at a time, holding their sockets (n <= 2000).

    s = Slowloris(port, n); s.open() -> opened; s.trickle() -> how many
    could still send; s.count_open(timeout) -> how many the server has not
    closed (or answered); s.close(). Context manager."""

    MAX = 2000

    def __init__(self, port, n, host="127.0.0.1", path="/"):
        _check_host(host)
        if n > self.MAX:
            raise ValueError("at most %d slowloris sockets" % self.MAX)
        self.port, self.n, self.host, self.path = port, n, host, path
        self.socks = []
        self.refused = 0

    def open(self, timeout=2.0):
        for _ in range(self.n):
            try:
                s = socket.create_connection((self.host, self.port), timeout=timeout)
                s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow-0: a\r\n" % (self.path, self.host)).encode())
                self.socks.append(s)
            except OSError:
                self.refused += 1
        return len(self.socks)

    def trickle(self):
        alive = 0
        for i, s in enumerate(self.socks):
            try:
                s.sendall(b"X-Slow-%d: a\r\n" % (i + 1))
                alive += 1
            except OSError:
                pass
        return alive

    def count_open(self, timeout=0.5):
        """Sockets on which the server neither closed nor sent anything."""
        time.sleep(timeout)
        alive = 0
        for s in self.socks:
            try:
                r, _, _ = select.select([s], [], [], 0)
                if not r:
                    alive += 1
            except (OSError, ValueError):
                pass
        return alive

    def close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def slowloris(port, n=50, duration=5.0, interval=1.0, host="127.0.0.1"):
    """Run a slowloris of n sockets for `duration` seconds (trickling every
    `interval`); returns {"opened", "refused", "open_at_end"}."""
    with Slowloris(port, n, host) as s:
        opened = s.open()
        end = time.monotonic() + duration
        for _ in range(int(duration / max(interval, 0.05)) + 1):
            if time.monotonic() >= end:
                break
            time.sleep(min(interval, max(0.0, end - time.monotonic())))
            s.trickle()
        return {"opened": opened, "refused": s.refused, "open_at_end": s.count_open()}


# ---------------------------------------------------------------- WebSocket

class WebSocket:
    """A minimal RFC 6455 client over a Conn (after a 101).
    send_text(str), send_binary(bytes), send_frame(opcode, payload, fin),
    recv_frame() -> (opcode, fin, payload bytes), recv_text() -> str,
    close(code=1000) -> the server's close payload. .response is the 101."""

    def __init__(self, conn, response):
        self.conn = conn
        self.response = response

    def send_frame(self, opcode, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.conn.send(head + mask + masked)

    def send_text(self, text):
        self.send_frame(1, text)

    def send_binary(self, data):
        self.send_frame(2, data)

    def recv_frame(self, timeout=None):
        h = self.conn.read_exact(2, timeout)
        fin, opcode, masked, n = bool(h[0] & 0x80), h[0] & 0x0F, h[1] & 0x80, h[1] & 0x7F
        if n == 126:
            n = int.from_bytes(self.conn.read_exact(2, timeout), "big")
        elif n == 127:
            n = int.from_bytes(self.conn.read_exact(8, timeout), "big")
        if n > MAX_RESPONSE:
            raise ProxyCtlError("WebSocket frame of %d bytes" % n)
        mask = self.conn.read_exact(4, timeout) if masked else None
        payload = self.conn.read_exact(n, timeout) if n else b""
        if mask:
            payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return opcode, fin, payload

    def recv_text(self, timeout=None):
        op, fin, payload = self.recv_frame(timeout)
        if op != 1:
            raise ProxyCtlError("expected a text frame, got opcode %d (%r)" % (op, payload[:100]))
        return payload.decode("utf-8")

    def close(self, code=1000):
        try:
            self.send_frame(8, code.to_bytes(2, "big"))
            op, _, payload = self.recv_frame()
            return payload if op == 8 else None
        finally:
            self.conn.close()


def ws_accept(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (str)."""
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def ws_connect(port, path="/ws", host="127.0.0.1", headers=None, timeout=DEFAULT_TIMEOUT, conn=None):
    """Open a WebSocket: handshake on a new Conn (or `conn`, e.g. over TLS),
    check 101 and Sec-WebSocket-Accept. Returns a WebSocket; raises
    ProxyCtlError (with the response) when the server refuses."""
    key = base64.b64encode(os.urandom(16)).decode()
    conn = conn or Conn(port, host, timeout)
    hdrs = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13")] + list(headers or [])
    conn.send(build_request("GET", path, hdrs, host=host))
    r = conn.read_response("GET")
    if r.status != 101:
        conn.close()
        raise ProxyCtlError("WebSocket handshake answered %d: %r" % (r.status, r.body[:200]))
    if r.header("sec-websocket-accept") != ws_accept(key):
        conn.close()
        raise ProxyCtlError("bad Sec-WebSocket-Accept %r" % r.header("sec-websocket-accept"))
    return WebSocket(conn, r)


def ws_echo(port, text, path="/ws", host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
    """Handshake, send one text frame, return the text frame that comes back."""
    ws = ws_connect(port, path, host, timeout=timeout)
    try:
        ws.send_text(text)
        return ws.recv_text()
    finally:
        ws.close()


# ---------------------------------------------------------------- TLS

class TestCert:
    """Files made by make_test_cert: dir, ca_cert, ca_key, cert, key
    (cert is signed by the CA; ca_cert is self-signed)."""

    def __init__(self, d):
        self.dir = d
        self.ca_cert = os.path.join(d, "ca.crt")
        self.ca_key = os.path.join(d, "ca.key")
        self.cert = os.path.join(d, "server.crt")
        self.key = os.path.join(d, "server.key")


def make_test_cert(directory=None, names=("localhost",), ips=("127.0.0.1",), days=2):
    """Make a throw-away CA and a server certificate for `names` and `ips`
    (subjectAltName) with the openssl command, in `directory` (a new temp
    dir if None). EC P-256 keys: fast. Returns a TestCert."""
    if not shutil.which("openssl"):
        raise Skip("the openssl command is not installed")
    d = directory or tempfile.mkdtemp(prefix="proxyctl-tls-")
    c = TestCert(d)
    san = ",".join(["DNS:%s" % n for n in names] + ["IP:%s" % i for i in ips])
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % san)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(args):
        p = subprocess.run(["openssl"] + args, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if p.returncode != 0:
            raise ProxyCtlError("openssl %s failed:\n%s" % (args[0], p.stdout.decode("utf-8", "replace")))

    run(["req", "-x509"] + ec + ["-keyout", c.ca_key, "-out", c.ca_cert, "-days", str(days),
         "-subj", "/CN=sekisho test CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    csr = os.path.join(d, "server.csr")
    run(["req"] + ec + ["-keyout", c.key, "-out", csr, "-subj", "/CN=%s" % names[0]])
    run(["x509", "-req", "-in", csr, "-CA", c.ca_cert, "-CAkey", c.ca_key, "-CAcreateserial",
         "-out", c.cert, "-days", str(days), "-extfile", ext])
    return c


def tls_connect(port, cafile, server_hostname="localhost", host="127.0.0.1", timeout=DEFAULT_TIMEOUT,
                alpn=None, verify=True):
    """A TLS Conn to host:port that trusts only `cafile` and checks the
    certificate names server_hostname (SNI too). verify=False skips all
    checks. alpn: list of protocol names. Returns a Conn; .sock.version()
    and .sock.selected_alpn_protocol() tell what was negotiated."""
    _check_host(host)
    ctx = ssl.create_default_context(cafile=cafile)
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    raw = socket.create_connection((host, port), timeout=timeout)
    s = ctx.wrap_socket(raw, server_hostname=server_hostname)
    return Conn(sock=s, timeout=timeout)


def tls_request(port, cafile, method="GET", path="/", headers=None, body=None, server_hostname="localhost",
                timeout=DEFAULT_TIMEOUT):
    """One request over TLS (Connection: close); returns the Response."""
    with tls_connect(port, cafile, server_hostname, timeout=timeout) as c:
        c.send(build_request(method, path, headers, body, host=server_hostname, close=True))
        return c.read_response(method)


# ---------------------------------------------------------------- runner

class _TestTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise _TestTimeout("test took too long")


class Runner:
    """A minimal test runner.

    r = Runner("proxy", time_limit=60); r.run("name", fn, *args) runs one
    test (an exception or failed assert fails it; Skip skips it; each test
    is cut at time_limit seconds); @r.test registers and runs a function at
    once; r.check(name, cond, detail) records a plain condition;
    r.watch(proc) prints that Proc's log tail when a test fails;
    r.finish() stops all Procs, prints "<name>: N passed, N failed" (plus
    ", N skipped") as the last line and exits 1 if anything failed."""

    def __init__(self, name, time_limit=60, verbose=True):
        self.name = name
        self.time_limit = time_limit
        self.verbose = verbose
        self.passed = self.failed = self.skipped = 0
        self.watched = []

    def watch(self, proc):
        self.watched.append(proc)
        return proc

    def _fail(self, name, why):
        self.failed += 1
        print("FAIL %s: %s" % (name, why), flush=True)
        for p in self.watched:
            print("  --- log of %s (last lines) ---\n%s" % (p.name, p.log_tail(15)), flush=True)

    def run(self, name, fn, *args, **kwargs):
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(max(1, int(self.time_limit)))
        try:
            fn(*args, **kwargs)
        except Skip as e:
            self.skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
        except AssertionError as e:
            tb = traceback.extract_tb(e.__traceback__)[-1]
            self._fail(name, "assertion at line %d: %s %s" % (tb.lineno, tb.line, e))
        except Exception as e:  # noqa: BLE001 - a test failing in any way is a failure
            self._fail(name, "%s: %s" % (type(e).__name__, e))
        else:
            self.passed += 1
            if self.verbose:
                print("ok   %s" % name, flush=True)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)

    def test(self, fn):
        self.run(fn.__name__, fn)
        return fn

    def check(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if self.verbose:
                print("ok   %s" % name, flush=True)
        else:
            self._fail(name, detail or "condition false")

    def finish(self):
        stop_all()
        line = "%s: %d passed, %d failed" % (self.name, self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line, flush=True)
        sys.exit(1 if self.failed else 0)


# ---------------------------------------------------------------- sources and the CLI (bans)

def _check_source(source):
    import ipaddress
    if ipaddress.ip_address(source) not in ipaddress.ip_network("127.0.0.0/8"):
        raise ProxyCtlError("refusing source address %r: only 127.0.0.0/8" % (source,))


def connect_from(port, source, host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
    """A TCP socket to host:port whose source address is `source`, any
    address in 127.0.0.0/8 (Linux routes all of it to lo), so one test can
    play many clients. Raises OSError if the connect fails or times out."""
    _check_host(host)
    _check_source(source)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        s.close()
        raise
    return s


def conn_from(source, port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
    """connect_from() wrapped in a Conn (note the argument order: source
    first), so a test can play clients from many networks."""
    return Conn(sock=connect_from(port, source, host, timeout), timeout=timeout)


def request_from(port, source, method="GET", path="/", headers=None, body=None, host="127.0.0.1",
                 timeout=DEFAULT_TIMEOUT):
    """request() from the client address `source` (see connect_from)."""
    with Conn(sock=connect_from(port, source, host, timeout), timeout=timeout) as c:
        c.send(build_request(method, path, headers, body, host=host, close=True))
        return c.read_response(method)


def run_cli(args, sekisho=None, timeout=30, env=None):
    """Run `sekisho ARGS...` to completion; returns (rc, stdout, stderr) as str."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run([sekisho or sekisho_path()] + [str(a) for a in args], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout, env=full_env, cwd=REPO)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
# ---------------------------------------------------------------- TOTP gate

def totp_code(secret_b32, offset=0, digits=6, algorithm="SHA1", period=30, now=None):
    """The RFC 6238 code of a base32 secret (as `sekisho totp enroll` prints
    it) at now + offset steps, computed here with hmac/hashlib only."""
    import hmac
    import struct
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    alg = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algorithm]
    step = int(now if now is not None else time.time()) // period + offset
    mac = hmac.new(key, struct.pack(">Q", step), alg).digest()
    off = mac[-1] & 15
    v = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(v).zfill(digits)


def set_cookies(response):
    """{name: (value, attributes lower-cased list)} of a Response's Set-Cookie headers."""
    out = {}
    for line in response.header_all("set-cookie"):
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        out[name] = (value, [p.lower() for p in parts[1:]])
    return out


def form_inputs(html):
    """{name: value} of the <input> elements of an HTML page (attribute
    values HTML-unescaped): enough for the forms sekisho serves itself."""
    import html as htmlmod
    out = {}
    for m in re.finditer(r"<input\b([^>]*)>", html):
        attrs = dict((k, htmlmod.unescape(v)) for k, v in re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if "name" in attrs:
            out[attrs["name"]] = attrs.get("value", "")
    return out
