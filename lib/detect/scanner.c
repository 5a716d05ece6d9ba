/* scanner.c - scanners and attack tools: their User-Agents, their own
 * headers, out-of-band callback domains, and the paths they probe.
 *
 * Fingerprints live in tools/data/scanner.txt and are compiled into sorted
 * tables (lib/detect/scanner_table.c) by tools/gen_scanner_table.py.
 * A path is split into segments, each lower-cased into a small buffer and
 * looked up: exact kinds by binary search, the short prefix/contains lists
 * linearly. Every other dot segment but /.well-known is a probe (VCS
 * metadata, .env, editor and shell files). Monitors' /health and /status,
 * /cgi-bin/ scripts and crawlers (Googlebot, curl, okhttp) do not fire.
 */
#include "sekisho/detectors.h"

#include "scanner_table.h"

enum {
	SC_SEG_MAX = 128,  /* longer segments are not probe names */
	SC_SEGS_MAX = 64,  /* segments examined per path */
};

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_alnum(unsigned char c)
{
	/* c | 0x20 is a..z exactly for the letters of either case */
	return (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10;
}

/* strcmp order on (p, n) against a table word. */
static int cmp(const char *p, size_t n, const sc_word *w)
{
	/* most probes differ in the first byte: decide that without memcmp */
	if (n && w->len && p[0] != w->s[0])
		return (unsigned char)p[0] < (unsigned char)w->s[0] ? -1 : 1;
	size_t m = n < w->len ? n : w->len;
	int r = memcmp(p, w->s, m);
	if (r)
		return r;
	return n < w->len ? -1 : n > w->len;
}

/* Exact lookup of a lower-case string. */
static int sc_has(const sc_table *t, const char *p, size_t n)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = cmp(p, n, &t->w[mid]);
		if (r == 0)
			return 1;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

/* Case-insensitive comparison of raw bytes with a lower-case word. */
static int eq_lc(const unsigned char *p, const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc(p[i]) != (unsigned char)w[i])
			return 0;
	return 1;
}

static int set_hit(det_hit *hit, const char *rule, int score, size_t off, size_t len)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = len;
	return 1;
}

/* A tool's name as a word of the User-Agent. */
static int scan_ua(const unsigned char *v, size_t n, det_hit *hit)
{
	const sc_table *t = &sc_ua;
	const sc_index *x = t->x;
	int prev = 0; /* was v[i - 1] alphanumeric? */
	for (size_t i = 0; i < n; i++) {
		int a = is_alnum(v[i]), start = a && !prev;
		prev = a;
		if (!start)
			continue;
		unsigned char c = lc(v[i]);
		for (size_t k = x->start[c], e = k + x->count[c]; k < e; k++) {
			size_t len = t->w[k].len;
			if (len > n - i || !eq_lc(v + i, t->w[k].s, len))
				continue;
			unsigned char nx = i + len < n ? lc(v[i + len]) : 0;
			if (nx >= 'a' && nx <= 'z')
				continue;
			return set_hit(hit, "scanner.user_agent: scanner or attack tool User-Agent", DET_SCORE_CRITICAL,
				       i, len);
		}
	}
	return 0;
}

/* Burp Collaborator, interactsh and similar: a label boundary then the domain. */
static int scan_oob(const unsigned char *v, size_t n, det_hit *hit)
{
	/* a domain follows a dot: hop from one to the next */
	for (const unsigned char *d = memchr(v, '.', n); d && (size_t)(d - v) + 4 < n;
	     d = memchr(d + 1, '.', n - (size_t)(d + 1 - v))) {
		size_t s = (size_t)(d - v) + 1;
		unsigned char c = lc(v[s]);
		for (size_t k = sc_oob.x->start[c], e = k + sc_oob.x->count[c]; k < e; k++) {
			size_t len = sc_oob.w[k].len;
			if (len > n - s || !eq_lc(v + s, sc_oob.w[k].s, len))
				continue;
			if (s + len < n && (is_alnum(v[s + len]) || v[s + len] == '-'))
				continue;
			return set_hit(hit, "scanner.oob_host: out-of-band callback domain of a scanner",
				       DET_SCORE_CRITICAL, s, len);
		}
	}
	return 0;
}

/* The first (last) bytes are compared before memcmp: most words differ
 * there. */
static int has_prefix(const char *s, size_t n, const sc_word *w)
{
	return n >= w->len && (w->len == 0 || s[0] == w->s[0]) && memcmp(s, w->s, w->len) == 0;
}

static int has_suffix(const char *s, size_t n, const sc_word *w)
{
	return n >= w->len && (w->len == 0 || s[n - 1] == w->s[w->len - 1]) &&
	       memcmp(s + n - w->len, w->s, w->len) == 0;
}

/* Does any word of sorted, indexed table t occur in s? One pass over s,
 * trying only the words that start with the byte at hand. */
static int contains_any(const sc_table *t, const char *s, size_t n)
{
	const sc_index *x = t->x;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		for (size_t k = x->start[c], e = k + x->count[c]; k < e; k++)
			if (t->w[k].len <= n - i && memcmp(s + i, t->w[k].s, t->w[k].len) == 0)
				return 1;
	}
	return 0;
}

/* Judge one lower-cased segment; last says it is the file name. */
static const char *judge_segment(const char *s, size_t n, int last, int root)
{
	if (n >= 2 && s[0] == '.' && s[1] != '.') {
		size_t e = 1;
		while (e < n && s[e] != '.' && s[e] != '~')
			e++;
		if (!sc_has(&sc_dot_ok, s, n) && !sc_has(&sc_dot_ok, s, e))
			return "scanner.dotfile: hidden file or VCS metadata probe";
	}
	if (sc_has(&sc_dir, s, n))
		return "scanner.probe_dir: admin tool, console or backup directory probe";
	for (size_t k = 0; k < sc_dirnum.n; k++) {
		const sc_word *w = &sc_dirnum.w[k];
		if (!has_prefix(s, n, w))
			continue;
		size_t i = w->len;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == 's' || s[i] == '.'))
			i++;
		if (i == n)
			return "scanner.probe_dir: admin tool or backup directory probe";
	}
	if (contains_any(&sc_contains, s, n))
		return "scanner.probe_name: known probe target (admin tool, config, log, shell)";
	for (size_t k = 0; k < sc_suffix.n; k++) {
		const sc_word *w = &sc_suffix.w[k];
		if (has_suffix(s, n, w) && n > w->len && s[n - w->len - 1] != '-')
			return "scanner.probe_dir: backup or dump directory probe";
	}
	if (!last)
		return NULL;
	if (root && sc_has(&sc_root, s, n))
		return "scanner.probe_root: actuator endpoint or bare probe at the root";
	if (s[n - 1] == '~')
		return "scanner.backup_file: editor backup file (~)";
	for (size_t k = 0; k < sc_fileprefix.n; k++)
		if (has_prefix(s, n, &sc_fileprefix.w[k]))
			return "scanner.probe_file: web shell, config backup or dump by name";
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] != '.')
			continue;
		if (sc_has(&sc_ext, s + i + 1, n - i - 1))
			return "scanner.backup_file: backup, dump, key or server configuration file";
		if (root && sc_has(&sc_rootext, s + i + 1, n - i - 1) &&
		    !(i >= 4 && memcmp(s + i - 4, ".xml", 4) == 0))
			return "scanner.site_archive: archive of the site at the root";
	}
	return NULL;
}

/* Bit of a byte's folded letter in a mask; bit 63 for any other byte. */
static uint64_t letter_bit(unsigned char c)
{
	c = lc(c);
	return (c >= 'a' && c <= 'z') ? UINT64_C(1) << (c - 'a') : UINT64_C(1) << 63;
}

static int scan_path(const unsigned char *v, size_t n, det_hit *hit)
{
	char seg[SC_SEG_MAX];
	/* The probe paths start with '/': one occurs only where a '/' is
	 * followed by its second byte (folded). Note which bytes follow a
	 * '/' and search only for the paths whose second byte is among them. */
	uint64_t after = 0;
	for (const unsigned char *d = memchr(v, '/', n); d && (size_t)(d - v) + 1 < n;
	     d = memchr(d + 1, '/', n - (size_t)(d + 1 - v)))
		after |= letter_bit(d[1]);
	for (size_t k = 0; k < sc_sub.n; k++) {
		if (sc_sub.w[k].len >= 2 && sc_sub.w[k].s[0] == '/' &&
		    !(after & letter_bit((unsigned char)sc_sub.w[k].s[1])))
			continue;
		long at = sk_slice_find_ci(sk_slice_make((const char *)v, n),
					   sk_slice_make(sc_sub.w[k].s, sc_sub.w[k].len));
		if (at >= 0)
			return set_hit(hit, "scanner.probe_path: known probe path", DET_SCORE_CRITICAL, (size_t)at,
				       sc_sub.w[k].len);
	}
	/* count segments to know which is the file name and whether there is
	 * only one (a root-level probe) */
	size_t end = n;
	while (end > 0 && v[end - 1] == '/')
		end--;
	size_t nseg = 0;
	for (size_t i = 0; i < end; i++)
		if (v[i] == '/' && i + 1 < end && v[i + 1] != '/')
			nseg++;
	size_t segno = 0;
	for (size_t i = 0; i < end && segno < SC_SEGS_MAX;) {
		while (i < end && v[i] == '/')
			i++;
		size_t s = i;
		while (i < end && v[i] != '/')
			i++;
		if (i == s)
			break;
		segno++;
		size_t len = i - s;
		if (len > SC_SEG_MAX)
			continue;
		for (size_t k = 0; k < len; k++)
			seg[k] = (char)lc(v[s + k]);
		int last = i == end;
		const char *r = judge_segment(seg, len, last, last && nseg <= 1 && v[0] == '/');
		if (r)
			return set_hit(hit, r, DET_SCORE_CRITICAL, s, len);
	}
	return 0;
}

int scanner_detect(const det_input *in, det_hit *hit)
{
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	if (in->loc == LOC_HEADER) {
		/* the words are lower case, not empty and sorted: a name can
		 * only start with those whose first byte is its own, folded,
		 * and the words past that byte need no look */
		unsigned char c0 = in->name.len ? lc((unsigned char)in->name.p[0]) : 0;
		for (size_t k = 0; k < sc_hdr.n && (unsigned char)sc_hdr.w[k].s[0] <= c0; k++)
			if ((unsigned char)sc_hdr.w[k].s[0] == c0 && sk_slice_prefix_ci(in->name, sk_slice_make(sc_hdr.w[k].s, sc_hdr.w[k].len)))
				return set_hit(hit, "scanner.header: header sent only by a scanner",
					       DET_SCORE_CRITICAL, 0, n);
		if (in->name.len == 10 && sk_slice_eq_ci(in->name, SK_LIT("User-Agent")) && (in->classes & DC_ALPHA) &&
		    scan_ua(v, n, hit))
			return 1;
	}
	if (in->loc == LOC_PATH && n > 1 && scan_path(v, n, hit))
		return 1;
	if ((in->classes & DC_DOT) && (in->classes & DC_ALPHA) && n > 6 && scan_oob(v, n, hit))
		return 1;
	return 0;
}
