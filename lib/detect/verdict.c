/* verdict.c - a verdict as JSON, for `check`, the audit log and tests. */
#include <string.h>

#include "sekisho/buf.h"
#include "sekisho/engine.h"

/* Fragments longer than this are cut in output: enough to see the attack,
 * not enough to turn the log into a copy of the payload store. */
#define FRAGMENT_MAX 200

void verdict_json(sk_buf *o, const verdict *v)
{
	buf_printf(o, "{\"decision\":\"%s\",\"score\":%d,%s\"matches\":[", v->block ? "block" : "pass", v->score,
		   v->allowed ? "\"allowed_by_rule\":true," : "");
	for (size_t i = 0; i < v->nmatches; i++) {
		const verdict_match *m = &v->matches[i];
		buf_printf(o, "%s{\"detector\":\"%s\",\"rule\":", i ? "," : "", m->detector);
		buf_json_str(o, sk_slice_make(m->rule, strlen(m->rule)));
		buf_printf(o, ",\"score\":%d,\"loc\":\"%s\",\"name\":", m->score, target_loc_name(m->loc));
		buf_json_str(o, m->name);
		sk_slice frag = m->fragment;
		if (frag.len > FRAGMENT_MAX)
			frag.len = FRAGMENT_MAX;
		buf_puts(o, ",\"fragment\":");
		buf_json_str(o, frag);
		if (m->decoded_variant)
			buf_puts(o, ",\"decoded\":\"base64/hex\"");
		buf_puts(o, "}");
	}
	buf_puts(o, "]");
	if (v->nfound > v->nmatches)
		buf_printf(o, ",\"more_matches\":%zu", v->nfound - v->nmatches);
	buf_puts(o, "}");
}
