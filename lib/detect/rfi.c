/* rfi.c - remote file inclusion.
 *
 * A URL in a parameter is normal traffic (url=, link=, website=,
 * callback=). It becomes an include when:
 *  - it carries a suffix that only serves to cut off what the vulnerable
 *    include() appends: a trailing '?' or '??', a NUL or "%00", a lone
 *    '#', a literal "%3F", behind a path that names a file; or
 *  - the parameter is include-like (page, file, inc, template, lang,
 *    ...) and the URL names a script or text file (.txt .php .inc ...)
 *    or ends in one of the suffixes; or
 *  - it uses a wrapper that supplies code (data://text/plain, expect://,
 *    php://input).
 * Remote forms: http(s)://, ftp(s)://, protocol-relative //host/x, and
 * UNC \\host\share.
 *
 * Linear: anchors (value start, after '=') are bounded in number and each
 * looks at one URL.
 */
#include "sekisho/detectors.h"

#define MAX_ANCHORS 8

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static size_t starts_ci(const char *p, size_t n, const char *lit)
{
	size_t i = 0;
	for (; lit[i]; i++)
		if (i >= n || lc((unsigned char)p[i]) != (unsigned char)lit[i])
			return 0;
	return i;
}

static int fill(det_hit *hit, const char *rule, size_t off, size_t len)
{
	hit->rule = rule;
	hit->score = DET_SCORE_CRITICAL;
	hit->off = off;
	hit->len = len;
	return 1;
}

static int include_like1(sk_slice name);

/* Parameter names that PHP apps pass to include()/require(). A JSON path
 * is include-like when any of its components is (theme.url, $.page). */
static int include_like(sk_slice name)
{
	size_t s = 0;
	for (size_t i = 0; i <= name.len; i++) {
		if (i == name.len || name.p[i] == '.' || name.p[i] == '[' || name.p[i] == ']' || name.p[i] == '$') {
			if (i > s && include_like1(sk_slice_make(name.p + s, i - s)))
				return 1;
			s = i + 1;
		}
	}
	return 0;
}

static int include_like1(sk_slice name)
{
	static const char *const names[] = { "page", "file", "inc", "include", "template", "tpl", "path", "module",
					     "mod", "lang", "language", "dir", "doc", "document", "layout", "style",
					     "theme", "skin", "folder", "root", "conf", "config", "pg", "view", "content",
					     "cat", "load", "read", "show", "site", "filename", "item", "req", "mypath",
					     "base", "main", "home", "section", "nav", "img", "f", "p", "pdf", "locale" };
	size_t s = 0;
	for (size_t i = 0; i < name.len; i++)
		if (name.p[i] == '.' || name.p[i] == '[' || name.p[i] == '$')
			s = i + 1;
	size_t e = name.len;
	while (e > s && (name.p[e - 1] == ']' || (name.p[e - 1] >= '0' && name.p[e - 1] <= '9')))
		e--;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t m = 0;
		while (names[k][m])
			m++;
		if (e - s == m && starts_ci(name.p + s, m, names[k]))
			return 1;
		/* page_id, template_name, incfile: a name that starts with one */
		if (m >= 4 && e - s > m && starts_ci(name.p + s, e - s, names[k]) && !is_alnum((unsigned char)name.p[s + m]))
			return 1;
	}
	return 0;
}

static int script_ext(const char *p, size_t n)
{
	static const char *const ext[] = { ".txt", ".php", ".inc", ".phtml", ".php5", ".pl", ".sh", ".asp", ".jsp",
					   ".cgi", ".py", ".gif", ".jpg", ".png" };
	for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
		size_t m = 0;
		while (ext[k][m])
			m++;
		if (n >= m && starts_ci(p + n - m, m, ext[k]))
			return k < 11 ? 2 : 1; /* images count only with a suffix */
	}
	return 0;
}

/* The start of a remote reference at v[at]: *h gets the length of its
 * scheme part, *unc is set for \\host. 0 if v[at] starts none. */
static int remote_start(sk_slice v, size_t at, size_t *h, int *unc)
{
	const char *p = v.p + at;
	size_t n = v.len - at;
	size_t m;
	*h = 0;
	*unc = 0;
	if ((m = starts_ci(p, n, "http://")) || (m = starts_ci(p, n, "https://")) || (m = starts_ci(p, n, "ftp://")) ||
	    (m = starts_ci(p, n, "ftps://")))
		*h = m;
	else if ((m = starts_ci(p, n, "http:%2f%2f")) || (m = starts_ci(p, n, "https:%2f%2f")) ||
		 (m = starts_ci(p, n, "ftp:%2f%2f")))
		*h = m; /* decoded once too few: still a remote URL */
	else if (n > 3 && p[0] == '/' && p[1] == '/' && is_alnum((unsigned char)p[2]))
		*h = 2;
	else if (n > 3 && p[0] == '\\' && p[1] == '\\' && is_alnum((unsigned char)p[2]))
		*h = 2, *unc = 1;
	else
		return 0;
	return 1;
}

/* Look at the remote reference starting at v[at], whose scheme part is h
 * bytes (remote_start). `name` is the parameter name that says whether
 * the reference is include-like (include_like); it is looked at only when
 * the answer depends on it. Returns 1 and fills hit when it is an
 * include. */
static int remote_at(sk_slice v, size_t at, size_t h, int unc, sk_slice name, det_hit *hit)
{
	const char *p = v.p + at;
	size_t n = v.len - at;
	/* host, then the path up to the first ? # NUL blank */
	size_t i = h;
	while (i < n && (is_alnum((unsigned char)p[i]) || p[i] == '.' || p[i] == '-' || p[i] == ':' || p[i] == '@' ||
			 p[i] == '[' || p[i] == ']'))
		i++;
	if (i == h)
		return 0;
	size_t path = i;
	while (i < n && p[i] != '?' && p[i] != '#' && p[i] != '\0' && p[i] != ' ' && p[i] != '"' && p[i] != '\'' &&
	       !(p[i] == '%' && (starts_ci(p + i, n - i, "%00") || starts_ci(p + i, n - i, "%3f"))))
		i++;
	size_t pend = i;
	int has_file = pend > path + 1;
	int ext = script_ext(p + path, pend - path);
	/* the suffix shapes */
	int suffix = 0;
	if (i < n) {
		if (p[i] == '\0' || starts_ci(p + i, n - i, "%00"))
			suffix = 2;
		else if (starts_ci(p + i, n - i, "%3f") && i + 3 >= n)
			suffix = 1;
		else if (p[i] == '?' || p[i] == '#') {
			size_t j = i;
			while (j < n && (p[j] == '?' || p[j] == '#'))
				j++;
			if (j == n || p[j] == ' ')
				suffix = 1; /* nothing after the ? or # */
		}
	}
	int remote_share = unc && has_file;
	int ftp = starts_ci(p, n, "ftp") != 0;
	if (ftp && has_file && ext == 2)
		return fill(hit, "rfi.ftp: script fetched over FTP", at, pend);
	if (has_file && suffix == 2)
		return fill(hit, "rfi.nul: remote URL cut with a NUL", at, pend + (p[pend] == '\0' ? 1 : 3));
	/* has_file is pend - path > 1: an include-like name adds nothing */
	if (has_file && suffix)
		return fill(hit, "rfi.suffix: remote script URL ending in ? or #", at, pend < n ? pend + 1 : pend);
	if (has_file && (ext == 2 || remote_share || suffix) && include_like(name))
		return fill(hit, "rfi.include: remote script URL in an include parameter", at, pend);
	if (remote_share && ext == 2)
		return fill(hit, "rfi.unc: script on a remote share", at, pend);
	return 0;
}

/* May code_wrapper find something? Each of its wrappers has a ':' right
 * after "php", "data" or "expect", so after "php", "ata" or "ect". */
static int wrapper_colon(sk_slice v)
{
	const char *p = v.p + 3, *end = v.p + v.len;
	while (p < end && (p = memchr(p, ':', (size_t)(end - p))) != NULL) {
		if (starts_ci(p - 3, 3, "php") || starts_ci(p - 3, 3, "ata") || starts_ci(p - 3, 3, "ect"))
			return 1;
		p++;
	}
	return 0;
}

static int code_wrapper(sk_slice v, det_hit *hit)
{
	static const char *const wr[] = { "data://text/plain", "expect://", "php://input", "data:text/plain;base64,pd9w" };
	for (size_t i = 0; i + 9 <= v.len; i++) {
		unsigned char c = lc((unsigned char)v.p[i]);
		if (c != 'd' && c != 'e' && c != 'p')
			continue;
		for (size_t k = 0; k < sizeof(wr) / sizeof(wr[0]); k++) {
			size_t m = starts_ci(v.p + i, v.len - i, wr[k]);
			if (m)
				return fill(hit, "rfi.wrapper: stream wrapper that supplies code", i, m);
		}
	}
	return 0;
}

int rfi_detect(const det_input *in, det_hit *hit)
{
	sk_slice v = in->value;
	unsigned cl = in->classes;
	if (!(cl & (DC_COLON | DC_SLASH | DC_BACKSLASH)) || v.len < 5)
		return 0;
	if ((cl & DC_COLON) && wrapper_colon(v) && code_wrapper(v, hit))
		return 1;
	/* Every remote form remote_start knows holds "//", two backslashes
	 * (UNC) or ":%" (http:%2f%2f): a value without any of them has no
	 * remote reference. */
	if (!sk_slice_has_pair(v, '/', '/') && !((cl & DC_BACKSLASH) && sk_slice_has_pair(v, '\\', '\\')) &&
	    !((cl & DC_PERCENT) && sk_slice_has_pair(v, ':', '%')))
		return 0;
	size_t anchors[MAX_ANCHORS];
	int na = 0;
	anchors[na++] = 0;
	if (cl & DC_EQUALS) {
		const char *q = v.p, *last = v.p + v.len - 1;
		while (na < MAX_ANCHORS && q < last && (q = memchr(q, '=', (size_t)(last - q))) != NULL) {
			anchors[na++] = (size_t)(q - v.p) + 1;
			q++;
		}
	}
	for (int a = 0; a < na; a++) {
		size_t at = anchors[a];
		while (at < v.len && (v.p[at] == ' ' || v.p[at] == '"' || v.p[at] == '\''))
			at++;
		if (at >= v.len)
			continue;
		/* whether the name is include-like only matters for a remote
		 * reference, so it is looked up only then */
		size_t h;
		int unc;
		if (!remote_start(v, at, &h, &unc))
			continue;
		/* after '=' the name before it says include-like: ?page=http://.. */
		sk_slice name = in->name;
		if (a > 0) {
			size_t e = anchors[a] - 1, s = e;
			while (s > 0 && (is_alnum((unsigned char)v.p[s - 1]) || v.p[s - 1] == '_'))
				s--;
			name = sk_slice_make(v.p + s, e - s);
		}
		if (remote_at(v, at, h, unc, name, hit))
			return 1;
	}
	return 0;
}
