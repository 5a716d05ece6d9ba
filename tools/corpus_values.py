#!/usr/bin/env python3
"""corpus_values.py - split corpus requests into inspectable values, for
tuning detectors before the full engine runs.

Usage: corpus_values.py FILE.jsonl [--category C] > values.tsv

Output: one line per value, tab-separated:
    id  category  expect  loc  name  value
where value is decoded for its container as the engine does (query/form:
percent-decoded to a fixed point, '+' as space; cookies and headers with a
'%': percent-decoded to a fixed point; JSON: string leaves) and
escaped in the tests/data convention: \\\\ \\t \\n \\r \\xHH for control bytes.
Bytes >= 0x80 are written as they are (UTF-8, or raw Shift_JIS/EUC-JP).
Protocol (raw) records are skipped: they are whole requests, not values.
This is a Python approximation of lib/http's view, for tuning only.
"""
import base64, json, sys, urllib.parse

def esc(b):
    out = []
    for c in b:
        if c == 0x5c: out.append('\\\\')
        elif c == 9: out.append('\\t')
        elif c == 10: out.append('\\n')
        elif c == 13: out.append('\\r')
        elif c < 0x20 or c == 0x7f: out.append('\\x%02x' % c)
        else: out.append(chr(c) if c < 0x80 else None or bytes([c]).decode('latin-1'))
    return ''.join(out)

def unq(s, plus=True):
    """Percent-decode to a fixed point (at most 3 passes), as the engine does."""
    b = s.encode('latin-1') if isinstance(s, str) else s
    if plus: b = b.replace(b'+', b' ')
    for _ in range(3):
        d = urllib.parse.unquote_to_bytes(b)
        if d == b: break
        b = d
    return b

def pairs(qs):
    for part in qs.split('&'):
        if not part: continue
        k, _, v = part.partition('=')
        yield unq(k), unq(v)

def json_leaves(o, path='$'):
    if isinstance(o, dict):
        for k, v in o.items():
            yield ('json_key', path, k.encode('utf-8', 'surrogatepass'))
            yield from json_leaves(v, f'{path}.{k}')
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from json_leaves(v, f'{path}[{i}]')
    elif isinstance(o, str):
        yield ('json', path, o.encode('utf-8', 'surrogatepass'))
    elif o is not None:
        yield ('json', path, json.dumps(o).encode())

def multipart(body, ctype):
    b = ctype.split('boundary=', 1)[1].strip().strip('"').encode()
    for part in body.split(b'--' + b)[1:]:
        if part.startswith(b'--'): break
        head, _, content = part.partition(b'\r\n\r\n')
        content = content[:-2] if content.endswith(b'\r\n') else content
        name, fname = b'', None
        for h in head.split(b'\r\n'):
            if h.lower().startswith(b'content-disposition'):
                for attr in h.split(b';')[1:]:
                    k, _, v = attr.strip().partition(b'=')
                    v = v.strip(b'"')
                    if k == b'name': name = v
                    elif k == b'filename': fname = v
        if fname is not None:
            yield ('multipart_filename', name, fname)
            yield ('multipart_file', name, content)
        else:
            yield ('multipart_field', name, content)

def values(r):
    path, _, query = r['path'].partition('?')
    yield ('path', b'', unq(path, plus=False))
    for k, v in pairs(query):
        yield ('query_arg', k, v)
        yield ('query_arg_name', k, k)
    for h, v in r['headers'].items():
        # As the engine: cookie values and percent-encoded header values are
        # decoded to a fixed point ('+' stays '+').
        if h.lower() == 'cookie':
            for c in v.split(';'):
                k, _, cv = c.strip().partition('=')
                yield ('cookie', k.encode(), unq(cv, plus=False))
        elif h.lower() not in ('content-length', 'host', 'connection'):
            raw = v.encode('latin-1', 'replace')
            yield ('header', h.encode(), unq(raw, plus=False) if b'%' in raw else raw)
    body = r.get('body')
    if body is None: return
    body = base64.b64decode(body) if r.get('body_encoding') == 'base64' else body.encode('utf-8', 'surrogatepass')
    ctype = next((v for h, v in r['headers'].items() if h.lower() == 'content-type'), '')
    try:
        if 'x-www-form-urlencoded' in ctype:
            for k, v in pairs(body.decode('latin-1')):
                yield ('form', k, v); yield ('form_name', k, k)
        elif 'multipart/form-data' in ctype:
            yield from multipart(body, ctype)
        elif 'json' in ctype:
            for loc, name, v in json_leaves(json.loads(body)):
                yield (loc, name.encode(), v)
        else:
            yield ('body_raw', b'', body)
    except Exception:
        yield ('body_raw', b'', body)

def main():
    args = sys.argv[1:]
    cat = None
    if '--category' in args:
        i = args.index('--category'); cat = args[i + 1]; del args[i:i + 2]
    out = sys.stdout.buffer
    for line in open(args[0], encoding='utf-8'):
        r = json.loads(line)
        if 'raw' in r or (cat and r['category'] != cat): continue
        for loc, name, v in values(r):
            if isinstance(name, str): name = name.encode()
            row = [r['id'], r['category'], r['expect'], loc, esc(name), esc(v)]
            out.write('\t'.join(row).encode('latin-1', 'replace') + b'\n')

if __name__ == '__main__':
    main()
