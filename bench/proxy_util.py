#!/usr/bin/env python3
"""bench/proxy_util.py - helpers for bench/proxy (not meant to be run alone).

Subcommands:
  freeports N                       N free TCP ports on 127.0.0.1, one a line
  wait PORT SECONDS                 wait until 127.0.0.1:PORT accepts (exit 1 if not)
  render TEMPLATE OUT KEY=VALUE...  copy TEMPLATE to OUT replacing @KEY@ by VALUE
                                    (@BODY@ is the ~1 KB page the upstream returns)
  lua DIR                           write get.lua, post.lua, mix.lua into DIR
  status PORT get|post|post-jp|attack  one request, prints the HTTP status
  run OUT LABEL PIDS -- WRK...      run wrk, measure the CPU used by PIDS
                                    (comma-separated) during the run, append
                                    one result line to OUT, keep wrk's output
  rss PID                           VmRSS of PID in KiB (sum over its children too)
  table RESULTS                     the summary table (medians, ratios)
  soak PID SECONDS PORT LUA         wrk for SECONDS, VmRSS of PID every minute
"""
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

# One benign shop search, one contact form, one attack: the same bytes for
# every front end.
SEARCH_PATH = "/search?q=%E6%8A%B9%E8%8C%B6&page=2&sort=price"
ATTACK_PATH = "/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--"

# A site has a name: CRS scores a numeric Host (rule 920350), so every
# request says Host: shop.example.jp (the upstream answers any Host).
HEADERS = [
    ("Host", "shop.example.jp"),
    ("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
     "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
     "image/webp,*/*;q=0.8"),
    ("Accept-Language", "ja,en-US;q=0.9,en;q=0.8"),
    ("Accept-Encoding", "gzip, deflate, br"),
    ("Referer", "http://shop.example.jp/category/tea?page=1"),
    ("Cookie", "session_id=7f3c9a1e4b2d8f6a0c5e3b1d9f7a2c4e; cart=3; lang=ja; "
     "_ga=GA1.2.1234567890.1700000000; consent=analytics%3Dno"),
    ("Upgrade-Insecure-Requests", "1"),
]
POST_EXTRA = [
    ("Content-Type", "application/x-www-form-urlencoded"),
    ("Origin", "http://shop.example.jp"),
]


# Everyday Japanese that OWASP CRS 3.3 rule 941310 ("US-ASCII Malformed
# Encoding XSS") takes for an attack: in UTF-8, the long vowel mark and the
# full-width question mark contain the byte 0xBC and many kana 0xBE, which
# that rule reads as '<' ... '>'. Used for one status check per front end,
# not for the throughput runs (whose form avoids the pair, so every front end
# forwards all of them and the numbers compare like with like).
JP_MESSAGE = "先日注文したコーヒーのセットがまだ届いていません。いつ届きますか？"
BENCH_MESSAGE = ("先日注文した抹茶のセットがまだ届いていません。注文番号は12345です。"
                 "配送状況を教えていただけますか。よろしくお願いいたします。")


def form_body(message=BENCH_MESSAGE):
    """A ~1 KB contact form: Japanese name, address and message, urlencoded."""
    fields = [
        ("name", "山田 太郎"),
        ("kana", "ヤマダ タロウ"),
        ("email", "taro.yamada@example.jp"),
        ("tel", "03-1234-5678"),
        ("zip", "150-0041"),
        ("address", "東京都渋谷区神南1丁目2-3 サンプルビル4階"),
        ("subject", "注文について"),
        ("message", message),
        ("agree", "1"),
    ]
    body = urllib.parse.urlencode(fields)
    # Pad the message with plain text up to 1024 bytes so the size is exact.
    pad = 1024 - len(body) - len("&note=")
    if pad > 0:
        body += "&note=" + ("Thank+you+" * (pad // 10 + 1))[:pad]
    return body


def page_body():
    row = "<li><a href=/item/matcha-%d>Matcha set %d, 40 g, 1,980 yen</a></li>"
    html = "<!doctype html><html lang=ja><head><meta charset=utf-8><title>Search</title></head><body><ul>"
    i = 0
    while len(html) < 980:
        i += 1
        html += row % (i, i)
    return html + "</ul></body></html>"


def render(template, out, pairs):
    with open(template) as f:
        text = f.read()
    values = {"BODY": page_body()}
    for kv in pairs:
        k, v = kv.split("=", 1)
        values[k] = v
    for k, v in values.items():
        text = text.replace("@%s@" % k, v)
    if re.search(r"@[A-Z_]+@", text):
        sys.stderr.write("render: unfilled placeholder in %s\n" % template)
        sys.exit(1)
    with open(out, "w") as f:
        f.write(text)


def lua_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def lua_headers(extra):
    out = "{\n"
    for k, v in HEADERS + extra:
        out += "  [%s] = %s,\n" % (lua_str(k), lua_str(v))
    return out + "}"


def write_lua(d):
    body = form_body()
    get = ("wrk.method = \"GET\"\nwrk.path = %s\nwrk.headers = %s\n"
           % (lua_str(SEARCH_PATH), lua_headers([])))
    post = ("wrk.method = \"POST\"\nwrk.path = \"/contact\"\nwrk.body = %s\nwrk.headers = %s\n"
            % (lua_str(body), lua_headers(POST_EXTRA)))
    # The soak mix: GET and POST alternating on every connection.
    mix = ("local g = wrk.format(\"GET\", %s, %s)\n"
           "local p = wrk.format(\"POST\", \"/contact\", %s, %s)\n"
           "local n = 0\n"
           "request = function()\n  n = n + 1\n  if n %% 2 == 0 then return p end\n  return g\nend\n"
           % (lua_str(SEARCH_PATH), lua_headers([]), lua_headers(POST_EXTRA), lua_str(body)))
    for name, text in (("get.lua", get), ("post.lua", post), ("mix.lua", mix)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)


def freeports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    print("\n".join(str(p) for p in ports))


def wait(port, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return 0
        except OSError:
            time.sleep(0.05)
    return 1


def status(port, kind):
    """One request over a raw socket (no client library quirks); the status code."""
    if kind == "post":
        method, path, body, extra = "POST", "/contact", form_body(), POST_EXTRA
    elif kind == "post-jp":
        method, path, body, extra = "POST", "/contact", form_body(JP_MESSAGE), POST_EXTRA
    else:
        method, path, body, extra = "GET", SEARCH_PATH if kind == "get" else ATTACK_PATH, "", []
    head = "%s %s HTTP/1.1\r\n" % (method, path)
    for k, v in HEADERS + extra:
        head += "%s: %s\r\n" % (k, v)
    if body:
        head += "Content-Length: %d\r\n" % len(body)
    head += "Connection: close\r\n\r\n"
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(head.encode() + body.encode())
        data = b""
        end = time.monotonic() + 5
        while b"\r\n" not in data and time.monotonic() < end:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "none"
    except OSError as e:
        return "error(%s)" % e.__class__.__name__


def pid_tree(pids):
    """The pids and their direct children (nginx master -> workers)."""
    out = list(pids)
    for p in pids:
        try:
            with open("/proc/%d/task/%d/children" % (p, p)) as f:
                out += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def cpu_ticks(pids):
    total = 0
    for p in pid_tree(pids):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_kib(pids):
    total = 0
    for p in pid_tree(pids):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def core_times():
    """{cpu number: (busy, total)} jiffies from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0].startswith("cpu") and w[0] != "cpu":
                v = [int(x) for x in w[1:]]
                idle = v[3] + (v[4] if len(v) > 4 else 0)
                out[int(w[0][3:])] = (sum(v) - idle, sum(v))
    return out


def core_busy(a, b):
    """Busy share of each core between two core_times() readings, in %."""
    return {c: 100.0 * (b[c][0] - a[c][0]) / max(1, b[c][1] - a[c][1]) for c in a if c in b}


def to_ms(v):
    for unit, mul in (("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * mul
    return float(v)


def parse_wrk(text):
    r = {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "non2xx": 0, "sockerr": 0, "requests": 0}
    for line in text.splitlines():
        w = line.split()
        if line.startswith("Requests/sec:"):
            r["rps"] = float(w[1])
        elif len(w) == 2 and w[0] == "50%":
            r["p50"] = to_ms(w[1])
        elif len(w) == 2 and w[0] == "99%":
            r["p99"] = to_ms(w[1])
        elif line.strip().startswith("Non-2xx or 3xx responses:"):
            r["non2xx"] = int(w[-1])
        elif line.strip().startswith("Socket errors:"):
            # Socket errors: connect 0, read 0, write 0, timeout 0
            r["sockerr"] = sum(int(x.rstrip(",")) for x in w[3::2])
        elif "requests in" in line:
            r["requests"] = int(w[0])
    return r


def run(out, label, pids, wrk):
    clk = os.sysconf("SC_CLK_TCK")
    k0 = core_times()
    t0, c0 = time.monotonic(), cpu_ticks(pids)
    # wrk ends by itself after -d; the timeout is only a guard.
    p = subprocess.run(wrk, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    t1, c1 = time.monotonic(), cpu_ticks(pids)
    busy = core_busy(k0, core_times())
    r = parse_wrk(p.stdout)
    cpu = 100.0 * (c1 - c0) / clk / (t1 - t0)
    us_per_req = 1e6 * (c1 - c0) / clk / r["requests"] if r["requests"] else float("nan")
    with open(out + ".wrk.log", "a") as f:
        f.write("### %s\n%s\n" % (label, p.stdout))
    cores = " ".join("%d:%.0f%%" % (c, busy[c]) for c in sorted(busy))
    line = "%s %.1f %.3f %.3f %d %d %.0f %d %.1f" % (label, r["rps"], r["p50"], r["p99"], r["non2xx"],
                                                   r["sockerr"], cpu, r["requests"], us_per_req)
    with open(out, "a") as f:
        f.write(line + "\n")
    warn = ""
    if r["non2xx"] or r["sockerr"] or p.returncode != 0:
        warn = "  <-- non-2xx %d, socket errors %d, wrk exit %d" % (r["non2xx"], r["sockerr"], p.returncode)
    print("  %-20s %7.0f req/s  p50 %6.3f ms  p99 %7.3f ms  server cpu %3.0f%% %6.1f us/req  cores busy %s%s"
          % (label, r["rps"], r["p50"], r["p99"], cpu, us_per_req, cores, warn), flush=True)


FRONTS = [("nginx", "nginx (plain proxy)"), ("sekisho", "sekisho proxy"),
          ("modsec", "nginx + ModSecurity + CRS")]


def table(path):
    rows = {}
    extra = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w:
                continue
            if w[0] == "attack" or w[0] == "rss" or w[0] == "benign":
                extra[(w[0], w[1])] = " ".join(w[2:])
                continue
            fe, req, rep = w[0].split("/")
            if rep == "warmup":
                continue
            rows.setdefault((fe, req), []).append([float(x) for x in w[1:]])
    med = {}
    for k, runs in rows.items():
        med[k] = [statistics.median(r[i] for r in runs) for i in range(len(runs[0]))]
        med[k].append(len(runs))
    hdr = ("| front end | request | req/s | p50 ms | p99 ms | req/s vs nginx | server CPU | "
           "CPU us/req | CPU/req vs nginx | non-2xx | socket err | attack | benign GET, POST, JP text |")
    print(hdr)
    print("|" + "|".join("---" for _ in hdr.split("|")[1:-1]) + "|")
    for req, rname in (("get", "GET /search"), ("post", "POST /contact 1 KB")):
        base = med.get(("nginx", req))
        for fe, fname in FRONTS:
            m = med.get((fe, req))
            if not m:
                continue
            ratio = "%.2f" % (m[0] / base[0]) if base and base[0] > 0 else "-"
            cratio = "%.2f" % (m[7] / base[7]) if base and base[7] > 0 else "-"
            non2xx = sum(int(r[3]) for r in rows[(fe, req)])
            sockerr = sum(int(r[4]) for r in rows[(fe, req)])
            print("| %s | %s | %.0f | %.3f | %.3f | %s | %.0f%% | %.1f | %s | %d | %d | %s | %s |"
                  % (fname, rname, m[0], m[1], m[2], ratio, m[5], m[7], cratio, non2xx, sockerr,
                     extra.get(("attack", fe), "-"), extra.get(("benign", fe), "-").replace("GET=", "")
                     .replace("POST=", "").replace("JP=", "").replace(",", ", ")))
    print()
    for req in ("get", "post"):
        b, s = med.get(("nginx", req)), med.get(("sekisho", req))
        if b and s and b[0] > 0:
            r = s[0] / b[0]
            eff = b[7] / s[7] if s[7] > 0 else float("nan")
            print("goal: sekisho / nginx >= 0.8 (%s): measured %.2f in req/s  %s;"
                  " %.2f in CPU per request (nginx us/req / sekisho us/req)"
                  % (req.upper(), r, "MET" if r >= 0.8 else "NOT MET", eff))
    for (kind, fe), v in sorted(extra.items()):
        if kind == "rss":
            print("RSS %s: %s" % (fe, v))


def soak(pid, seconds, port, lua, cpu):
    """wrk for SECONDS against the proxy; its VmRSS before, every minute, after."""
    def rss():
        return rss_kib([pid])
    start = rss()
    print("soak: %d s of the GET/POST mix, wrk -t1 -c32; sekisho pid %d" % (seconds, pid))
    print("  t=%4ds  VmRSS %7d KiB" % (0, start), flush=True)
    prio = ["nice", "-n", os.environ["NICE"]] if os.environ.get("NICE") else []
    wrk = prio + ["taskset", "-c", cpu, "wrk", "-t1", "-c32", "-d%ds" % seconds, "--latency", "--timeout", "5s",
           "-s", lua, "http://127.0.0.1:%d" % port]
    log = open(lua + ".soak.log", "w")
    p = subprocess.Popen(wrk, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t0 = time.monotonic()
    samples = [(0, start)]
    nxt = 60
    # Bounded: wrk stops itself after -d; we stop waiting 60 s after that.
    while p.poll() is None and time.monotonic() - t0 < seconds + 60:
        time.sleep(1)
        el = time.monotonic() - t0
        if el >= nxt:
            v = rss()
            samples.append((int(el), v))
            print("  t=%4ds  VmRSS %7d KiB  (%+d KiB)" % (el, v, v - start), flush=True)
            nxt += 60
    if p.poll() is None:
        p.kill()
    out = p.communicate()[0]
    log.write(out)
    log.close()
    time.sleep(1)
    end = rss()
    r = parse_wrk(out)
    print("  after   VmRSS %7d KiB  growth %+d KiB over %d s" % (end, end - start, seconds))
    print("  wrk: %d requests, %.0f req/s, p50 %.3f ms, p99 %.3f ms, non-2xx %d, socket errors %d"
          % (r["requests"], r["rps"], r["p50"], r["p99"], r["non2xx"], r["sockerr"]))
    if len(samples) >= 3:
        # Growth after the first minute (pools and caches warm by then).
        print("  growth after the first minute: %+d KiB" % (end - samples[1][1]))
    return 0


def main(a):
    cmd = a[0] if a else ""
    if cmd == "freeports":
        freeports(int(a[1]))
    elif cmd == "wait":
        return wait(int(a[1]), float(a[2]))
    elif cmd == "render":
        render(a[1], a[2], a[3:])
    elif cmd == "lua":
        write_lua(a[1])
    elif cmd == "status":
        print(status(int(a[1]), a[2]))
    elif cmd == "run":
        i = a.index("--")
        run(a[1], a[2], [int(x) for x in a[3].split(",") if x], a[i + 1:])
    elif cmd == "rss":
        print(rss_kib([int(a[1])]))
    elif cmd == "table":
        table(a[1])
    elif cmd == "soak":
        return soak(int(a[1]), int(a[2]), int(a[3]), a[4], a[5] if len(a) > 5 else "1")
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
