"""Integration tests of the access rules (access.* keys): the real proxy in
front of the real demo upstream, clients played from chosen 127.x.y.z
source addresses, countries from a MaxMind DB written by tools/mkmmdb.py
and checked with mmdblookup. Run by tests/e2e/access.sh; reads SEKISHO."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from proxyctl import (REPO, Runner, Skip, build_request, conn_from, free_port, request, request_from,  # noqa: E402
                      sekisho_path, start_demo, start_proxy, wait_port)

T = Runner("access", time_limit=60)
TMP = tempfile.mkdtemp(prefix="sekisho-access-test-")
# The proxy drops privileges (to nobody when started as root); a reload
# reads the config and the database again as that user.
os.chmod(TMP, 0o755)
DEMO = T.watch(start_demo())
MKMMDB = os.path.join(REPO, "tools", "mkmmdb.py")

# 127.0.0.0/8 by country; 127.0.0.1 (and the rest) is unknown.
GEO = """\
127.0.1.0/24 JP
127.0.2.0/24 CN
127.0.3.0/24 DE
127.0.4.0/24 - CN
203.0.113.0/24 CN
198.51.100.0/24 JP
"""
JP, CN, DE, REG_CN, UNKNOWN = "127.0.1.7", "127.0.2.7", "127.0.3.7", "127.0.4.7", "127.0.0.1"
OUR_PAGE = b"Access from this address or region is not allowed"


def write(name, text, mode=0o644):
    path = os.path.join(TMP, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def make_db(name, text):
    src = write(name + ".txt", text)
    out = os.path.join(TMP, name + ".mmdb")
    p = subprocess.run([sys.executable, MKMMDB, "--epoch", "1700000000", src, out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    assert p.returncode == 0, p.stdout
    os.chmod(out, 0o644)
    return out


DB = make_db("geo", GEO)


class Proxy:
    def __init__(self, access, extra="", name=None):
        self.port, self.admin = free_port(), free_port()
        self.events = os.path.join(TMP, "events-%d.jsonl" % self.port)
        self.config = os.path.join(TMP, name or "p%d.yaml" % self.port)
        self.write(access, extra)
        self.p = T.watch(start_proxy(["-c", self.config, "--events", self.events], port=self.port))

    def write(self, access, extra=""):
        write(os.path.basename(self.config),
              "listen: \"127.0.0.1:%d\"\nupstream: \"http://127.0.0.1:%d\"\nworkers: 2\n"
              "admin:\n  listen: \"127.0.0.1:%d\"\n%saccess:\n%s" % (self.port, DEMO.port, self.admin, extra, access))

    def reload(self, expect="configuration reloaded"):
        n = len(re.findall(expect, self.p.log()))
        os.kill(self.p.pid, signal.SIGHUP)
        deadline = time.monotonic() + 5
        while len(re.findall(expect, self.p.log())) <= n:
            assert time.monotonic() < deadline, "no /%s/ after SIGHUP:\n%s" % (expect, self.p.log_tail())
            time.sleep(0.02)

    def get(self, source, path="/healthz", **kw):
        return request_from(self.port, source, "GET", path, **kw)

    def denied_events(self):
        time.sleep(0.3)  # the sink writes from its own thread
        if not os.path.exists(self.events):
            return []
        with open(self.events, encoding="utf-8") as f:
            return [e for e in map(json.loads, f) if e.get("kind") == "access_denied"]

    def event_for(self, r):
        rid = r.header("x-request-id")
        ev = [e for e in self.denied_events() if e.get("request_id") == rid]
        assert len(ev) == 1, (rid, ev)
        return ev[0]

    def metric(self, reason, stage="request"):
        text = request(self.admin, "GET", "/metrics").text
        m = re.search(r'^sekisho_access_denied_total\{reason="%s",stage="%s"\} (\d+)$' % (reason, stage), text, re.M)
        assert m, text[-600:]
        return int(m.group(1))


def denied(r, status=403):
    return r.status == status and OUR_PAGE in r.body


def demo_saw(marker, timeout=3.0):
    """The demo logged a request containing `marker` (it logs after it has
    answered, so give it a moment)."""
    deadline = time.monotonic() + timeout
    while marker not in DEMO.log():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def passed(r, marker=None):
    """Reached the upstream (the demo answers; its log shows the marker)."""
    return r.status != 403 and OUR_PAGE not in r.body and (marker is None or demo_saw(marker))


MAIN_ACCESS = """\
  deny: [127.0.9.0/24, 127.0.8.8]
  countries_deny: [CN]
  geoip_db: %s
  paths:
    - {prefix: /admin/, countries_allow: [JP]}
    - {prefix: /search, allow: [127.0.5.0/24, 127.0.1.0/24]}
""" % DB
PX = Proxy(MAIN_ACCESS)


@T.test
def mkmmdb_database_reads_back_with_mmdblookup():
    if not shutil.which("mmdblookup"):
        raise Skip("mmdblookup (mmdb-bin) is not installed")
    for ip, key, want in (("127.0.1.200", "country", "JP"), ("127.0.2.1", "country", "CN"),
                          ("127.0.4.9", "registered_country", "CN"), ("203.0.113.5", "country", "CN")):
        out = subprocess.run(["mmdblookup", "-f", DB, "-i", ip, key, "iso_code"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=10).stdout.decode()
        assert '"%s"' % want in out, (ip, out)
    out = subprocess.run(["mmdblookup", "-f", DB, "-i", UNKNOWN], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=10).stdout.decode()
    assert "Could not find an entry" in out, out


@T.test
def start_names_the_database():
    PX.p.wait_log(r"access\.geoip_db .*geo\.mmdb: Sekisho-Test-Country, \d+ nodes, built 2023-11-14", 5)


@T.test
def allowed_address_passes():
    r = PX.get(UNKNOWN, "/search?q=unknownmarker")
    assert r.status == 403, "/search admits only 127.0.5.0/24 and 127.0.1.0/24: %r" % r
    r = PX.get("127.0.5.9", "/search?q=allowedmarker")
    assert r.status == 200 and passed(r, "allowedmarker"), r
    r = PX.get(UNKNOWN, "/healthz")
    assert r.status == 200 and r.body == b"ok", r


@T.test
def denied_cidr_gets_403_and_an_event():
    r = PX.get("127.0.9.44", "/search?q=cidrmarker")
    assert denied(r), r
    assert r.header("connection") == "close", r.headers
    ev = PX.event_for(r)  # (waits for the sink, and so gives the demo time to log)
    assert "cidrmarker" not in DEMO.log(), "a denied request reached the upstream"
    assert ev["src"] == "127.0.9.44", ev
    d = ev["details"]
    assert d["rule"] == "access.deny 127.0.9.0/24" and d["reason"] == "deny_address", d
    assert d["address"] == "127.0.9.44" and d["country"] is None and d["stage"] == "request", d
    assert d["status"] == 403 and ev["severity"] == "medium", ev
    r = PX.get("127.0.8.8", "/healthz")
    assert denied(r) and PX.event_for(r)["details"]["rule"] == "access.deny 127.0.8.8/32"
    assert PX.get("127.0.8.9", "/healthz").status == 200


@T.test
def denied_request_body_is_not_forwarded():
    with conn_from("127.0.9.1", PX.port) as c:
        c.send(build_request("POST", "/api/echo", [("Content-Type", "text/plain")], b"bodymarker-x" * 100))
        r = c.read_response("POST")
        assert denied(r), r
        assert c.closed_by_peer(2.0)
    assert "bodymarker" not in DEMO.log()


@T.test
def country_deny_and_allow():
    r = PX.get(CN, "/healthz")
    assert denied(r), r
    d = PX.event_for(r)["details"]
    assert d["rule"] == "access.countries_deny CN" and d["country"] == "CN", d
    # registered_country is the fallback when the database has no country
    r = PX.get(REG_CN, "/healthz")
    assert denied(r) and PX.event_for(r)["details"]["country"] == "CN", r
    assert PX.get(JP, "/healthz").status == 200
    assert PX.get(DE, "/healthz").status == 200


@T.test
def admin_only_from_jp():
    r = PX.get(JP, "/admin/users?adminjpmarker")
    assert passed(r, "adminjpmarker"), r
    r = PX.get(DE, "/admin/users?admindemarker")
    assert denied(r), r
    d = PX.event_for(r)["details"]
    assert d["rule"] == "access.paths[/admin/].allow,countries_allow (no match)", d
    assert d["reason"] == "not_allowed" and d["country"] == "DE", d
    # the path is judged as the upstream will route it
    for path in ("/%61dmin/x", "//admin/x", "/x/../admin/", "/ADMIN/x", "/admin;x=1/y", "/%2561dmin/"):
        r = PX.get(DE, path)
        assert denied(r), (path, r)
    assert "admindemarker" not in DEMO.log()
    # other paths are not the admin rule's business
    assert PX.get(DE, "/administrator?x").status != 403
    # unknown_country: allow (the default) lets an unknown address through
    r = PX.get(UNKNOWN, "/admin/?adminunknownmarker")
    assert passed(r, "adminunknownmarker"), r


@T.test
def unknown_country_deny():
    p = Proxy("  geoip_db: %s\n  unknown_country: deny\n  paths:\n    - {prefix: /admin/, countries_allow: [JP]}\n" % DB)
    r = p.get(UNKNOWN, "/admin/")
    assert denied(r), r
    d = p.event_for(r)["details"]
    assert d["reason"] == "unknown_country" and d["country"] is None, d
    assert "unknown_country" in d["rule"], d
    assert passed(p.get(JP, "/admin/?unkjpmarker"), "unkjpmarker")
    # no country list outside /admin/: unknown addresses pass there
    assert p.get(UNKNOWN, "/healthz").status == 200
    assert p.metric("unknown_country") >= 1
    p.p.stop()


@T.test
def trusted_forwarded_for_is_judged():
    p = Proxy("  deny: [198.51.100.66, 127.0.9.0/24]\n  countries_deny: [CN]\n  geoip_db: %s\n" % DB,
              extra="trusted_proxies: [127.0.7.0/24]\n")
    via = "127.0.7.1"  # a trusted proxy
    r = p.get(via, "/healthz", headers=[("X-Forwarded-For", "198.51.100.66")])
    assert denied(r), r
    ev = p.event_for(r)
    assert ev["src"] == "198.51.100.66" and ev["details"]["peer"] == via, ev
    assert ev["details"]["rule"] == "access.deny 198.51.100.66/32", ev
    r = p.get(via, "/healthz", headers=[("X-Forwarded-For", "203.0.113.5")])
    assert denied(r) and p.event_for(r)["details"]["country"] == "CN", r
    # the right-most untrusted entry decides; the proxy itself is not judged
    r = p.get(via, "/healthz", headers=[("X-Forwarded-For", "203.0.113.5, 198.51.100.7")])
    assert r.status == 200, r
    assert p.get(via, "/healthz", headers=[("X-Real-IP", "198.51.100.66")]).status == 403
    # an untrusted peer's X-Forwarded-For is not believed: the peer is judged
    r = p.get("127.0.9.5", "/healthz", headers=[("X-Forwarded-For", "198.51.100.7")])
    assert denied(r) and p.event_for(r)["src"] == "127.0.9.5", r
    assert p.get(JP, "/healthz", headers=[("X-Forwarded-For", "198.51.100.66")]).status == 200
    p.p.stop()


@T.test
def broken_database_refused_by_config_check_and_proxy():
    good = open(DB, "rb").read()
    broken = {
        "truncated": good[:40],
        "garbage": b"not a maxmind database\n" * 20,
        # metadata fine, node 0's left record points past the data section
        "badtree": b"\xff\xff\xf0" + good[3:],
    }
    for name, blob in broken.items():
        path = os.path.join(TMP, "broken-%s.mmdb" % name)
        with open(path, "wb") as f:
            f.write(blob)
        os.chmod(path, 0o644)
        cfg = write("broken-%s.yaml" % name, "upstream: http://127.0.0.1:%d\nlisten: 127.0.0.1:%d\n"
                    "admin: {listen: \"\"}\naccess:\n  geoip_db: %s\n  countries_deny: [CN]\n"
                    % (DEMO.port, free_port(), path))
        c = subprocess.run([sekisho_path(), "config", "check", cfg], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        err = c.stderr.decode()
        assert c.returncode == 2 and ("%s: access.geoip_db: '%s': " % (cfg, path)) in err, (name, c.returncode, err)
        assert "MaxMind DB" in err, err
        p = start_proxy(["-c", cfg])
        rc = p.wait(10)
        assert rc == 2 and "sekisho proxy: access.geoip_db: '%s'" % path in p.log(), (name, rc, p.log())
    # missing file
    cfg = write("missing-db.yaml", "upstream: http://127.0.0.1:1\naccess: {geoip_db: %s/none.mmdb}\n" % TMP)
    c = subprocess.run([sekisho_path(), "config", "check", cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert c.returncode == 2 and "No such file or directory" in c.stderr.decode(), c.stderr
    # country lists without a database: a config error with its line
    cfg = write("no-db.yaml", "upstream: http://127.0.0.1:1\naccess:\n  countries_allow: [JP]\n")
    c = subprocess.run([sekisho_path(), "config", "check", cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    assert c.returncode == 2 and "%s:3:20: access.countries_allow needs access.geoip_db" % cfg in c.stderr.decode(), \
        c.stderr
    c = subprocess.run([sekisho_path(), "config", "check", PX.config], stdout=subprocess.PIPE, timeout=30)
    assert c.returncode == 0 and b"geoip Sekisho-Test-Country" in c.stdout, c.stdout


@T.test
def sighup_reload_changes_lists_and_keeps_old_on_bad_db():
    db = make_db("reload", GEO)
    p = Proxy("  deny: [127.0.9.0/24]\n  countries_deny: [CN]\n  geoip_db: %s\n" % db)
    assert p.get("127.0.6.1", "/healthz").status == 200
    assert p.get("127.0.9.1", "/healthz").status == 403
    # a changed list
    p.write("  deny: [127.0.6.0/24]\n  countries_deny: [CN]\n  geoip_db: %s\n" % db)
    p.reload()
    assert denied(p.get("127.0.6.1", "/healthz"))
    assert p.get("127.0.9.1", "/healthz").status == 200
    # a new database: 127.0.3.0/24 moves from DE to CN. It is written in
    # place (same inode, truncated first): the proxy uses its own copy until
    # the reload, and must not fault on the shrinking file.
    make_db("reload", GEO.replace("127.0.3.0/24 DE", "127.0.3.0/24 CN"))
    assert p.get(DE, "/healthz").status == 200
    p.reload()
    assert denied(p.get(DE, "/healthz"))
    # a broken database: the reload is refused and the running one stays
    with open(db, "wb") as f:
        f.write(b"\0" * 64)
    p.write("  deny: []\n  countries_deny: [CN]\n  geoip_db: %s\n" % db)
    p.reload("reload refused")
    assert "access.geoip_db: '%s'" % db in p.p.log()
    assert denied(p.get(DE, "/healthz")), "the old database must keep serving"
    assert denied(p.get("127.0.6.1", "/healthz")), "the old lists must keep serving"
    assert p.p.alive()
    p.p.stop()


@T.test
def refused_at_accept():
    p = Proxy("  deny: [127.0.9.0/24]\n  at_accept: true\n  paths:\n    - {prefix: /admin/, allow: [127.0.5.0/24]}\n")
    before = p.metric("deny_address", "accept")
    with conn_from("127.0.9.3", p.port) as c:
        c.send(build_request("GET", "/healthz?acceptmarker"))
        assert c.read_until_close(65536, 3) == b"", "no HTTP answer at accept"
    assert "acceptmarker" not in DEMO.log()
    assert p.metric("deny_address", "accept") == before + 1
    ev = [e for e in p.denied_events() if e["details"]["stage"] == "accept"]
    assert ev and ev[-1]["src"] == "127.0.9.3" and ev[-1]["details"]["rule"] == "access.deny 127.0.9.0/24", ev
    # path rules still answer with a page (the path is known only later)
    assert denied(p.get(UNKNOWN, "/admin/"))
    assert p.get(UNKNOWN, "/healthz").status == 200
    p.p.stop()


@T.test
def metrics_count_denials():
    text = request(PX.admin, "GET", "/metrics").text
    assert "# TYPE sekisho_access_denied_total counter" in text
    assert PX.metric("deny_address") >= 3
    assert PX.metric("deny_country") >= 2
    assert PX.metric("not_allowed") >= 2
    assert PX.metric("deny_address", "accept") == 0


@T.test
def custom_status():
    p = Proxy("  deny: [127.0.9.0/24]\n  status: 451\n")
    r = p.get("127.0.9.2", "/healthz")
    assert denied(r, 451), r
    p.p.stop()


T.finish()
