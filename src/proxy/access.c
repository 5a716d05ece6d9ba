/* access.c - the access rules (lib/guard/access.c) at the proxy: judge the
 * client of a request once its head is parsed, before the body is read or
 * anything is inspected; optionally judge a peer already at accept. A
 * refusal is a short page with access.status, an access_denied event and a
 * count in sekisho_access_denied_total. */
#include <stdio.h>
#include <string.h>

#include "../sys/geoip.h"
#include "proxy.h"
#include "sekisho/decode.h"

static const char *const stage_names[2] = { "request", "accept" };

/* The path the rules see: decoded, overlong UTF-8 folded, dot segments
 * resolved, exactly as the inspection view builds path_normalised, so that
 * /%61dmin/, //admin/ and /x/../admin/ all meet the /admin/ rule. */
static sk_slice rule_path(conn *c)
{
	uint32_t flags = 0;
	sk_slice p = url_decode(c->a, c->req.path, false, c->sh->set.lim.max_decode_passes, &flags);
	if (p.p)
		p = utf8_fold_overlong(c->a, p, &flags);
	if (p.p)
		p = path_normalise(c->a, p, &flags);
	return p;
}

static void count(proxy *px, int stage, const access_result *res)
{
	if (res->reason > ACCESS_ADMITTED && res->reason < ACCESS_NREASONS)
		atomic_fetch_add(&px->stats.access_denied[stage][res->reason], 1);
}

bool access_admit(conn *c)
{
	const proxy_settings *s = &c->sh->set;
	const geoip *g = c->sh->geoip;
	sk_slice path = rule_path(c);
	if (!path.p) {
		/* Out of request memory: the path rules cannot be applied, so the
		 * request cannot be admitted (the inspection would refuse it too). */
		c->status = 413;
		respond_simple(c, 413, "Request refused", "out of memory for the request", true);
		return false;
	}
	sk_country cc = access_uses_countries(s->access) ? geoip_country(g, &c->client) : SK_COUNTRY_UNKNOWN;
	access_result res;
	if (access_check(s->access, &c->client, path, cc, &res))
		return true;
	if (!access_uses_countries(s->access))
		res.country = geoip_country(g, &c->client); /* for the event only */
	count(c->w->px, 0, &res);
	c->status = s->access_status;
	audit_access(c->w, c, c->client_text, &res, stage_names[0]);
	/* The body (if any) is not read: close rather than parse it as the
	 * next request. */
	respond_simple(c, s->access_status, "Access denied",
		       "このアドレスまたは地域からのアクセスは許可されていません。"
		       "Access from this address or region is not allowed here.",
		       true);
	return false;
}

bool access_admit_peer(worker *w, const proxy_shared *sh, const struct sockaddr_storage *sa)
{
	const proxy_settings *s = &sh->set;
	/* With trusted proxies the peer may be a proxy speaking for others. */
	if (!s->access || !s->access_at_accept || s->ntrusted)
		return true;
	sk_addr a;
	char text[48];
	net_peer(sa, &a, text, sizeof(text));
	sk_country cc = access_uses_countries(s->access) ? geoip_country(sh->geoip, &a) : SK_COUNTRY_UNKNOWN;
	access_result res;
	if (access_check(s->access, &a, SK_SLICE_NULL, cc, &res))
		return true;
	count(w->px, 1, &res);
	audit_access(w, NULL, text, &res, stage_names[1]);
	return false;
}

void access_metrics(proxy *px, sk_buf *o)
{
	buf_puts(o, "# HELP sekisho_access_denied_total Requests (stage request) and connections (stage accept) "
		    "refused by the access rules, by reason.\n# TYPE sekisho_access_denied_total counter\n");
	for (int stage = 0; stage < 2; stage++)
		for (int r = ACCESS_ADMITTED + 1; r < ACCESS_NREASONS; r++)
			buf_printf(o, "sekisho_access_denied_total{reason=\"%s\",stage=\"%s\"} %llu\n",
				   access_reason_name((access_reason)r), stage_names[stage],
				   (unsigned long long)atomic_load(&px->stats.access_denied[stage][r]));
}
