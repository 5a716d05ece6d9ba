/* ssrf.c - server-side request forgery: URLs aimed at internal hosts.
 *
 * The value is scanned for URL starts (`scheme:`). Schemes that exist only
 * to talk raw protocols to a server (gopher, dict, tftp, netdoc, jar, file,
 * ldap, sftp) fire on their own. For the others the authority is cut into
 * every piece a lenient or a strict URL parser could take as the host
 * (userinfo, `#@`, `\@` confusion) and each piece is judged: loopback,
 * private, link-local and metadata addresses in any IPv4 notation inet_aton
 * accepts (decimal, octal, hex, 1-4 parts), IPv6 (mapped, compatible,
 * NAT64, ULA, link-local), names that resolve inside (localhost,
 * *.internal, wildcard DNS such as 127.0.0.1.nip.io) and hosts written with
 * circled or full-width letters to slip past filters.
 * No allocation; every loop is bounded by the value or a small constant.
 */
#include "sekisho/detectors.h"

#include <stdint.h>

enum {
	SSRF_SCHEME_MAX = 16,  /* longest scheme name we look back for */
	SSRF_HOST_MAX = 255,   /* DNS name limit; longer pieces are not hosts */
	SSRF_REGION_MAX = 512, /* authority bytes examined per URL */
	SSRF_PATH_MAX = 512,   /* path bytes examined for metadata API names */
};

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_alpha(unsigned char c)
{
	c = lc(c);
	return c >= 'a' && c <= 'z';
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* Case-insensitive equality of bytes with a NUL-terminated lower-case word. */
static int eq_word(const unsigned char *p, size_t n, const char *w)
{
	size_t i = 0;
	for (; i < n && w[i]; i++)
		if (lc(p[i]) != (unsigned char)w[i])
			return 0;
	return i == n && w[i] == '\0';
}

/* A suffix and its length (the tables below end with a NULL one). */
struct sfx {
	const char *s;
	size_t n;
};
#define SFX(x) { x, sizeof(x) - 1 }

static int ends_with(const char *h, size_t n, struct sfx suf)
{
	size_t k = suf.n;
	/* the last bytes differ for almost every host: compare them first */
	return n >= k && h[n - 1] == suf.s[k - 1] && memcmp(h + n - k, suf.s, k) == 0;
}

/* ---- IPv4 in every notation inet_aton(3) and browsers accept ---- */

/* Parse one part: 0x hex, 0 octal or decimal. Hex longer than 8 digits
 * keeps the low 32 bits, as some old parsers did (0x41414141A9FEA9FE). */
static int v4_part(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0)
		return 0;
	if (n >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		if (n == 2) {
			*out = 0;
			return 1;
		}
		for (size_t i = 2; i < n; i++) {
			int h = sk_hexval((unsigned char)p[i]);
			if (h < 0)
				return 0;
			v = ((v << 4) | (uint64_t)h) & 0xffffffffu;
		}
	} else if (n >= 2 && p[0] == '0') {
		for (size_t i = 1; i < n; i++) {
			if (p[i] < '0' || p[i] > '7' || v > 0xffffffffu)
				return 0;
			v = v * 8 + (uint64_t)(p[i] - '0');
		}
	} else {
		/* Up to 2^40: a single decimal part past 2^32 wraps in some
		 * parsers (7147006462 is 169.254.169.254); v4_parse decides. */
		for (size_t i = 0; i < n; i++) {
			if (!is_digit((unsigned char)p[i]) || v > (1ull << 40))
				return 0;
			v = v * 10 + (uint64_t)(p[i] - '0');
		}
	}
	if (v > (1ull << 40))
		return 0;
	*out = v;
	return 1;
}

/* Parse `h` as an IPv4 address of 1-4 parts. Returns 1 and the address. */
static int v4_parse(const char *h, size_t n, uint32_t *ip)
{
	uint64_t part[4];
	size_t np = 0, start = 0;
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (np == 4 || !v4_part(h + start, i - start, &part[np]))
				return 0;
			np++;
			start = i + 1;
		}
	}
	uint64_t v = 0;
	for (size_t i = 0; i + 1 < np; i++) {
		if (part[i] > 255)
			return 0;
		v |= part[i] << (24 - 8 * i);
	}
	uint64_t last = part[np - 1];
	if (np == 1)
		last &= 0xffffffffu;
	uint64_t room = np == 1 ? 0xffffffffu : (1ull << (8 * (5 - np))) - 1;
	if (last > room)
		return 0;
	*ip = (uint32_t)(v | last);
	return 1;
}

/* Loopback, "this network", private, link-local (metadata), carrier-grade
 * NAT (Alibaba's 100.100.100.200) and the IETF block (Oracle's 192.0.0.192). */
static const char *v4_internal(uint32_t ip)
{
	unsigned a = ip >> 24, b = (ip >> 16) & 0xff;
	if (a == 127)
		return "ssrf.loopback: 127.0.0.0/8 in any notation";
	if (a == 0)
		return "ssrf.loopback: 0.0.0.0/8 reaches the local host";
	if (a == 169 && b == 254)
		return "ssrf.metadata: link-local 169.254.0.0/16 (cloud metadata)";
	if (a == 10 || (a == 172 && (b & 0xf0) == 16) || (a == 192 && b == 168))
		return "ssrf.private: RFC 1918 address";
	if (a == 100 && (b & 0xc0) == 64)
		return "ssrf.private: 100.64.0.0/10 (cloud metadata, CGNAT)";
	if (a == 192 && b == 0 && ((ip >> 8) & 0xff) == 0)
		return "ssrf.private: 192.0.0.0/24";
	return NULL;
}

/* ---- IPv6 ---- */

static int v6_parse(const char *h, size_t n, unsigned char out[16])
{
	uint16_t w[8];
	int nw = 0, gap = -1;
	size_t i = 0;
	for (size_t k = 0; k < n; k++)
		if (h[k] == '%') /* zone id */
			n = k;
	if (n >= 2 && h[0] == ':' && h[1] == ':') {
		gap = 0;
		i = 2;
	} else if (n && h[0] == ':')
		return 0;
	while (i < n) {
		if (nw == 8)
			return 0;
		/* Embedded dotted IPv4 as the last 32 bits. */
		size_t j = i;
		while (j < n && h[j] != ':' && h[j] != '.')
			j++;
		if (j < n && h[j] == '.') {
			uint32_t ip;
			if (nw > 6 || !v4_parse(h + i, n - i, &ip))
				return 0;
			/* Only the strict dotted-quad form is valid here. */
			w[nw++] = (uint16_t)(ip >> 16);
			w[nw++] = (uint16_t)ip;
			i = n;
			break;
		}
		if (j == i || j - i > 4)
			return 0;
		unsigned v = 0;
		for (size_t k = i; k < j; k++) {
			int x = sk_hexval((unsigned char)h[k]);
			if (x < 0)
				return 0;
			v = v * 16 + (unsigned)x;
		}
		w[nw++] = (uint16_t)v;
		i = j;
		if (i < n) { /* at ':' */
			if (i + 1 < n && h[i + 1] == ':') {
				if (gap >= 0)
					return 0;
				gap = nw;
				i += 2;
			} else {
				i++;
				if (i == n)
					return 0;
			}
		}
	}
	if (gap < 0 && nw != 8)
		return 0;
	if (gap >= 0 && nw > 7)
		return 0;
	uint16_t full[8] = { 0 };
	if (gap < 0)
		memcpy(full, w, sizeof(full));
	else {
		for (int k = 0; k < gap; k++)
			full[k] = w[k];
		int tail = nw - gap;
		for (int k = 0; k < tail; k++)
			full[8 - tail + k] = w[gap + k];
	}
	for (int k = 0; k < 8; k++) {
		out[2 * k] = (unsigned char)(full[k] >> 8);
		out[2 * k + 1] = (unsigned char)full[k];
	}
	return 1;
}

static const char *v6_internal(const unsigned char a[16])
{
	static const unsigned char zero12[12];
	uint32_t v4 = ((uint32_t)a[12] << 24) | ((uint32_t)a[13] << 16) | ((uint32_t)a[14] << 8) | a[15];
	if (memcmp(a, zero12, 12) == 0) {
		if (v4 == 0 || v4 == 1)
			return "ssrf.loopback: IPv6 :: or ::1";
		return v4_internal(v4); /* IPv4-compatible ::a.b.c.d */
	}
	if (memcmp(a, zero12, 10) == 0 && a[10] == 0xff && a[11] == 0xff) {
		const char *r = v4_internal(v4);
		return r ? r : NULL; /* IPv4-mapped ::ffff:a.b.c.d */
	}
	if (a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xff && a[3] == 0x9b)
		return v4_internal(v4); /* NAT64 64:ff9b::/96 */
	if (a[0] == 0x20 && a[1] == 0x02) { /* 6to4 2002:AABB:CCDD:: */
		uint32_t e = ((uint32_t)a[2] << 24) | ((uint32_t)a[3] << 16) | ((uint32_t)a[4] << 8) | a[5];
		return v4_internal(e);
	}
	if ((a[0] & 0xfe) == 0xfc)
		return "ssrf.private: IPv6 unique-local fc00::/7 (fd00:ec2::254 metadata)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "ssrf.private: IPv6 link-local fe80::/10";
	return NULL;
}

/* ---- host names ---- */

static const char *const internal_names[] = {
	"localhost", "ip6-localhost", "ip6-loopback", "localhost.localdomain", "metadata",
	"instance-data", "rancher-metadata", "kubernetes", "kubernetes.default",
	"kubernetes.default.svc", "localtest.me", "lvh.me", "vcap.me", "metadata.packet.net",
	"metadata.platformequinix.com", "metadata.tencentyun.com", NULL,
};

static const struct sfx internal_suffixes[] = {
	SFX(".localhost"), SFX(".internal"), SFX(".localdomain"), SFX(".cluster.local"), SFX(".svc"),
	SFX(".localtest.me"), SFX(".lvh.me"), SFX(".vcap.me"), { NULL, 0 },
};

/* Wildcard DNS services that resolve a name to the address written in it. */
static const struct sfx wildcard_suffixes[] = {
	SFX(".nip.io"), SFX(".sslip.io"), SFX(".xip.io"), SFX(".nip.direct"), SFX(".traefik.me"), SFX(".localh.st"),
	{ NULL, 0 },
};

/* The address embedded before a wildcard-DNS suffix: a.b.c.d, a-b-c-d or
 * 8 hex digits as the last label(s) of `p`. */
static int wildcard_addr(const char *p, size_t n, uint32_t *ip)
{
	/* hex label */
	size_t s = n;
	while (s > 0 && p[s - 1] != '.' && p[s - 1] != '-')
		s--;
	if (n - s == 8) {
		uint32_t v = 0;
		size_t k = s;
		for (; k < n && sk_hexval((unsigned char)p[k]) >= 0; k++)
			v = (v << 4) | (uint32_t)sk_hexval((unsigned char)p[k]);
		if (k == n) {
			*ip = v;
			return 1;
		}
	}
	/* four decimal numbers separated by '.' or '-', read from the end */
	uint32_t v = 0;
	size_t i = n;
	for (int part = 0; part < 4; part++) {
		size_t e = i;
		while (i > 0 && is_digit((unsigned char)p[i - 1]) && e - i < 3)
			i--;
		if (i == e)
			return 0;
		unsigned x = 0;
		for (size_t k = i; k < e; k++)
			x = x * 10 + (unsigned)(p[k] - '0');
		if (x > 255)
			return 0;
		v |= (uint32_t)x << (8 * part);
		if (part < 3) {
			if (i == 0 || (p[i - 1] != '.' && p[i - 1] != '-'))
				return 0;
			i--;
		}
	}
	*ip = v;
	return 1;
}

/* Decode one UTF-8 sequence of 3 bytes at p (n available); 0 if not one. */
static unsigned utf8_3(const unsigned char *p, size_t n)
{
	if (n < 3 || (p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
		return 0;
	return ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
}

/* Map circled and full-width forms to ASCII, as IDNA mapping would. */
static int fold_compat(unsigned cp, char *out, int *circled)
{
	if (cp >= 0x24b6 && cp <= 0x24cf) { *out = (char)('a' + (cp - 0x24b6)); *circled = 1; return 1; }
	if (cp >= 0x24d0 && cp <= 0x24e9) { *out = (char)('a' + (cp - 0x24d0)); *circled = 1; return 1; }
	if (cp >= 0x2460 && cp <= 0x2468) { *out = (char)('1' + (cp - 0x2460)); *circled = 1; return 1; }
	if (cp == 0x24ea) { *out = '0'; *circled = 1; return 1; }
	if (cp >= 0xff01 && cp <= 0xff5e) { *out = (char)lc((unsigned char)(cp - 0xff01 + 0x21)); return 1; }
	if (cp == 0x3002 || cp == 0xff61) { *out = '.'; return 1; }
	return 0;
}

/* Judge one host piece. Returns a rule string or NULL. */
static const char *judge_host(const unsigned char *p, size_t n)
{
	char h[SSRF_HOST_MAX + 1];
	size_t hn = 0;
	int circled = 0, folded = 0;

	if (n == 0)
		return NULL;
	if (p[0] == '[') {
		size_t e = 1;
		while (e < n && p[e] != ']')
			e++;
		unsigned char a[16];
		if (e < n && v6_parse((const char *)p + 1, e - 1, a))
			return v6_internal(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == ':') /* port, or the password of a userinfo piece */
			break;
		if (hn == SSRF_HOST_MAX)
			return NULL;
		if (p[i] >= 0x80) {
			unsigned cp = utf8_3(p + i, n - i);
			char c;
			if (cp && fold_compat(cp, &c, &circled)) {
				h[hn++] = c;
				folded = 1;
				i += 2;
				continue;
			}
			h[hn++] = (char)p[i];
			continue;
		}
		h[hn++] = (char)lc(p[i]);
	}
	while (hn && h[hn - 1] == '.') /* fully qualified form */
		hn--;
	if (hn == 0)
		return NULL;
	h[hn] = '\0';

	uint32_t ip;
	if (v4_parse(h, hn, &ip)) {
		const char *r = v4_internal(ip);
		if (r)
			return r;
	}
	/* h is lower case and not empty: a first byte that differs decides */
	for (int k = 0; internal_names[k]; k++)
		if ((unsigned char)internal_names[k][0] == (unsigned char)h[0] &&
		    eq_word((const unsigned char *)h, hn, internal_names[k]))
			return "ssrf.name: host name of the local machine or a metadata service";
	for (int k = 0; internal_suffixes[k].s; k++)
		if (ends_with(h, hn, internal_suffixes[k]))
			return "ssrf.name: internal-only domain";
	for (int k = 0; wildcard_suffixes[k].s; k++) {
		size_t sl = wildcard_suffixes[k].n;
		if (ends_with(h, hn, wildcard_suffixes[k]) && wildcard_addr(h, hn - sl, &ip) && v4_internal(ip))
			return "ssrf.wildcard_dns: name resolving to an internal address";
	}
	if (ends_with(h, hn, (struct sfx)SFX(".r3dir.me")) || eq_word((const unsigned char *)h, hn, "r3dir.me"))
		return "ssrf.redirector: open redirect service built for SSRF";
	if (circled)
		return "ssrf.obfuscated: host written with enclosed alphanumerics";
	(void)folded;
	return NULL;
}

/* Raw-protocol schemes, dangerous whatever the host. */
static const char *const raw_schemes[] = {
	"gopher", "dict", "tftp", "netdoc", "jar", "ldap", "ldaps", "sftp", "file", "phar", NULL,
};

/* Schemes whose authority is worth judging. */
static const char *const web_schemes[] = {
	"http", "https", "ftp", "ftps", "ws", "wss", "smb", "redis", "mysql", "postgres", "mongodb",
	"memcache", "telnet", "ssh", "rtsp", "imap", "smtp", "pop3", NULL,
};

static int in_list(const unsigned char *p, size_t n, const char *const *list)
{
	/* n > 0 (a scheme has a letter): a first byte that differs decides */
	unsigned char c0 = lc(p[0]);
	for (int k = 0; list[k]; k++)
		if ((unsigned char)list[k][0] == c0 && eq_word(p, n, list[k]))
			return 1;
	return 0;
}

/* Metadata API paths that only make sense on a metadata server, even when
 * reached through a public name (googleapis.com compute API misuse). */
static const char *metadata_path(const unsigned char *p, size_t n)
{
	sk_slice s = { (const char *)p, n };
	/* each of the four names holds "data" */
	if (sk_slice_find_ci(s, SK_LIT("data")) < 0)
		return NULL;
	if (sk_slice_find_ci(s, SK_LIT("/computeMetadata/")) >= 0 ||
	    sk_slice_find_ci(s, SK_LIT("InstanceMetadata")) >= 0 ||
	    sk_slice_find_ci(s, SK_LIT("/latest/meta-data")) >= 0 ||
	    sk_slice_find_ci(s, SK_LIT("/latest/user-data")) >= 0)
		return "ssrf.metadata: cloud metadata API path";
	return NULL;
}

static int region_end(unsigned char c)
{
	return c == '/' || c == '?' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' ||
	       c == '\'' || c == '<' || c == '>' || c == '`' || c == ',' || c == ')' || c == '}' ||
	       c == '\0';
}

/* Judge the URL whose scheme is [s, colon). Returns a rule or NULL and
 * sets *end to the end of the examined authority. */
static const char *judge_url(const unsigned char *v, size_t n, size_t s, size_t colon, size_t *end,
			     int *path_checked)
{
	const unsigned char *sch = v + s;
	size_t sl = colon - s, i = colon + 1;
	*end = i;
	if (in_list(sch, sl, raw_schemes)) {
		/* jar:http://... and file:/... need no authority; the rest need a '/'. */
		if (i < n && (v[i] == '/' || v[i] == '\\' || (eq_word(sch, sl, "jar") && is_alpha(v[i])))) {
			*end = i + 1;
			return eq_word(sch, sl, "file") ? "ssrf.scheme: file:// URL (local file read)"
							: "ssrf.scheme: raw-protocol URL scheme (gopher, dict, jar, ...)";
		}
		return NULL;
	}
	if (!in_list(sch, sl, web_schemes))
		return NULL;
	size_t slashes = 0;
	while (i < n && (v[i] == '/' || v[i] == '\\') && slashes < 8) {
		i++;
		slashes++;
	}
	/* http:127.0.0.1 (no slashes) is accepted by lenient parsers, but a
	 * bare "ftp:" in prose is not a URL: then demand an address-like host. */
	size_t a = i, e = i;
	while (e < n && e - a < SSRF_REGION_MAX && !region_end(v[e]))
		e++;
	*end = e;
	if (e == a)
		return NULL;
	/* Every piece a parser might take for the host. */
	size_t ps = a;
	int bracket = 0;
	for (size_t k = a; k <= e; k++) {
		if (k < e && v[k] == '[')
			bracket = 1;
		if (k < e && v[k] == ']')
			bracket = 0;
		if (k == e || (!bracket && (v[k] == '@' || v[k] == '#' || v[k] == '\\' || v[k] == ';'))) {
			const char *r = judge_host(v + ps, k - ps);
			if (r && (slashes || (k == e && ps == a && is_digit(v[a]))))
				return r;
			ps = k + 1;
		}
	}
	/* Once per value: URLs packed back to back must not each rescan a
	 * path window (linear time). */
	if (slashes && e < n && v[e] == '/' && !*path_checked) {
		*path_checked = 1;
		size_t pe = e;
		while (pe < n && pe - e < SSRF_PATH_MAX && v[pe] != ' ' && v[pe] != '\n')
			pe++;
		return metadata_path(v + e, pe - e);
	}
	return NULL;
}

int ssrf_detect(const det_input *in, det_hit *hit)
{
	/* Every URL has a scheme colon. */
	if (!(in->classes & DC_COLON) || in->value.len < 4)
		return 0;
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	int path_checked = 0;
	for (size_t c = 1; c < n; c++) {
		const unsigned char *q = memchr(v + c, ':', n - c);
		if (!q)
			break;
		c = (size_t)(q - v);
		size_t s = c;
		while (s > 0 && c - s < SSRF_SCHEME_MAX &&
		       (is_alnum(v[s - 1]) || v[s - 1] == '+' || v[s - 1] == '-' || v[s - 1] == '.'))
			s--;
		if (s == c || !is_alpha(v[s]) || (s > 0 && is_alnum(v[s - 1])))
			continue;
		size_t end;
		const char *r = judge_url(v, n, s, c, &end, &path_checked);
		/* A web URL to an internal host inside prose or a pasted config
		 * (`proxy_pass http://127.0.0.1:8080;` in a Q&A post) is not a
		 * fetch target; a value that is a URL, or a URL glued to a
		 * parameter (`?url=`, `"url":"`, `<url>`), is. Raw schemes fire
		 * anywhere. */
		if (r && in->paranoia < 2 && s > 0 && (v[s - 1] == ' ' || v[s - 1] == '\t' || v[s - 1] == '\n') &&
		    strncmp(r, "ssrf.scheme", 11) != 0) {
			size_t k = 0;
			while (k < s && (v[k] == ' ' || v[k] == '\t' || v[k] == '\r' || v[k] == '\n'))
				k++;
			if (k < s)
				r = NULL;
		}
		if (r) {
			hit->rule = r;
			hit->score = DET_SCORE_CRITICAL;
			hit->off = s;
			hit->len = end - s;
			return 1;
		}
		/* The authority just judged holds no URL start worth a second
		 * look; skipping it keeps the scan linear. */
		if (end > c + 1)
			c = end - 1;
	}
	return 0;
}
