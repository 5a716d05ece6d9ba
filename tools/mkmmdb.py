#!/usr/bin/env python3
"""mkmmdb.py - write a small MaxMind DB (format 2.0) country database, so
tests make their own .mmdb instead of shipping a licensed one.

    tools/mkmmdb.py [--epoch N] [--type NAME] IN.txt OUT.mmdb

IN.txt has one network per line, '#' starts a comment:

    127.0.1.0/24  JP          -> {country: {iso_code: JP}}
    2001:db8::/32 DE
    127.0.3.0/24  -  CN       -> {registered_country: {iso_code: CN}} only
    127.0.4.0/24  US CN       -> both

A more specific network inside a wider one overrides it there, whatever the
line order. The tree is IPv6 (ip_version 6) with 24-bit records; IPv4
networks live at ::a.b.c.d/96+n, where readers look for them.

Format (https://maxmind.github.io/MaxMind-DB/): the binary search tree
(node_count nodes of two records, left = bit 0; a record is a node number,
node_count for "no data", or node_count + 16 + an offset into the data
section), 16 zero bytes, the data section, then "\\xab\\xcd\\xefMaxMind.com"
and the metadata map. Python 3 standard library only.
"""
import argparse
import ipaddress
import struct
import sys
import time

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
RECORD_BITS = 24

# Data field types (control byte: type << 5 | size; types above 7 are
# "extended": type bits 0 and a second byte holding type - 7).
T_UTF8, T_UINT16, T_UINT32, T_MAP, T_UINT64, T_ARRAY = 2, 5, 6, 7, 9, 11


def _control(ftype, size):
    if size < 29:
        first, ext = size, b""
    elif size < 29 + 256:
        first, ext = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, ext = 30, struct.pack(">H", size - 285)
    elif size < 65821 + (1 << 24):
        first, ext = 31, struct.pack(">I", size - 65821)[1:]
    else:
        raise ValueError("field too large")
    if ftype <= 7:
        return bytes([ftype << 5 | first]) + ext
    return bytes([first, ftype - 7]) + ext


def _uint(ftype, v, maxbytes):
    raw = v.to_bytes(maxbytes, "big").lstrip(b"\0")
    return _control(ftype, len(raw)) + raw


def encode(value, kind=None):
    """Encode a Python value: str -> utf8_string, dict -> map, list ->
    array, int -> uint32 (or `kind`: "uint16", "uint64")."""
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _control(T_UTF8, len(raw)) + raw
    if isinstance(value, dict):
        out = _control(T_MAP, len(value))
        for k, v in value.items():
            k, kk = k if isinstance(k, tuple) else (k, None)
            out += encode(k) + encode(v, kk)
        return out
    if isinstance(value, list):
        return _control(T_ARRAY, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, int):
        if kind == "uint16":
            return _uint(T_UINT16, value, 2)
        if kind == "uint64":
            return _uint(T_UINT64, value, 8)
        return _uint(T_UINT32, value, 4)
    raise TypeError("cannot encode %r" % (value,))


class Node:
    __slots__ = ("kids", "num")

    def __init__(self, left=None, right=None):
        self.kids = [left, right]  # None (empty), ("data", key) or a Node
        self.num = -1


def insert(root, bits, plen, leaf):
    node = root
    for i in range(plen - 1):
        b = bits >> (127 - i) & 1
        kid = node.kids[b]
        if not isinstance(kid, Node):
            # Split an empty or data record: both halves keep what it had.
            kid = Node(kid, kid)
            node.kids[b] = kid
        node = kid
    node.kids[bits >> (127 - (plen - 1)) & 1] = leaf


def parse_lines(text):
    nets = []
    for no, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            raise ValueError("line %d: expected 'CIDR ISO [REGISTERED_ISO]'" % no)
        net = ipaddress.ip_network(parts[0], strict=False)
        if net.version == 4:
            bits, plen = int(net.network_address), 96 + net.prefixlen
        else:
            bits, plen = int(net.network_address), net.prefixlen
        if plen == 0:
            raise ValueError("line %d: a /0 network is not supported" % no)
        record = {}
        if parts[1] != "-":
            record["country"] = {"iso_code": parts[1]}
        if len(parts) == 3 and parts[2] != "-":
            record["registered_country"] = {"iso_code": parts[2]}
        if not record:
            raise ValueError("line %d: no country" % no)
        nets.append((plen, bits, record))
    return nets


def build(nets, epoch, db_type):
    root = Node()
    data = b""
    offsets = {}
    # Wider networks first, so more specific ones override inside them.
    for plen, bits, record in sorted(nets, key=lambda n: n[0]):
        key = repr(sorted(record.items()))
        if key not in offsets:
            offsets[key] = len(data)
            data += encode(record)
        insert(root, bits, plen, ("data", key))
    # Number the nodes breadth first (the root is node 0).
    order, queue = [], [root]
    while queue:
        n = queue.pop(0)
        n.num = len(order)
        order.append(n)
        queue += [k for k in n.kids if isinstance(k, Node)]
    count = len(order)
    if count + 16 + len(data) >= 1 << RECORD_BITS:
        raise ValueError("too big for 24-bit records")

    def record(kid):
        if kid is None:
            return count
        if isinstance(kid, Node):
            return kid.num
        return count + 16 + offsets[kid[1]]

    tree = b"".join(struct.pack(">I", record(n.kids[0]))[1:] + struct.pack(">I", record(n.kids[1]))[1:]
                    for n in order)
    meta = {
        ("node_count", "uint32"): count,
        ("record_size", "uint16"): RECORD_BITS,
        ("ip_version", "uint16"): 6,
        "database_type": db_type,
        "languages": ["en"],
        ("binary_format_major_version", "uint16"): 2,
        ("binary_format_minor_version", "uint16"): 0,
        ("build_epoch", "uint64"): epoch,
        "description": {"en": "sekisho test country database (tools/mkmmdb.py)"},
    }
    return tree + b"\0" * 16 + data + METADATA_MARKER + encode(meta)


def main(argv):
    ap = argparse.ArgumentParser(description="Write a small MaxMind DB country database.")
    ap.add_argument("--epoch", type=int, default=None, help="build_epoch (default: now)")
    ap.add_argument("--type", default="Sekisho-Test-Country", help="database_type")
    ap.add_argument("input")
    ap.add_argument("output")
    a = ap.parse_args(argv)
    with open(a.input, encoding="utf-8") as f:
        nets = parse_lines(f.read())
    blob = build(nets, a.epoch if a.epoch is not None else int(time.time()), a.type)
    with open(a.output, "wb") as f:
        f.write(blob)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ValueError) as e:
        print("mkmmdb: %s" % e, file=sys.stderr)
        sys.exit(2)
