#!/usr/bin/env python3
"""corpus_raw.py - write corpus requests as wire bytes for benchmarks.

Usage: corpus_raw.py OUT.bin FILE.jsonl... [--category C[,C...]] [--min-bytes N] [--max-bytes N]

Output: for each request a 4-byte little-endian length, then the request
bytes (head and body), as ../shared/corpus/tools/to_raw.py would write them.
"""
import base64, json, struct, sys

def wire(r):
    if 'raw' in r:
        return r['raw'].encode('latin-1')
    head = '%s %s HTTP/1.1\r\n' % (r['method'], r['path'])
    head += ''.join('%s: %s\r\n' % kv for kv in r['headers'].items()) + '\r\n'
    body = r.get('body')
    if body is None:
        body = b''
    elif r.get('body_encoding') == 'base64':
        body = base64.b64decode(body)
    else:
        body = body.encode('utf-8', 'surrogatepass')
    return head.encode('latin-1') + body

def main():
    args = sys.argv[1:]
    opts = {'--category': None, '--min-bytes': '0', '--max-bytes': str(1 << 30)}
    for k in list(opts):
        if k in args:
            i = args.index(k); opts[k] = args[i + 1]; del args[i:i + 2]
    out, files = args[0], args[1:]
    n = 0
    with open(out, 'wb') as f:
        for path in files:
            for line in open(path, encoding='utf-8'):
                r = json.loads(line)
                if opts['--category'] and r['category'] not in opts['--category'].split(','):
                    continue
                b = wire(r)
                if not int(opts['--min-bytes']) <= len(b) <= int(opts['--max-bytes']):
                    continue
                f.write(struct.pack('<I', len(b)) + b)
                n += 1
    print('%s: %d requests' % (out, n), file=sys.stderr)

if __name__ == '__main__':
    main()
