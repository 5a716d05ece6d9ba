/* path.c - normalisation of a decoded request path.
 * Dot segments after RFC 3986 5.2.4, plus what servers behind us really do:
 * backslash as a separator (IIS), ';params' cut from segments (Tomcat, so
 * "/..;/" is a "..") and duplicate slashes collapsed. See decode.h. */
#include "sekisho/decode.h"

static inline bool is_sep(char c)
{
	return c == '/' || c == '\\';
}

/* The segment p[i..j) with any ';params' cut off. */
static size_t seg_len(const char *p, size_t i, size_t j)
{
	const char *semi = memchr(p + i, ';', j - i);
	return semi ? (size_t)(semi - (p + i)) : j - i;
}

static bool is_dot(const char *p, size_t n)
{
	return n == 1 && p[0] == '.';
}

static bool is_dotdot(const char *p, size_t n)
{
	return n == 2 && p[0] == '.' && p[1] == '.';
}

/* True when normalising would not change `s`: no backslash, no ';', no
 * empty segment except the root and a trailing one, no dot segment. */
static bool path_is_normal(sk_slice s)
{
	if (memchr(s.p, '\\', s.len) || memchr(s.p, ';', s.len))
		return false;
	size_t i = 0;
	while (i <= s.len) {
		const char *slash = memchr(s.p + i, '/', s.len - i);
		size_t j = slash ? (size_t)(slash - s.p) : s.len;
		size_t n = j - i;
		if (n == 0 && i != 0 && j != s.len)
			return false; /* "//" */
		if (is_dot(s.p + i, n) || is_dotdot(s.p + i, n))
			return false;
		i = j + 1;
	}
	return true;
}

sk_slice path_normalise(arena *a, sk_slice path, uint32_t *flags)
{
	if (path.len == 0 || path_is_normal(path))
		return path;
	char *out = arena_alloc(a, path.len + 1);
	if (!out)
		return SK_SLICE_NULL;
	uint32_t f = memchr(path.p, '\\', path.len) ? TF_BACKSLASH : 0;
	const char *p = path.p;
	size_t o = 0, base = 0, i = 0;
	if (is_sep(p[0])) {
		out[o++] = '/';
		base = 1;
		i = 1;
	}
	bool trailing = false;
	while (i <= path.len) {
		size_t j = i;
		while (j < path.len && !is_sep(p[j]))
			j++;
		size_t n = seg_len(p, i, j);
		bool had_sep_before = i > 0;
		trailing = false;
		if (n == 0 || is_dot(p + i, n)) {
			trailing = had_sep_before;
		} else if (is_dotdot(p + i, n)) {
			trailing = had_sep_before;
			if (o == base) {
				f |= TF_PATH_TRAVERSAL;
			} else {
				/* Drop the last output segment and its separator. Each
				 * output byte is dropped at most once: linear overall. */
				while (o > base && out[o - 1] != '/')
					o--;
				if (o > base)
					o--;
			}
		} else {
			if (o > base)
				out[o++] = '/';
			memcpy(out + o, p + i, n);
			o += n;
		}
		i = j + 1;
	}
	if (trailing && o > base)
		out[o++] = '/';
	out[o] = '\0';
	if (flags)
		*flags |= f;
	return sk_slice_make(out, o);
}
