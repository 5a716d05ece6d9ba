/* crlf.c - CRLF injection and HTTP response splitting.
 *
 * A line break is CR or LF as decoded by the engine, the UTF-8 forms of
 * U+560A / U+560D (some servers keep only the low byte: 0x0A / 0x0D), or
 * a break still written as %0a, %0d, %u000a, %u000d (encoded once more
 * than the engine decodes). What follows decides:
 *  - a header shape `Token:` (not `http://`), or
 *  - a blank line and then HTML or a status line: response splitting.
 * Values that end up in headers (query, path, cookies, names, redirect-
 * like fields) are judged strictly: any header shape fires. Body fields
 * carry multi-line prose ("Subject: hello" after a newline is plausible),
 * so there only a response header that matters to an attacker counts, and
 * only when the text before the break is a single token such as a URL
 * (paranoia 2 drops that condition, paranoia 3 accepts any header name).
 */
#include "sekisho/detectors.h"

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* RFC 9110 token characters. */
static int is_tchar(unsigned char c)
{
	if ((lc(c) >= 'a' && lc(c) <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
	case '.': case '^': case '_': case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

/* Width of a line break at i (0 if none). Besides the bytes themselves,
 * breaks still percent-encoded (%0a, %250a, %u000a, %E5%98%8A) count: the
 * engine decodes up to three times, and a value encoded once more than
 * that is an attack on whatever decodes it next. */
static size_t brk(const unsigned char *v, size_t n, size_t i)
{
	unsigned char c = v[i];
	if (c == '\r' || c == '\n')
		return 1;
	if (c == 0xe5 && i + 2 < n && v[i + 1] == 0x98 && (v[i + 2] == 0x8a || v[i + 2] == 0x8d))
		return 3;
	if (c != '%')
		return 0;
	size_t k = i + 1;
	for (int d = 0; d < 3 && k + 1 < n && v[k] == '2' && v[k + 1] == '5'; d++)
		k += 2;
	if (k + 1 < n && v[k] == '0' && (lc(v[k + 1]) == 'a' || lc(v[k + 1]) == 'd'))
		return k + 2 - i;
	if (k + 4 < n && lc(v[k]) == 'u' && v[k + 1] == '0' && v[k + 2] == '0' && v[k + 3] == '0' &&
	    (lc(v[k + 4]) == 'a' || lc(v[k + 4]) == 'd'))
		return k + 5 - i;
	if (k + 7 < n && lc(v[k]) == 'e' && v[k + 1] == '5' && v[k + 2] == '%' && v[k + 3] == '9' &&
	    v[k + 4] == '8' && v[k + 5] == '%' && v[k + 6] == '8' && (lc(v[k + 7]) == 'a' || lc(v[k + 7]) == 'd'))
		return k + 8 - i;
	return 0;
}

/* Is the break at i a line feed (as opposed to a carriage return)? */
static int is_lf(const unsigned char *v, size_t i, size_t w)
{
	unsigned char last = lc(v[i + w - 1]);
	return last == '\n' || last == 0x8a || last == 'a';
}

/* Response headers an attacker gains by injecting them. */
static const char *const danger[] = {
	"set-cookie", "set-cookie2", "location", "content-type", "content-length", "refresh",
	"access-control-allow-origin", "access-control-allow-credentials", "x-xss-protection",
	"content-security-policy", "transfer-encoding", "content-disposition", "x-frame-options",
	"strict-transport-security", "link", "cache-control", "x-forwarded-for", "x-forwarded-host",
	"host", NULL,
};

static int danger_header(const unsigned char *p, size_t n)
{
	for (int k = 0; danger[k]; k++) {
		size_t i = 0;
		const char *w = danger[k];
		while (i < n && w[i] && lc(p[i]) == (unsigned char)w[i])
			i++;
		if (i == n && w[i] == '\0')
			return 1;
	}
	return 0;
}

static int strict_name(sk_slice name)
{
	static const char *const redir[] = { "url", "uri", "redirect", "return", "next", "back", "goto",
					     "dest", "lang", "location", "callback", "continue", "target",
					     "path", "page", NULL };
	if (name.len == 0 || name.len > 64)
		return 0;
	for (int k = 0; redir[k]; k++)
		if (sk_slice_find_ci(name, sk_slice_make(redir[k], strlen(redir[k]))) >= 0) /* checksrc: our own constant */
			return 1;
	return sk_slice_eq_ci(name, SK_LIT("to"));
}

static int strict_loc(const det_input *in)
{
	switch (in->loc) {
	case LOC_METHOD: case LOC_PATH: case LOC_PATH_SEGMENT: case LOC_QUERY_STRING: case LOC_QUERY_ARG:
	case LOC_QUERY_ARG_NAME: case LOC_HEADER: case LOC_COOKIE: case LOC_COOKIE_NAME: case LOC_FORM_NAME:
	case LOC_MULTIPART_FILENAME: case LOC_MULTIPART_HEADER: case LOC_JSON_KEY:
		return 1;
	default:
		return strict_name(in->name);
	}
}

/* Text before the first break is one token (a URL, a path, a word):
 * what a redirect parameter holds, unlike a line of prose. */
static int token_prefix(const unsigned char *v, size_t i)
{
	if (i > 256)
		return 0;
	for (size_t k = 0; k < i; k++)
		if (v[k] <= ' ' || v[k] >= 0x7f)
			return 0;
	return 1;
}

int crlf_detect(const det_input *in, det_hit *hit)
{
	if (!(in->classes & (DC_CTL | DC_HIGH | DC_PERCENT)))
		return 0;
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	/* strict_loc only matters once a break is found: decided then, so
	 * that the many values without one skip its name search. -1: not
	 * decided yet. */
	int strict = -1;
	int first_break = -1;
	size_t first_at = 0;

	for (size_t i = 0; i < n;) {
		/* brk() is 0 unless the byte is CR, LF, 0xE5 or '%' */
		unsigned char c0 = v[i];
		if (c0 != '\r' && c0 != '\n' && c0 != 0xe5 && c0 != '%') {
			i++;
			continue;
		}
		size_t w = brk(v, n, i);
		if (!w) {
			i++;
			continue;
		}
		if (first_break < 0) {
			first_break = 1;
			first_at = i;
		}
		if (strict < 0)
			strict = strict_loc(in);
		/* the run of breaks */
		size_t s = i;
		int lfs = 0;
		while (i < n && (w = brk(v, n, i)) != 0) {
			lfs += is_lf(v, i, w);
			i += w;
		}
		int prefix_ok = token_prefix(v, first_at);
		/* status line after a break: a second response */
		if (i + 7 < n && memcmp(v + i, "HTTP/1.", 7) == 0) {
			hit->rule = "crlf.response_splitting: status line after a line break";
			hit->score = DET_SCORE_CRITICAL;
			hit->off = s;
			hit->len = i + 7 - s;
			return 1;
		}
		/* blank line then a body */
		if (lfs >= 2 && i < n && v[i] == '<' && (strict || prefix_ok)) {
			hit->rule = "crlf.response_splitting: blank line then a body";
			hit->score = DET_SCORE_CRITICAL;
			hit->off = s;
			hit->len = i + 1 - s;
			return 1;
		}
		/* header shape; in header-bound values a leading space too
		 * (servers that trim it, or fold it into the previous line) */
		if (strict)
			while (i < n && i - s < 64 && (v[i] == ' ' || v[i] == '\t'))
				i++;
		size_t t = i;
		while (t < n && t - i < 64 && is_tchar(v[t]))
			t++;
		if (t == i || t >= n || v[t] != ':')
			continue;
		if (t + 2 < n && v[t + 1] == '/' && v[t + 2] == '/')
			continue; /* a URL on the next line */
		int fire;
		if (strict || in->paranoia >= 3)
			fire = 1;
		else
			fire = danger_header(v + i, t - i) && (prefix_ok || in->paranoia >= 2);
		if (fire) {
			hit->rule = strict ? "crlf.header_injection: line break then a header in a header-bound value"
					   : "crlf.header_injection: line break then a response header";
			hit->score = DET_SCORE_CRITICAL;
			hit->off = s;
			hit->len = t + 1 - s;
			return 1;
		}
	}
	return 0;
}
