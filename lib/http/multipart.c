/* multipart.c - streaming multipart/form-data parser; see include/sekisho/multipart.h
 * and docs/internals/multipart.md.
 *
 * The body is a byte stream in which the delimiter "\r\n--boundary" is
 * searched with a counter of matched bytes. '\r' occurs in the delimiter only
 * at its first position (a boundary has no CR), so on a mismatch the only
 * possible restart is at the current byte: no table, no backtracking, and
 * the bytes that were matched are known (they are a prefix of the delimiter)
 * so they never need to be kept from an earlier chunk. Before the first
 * delimiter the parser behaves as if "\r\n" had been seen, so a body may
 * start with "--boundary".
 */
#include "sekisho/multipart.h"

#include <string.h>

#include "sekisho/decode.h"

enum mp_state {
	MP_UNINIT = 0,  /* zeroed, multipart_init not called */
	MP_PREAMBLE,    /* before the first delimiter: bytes are discarded */
	MP_AFTER_DELIM, /* "\r\n--boundary" seen: "--", padding or CRLF next */
	MP_PAD,         /* transport padding after a delimiter */
	MP_DELIM_LF,    /* CR after a delimiter, LF next */
	MP_CLOSE_DASH,  /* "-" after the boundary, a second "-" next */
	MP_CLOSE_PAD,   /* close delimiter seen; padding, CRLF or end next */
	MP_CLOSE_LF,    /* CR after the close delimiter, LF next */
	MP_EPILOGUE,    /* after the close delimiter line: ignored */
	MP_HEADER,      /* inside a part header line */
	MP_HEADER_LF,   /* CR ending a part header line, LF next */
	MP_CONTENT,     /* part content, up to the next delimiter */
	MP_DONE,        /* multipart_finish succeeded */
	MP_ERROR,       /* sticky; st->err holds the reason */
};

enum {
	MP_SEEN_CD = 1u << 0,
	MP_SEEN_CT = 1u << 1,
	MP_SEEN_CTE = 1u << 2,
	MP_SEEN_NAME = 1u << 3,
	MP_SEEN_FILENAME = 1u << 4,
	MP_SEEN_FILENAME_STAR = 1u << 5,
	MP_TRUNCATED = 1u << 6,
};

/* First scratch allocation; doubled as needed up to the relevant limit. */
#define MP_MIN_BUF 256

static int mp_fail(multipart_state *st, const char *rule, int status)
{
	st->err.rule = rule;
	st->err.offset = st->pos;
	st->err.status = status;
	st->state = MP_ERROR;
	return SK_ERR;
}

/* ---- byte classes ---- */

/* RFC 2046 bcharsnospace. */
static bool mp_is_bchar_nospace(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("'()+_,-./:=?", c) != NULL;
}

/* RFC 2045 token character (tspecials, space and CTLs excluded). */
static bool mp_is_token(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool mp_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Flags of a kept value: NUL, other CTLs, high bytes, invalid or overlong
 * UTF-8 (Shift_JIS and EUC-JP land in TF_INVALID_UTF8). */
static uint32_t mp_value_flags(sk_slice v)
{
	return byte_flags(v) | utf8_flags(v);
}

/* File content looks binary when it has a NUL, or when more than one byte
 * in ten is a control byte other than the whitespace of text files. Bytes
 * >= 0x80 count as text: Japanese files are full of them. */
static bool mp_looks_binary(sk_slice v)
{
	size_t ctl = 0;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == 0)
			return true;
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b) || c == 0x7f)
			ctl++;
	}
	return ctl * 10 > v.len;
}

static bool mp_has_high(sk_slice v)
{
	unsigned char any = 0;
	for (size_t i = 0; i < v.len; i++)
		any |= (unsigned char)v.p[i];
	return any & 0x80;
}

/* Flags of file content. UTF-8 facts are noise for binary data (images,
 * archives) and the costliest scan here, so binary content gets only the
 * byte facts and TF_HIGH_BYTES. */
static uint32_t mp_file_flags(sk_slice v)
{
	uint32_t f = byte_flags(v);
	if ((f & TF_NUL) || ((f & TF_CTL) && mp_looks_binary(v)))
		return f | TF_BINARY | (mp_has_high(v) ? TF_HIGH_BYTES : 0);
	return f | utf8_flags(v);
}

/* ---- boundary from Content-Type ---- */

/* Check an extracted boundary against RFC 2046 5.1.1. */
static const char *mp_boundary_problem(sk_slice b)
{
	if (b.len == 0)
		return "multipart boundary is empty";
	if (b.len > MULTIPART_MAX_BOUNDARY)
		return "multipart boundary is longer than 70 characters";
	for (size_t i = 0; i < b.len; i++) {
		unsigned char c = (unsigned char)b.p[i];
		if (!mp_is_bchar_nospace(c) && c != ' ')
			return "multipart boundary has a character outside RFC 2046 bchars";
	}
	if (b.p[b.len - 1] == ' ')
		return "multipart boundary ends in a space";
	return NULL;
}

/* One "name=value" media-type parameter starting at s[*i] (after OWS).
 * Sets *name, *value (quotes removed, escapes kept) and advances *i past
 * the value and trailing OWS. Returns a rule on a malformed parameter. */
static const char *mp_param(sk_slice s, size_t *i, sk_slice *name, sk_slice *value, bool *quoted)
{
	size_t k = *i, start = k;
	while (k < s.len && mp_is_token((unsigned char)s.p[k]))
		k++;
	if (k == start)
		return "parameter name is empty or malformed";
	*name = sk_slice_make(s.p + start, k - start);
	while (k < s.len && mp_is_ows(s.p[k]))
		k++;
	if (k >= s.len || s.p[k] != '=')
		return "parameter without a value";
	k++;
	while (k < s.len && mp_is_ows(s.p[k]))
		k++;
	*quoted = k < s.len && s.p[k] == '"';
	if (*quoted) {
		start = ++k;
		size_t backslashes = 0;
		for (;;) {
			if (k >= s.len)
				return "unterminated quoted parameter";
			char c = s.p[k];
			if (c == '"') {
				/* A quote after an odd run of backslashes ends the string for
				 * a parser that ignores escapes and not for one that honours
				 * them: two readings, so refuse. */
				if (backslashes & 1)
					return "backslash before a quote in a quoted parameter is ambiguous";
				break;
			}
			backslashes = c == '\\' ? backslashes + 1 : 0;
			k++;
		}
		*value = sk_slice_make(s.p + start, k - start);
		k++;
	} else {
		start = k;
		/* Bytes >= 0x80 are allowed unquoted: legacy clients send raw
		 * Shift_JIS or UTF-8 names. */
		while (k < s.len && (mp_is_token((unsigned char)s.p[k]) || (unsigned char)s.p[k] >= 0x80))
			k++;
		if (k == start)
			return "parameter value is empty or malformed";
		*value = sk_slice_make(s.p + start, k - start);
	}
	while (k < s.len && mp_is_ows(s.p[k]))
		k++;
	if (k < s.len && s.p[k] != ';')
		return "text after a parameter value";
	*i = k;
	return NULL;
}

int multipart_boundary(sk_slice ct, sk_slice *boundary, sk_error *err)
{
	if (!ct.p)
		return sk_fail(err, "Content-Type is not multipart/form-data", 0, 400);
	size_t i = 0;
	while (i < ct.len && mp_is_ows(ct.p[i]))
		i++;
	static const char type[] = "multipart/form-data";
	size_t tl = sizeof(type) - 1;
	if (!sk_slice_prefix_ci(sk_slice_make(ct.p + i, ct.len - i), sk_slice_make(type, tl)))
		return sk_fail(err, "Content-Type is not multipart/form-data", i, 400);
	i += tl;
	bool found = false;
	for (;;) {
		while (i < ct.len && mp_is_ows(ct.p[i]))
			i++;
		if (i == ct.len)
			break;
		if (ct.p[i] != ';')
			return sk_fail(err, "Content-Type is not multipart/form-data", i, 400);
		i++;
		while (i < ct.len && mp_is_ows(ct.p[i]))
			i++;
		if (i == ct.len)
			break; /* a trailing ';' is harmless */
		sk_slice name, value;
		bool quoted;
		size_t at = i;
		const char *bad = mp_param(ct, &i, &name, &value, &quoted);
		if (bad)
			return sk_fail(err, bad, i, 400);
		if (!sk_slice_eq_ci(name, SK_LIT("boundary")))
			continue;
		if (found)
			return sk_fail(err, "duplicate boundary parameter", at, 400);
		found = true;
		bad = mp_boundary_problem(value);
		if (bad)
			return sk_fail(err, bad, at, 400);
		*boundary = value;
	}
	if (!found)
		return sk_fail(err, "multipart Content-Type without a boundary", ct.len, 400);
	return SK_OK;
}

/* ---- state and scratch ---- */

void multipart_init(multipart_state *st, sk_slice boundary, arena *a, const http_limits *lim,
		    target_emit_fn emit, void *ctx)
{
	memset(st, 0, sizeof(*st));
	st->a = a;
	st->emit = emit;
	st->ctx = ctx;
	http_limits dflt;
	if (!lim) {
		http_limits_default(&dflt);
		lim = &dflt;
	}
	st->max_header_line = lim->max_header_line;
	st->max_headers = lim->max_headers;
	st->max_inspect = lim->max_body_inspect;
	st->max_parts = lim->max_parts;
	if (!a || mp_boundary_problem(boundary)) {
		mp_fail(st, "invalid multipart boundary", 400);
		return;
	}
	memcpy(st->delim, "\r\n--", 4);
	memcpy(st->delim + 4, boundary.p, boundary.len);
	st->delim_len = (uint8_t)(4 + boundary.len);
	st->state = MP_PREAMBLE;
	st->match = 2; /* as if the body were preceded by CRLF */
}

/* Make room for `need` bytes in the scratch buffer (need <= the caller's
 * limit). Growth is geometric, so the arena spends at most twice the
 * largest line or kept content on scratch. */
static int mp_reserve(multipart_state *st, size_t need)
{
	if (need <= st->cap)
		return SK_OK;
	size_t cap = st->cap ? st->cap : MP_MIN_BUF;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *nb = arena_alloc(st->a, cap);
	if (!nb) {
		/* Retry with the exact size before giving up: the cap may fit it. */
		cap = need;
		nb = arena_alloc(st->a, cap);
		if (!nb)
			return mp_fail(st, "multipart body exceeds the request arena", 413);
	}
	if (st->len)
		memcpy(nb, st->buf, st->len);
	st->buf = nb;
	st->cap = cap;
	return SK_OK;
}

/* Append content bytes; past max_inspect they are dropped and the part is
 * marked truncated. */
static int mp_content(multipart_state *st, const char *p, size_t n)
{
	if (st->len >= st->max_inspect) {
		if (n)
			st->seen |= MP_TRUNCATED;
		return SK_OK;
	}
	size_t take = st->max_inspect - st->len;
	if (take > n)
		take = n;
	else if (take < n)
		st->seen |= MP_TRUNCATED;
	if (mp_reserve(st, st->len + take) != SK_OK)
		return SK_ERR;
	memcpy(st->buf + st->len, p, take);
	st->len += take;
	return SK_OK;
}

static int mp_emit(multipart_state *st, target_loc loc, sk_slice name, sk_slice raw, sk_slice value,
		   uint32_t flags)
{
	target t = { .loc = (uint8_t)loc, .flags = flags, .name = name, .raw = raw, .value = value };
	if (st->emit && st->emit(st->ctx, &t) < 0)
		return mp_fail(st, "stopped by consumer", 400);
	return SK_OK;
}

/* Copy into the arena; empty values share a literal. */
static int mp_dup(multipart_state *st, sk_slice v, sk_slice *out)
{
	if (v.len == 0) {
		*out = SK_LIT("");
		return SK_OK;
	}
	*out = arena_dup(st->a, v.p, v.len);
	if (!out->p)
		return mp_fail(st, "multipart body exceeds the request arena", 413);
	return SK_OK;
}

/* ---- part headers ---- */

/* RFC 8187 ext-value: charset "'" [language] "'" pct-encoded bytes. The
 * bytes are percent-decoded into the arena and not transcoded (UTF-8 and
 * ISO-8859-1 are the only charsets in use; flags describe the bytes). */
static int mp_filename_star(multipart_state *st, sk_slice raw, sk_slice *out, uint32_t *flags)
{
	const char *q1 = memchr(raw.p, '\'', raw.len);
	const char *q2 = q1 ? memchr(q1 + 1, '\'', raw.len - (size_t)(q1 + 1 - raw.p)) : NULL;
	if (!q1 || q1 == raw.p || !q2)
		return mp_fail(st, "malformed filename* parameter", 400);
	sk_slice enc = sk_slice_make(q2 + 1, raw.len - (size_t)(q2 + 1 - raw.p));
	char *d = arena_alloc(st->a, enc.len + 1);
	if (!d)
		return mp_fail(st, "multipart body exceeds the request arena", 413);
	size_t n = 0;
	for (size_t i = 0; i < enc.len; i++) {
		int hi, lo;
		if (enc.p[i] == '%' && i + 2 < enc.len &&
		    (hi = sk_hexval((unsigned char)enc.p[i + 1])) >= 0 &&
		    (lo = sk_hexval((unsigned char)enc.p[i + 2])) >= 0) {
			d[n++] = (char)(hi * 16 + lo);
			i += 2;
			continue;
		}
		if (enc.p[i] == '%')
			*flags |= TF_INVALID_ESCAPE;
		d[n++] = enc.p[i];
	}
	d[n] = '\0';
	*out = sk_slice_make(d, n);
	return SK_OK;
}

/* Content-Disposition: form-data *( ";" parameter ). Keeps name, filename
 * and filename* of the part in the arena. */
static int mp_disposition(multipart_state *st, sk_slice v)
{
	size_t i = 0;
	while (i < v.len && mp_is_token((unsigned char)v.p[i]))
		i++;
	if (!sk_slice_eq_ci(sk_slice_make(v.p, i), SK_LIT("form-data")))
		return mp_fail(st, "part Content-Disposition is not form-data", 400);
	for (;;) {
		while (i < v.len && mp_is_ows(v.p[i]))
			i++;
		if (i == v.len)
			break;
		if (v.p[i] != ';')
			return mp_fail(st, "malformed part Content-Disposition", 400);
		i++;
		while (i < v.len && mp_is_ows(v.p[i]))
			i++;
		if (i == v.len)
			break;
		sk_slice name, value;
		bool quoted;
		const char *bad = mp_param(v, &i, &name, &value, &quoted);
		if (bad)
			return mp_fail(st, bad, 400);
		unsigned bit;
		sk_slice *dst;
		if (sk_slice_eq_ci(name, SK_LIT("name"))) {
			bit = MP_SEEN_NAME;
			dst = &st->name;
		} else if (sk_slice_eq_ci(name, SK_LIT("filename"))) {
			bit = MP_SEEN_FILENAME;
			dst = &st->filename;
		} else if (sk_slice_eq_ci(name, SK_LIT("filename*"))) {
			bit = MP_SEEN_FILENAME_STAR;
			dst = &st->filename_star;
		} else if (sk_slice_eq_ci(name, SK_LIT("name*"))) {
			/* RFC 7578 has no name*; some frameworks decode it, some not. */
			return mp_fail(st, "name* parameter in a part is ambiguous", 400);
		} else {
			continue; /* unknown parameters carry nothing we act on */
		}
		if (st->seen & bit)
			return mp_fail(st, "duplicate parameter in part Content-Disposition", 400);
		st->seen |= bit;
		if (mp_dup(st, value, dst) != SK_OK)
			return SK_ERR;
	}
	return SK_OK;
}

/* One complete part header line (without CRLF) in st->buf. */
static int mp_header_line(multipart_state *st)
{
	sk_slice line = sk_slice_make(st->buf, st->len);
	if (++st->headers > st->max_headers)
		return mp_fail(st, "too many headers in a multipart part", 431);
	if (mp_is_ows(line.p[0]))
		return mp_fail(st, "obs-fold in a part header", 400);
	size_t c = 0;
	while (c < line.len && mp_is_token((unsigned char)line.p[c]))
		c++;
	if (c == 0 || c == line.len || line.p[c] != ':')
		return mp_fail(st, "malformed part header line", 400);
	sk_slice hname = sk_slice_make(line.p, c);
	sk_slice value = sk_slice_trim_ows(sk_slice_make(line.p + c + 1, line.len - c - 1));
	for (size_t i = 0; i < value.len; i++) {
		unsigned char b = (unsigned char)value.p[i];
		if ((b < 0x20 && b != '\t') || b == 0x7f)
			return mp_fail(st, "control byte in a part header", 400);
	}

	if (sk_slice_eq_ci(hname, SK_LIT("Content-Disposition"))) {
		if (st->seen & MP_SEEN_CD)
			return mp_fail(st, "duplicate Content-Disposition in a part", 400);
		st->seen |= MP_SEEN_CD;
		return mp_disposition(st, value);
	}
	if (sk_slice_eq_ci(hname, SK_LIT("Content-Type"))) {
		if (st->seen & MP_SEEN_CT)
			return mp_fail(st, "duplicate Content-Type in a part", 400);
		st->seen |= MP_SEEN_CT;
		/* A nested multipart/mixed body (RFC 2388) would have its own
		 * boundaries that we would not parse. */
		if (sk_slice_prefix_ci(value, SK_LIT("multipart/")))
			return mp_fail(st, "nested multipart part", 400);
	} else if (sk_slice_eq_ci(hname, SK_LIT("Content-Transfer-Encoding"))) {
		if (st->seen & MP_SEEN_CTE)
			return mp_fail(st, "duplicate Content-Transfer-Encoding in a part", 400);
		st->seen |= MP_SEEN_CTE;
		/* RFC 7578 4.7 deprecates it; base64 or quoted-printable parts
		 * would hide their content from the detectors. */
		if (!sk_slice_eq_ci(value, SK_LIT("7bit")) && !sk_slice_eq_ci(value, SK_LIT("8bit")) &&
		    !sk_slice_eq_ci(value, SK_LIT("binary")))
			return mp_fail(st, "part Content-Transfer-Encoding other than 7bit, 8bit or binary", 400);
	}
	sk_slice n, v;
	if (mp_dup(st, hname, &n) != SK_OK || mp_dup(st, value, &v) != SK_OK)
		return SK_ERR;
	return mp_emit(st, LOC_MULTIPART_HEADER, n, v, v, mp_value_flags(v));
}

/* The blank line after the part headers: check the part and emit its file
 * names; the content starts. */
static int mp_headers_done(multipart_state *st)
{
	if (!(st->seen & MP_SEEN_CD))
		return mp_fail(st, "part without Content-Disposition: form-data", 400);
	if (!(st->seen & MP_SEEN_NAME))
		return mp_fail(st, "part Content-Disposition without a name", 400);
	if (st->seen & MP_SEEN_FILENAME) {
		if (mp_emit(st, LOC_MULTIPART_FILENAME, st->name, st->filename, st->filename,
			    mp_value_flags(st->filename)) != SK_OK)
			return SK_ERR;
	}
	if (st->seen & MP_SEEN_FILENAME_STAR) {
		sk_slice dec;
		uint32_t flags = 0;
		if (mp_filename_star(st, st->filename_star, &dec, &flags) != SK_OK)
			return SK_ERR;
		if (mp_emit(st, LOC_MULTIPART_FILENAME, st->name, st->filename_star, dec,
			    flags | mp_value_flags(dec)) != SK_OK)
			return SK_ERR;
	}
	st->len = 0;
	st->state = MP_CONTENT;
	return SK_OK;
}

/* The content of the current part is complete: emit it. */
static int mp_part_done(multipart_state *st, uint32_t extra)
{
	/* The content is emitted in place and the scratch buffer continues
	 * after it, so a part is never copied twice. */
	sk_slice v = SK_LIT("");
	if (st->len) {
		v = sk_slice_make(st->buf, st->len);
		st->buf += st->len;
		st->cap -= st->len;
		st->len = 0;
	}
	bool file = st->seen & (MP_SEEN_FILENAME | MP_SEEN_FILENAME_STAR);
	uint32_t flags = extra | (file ? mp_file_flags(v) : mp_value_flags(v));
	if (st->seen & MP_TRUNCATED)
		flags |= TF_TRUNCATED;
	return mp_emit(st, file ? LOC_MULTIPART_FILE : LOC_MULTIPART_FIELD, st->name, v, v, flags);
}

/* A new part begins after a delimiter line. */
static int mp_part_start(multipart_state *st)
{
	if (++st->parts > st->max_parts)
		return mp_fail(st, "too many multipart parts", 413);
	st->seen = 0;
	st->headers = 0;
	st->len = 0;
	st->name = st->filename = st->filename_star = SK_SLICE_NULL;
	st->state = MP_HEADER;
	return SK_OK;
}

/* ---- the stream ---- */

/* Scan preamble or content for the delimiter. Consumes up to n bytes and
 * returns how many in *used; on a complete delimiter it ends the part and
 * moves to MP_AFTER_DELIM. */
static int mp_scan(multipart_state *st, const char *p, size_t n, size_t *used)
{
	bool keep = st->state == MP_CONTENT;
	size_t i = 0;
	while (i < n) {
		if (st->match == 0) {
			/* Fast path: everything up to the next CR is content. */
			const char *cr = memchr(p + i, '\r', n - i);
			size_t run = cr ? (size_t)(cr - (p + i)) : n - i;
			if (keep && run && mp_content(st, p + i, run) != SK_OK)
				return SK_ERR;
			i += run;
			if (!cr)
				break;
			st->match = 1;
			i++;
			continue;
		}
		if (p[i] == st->delim[st->match]) {
			i++;
			if (++st->match < st->delim_len)
				continue;
			st->match = 0;
			*used = i;
			st->pos += i;
			if (keep && mp_part_done(st, 0) != SK_OK)
				return SK_ERR;
			st->pos -= i;
			st->state = MP_AFTER_DELIM;
			return SK_OK;
		}
		/* Mismatch: the matched bytes were content. The current byte is
		 * looked at again with match 0 (it may be the CR of a delimiter). */
		if (keep && mp_content(st, st->delim, st->match) != SK_OK)
			return SK_ERR;
		st->match = 0;
	}
	*used = i;
	return SK_OK;
}

/* Header bytes up to CR; a bare LF is an error. Returns bytes consumed. */
static int mp_header_bytes(multipart_state *st, const char *p, size_t n, size_t *used)
{
	size_t i = 0;
	while (i < n && p[i] != '\r' && p[i] != '\n')
		i++;
	if (i) {
		if (i > st->max_header_line - st->len) {
			st->pos += st->max_header_line - st->len;
			return mp_fail(st, "part header line too long", 431);
		}
		if (mp_reserve(st, st->len + i) != SK_OK)
			return SK_ERR;
		memcpy(st->buf + st->len, p, i);
		st->len += i;
	}
	if (i < n) {
		if (p[i] == '\n') {
			st->pos += i;
			return mp_fail(st, "bare LF in a part header", 400);
		}
		st->state = MP_HEADER_LF;
		i++;
	}
	*used = i;
	return SK_OK;
}

/* One byte of the small line states around delimiters. */
static int mp_delim_byte(multipart_state *st, char c)
{
	switch (st->state) {
	case MP_AFTER_DELIM:
	case MP_PAD:
		if (c == '-' && st->state == MP_AFTER_DELIM)
			st->state = MP_CLOSE_DASH;
		else if (mp_is_ows(c))
			st->state = MP_PAD;
		else if (c == '\r')
			st->state = MP_DELIM_LF;
		else if (c == '\n')
			return mp_fail(st, "boundary line not ended by CRLF", 400);
		else
			return mp_fail(st, "text after a multipart boundary", 400);
		return SK_OK;
	case MP_DELIM_LF:
		if (c != '\n')
			return mp_fail(st, "boundary line not ended by CRLF", 400);
		return mp_part_start(st);
	case MP_CLOSE_DASH:
		if (c != '-')
			return mp_fail(st, "text after a multipart boundary", 400);
		st->state = MP_CLOSE_PAD;
		return SK_OK;
	case MP_CLOSE_PAD:
		if (mp_is_ows(c))
			return SK_OK;
		if (c == '\n')
			return mp_fail(st, "close delimiter line not ended by CRLF", 400);
		if (c != '\r')
			return mp_fail(st, "text after the multipart close delimiter", 400);
		st->state = MP_CLOSE_LF;
		return SK_OK;
	case MP_CLOSE_LF:
		if (c != '\n')
			return mp_fail(st, "close delimiter line not ended by CRLF", 400);
		st->state = MP_EPILOGUE;
		return SK_OK;
	case MP_HEADER_LF:
		if (c != '\n')
			return mp_fail(st, "bare CR in a part header", 400);
		if (st->len == 0)
			return mp_headers_done(st);
		if (mp_header_line(st) != SK_OK)
			return SK_ERR;
		st->len = 0;
		st->state = MP_HEADER;
		return SK_OK;
	default:
		return mp_fail(st, "multipart parser in an impossible state", 500);
	}
}

static int mp_error(const multipart_state *st, sk_error *err)
{
	if (err)
		*err = st->err;
	return SK_ERR;
}

int multipart_feed(multipart_state *st, const char *p, size_t n, sk_error *err)
{
	if (st->state == MP_UNINIT)
		return sk_fail(err, "multipart_init was not called", 0, 500);
	if (st->state == MP_DONE)
		return sk_fail(err, "multipart body fed after its end", st->pos, 500);
	size_t i = 0;
	while (i < n && st->state != MP_ERROR) {
		size_t used = 0;
		int rc = SK_OK;
		switch (st->state) {
		case MP_PREAMBLE:
		case MP_CONTENT:
			rc = mp_scan(st, p + i, n - i, &used);
			break;
		case MP_HEADER:
			rc = mp_header_bytes(st, p + i, n - i, &used);
			break;
		case MP_EPILOGUE:
			used = n - i;
			break;
		default:
			rc = mp_delim_byte(st, p[i]);
			used = 1;
			break;
		}
		if (rc != SK_OK)
			break;
		i += used;
		st->pos += used;
	}
	if (st->state == MP_ERROR)
		return mp_error(st, err);
	return SK_OK;
}

int multipart_finish(multipart_state *st, sk_error *err)
{
	switch (st->state) {
	case MP_UNINIT:
		return sk_fail(err, "multipart_init was not called", 0, 500);
	case MP_ERROR:
		return mp_error(st, err);
	case MP_EPILOGUE:
	case MP_CLOSE_PAD: /* "--boundary--" right at the end of the body */
	case MP_DONE:
		st->state = MP_DONE;
		return SK_OK;
	case MP_CONTENT:
		/* Inspect what arrived even though the body is refused. */
		if (st->match && mp_content(st, st->delim, st->match) != SK_OK)
			return mp_error(st, err);
		if (mp_part_done(st, TF_MALFORMED) != SK_OK)
			return mp_error(st, err);
		mp_fail(st, "missing final boundary", 400);
		return mp_error(st, err);
	default:
		mp_fail(st, "missing final boundary", 400);
		return mp_error(st, err);
	}
}
