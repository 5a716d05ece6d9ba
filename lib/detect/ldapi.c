/* ldapi.c - LDAP filter injection (RFC 4515 filter syntax).
 *
 * An injected value closes the filter component it was pasted into and
 * opens another: `)` then `(` then an optional chain of & | ! and an
 * `attribute=value` or the absolute filters (&) (|). Or it starts with
 * `*)`, or it is a whole composite filter `(&(` `(|(` `(!(`, or a component
 * `(uid=*)` on a known attribute or with a wildcard. RFC 4515 escapes
 * (\28 \29 \2a \00) are read as the bytes they stand for, since
 * applications that unescape twice are what these payloads aim at.
 * Parentheses in prose, "(see above)", "f(x)(y=2)" and e-mail addresses
 * do not fire: an attribute must be known, wildcarded or behind an
 * operator chain.
 */
#include "sekisho/detectors.h"

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* The logical byte at i: an RFC 4515 escape \XX of a filter
 * metacharacter counts as that character. *w gets the width. */
static unsigned char at(const unsigned char *v, size_t n, size_t i, size_t *w)
{
	*w = 1;
	if (v[i] == '\\' && i + 2 < n && sk_hexval(v[i + 1]) >= 0 && sk_hexval(v[i + 2]) >= 0) {
		unsigned char c = (unsigned char)(sk_hexval(v[i + 1]) * 16 + sk_hexval(v[i + 2]));
		if (c == '(' || c == ')' || c == '*' || c == 0 || c == '&' || c == '|' || c == '=') {
			*w = 3;
			return c;
		}
	}
	return v[i];
}

static int is_attr(unsigned char c)
{
	return (lc(c) >= 'a' && lc(c) <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ';' ||
	       c == '_';
}

/* Attribute names that directory lookups and published payloads use. */
static const char *const known_attrs[] = {
	"uid", "cn", "sn", "mail", "objectclass", "userpassword", "password", "samaccountname",
	"givenname", "ou", "dc", "memberof", "member", "distinguishedname", "userprincipalname",
	"telephonenumber", "homedirectory", "uidnumber", "gidnumber", "loginshell", "displayname",
	"gecos", "unicodepwd", "pwdlastset", "useraccountcontrol", "admincount",
	"serviceprincipalname", "objectcategory", "accountname", "username", "userid", "pwd", NULL,
};

static int known_attr(const unsigned char *p, size_t n)
{
	for (int k = 0; known_attrs[k]; k++) {
		size_t i = 0;
		const char *w = known_attrs[k];
		while (i < n && w[i] && lc(p[i]) == (unsigned char)w[i])
			i++;
		if (i == n && w[i] == '\0')
			return 1;
	}
	return 0;
}

typedef struct ldap_comp {
	int ops;       /* & | ! seen before the attribute */
	int andor;     /* & or | among them */
	int absolute;  /* (&) or (|) */
	int attr;      /* attribute=... parsed */
	int strong;    /* known attribute or a wildcard in the value */
	size_t end;    /* byte after what was read */
} ldap_comp;

/* Read what follows an opening '(' at byte i (the byte after it):
 * operators, further '(', then attr [~<>:]= value. Bounded look-ahead. */
static void read_comp(const unsigned char *v, size_t n, size_t i, ldap_comp *c)
{
	size_t w;
	memset(c, 0, sizeof(*c));
	size_t k = i;
	while (k < n && k - i < 24) {
		unsigned char ch = at(v, n, k, &w);
		if (ch == '&' || ch == '|' || ch == '!') {
			c->ops++;
			c->andor |= ch != '!';
			k += w;
		} else if (ch == '(' || ch == ' ') {
			k += w;
		} else
			break;
	}
	c->end = k;
	if (k < n && c->andor && at(v, n, k, &w) == ')') {
		c->absolute = 1;
		c->end = k + w;
		return;
	}
	size_t a = k;
	while (k < n && k - a < 64 && is_attr(v[k]))
		k++;
	if (k == a)
		return;
	size_t ae = k;
	if (k < n && (v[k] == '~' || v[k] == '<' || v[k] == '>' || v[k] == ':'))
		k++;
	if (k >= n || at(v, n, k, &w) != '=')
		return;
	k += w;
	c->attr = 1;
	c->strong = known_attr(v + a, ae - a);
	/* the assertion value, up to ')' */
	size_t s = k;
	while (k < n && k - s < 128) {
		unsigned char ch = at(v, n, k, &w);
		if (ch == ')')
			break;
		if (ch == '*')
			c->strong = 1;
		k += w;
	}
	c->end = k;
}

static int set_hit(det_hit *hit, const char *rule, int score, size_t off, size_t end)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = end > off ? end - off : 0;
	return 1;
}

/* uid=admin* at paranoia 2: a wildcard login on a directory-looking field. */
static int wildcard_login(const det_input *in)
{
	static const char *const names[] = { "uid", "user", "username", "login", "cn", "mail", "userid", NULL };
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	if (n < 2 || v[n - 1] != '*')
		return 0;
	for (int k = 0; names[k]; k++)
		if (sk_slice_eq_ci(in->name, sk_slice_make(names[k], strlen(names[k])))) /* checksrc: our own constant */
			return 1;
	return 0;
}

/* The filter scan of ldapi_detect, for values that passed its gates.
 * Kept out of line: the gates then run without this frame's set-up. */
static int ldapi_scan(const det_input *in, det_hit *hit) __attribute__((noinline));

int ldapi_detect(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	if (!(cl & (DC_PAREN | DC_BACKSLASH))) {
		if (in->paranoia >= 2 && (cl & DC_STAR) && wildcard_login(in))
			return set_hit(hit, "ldapi.wildcard: trailing * on a directory login field",
				       DET_SCORE_WARNING, 0, in->value.len);
		return 0;
	}
	/* Every rule below needs more than parentheses: *) a star, ) NUL a
	 * control byte, and a component read_comp accepts an operator & | !
	 * or an '=' (absolute filters, operator chains and attribute=value
	 * all do). at() turns an escape into those bytes only from a
	 * backslash. "(Windows NT 10.0; Win64; x64)" has none of them. */
	if (!(cl & (DC_STAR | DC_CTL | DC_AMP | DC_PIPE | DC_BANG | DC_EQUALS | DC_BACKSLASH)))
		return 0;
	return ldapi_scan(in, hit);
}

static int ldapi_scan(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	size_t w;
	ldap_comp c;

	/* Leading *) : the value closes the component right after a wildcard. */
	size_t s = 0;
	while (s < n && v[s] == ' ')
		s++;
	size_t k = s;
	int stars = 0;
	while (k < n && at(v, n, k, &w) == '*' && stars < 64) {
		k += w;
		stars++;
	}
	if (stars && k < n && at(v, n, k, &w) == ')') {
		size_t j = k + w;
		unsigned char nx = j < n ? at(v, n, j, &w) : 0;
		if (j >= n || nx == '(' || nx == ')' || nx == 0)
			return set_hit(hit, "ldapi.wildcard_close: value starts with *) closing the filter",
				       DET_SCORE_CRITICAL, s, j);
	}

	for (size_t i = 0; i < n; i += w) {
		unsigned char ch = at(v, n, i, &w);
		if (ch == ')') {
			size_t j = i + w, w2;
			while (j < n && v[j] == ' ' && j - i < 8)
				j++;
			if (j < n && at(v, n, j, &w2) == 0)
				return set_hit(hit, "ldapi.nul_truncation: ) then NUL cuts the rest of the filter",
					       DET_SCORE_CRITICAL, i, j + w2);
			/* )) then ( : closing two levels before opening */
			while (j < n && j - i < 8 && at(v, n, j, &w2) == ')')
				j += w2;
			if (j >= n || at(v, n, j, &w2) != '(')
				continue;
			read_comp(v, n, j + w2, &c);
			if (c.absolute || (c.ops && (c.attr || c.end >= n)) || (c.attr && c.strong))
				return set_hit(hit, "ldapi.filter_break: ) ( opens a new filter component",
					       DET_SCORE_CRITICAL, i, c.end);
		} else if (ch == '(') {
			read_comp(v, n, i + w, &c);
			if ((c.ops && c.attr) || c.absolute)
				return set_hit(hit, "ldapi.composite_filter: (& (| (! filter in a value",
					       DET_SCORE_CRITICAL, i, c.end);
			size_t w3;
			if (c.attr && c.strong && c.end < n && at(v, n, c.end, &w3) == ')')
				return set_hit(hit, "ldapi.filter_component: (attribute=value) on a directory attribute",
					       DET_SCORE_CRITICAL, i, c.end + w3);
		}
	}
	if (in->paranoia >= 2 && (cl & DC_STAR) && wildcard_login(in))
		return set_hit(hit, "ldapi.wildcard: trailing * on a directory login field", DET_SCORE_WARNING, 0,
			       n);
	return 0;
}
