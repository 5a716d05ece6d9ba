/* cookie.c - the Cookie header to targets, tolerant of what browsers and
 * applications really send. See include/sekisho/cookie.h. */
#include "sekisho/cookie.h"

#include "sekisho/decode.h"

/* RFC 7230 tchar: digits, letters and !#$%&'*+-.^_`|~ (a table built by
 * the compiler, as in classes.c). */
#define TCHAR(c)                                                                                           \
	(((c) >= '0' && (c) <= '9') || (((c) | 0x20) >= 'a' && ((c) | 0x20) <= 'z') || (c) == '!' ||      \
	 (c) == '#' || (c) == '$' || (c) == '%' || (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' || \
	 (c) == '-' || (c) == '.' || (c) == '^' || (c) == '_' || (c) == '`' || (c) == '|' || (c) == '~')
#define TC4(c) TCHAR(c), TCHAR((c) + 1), TCHAR((c) + 2), TCHAR((c) + 3)
#define TC16(c) TC4(c), TC4((c) + 4), TC4((c) + 8), TC4((c) + 12)
#define TC64(c) TC16(c), TC16((c) + 16), TC16((c) + 32), TC16((c) + 48)
static const bool tchar[256] = { TC64(0u), TC64(64u), TC64(128u), TC64(192u) };

bool cookie_token_name(sk_slice name)
{
	for (size_t i = 0; i < name.len; i++)
		if (!tchar[(unsigned char)name.p[i]])
			return false;
	return true;
}

static size_t piece_end(sk_slice s, size_t i)
{
	const char *semi = memchr(s.p + i, ';', s.len - i);
	return semi ? (size_t)(semi - s.p) : s.len;
}

int cookie_parse(sk_slice hv, arena *a, const http_limits *lim, target_emit_fn emit, void *ctx,
		 sk_error *err)
{
	if (hv.len == 0)
		return SK_OK;
	size_t pieces = 0;
	for (size_t i = 0; i <= hv.len;) {
		size_t j = piece_end(hv, i);
		if (sk_slice_trim_ows(sk_slice_make(hv.p + i, j - i)).len && ++pieces > lim->max_targets)
			return sk_fail(err, "too many cookies", i, 413);
		i = j + 1;
	}
	for (size_t i = 0; i <= hv.len;) {
		size_t j = piece_end(hv, i);
		sk_slice piece = sk_slice_trim_ows(sk_slice_make(hv.p + i, j - i));
		i = j + 1;
		if (piece.len == 0)
			continue;
		size_t off = (size_t)(piece.p - hv.p);
		const char *eq = memchr(piece.p, '=', piece.len);
		sk_slice raw_name = piece, raw_value = sk_slice_make(piece.p + piece.len, 0);
		if (eq) {
			raw_name = sk_slice_trim_ows(sk_slice_make(piece.p, (size_t)(eq - piece.p)));
			raw_value = sk_slice_trim_ows(
				sk_slice_make(eq + 1, (size_t)(piece.p + piece.len - eq - 1)));
		}
		/* RFC 6265 allows a value in DQUOTEs; the quotes are not data. */
		sk_slice inner = raw_value;
		if (inner.len >= 2 && inner.p[0] == '"' && inner.p[inner.len - 1] == '"')
			inner = sk_slice_make(inner.p + 1, inner.len - 2);
		uint32_t nflags = 0, vflags = 0;
		sk_slice name = url_decode(a, raw_name, false, lim->max_decode_passes, &nflags);
		sk_slice value = url_decode(a, inner, false, lim->max_decode_passes, &vflags);
		if ((!name.p && raw_name.len) || (!value.p && inner.len))
			return sk_fail(err, "arena exhausted", off, 413);
		target t = { LOC_COOKIE, vflags, name, raw_value, value };
		if (emit(ctx, &t) < 0)
			return sk_fail(err, "stopped by consumer", off, 400);
		if (!cookie_token_name(name)) {
			target tn = { LOC_COOKIE_NAME, nflags, name, raw_name, name };
			if (emit(ctx, &tn) < 0)
				return sk_fail(err, "stopped by consumer", off, 400);
		}
	}
	return SK_OK;
}
