/* fuzz_html_lexer.c - libFuzzer target for the HTML tokenizer. The first
 * byte picks the start context and the backtick flag; every token must lie
 * inside the input, tokens must move forward, and the run must end. */
#include <stddef.h>
#include <stdint.h>

#include "sekisho/html_lexer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const html_token *t, sk_slice in, sk_slice s)
{
	if (s.len && (s.p < in.p || s.p + s.len > in.p + in.len))
		__builtin_trap();
	(void)t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	sk_slice in = { (const char *)data + 1, size - 1 };
	html_lexer lx;
	html_token t;
	html_lexer_init(&lx, in, (html_start)(data[0] % 6), (data[0] & 8) ? HTML_LEX_BACKTICK_QUOTES : 0);
	size_t last = 0, n = 0;
	while (html_lexer_next(&lx, &t) != HTML_TOK_EOF) {
		if (t.off < last || t.off > in.len || t.len > in.len - t.off || ++n > in.len + 2)
			__builtin_trap();
		inside(&t, in, t.name);
		inside(&t, in, t.value);
		last = t.off;
		if (t.type == HTML_TOK_TAG_END && (data[0] & 16))
			html_lexer_rawtext(&lx, SK_LIT("script"));
	}
	return 0;
}
