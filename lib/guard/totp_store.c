/* totp_store.c - the TOTP secrets file, parsed and written on buffers.
 *
 *   # comment
 *   alice:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP:SHA1:6:57412345
 *
 * One user per line: name, the secret in unpadded base32, the HMAC
 * algorithm, the number of digits and the step of the last accepted code
 * (0 = none). The file is small and written by `sekisho totp` with an
 * atomic replace, so the parser is strict: anything unexpected is an error
 * with a line and column, never a guess, because a misread line would
 * either lock an admin out or silently drop replay protection.
 */
#include <stdlib.h>

#include <openssl/crypto.h>

#include "sekisho/totp.h"

static const char store_header[] =
	"# sekisho TOTP secrets - user:secret:algorithm:digits:last_used_step - keep 0600\n";

static bool user_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '@' || c == '-';
}

bool totp_user_name_ok(sk_slice name)
{
	if (name.len == 0 || name.len > TOTP_USER_MAX)
		return false;
	for (size_t i = 0; i < name.len; i++)
		if (!user_char_ok((unsigned char)name.p[i]))
			return false;
	return true;
}

static int store_fail(totp_store_error *err, const char *rule, size_t line, size_t col)
{
	if (err) {
		err->rule = rule;
		err->line = line;
		err->col = col;
	}
	return SK_ERR;
}

/* Grow the users array (in the arena) to hold one more. */
static bool store_reserve(totp_store *s, arena *a)
{
	if (s->n < s->cap)
		return true;
	if (s->n >= TOTP_STORE_MAX_USERS)
		return false;
	size_t ncap = s->cap ? s->cap * 2 : 16;
	if (ncap > TOTP_STORE_MAX_USERS)
		ncap = TOTP_STORE_MAX_USERS;
	totp_user *nu = arena_calloc(a, ncap, sizeof(*nu));
	if (!nu)
		return false;
	if (s->n)
		memcpy(nu, s->users, s->n * sizeof(*nu));
	s->users = nu;
	s->cap = ncap;
	return true;
}

/* Sort helper for the duplicate check: names compare as byte strings. */
static int name_cmp(const void *x, const void *y)
{
	const totp_user *a = *(const totp_user *const *)x, *b = *(const totp_user *const *)y;
	size_t n = a->name.len < b->name.len ? a->name.len : b->name.len;
	int c = memcmp(a->name.p, b->name.p, n);
	if (c)
		return c;
	return a->name.len < b->name.len ? -1 : a->name.len > b->name.len;
}

/* Parse the fields of one non-comment line `l` (no LF) at line number
 * `lno` into *u (its name still points into `l`). */
static int parse_fields(sk_slice l, size_t lno, totp_user *u, totp_store_error *err)
{
	sk_slice f[5];
	size_t start[5];
	size_t nf = 0, from = 0;
	for (size_t i = 0; i <= l.len; i++) {
		if (i == l.len || l.p[i] == ':') {
			if (nf == 5) /* point at the ':' that starts a sixth field */
				return store_fail(err, "too many fields (want user:secret:algorithm:digits:last_used_step)",
						  lno, start[4] + f[4].len + 1);
			f[nf] = sk_slice_make(l.p + from, i - from);
			start[nf++] = from;
			from = i + 1;
		}
	}
	if (nf != 5)
		return store_fail(err, "too few fields (want user:secret:algorithm:digits:last_used_step)", lno,
				  l.len + 1);

	u->line = lno;
	u->name = f[0];
	if (f[0].len == 0)
		return store_fail(err, "empty user name", lno, 1);
	if (f[0].len > TOTP_USER_MAX)
		return store_fail(err, "user name longer than 64 bytes", lno, 1);
	for (size_t i = 0; i < f[0].len; i++)
		if (!user_char_ok((unsigned char)f[0].p[i]))
			return store_fail(err, "user name may only contain A-Z a-z 0-9 . _ @ -", lno, i + 1);

	sk_error e;
	long n = base32_decode(f[1], false, u->key.secret, sizeof(u->key.secret), &e);
	if (n < 0) {
		size_t col = start[1] + 1 + (e.offset < f[1].len ? e.offset : f[1].len);
		return store_fail(err, e.rule, lno, col);
	}
	if ((size_t)n < TOTP_SECRET_MIN)
		return store_fail(err, "secret shorter than 16 bytes (RFC 4226 wants at least 128 bits)", lno,
				  start[1] + 1);
	u->key.secret_len = (size_t)n;

	if (!totp_alg_parse(f[2], &u->key.alg))
		return store_fail(err, "algorithm must be SHA1, SHA256 or SHA512", lno, start[2] + 1);

	if (sk_slice_eq(f[3], SK_LIT("6")))
		u->key.digits = 6;
	else if (sk_slice_eq(f[3], SK_LIT("8")))
		u->key.digits = 8;
	else
		return store_fail(err, "digits must be 6 or 8", lno, start[3] + 1);

	unsigned long long step;
	if (f[4].len == 0 || f[4].len > 20 || (f[4].len > 1 && f[4].p[0] == '0') ||
	    !sk_slice_to_u64(f[4], UINT64_MAX, &step))
		return store_fail(err, "last_used_step must be a decimal number without leading zeros", lno,
				  start[4] + 1);
	u->last_used_step = step;
	return SK_OK;
}

/* Parse one line and append its user to `s`. */
static int parse_line(sk_slice l, size_t lno, arena *a, totp_store *s, totp_store_error *err)
{
	totp_user u;
	memset(&u, 0, sizeof(u));
	int rc = parse_fields(l, lno, &u, err);
	if (rc == SK_OK && !store_reserve(s, a))
		rc = store_fail(err, s->n >= TOTP_STORE_MAX_USERS ? "more than 10000 users" : "out of memory", lno,
				1);
	if (rc == SK_OK) {
		u.name = arena_dup(a, u.name.p, u.name.len);
		if (u.name.p)
			s->users[s->n++] = u;
		else
			rc = store_fail(err, "out of memory", lno, 1);
	}
	/* The decoded secret sat on our stack: wipe the copy, on every path. */
	OPENSSL_cleanse(&u, sizeof(u));
	return rc;
}

int totp_store_parse(sk_slice text, arena *a, totp_store *out, totp_store_error *err)
{
	totp_store s = { NULL, 0, 0 };
	if (text.len > TOTP_STORE_MAX_BYTES)
		return store_fail(err, "file larger than 1 MiB", 1, 1);
	size_t lno = 0, pos = 0;
	while (pos < text.len) {
		lno++;
		const char *nl = memchr(text.p + pos, '\n', text.len - pos);
		size_t end = nl ? (size_t)(nl - text.p) : text.len;
		sk_slice l = sk_slice_make(text.p + pos, end - pos);
		pos = end + 1;
		if (l.len > TOTP_STORE_MAX_LINE)
			return store_fail(err, "line longer than 512 bytes", lno, TOTP_STORE_MAX_LINE + 1);
		const char *cr = l.len ? memchr(l.p, '\r', l.len) : NULL;
		if (cr)
			return store_fail(err, "carriage return (the file must use LF line ends)", lno,
					  (size_t)(cr - l.p) + 1);
		if (l.len == 0 || l.p[0] == '#')
			continue;
		if (parse_line(l, lno, a, &s, err) != SK_OK)
			return SK_ERR;
	}
	/* Duplicates: sort pointers and compare neighbours (n log n; a file of
	 * 10000 users must not cost 10^8 comparisons). Report the later line. */
	if (s.n > 1) {
		const totp_user **idx = arena_calloc(a, s.n, sizeof(*idx));
		if (!idx)
			return store_fail(err, "out of memory", lno, 1);
		for (size_t i = 0; i < s.n; i++)
			idx[i] = &s.users[i];
		qsort(idx, s.n, sizeof(*idx), name_cmp);
		for (size_t i = 1; i < s.n; i++)
			if (sk_slice_eq(idx[i - 1]->name, idx[i]->name)) {
				size_t l1 = idx[i - 1]->line, l2 = idx[i]->line;
				return store_fail(err, "user appears twice", l1 > l2 ? l1 : l2, 1);
			}
	}
	*out = s;
	return SK_OK;
}

long totp_store_find(const totp_store *s, sk_slice name)
{
	for (size_t i = 0; i < s->n; i++)
		if (sk_slice_eq(s->users[i].name, name))
			return (long)i;
	return -1;
}

long totp_store_put(totp_store *s, arena *a, const totp_user *u, bool replace)
{
	if (!totp_user_name_ok(u->name) || u->key.secret_len < TOTP_SECRET_MIN ||
	    u->key.secret_len > TOTP_SECRET_MAX || (u->key.digits != 6 && u->key.digits != 8) ||
	    (u->key.alg != TOTP_SHA1 && u->key.alg != TOTP_SHA256 && u->key.alg != TOTP_SHA512))
		return SK_ERR;
	long i = totp_store_find(s, u->name);
	if (i >= 0 && !replace)
		return SK_ERR;
	sk_slice name = arena_dup(a, u->name.p, u->name.len);
	if (!name.p)
		return SK_ERR;
	if (i < 0) {
		if (!store_reserve(s, a))
			return SK_ERR;
		i = (long)s->n++;
	}
	s->users[i] = *u;
	s->users[i].name = name;
	return i;
}

size_t totp_store_serialised_max(const totp_store *s)
{
	/* name + ':' + base32(64) + ':' + "SHA512" + ':' + "8" + ':' + 20 digits + LF */
	size_t per = TOTP_USER_MAX + 1 + base32_encoded_len(TOTP_SECRET_MAX, false) + 1 + 6 + 1 + 1 + 1 +
		     20 + 1;
	return sizeof(store_header) - 1 + s->n * per;
}

/* Append `n` bytes at *o if they fit under `cap`. */
static bool put(char *out, size_t cap, size_t *o, const char *p, size_t n)
{
	if (n > cap - *o)
		return false;
	memcpy(out + *o, p, n);
	*o += n;
	return true;
}

long totp_store_serialise(const totp_store *s, char *out, size_t cap)
{
	size_t o = 0;
	if (!put(out, cap, &o, store_header, sizeof(store_header) - 1))
		return SK_ERR;
	for (size_t i = 0; i < s->n; i++) {
		const totp_user *u = &s->users[i];
		char b32[128];
		size_t bn = base32_encode(u->key.secret, u->key.secret_len, false, b32, sizeof(b32));
		if (!bn || u->key.secret_len > TOTP_SECRET_MAX)
			return SK_ERR;
		char num[24];
		size_t nn = 0;
		uint64_t v = u->last_used_step;
		do {
			num[sizeof(num) - 1 - nn++] = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		const char *alg = totp_alg_name(u->key.alg);
		char digits = u->key.digits == 8 ? '8' : '6';
		bool ok = put(out, cap, &o, u->name.p, u->name.len) && put(out, cap, &o, ":", 1) &&
			  put(out, cap, &o, b32, bn) && put(out, cap, &o, ":", 1) &&
			  put(out, cap, &o, alg, strlen(alg)) && put(out, cap, &o, ":", 1) &&
			  put(out, cap, &o, &digits, 1) && put(out, cap, &o, ":", 1) &&
			  put(out, cap, &o, num + sizeof(num) - nn, nn) && put(out, cap, &o, "\n", 1);
		memset(b32, 0, sizeof(b32));
		if (!ok)
			return SK_ERR;
	}
	return (long)o;
}
