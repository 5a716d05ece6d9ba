"""e2e: bans on a running proxy (docs/bans.md): the admin API, `sekisho ban
list|add|del`, the token, shared bans through a real redis-server, and the
kernel drop through nftables in a network namespace the test creates.

Clients are told apart by their source address: a socket bound to
127.0.0.x (Linux routes all of 127/8 to lo)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "lib"))
from proxyctl import (Runner, Skip, build_request, free_port, request, request_from, run_cli,  # noqa: E402
                      send_raw, sekisho_path, start_demo, start_proxy, start_redis, wait_port, Proc)

r = Runner("bans", time_limit=90)
tmp = tempfile.mkdtemp(prefix="bans-")
BIN = sekisho_path()
TOKEN = "s3cret-token-for-tests-0123456789"


def write_config(name, upstream_port, port, admin_port, extra=""):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("upstream: http://127.0.0.1:%d\nlisten: 127.0.0.1:%d\nworkers: 2\n"
                "admin:\n  listen: 127.0.0.1:%d\n%s" % (upstream_port, port, admin_port, extra))
    return path


def proxy_with(name, extra="", admin_extra=""):
    port, aport = free_port(), free_port()
    cfg = write_config(name, demo.port, port, aport, extra)
    if admin_extra:
        with open(cfg) as f:
            text = f.read()
        with open(cfg, "w") as f:
            f.write(text.replace("admin:\n", "admin:\n" + admin_extra, 1))
    p = r.watch(start_proxy(["-c", cfg], port=port))
    wait_port(aport, proc=p)
    p.admin = aport
    p.cfg = cfg
    return p


def admin(p, method, path, body=None, headers=None, ctype="application/json"):
    h = list(headers or [])
    if body is not None:
        h.append(("Content-Type", ctype))
    return request(p.admin, method, path, headers=h, body=body)


demo = start_demo()
r.watch(demo)
px = proxy_with("a.yaml")


def test_add_refuses_that_source_only():
    rc, out, err = run_cli(["ban", "add", "127.0.0.9", "--ttl", "10m", "--reason", "e2e manual", "-c", px.cfg])
    assert rc == 0 and "banned ip:127.0.0.9" in out, (rc, out, err)
    resp = request_from(px.port, "127.0.0.9", "GET", "/")
    assert resp.status == 403, resp
    ra = int(resp.header("Retry-After"))
    assert 590 <= ra <= 600, ra
    ok = request_from(px.port, "127.0.0.8", "GET", "/")
    assert ok.status == 200, ok
    # the event says who
    px.wait_log(r'"kind":"ban".*"key":"ip:127\.0\.0\.9".*"by":"admin"')


def test_list_shows_reason_and_ttl():
    rc, out, err = run_cli(["ban", "list", "-c", px.cfg])
    assert rc == 0, (rc, err)
    line = [l for l in out.splitlines() if l.startswith("ip:127.0.0.9 ")]
    assert line and "e2e manual" in line[0] and ("9m" in line[0] or "10m" in line[0]), out
    rc, out, err = run_cli(["ban", "list", "--json", "-c", px.cfg])
    doc = json.loads(out)
    ban = [b for b in doc["bans"] if b["key"] == "ip:127.0.0.9"][0]
    assert ban["reason"] == "e2e manual" and 590 <= ban["ttl_left_s"] <= 600, ban
    assert doc["count"] == len(doc["bans"]) and doc["backend"] == "memory", doc


def test_del_lifts_it():
    rc, out, err = run_cli(["ban", "del", "127.0.0.9", "-c", px.cfg])
    assert rc == 0 and "lifted ip:127.0.0.9" in out, (rc, out, err)
    assert request_from(px.port, "127.0.0.9", "GET", "/").status == 200
    rc, out, err = run_cli(["ban", "del", "ip:127.0.0.9", "-c", px.cfg])
    assert rc == 1 and "no such ban" in err, (rc, out, err)


def test_network_ban():
    rc, out, err = run_cli(["ban", "add", "net:127.0.5.0/24", "--admin", "127.0.0.1:%d" % px.admin])
    assert rc == 0, (rc, err)
    assert request_from(px.port, "127.0.5.77", "GET", "/").status == 403
    assert request_from(px.port, "127.0.6.77", "GET", "/").status == 200
    # lifted by the network as typed, without the prefix
    rc, out, err = run_cli(["ban", "del", "127.0.5.0/24", "--admin", "127.0.0.1:%d" % px.admin])
    assert rc == 0, (rc, err)
    assert request_from(px.port, "127.0.5.77", "GET", "/").status == 200


def test_ttl_expiry():
    rc, out, err = run_cli(["ban", "add", "127.0.0.10", "--ttl", "2s", "-c", px.cfg])
    assert rc == 0, (rc, err)
    assert request_from(px.port, "127.0.0.10", "GET", "/").status == 403
    time.sleep(2.3)
    assert request_from(px.port, "127.0.0.10", "GET", "/").status == 200
    rc, out, err = run_cli(["ban", "list", "-c", px.cfg])
    assert "127.0.0.10" not in out, out


def test_api_form_body_and_delete_by_post():
    resp = admin(px, "POST", "/bans", "key=127.0.0.11&ttl=60&reason=form+body", ctype="application/x-www-form-urlencoded")
    assert resp.status == 201 and resp.json()["key"] == "ip:127.0.0.11" and resp.json()["ttl_s"] == 60, resp.text
    assert request_from(px.port, "127.0.0.11", "GET", "/").status == 403
    resp = admin(px, "POST", "/bans/delete", json.dumps({"key": "127.0.0.11"}))
    assert resp.status == 200 and resp.json()["deleted"] == "ip:127.0.0.11", resp.text
    resp = admin(px, "DELETE", "/bans/ip:127.0.0.11")
    assert resp.status == 404, resp.text
    # a percent-encoded network key in the path
    assert admin(px, "POST", "/bans", json.dumps({"key": "10.20.30.0/24"})).status == 201
    resp = admin(px, "DELETE", "/bans/net:10.20.30.0%2F24")
    assert resp.status == 200, resp.text


def test_bad_input_refused():
    bad_bodies = [
        '{"key":"127.0.0.0/16"}', '{"key":"10.0.0.1/24"}', '{"key":"nonsense"}', '{"key":"127.0.0.12","ttl":0}',
        '{"key":"127.0.0.12","ttl":"31d"}', '{"key":"127.0.0.12","extra":1}', '{"key":"127.0.0.12","key":"x"}',
        '{"key":"127.0.0.12","reason":"a\\nb"}', '{"key":"127.0.0.12"', '[]', '', '{"ttl":60}',
        '{"key":"127.0.0.12","reason":"%s"}' % ("x" * 64),
    ]
    for b in bad_bodies:
        resp = admin(px, "POST", "/bans", b)
        assert resp.status == 400 and "error" in resp.json(), (b, resp.status, resp.text)
    assert admin(px, "POST", "/bans", "key=127.0.0.12", ctype="text/plain").status == 400
    # malformed HTTP, oversize and chunked bodies, wrong methods, unknown paths
    assert send_raw(px.admin, b"GARBAGE\r\n\r\n").status == 400
    assert send_raw(px.admin, b"GET /bans HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n").status == 400
    assert send_raw(px.admin, b"GET /bans HTTP/1.1\nHost: x\n\n").status == 400
    big = build_request("POST", "/bans", [("Content-Type", "application/json")], "x" * 5000, close=True)
    assert send_raw(px.admin, big).status == 413
    ch = build_request("POST", "/bans", [("Content-Type", "application/json")], '{"key":"127.0.0.12"}',
                       chunked=True, close=True)
    assert send_raw(px.admin, ch).status == 411
    assert send_raw(px.admin, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n").status in (400, 414, 431)
    assert admin(px, "PUT", "/bans", "{}").status == 405
    assert admin(px, "GET", "/nope").status == 404
    assert admin(px, "GET", "/healthz").status == 200
    # nothing of the above was banned
    assert json.loads(run_cli(["ban", "list", "--json", "-c", px.cfg])[1])["count"] == 0
    # the CLI refuses before sending (exit 2)
    for args in (["add", "127.0.0.0/16"], ["add", "nonsense"], ["add", "127.0.0.12", "--ttl", "0"],
                 ["add", "127.0.0.12", "--ttl", "1w"], ["add", "127.0.0.12", "--reason", "x" * 64],
                 ["del", "acct:"], ["add"], ["list", "extra"], ["frob"], ["add", "127.0.0.12", "--bogus"]):
        rc, out, err = run_cli(["ban"] + args + ["-c", px.cfg])
        assert rc == 2 and err.strip(), (args, rc, out, err)


def test_unreachable_admin():
    port = free_port()
    rc, out, err = run_cli(["ban", "list", "--admin", "127.0.0.1:%d" % port])
    assert rc == 2, rc
    assert ("cannot reach the proxy's admin listener at 127.0.0.1:%d: connection refused" % port) in err, err
    cfg = os.path.join(tmp, "noadmin.yaml")
    with open(cfg, "w") as f:
        f.write('upstream: http://127.0.0.1:1\nadmin:\n  listen: ""\n')
    rc, out, err = run_cli(["ban", "list", "-c", cfg])
    assert rc == 2 and "no admin listener" in err, (rc, err)


def test_token_required_when_set():
    pt = proxy_with("token.yaml", admin_extra="  token: %s\n" % TOKEN)
    assert admin(pt, "GET", "/bans").status == 401
    assert admin(pt, "GET", "/bans", headers=[("Authorization", "Bearer wrong-token-wrong-token")]).status == 401
    assert admin(pt, "POST", "/bans", '{"key":"127.0.0.13"}').status == 401
    assert admin(pt, "GET", "/healthz").status == 200  # health and metrics stay open
    ok = admin(pt, "GET", "/bans", headers=[("Authorization", "Bearer " + TOKEN)])
    assert ok.status == 200, ok.text
    rc, out, err = run_cli(["ban", "add", "127.0.0.13", "--admin", "127.0.0.1:%d" % pt.admin])
    assert rc == 2 and "401" in err and "--token" in err, (rc, err)
    rc, out, err = run_cli(["ban", "add", "127.0.0.13", "--admin", "127.0.0.1:%d" % pt.admin, "--token", "x" * 20])
    assert rc == 2 and "wrong token" in err, (rc, err)
    rc, out, err = run_cli(["ban", "add", "127.0.0.13", "-c", pt.cfg])  # the token from the config
    assert rc == 0, (rc, err)
    assert request_from(pt.port, "127.0.0.13", "GET", "/").status == 403
    rc, out, err = run_cli(["ban", "del", "127.0.0.13", "--admin", "127.0.0.1:%d" % pt.admin],
                           env={"SEKISHO_ADMIN_TOKEN": TOKEN})
    assert rc == 0, (rc, err)
    pt.stop()


def test_redis_shared_between_two_proxies():
    if not shutil.which("redis-server"):
        raise Skip("redis-server is not installed")
    red = r.watch(start_redis())
    extra = "state:\n  redis: 127.0.0.1:%d\n  ban_cache: 1s\n" % red.port
    pa = proxy_with("ra.yaml", extra)
    pb = proxy_with("rb.yaml", extra)
    # B has seen the source (its cache holds "not banned" for up to 1 s)
    assert request_from(pb.port, "127.0.0.14", "GET", "/").status == 200
    rc, out, err = run_cli(["ban", "add", "127.0.0.14", "--reason", "shared", "-c", pa.cfg])
    assert rc == 0, (rc, err)
    t0 = time.monotonic()
    while request_from(pb.port, "127.0.0.14", "GET", "/").status != 403:
        assert time.monotonic() - t0 < 4.0, "B still serves the source after state.ban_cache"
        time.sleep(0.05)
    doc = json.loads(run_cli(["ban", "list", "--json", "-c", pb.cfg])[1])
    assert doc["backend"] == "redis" and any(b["key"] == "ip:127.0.0.14" and b["reason"] == "shared"
                                             for b in doc["bans"]), doc
    # lifted on A: B, which holds the "banned" answer in its cache, lets the
    # source through again within state.ban_cache
    assert run_cli(["ban", "del", "127.0.0.14", "-c", pa.cfg])[0] == 0
    t0 = time.monotonic()
    while request_from(pb.port, "127.0.0.14", "GET", "/").status != 200:
        assert time.monotonic() - t0 < 4.0, "B still refuses after state.ban_cache once the ban was lifted on A"
        time.sleep(0.05)
    assert request_from(pa.port, "127.0.0.14", "GET", "/").status == 200
    # the other way round: set on A, lifted through B, A (which set it and
    # keeps a local copy for Redis outages) lets it through again too
    assert run_cli(["ban", "add", "127.0.0.15", "--reason", "other way", "-c", pa.cfg])[0] == 0
    assert request_from(pa.port, "127.0.0.15", "GET", "/").status == 403
    assert run_cli(["ban", "del", "127.0.0.15", "-c", pb.cfg])[0] == 0
    t0 = time.monotonic()
    while request_from(pa.port, "127.0.0.15", "GET", "/").status != 200:
        assert time.monotonic() - t0 < 4.0, "A still refuses a ban lifted through B"
        time.sleep(0.05)
    pa.stop()
    pb.stop()
    red.stop()


# ---------------------------------------------------------------- nftables in a network namespace

NS = "skbans%d" % os.getpid()
TABLE = "sk_e2e_%d" % os.getpid()


def ns(*args, timeout=20):
    return subprocess.run(["ip", "netns", "exec", NS] + [str(a) for a in args], capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


CONNECT_FROM = r"""
import socket, sys
s = socket.socket(); s.settimeout(float(sys.argv[3]))
s.bind((sys.argv[1], 0))
try:
    s.connect(("127.0.0.1", int(sys.argv[2]))); print("connected")
except OSError as e:
    print("failed", e)
"""


ADMIN_FROM = r"""
import socket, sys
def call(req):
    s = socket.socket(); s.settimeout(5)
    s.bind((sys.argv[1], 0)); s.connect(("10.77.0.1", int(sys.argv[2])))
    s.sendall(req); data = b""
    while True:
        b = s.recv(65536)
        if not b: break
        data += b
    return data.split(b" ")[1].decode()
body = b'{"key":"127.0.0.30"}'
print(call(b"POST /bans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body))
print(call(b"GET /bans HTTP/1.1\r\nHost: x\r\n\r\n"))
print(call(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
"""


def nft_skip(why):
    print("SKIP (%s)" % why, flush=True)
    raise Skip(why)


def test_nftables_kernel_drop():
    if os.geteuid() != 0:
        nft_skip("not root: network namespaces and nft need it")
    if not shutil.which("nft") or not shutil.which("ip"):
        nft_skip("nft or ip is not installed")
    made = subprocess.run(["ip", "netns", "add", NS], capture_output=True)
    if made.returncode != 0:
        nft_skip("ip netns add is not permitted here: %s" % made.stderr.decode().strip())
    try:
        up = ns("ip", "link", "set", "lo", "up")
        probe = ns("nft", "list", "tables")
        if up.returncode != 0 or probe.returncode != 0:
            nft_skip("nft is not permitted in a namespace: %s" % (probe.stderr or up.stderr).decode().strip())
        dport, pport, aport = 18080, 18081, 18082  # a fresh namespace: every port is free
        d = r.watch(Proc(["ip", "netns", "exec", NS, BIN, "demo", "--listen", "127.0.0.1:%d" % dport], name="ns-demo"))
        d.wait_log(r"listening on")
        cfg = os.path.join(tmp, "nft.yaml")
        with open(cfg, "w") as f:
            f.write("upstream: http://127.0.0.1:%d\nlisten: 127.0.0.1:%d\nworkers: 2\nadmin:\n  listen: 0.0.0.0:%d\n"
                    "bans:\n  nftables: true\n  nft_table: %s\n" % (dport, pport, aport, TABLE))
        p = r.watch(Proc(["ip", "netns", "exec", NS, BIN, "proxy", "-c", cfg], name="ns-proxy"))
        p.wait_log(r"nftables: table inet %s ready \(created\)" % TABLE)
        cli = ["ip", "netns", "exec", NS, BIN, "ban"]
        out = subprocess.run(cli + ["add", "127.0.0.21", "--ttl", "5m", "-c", cfg], capture_output=True, timeout=20)
        assert out.returncode == 0, out
        out = subprocess.run(cli + ["add", "127.0.7.0/24", "-c", cfg], capture_output=True, timeout=20)
        assert out.returncode == 0, out
        out = subprocess.run(cli + ["add", "acct:alice", "-c", cfg], capture_output=True, timeout=20)
        assert out.returncode == 0, out
        # the helper batches at most 10 runs a second: poll the sets briefly
        t0 = time.monotonic()
        while True:
            s4 = ns("nft", "list", "set", "inet", TABLE, "banned4").stdout.decode()
            n4 = ns("nft", "list", "set", "inet", TABLE, "banned4_net").stdout.decode()
            if "127.0.0.21" in s4 and "127.0.7.0/24" in n4:
                break
            assert time.monotonic() - t0 < 5, (s4, n4)
            time.sleep(0.1)
        assert "timeout 5m" in s4, s4
        assert "alice" not in s4 + n4
        conn = lambda src: ns(sys.executable, "-c", CONNECT_FROM, src, pport, "1.5").stdout.decode()
        assert conn("127.0.0.21").startswith("failed"), "banned source still connects (no kernel drop)"
        assert conn("127.0.7.9").startswith("failed"), "banned network still connects"
        assert conn("127.0.0.22").startswith("connected"), "another source cannot connect"
        # lifting it lifts the kernel's copy too
        out = subprocess.run(cli + ["del", "127.0.0.21", "-c", cfg], capture_output=True, timeout=20)
        assert out.returncode == 0, out
        t0 = time.monotonic()
        while "127.0.0.21" in ns("nft", "list", "set", "inet", TABLE, "banned4").stdout.decode():
            assert time.monotonic() - t0 < 5, "element still in the set after ban del"
            time.sleep(0.1)
        assert conn("127.0.0.21").startswith("connected")
        # without admin.token, a peer that is not loopback may not use the ban API
        # (a second address on lo: not in 127/8, so not a loopback peer)
        assert ns("ip", "addr", "add", "10.77.0.1/32", "dev", "lo").returncode == 0
        got = ns(sys.executable, "-c", ADMIN_FROM, "10.77.0.1", aport).stdout.decode().split()
        assert got == ["403", "403", "200"], got
        p.stop()
        d.stop()
    finally:
        subprocess.run(["ip", "netns", "del", NS], capture_output=True)


for t in (test_add_refuses_that_source_only, test_list_shows_reason_and_ttl, test_del_lifts_it, test_network_ban,
          test_ttl_expiry, test_api_form_body_and_delete_by_post, test_bad_input_refused, test_unreachable_admin,
          test_token_required_when_set, test_redis_shared_between_two_proxies, test_nftables_kernel_drop):
    r.run(t.__name__, t)
shutil.rmtree(tmp, ignore_errors=True)
r.finish()
