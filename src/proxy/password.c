/* password.c - the password policy at sign-up and password-change
 * endpoints (gate.h says what; docs/password-policy.md the operator's
 * side). The set and the check are lib/guard/password.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../sys/file.h"
#include "gate.h"
#include "sekisho/decode.h"
#include "sekisho/password.h"

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

int password_load(proxy_shared *sh, char *errbuf, size_t errlen)
{
	const proxy_settings *s = &sh->set;
	sh->pwlist = NULL;
	if (!s->npw_endpoints || !s->pw_list[0])
		return 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *text;
	size_t len;
	char e[512];
	if (file_read_all(s->pw_list, PASSWORD_LIST_MAX_BYTES, &text, &len, e, sizeof(e)) != 0) {
		snprintf(errbuf, errlen, "password_policy.list: %s", e);
		return -1;
	}
	uint8_t key[SIPHASH_KEY_LEN];
	pwlist_stats st;
	bool keyed = getrandom(key, sizeof(key), 0) == (ssize_t)sizeof(key);
	sh->pwlist = keyed ? pwlist_build(sk_slice_make(text, len), s->pw_min_length, key, &st) : NULL;
	free(text);
	if (!sh->pwlist) {
		snprintf(errbuf, errlen, "password_policy.list %s: %s", s->pw_list,
			 keyed ? "out of memory" : "getrandom failed");
		return -1;
	}
	fprintf(stderr,
		"sekisho proxy: password list %s: %zu passwords (%.1f MiB) from %zu lines in %.0f ms; %zu shorter "
		"than min_length left out\n",
		s->pw_list, st.kept, (double)pwlist_bytes(sh->pwlist) / (1024.0 * 1024.0), st.lines, ms_since(&t0),
		st.skipped_short);
	return 0;
}

void password_unload(proxy_shared *sh)
{
	pwlist_free(sh->pwlist);
	sh->pwlist = NULL;
}

/* The password as the application will read it: a form value decoded
 * once, a multipart field as sent, a JSON string unescaped. */
static sk_slice password_of(conn *c, const target *t)
{
	if (t->loc != LOC_FORM)
		return t->value;
	char *out = arena_alloc(c->a, t->raw.len + 1);
	if (!out)
		return t->raw;
	uint32_t flags = 0;
	return sk_slice_make(out, url_decode_once(t->raw.p, t->raw.len, out, true, &flags));
}

static bool json_request(const conn *c)
{
	sk_slice ct = c->req.content_type;
	for (size_t i = 0; i + 4 <= ct.len; i++)
		if (sk_slice_eq_ci(sk_slice_make(ct.p + i, 4), SK_LIT("json")))
			return true;
	return false;
}

static void refuse(conn *c, const proxy_pw_endpoint *ep, pw_verdict why, size_t chars)
{
	const proxy_settings *s = &c->sh->set;
	atomic_fetch_add(&c->w->px->stats.password_refused, 1);
	c->status = s->pw_status;
	/* The verdict may quote the password (a detector match): never log it. */
	memset(&c->v, 0, sizeof(c->v));
	if (why == PW_TOO_SHORT)
		snprintf(c->guard_note, sizeof(c->guard_note), "password policy: field %s too short (%zu < %zu characters)",
			 ep->field, chars, s->pw_min_length);
	else
		snprintf(c->guard_note, sizeof(c->guard_note), "password policy: field %s is on the password list",
			 ep->field);
	audit_request(c, "password_refused");
	if (json_request(c)) {
		sk_buf b;
		buf_init(&b, 2048);
		buf_printf(&b, "{\"error\":\"password_policy\",\"reason\":\"%s\",\"min_length\":%zu,\"message\":",
			   password_verdict_name(why), s->pw_min_length);
		buf_json_str(&b, sk_slice_make(s->pw_message, strlen(s->pw_message)));
		buf_puts(&b, "}\n");
		respond_body(c, s->pw_status, "application/json", "", b.p ? b.p : "", b.len, false);
		buf_free(&b);
		return;
	}
	respond_page(c, s->pw_status, "Password not accepted", s->pw_message, "", false);
}

/* The endpoint's path, case-insensitively and with trailing slashes
 * ignored: "/SignUp/" reaches the same handler on many servers. */
static bool same_endpoint(sk_slice a, sk_slice b)
{
	while (a.len > 1 && a.p[a.len - 1] == '/')
		a.len--;
	while (b.len > 1 && b.p[b.len - 1] == '/')
		b.len--;
	return sk_slice_eq_ci(a, b);
}

bool password_refuse(conn *c, const http_view *v)
{
	const proxy_settings *s = &c->sh->set;
	for (size_t e = 0; e < s->npw_endpoints; e++) {
		const proxy_pw_endpoint *ep = &s->pw_endpoints[e];
		if (!same_endpoint(v->path_normalised, sk_slice_make(ep->path, strlen(ep->path))))
			continue;
		sk_slice field = sk_slice_make(ep->field, strlen(ep->field));
		/* Every copy of the field: an application may read the first or
		 * the last, so all must pass. */
		for (size_t i = 0; i < v->ntargets; i++) {
			const target *t = &v->targets[i];
			if ((t->loc != LOC_FORM && t->loc != LOC_MULTIPART_FIELD && t->loc != LOC_JSON) ||
			    !sk_slice_eq(t->name, field))
				continue;
			size_t chars = 0;
			pw_verdict why = password_check(c->sh->pwlist, s->pw_min_length, password_of(c, t), &chars);
			if (why != PW_OK) {
				refuse(c, ep, why, chars);
				return true;
			}
		}
	}
	return false;
}
