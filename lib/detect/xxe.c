/* xxe.c - XML external entities and their relatives.
 *
 * Fires on markup declarations that make an XML parser fetch or expand
 * something: <!ENTITY ...> declarations (external, parameter or nested
 * internal ones: billion laughs), a DOCTYPE naming an external DTD other
 * than the published W3C ones, XInclude, and XSLT documents that call out
 * (php:function, Xalan/Java extensions, document() of a file; xsl:include
 * and xsl:import at paranoia 2). A plain <!DOCTYPE html>, XHTML/SVG
 * DOCTYPEs pointing at w3.org and SOAP or XML-RPC bodies never fire.
 *
 * The text is read through a small view with a stride so that a UTF-16
 * body (with or without a byte-order mark), an old evasion, is read the
 * same way without copying it. Matching is ASCII case-insensitive: lax
 * parsers exist and nobody writes <!entity in benign data.
 */
#include "sekisho/detectors.h"

typedef struct xtext {
	const unsigned char *p; /* first byte of character 0 */
	size_t n;               /* characters */
	size_t step;            /* 1, or 2 for UTF-16 */
	size_t base;            /* byte offset of character 0 in the value */
} xtext;

static unsigned char xat(const xtext *t, size_t i)
{
	return t->p[i * t->step];
}

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_name(unsigned char c)
{
	return (lc(c) >= 'a' && lc(c) <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	       c == '.' || c == ':' || c >= 0x80;
}

/* Does the text at i start with lower-case `w` (case-insensitively)? */
static int xword(const xtext *t, size_t i, const char *w)
{
	size_t k = 0;
	for (; w[k]; k++)
		if (i + k >= t->n || lc(xat(t, i + k)) != (unsigned char)w[k])
			return 0;
	return 1;
}

/* First position >= from where lower-case `w` starts, or t->n. */
static size_t xfind(const xtext *t, size_t from, const char *w)
{
	for (size_t i = from; i < t->n; i++)
		if (lc(xat(t, i)) == (unsigned char)w[0] && xword(t, i, w))
			return i;
	return t->n;
}

static size_t skip_ws(const xtext *t, size_t i)
{
	while (i < t->n && is_ws(xat(t, i)))
		i++;
	return i;
}

static size_t skip_name(const xtext *t, size_t i)
{
	while (i < t->n && is_name(xat(t, i)))
		i++;
	return i;
}

/* Choose the view: UTF-16 LE/BE by BOM or by a NUL next to the first '<'. */
static xtext xview(sk_slice v)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = v.len, base = 0, step = 1;
	if (n >= 4) {
		if (p[0] == 0xff && p[1] == 0xfe) {
			base = 2;
			step = 2;
		} else if (p[0] == 0xfe && p[1] == 0xff) {
			base = 3;
			step = 2;
		} else if (p[0] == '<' && p[1] == 0) {
			step = 2;
		} else if (p[0] == 0 && p[1] == '<') {
			base = 1;
			step = 2;
		}
	}
	xtext t = { p + base, 0, step, base };
	if (base < n)
		t.n = (n - base + step - 1) / step;
	return t;
}

/* A DOCTYPE external identifier that points at a published W3C DTD
 * (XHTML, SVG, MathML exports) is harmless boilerplate. */
static int w3c_dtd(const xtext *t, size_t i, size_t end)
{
	for (size_t k = i; k < end; k++) {
		if (xword(t, k, "http://www.w3.org/") || xword(t, k, "https://www.w3.org/"))
			return 1;
		if (xword(t, k, "-//w3c//") || xword(t, k, "about:legacy-compat"))
			return 1;
	}
	return 0;
}

typedef struct xres {
	const char *rule;
	int score;
	size_t off, len; /* in characters */
} xres;

/* <!ENTITY at i (pointing at 'E'). */
static int judge_entity(const xtext *t, size_t start, size_t i, xres *r)
{
	size_t k = i + 6;
	if (k >= t->n || !is_ws(xat(t, k)))
		return 0;
	k = skip_ws(t, k);
	int param = 0;
	if (k < t->n && xat(t, k) == '%') {
		param = 1;
		k = skip_ws(t, k + 1);
	}
	size_t name = k;
	k = skip_name(t, k);
	if (k == name)
		return 0;
	k = skip_ws(t, k);
	if (k >= t->n)
		return 0;
	if (xword(t, k, "system") || xword(t, k, "public")) {
		r->rule = param ? "xxe.parameter_entity: external parameter entity"
				: "xxe.external_entity: ENTITY ... SYSTEM/PUBLIC";
		k += 6;
	} else if (xat(t, k) == '"' || xat(t, k) == '\'')
		r->rule = param ? "xxe.parameter_entity: parameter entity declaration"
				: "xxe.entity_decl: entity declaration in request data (expansion, billion laughs)";
	else
		return 0;
	r->score = DET_SCORE_CRITICAL;
	r->off = start;
	r->len = k - start;
	return 1;
}

/* <!DOCTYPE at i (pointing at 'D'). */
static int judge_doctype(const xtext *t, size_t start, size_t i, int paranoia, xres *r)
{
	size_t k = i + 7;
	if (k >= t->n || !is_ws(xat(t, k)))
		return 0;
	k = skip_ws(t, k);
	size_t name = k;
	k = skip_name(t, k);
	if (k == name)
		return 0;
	k = skip_ws(t, k);
	if (!(xword(t, k, "system") || xword(t, k, "public")))
		return 0; /* internal subset or none: its ENTITYs are judged on their own */
	/* The external identifier runs to the closing '>' or '['. */
	size_t e = k;
	while (e < t->n && xat(t, e) != '>' && xat(t, e) != '[' && e - k < 1024)
		e++;
	if (w3c_dtd(t, k, e) && paranoia < 3)
		return 0;
	r->rule = "xxe.external_dtd: DOCTYPE loads an external DTD";
	r->score = DET_SCORE_CRITICAL;
	r->off = start;
	r->len = e - start;
	return 1;
}

/* XInclude and XSLT extension calls. */
static int judge_xml_calls(const xtext *t, int paranoia, xres *r)
{
	size_t ns = xfind(t, 0, "www.w3.org/2001/xinclude");
	if (ns < t->n) {
		size_t inc = xfind(t, 0, ":include");
		if (inc < t->n) {
			r->rule = "xxe.xinclude: XInclude element";
			r->score = DET_SCORE_CRITICAL;
			r->off = inc;
			r->len = 8;
			return 1;
		}
	}
	size_t xsl = xfind(t, 0, "www.w3.org/1999/xsl/transform");
	if (xsl == t->n)
		xsl = xfind(t, 0, "<xsl:");
	if (xsl == t->n)
		return 0;
	static const char *const ext[] = { "php:function", "php.net/xsl", "xml.apache.org/xalan",
					   "xalan://", "saxon.sf.net/java", "java:java.lang", NULL };
	for (int k = 0; ext[k]; k++) {
		size_t at = xfind(t, 0, ext[k]);
		if (at < t->n) {
			r->rule = "xxe.xslt_extension: XSLT with PHP/Java extension functions";
			r->score = DET_SCORE_CRITICAL;
			r->off = at;
			r->len = strlen(ext[k]); /* checksrc: our own constant */
			return 1;
		}
	}
	/* document('/etc/passwd'), document('file:...') reads local files. */
	for (size_t at = xfind(t, 0, "document("); at < t->n; at = xfind(t, at + 1, "document(")) {
		size_t k = skip_ws(t, at + 9);
		if (k < t->n && (xat(t, k) == '\'' || xat(t, k) == '"')) {
			unsigned char c = k + 1 < t->n ? xat(t, k + 1) : 0;
			if (c == '/' || c == '\\' || xword(t, k + 1, "file:") || xword(t, k + 1, "http") ||
			    paranoia >= 2) {
				r->rule = "xxe.xslt_document: XSLT document() of a file or URL";
				r->score = DET_SCORE_CRITICAL;
				r->off = at;
				r->len = k + 1 - at;
				return 1;
			}
		}
	}
	if (paranoia >= 2) {
		static const char *const inc[] = { "xsl:include", "xsl:import", "unparsed-text(", NULL };
		for (int k = 0; inc[k]; k++) {
			size_t at = xfind(t, 0, inc[k]);
			if (at < t->n) {
				r->rule = "xxe.xslt_include: XSLT includes another document";
				r->score = DET_SCORE_WARNING;
				r->off = at;
				r->len = strlen(inc[k]); /* checksrc: our own constant */
				return 1;
			}
		}
	}
	return 0;
}

int xxe_detect(const det_input *in, det_hit *hit)
{
	/* Every form needs '<' except the declaration text the XML parser
	 * hands over on its own. */
	if (!(in->classes & DC_LT) && in->loc != LOC_XML_DECL)
		return 0;
	if (in->value.len < 8)
		return 0;
	xtext t = xview(in->value);
	xres r = { 0 };
	int found = 0;

	if (in->loc == LOC_XML_DECL) {
		/* The declaration may come with or without its "<!". */
		size_t k = skip_ws(&t, 0);
		while (k < t.n && k < 8 && (xat(&t, k) == '<' || xat(&t, k) == '!'))
			k++;
		if (xword(&t, k, "entity"))
			found = judge_entity(&t, 0, k, &r);
		else if (xword(&t, k, "doctype"))
			found = judge_doctype(&t, 0, k, in->paranoia, &r);
	}
	for (size_t i = 0; !found && i + 2 < t.n; i++) {
		if (xat(&t, i) != '<' || xat(&t, i + 1) != '!')
			continue;
		unsigned char c = lc(xat(&t, i + 2));
		if (c == 'e' && xword(&t, i + 2, "entity"))
			found = judge_entity(&t, i, i + 2, &r);
		else if (c == 'd' && xword(&t, i + 2, "doctype"))
			found = judge_doctype(&t, i, i + 2, in->paranoia, &r);
	}
	if (!found && (in->classes & DC_COLON))
		found = judge_xml_calls(&t, in->paranoia, &r);
	if (!found)
		return 0;
	hit->rule = r.rule;
	hit->score = r.score;
	hit->off = t.base + r.off * t.step;
	hit->len = r.len * t.step;
	if (hit->off > in->value.len)
		hit->off = in->value.len;
	if (hit->len > in->value.len - hit->off)
		hit->len = in->value.len - hit->off;
	return 1;
}
