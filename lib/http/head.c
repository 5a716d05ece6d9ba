/* head.c - the parts of a message head shared by requests and responses:
 * line splitting and header-field syntax (RFC 9112 section 5, RFC 9110 5.5).
 */
#include "head.h"

#include <string.h>

#include "sekisho/swar.h"

/* tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static const unsigned char tchar_table[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1,
	['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

bool http_is_tchar(unsigned char c)
{
	return tchar_table[c] != 0;
}

int head_next_line(const char *buf, size_t len, size_t pos, size_t max_line, int too_long_status,
		   const char *too_long_rule, size_t *line_len, sk_error *err)
{
	size_t avail = len - pos;
	size_t scan = avail < max_line + 2 ? avail : max_line + 2;
	const char *lf = memchr(buf + pos, '\n', scan);
	if (!lf) {
		if (avail >= max_line + 2)
			return sk_fail(err, too_long_rule, pos, too_long_status);
		/* A CR must only ever precede LF: catch a bare CR before waiting. */
		const char *cr = scan ? memchr(buf + pos, '\r', scan) : NULL;
		if (cr && (size_t)(cr - buf) + 1 < len)
			return sk_fail(err, "bare CR in message head", (size_t)(cr - buf), 400);
		return SK_AGAIN;
	}
	size_t n = (size_t)(lf - (buf + pos));
	if (n == 0 || buf[pos + n - 1] != '\r')
		return sk_fail(err, "bare LF line ending (CRLF required)", pos + n, 400);
	/* A CR inside the line needs no scan of its own: every byte of a
	 * complete line is validated by the caller (tokens, target, version,
	 * field values and reason phrases all refuse control bytes). */
	if (n - 1 > max_line)
		return sk_fail(err, too_long_rule, pos, too_long_status);
	*line_len = n - 1;
	return SK_OK;
}

int head_parse_field(const char *buf, size_t pos, size_t line_len, http_header *h, sk_error *err)
{
	const unsigned char *p = (const unsigned char *)buf + pos;
	if (p[0] == ' ' || p[0] == '\t')
		return sk_fail(err, "obs-fold (line folding) is not allowed", pos, 400);
	size_t i = 0;
	while (i < line_len && tchar_table[p[i]])
		i++;
	if (i == line_len)
		return sk_fail(err, "header field without ':'", pos + i, 400);
	if (p[i] != ':') {
		if (p[i] == ' ' || p[i] == '\t')
			return sk_fail(err, "whitespace between header name and ':'", pos + i, 400);
		return sk_fail(err, "invalid character in header name", pos + i, 400);
	}
	if (i == 0)
		return sk_fail(err, "empty header name", pos, 400);
	h->name = sk_slice_make(buf + pos, i);
	i++;
	while (i < line_len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	size_t vstart = i;
	i += swar_printable_prefix(p + i, line_len - i);
	for (; i < line_len; i++) {
		unsigned char c = p[i];
		/* field-vchar / SP / HTAB, with obs-text (0x80-0xFF) allowed. */
		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\t')
			continue;
		if (c == 0)
			return sk_fail(err, "NUL in header value", pos + i, 400);
		return sk_fail(err, "control character in header value", pos + i, 400);
	}
	size_t vend = line_len;
	while (vend > vstart && (p[vend - 1] == ' ' || p[vend - 1] == '\t'))
		vend--;
	h->value = sk_slice_make(buf + pos + vstart, vend - vstart);
	return SK_OK;
}

/* Strict Content-Length: 1*DIGIT, nothing else (no sign, no list, no spaces
 * inside, no hex). Bounded so that arithmetic on it cannot overflow. */
int head_content_length(sk_slice v, uint64_t *out, size_t off, sk_error *err)
{
	unsigned long long n;
	if (v.len == 0)
		return sk_fail(err, "empty Content-Length", off, 400);
	for (size_t i = 0; i < v.len; i++)
		if (v.p[i] < '0' || v.p[i] > '9')
			return sk_fail(err, "Content-Length is not a plain decimal number", off + i, 400);
	if (!sk_slice_to_u64(v, (1ull << 53), &n))
		return sk_fail(err, "Content-Length too large", off, 413);
	*out = n;
	return SK_OK;
}

/* Transfer-Encoding: we accept exactly one coding, "chunked". Anything else
 * either cannot be framed by us (gzip, identity: 501) or is a known
 * smuggling shape (repeated chunked, obfuscated spellings: 400). */
int head_transfer_encoding(sk_slice v, size_t off, sk_error *err)
{
	if (v.len == 0)
		return sk_fail(err, "empty Transfer-Encoding", off, 400);
	if (sk_slice_eq_ci(v, SK_LIT("chunked")))
		return SK_OK;
	if (sk_slice_find_ci(v, SK_LIT("chunked")) >= 0) {
		if (memchr(v.p, ',', v.len))
			return sk_fail(err, "repeated or layered transfer codings", off, 400);
		return sk_fail(err, "malformed Transfer-Encoding", off, 400);
	}
	return sk_fail(err, "unsupported transfer coding", off, 501);
}

/* Does a comma-separated header value contain `token` (case-insensitive)? */
bool head_list_has(sk_slice v, sk_slice token)
{
	size_t i = 0;
	while (i < v.len) {
		size_t j = i;
		while (j < v.len && v.p[j] != ',')
			j++;
		sk_slice item = sk_slice_trim_ows(sk_slice_make(v.p + i, j - i));
		if (sk_slice_eq_ci(item, token))
			return true;
		i = j + 1;
	}
	return false;
}
