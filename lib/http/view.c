/* view.c - build the inspection view of a request (see view.h). */
#include "sekisho/view.h"

#include <string.h>

#include "sekisho/cookie.h"
#include "sekisho/decode.h"
#include "sekisho/json.h"
#include "sekisho/multipart.h"
#include "sekisho/urlenc.h"
#include "sekisho/xml.h"

#define VIEW_FIRST_CAP 64

/* Append a target; the array grows by doubling inside the arena. */
static int view_add(void *ctx, const target *t)
{
	http_view *v = ctx;
	if (v->ntargets == v->max_targets)
		return -1;
	if (v->ntargets == v->cap)
		return -2; /* grown by view_emit, which has the arena */
	v->targets[v->ntargets++] = *t;
	return 0;
}

struct emit_ctx {
	http_view *v;
	arena *a;
	int failed; /* 413 reason when the consumer stopped a parser */
};

static int view_emit(void *ctx, const target *t)
{
	struct emit_ctx *e = ctx;
	http_view *v = e->v;
	if (v->ntargets == v->cap && v->ntargets < v->max_targets) {
		size_t ncap = v->cap ? v->cap * 2 : VIEW_FIRST_CAP;
		if (ncap > v->max_targets)
			ncap = v->max_targets;
		/* not zeroed: only the first ntargets entries are ever read,
		 * and zeroing the first 64 (3.5 KB) was a quarter of the view's
		 * instructions on a page view. ncap <= max_targets, a limit far
		 * below SIZE_MAX / sizeof(target). */
		target *nt = arena_alloc(e->a, ncap * sizeof(*nt));
		if (!nt) {
			e->failed = 1;
			return -1;
		}
		if (v->ntargets)
			memcpy(nt, v->targets, v->ntargets * sizeof(*nt));
		v->targets = nt;
		v->cap = ncap;
	}
	if (view_add(v, t) != 0) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

static int too_many(struct emit_ctx *e, sk_error *err)
{
	(void)e;
	return sk_fail(err, "too many inspection targets (parameters, headers, fields)", 0, 413);
}

/* The media type of a Content-Type value, lower-cased comparisons only. */
static sk_slice media_type(sk_slice ct)
{
	if (ct.len == 0)
		return ct; /* no Content-Type: p may be NULL */
	const char *semi = memchr(ct.p, ';', ct.len);
	if (semi)
		ct.len = (size_t)(semi - ct.p);
	return sk_slice_trim_ows(ct);
}

static bool suffix_ci(sk_slice s, sk_slice suf)
{
	return s.len >= suf.len && sk_slice_eq_ci(sk_slice_make(s.p + s.len - suf.len, suf.len), suf);
}

static view_body_kind body_kind_of(sk_slice ct, sk_slice body)
{
	sk_slice mt = media_type(ct);
	if (sk_slice_eq_ci(mt, SK_LIT("application/x-www-form-urlencoded")))
		return BODY_URLENCODED;
	if (sk_slice_eq_ci(mt, SK_LIT("multipart/form-data")))
		return BODY_MULTIPART;
	if (sk_slice_eq_ci(mt, SK_LIT("application/json")) || sk_slice_eq_ci(mt, SK_LIT("text/json")) ||
	    suffix_ci(mt, SK_LIT("+json")))
		return BODY_JSON;
	if (sk_slice_eq_ci(mt, SK_LIT("application/xml")) || sk_slice_eq_ci(mt, SK_LIT("text/xml")) ||
	    suffix_ci(mt, SK_LIT("+xml")))
		return BODY_XML;
	if (mt.len == 0 || sk_slice_eq_ci(mt, SK_LIT("text/plain")) ||
	    sk_slice_eq_ci(mt, SK_LIT("application/octet-stream"))) {
		/* Untyped bodies: applications (and attackers) often omit or lie
		 * about the type; sniff the two structured forms that are cheap to
		 * recognise so their fields are inspected one by one. */
		size_t i = 0;
		while (i < body.len && (body.p[i] == ' ' || body.p[i] == '\t' || body.p[i] == '\r' || body.p[i] == '\n'))
			i++;
		if (i < body.len && (body.p[i] == '{' || body.p[i] == '['))
			return BODY_JSON;
		if (i < body.len && body.p[i] == '<')
			return BODY_XML;
	}
	return BODY_OTHER;
}

const char *view_body_kind_name(view_body_kind k)
{
	switch (k) {
	case BODY_NONE: return "none";
	case BODY_URLENCODED: return "urlencoded";
	case BODY_MULTIPART: return "multipart";
	case BODY_JSON: return "json";
	case BODY_XML: return "xml";
	case BODY_OTHER: return "other";
	}
	return "other";
}

static int add_simple(struct emit_ctx *e, target_loc loc, sk_slice name, sk_slice raw, sk_slice value,
		      uint32_t flags, sk_error *err)
{
	target t = { .loc = (uint8_t)loc, .flags = flags, .name = name, .raw = raw, .value = value };
	if (view_emit(e, &t) != 0)
		return too_many(e, err);
	return SK_OK;
}

static int add_path(struct emit_ctx *e, const http_request *req, const http_limits *lim, sk_error *err)
{
	http_view *v = e->v;
	uint32_t flags = 0;
	/* Detectors see the decoded path before dot segments are resolved, or
	 * the normalisation would erase the very ../ they look for. */
	sk_slice dec = url_decode(e->a, req->path, false, lim->max_decode_passes, &flags);
	if (!dec.p)
		return sk_fail(err, "out of memory for the request", 0, 413);
	sk_slice folded = utf8_fold_overlong(e->a, dec, &flags);
	if (!folded.p)
		return sk_fail(err, "out of memory for the request", 0, 413);
	uint32_t nflags = 0;
	v->path_normalised = path_normalise(e->a, folded, &nflags);
	if (!v->path_normalised.p)
		return sk_fail(err, "out of memory for the request", 0, 413);
	v->path_flags = flags | nflags;
	return add_simple(e, LOC_PATH, SK_SLICE_NULL, req->path, dec, flags | nflags, err);
}

static int add_headers(struct emit_ctx *e, const http_request *req, const http_limits *lim, sk_error *err)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		const http_header *h = &req->headers[i];
		if (sk_slice_eq_ci(h->name, SK_LIT("Cookie"))) {
			int rc = cookie_parse(h->value, e->a, lim, view_emit, e, err);
			if (rc != SK_OK)
				return e->failed ? too_many(e, err) : rc;
			continue;
		}
		/* Header values are inspected as sent; a percent-encoded value
		 * (Referer, custom headers) is decoded as well, as the
		 * application may decode it. */
		uint32_t flags = 0;
		sk_slice value = h->value;
		if (memchr(h->value.p, '%', h->value.len)) {
			value = url_decode(e->a, h->value, false, lim->max_decode_passes, &flags);
			if (!value.p)
				return sk_fail(err, "out of memory for the request", 0, 413);
		} else {
			flags = value_flags(value);
		}
		int rc = add_simple(e, LOC_HEADER, h->name, h->value, value, flags, err);
		if (rc != SK_OK)
			return rc;
	}
	return SK_OK;
}

/* Parse the body by its type; on a parser error keep the error and inspect
 * the body as one raw value. */
static int add_body(struct emit_ctx *e, const http_request *req, sk_slice body, const http_limits *lim,
		    sk_error *err)
{
	http_view *v = e->v;
	if (body.len == 0) {
		v->body_kind = BODY_NONE;
		return SK_OK;
	}
	v->body_kind = body_kind_of(req->content_type, body);
	sk_error berr = { 0 };
	int rc = SK_OK;
	size_t before = v->ntargets;
	switch (v->body_kind) {
	case BODY_URLENCODED:
		rc = urlenc_parse(body, LOC_FORM, LOC_FORM_NAME, e->a, lim, view_emit, e, &berr);
		break;
	case BODY_MULTIPART: {
		sk_slice boundary;
		rc = multipart_boundary(req->content_type, &boundary, &berr);
		if (rc != SK_OK)
			break;
		multipart_state *st = arena_calloc(e->a, 1, sizeof(*st));
		if (!st)
			return sk_fail(err, "out of memory for the request", 0, 413);
		multipart_init(st, boundary, e->a, lim, view_emit, e);
		rc = multipart_feed(st, body.p, body.len, &berr);
		if (rc == SK_OK && !v->body_truncated)
			rc = multipart_finish(st, &berr);
		break;
	}
	case BODY_JSON: {
		json_state *st = arena_calloc(e->a, 1, sizeof(*st));
		if (!st)
			return sk_fail(err, "out of memory for the request", 0, 413);
		json_init(st, e->a, lim, view_emit, e);
		rc = json_feed(st, body.p, body.len, &berr);
		if (rc == SK_OK && !v->body_truncated)
			rc = json_finish(st, &berr);
		break;
	}
	case BODY_XML:
		rc = v->body_truncated ? SK_OK : xml_parse(body, e->a, lim, view_emit, e, &berr);
		break;
	default:
		break;
	}
	if (e->failed)
		return too_many(e, err);
	if (rc != SK_OK) {
		if (berr.status == 413 && v->body_kind != BODY_MULTIPART && v->body_kind != BODY_JSON)
			return sk_fail(err, berr.rule, berr.offset, 413);
		v->body_error = true;
		v->body_err = berr;
		/* Drop a partial parse: one raw target carries the whole body. */
		v->ntargets = before;
	}
	if (rc != SK_OK || v->body_kind == BODY_OTHER || (v->body_kind == BODY_XML && v->body_truncated)) {
		uint32_t flags = byte_flags(body) | utf8_flags(body);
		if (rc != SK_OK)
			flags |= TF_MALFORMED;
		if (v->body_truncated)
			flags |= TF_TRUNCATED;
		return add_simple(e, LOC_BODY_RAW, SK_SLICE_NULL, body, body, flags, err);
	}
	return SK_OK;
}

int view_build(http_view *v, const http_request *req, sk_slice body, bool body_truncated, arena *a,
	       const http_limits *lim, sk_error *err)
{
	memset(v, 0, sizeof(*v));
	v->max_targets = lim->max_targets;
	v->body_truncated = body_truncated;
	v->body = body;
	struct emit_ctx e = { v, a, 0 };

	int rc = add_simple(&e, LOC_METHOD, SK_SLICE_NULL, req->method, req->method, 0, err);
	if (rc != SK_OK)
		return rc;
	if ((rc = add_path(&e, req, lim, err)) != SK_OK)
		return rc;
	if (req->query.len) {
		uint32_t flags = 0;
		sk_slice dq = url_decode(a, req->query, true, lim->max_decode_passes, &flags);
		if (!dq.p)
			return sk_fail(err, "out of memory for the request", 0, 413);
		if ((rc = add_simple(&e, LOC_QUERY_STRING, SK_SLICE_NULL, req->query, dq, flags, err)) != SK_OK)
			return rc;
		rc = urlenc_parse(req->query, LOC_QUERY_ARG, LOC_QUERY_ARG_NAME, a, lim, view_emit, &e, err);
		if (rc != SK_OK)
			return e.failed ? too_many(&e, err) : rc;
	}
	if ((rc = add_headers(&e, req, lim, err)) != SK_OK)
		return rc;
	return add_body(&e, req, body, lim, err);
}
