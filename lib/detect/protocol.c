/* protocol.c - protocol findings: what the parser and decoders noticed.
 *
 * Malformed requests never get here (the parser refuses them with a
 * status). These are requests that parse but that a browser does not send:
 * methods for debugging, an absolute-form target naming another host, an
 * h2c upgrade (smuggling past the proxy), headers named hop-by-hop so that
 * the next hop strips them, overlong UTF-8 and %u escapes (decoder
 * evasion), NUL bytes, a multipart body the WAF cannot parse.
 */
#include "protocol.h"

#include <string.h>

#include "sekisho/decode.h"
#include "sekisho/detector.h"

static void add(verdict *out, const char *rule, int score, target_loc loc, sk_slice name, sk_slice frag)
{
	verdict_match m = { "protocol", rule, score, loc, name, frag, false };
	verdict_add(out, &m);
}

static bool method_is(sk_slice m, const char *const *list)
{
	for (; *list; list++) {
		size_t n = strlen(*list);
		if (m.len == n && memcmp(m.p, *list, n) == 0)
			return true;
	}
	return false;
}

static const char *const common_methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", NULL };
static const char *const webdav_methods[] = { "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK",
					       "UNLOCK", "REPORT", "SEARCH", NULL };
/* Methods that echo the request (TRACE: cross-site tracing), debug
 * endpoints (DEBUG: ASP.NET) or tunnel (CONNECT): never for a web site. */
static const char *const refused_methods[] = { "TRACE", "TRACK", "DEBUG", "CONNECT", NULL };

/* A body that begins with a request line ("GET /admin HTTP/1.1") is the
 * payload of a smuggling attempt: a server that ignores the framing we
 * honoured would read it as a second request. */
static bool body_is_request(sk_slice b)
{
	size_t i = 0;
	while (i < b.len && (b.p[i] == '\r' || b.p[i] == '\n'))
		i++;
	size_t m = i;
	while (i < b.len && i - m < 16 && b.p[i] >= 'A' && b.p[i] <= 'Z')
		i++;
	if (i == m || i >= b.len || b.p[i] != ' ')
		return false;
	size_t line_end = i;
	while (line_end < b.len && line_end - i < 8192 && b.p[line_end] != '\n')
		line_end++;
	sk_slice line = sk_slice_make(b.p + i, line_end - i);
	return sk_slice_find_ci(line, SK_LIT(" HTTP/1.")) >= 0 || sk_slice_find_ci(line, SK_LIT(" HTTP/2")) >= 0;
}

/* Overlong UTF-8 is an evasion when it hides ASCII inside otherwise UTF-8
 * or ASCII text ("..\xc0\xaf..\xc0\xaf"). In Shift_JIS or EUC-JP text the
 * same byte pairs are ordinary characters (EUC-JP C0 B9 is a kanji), and
 * such text stays invalid UTF-8 after folding: then it is not evasion. */
static bool overlong_is_evasion(const target *t, arena *a)
{
	if (t->loc == LOC_MULTIPART_FILE || t->loc == LOC_BODY_RAW || t->loc == LOC_QUERY_STRING)
		return false; /* files are data; the query's arguments are checked one by one */
	/* Evasion hides an overlong byte among ASCII ("..\xc0\xaf..\xc0\xafetc");
	 * a value of high bytes only is legacy text (EUC-JP C0 BF is a kanji).
	 * A fully overlong "../" is still read by the traversal detector. */
	bool ascii = false;
	for (size_t i = 0; i < t->value.len && !ascii; i++)
		ascii = (unsigned char)t->value.p[i] > 0x20 && (unsigned char)t->value.p[i] < 0x7f;
	if (!ascii)
		return false;
	uint32_t f = 0;
	sk_slice folded = utf8_fold_overlong(a, t->value, &f);
	if (!folded.p)
		return true; /* no memory to tell: keep the finding */
	return !(utf8_flags(folded) & TF_INVALID_UTF8);
}

void protocol_findings(const http_request *req, const http_view *v, int paranoia, arena *a, verdict *out)
{
	if (method_is(req->method, refused_methods))
		add(out, "protocol.method: TRACE/TRACK/DEBUG/CONNECT", DET_SCORE_CRITICAL, LOC_METHOD, SK_SLICE_NULL,
		    req->method);
	else if (!method_is(req->method, common_methods))
		add(out, "protocol.method: unusual method", method_is(req->method, webdav_methods) ? 2 : 4,
		    LOC_METHOD, SK_SLICE_NULL, req->method);

	if (req->anomalies & HTTP_AN_UPGRADE_H2C)
		add(out, "protocol.h2c: Upgrade to cleartext HTTP/2 would bypass inspection", DET_SCORE_CRITICAL,
		    LOC_HEADER, SK_LIT("Upgrade"), req->upgrade);
	if (req->anomalies & HTTP_AN_HOST_MISMATCH)
		add(out, "protocol.host: absolute-form target names another host", DET_SCORE_CRITICAL, LOC_HEADER,
		    SK_LIT("Host"), req->authority);
	else if ((req->anomalies & HTTP_AN_ABSOLUTE_FORM) && paranoia >= 2)
		add(out, "protocol.host: absolute-form target", DET_SCORE_NOTICE, LOC_PATH, SK_SLICE_NULL,
		    req->target);
	if (req->anomalies & HTTP_AN_HOP_BY_HOP_ABUSE)
		add(out, "protocol.connection: end-to-end header named hop-by-hop", DET_SCORE_CRITICAL, LOC_HEADER,
		    SK_LIT("Connection"), SK_SLICE_NULL);
	if (req->anomalies & HTTP_AN_EXPECT_OTHER)
		add(out, "protocol.expect: unknown expectation", DET_SCORE_WARNING, LOC_HEADER, SK_LIT("Expect"),
		    SK_SLICE_NULL);

	if (req->anomalies & HTTP_AN_MULTI_RANGE)
		add(out, "protocol.range: many or overlapping ranges (amplification)", DET_SCORE_CRITICAL, LOC_HEADER,
		    SK_LIT("Range"), SK_SLICE_NULL);
	if ((req->anomalies & HTTP_AN_BODY_ENCODED) && v->body.len)
		add(out, "protocol.body: compressed request body cannot be inspected", DET_SCORE_CRITICAL, LOC_HEADER,
		    SK_LIT("Content-Encoding"), SK_SLICE_NULL);
	static const char *const bodiless[] = { "GET", "HEAD", NULL };
	if (method_is(req->method, bodiless) && req->chunked)
		add(out, "protocol.smuggling: chunked body on GET/HEAD", DET_SCORE_CRITICAL, LOC_HEADER,
		    SK_LIT("Transfer-Encoding"), SK_SLICE_NULL);
	else if (method_is(req->method, bodiless) && v->body.len)
		add(out, "protocol.body: GET/HEAD with a body", DET_SCORE_WARNING, LOC_BODY_RAW, SK_SLICE_NULL,
		    SK_SLICE_NULL);
	if (body_is_request(v->body))
		add(out, "protocol.smuggling: the body is an HTTP request", DET_SCORE_CRITICAL, LOC_BODY_RAW,
		    SK_SLICE_NULL, v->body);

	if (v->body_error) {
		/* A multipart body we cannot parse is where filters are evaded
		 * (parsers disagree on boundaries); broken JSON or XML is more
		 * often a client bug, so it only adds a little. */
		int score = v->body_kind == BODY_MULTIPART ? DET_SCORE_CRITICAL : DET_SCORE_NOTICE;
		add(out, v->body_err.rule ? v->body_err.rule : "protocol.body: unparsable body", score, LOC_BODY_RAW,
		    SK_SLICE_NULL, SK_SLICE_NULL);
	}

	/* Decoding facts, once per kind for the request. */
	uint32_t seen = 0;
	for (size_t i = 0; i < v->ntargets; i++) {
		const target *t = &v->targets[i];
		uint32_t f = t->flags & ~seen;
		if (!f)
			continue;
		if ((f & TF_OVERLONG_UTF8) && overlong_is_evasion(t, a)) {
			/* Overlong C0 A1..BF are also EUC-JP kanji: alone this is only
			 * a warning at level 1 (the detectors read overlong forms of
			 * what they look for themselves); critical from level 2. */
			add(out, "protocol.encoding: overlong UTF-8 (decoder evasion)",
			    paranoia >= 2 ? DET_SCORE_CRITICAL : DET_SCORE_WARNING,
			    (target_loc)t->loc, t->name, t->raw);
			seen |= TF_OVERLONG_UTF8;
		}
		if ((f & TF_NUL) && t->loc != LOC_MULTIPART_FILE && t->loc != LOC_BODY_RAW) {
			add(out, "protocol.encoding: NUL byte in a value", DET_SCORE_CRITICAL, (target_loc)t->loc,
			    t->name, t->raw);
			seen |= TF_NUL;
		}
		if ((f & TF_PATH_TRAVERSAL) && t->loc == LOC_PATH) {
			add(out, "protocol.path: dot segments climb above the root", DET_SCORE_CRITICAL, LOC_PATH,
			    SK_SLICE_NULL, t->raw);
			seen |= TF_PATH_TRAVERSAL;
		}
		if (f & TF_UNICODE_ESCAPE) {
			add(out, "protocol.encoding: %u escape (IIS-style evasion)", DET_SCORE_WARNING,
			    (target_loc)t->loc, t->name, t->raw);
			seen |= TF_UNICODE_ESCAPE;
		}
		if ((f & TF_DOUBLE_ENCODED) && paranoia >= 2) {
			add(out, "protocol.encoding: double percent-encoding", DET_SCORE_NOTICE, (target_loc)t->loc,
			    t->name, t->raw);
			seen |= TF_DOUBLE_ENCODED;
		}
	}
}
