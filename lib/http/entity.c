/* entity.c - HTML character references, decoded once as an HTML5 parser
 * does in text content. The XSS detector's caller uses this to see
 * "&lt;script&gt;" and "javascript&colon;" as the browser will.
 * See include/sekisho/decode.h for the contract. */
#include "sekisho/decode.h"

typedef struct html_entity {
	const char *name;
	unsigned char len;
	unsigned short cp; /* every entity here is one BMP code point */
	bool legacy;       /* recognised without ';' (the HTML5 legacy set) */
} html_entity;

/* Sorted by byte order of the name (binary search). The legacy entries are
 * the HTML Latin-1 set (U+00A0-U+00FF in code point order) plus amp, lt, gt,
 * quot and the upper-case AMP, LT, GT, QUOT, COPY, REG. The others are the
 * ones that matter for script and markup (&colon; &lpar; &Tab; &NewLine;
 * &grave; ...) and common typography. Every value is one BMP code point. tests/data/decode/entity_names.txt
 * decodes every row, which also proves the order. */
static const html_entity entities[] = {
	{ "AElig", 5, 0x00C6, true },
	{ "AMP", 3, 0x0026, true },
	{ "Aacute", 6, 0x00C1, true },
	{ "Acirc", 5, 0x00C2, true },
	{ "Agrave", 6, 0x00C0, true },
	{ "Alpha", 5, 0x0391, false },
	{ "Aring", 5, 0x00C5, true },
	{ "Atilde", 6, 0x00C3, true },
	{ "Auml", 4, 0x00C4, true },
	{ "Beta", 4, 0x0392, false },
	{ "COPY", 4, 0x00A9, true },
	{ "Ccedil", 6, 0x00C7, true },
	{ "Dagger", 6, 0x2021, false },
	{ "Delta", 5, 0x0394, false },
	{ "DiacriticalGrave", 16, 0x0060, false },
	{ "ETH", 3, 0x00D0, true },
	{ "Eacute", 6, 0x00C9, true },
	{ "Ecirc", 5, 0x00CA, true },
	{ "Egrave", 6, 0x00C8, true },
	{ "Euml", 4, 0x00CB, true },
	{ "GT", 2, 0x003E, true },
	{ "Gamma", 5, 0x0393, false },
	{ "Hat", 3, 0x005E, false },
	{ "Iacute", 6, 0x00CD, true },
	{ "Icirc", 5, 0x00CE, true },
	{ "Igrave", 6, 0x00CC, true },
	{ "Iuml", 4, 0x00CF, true },
	{ "LT", 2, 0x003C, true },
	{ "NewLine", 7, 0x000A, false },
	{ "NonBreakingSpace", 16, 0x00A0, false },
	{ "Ntilde", 6, 0x00D1, true },
	{ "OElig", 5, 0x0152, false },
	{ "Oacute", 6, 0x00D3, true },
	{ "Ocirc", 5, 0x00D4, true },
	{ "Ograve", 6, 0x00D2, true },
	{ "Omega", 5, 0x03A9, false },
	{ "Oslash", 6, 0x00D8, true },
	{ "Otilde", 6, 0x00D5, true },
	{ "Ouml", 4, 0x00D6, true },
	{ "Prime", 5, 0x2033, false },
	{ "QUOT", 4, 0x0022, true },
	{ "REG", 3, 0x00AE, true },
	{ "Scaron", 6, 0x0160, false },
	{ "THORN", 5, 0x00DE, true },
	{ "Tab", 3, 0x0009, false },
	{ "Uacute", 6, 0x00DA, true },
	{ "Ucirc", 5, 0x00DB, true },
	{ "Ugrave", 6, 0x00D9, true },
	{ "UnderBar", 8, 0x005F, false },
	{ "Uuml", 4, 0x00DC, true },
	{ "VerticalLine", 12, 0x007C, false },
	{ "Yacute", 6, 0x00DD, true },
	{ "Yuml", 4, 0x0178, false },
	{ "aacute", 6, 0x00E1, true },
	{ "acirc", 5, 0x00E2, true },
	{ "acute", 5, 0x00B4, true },
	{ "aelig", 5, 0x00E6, true },
	{ "agrave", 6, 0x00E0, true },
	{ "alpha", 5, 0x03B1, false },
	{ "amp", 3, 0x0026, true },
	{ "and", 3, 0x2227, false },
	{ "ang", 3, 0x2220, false },
	{ "apos", 4, 0x0027, false },
	{ "aring", 5, 0x00E5, true },
	{ "ast", 3, 0x002A, false },
	{ "asymp", 5, 0x2248, false },
	{ "atilde", 6, 0x00E3, true },
	{ "auml", 4, 0x00E4, true },
	{ "bdquo", 5, 0x201E, false },
	{ "beta", 4, 0x03B2, false },
	{ "brvbar", 6, 0x00A6, true },
	{ "bsol", 4, 0x005C, false },
	{ "bull", 4, 0x2022, false },
	{ "cap", 3, 0x2229, false },
	{ "ccedil", 6, 0x00E7, true },
	{ "cedil", 5, 0x00B8, true },
	{ "cent", 4, 0x00A2, true },
	{ "circ", 4, 0x02C6, false },
	{ "clubs", 5, 0x2663, false },
	{ "colon", 5, 0x003A, false },
	{ "comma", 5, 0x002C, false },
	{ "commat", 6, 0x0040, false },
	{ "cong", 4, 0x2245, false },
	{ "copy", 4, 0x00A9, true },
	{ "cup", 3, 0x222A, false },
	{ "curren", 6, 0x00A4, true },
	{ "dagger", 6, 0x2020, false },
	{ "darr", 4, 0x2193, false },
	{ "deg", 3, 0x00B0, true },
	{ "delta", 5, 0x03B4, false },
	{ "diams", 5, 0x2666, false },
	{ "divide", 6, 0x00F7, true },
	{ "dollar", 6, 0x0024, false },
	{ "eacute", 6, 0x00E9, true },
	{ "ecirc", 5, 0x00EA, true },
	{ "egrave", 6, 0x00E8, true },
	{ "empty", 5, 0x2205, false },
	{ "emsp", 4, 0x2003, false },
	{ "ensp", 4, 0x2002, false },
	{ "equals", 6, 0x003D, false },
	{ "equiv", 5, 0x2261, false },
	{ "eth", 3, 0x00F0, true },
	{ "euml", 4, 0x00EB, true },
	{ "euro", 4, 0x20AC, false },
	{ "excl", 4, 0x0021, false },
	{ "exist", 5, 0x2203, false },
	{ "fnof", 4, 0x0192, false },
	{ "forall", 6, 0x2200, false },
	{ "frac12", 6, 0x00BD, true },
	{ "frac14", 6, 0x00BC, true },
	{ "frac34", 6, 0x00BE, true },
	{ "frasl", 5, 0x2044, false },
	{ "gamma", 5, 0x03B3, false },
	{ "ge", 2, 0x2265, false },
	{ "grave", 5, 0x0060, false },
	{ "gt", 2, 0x003E, true },
	{ "hArr", 4, 0x21D4, false },
	{ "harr", 4, 0x2194, false },
	{ "hearts", 6, 0x2665, false },
	{ "hellip", 6, 0x2026, false },
	{ "iacute", 6, 0x00ED, true },
	{ "icirc", 5, 0x00EE, true },
	{ "iexcl", 5, 0x00A1, true },
	{ "igrave", 6, 0x00EC, true },
	{ "infin", 5, 0x221E, false },
	{ "int", 3, 0x222B, false },
	{ "iquest", 6, 0x00BF, true },
	{ "isin", 4, 0x2208, false },
	{ "iuml", 4, 0x00EF, true },
	{ "lArr", 4, 0x21D0, false },
	{ "laquo", 5, 0x00AB, true },
	{ "larr", 4, 0x2190, false },
	{ "lbrace", 6, 0x007B, false },
	{ "lbrack", 6, 0x005B, false },
	{ "lceil", 5, 0x2308, false },
	{ "lcub", 4, 0x007B, false },
	{ "ldquo", 5, 0x201C, false },
	{ "le", 2, 0x2264, false },
	{ "lfloor", 6, 0x230A, false },
	{ "lowbar", 6, 0x005F, false },
	{ "loz", 3, 0x25CA, false },
	{ "lpar", 4, 0x0028, false },
	{ "lrm", 3, 0x200E, false },
	{ "lsaquo", 6, 0x2039, false },
	{ "lsqb", 4, 0x005B, false },
	{ "lsquo", 5, 0x2018, false },
	{ "lt", 2, 0x003C, true },
	{ "macr", 4, 0x00AF, true },
	{ "mdash", 5, 0x2014, false },
	{ "micro", 5, 0x00B5, true },
	{ "midast", 6, 0x002A, false },
	{ "middot", 6, 0x00B7, true },
	{ "minus", 5, 0x2212, false },
	{ "nabla", 5, 0x2207, false },
	{ "nbsp", 4, 0x00A0, true },
	{ "ndash", 5, 0x2013, false },
	{ "ne", 2, 0x2260, false },
	{ "ni", 2, 0x220B, false },
	{ "not", 3, 0x00AC, true },
	{ "notin", 5, 0x2209, false },
	{ "nsub", 4, 0x2284, false },
	{ "ntilde", 6, 0x00F1, true },
	{ "num", 3, 0x0023, false },
	{ "oacute", 6, 0x00F3, true },
	{ "ocirc", 5, 0x00F4, true },
	{ "oelig", 5, 0x0153, false },
	{ "ograve", 6, 0x00F2, true },
	{ "oline", 5, 0x203E, false },
	{ "omega", 5, 0x03C9, false },
	{ "oplus", 5, 0x2295, false },
	{ "or", 2, 0x2228, false },
	{ "ordf", 4, 0x00AA, true },
	{ "ordm", 4, 0x00BA, true },
	{ "oslash", 6, 0x00F8, true },
	{ "otilde", 6, 0x00F5, true },
	{ "otimes", 6, 0x2297, false },
	{ "ouml", 4, 0x00F6, true },
	{ "para", 4, 0x00B6, true },
	{ "part", 4, 0x2202, false },
	{ "percnt", 6, 0x0025, false },
	{ "period", 6, 0x002E, false },
	{ "permil", 6, 0x2030, false },
	{ "perp", 4, 0x22A5, false },
	{ "pi", 2, 0x03C0, false },
	{ "plus", 4, 0x002B, false },
	{ "plusmn", 6, 0x00B1, true },
	{ "pound", 5, 0x00A3, true },
	{ "prime", 5, 0x2032, false },
	{ "prod", 4, 0x220F, false },
	{ "prop", 4, 0x221D, false },
	{ "quest", 5, 0x003F, false },
	{ "quot", 4, 0x0022, true },
	{ "rArr", 4, 0x21D2, false },
	{ "radic", 5, 0x221A, false },
	{ "raquo", 5, 0x00BB, true },
	{ "rarr", 4, 0x2192, false },
	{ "rbrace", 6, 0x007D, false },
	{ "rbrack", 6, 0x005D, false },
	{ "rceil", 5, 0x2309, false },
	{ "rcub", 4, 0x007D, false },
	{ "rdquo", 5, 0x201D, false },
	{ "reg", 3, 0x00AE, true },
	{ "rfloor", 6, 0x230B, false },
	{ "rlm", 3, 0x200F, false },
	{ "rpar", 4, 0x0029, false },
	{ "rsaquo", 6, 0x203A, false },
	{ "rsqb", 4, 0x005D, false },
	{ "rsquo", 5, 0x2019, false },
	{ "sbquo", 5, 0x201A, false },
	{ "scaron", 6, 0x0161, false },
	{ "sdot", 4, 0x22C5, false },
	{ "sect", 4, 0x00A7, true },
	{ "semi", 4, 0x003B, false },
	{ "shy", 3, 0x00AD, true },
	{ "sigma", 5, 0x03C3, false },
	{ "sim", 3, 0x223C, false },
	{ "sol", 3, 0x002F, false },
	{ "spades", 6, 0x2660, false },
	{ "sub", 3, 0x2282, false },
	{ "sube", 4, 0x2286, false },
	{ "sum", 3, 0x2211, false },
	{ "sup", 3, 0x2283, false },
	{ "sup1", 4, 0x00B9, true },
	{ "sup2", 4, 0x00B2, true },
	{ "sup3", 4, 0x00B3, true },
	{ "supe", 4, 0x2287, false },
	{ "szlig", 5, 0x00DF, true },
	{ "there4", 6, 0x2234, false },
	{ "thinsp", 6, 0x2009, false },
	{ "thorn", 5, 0x00FE, true },
	{ "tilde", 5, 0x02DC, false },
	{ "times", 5, 0x00D7, true },
	{ "trade", 5, 0x2122, false },
	{ "uacute", 6, 0x00FA, true },
	{ "uarr", 4, 0x2191, false },
	{ "ucirc", 5, 0x00FB, true },
	{ "ugrave", 6, 0x00F9, true },
	{ "uml", 3, 0x00A8, true },
	{ "uuml", 4, 0x00FC, true },
	{ "verbar", 6, 0x007C, false },
	{ "vert", 4, 0x007C, false },
	{ "yacute", 6, 0x00FD, true },
	{ "yen", 3, 0x00A5, true },
	{ "yuml", 4, 0x00FF, true },
	{ "zwj", 3, 0x200D, false },
	{ "zwnj", 4, 0x200C, false },
};

#define N_ENTITIES (sizeof(entities) / sizeof(entities[0]))
/* Longest name in the table, and longest legacy name. */
#define ENTITY_MAX_NAME 16
#define ENTITY_MAX_LEGACY 6

static int name_cmp(const char *p, size_t n, const html_entity *e)
{
	size_t m = n < e->len ? n : e->len;
	int c = memcmp(p, e->name, m);
	if (c)
		return c;
	return n < e->len ? -1 : n > e->len ? 1 : 0;
}

static const html_entity *entity_find(const char *p, size_t n)
{
	size_t lo = 0, hi = N_ENTITIES;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = name_cmp(p, n, &entities[mid]);
		if (c == 0)
			return &entities[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* HTML5 replaces numeric references to 0x80-0x9F by the windows-1252
 * characters of those bytes (0 = keep the code point). */
static const unsigned short win1252[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static size_t put_cp(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static inline bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline int digit_val(unsigned char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Try to decode a reference at s[i] == '&'. On success returns the number
 * of input bytes consumed and sets *cp; returns 0 when it is not one. */
static size_t ref_at(const char *s, size_t n, size_t i, unsigned long *cp)
{
	size_t j = i + 1;
	if (j < n && s[j] == '#') {
		j++;
		bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
		if (hex)
			j++;
		size_t start = j;
		unsigned long v = 0;
		int d;
		/* Saturate instead of overflowing: any number of leading zeros,
		 * any number of digits, still one pass. */
		while (j < n && (d = digit_val((unsigned char)s[j], hex)) >= 0) {
			v = v * (hex ? 16 : 10) + (unsigned long)d;
			if (v > 0x10FFFF)
				v = 0x110000;
			j++;
		}
		if (j == start)
			return 0;
		if (j < n && s[j] == ';')
			j++;
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			v = 0xFFFD;
		else if (v >= 0x80 && v <= 0x9F && win1252[v - 0x80])
			v = win1252[v - 0x80];
		*cp = v;
		return j - i;
	}
	size_t run = 0;
	while (j + run < n && run <= ENTITY_MAX_NAME && is_alnum((unsigned char)s[j + run]))
		run++;
	if (run == 0)
		return 0;
	if (run <= ENTITY_MAX_NAME && j + run < n && s[j + run] == ';') {
		const html_entity *e = entity_find(s + j, run);
		if (e) {
			*cp = e->cp;
			return 1 + run + 1;
		}
	}
	/* No ';' match: the longest legacy name that prefixes the run. */
	size_t k = run < ENTITY_MAX_LEGACY ? run : ENTITY_MAX_LEGACY;
	for (; k >= 2; k--) {
		const html_entity *e = entity_find(s + j, k);
		if (e && e->legacy) {
			*cp = e->cp;
			return 1 + k;
		}
	}
	return 0;
}

sk_slice html_entity_decode(arena *a, sk_slice s, uint32_t *flags)
{
	const char *amp = s.len ? memchr(s.p, '&', s.len) : NULL;
	if (!amp)
		return s;
	char *out = NULL;
	size_t o = 0, copied = 0; /* s[0..copied) is already in out */
	for (size_t i = (size_t)(amp - s.p); i < s.len; i++) {
		if (s.p[i] != '&')
			continue;
		unsigned long cp;
		size_t used = ref_at(s.p, s.len, i, &cp);
		if (!used)
			continue;
		char tmp[4];
		size_t k = put_cp(tmp, cp);
		/* A reference is never shorter than its UTF-8 ('&' plus a name of
		 * two or more, ';' for every non-Latin-1 name, numeric forms grow
		 * with the code point), so out never needs more than s.len bytes.
		 * The check keeps that true should the table ever grow wrongly. */
		if (k > used)
			continue;
		if (!out) {
			out = arena_alloc(a, s.len + 1);
			if (!out)
				return SK_SLICE_NULL;
		}
		memcpy(out + o, s.p + copied, i - copied);
		o += i - copied;
		memcpy(out + o, tmp, k);
		o += k;
		i += used - 1;
		copied = i + 1;
	}
	if (!out)
		return s;
	memcpy(out + o, s.p + copied, s.len - copied);
	o += s.len - copied;
	out[o] = '\0';
	sk_slice r = sk_slice_make(out, o);
	if (flags)
		*flags |= byte_flags(r) | utf8_flags(r);
	return r;
}
