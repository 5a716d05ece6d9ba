/* fuzz_password.c - the password list parser and the check. Every line of
 * the input that pwlist_build keeps must be found again, the stats must add
 * up to the lines, and password_chars never exceeds the byte count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sk_slice in = sk_slice_make((const char *)data, size);
	size_t min = size ? data[0] % 12 : 0;
	pwlist_stats st;
	pwlist *l = pwlist_build(in, min, NULL, &st);
	if (!l)
		return 0; /* out of memory only */
	if (st.kept + st.duplicates + st.skipped_short + st.skipped_long + st.empty != st.lines ||
	    pwlist_size(l) != st.kept)
		abort();
	for (const char *p = in.p, *end = in.p + size; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (len && p[len - 1] == '\r')
			len--;
		sk_slice pw = sk_slice_make(p, len);
		size_t chars = password_chars(pw);
		if (chars > len || (len && !chars))
			abort();
		if (len && len <= PASSWORD_LINE_MAX && chars >= min && !pwlist_contains(l, pw))
			abort();
		if (password_check(l, min, pw, NULL) == PW_OK && len && len <= PASSWORD_LINE_MAX && chars >= min)
			abort();
		p = nl ? nl + 1 : end;
	}
	pwlist_free(l);
	return 0;
}
