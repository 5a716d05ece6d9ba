/* test_decode.c - percent-decoding, UTF-8 facts, paths, HTML references,
 * base64/hex text. Most cases are data files under tests/data/decode/
 * (their formats are described at the top of each file). */
#include "harness.h"

#include <stdint.h>

#include "sekisho/arena.h"
#include "sekisho/decode.h"

static arena *A;

/* ---- helpers for the data files ---- */

/* Split a decoded data line at real tabs into at most `max` fields; the
 * last field takes the rest of the line. Returns the number of fields. */
static int split_tabs(const harness_line *l, sk_slice *f, int max)
{
	int n = 0;
	size_t start = 0;
	for (size_t i = 0; i < l->len && n < max - 1; i++) {
		if (l->buf[i] == '\t') {
			f[n++] = sk_slice_make(l->buf + start, i - start);
			start = i + 1;
		}
	}
	f[n++] = sk_slice_make(l->buf + start, l->len - start);
	return n;
}

static const struct {
	const char *name;
	uint32_t bit;
} flag_names[] = {
	{ "INVALID_ESCAPE", TF_INVALID_ESCAPE }, { "DOUBLE_ENCODED", TF_DOUBLE_ENCODED },
	{ "UNICODE_ESCAPE", TF_UNICODE_ESCAPE }, { "INVALID_UTF8", TF_INVALID_UTF8 },
	{ "OVERLONG_UTF8", TF_OVERLONG_UTF8 },	 { "NUL", TF_NUL },
	{ "CTL", TF_CTL },			 { "TRUNCATED", TF_TRUNCATED },
	{ "PATH_TRAVERSAL", TF_PATH_TRAVERSAL }, { "BACKSLASH", TF_BACKSLASH },
	{ "MALFORMED", TF_MALFORMED },		 { "BINARY", TF_BINARY },
	{ "HIGH_BYTES", TF_HIGH_BYTES },
};

/* Parse "A,B" or "-" into flag bits; returns false on an unknown name. */
static bool parse_flags(sk_slice s, uint32_t *out)
{
	*out = 0;
	if (s.len == 1 && s.p[0] == '-')
		return true;
	size_t i = 0;
	while (i < s.len) {
		size_t j = i;
		while (j < s.len && s.p[j] != ',')
			j++;
		sk_slice name = sk_slice_make(s.p + i, j - i);
		bool found = false;
		for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++) {
			if (sk_slice_eq(name, sk_slice_make(flag_names[k].name, strlen(flag_names[k].name)))) {
				*out |= flag_names[k].bit;
				found = true;
			}
		}
		if (!found)
			return false;
		i = j + 1;
	}
	return true;
}

static void print_flags(uint32_t f)
{
	for (size_t k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++)
		if (f & flag_names[k].bit)
			fprintf(stderr, " %s", flag_names[k].name);
	fputc('\n', stderr);
}

/* Compare one result with the expected output and flags; report and count. */
static void expect(const harness_line *l, const char *file, sk_slice got, sk_slice want, uint32_t gotf,
		   uint32_t wantf)
{
	bool ok = got.p && sk_slice_eq(got, want) && gotf == wantf;
	if (!ok) {
		fprintf(stderr, "  FAIL %s:%d: got \"", file, l->lineno);
		harness_print_escaped(stderr, got.p ? got.p : "(null)", got.p ? got.len : 6);
		fprintf(stderr, "\" want \"");
		harness_print_escaped(stderr, want.p, want.len);
		fprintf(stderr, "\"\n    flags got:");
		print_flags(gotf);
		fprintf(stderr, "    flags want:");
		print_flags(wantf);
	}
	harness_count(ok);
}

/* A failed extra check of a data case counts as one more failed case. */
static void data_fail(const char *what, sk_slice s)
{
	harness_case = "data file";
	harness_fail(what, s.p, s.len);
	harness_count(0);
}

static bool bad_line(const harness_line *l, const char *file, int nf, int want)
{
	if (nf == want)
		return false;
	fprintf(stderr, "  FAIL %s:%d: %d fields, want %d\n", file, l->lineno, nf, want);
	harness_count(0);
	return true;
}

/* ---- data-driven cases ---- */

static void url_case(const harness_line *l, void *ctx)
{
	sk_slice f[4];
	uint32_t wantf, gotf = 0;
	int nf = split_tabs(l, f, 4);
	if (bad_line(l, "url.txt", nf, 4))
		return;
	if (!parse_flags(f[3], &wantf)) {
		data_fail("unknown flag name", f[3]);
		return;
	}
	sk_slice got;
	if (sk_slice_eq(f[0], SK_LIT("once"))) {
		char *buf = malloc(f[1].len + 1);
		size_t n = url_decode_once(f[1].p, f[1].len, buf, false, &gotf);
		got = sk_slice_make(buf, n);
		expect(l, "url.txt", got, f[2], gotf, wantf);
		free(buf);
		return;
	}
	bool plus = !sk_slice_eq(f[0], SK_LIT("noplus"));
	size_t passes = sk_slice_eq(f[0], SK_LIT("one")) ? 1 : 3;
	got = url_decode(A, f[1], plus, passes, &gotf);
	expect(l, "url.txt", got, f[2], gotf, wantf);
	/* Decoding in place gives the same bytes as decoding to a new buffer. */
	char *buf = malloc(f[1].len + 1);
	memcpy(buf, f[1].p, f[1].len);
	uint32_t f1 = 0, f2 = 0;
	char *other = malloc(f[1].len + 1);
	size_t n1 = url_decode_once(buf, f[1].len, buf, plus, &f1);
	size_t n2 = url_decode_once(f[1].p, f[1].len, other, plus, &f2);
	if (n1 != n2 || memcmp(buf, other, n1) != 0 || f1 != f2 || n1 > f[1].len)
		data_fail("in-place decode differs", f[1]);
	free(buf);
	free(other);
}

static void path_case(const harness_line *l, void *ctx)
{
	sk_slice f[3];
	uint32_t wantf, gotf = 0;
	int nf = split_tabs(l, f, 3);
	if (bad_line(l, "path.txt", nf, 3))
		return;
	if (!parse_flags(f[2], &wantf)) {
		data_fail("unknown flag name", f[2]);
		return;
	}
	sk_slice got = path_normalise(A, f[0], &gotf);
	expect(l, "path.txt", got, f[1], gotf, wantf);
	/* Normalising twice changes nothing more. */
	uint32_t again = 0;
	sk_slice twice = path_normalise(A, got, &again);
	if (!sk_slice_eq(twice, got) || twice.p != got.p)
		data_fail("path_normalise is not idempotent", f[0]);
}

static void utf8_case(const harness_line *l, void *ctx)
{
	sk_slice f[3];
	uint32_t wantf, foldf = 0;
	int nf = split_tabs(l, f, 3);
	if (bad_line(l, "utf8.txt", nf, 3))
		return;
	if (!parse_flags(f[2], &wantf)) {
		data_fail("unknown flag name", f[2]);
		return;
	}
	uint32_t gotf = utf8_flags(f[0]) | byte_flags(f[0]);
	sk_slice folded = utf8_fold_overlong(A, f[0], &foldf);
	/* The fold flags TF_OVERLONG_UTF8 exactly when it folded something. */
	bool changed = !sk_slice_eq(folded, f[0]);
	if ((foldf == TF_OVERLONG_UTF8) != changed || (!changed && folded.p != f[0].p))
		data_fail("fold flag or identity wrong", f[0]);
	expect(l, "utf8.txt", folded, f[1], gotf, wantf);
}

static void entity_case(const harness_line *l, void *ctx)
{
	sk_slice f[3];
	uint32_t wantf, gotf = 0;
	int nf = split_tabs(l, f, 3);
	if (bad_line(l, "entity.txt", nf, 3))
		return;
	if (!parse_flags(f[2], &wantf)) {
		data_fail("unknown flag name", f[2]);
		return;
	}
	sk_slice got = html_entity_decode(A, f[0], &gotf);
	expect(l, "entity.txt", got, f[1], gotf, wantf);
}

static void entity_name_case(const harness_line *l, void *ctx)
{
	sk_slice f[2];
	if (bad_line(l, "entity_names.txt", split_tabs(l, f, 2), 2))
		return;
	uint32_t gotf = 0;
	sk_slice got = html_entity_decode(A, f[0], &gotf);
	expect(l, "entity_names.txt", got, f[1], 0, 0);
}

static void text_case(const harness_line *l, void *ctx)
{
	sk_slice f[3];
	if (bad_line(l, "text.txt", split_tabs(l, f, 3), 3))
		return;
	sk_slice out = SK_SLICE_NULL;
	bool ok = sk_slice_eq(f[0], SK_LIT("hex")) ? decode_hex_text(A, f[1], &out)
						   : decode_base64_text(A, f[1], &out);
	bool refuse = f[2].len == 1 && f[2].p[0] == '!';
	if (refuse) {
		if (ok) {
			fprintf(stderr, "  FAIL text.txt:%d: decoded, want refused: \"", l->lineno);
			harness_print_escaped(stderr, out.p, out.len);
			fprintf(stderr, "\"\n");
		}
		harness_count(!ok);
		return;
	}
	if (!ok) {
		fprintf(stderr, "  FAIL text.txt:%d: refused\n", l->lineno);
		harness_count(0);
		return;
	}
	expect(l, "text.txt", out, f[2], 0, 0);
}

/* ---- hand-written cases ---- */

static void test_url_identity(void)
{
	uint32_t f = 0;
	sk_slice in = SK_LIT("plain-value_1.2");
	sk_slice out = url_decode(A, in, true, 3, &f);
	CHECK(out.p == in.p && out.len == in.len);
	CHECK_INT(f, 0);
	/* '+' without plus_as_space needs no copy either */
	in = SK_LIT("a+b");
	out = url_decode(A, in, false, 3, &f);
	CHECK(out.p == in.p);
	/* empty */
	out = url_decode(A, sk_slice_make("", 0), true, 3, &f);
	CHECK_INT(out.len, 0);
	CHECK(out.p != NULL);
	/* NULL flags pointer is allowed */
	out = url_decode(A, SK_LIT("%41%00"), true, 3, NULL);
	CHECK_SLICE(out, "A\0");
	/* a tab is not a control byte for the flags */
	f = 0;
	out = url_decode(A, SK_LIT("a%09b\t"), true, 3, &f);
	CHECK_SLICE(out, "a\tb\t");
	CHECK_INT(f, 0);
	/* only invalid escapes: the input itself comes back, flagged */
	f = 0;
	in = SK_LIT("100%");
	out = url_decode(A, in, true, 3, &f);
	CHECK(out.p == in.p && out.len == in.len);
	CHECK_INT(f, TF_INVALID_ESCAPE);
	/* max_passes 0 counts as 1 */
	f = 0;
	out = url_decode(A, SK_LIT("%2541"), true, 0, &f);
	CHECK_SLICE(out, "%41");
}

static void test_url_big(void)
{
	/* A 1 MB value of escapes and a 1 MB value of plain bytes. */
	size_t n = 1024 * 1024;
	char *in = malloc(n);
	for (size_t i = 0; i + 3 <= n; i += 3)
		memcpy(in + i, "%41", 3);
	n -= n % 3;
	arena *big = arena_new(4 * 1024 * 1024);
	uint32_t f = 0;
	sk_slice out = url_decode(big, sk_slice_make(in, n), true, 3, &f);
	CHECK(out.p != NULL);
	CHECK_INT(out.len, n / 3);
	CHECK(out.p && out.p[0] == 'A' && out.p[out.len - 1] == 'A');
	CHECK_INT(f, 0);
	memset(in, 'x', n);
	out = url_decode(big, sk_slice_make(in, n), true, 3, &f);
	CHECK(out.p == in);
	/* '%' at the very end of a large value */
	in[n - 1] = '%';
	f = 0;
	out = url_decode(big, sk_slice_make(in, n), true, 3, &f);
	CHECK_INT(out.len, n);
	CHECK_INT(f, TF_INVALID_ESCAPE);
	arena_free(big);
	free(in);
}

static void test_url_arena_exhausted(void)
{
	arena *tiny = arena_new(64);
	uint32_t f = 0;
	char in[200];
	memset(in, '+', sizeof(in));
	sk_slice out = url_decode(tiny, sk_slice_make(in, sizeof(in)), true, 3, &f);
	CHECK(out.p == NULL);
	arena_free(tiny);
}

static void test_path_misc(void)
{
	uint32_t f = 0;
	sk_slice in = SK_LIT("/already/normal/");
	sk_slice out = path_normalise(A, in, &f);
	CHECK(out.p == in.p);
	CHECK_INT(f, 0);
	out = path_normalise(A, sk_slice_make("", 0), &f);
	CHECK_INT(out.len, 0);
	/* deep traversal is linear and clamped */
	size_t reps = 100000;
	char *p = malloc(reps * 3 + 8);
	for (size_t i = 0; i < reps; i++)
		memcpy(p + i * 3, "/..", 3);
	memcpy(p + reps * 3, "/x", 2);
	arena *big = arena_new(4 * 1024 * 1024);
	f = 0;
	out = path_normalise(big, sk_slice_make(p, reps * 3 + 2), &f);
	CHECK_SLICE(out, "/x");
	CHECK_INT(f, TF_PATH_TRAVERSAL);
	/* many segments then as many pops */
	for (size_t i = 0; i < reps / 2; i++)
		memcpy(p + i * 3, "/ab", 3);
	for (size_t i = reps / 2; i < reps; i++)
		memcpy(p + i * 3, "/..", 3);
	f = 0;
	out = path_normalise(big, sk_slice_make(p, reps * 3 + 2), &f);
	CHECK_SLICE(out, "/x");
	CHECK_INT(f, 0);
	arena_free(big);
	free(p);
}

static void test_entity_misc(void)
{
	uint32_t f = 0;
	sk_slice in = SK_LIT("no references here");
	CHECK(html_entity_decode(A, in, &f).p == in.p);
	/* &Tab; gives a tab, which a data file cannot hold in a field */
	sk_slice out = html_entity_decode(A, SK_LIT("java&Tab;script:"), &f);
	CHECK_SLICE(out, "java\tscript:");
	CHECK_INT(f, 0);
	in = SK_LIT("an & alone");
	CHECK(html_entity_decode(A, in, &f).p == in.p);
	CHECK_INT(f, 0);
	/* a long alphanumeric run after '&' is scanned once */
	size_t n = 200000;
	char *p = malloc(n);
	memset(p, 'a', n);
	for (size_t i = 0; i < n; i += 50)
		p[i] = '&';
	out = html_entity_decode(A, sk_slice_make(p, n), &f);
	CHECK(out.p == p);
	free(p);
}

static void test_text_misc(void)
{
	sk_slice out = SK_LIT("untouched");
	/* a refused value leaves *out alone */
	CHECK(!decode_base64_text(A, SK_LIT("admin"), &out));
	CHECK_SLICE(out, "untouched");
	CHECK(decode_looks_like_text(SK_LIT("hello\r\n")));
	CHECK(!decode_looks_like_text(SK_LIT("")));
	CHECK(!decode_looks_like_text(SK_LIT("\x01\x02\x03")));
	/* one bad byte in ten is tolerated, so a lone control byte does not hide
	 * an encoded payload */
	CHECK(decode_looks_like_text(SK_LIT("\x01' OR 1=1--")));
}

int main(void)
{
	A = arena_new(64 * 1024 * 1024);
	harness_each_line("decode/url.txt", url_case, NULL);
	harness_each_line("decode/path.txt", path_case, NULL);
	harness_each_line("decode/utf8.txt", utf8_case, NULL);
	harness_each_line("decode/entity.txt", entity_case, NULL);
	harness_each_line("decode/entity_names.txt", entity_name_case, NULL);
	harness_each_line("decode/text.txt", text_case, NULL);
	RUN(test_url_identity);
	RUN(test_url_big);
	RUN(test_url_arena_exhausted);
	RUN(test_path_misc);
	RUN(test_entity_misc);
	RUN(test_text_misc);
	arena_free(A);
	return harness_done("decode");
}
