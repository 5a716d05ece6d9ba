/* xss.c - cross-site scripting detector.
 *
 * Question asked of a value: pasted into an HTML page as text, or inside
 * a double-, single-, backtick-quoted or unquoted attribute value, can it
 * open an executable context? The value is tokenized the way a browser
 * would (lib/detect/html_lexer.c) from each of those starting contexts; the
 * tags and attributes found are judged (script and plugin elements, event
 * handlers, javascript:/data: URLs after character-reference decoding,
 * srcdoc, CSS expressions, meta refresh/charset). Scans over the raw value
 * add what a tokenizer does not show: javascript: URLs anywhere, JS string
 * breakouts ("';alert(1)//"), AngularJS sandbox escapes in {{ }}, UTF-7
 * markup and JS-escaped markup (\x3c, \u003c).
 *
 * Scores: CRITICAL only for an executable vector; weaker shapes (a tidy
 * <script src="https://..."> as posted in Q&A answers, unknown on* names,
 * an inert-looking handler such as this.style.display='none', a bare <svg>)
 * score lower and are reported from paranoia 2 on. Every pass is linear;
 * decoding of one attribute value works in a bounded stack buffer.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/detectors.h"
#include "sekisho/html_lexer.h"

/* Attribute values are decoded (character references, JS or CSS escapes)
 * into a stack buffer of this size; longer values are judged on their
 * first XSS_DEC_MAX bytes, which is where every vector has to start. */
#define XSS_DEC_MAX 4096

typedef struct xss_ctx {
	const det_input *in;
	int min_score; /* lowest score reported at this paranoia level */
	bool have;
	det_hit best;
	size_t base;   /* offset of the scanned view within in->value */
	size_t vlen;   /* length of in->value, to clamp fragments */
	bool inner_used; /* the one "markup inside a name" rescan of this pass is spent */
} xss_ctx;

static bool xss_done(const xss_ctx *c)
{
	return c->have && c->best.score >= DET_SCORE_CRITICAL;
}

/* Keep the strongest finding; `off` is relative to the scanned view. */
static void xss_report(xss_ctx *c, int score, const char *rule, size_t off, size_t len)
{
	if (score < c->min_score || (c->have && c->best.score >= score))
		return;
	off += c->base;
	if (off > c->vlen)
		off = c->vlen;
	if (len > c->vlen - off)
		len = c->vlen - off;
	c->have = true;
	c->best.rule = rule;
	c->best.score = score;
	c->best.off = off;
	c->best.len = len;
}

/* ---- small character helpers ---- */

static bool is_alpha(unsigned c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_digit(unsigned c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_ident(unsigned c)
{
	return is_alnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static unsigned lower(unsigned c)
{
	return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}

static int hexval(unsigned c)
{
	if (is_digit(c))
		return (int)(c - '0');
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

static bool is_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Case-insensitive: does s[0..n) start with the lower-case literal w? */
static bool has_prefix_ci(const char *s, size_t n, const char *w)
{
	size_t i = 0;
	for (; w[i]; i++)
		if (i >= n || lower((unsigned char)s[i]) != (unsigned char)w[i])
			return false;
	return true;
}

/* Case-insensitive search of the lower-case literal w in s[0..n). */
/* Does lower-case w occur in s, ignoring case? (sk_slice_find_ci hops
 * between the candidates of w's first byte with memchr.) */
static bool contains_ci(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w); /* checksrc: w is a literal */
	return sk_slice_find_ci(sk_slice_make(s, n), sk_slice_make(w, wl)) >= 0;
}

/* ---- character references ---- */

static const struct {
	const char *name;
	unsigned cp;
} named_refs[] = {
	/* the references that matter for markup and URLs; others stay raw */
	{ "Tab", '\t' },     { "NewLine", '\n' }, { "colon", ':' },   { "lpar", '(' },
	{ "rpar", ')' },     { "lt", '<' },       { "gt", '>' },      { "quot", '"' },
	{ "apos", '\'' },    { "amp", '&' },      { "sol", '/' },     { "bsol", '\\' },
	{ "period", '.' },   { "comma", ',' },    { "equals", '=' },  { "excl", '!' },
	{ "num", '#' },      { "lowbar", '_' },   { "grave", '`' },   { "lsqb", '[' },
	{ "rsqb", ']' },     { "lbrack", '[' },   { "rbrack", ']' },  { "lcub", '{' },
	{ "rcub", '}' },     { "lbrace", '{' },   { "rbrace", '}' },  { "semi", ';' },
	{ "plus", '+' },     { "ast", '*' },      { "midast", '*' },  { "percnt", '%' },
	{ "dollar", '$' },   { "quest", '?' },    { "commat", '@' },  { "Hat", '^' },
	{ "vert", '|' },     { "verbar", '|' },   { "nbsp", 0xa0 },   { "LT", '<' },
	{ "GT", '>' },       { "QUOT", '"' },     { "AMP", '&' },     { "DoubleQuote", '"' },
};

/* p[0] == '&': decode one character reference. Returns the bytes it takes
 * (0 when it is not a reference) and its code point in *cp. Numeric
 * references take at most 32 digits so that one reference stays short. */
static size_t ent_ref(const char *p, size_t n, unsigned *cp)
{
	if (n < 3)
		return 0;
	if (p[1] == '#') {
		size_t i = 2, ds;
		bool hex = false;
		unsigned long v = 0;
		if (lower((unsigned char)p[i]) == 'x') {
			hex = true;
			i++;
		}
		ds = i;
		while (i < n && i - ds < 32) {
			int d = hex ? hexval((unsigned char)p[i]) : (is_digit((unsigned char)p[i]) ? p[i] - '0' : -1);
			if (d < 0)
				break;
			v = v * (hex ? 16 : 10) + (unsigned long)d;
			if (v > 0x10ffff)
				v = 0x110000;
			i++;
		}
		if (i == ds)
			return 0;
		if (i < n && p[i] == ';')
			i++;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		*cp = (unsigned)v;
		return i;
	}
	size_t i = 1;
	while (i < n && i < 16 && is_alnum((unsigned char)p[i]))
		i++;
	size_t nl = i - 1;
	if (nl == 0)
		return 0;
	bool semi = i < n && p[i] == ';';
	if (!semi) {
		/* legacy references that work without ';': only these four of
		 * named_refs, tried in its order (their first letters differ,
		 * so at most one matches) */
		static const struct {
			const char *name;
			size_t len;
			unsigned cp;
		} legacy[] = { { "lt", 2, '<' }, { "gt", 2, '>' }, { "quot", 4, '"' }, { "amp", 3, '&' } };
		for (size_t k = 0; k < sizeof(legacy) / sizeof(legacy[0]); k++)
			if (legacy[k].len <= nl && memcmp(legacy[k].name, p + 1, legacy[k].len) == 0) {
				*cp = legacy[k].cp;
				return 1 + legacy[k].len;
			}
		return 0;
	}
	for (size_t k = 0; k < sizeof(named_refs) / sizeof(named_refs[0]); k++) {
		const char *nm = named_refs[k].name;
		/* the whole name up to ';': the first byte decides most rows */
		if (nm[0] == p[1] && strlen(nm) == nl && memcmp(nm, p + 1, nl) == 0) { /* checksrc: table literal */
			*cp = named_refs[k].cp;
			return i + 1;
		}
	}
	return 0;
}

/* Next code point of s at *i with character references decoded. */
static unsigned next_cp(const char *s, size_t n, size_t *i)
{
	unsigned char c = (unsigned char)s[*i];
	unsigned cp;
	size_t k;
	if (c == '&' && (k = ent_ref(s + *i, n - *i, &cp)) > 0) {
		*i += k;
		return cp;
	}
	(*i)++;
	return c;
}

/* Append code point cp to out as UTF-8 (or one byte below 0x80). */
static size_t put_cp(char *out, size_t o, size_t cap, unsigned cp)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (o + n > cap)
		return o;
	memcpy(out + o, b, n);
	return o + n;
}

/* Decode character references of raw into out (at most cap bytes). */
static size_t dec_entities(sk_slice raw, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < raw.len && o + 4 <= cap)
		o = put_cp(out, o, cap, next_cp(raw.p, raw.len, &i));
	return o;
}

/* Undo JavaScript escapes (\uXXXX, \u{X}, \xHH, octal, \c) in place. */
static size_t dec_js(char *s, size_t n)
{
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c != '\\' || i + 1 >= n) {
			s[o++] = (char)c;
			i++;
			continue;
		}
		unsigned char e = (unsigned char)s[i + 1];
		unsigned cp = 0;
		size_t k = 0;
		if (e == 'u' && i + 2 < n && s[i + 2] == '{') {
			k = i + 3;
			while (k < n && k - i < 12 && hexval((unsigned char)s[k]) >= 0)
				cp = cp * 16 + (unsigned)hexval((unsigned char)s[k++]);
			if (k < n && s[k] == '}' && cp <= 0x10ffff)
				k++;
			else
				k = 0;
		} else if (e == 'u' && i + 5 < n) {
			k = i + 2;
			for (int d = 0; d < 4 && k; d++, k++)
				if (hexval((unsigned char)s[k]) < 0)
					k = 0;
				else
					cp = cp * 16 + (unsigned)hexval((unsigned char)s[k]);
			if (k)
				k = i + 6;
		} else if (e == 'x' && i + 3 < n && hexval((unsigned char)s[i + 2]) >= 0 &&
			   hexval((unsigned char)s[i + 3]) >= 0) {
			cp = (unsigned)(hexval((unsigned char)s[i + 2]) * 16 + hexval((unsigned char)s[i + 3]));
			k = i + 4;
		} else if (e >= '0' && e <= '7') {
			k = i + 1;
			while (k < n && k - i <= 3 && s[k] >= '0' && s[k] <= '7')
				cp = cp * 8 + (unsigned)(s[k++] - '0');
		}
		if (k == 0) {
			/* control escapes; any other "\c" is just c inside a JS string */
			s[o++] = e == 'r' ? '\r' : e == 'n' ? '\n' : e == 't' ? '\t' : e == 'b' ? '\b' :
				 e == 'f' ? '\f' : e == 'v' ? '\v' : (char)e;
			i += 2;
			continue;
		}
		if (cp == 0)
			cp = 0xfffd;
		/* UTF-8 output is never longer than the escape it replaces */
		o = put_cp(s, o, k, cp);
		i = k;
	}
	return o;
}

/* Undo CSS comments and escapes (\HEX, \c) in place; drop NULs. */
static size_t dec_css(char *s, size_t n)
{
	size_t i = 0, o = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			const char *e = memmem(s + i + 2, n - i - 2, "*/", 2);
			i = e ? (size_t)(e - s) + 2 : n;
			continue;
		}
		if (c == '\\' && i + 1 < n) {
			size_t k = i + 1;
			unsigned cp = 0;
			while (k < n && k - i <= 6 && hexval((unsigned char)s[k]) >= 0)
				cp = cp * 16 + (unsigned)hexval((unsigned char)s[k++]);
			if (k > i + 1) {
				if (k < n && is_space((unsigned char)s[k]))
					k++;
				o = put_cp(s, o, k, cp ? cp : 0xfffd);
				i = k;
			} else {
				s[o++] = s[i + 1];
				i += 2;
			}
			continue;
		}
		if (c != 0)
			s[o++] = (char)c;
		i++;
	}
	return o;
}

/* ---- JavaScript judgement ---- */

/* Names whose mere presence in a handler or URL body means script that
 * reaches the page, the user or the network. */
static const char *const js_danger[] = {
	"alert", "prompt", "confirm", "eval", "document", "window", "location", "cookie",
	"top", "self", "parent", "frames", "opener", "constructor", "fromCharCode", "atob",
	"innerHTML", "outerHTML", "setTimeout", "setInterval", "Function", "fetch",
	"XMLHttpRequest", "import", "globalThis", "execScript", "msgbox", "navigator",
};

/* The dialog functions that XSS probes call; a string breakout into one of
 * these is not something legitimate text does. */
static bool is_probe_sink(const char *s, size_t n)
{
	return (n == 5 && memcmp(s, "alert", 5) == 0) || (n == 6 && memcmp(s, "prompt", 6) == 0) ||
	       (n == 7 && memcmp(s, "confirm", 7) == 0) || (n == 4 && memcmp(s, "eval", 4) == 0) ||
	       (n == 10 && memcmp(s, "setTimeout", 10) == 0) || (n == 11 && memcmp(s, "setInterval", 11) == 0);
}

static bool js_keyword_call(const char *s, size_t n)
{
	static const char *const kw[] = { "if", "for", "while", "switch", "return", "typeof",
					  "function", "catch", "with", "void", "in" };
	for (size_t k = 0; k < sizeof(kw) / sizeof(kw[0]); k++)
		if (strlen(kw[k]) == n && memcmp(kw[k], s, n) == 0) /* checksrc: literal */
			return true;
	return false;
}

/* How much s[0..n) (already decoded) looks like script that does
 * something: 2 = a call or a dangerous name, 1 = some other non-empty
 * code, 0 = empty or a no-op such as void(0). */
static int js_strength(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (is_space((unsigned char)s[i]) || s[i] == ';'))
		i++;
	if (i == n)
		return 0;
	const char *t = s + i;
	size_t tn = n - i;
	while (tn > 0 && (is_space((unsigned char)t[tn - 1]) || t[tn - 1] == ';'))
		tn--;
	if ((tn == 7 && memcmp(t, "void(0)", 7) == 0) || (tn == 6 && memcmp(t, "void 0", 6) == 0) ||
	    (tn == 12 && memcmp(t, "return false", 12) == 0))
		return 0;
	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (is_ident(c) && !is_digit(c)) {
			size_t st = i;
			while (i < n && is_ident((unsigned char)s[i]))
				i++;
			size_t j = i;
			while (j < n && is_space((unsigned char)s[j]))
				j++;
			if (j < n && (s[j] == '(' || s[j] == '`') && !js_keyword_call(s + st, i - st))
				return 2;
			for (size_t k = 0; k < sizeof(js_danger) / sizeof(js_danger[0]); k++)
				if (strlen(js_danger[k]) == i - st && memcmp(js_danger[k], s + st, i - st) == 0) /* checksrc: literal */
					return 2;
			continue;
		}
		if ((c == ')' || c == ']') && i + 1 < n && (s[i + 1] == '(' || s[i + 1] == '`'))
			return 2;
		i++;
	}
	return 1;
}

/* ---- URLs ---- */

enum { URL_PLAIN, URL_SCRIPT, URL_DATA_ACTIVE, URL_DATA };

/* Normalise a decoded URL the way the URL parser does before reading the
 * scheme (leading C0/space stripped, tab and newlines removed; NUL too,
 * for old IE) and classify its scheme. *body gets the offset after the
 * scheme's ':' for script URLs. */
static int url_kind(char *s, size_t n, size_t *body)
{
	size_t i = 0, o = 0;
	while (i < n && (unsigned char)s[i] <= 0x20)
		i++;
	for (; i < n; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\0')
			s[o++] = s[i];
	n = o;
	i = 0;
	/* Firefox once unwrapped feed: and pcast: around other URLs */
	for (int k = 0; k < 4; k++) {
		if (has_prefix_ci(s + i, n - i, "feed:"))
			i += 5;
		else if (has_prefix_ci(s + i, n - i, "pcast:"))
			i += 6;
		else
			break;
	}
	static const char *const script_schemes[] = { "javascript:", "vbscript:", "livescript:", "mocha:" };
	for (size_t k = 0; k < sizeof(script_schemes) / sizeof(script_schemes[0]); k++)
		if (has_prefix_ci(s + i, n - i, script_schemes[k])) {
			*body = i + strlen(script_schemes[k]); /* checksrc: literal */
			return URL_SCRIPT;
		}
	if (has_prefix_ci(s + i, n - i, "mhtml:"))
		return URL_DATA_ACTIVE;
	if (has_prefix_ci(s + i, n - i, "data:")) {
		static const char *const active[] = { "text/html", "image/svg+xml", "text/xml", "application/xml",
						      "application/xhtml+xml", "text/javascript",
						      "application/javascript", "application/x-javascript",
						      "text/ecmascript", "text/vbscript", "text/x-scriptlet" };
		size_t j = i + 5;
		while (j < n && is_space((unsigned char)s[j]))
			j++;
		for (size_t k = 0; k < sizeof(active) / sizeof(active[0]); k++)
			if (has_prefix_ci(s + j, n - j, active[k]))
				return URL_DATA_ACTIVE;
		return URL_DATA;
	}
	return URL_PLAIN;
}

/* ---- tags and attributes ---- */

enum tag_kind {
	TAG_OTHER, TAG_SCRIPT, TAG_STYLE, TAG_PLUGIN, TAG_BASE, TAG_META, TAG_SVG, TAG_LINK,
	TAG_FRAME, TAG_IMPORT, TAG_ANIMATE,
};

static enum tag_kind tag_kind(sk_slice name)
{
	static const struct {
		const char *name;
		enum tag_kind kind;
	} tags[] = {
		{ "script", TAG_SCRIPT }, { "style", TAG_STYLE },   { "object", TAG_PLUGIN },
		{ "embed", TAG_PLUGIN },  { "applet", TAG_PLUGIN }, { "base", TAG_BASE },
		{ "meta", TAG_META },     { "svg", TAG_SVG },       { "math", TAG_SVG },
		{ "link", TAG_LINK },     { "iframe", TAG_FRAME },  { "frame", TAG_FRAME },
		{ "import", TAG_IMPORT }, { "xml", TAG_PLUGIN },     { "layer", TAG_PLUGIN },
		{ "ilayer", TAG_PLUGIN }, { "set", TAG_ANIMATE },   { "animate", TAG_ANIMATE },
		{ "t:set", TAG_ANIMATE }, { "t:animate", TAG_ANIMATE },
	};
	for (size_t k = 0; k < sizeof(tags) / sizeof(tags[0]); k++)
		if (html_name_is(name, tags[k].name))
			return tags[k].kind;
	return TAG_OTHER;
}

/* Event handler content attributes (without "on"), sorted for bsearch:
 * HTML, SVG, and the legacy IE/Firefox ones the payload lists use. */
static const char *const handlers[] = {
	"abort", "activate", "afterprint", "afterscriptexecute", "afterupdate", "animationcancel",
	"animationend", "animationiteration", "animationstart", "auxclick", "beforeactivate",
	"beforecopy", "beforecut", "beforedeactivate", "beforeeditfocus", "beforeinput",
	"beforematch", "beforepaste", "beforeprint", "beforescriptexecute", "beforetoggle",
	"beforeunload", "beforeupdate", "begin", "blur", "bounce", "cancel", "canplay",
	"canplaythrough", "cellchange", "change", "click", "close", "command",
	"contentvisibilityautostatechange", "contextlost", "contextmenu", "contextrestored",
	"controlselect", "copy", "cuechange", "cut", "dataavailable", "datasetchanged",
	"datasetcomplete", "dblclick", "deactivate", "devicemotion", "deviceorientation", "drag",
	"dragend", "dragenter", "dragexit", "dragleave", "dragover", "dragstart", "drop",
	"durationchange", "emptied", "end", "ended", "error", "errorupdate", "filterchange",
	"finish", "focus", "focusin", "focusout", "formchange", "formdata", "forminput", "fullscreenchange",
	"fullscreenerror", "gotpointercapture", "hashchange", "help", "input", "invalid",
	"keydown", "keypress", "keyup", "languagechange", "layoutcomplete", "load", "loadeddata",
	"loadedmetadata", "loadend", "loadstart", "losecapture", "lostpointercapture", "message",
	"messageerror", "mousedown", "mouseenter", "mouseleave", "mousemove", "mouseout",
	"mouseover", "mouseup", "mousewheel", "move", "moveend", "movestart", "mozfullscreenchange",
	"offline", "online", "orientationchange", "pagehide", "pagereveal", "pageshow", "pageswap",
	"paste", "pause", "play", "playing", "pointercancel", "pointerdown", "pointerenter",
	"pointerleave", "pointerlockchange", "pointermove", "pointerout", "pointerover",
	"pointerrawupdate", "pointerup", "popstate", "progress", "propertychange", "ratechange",
	"readystatechange", "rejectionhandled", "repeat", "reset", "resize", "resizeend",
	"resizestart", "rowenter", "rowexit", "rowsdelete", "rowsinserted", "scroll", "scrollend",
	"scrollsnapchange", "scrollsnapchanging", "search", "securitypolicyviolation", "seeked",
	"seeking", "select", "selectionchange", "selectstart", "show", "slotchange", "stalled",
	"start", "storage", "submit", "suspend", "timeupdate", "toggle", "touchcancel", "touchend",
	"touchmove", "touchstart", "transitioncancel", "transitionend", "transitionrun",
	"transitionstart", "unhandledrejection", "unload", "volumechange", "waiting",
	"webkitanimationend", "webkitanimationiteration", "webkitanimationstart",
	"webkitmouseforcechanged", "webkitmouseforcedown", "webkitmouseforceup",
	"webkitmouseforcewillbegin", "webkitplaybacktargetavailabilitychanged",
	"webkittransitionend", "wheel", "zoom",
};

struct name_key {
	const char *p;
	size_t len;
};

static int handler_cmp(const void *k, const void *e)
{
	const struct name_key *key = k;
	const char *name = *(const char *const *)e;
	size_t i = 0;
	for (; i < key->len && name[i]; i++) {
		int a = (int)lower((unsigned char)key->p[i]), b = (unsigned char)name[i];
		if (a != b)
			return a - b;
	}
	if (i < key->len)
		return 1;
	return name[i] ? -1 : 0;
}

/* 0: not an on* name; 1: on + letters, unknown; 2: a real handler. */
static int handler_name(sk_slice n)
{
	if (n.len < 4 || lower((unsigned char)n.p[0]) != 'o' || lower((unsigned char)n.p[1]) != 'n')
		return 0;
	size_t e = 2;
	while (e < n.len && is_alpha((unsigned char)n.p[e]))
		e++;
	if (e == 2)
		return 0;
	/* "onload!#$%&()*~+-_.,:;?@[" : old parsers stopped the name at the
	 * first non-letter; a known name followed by junk counts as that name */
	for (size_t i = e; i < n.len; i++)
		if (is_alnum((unsigned char)n.p[i]))
			return 0;
	struct name_key key = { n.p + 2, e - 2 };
	if (bsearch(&key, handlers, sizeof(handlers) / sizeof(handlers[0]), sizeof(handlers[0]), handler_cmp))
		return 2;
	return e == n.len ? 1 : 0;
}

/* An attribute that takes a URL (or, for to/from/values/by, a value an
 * animation sets). Names are compared whole and ignoring case; the
 * switch on the first byte, folded, keeps the compares to a few. */
#define URL_ATTR_IS(n, lit) ((n).len == sizeof(lit) - 1 && html_name_is(n, lit))
static bool is_url_attr(sk_slice n)
{
	if (n.len == 0)
		return false; /* html_name_is: no name is empty */
	switch (lower((unsigned char)n.p[0])) {
	case 'a':
		return URL_ATTR_IS(n, "action") ||
		       URL_ATTR_IS(n, "archive");
	case 'b':
		return URL_ATTR_IS(n, "background") ||
		       URL_ATTR_IS(n, "by");
	case 'c':
		return URL_ATTR_IS(n, "cite") ||
		       URL_ATTR_IS(n, "classid") ||
		       URL_ATTR_IS(n, "code") ||
		       URL_ATTR_IS(n, "codebase") ||
		       URL_ATTR_IS(n, "content");
	case 'd':
		return URL_ATTR_IS(n, "data") ||
		       URL_ATTR_IS(n, "datasrc") ||
		       URL_ATTR_IS(n, "dynsrc");
	case 'e':
		return URL_ATTR_IS(n, "ev:handler");
	case 'f':
		return URL_ATTR_IS(n, "filter") ||
		       URL_ATTR_IS(n, "folder") ||
		       URL_ATTR_IS(n, "formaction") ||
		       URL_ATTR_IS(n, "from");
	case 'h':
		return URL_ATTR_IS(n, "href");
	case 'i':
		return URL_ATTR_IS(n, "icon");
	case 'l':
		return URL_ATTR_IS(n, "longdesc") ||
		       URL_ATTR_IS(n, "lowsrc");
	case 'm':
		return URL_ATTR_IS(n, "manifest");
	case 'p':
		return URL_ATTR_IS(n, "ping") ||
		       URL_ATTR_IS(n, "poster") ||
		       URL_ATTR_IS(n, "profile");
	case 's':
		return URL_ATTR_IS(n, "src") ||
		       URL_ATTR_IS(n, "src2") ||
		       URL_ATTR_IS(n, "srcset");
	case 't':
		return URL_ATTR_IS(n, "to");
	case 'u':
		return URL_ATTR_IS(n, "usemap");
	case 'v':
		return URL_ATTR_IS(n, "values");
	case 'x':
		return URL_ATTR_IS(n, "xlink:href") ||
		       URL_ATTR_IS(n, "xml:base");
	default:
		return false;
	}
}
#undef URL_ATTR_IS

/* Dangerous CSS in decoded, comment-free style text. */
static bool css_active(const char *s, size_t n)
{
	return contains_ci(s, n, "expression(") || contains_ci(s, n, "javascript:") ||
	       contains_ci(s, n, "vbscript:") || contains_ci(s, n, "behavior:") ||
	       contains_ci(s, n, "behaviour:") || contains_ci(s, n, "-moz-binding") ||
	       contains_ci(s, n, "@import") || contains_ci(s, n, "data:text/html");
}

/* What one tag collected while its attributes went by. */
typedef struct tag_info {
	enum tag_kind kind;
	size_t off;         /* '<' of the tag */
	bool lower_name;    /* written in lower case (obfuscation mixes case) */
	bool has_src, src_tidy, all_quoted, meta_active, base_href;
	bool anim_target; /* <set>/<animate> aimed at a handler, href or innerHTML */
} tag_info;

static void scan_html(xss_ctx *c, sk_slice v, html_start start, unsigned flags, bool nested);
static size_t probe_call_at(sk_slice v, size_t i);

/* Judge one attribute. `t` may be NULL for attributes that a breakout
 * placed into the surrounding tag. */
static void check_attr(xss_ctx *c, tag_info *t, const html_token *a, bool breakout, sk_slice v, bool nested)
{
	char buf[XSS_DEC_MAX];
	size_t off = a->off, len = a->len;
	int h = handler_name(a->name);
	html_token alt;

	/* markup inside an attribute value or name ("<a href='<script>..'",
	 * "<b <script>") is what filter-confusion vectors hide; look at it
	 * once, without going deeper */
	if (!nested) {
		const char *lt = memchr(a->name.p, '<', a->name.len);
		sk_slice inner = SK_SLICE_NULL;
		if (lt)
			inner = sk_slice_make(lt, (size_t)(v.p + v.len - lt));
		else if (a->has_value && memchr(a->value.p, '<', a->value.len))
			inner = a->value;
		/* a name rescan runs to the end of the view: once per pass, to
		 * stay linear; values are disjoint, each may be rescanned */
		if (inner.len && (!lt || !c->inner_used)) {
			size_t save = c->base;
			if (lt)
				c->inner_used = true;
			c->base += (size_t)(inner.p - v.p);
			scan_html(c, inner, HTML_START_DATA, 0, true);
			c->base = save;
			if (xss_done(c))
				return;
		}
	}
	/* "SRC= onmouseover=alert(1)": an unquoted value that is itself a
	 * handler assignment (old IE re-read it as an attribute) */
	if (!h && a->has_value && a->quote == 0) {
		const char *eq = memchr(a->value.p, '=', a->value.len);
		if (eq && handler_name(sk_slice_make(a->value.p, (size_t)(eq - a->value.p))) == 2) {
			alt = *a;
			alt.name = sk_slice_make(a->value.p, (size_t)(eq - a->value.p));
			alt.value = sk_slice_make(eq + 1, a->value.len - alt.name.len - 1);
			a = &alt;
			h = 2;
		}
	}
	if (t && t->kind == TAG_ANIMATE && html_name_is(a->name, "attributename")) {
		size_t n = dec_entities(a->value, buf, sizeof(buf));
		sk_slice an = sk_slice_make(buf, n);
		t->anim_target = handler_name(an) != 0 || html_name_is(an, "href") ||
				 html_name_is(an, "xlink:href") || html_name_is(an, "innerhtml") ||
				 html_name_is(an, "outerhtml") || html_name_is(an, "src");
		return;
	}
	if (t && t->anim_target && a->has_value &&
	    (html_name_is(a->name, "to") || html_name_is(a->name, "values") || html_name_is(a->name, "from") ||
	     html_name_is(a->name, "by"))) {
		size_t n = dec_entities(a->value, buf, sizeof(buf));
		if (memchr(buf, '<', n) || js_strength(buf, n) == 2) {
			xss_report(c, DET_SCORE_CRITICAL, "xss.animate: animation sets a handler, link or markup", off, len);
			return;
		}
	}

	if (t && a->has_value && a->quote == 0 && a->value.len > 0)
		t->all_quoted = false;
	if (h) {
		if (!a->has_value) {
			xss_report(c, h == 2 ? DET_SCORE_NOTICE : DET_SCORE_NOTICE, "xss.handler: event handler attribute without code", off, len);
			return;
		}
		size_t n = dec_entities(a->value, buf, sizeof(buf));
		n = dec_js(buf, n);
		int s = js_strength(buf, n);
		/* a value cut off by the buffer is long script: judge it as code */
		if (a->value.len > XSS_DEC_MAX / 2 && s > 0)
			s = 2;
		if (h == 2 && s == 2)
			xss_report(c, DET_SCORE_CRITICAL,
				   breakout ? "xss.breakout: attribute breakout into an event handler"
					    : "xss.handler: event handler attribute with script",
				   off, len);
		else if (h == 2 && s == 1)
			xss_report(c, DET_SCORE_WARNING, "xss.handler: event handler attribute", off, len);
		else if (h == 1 && s > 0)
			xss_report(c, DET_SCORE_ERROR, "xss.handler: unknown on* attribute with a value", off, len);
		else
			xss_report(c, DET_SCORE_NOTICE, "xss.handler: empty on* attribute", off, len);
		return;
	}
	if (!a->has_value || a->value.len == 0)
		return;

	/* Netscape JavaScript entities: &{code}; */
	const char *je = memmem(a->value.p, a->value.len, "&{", 2);
	if (je) {
		size_t jn = a->value.len - (size_t)(je - a->value.p) - 2;
		if (js_strength(je + 2, jn) == 2) {
			xss_report(c, DET_SCORE_CRITICAL, "xss.handler: JavaScript entity in an attribute", off, len);
			return;
		}
	}
	if (html_name_is(a->name, "style")) {
		size_t n = dec_entities(a->value, buf, sizeof(buf));
		n = dec_css(buf, n);
		if (css_active(buf, n))
			xss_report(c, DET_SCORE_CRITICAL, "xss.style: script in a style attribute", off, len);
		return;
	}
	if (html_name_is(a->name, "srcdoc")) {
		size_t n = dec_entities(a->value, buf, sizeof(buf));
		if (memchr(buf, '<', n))
			xss_report(c, DET_SCORE_CRITICAL, "xss.srcdoc: markup in iframe srcdoc", off, len);
		return;
	}

	size_t n = dec_entities(a->value, buf, sizeof(buf)), body = 0;
	bool url_attr = is_url_attr(a->name);
	if (t && t->kind == TAG_META) {
		/* <meta http-equiv=refresh content="0;url=javascript:..."> */
		if (html_name_is(a->name, "http-equiv") || html_name_is(a->name, "charset"))
			t->meta_active = true;
		if (html_name_is(a->name, "content")) {
			const char *u = NULL;
			for (size_t i = 0; i + 4 <= n && !u; i++)
				if (has_prefix_ci(buf + i, n - i, "url="))
					u = buf + i + 4;
			if (u) {
				size_t un = n - (size_t)(u - buf);
				memmove(buf, u, un);
				n = un;
			}
		}
	}
	int k = url_kind(buf, n, &body);
	if (k == URL_SCRIPT) {
		int s = body <= n ? js_strength(buf + body, n - body) : 0;
		if (s == 2 || (url_attr && s == 1))
			xss_report(c, DET_SCORE_CRITICAL, "xss.url: script URL in an attribute", off, len);
		else
			xss_report(c, DET_SCORE_WARNING, "xss.url: javascript: URL", off, len);
	} else if (k == URL_DATA_ACTIVE && (url_attr || breakout)) {
		xss_report(c, DET_SCORE_CRITICAL, "xss.url: data: URL with active content", off, len);
	} else if (k == URL_DATA && t &&
		   (t->kind == TAG_SCRIPT || t->kind == TAG_PLUGIN || t->kind == TAG_FRAME) &&
		   (html_name_is(a->name, "src") || html_name_is(a->name, "data"))) {
		xss_report(c, DET_SCORE_CRITICAL, "xss.url: data: URL loaded as script or document", off, len);
	}
	if (!t)
		return;
	if (t->kind == TAG_SCRIPT && html_name_is(a->name, "src")) {
		t->has_src = true;
		/* what a code snippet shows: src="https://host/x.js" or a path */
		t->src_tidy = a->quote == '"' && k == URL_PLAIN &&
			      (has_prefix_ci(buf, n, "https://") || has_prefix_ci(buf, n, "http://") ||
			       (n > 1 && buf[0] == '/' && buf[1] != '/' && buf[1] != '\\') || (n > 0 && is_alnum((unsigned char)buf[0])));
	}
	if (t->kind == TAG_BASE && html_name_is(a->name, "href"))
		t->base_href = true;
}

/* Scan one view as HTML from `start`. `nested` forbids re-scanning
 * comment bodies again (IE conditional comments), keeping one level. */
static void scan_html(xss_ctx *c, sk_slice v, html_start start, unsigned flags, bool nested)
{
	html_lexer lx;
	html_token tok;
	tag_info t;
	bool in_tag = false, breakout = start != HTML_START_DATA, quote_seen = false;
	sk_slice last_text = SK_SLICE_NULL;
	enum { NONE, SCRIPT_BODY, STYLE_BODY } pending = NONE;
	tag_info pend;

	memset(&t, 0, sizeof(t));
	memset(&pend, 0, sizeof(pend));
	if (!nested)
		c->inner_used = false;
	html_lexer_init(&lx, v, start, flags);
	while (!xss_done(c) && html_lexer_next(&lx, &tok) != HTML_TOK_EOF) {
		/* content of a script or style element just opened */
		if (pending != NONE) {
			int was = pending;
			pending = NONE;
			if (tok.type == HTML_TOK_TEXT) {
				size_t i = 0;
				while (i < tok.value.len && is_space((unsigned char)tok.value.p[i]))
					i++;
				if (was == STYLE_BODY) {
					char buf[XSS_DEC_MAX];
					size_t n = tok.value.len < sizeof(buf) ? tok.value.len : sizeof(buf);
					memcpy(buf, tok.value.p, n);
					n = dec_css(buf, n);
					if (css_active(buf, n))
						xss_report(c, DET_SCORE_CRITICAL, "xss.style: script in a style element",
							   pend.off, tok.off + tok.len - pend.off);
					else
						xss_report(c, DET_SCORE_WARNING, "xss.tag: style element", pend.off,
							   tok.off - pend.off);
					continue;
				}
				if (i < tok.value.len) {
					xss_report(c, DET_SCORE_CRITICAL, "xss.script: script element with code",
						   pend.off, tok.off + tok.len - pend.off);
					continue;
				}
				if (html_lexer_next(&lx, &tok) == HTML_TOK_EOF)
					break;
			} else if (was == STYLE_BODY) {
				xss_report(c, DET_SCORE_WARNING, "xss.tag: style element", pend.off, 1);
			}
			if (was == SCRIPT_BODY) {
				bool closed = tok.type == HTML_TOK_CLOSE_TAG && html_name_is(tok.name, "script");
				if (pend.has_src && pend.src_tidy && pend.all_quoted && pend.lower_name && closed)
					xss_report(c, DET_SCORE_WARNING, "xss.script: script element loading a URL",
						   pend.off, tok.off - pend.off);
				else
					xss_report(c, DET_SCORE_CRITICAL, "xss.script: script element", pend.off,
						   tok.off - pend.off);
				if (xss_done(c))
					break;
			}
		}
		switch (tok.type) {
		case HTML_TOK_TEXT:
			last_text = tok.value;
			if (memchr(tok.value.p, '"', tok.value.len) || memchr(tok.value.p, '\'', tok.value.len))
				quote_seen = true;
			break;
		case HTML_TOK_TAG_OPEN: {
			memset(&t, 0, sizeof(t));
			t.kind = tag_kind(tok.name);
			t.off = tok.off;
			t.all_quoted = true;
			t.lower_name = true;
			for (size_t i = 0; i < tok.name.len; i++)
				if (tok.name.p[i] >= 'A' && tok.name.p[i] <= 'Z')
					t.lower_name = false;
			in_tag = true;
			breakout = false;
			/* "<scr<script>ipt>": a tag hidden in a tag name */
			const char *lt = memchr(tok.name.p, '<', tok.name.len);
			if (lt && !nested && !c->inner_used) {
				size_t save = c->base;
				c->inner_used = true;
				c->base += (size_t)(lt - v.p);
				scan_html(c, sk_slice_make(lt, (size_t)(v.p + v.len - lt)), HTML_START_DATA, 0, true);
				c->base = save;
			}
			if (t.kind == TAG_PLUGIN)
				xss_report(c, DET_SCORE_CRITICAL, "xss.tag: plugin element (object/embed/applet)",
					   tok.off, tok.len);
			else if (t.kind == TAG_SVG)
				/* foreign content: its own parsing rules, script and
				 * animation elements, CDATA; never in sanitised rich text */
				xss_report(c, DET_SCORE_CRITICAL, "xss.tag: svg/math element", tok.off, tok.len);
			else if (t.kind == TAG_FRAME)
				/* rich text embeds videos this way; only paranoia 3 cares */
				xss_report(c, DET_SCORE_NOTICE, "xss.tag: frame element", tok.off, tok.len);
			else if (t.kind == TAG_LINK || t.kind == TAG_IMPORT)
				xss_report(c, DET_SCORE_WARNING, "xss.tag: link/import element", tok.off, tok.len);
			break;
		}
		case HTML_TOK_ATTR:
			check_attr(c, in_tag ? &t : NULL, &tok, breakout, v, nested);
			break;
		case HTML_TOK_TAG_END:
			if (in_tag && !tok.end_tag) {
				size_t span = tok.off + tok.len - t.off;
				if (t.kind == TAG_META)
					xss_report(c, t.meta_active ? DET_SCORE_CRITICAL : DET_SCORE_WARNING,
						   "xss.tag: meta element", t.off, span);
				else if (t.kind == TAG_BASE)
					/* any <base> changes where every relative URL of the page goes */
					xss_report(c, DET_SCORE_CRITICAL, "xss.tag: base element", t.off, span);
				else if (t.kind == TAG_SCRIPT || t.kind == TAG_STYLE) {
					pend = t;
					/* a quote before the tag means the value broke out of an attribute */
					if (quote_seen)
						pend.lower_name = false;
					if (tok.unterminated || tok.self_closing) {
						xss_report(c, DET_SCORE_CRITICAL, t.kind == TAG_SCRIPT ? "xss.script: script element" : "xss.tag: style element", t.off, span);
					} else {
						pending = t.kind == TAG_SCRIPT ? SCRIPT_BODY : STYLE_BODY;
						html_lexer_rawtext(&lx, t.kind == TAG_SCRIPT ? SK_LIT("script") : SK_LIT("style"));
					}
				}
			}
			in_tag = false;
			breakout = false;
			break;
		case HTML_TOK_CLOSE_TAG:
			memset(&t, 0, sizeof(t));
			in_tag = true; /* attributes of end tags are judged too, they are never benign */
			if (html_name_is(tok.name, "script")) {
				/* "alert(1)</script>": code that ends the script it runs in */
				for (size_t k = 0; k < last_text.len; k++)
					if (is_alpha((unsigned char)last_text.p[k]) &&
					    (k == 0 || !is_ident((unsigned char)last_text.p[k - 1])) &&
					    probe_call_at(last_text, k)) {
						xss_report(c, DET_SCORE_CRITICAL, "xss.script: script code closing a script element",
							   (size_t)(last_text.p - v.p) + k, tok.off + tok.len - (size_t)(last_text.p - v.p) - k);
						break;
					}
				xss_report(c, DET_SCORE_WARNING, "xss.script: closes a script element", tok.off, tok.len);
			}
			break;
		case HTML_TOK_COMMENT:
			/* IE parsed the inside of <!--[if ...]> as markup, and markup in
			 * a comment is what filter-confusion vectors ("<!--<img src=
			 * '--><img onerror=..>") and comment injection points rely on */
			if (!nested && memchr(tok.value.p, '<', tok.value.len)) {
				size_t save = c->base;
				c->base += (size_t)(tok.value.p - v.p);
				scan_html(c, tok.value, HTML_START_DATA, flags, true);
				c->base = save;
			}
			break;
		case HTML_TOK_CDATA:
			/* inside <svg>/<math> a CDATA section hides markup from filters */
			if (!nested) {
				size_t save = c->base;
				c->base += (size_t)(tok.value.p - v.p);
				scan_html(c, tok.value, HTML_START_DATA, flags, true);
				c->base = save;
			}
			break;
		default:
			break;
		}
	}
	if (!xss_done(c) && pending == SCRIPT_BODY)
		xss_report(c, DET_SCORE_CRITICAL, "xss.script: script element", pend.off, v.len - pend.off);
	else if (!xss_done(c) && pending == STYLE_BODY)
		xss_report(c, DET_SCORE_WARNING, "xss.tag: style element", pend.off, v.len - pend.off);
}

/* ---- scans over the raw value ---- */

/* javascript:, vbscript:, livescript: anywhere a URL may start, with
 * character references decoded and tab/newline/NUL inside the scheme
 * skipped (the URL parser removes them). */
static void scan_script_urls(xss_ctx *c, sk_slice v)
{
	static const char *const words[] = { "javascript", "vbscript", "livescript" };
	unsigned prev = ' ';
	size_t i = 0;
	while (i < v.len && !xss_done(c)) {
		size_t at = i;
		unsigned cp = lower(next_cp(v.p, v.len, &i));
		if ((cp != 'j' && cp != 'v' && cp != 'l') || is_alnum(prev)) {
			prev = cp;
			continue;
		}
		prev = cp;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
			const char *wd = words[w];
			if ((unsigned char)wd[0] != cp)
				continue;
			size_t j = i, k = 1, skipped = 0;
			while (j < v.len && skipped < 16) {
				unsigned d = lower(next_cp(v.p, v.len, &j));
				if (d == '\t' || d == '\n' || d == '\r' || d == 0) {
					skipped++;
					continue;
				}
				if (wd[k] == '\0') {
					if (d != ':')
						k = 0;
					break;
				}
				if (d != (unsigned char)wd[k]) {
					k = 0;
					break;
				}
				k++;
			}
			if (k == 0 || wd[k] != '\0' || j > v.len)
				continue;
			/* j is after ':'; look at what follows as script */
			char body[128] = { 0 };
			size_t bn = 0;
			while (j < v.len && bn < sizeof(body)) {
				unsigned d = next_cp(v.p, v.len, &j);
				body[bn++] = (char)(d < 0x80 ? d : 0x80);
			}
			bn = dec_js(body, bn);
			int s = js_strength(body, bn);
			if (s == 2)
				xss_report(c, DET_SCORE_CRITICAL, "xss.url: script URL", at, j - at);
			else if (s == 1 && at == 0)
				xss_report(c, DET_SCORE_WARNING, "xss.url: javascript: URL", at, j - at);
			else
				xss_report(c, DET_SCORE_NOTICE, "xss.url: javascript: word", at, j - at);
			break;
		}
	}
}

/* data:text/html (and friends) anywhere a URL may start. */
static void scan_data_urls(xss_ctx *c, sk_slice v)
{
	/* "data:" ends in a colon: hop from one colon to the next and look
	 * four bytes back, visiting the starts in the same order */
	for (const char *q = memchr(v.p, ':', v.len); q && !xss_done(c);
	     q = memchr(q + 1, ':', v.len - (size_t)(q + 1 - v.p))) {
		if (q - v.p < 4)
			continue;
		size_t i = (size_t)(q - v.p) - 4;
		if (lower((unsigned char)v.p[i]) != 'd' || (i > 0 && is_alnum((unsigned char)v.p[i - 1])))
			continue;
		if (!has_prefix_ci(v.p + i, v.len - i, "data:"))
			continue;
		char buf[64];
		size_t n = v.len - i < sizeof(buf) ? v.len - i : sizeof(buf), body;
		memcpy(buf, v.p + i, n);
		if (url_kind(buf, n, &body) == URL_DATA_ACTIVE)
			xss_report(c, DET_SCORE_CRITICAL, "xss.url: data: URL with active content", i, n);
	}
}

/* Identifier ending right before v[i]... helpers for the JS scans. */
static size_t skip_space(sk_slice v, size_t i, size_t limit)
{
	size_t n = 0;
	while (i < v.len && n < limit && is_space((unsigned char)v.p[i])) {
		i++;
		n++;
	}
	return i;
}

/* At v[i]: a call of a probe sink ("alert(", "prompt`", "alert&#40;")?
 * Returns the offset after the call opener, or 0. */
static size_t probe_call_at(sk_slice v, size_t i)
{
	size_t st = i;
	while (i < v.len && i - st < 16 && is_ident((unsigned char)v.p[i]))
		i++;
	if (!is_probe_sink(v.p + st, i - st))
		return 0;
	if (st > 0 && (is_ident((unsigned char)v.p[st - 1]) || v.p[st - 1] == '.'))
		return 0;
	i = skip_space(v, i, 8);
	if (i >= v.len)
		return 0;
	size_t k = i;
	unsigned cp = next_cp(v.p, v.len, &k);
	return (cp == '(' || cp == '`') ? k : 0;
}

/* JavaScript string breakouts: a quote closes the string, an operator or
 * ';' follows, then a probe sink is called: "';alert(1)//", "'-alert(1)-'",
 * "\";alert('XSS');//", "'te' in alert('in') in 'xt'". Also a value that
 * is nothing but a probe call ("alert(1)", "prompt`1`;"). */
/* v[e] is just after "sink(" or "sink`": the offset after the matching
 * ')' or '`' (references such as &rpar; count), or 0 if it does not close
 * within a short distance. */
static size_t probe_call_end(sk_slice v, size_t e)
{
	size_t k = e;
	int depth = 1;
	unsigned close = v.p[e - 1] == '`' ? '`' : ')';
	for (int steps = 0; k < v.len && steps < 512; steps++) {
		unsigned cp = next_cp(v.p, v.len, &k);
		if (close == '`' && cp == '`')
			return k;
		if (close == ')' && cp == '(')
			depth++;
		else if (close == ')' && cp == ')' && --depth == 0)
			return k;
	}
	return 0;
}

/* The call opened at v[e-1] reads as code, not prose: its arguments
 * close, hold no bare words separated by spaces ("alert(the police)"),
 * and an operator, ';', a quote, a comment or the end follows. */
static bool probe_call_codelike(sk_slice v, size_t e)
{
	size_t k = probe_call_end(v, e);
	if (!k)
		return false;
	char q = 0;
	for (size_t i = e; i < k; i++) {
		char ch = v.p[i];
		if (q) {
			if (ch == q)
				q = 0;
		} else if (ch == '\'' || ch == '"' || ch == '`') {
			q = ch;
		} else if (is_space((unsigned char)ch) && i > e && is_ident((unsigned char)v.p[i - 1]) &&
			   i + 1 < k && is_ident((unsigned char)v.p[i + 1])) {
			return false;
		}
	}
	k = skip_space(v, k, 16);
	return k >= v.len || strchr(";/-+*%&|^,?:)}'\"`<>=i", v.p[k]);
}

/* After a call at v[k]: only ';', ')', quotes, commas, spaces, then the
 * end of the value or a "//" comment that swallows the rest. */
static bool terminal_tail(sk_slice v, size_t k, bool path)
{
	while (k < v.len && strchr(";)\"'{}>, \t\r\n", v.p[k]) && v.p[k] != '\0')
		k++;
	/* in a path the segment ends at '/' */
	return k == v.len || (k + 1 < v.len && v.p[k] == '/' && v.p[k + 1] == '/') ||
	       (path && k < v.len && v.p[k] == '/');
}

/* JavaScript string breakouts: a quote closes the string, an operator or
 * ';' follows, then a probe sink is called: "';alert(1)//", "'-alert(1)-'",
 * "\";alert('XSS');//", "'te' in alert('in') in 'xt'". And probe calls
 * that end the value, at its start or after '=', '?', ';', '}', '/':
 * "alert(1)", "prompt`1`;", "}alert(1);{//", "?x=alert(document.cookie)",
 * "a;alert(1)//b", "alert&lpar;1&rpar;". */
static void scan_js_breakout(xss_ctx *c, sk_slice v)
{
	size_t i = 0;
	bool at_start = true;
	for (; i < v.len && !xss_done(c); i++) {
		unsigned char b = (unsigned char)v.p[i];
		if (!is_alpha(b)) {
			/* leading quotes and closers still count as the start */
			if (at_start && !(is_space(b) || strchr("'\"`;)}\\-+", b)))
				at_start = false;
			continue;
		}
		unsigned char pb = i > 0 ? (unsigned char)v.p[i - 1] : ' ';
		bool lead = at_start || strchr("=?&;}/#", pb);
		at_start = false;
		if (!lead || pb == '\0')
			continue;
		size_t e = probe_call_at(v, i);
		if (!e)
			continue;
		size_t k = probe_call_end(v, e);
		if (k && terminal_tail(v, k, c->in->loc == LOC_PATH))
			xss_report(c, DET_SCORE_CRITICAL, "xss.js: probe call ends the value", i, k - i);
		else
			xss_report(c, DET_SCORE_WARNING, "xss.js: probe call", i, e - i);
	}
	for (i = 0; i < v.len && !xss_done(c); i++) {
		char q = v.p[i];
		if (q != '\'' && q != '"' && q != '`')
			continue;
		size_t j = skip_space(v, i + 1, 16);
		if (j >= v.len)
			break;
		char op = v.p[j];
		if (strchr(";+-*/%&|^,?:<>=)}", op) && op != '\0') {
			j++;
			/* doubled operators: ==, ||, && */
			if (j < v.len && (v.p[j] == op || v.p[j] == '='))
				j++;
		} else if (has_prefix_ci(v.p + j, v.len - j, "instanceof ")) {
			j += 11;
		} else if (has_prefix_ci(v.p + j, v.len - j, "in ")) {
			j += 3;
		} else {
			continue;
		}
		j = skip_space(v, j, 16);
		while (j < v.len && v.p[j] == '(' )
			j++;
		size_t e = j < v.len ? probe_call_at(v, j) : 0;
		if (e && probe_call_codelike(v, e))
			xss_report(c, DET_SCORE_CRITICAL, "xss.js: string breakout into a script call", i, e - i);
		else if (e)
			xss_report(c, DET_SCORE_WARNING, "xss.js: quote and a probe call", i, e - i);
	}
}

/* AngularJS client-side template injection: {{ ... }} reaching the
 * Function constructor or $eval, and the constructor gadget outside. */
static void scan_templates(xss_ctx *c, sk_slice v)
{
	size_t i = 0;
	while (i + 1 < v.len && !xss_done(c)) {
		const char *o = memmem(v.p + i, v.len - i, "{{", 2);
		if (!o)
			break;
		size_t s = (size_t)(o - v.p), e;
		const char *cl = memmem(o + 2, v.len - s - 2, "}}", 2);
		e = cl ? (size_t)(cl - v.p) + 2 : v.len;
		sk_slice in = sk_slice_make(o + 2, e - s - 2);
		if (memmem(in.p, in.len, "constructor", 11) || memmem(in.p, in.len, "$eval", 5) ||
		    memmem(in.p, in.len, "$on.", 4) || memmem(in.p, in.len, "__proto__", 9) ||
		    memmem(in.p, in.len, "fromCharCode", 12))
			xss_report(c, DET_SCORE_CRITICAL, "xss.template: AngularJS sandbox escape", s, e - s);
		else {
			for (size_t k = 0; k < in.len; k++)
				if (is_alpha((unsigned char)in.p[k]) && probe_call_at(in, k)) {
					xss_report(c, DET_SCORE_CRITICAL, "xss.template: template expression calls a probe", s, e - s);
					break;
				}
		}
		i = e;
	}
	/* constructor.constructor("code")() reaches Function from any object */
	const char *g = memmem(v.p, v.len, "constructor.constructor(", 24);
	if (g)
		xss_report(c, DET_SCORE_CRITICAL, "xss.js: Function constructor gadget", (size_t)(g - v.p), 24);
	g = memmem(v.p, v.len, "$eval", 5);
	if (g && !xss_done(c)) {
		sk_slice rest = sk_slice_make(g, v.len - (size_t)(g - v.p));
		for (size_t k = 0; k < rest.len; k++)
			if (is_alpha((unsigned char)rest.p[k]) && probe_call_at(rest, k)) {
				xss_report(c, DET_SCORE_CRITICAL, "xss.template: AngularJS $eval of a probe",
					   (size_t)(g - v.p), k + 5);
				break;
			}
	}
}

/* UTF-7 markup ("+ADw-script+AD4-") for pages a browser once sniffed as UTF-7. */
static void scan_utf7(xss_ctx *c, sk_slice v)
{
	const char *p = v.p;
	size_t n = v.len;
	while (n >= 6) {
		const char *f = memmem(p, n, "+ADw-", 5);
		if (!f)
			break;
		size_t at = (size_t)(f - v.p);
		if (at + 5 < v.len && (is_alpha((unsigned char)v.p[at + 5]) || v.p[at + 5] == '/')) {
			xss_report(c, DET_SCORE_CRITICAL, "xss.utf7: UTF-7 encoded markup", at, 6);
			return;
		}
		p = f + 5;
		n = v.len - (at + 5);
	}
}

static void analyze(xss_ctx *c, sk_slice v, bool decoded);

/* Markup written with JS escapes (\x3c, \u003c, \74) shows up once a
 * script or JSON layer unescapes it: analyse the unescaped head too. */
static void scan_js_escaped(xss_ctx *c, sk_slice v)
{
	bool any = false;
	for (const char *b = memchr(v.p, '\\', v.len); b && !any;
	     b = memchr(b + 1, '\\', v.len - (size_t)(b + 1 - v.p)))
		any = b + 1 < v.p + v.len && strchr("xXuU01234567rntbfv", b[1]) && b[1] != '\0';
	if (!any)
		return;
	char buf[XSS_DEC_MAX];
	size_t n = v.len < sizeof(buf) ? v.len : sizeof(buf);
	memcpy(buf, v.p, n);
	/* \X3C is not JS, but the lists write it; fold the escape letter */
	for (size_t i = 0; i + 1 < n; i++)
		if (buf[i] == '\\' && (buf[i + 1] == 'X' || buf[i + 1] == 'U'))
			buf[i + 1] |= 0x20;
	n = dec_js(buf, n);
	xss_ctx sub = *c;
	sub.have = false;
	sub.base = 0;
	analyze(&sub, sk_slice_make(buf, n), true);
	if (sub.have)
		xss_report(c, sub.best.score, sub.best.rule, 0, v.len);
}

/* Header values are inspected as sent, but a Referer (or any header
 * carrying a URL) holds a percent-encoded query that log viewers and
 * analytics pages show decoded: look at a decoded copy of its head. */
static void scan_header_decoded(xss_ctx *c, sk_slice v)
{
	char buf[XSS_DEC_MAX];
	size_t n = 0;
	bool changed = false;
	for (size_t i = 0; i < v.len && n < sizeof(buf); i++) {
		if (v.p[i] == '%' && i + 2 < v.len && hexval((unsigned char)v.p[i + 1]) >= 0 &&
		    hexval((unsigned char)v.p[i + 2]) >= 0) {
			buf[n++] = (char)(hexval((unsigned char)v.p[i + 1]) * 16 + hexval((unsigned char)v.p[i + 2]));
			i += 2;
			changed = true;
		} else {
			buf[n++] = v.p[i] == '+' ? ' ' : v.p[i];
		}
	}
	if (!changed)
		return;
	xss_ctx sub = *c;
	sub.have = false;
	sub.base = 0;
	analyze(&sub, sk_slice_make(buf, n), true);
	if (sub.have)
		xss_report(c, sub.best.score, sub.best.rule, 0, v.len);
}

/* Character references outside markup ("&#97;lert(1)", "alert&lpar;1&rpar;")
 * turn into code once the value lands in an attribute: analyse the head
 * with references decoded, except those for '<' and '>' (escaped markup
 * is how rich text shows code, and it stays text). Also catches CSS
 * "x:expression(" written with references and comments. */
static void scan_entity_view(xss_ctx *c, sk_slice v)
{
	char buf[XSS_DEC_MAX];
	size_t i = 0, o = 0;
	bool changed = false;
	/* Most values have no reference that decodes: the loop below only
	 * changes something at an '&' it reaches while the copy, byte for
	 * byte until then, fits (at + 4 <= sizeof(buf)), where next_cp
	 * reads a reference to something other than < or >. Look at the
	 * '&'s alone first. */
	bool any = false;
	for (const char *a = memchr(v.p, '&', v.len); a && !any;
	     a = memchr(a + 1, '&', v.len - (size_t)(a + 1 - v.p))) {
		size_t at = (size_t)(a - v.p), k = at;
		if (at + 4 > sizeof(buf))
			break;
		unsigned cp = next_cp(v.p, v.len, &k);
		any = k - at > 1 && cp != '<' && cp != '>';
	}
	if (!any)
		return;
	while (i < v.len && o + 4 <= sizeof(buf)) {
		if (v.p[i] != '&') {
			/* next_cp steps one byte, which the else branch copies */
			buf[o++] = v.p[i++];
			continue;
		}
		size_t at = i;
		unsigned cp = next_cp(v.p, v.len, &i);
		if (i - at > 1 && cp != '<' && cp != '>') {
			changed = true;
			o = put_cp(buf, o, sizeof(buf), cp);
		} else {
			memcpy(buf + o, v.p + at, i - at < sizeof(buf) - o ? i - at : sizeof(buf) - o);
			o += i - at < sizeof(buf) - o ? i - at : sizeof(buf) - o;
		}
	}
	if (changed) {
		xss_ctx sub = *c;
		sub.have = false;
		sub.base = 0;
		analyze(&sub, sk_slice_make(buf, o), true);
		if (sub.have)
			xss_report(c, sub.best.score, sub.best.rule, 0, v.len);
	}
}

/* "xss:expression(alert(1))", with CSS comments and escapes undone. */
static void scan_css_expression(xss_ctx *c, sk_slice v)
{
	char buf[XSS_DEC_MAX];
	size_t n = v.len < sizeof(buf) ? v.len : sizeof(buf);
	memcpy(buf, v.p, n);
	n = dec_css(buf, n);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != ':')
			continue;
		size_t j = i + 1;
		while (j < n && is_space((unsigned char)buf[j]))
			j++;
		if (has_prefix_ci(buf + j, n - j, "expression(")) {
			xss_report(c, DET_SCORE_CRITICAL, "xss.style: CSS expression()", 0, v.len);
			return;
		}
	}
}

/* Without markup, an attribute breakout needs "name=" where the name is
 * a handler, a URL attribute, style or srcdoc: check that first (cheap,
 * one pass) before tokenizing the value from four contexts. */
static bool has_risky_assignment(sk_slice v)
{
	for (const char *e = memchr(v.p, '=', v.len); e; e = memchr(e + 1, '=', v.len - (size_t)(e + 1 - v.p))) {
		const char *b = e;
		while (b > v.p && e - b < 40 && (is_space((unsigned char)b[-1])))
			b--;
		const char *ne = b;
		while (b > v.p && ne - b < 40 && (is_alnum((unsigned char)b[-1]) || b[-1] == ':' || b[-1] == '-'))
			b--;
		sk_slice n = sk_slice_make(b, (size_t)(ne - b));
		/* every handler name is an on* name of 4 bytes or more
		 * (handler_name answers 0 to the others), so the on* test
		 * covers it; html_name_is matches a name of the literal's
		 * length only */
		if ((n.len > 2 && lower((unsigned char)n.p[0]) == 'o' && lower((unsigned char)n.p[1]) == 'n') ||
		    is_url_attr(n) || (n.len == 5 && html_name_is(n, "style")) ||
		    (n.len == 6 && html_name_is(n, "srcdoc")))
			return true;
	}
	return false;
}

/* Each name is searched only in a value that has all its letters (`cl`,
 * det_classes of v): a name found is made of letters of the value. */
/* May scan_js_breakout report? Each of its reports stands on
 * probe_call_at: a sink name, at most a few spaces, then '(' or '`' read
 * by next_cp, which is that byte itself or an entity starting with '&'.
 * So a report needs a '(', '`' or '&' whose preceding bytes, spaces
 * skipped, end with a sink name (is_probe_sink). Only those bytes are
 * visited, memchr hopping between them; a sink name also needs all of its
 * letters in the value. */
/* Does "{{" occur? memchr hops between the '{'s. */
static bool has_double_brace(sk_slice v)
{
	for (const char *b = memchr(v.p, '{', v.len); b; b = memchr(b + 1, '{', v.len - (size_t)(b + 1 - v.p)))
		if (b + 1 < v.p + v.len && b[1] == '{')
			return true;
	return false;
}

static bool has_probe_call(sk_slice v, uint64_t cl)
{
	static const struct {
		const char *s;
		size_t len;
		uint64_t letters;
	} sinks[] = {
		{ "alert", 5, DC_LETTERS4('a', 'l', 'e', 'r') | DC_LETTER('t') },
		{ "prompt", 6, DC_LETTERS4('p', 'r', 'o', 'm') | DC_LETTER('t') },
		{ "confirm", 7, DC_LETTERS4('c', 'o', 'n', 'f') | DC_LETTERS3('i', 'r', 'm') },
		{ "eval", 4, DC_LETTERS4('e', 'v', 'a', 'l') },
		{ "setTimeout", 10, DC_LETTERS4('s', 'e', 't', 'i') | DC_LETTERS3('m', 'o', 'u') },
		{ "setInterval", 11, DC_LETTERS4('s', 'e', 't', 'i') | DC_LETTERS4('n', 'r', 'v', 'a') | DC_LETTER('l') },
	};
	static const struct {
		char c;
		unsigned cls;
	} stops[] = { { '(', DC_PAREN }, { '`', DC_BACKTICK }, { '&', DC_AMP } };
	enum { NS = sizeof(sinks) / sizeof(sinks[0]) };
	unsigned want = 0;
	for (unsigned k = 0; k < NS; k++)
		if (det_has_letters(cl, sinks[k].letters))
			want |= 1u << k;
	if (!want)
		return false;
	for (size_t t = 0; t < sizeof(stops) / sizeof(stops[0]); t++) {
		if (!(cl & stops[t].cls))
			continue;
		for (const char *q = memchr(v.p, stops[t].c, v.len); q;
		     q = memchr(q + 1, stops[t].c, v.len - (size_t)(q + 1 - v.p))) {
			size_t e = (size_t)(q - v.p);
			while (e > 0 && is_space((unsigned char)v.p[e - 1]))
				e--;
			for (unsigned k = 0; k < NS; k++)
				if ((want & (1u << k)) && sinks[k].len <= e &&
				    memcmp(v.p + e - sinks[k].len, sinks[k].s, sinks[k].len) == 0)
					return true;
		}
	}
	return false;
}

static void analyze(xss_ctx *c, sk_slice v, bool decoded)
{
	uint64_t cl = decoded ? det_classes(v) : c->in->classes;
	/* the letters of "script" and of "ression", for the searches below */
	const uint64_t script = DC_LETTERS4('s', 'c', 'r', 'i') | DC_LETTERS2('p', 't');
	const uint64_t ression = DC_LETTERS4('r', 'e', 's', 'i') | DC_LETTERS2('o', 'n');

	if (cl & DC_LT)
		scan_html(c, v, HTML_START_DATA, 0, false);
	if ((cl & DC_BACKTICK) && (cl & DC_LT) && !xss_done(c))
		scan_html(c, v, HTML_START_DATA, HTML_LEX_BACKTICK_QUOTES, false);
	if ((cl & DC_EQUALS) && ((cl & DC_LT) || has_risky_assignment(v))) {
		/* the value pasted into a quoted or unquoted attribute value */
		if ((cl & DC_DQUOTE) && !xss_done(c))
			scan_html(c, v, HTML_START_VALUE_DQ, 0, false);
		if ((cl & DC_SQUOTE) && !xss_done(c))
			scan_html(c, v, HTML_START_VALUE_SQ, 0, false);
		if ((cl & DC_BACKTICK) && !xss_done(c))
			scan_html(c, v, HTML_START_VALUE_BT, HTML_LEX_BACKTICK_QUOTES, false);
		if ((cl & (DC_SPACE | DC_CTL)) && !xss_done(c))
			scan_html(c, v, HTML_START_VALUE_UNQ, 0, false);
		/* and pasted between the attributes of a tag */
		if (!xss_done(c))
			scan_html(c, v, HTML_START_ATTRS, 0, false);
	}
	if ((cl & (DC_COLON | DC_AMP)) && !xss_done(c)) {
		if ((cl & DC_AMP) || (det_has_letters(cl, script) && contains_ci(v.p, v.len, "script")))
			scan_script_urls(c, v);
		if (!xss_done(c))
			scan_data_urls(c, v);
	}
	if ((cl & (DC_PAREN | DC_BACKTICK | DC_AMP)) && !xss_done(c) && has_probe_call(v, cl))
		scan_js_breakout(c, v);
	/* "{{" needs a brace, "$eval" a dollar, "constructor" its letters */
	if ((cl & (DC_BRACE | DC_PAREN)) && !xss_done(c) &&
	    (((cl & DC_BRACE) && has_double_brace(v)) ||
	     (det_has_letters(cl, DC_LETTERS4('c', 'o', 'n', 's') | DC_LETTERS3('t', 'r', 'u')) &&
	      memmem(v.p, v.len, "constructor", 11)) ||
	     ((cl & DC_DOLLAR) && memmem(v.p, v.len, "$eval", 5))))
		scan_templates(c, v);
	if ((cl & DC_PLUS) && (cl & DC_DASH) && !xss_done(c))
		scan_utf7(c, v);
	if ((cl & DC_COLON) && (cl & DC_PAREN) && !xss_done(c) &&
	    ((cl & DC_BACKSLASH) || (det_has_letters(cl, ression) && contains_ci(v.p, v.len, "ression"))))
		scan_css_expression(c, v);
	if (!decoded && (cl & DC_BACKSLASH) && !xss_done(c))
		scan_js_escaped(c, v);
	if (!decoded && (cl & DC_AMP) && !xss_done(c))
		scan_entity_view(c, v);
	if (!decoded && (cl & DC_PERCENT) && c->in->loc == LOC_HEADER && !xss_done(c))
		scan_header_decoded(c, v);
}

int xss_detect(const det_input *in, det_hit *hit)
{
	/* Every vector needs markup, a URL scheme, an attribute, a quote, a
	 * call or a template: values without any of these bytes are out. */
	unsigned need = DC_LT | DC_COLON | DC_AMP | DC_EQUALS | DC_BRACE | DC_SQUOTE | DC_DQUOTE |
			DC_BACKTICK | DC_PAREN | DC_PLUS | DC_BACKSLASH;
	if (in->loc == LOC_HEADER)
		need |= DC_PERCENT;
	if (!(in->classes & need))
		return 0;
	if (!in->value.p || in->value.len == 0)
		return 0;

	xss_ctx c;
	memset(&c, 0, sizeof(c));
	c.in = in;
	c.vlen = in->value.len;
	c.min_score = in->paranoia >= 3 ? DET_SCORE_NOTICE : in->paranoia == 2 ? DET_SCORE_WARNING : DET_SCORE_CRITICAL;
	analyze(&c, in->value, false);
	if (!c.have)
		return 0;
	*hit = c.best;
	return 1;
}
