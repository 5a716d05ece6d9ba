/* urlenc.c - application/x-www-form-urlencoded pairs to targets.
 * See include/sekisho/urlenc.h. */
#include "sekisho/urlenc.h"

#include "sekisho/decode.h"

bool urlenc_plain_name(sk_slice name)
{
	for (size_t i = 0; i < name.len; i++) {
		unsigned char c = (unsigned char)name.p[i];
		bool ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
			  c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

/* End of the pair that starts at i: the next '&' or the end of s. */
static size_t pair_end(sk_slice s, size_t i)
{
	const char *amp = memchr(s.p + i, '&', s.len - i);
	return amp ? (size_t)(amp - s.p) : s.len;
}

int urlenc_parse(sk_slice s, target_loc value_loc, target_loc name_loc, arena *a, const http_limits *lim,
		 target_emit_fn emit, void *ctx, sk_error *err)
{
	if (s.len == 0)
		return SK_OK;
	/* Count first: a request over the limit is refused before we spend
	 * arena and decoding time on thousands of dummies. */
	size_t pairs = 0;
	for (size_t i = 0; i <= s.len;) {
		size_t j = pair_end(s, i);
		if (j > i && ++pairs > lim->max_targets)
			return sk_fail(err, "too many parameters", i, 413);
		i = j + 1;
	}
	for (size_t i = 0; i <= s.len;) {
		size_t j = pair_end(s, i);
		if (j == i) {
			i = j + 1;
			continue;
		}
		sk_slice pair = sk_slice_make(s.p + i, j - i);
		const char *eq = memchr(pair.p, '=', pair.len);
		sk_slice raw_name = eq ? sk_slice_make(pair.p, (size_t)(eq - pair.p)) : pair;
		sk_slice raw_value = eq ? sk_slice_make(eq + 1, (size_t)(pair.p + pair.len - eq - 1))
					: sk_slice_make(pair.p + pair.len, 0);
		uint32_t nflags = 0, vflags = 0;
		sk_slice name = url_decode(a, raw_name, true, lim->max_decode_passes, &nflags);
		sk_slice value = url_decode(a, raw_value, true, lim->max_decode_passes, &vflags);
		if ((!name.p && raw_name.len) || (!value.p && raw_value.len))
			return sk_fail(err, "arena exhausted", i, 413);
		target t = { (uint8_t)value_loc, vflags, name, raw_value, value };
		if (emit(ctx, &t) < 0)
			return sk_fail(err, "stopped by consumer", i, 400);
		if (!urlenc_plain_name(name)) {
			target tn = { (uint8_t)name_loc, nflags, name, raw_name, name };
			if (emit(ctx, &tn) < 0)
				return sk_fail(err, "stopped by consumer", i, 400);
		}
		i = j + 1;
	}
	return SK_OK;
}
