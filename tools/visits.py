#!/usr/bin/env python3
"""visits.py - turn single requests into visits, for the typical-request
benchmark.

Usage: visits.py IN.bin OUT.bin PAGES

IN.bin holds requests as tools/corpus_raw.py writes them, each from a
different visitor. A browser does not send one request and leave: every
page of a visit carries the same User-Agent, Accept headers and cookies,
and only the request line and the Referer change. For each request of
IN.bin, OUT.bin gets PAGES requests: the request itself, then PAGES-1 page
views with its headers and the request lines of other requests of IN.bin
(chosen with a fixed seed), each with the previous page as its Referer.
This is the steady state a worker sees (a cache of clean values keeps
what the visit repeats); IN.bin is the worst case (every visitor new).
"""
import random, struct, sys

def load(path):
    d = open(path, 'rb').read()
    out, i = [], 0
    while i + 4 <= len(d):
        n = struct.unpack_from('<I', d, i)[0]
        out.append(d[i + 4:i + 4 + n])
        i += 4 + n
    return out

def split(req):
    head, sep, body = req.partition(b'\r\n\r\n')
    lines = head.split(b'\r\n')
    return lines[0], lines[1:], body

def header(lines, name):
    for l in lines:
        k, _, v = l.partition(b':')
        if k.strip().lower() == name:
            return v.strip()
    return None

def main():
    if len(sys.argv) != 4:
        sys.exit('usage: visits.py IN.bin OUT.bin PAGES')
    reqs, out, pages = load(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rnd = random.Random(1)
    n = 0
    with open(out, 'wb') as f:
        for req in reqs:
            line, lines, body = split(req)
            host = header(lines, b'host') or b'localhost'
            prev = None
            for p in range(pages):
                if p:
                    line = split(rnd.choice(reqs))[0]
                    lines = [l for l in lines if not l.lower().startswith(b'referer:')]
                    lines.append(b'Referer: https://' + host + prev)
                w = b'\r\n'.join([line] + lines) + b'\r\n\r\n' + body
                f.write(struct.pack('<I', len(w)) + w)
                n += 1
                prev = line.split(b' ')[1] if line.count(b' ') >= 2 else b'/'
    print('%s: %d requests' % (out, n), file=sys.stderr)

if __name__ == '__main__':
    main()
