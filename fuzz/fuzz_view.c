/* fuzz_view.c - the whole inspection path: raw bytes -> request -> view ->
 * engine at paranoia 3. Small limits reach the limit paths quickly. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

#include "sekisho/engine.h"

static engine *eng;
static engine_scratch *scratch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!eng) {
		engine_config cfg;
		engine_config_default(&cfg);
		cfg.paranoia = 3;
		cfg.cache = getrandom(cfg.cache_key, sizeof(cfg.cache_key), 0) == (ssize_t)sizeof(cfg.cache_key);
		eng = engine_new(&cfg);
		scratch = engine_scratch_new(eng);
	}
	http_limits lim;
	http_limits_default(&lim);
	lim.max_head = 8192;
	lim.max_targets = 200;
	lim.max_body_inspect = 16384;
	lim.max_arena = 1u << 20;
	arena *a = arena_new(lim.max_arena);
	http_header h[64];
	http_request req;
	http_view v;
	sk_slice body;
	bool trunc;
	size_t used;
	sk_error err;
	verdict vd;
	if (http_read_request((const char *)data, size, &req, h, 64, a, &lim, &body, &trunc, &used, &err) == SK_OK &&
	    view_build(&v, &req, body, trunc, a, &lim, &err) == SK_OK) {
		if (used > size || v.ntargets > lim.max_targets)
			abort();
		engine_inspect(eng, scratch, &req, &v, NULL, a, &vd);
	}
	arena_free(a);
	return 0;
}
