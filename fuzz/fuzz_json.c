/* fuzz_json.c - the streaming JSON parser, fed in up to four chunks whose
 * sizes come from the first two input bytes, so splits land everywhere. */
#include "sekisho/json.h"

static int sink(void *ctx, const target *t) { (void)ctx; (void)t; return 0; }

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t cut[3] = { data[0] % 17, data[1] % 61, 1 + data[0] / 17 }, off = 2;
	http_limits lim;
	http_limits_default(&lim);
	lim.max_depth = 16 + data[1] % 64; /* also exercise the limits themselves */
	lim.max_targets = 200;
	lim.max_body_inspect = 4096;
	arena *a = arena_new(1 << 20);
	json_state st;
	sk_error err;
	json_init(&st, a, &lim, sink, NULL);
	int rc = SK_OK;
	for (int k = 0; k < 4 && rc == SK_OK; k++) {
		size_t n = k < 3 && cut[k] < size - off ? cut[k] : size - off;
		rc = json_feed(&st, (const char *)data + off, n, &err);
		off += n;
	}
	if (rc == SK_OK && off < size)
		rc = json_feed(&st, (const char *)data + off, size - off, &err);
	if (rc == SK_OK)
		json_finish(&st, &err);
	arena_free(a);
	return 0;
}
