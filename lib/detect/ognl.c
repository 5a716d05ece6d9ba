/* ognl.c - Apache Struts 2 OGNL injection.
 *
 * Struts evaluates OGNL in %{...} and ${...} wherever an attacker can get
 * text into an expression: the Content-Type header (CVE-2017-5638, S2-045)
 * and a multipart file name (S2-046), the redirect:/redirectAction:/action:
 * parameter prefixes (CVE-2013-2251), the namespace part of the path
 * (CVE-2018-11776), and parameter values of tags that evaluate them. The
 * XStream REST plugin (CVE-2017-9805) deserialises XML bodies into gadget
 * chains instead.
 *
 * The detector tokenizes the value as OGNL (whitespace between tokens is
 * insignificant, so padding does not hide anything) and collects the
 * structure exploits need and ordinary text never has:
 *   - the sandbox: #_memberAccess, @ognl.OgnlContext@DEFAULT_MEMBER_ACCESS,
 *     allowStaticMethodAccess, OgnlUtil's exclusion lists;
 *   - the value stack: #context[...], #container, #request, #attr;
 *   - static member access: @pkg.Class@method( and @pkg.Class@FIELD;
 *   - construction of Java objects: new java.lang.ProcessBuilder(...);
 *   - variable assignment #x=... and sequence chains (...).(...);
 * and decides by combination, with the expression delimiters and the
 * Struts prefixes as context. Every step looks at a bounded window, so the
 * scan is linear in the value.
 */
#include "sekisho/detectors.h"

#include <stdbool.h>
#include <string.h>

typedef struct ognl_scan {
	const char *v;
	size_t len;
	/* what was seen, with the offset of the first occurrence */
	bool opener;        /* %{ or ${ */
	bool prefix;        /* redirect:/redirectAction:/action:/method: before an opener */
	bool sandbox;       /* #_memberAccess, DEFAULT_MEMBER_ACCESS, ... */
	bool stack;         /* #context[ #context. #container #attr[ ... */
	bool static_call;   /* @pkg.Class@method( */
	bool static_field;  /* @pkg.Class@FIELD */
	bool ctor;          /* new pkg.Class( or new pkg.Class[ */
	bool exec;          /* Runtime/ProcessBuilder/ScriptEngine names */
	bool probe;         /* ${7*7} or ${'a'.concat('b')} inside an opener */
	unsigned assigns;   /* #x= */
	unsigned chains;    /* ).( */
	size_t opener_off, prefix_off, sandbox_off, stack_off, static_off, ctor_off;
	size_t assign_off, chain_off, exec_off, probe_off;
} ognl_scan;

static bool ognl_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool ognl_ident_char(unsigned char c)
{
	return ognl_ident_start(c) || (c >= '0' && c <= '9');
}

static bool ognl_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Skip whitespace from i; return the index of the next significant byte. */
static size_t ognl_skip(const ognl_scan *s, size_t i)
{
	while (i < s->len && ognl_space((unsigned char)s->v[i]))
		i++;
	return i;
}

static bool ognl_eq(const char *p, size_t n, const char *lit)
{
	if (n == 0 || p[0] != lit[0])
		return false;
	size_t m = strlen(lit);
	return n == m && memcmp(p, lit, n) == 0;
}

/* '#' as OGNL reads it: the byte itself or the Java escapes \u0023, \43
 * and \x23 that older exploits used to pass parameter-name filters.
 * Returns the width of the form at i, 0 if none. */
static size_t ognl_hash_at(const ognl_scan *s, size_t i)
{
	const char *p = s->v + i;
	size_t n = s->len - i;
	if (p[0] == '#')
		return 1;
	if (p[0] != '\\' || n < 3)
		return 0;
	if (n >= 6 && (p[1] == 'u' || p[1] == 'U') && memcmp(p + 2, "0023", 4) == 0)
		return 6;
	if (p[1] == '4' && p[2] == '3')
		return 3;
	if (n >= 4 && (p[1] == 'x' || p[1] == 'X') && p[2] == '2' && p[3] == '3')
		return 4;
	return 0;
}

/* Read a dotted name (java.lang.Runtime, allowing spaces around the dots)
 * from i. Sets *end past it and *dots to the number of dots; returns false
 * if no identifier starts at i. */
static bool ognl_dotted(const ognl_scan *s, size_t i, size_t *end, unsigned *dots)
{
	*dots = 0;
	if (i >= s->len || !ognl_ident_start((unsigned char)s->v[i]))
		return false;
	for (;;) {
		while (i < s->len && ognl_ident_char((unsigned char)s->v[i]))
			i++;
		size_t j = ognl_skip(s, i);
		if (j < s->len && s->v[j] == '.') {
			size_t k = ognl_skip(s, j + 1);
			if (k < s->len && ognl_ident_start((unsigned char)s->v[k])) {
				(*dots)++;
				i = k;
				continue;
			}
		}
		break;
	}
	*end = i;
	return true;
}

/* Names whose only use is to reach into the OGNL sandbox or Struts' value
 * stack. */
static bool ognl_sandbox_name(const char *p, size_t n)
{
	static const char *const names[] = {
		"_memberAccess", "DEFAULT_MEMBER_ACCESS", "allowStaticMethodAccess",
		"OgnlContext", "OgnlUtil", "getExcludedPackageNames", "getExcludedClasses",
		"setExcludedClasses", "setExcludedPackageNames", "setMemberAccess",
		"excludedClasses", "excludedPackageNames", "SecurityMemberAccess",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ognl_eq(p, n, names[i]))
			return true;
	return false;
}

/* Names that mean running a command or code. */
static bool ognl_exec_name(const char *p, size_t n)
{
	static const char *const names[] = {
		"getRuntime", "ProcessBuilder", "ScriptEngineManager", "getEngineByName",
		"ServletActionContext", "ActionContext", "HttpServletResponse", "forName",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ognl_eq(p, n, names[i]))
			return true;
	return false;
}

/* The value-stack variables an exploit reads after '#'. */
static bool ognl_stack_name(const char *p, size_t n)
{
	return ognl_eq(p, n, "context") || ognl_eq(p, n, "container") || ognl_eq(p, n, "attr") ||
	       ognl_eq(p, n, "request") || ognl_eq(p, n, "session") ||
	       ognl_eq(p, n, "application") || ognl_eq(p, n, "parameters") ||
	       ognl_eq(p, n, "response");
}

static void ognl_mark(bool *flag, size_t *off, size_t at)
{
	if (!*flag) {
		*flag = true;
		*off = at;
	}
}

/* Struts 2 action-mapper prefixes that evaluate what follows
 * (CVE-2013-2251) and the dynamic-method prefix (S2-032). `at` is the
 * offset of the opener; looks back over "name:". */
static bool ognl_prefix_before(const ognl_scan *s, size_t at, size_t *start)
{
	size_t i = at;
	while (i > 0 && ognl_space((unsigned char)s->v[i - 1]))
		i--;
	if (i == 0 || s->v[i - 1] != ':')
		return false;
	size_t e = --i;
	while (i > 0 && ognl_ident_char((unsigned char)s->v[i - 1]) && e - i < 16)
		i--;
	const char *p = s->v + i;
	size_t n = e - i;
	static const char *const names[] = { "redirect", "redirectAction", "action", "method" };
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		size_t m = strlen(names[k]);
		if (n != m)
			continue;
		size_t j = 0;
		while (j < m && (p[j] | 0x20) == (names[k][j] | 0x20))
			j++;
		if (j == m) {
			*start = i;
			return true;
		}
	}
	return false;
}

/* A probe body right after an opener: literal arithmetic such as 7*7 or
 * {133*133}, or a method call on a string literal ('a'.concat('b')).
 * Looks at most 128 bytes ahead. */
static bool ognl_probe_body(const ognl_scan *s, size_t i)
{
	size_t end = s->len < i + 128 ? s->len : i + 128;
	unsigned digits_ops = 0;
	bool digit_run = false, op_after_digit = false;
	for (size_t k = i; k < end; k++) {
		unsigned char c = (unsigned char)s->v[k];
		if (c == '\'' || c == '"') {
			/* 'x'.method( */
			size_t q = k + 1;
			while (q < end && s->v[q] != (char)c)
				q++;
			if (q + 2 < end && s->v[q + 1] == '.' && ognl_ident_start((unsigned char)s->v[q + 2])) {
				size_t r = q + 2;
				while (r < end && ognl_ident_char((unsigned char)s->v[r]))
					r++;
				if (r < end && s->v[r] == '(')
					return true;
			}
			return false;
		}
		if (c >= '0' && c <= '9') {
			if (!digit_run && op_after_digit)
				digits_ops++;
			digit_run = true;
			continue;
		}
		if (c == '*' || c == '+' || c == '-' || c == '/' || c == '%') {
			op_after_digit = digit_run;
			digit_run = false;
			continue;
		}
		if (c == '}')
			return digits_ops > 0;
		if (c == '{' || c == '(' || c == ')' || ognl_space(c)) {
			digit_run = false;
			continue;
		}
		return false;
	}
	return false;
}

static void ognl_tokenize(ognl_scan *s)
{
	const char *v = s->v;
	size_t i = 0;
	while (i < s->len) {
		unsigned char c = (unsigned char)v[i];
		size_t hw = ognl_hash_at(s, i);
		if (hw) {
			/* #name, then what is done with it */
			size_t j = ognl_skip(s, i + hw);
			size_t k = j;
			while (k < s->len && ognl_ident_char((unsigned char)v[k]))
				k++;
			if (k == j) {
				i += hw;
				continue;
			}
			if (ognl_sandbox_name(v + j, k - j))
				ognl_mark(&s->sandbox, &s->sandbox_off, i);
			size_t n = ognl_skip(s, k);
			char next = n < s->len ? v[n] : 0;
			if (ognl_stack_name(v + j, k - j) && (next == '[' || next == '.'))
				ognl_mark(&s->stack, &s->stack_off, i);
			/* '#' spelled as a Java escape only serves to slip past
			 * parameter-name filters (S2-003, S2-005, S2-009) */
			if (hw > 1 && (ognl_stack_name(v + j, k - j) || ognl_sandbox_name(v + j, k - j)))
				ognl_mark(&s->sandbox, &s->sandbox_off, i);
			if (ognl_eq(v + j, k - j, "container") || ognl_eq(v + j, k - j, "context"))
				if (next == '=' || next == ')' || next == '[' || next == '.')
					ognl_mark(&s->stack, &s->stack_off, i);
			if (next == '=' && !(n + 1 < s->len && v[n + 1] == '=')) {
				if (!s->assigns)
					s->assign_off = i;
				s->assigns++;
			}
			i = k;
			continue;
		}
		if (c == '@') {
			/* @pkg.Class@member: static access */
			size_t j = ognl_skip(s, i + 1), e;
			unsigned dots;
			if (ognl_dotted(s, j, &e, &dots)) {
				size_t a = ognl_skip(s, e);
				if (a < s->len && v[a] == '@') {
					size_t m = ognl_skip(s, a + 1), me = m;
					while (me < s->len && ognl_ident_char((unsigned char)v[me]))
						me++;
					if (me > m) {
						size_t p = ognl_skip(s, me);
						bool call = p < s->len && v[p] == '(';
						if (ognl_sandbox_name(v + m, me - m))
							ognl_mark(&s->sandbox, &s->sandbox_off, i);
						if (dots > 0 && call)
							ognl_mark(&s->static_call, &s->static_off, i);
						else if (dots > 0)
							ognl_mark(&s->static_field, &s->static_off, i);
						i = me;
						continue;
					}
				}
				i = e;
				continue;
			}
			i++;
			continue;
		}
		if ((c == '%' || c == '$') && i + 1 < s->len) {
			size_t j = ognl_skip(s, i + 1);
			if (j < s->len && v[j] == '{') {
				ognl_mark(&s->opener, &s->opener_off, i);
				size_t ps;
				if (!s->prefix && ognl_prefix_before(s, i, &ps))
					ognl_mark(&s->prefix, &s->prefix_off, ps);
				if (!s->probe && ognl_probe_body(s, j + 1))
					ognl_mark(&s->probe, &s->probe_off, i);
				i = j + 1;
				continue;
			}
		}
		if (c == ')') {
			size_t j = ognl_skip(s, i + 1);
			if (j < s->len && v[j] == '.') {
				size_t k = ognl_skip(s, j + 1);
				if (k < s->len && v[k] == '(') {
					if (!s->chains)
						s->chain_off = i;
					s->chains++;
				}
			}
			i++;
			continue;
		}
		if (ognl_ident_start(c) && (i == 0 || !ognl_ident_char((unsigned char)v[i - 1]))) {
			size_t k = i;
			while (k < s->len && ognl_ident_char((unsigned char)v[k]))
				k++;
			if (ognl_sandbox_name(v + i, k - i))
				ognl_mark(&s->sandbox, &s->sandbox_off, i);
			else if (ognl_exec_name(v + i, k - i))
				ognl_mark(&s->exec, &s->exec_off, i);
			else if (ognl_eq(v + i, k - i, "new")) {
				size_t j = ognl_skip(s, k), e;
				unsigned dots;
				if (j > k && ognl_dotted(s, j, &e, &dots) && dots >= 1) {
					size_t p = ognl_skip(s, e);
					if (p < s->len && (v[p] == '(' || v[p] == '['))
						ognl_mark(&s->ctor, &s->ctor_off, i);
				}
			}
			i = k;
			continue;
		}
		i++;
	}
}

static int ognl_report(const ognl_scan *s, det_hit *hit, const char *rule, int score, size_t off)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	/* the fragment runs to the end of the expression that holds it */
	size_t end = off, depth = 0;
	while (end < s->len) {
		char c = s->v[end++];
		if (c == '{')
			depth++;
		else if (c == '}' && depth && --depth == 0)
			break;
	}
	hit->len = end - off;
	return 1;
}

/* Java type names that only appear in XStream gadget chains (CVE-2017-9805
 * and the XStream advisories), written as XML element names or class
 * attributes. */
static int ognl_xstream(const det_input *in, det_hit *hit)
{
	static const char *const gadgets[] = {
		"jdk.nashorn.internal.objects.NativeString",
		"javax.imageio.ImageIO$ContainsFilter",
		"javax.imageio.spi.FilterIterator",
		"com.sun.xml.internal.ws.encoding.xml.XMLMessage$XmlDataSource",
		"java.beans.EventHandler",
		"sun.rmi.registry.RegistryImpl_Stub",
		"com.sun.jndi.rmi.registry.BindingEnumeration",
		"java.lang.ProcessBuilder",
		"java.lang.Runtime",
	};
	sk_slice v = in->value;
	for (size_t g = 0; g < sizeof(gadgets) / sizeof(gadgets[0]); g++) {
		sk_slice name = sk_slice_make(gadgets[g], strlen(gadgets[g]));
		long at = sk_slice_find_ci(v, name);
		if (at < 0)
			continue;
		size_t a = (size_t)at;
		/* <name ...> or class="name" */
		bool element = a > 0 && v.p[a - 1] == '<';
		bool attr = a >= 7 && memcmp(v.p + a - 7, "class=", 6) == 0 &&
			    (v.p[a - 1] == '"' || v.p[a - 1] == '\'');
		bool text = a > 0 && v.p[a - 1] == '>' && a + name.len < v.len &&
			    v.p[a + name.len] == '<';
		if (element || attr || text) {
			hit->rule = "ognl.xstream: XStream gadget class in XML";
			hit->score = DET_SCORE_CRITICAL;
			hit->off = a;
			hit->len = name.len;
			return 1;
		}
	}
	return 0;
}

static bool ognl_name_is_ci(sk_slice name, const char *lit)
{
	return sk_slice_eq_ci(name, sk_slice_make(lit, strlen(lit)));
}

int ognl_detect(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	/* Every OGNL form needs '#', '@', or an opener; XStream needs '<'. */
	if (!(cl & (DC_HASH | DC_AT | DC_PERCENT | DC_DOLLAR | DC_LT | DC_BACKSLASH)))
		return 0;
	if ((cl & DC_LT) && (cl & DC_DOT) && ognl_xstream(in, hit))
		return 1;
	if (!(cl & (DC_HASH | DC_AT | DC_BRACE | DC_BACKSLASH)))
		return 0;

	ognl_scan s;
	memset(&s, 0, sizeof(s));
	s.v = in->value.p;
	s.len = in->value.len;
	ognl_tokenize(&s);

	const int crit = DET_SCORE_CRITICAL;
	if (s.sandbox)
		return ognl_report(&s, hit, "ognl.sandbox: reaches the OGNL member-access sandbox",
				   crit, s.opener && s.opener_off < s.sandbox_off ? s.opener_off : s.sandbox_off);
	if (s.static_call)
		return ognl_report(&s, hit, "ognl.static_call: @class@method( static method call", crit,
				   s.opener && s.opener_off < s.static_off ? s.opener_off : s.static_off);
	if (s.prefix)
		return ognl_report(&s, hit, "ognl.prefix: redirect:/action: prefix before an expression",
				   crit, s.prefix_off);
	if (s.opener && (s.stack || s.assigns || s.chains || s.ctor || s.static_field))
		return ognl_report(&s, hit, "ognl.expression: OGNL statements inside %{...}/${...}", crit,
				   s.opener_off);
	if (s.stack && (s.assigns || s.chains || s.exec))
		return ognl_report(&s, hit, "ognl.value_stack: #context/#container access", crit,
				   s.stack_off);
	if (s.ctor && s.assigns && (s.exec || s.chains))
		return ognl_report(&s, hit, "ognl.statements: #var= assignments building Java objects",
				   crit, s.assign_off);
	/* Content-Type and multipart file names never hold an expression: there
	 * any opener is the S2-045/S2-046 shape, whatever its body. */
	bool ctype = (in->loc == LOC_HEADER && ognl_name_is_ci(in->name, "Content-Type")) ||
		     (in->loc == LOC_MULTIPART_HEADER &&
		      ognl_name_is_ci(in->name, "Content-Type")) ||
		     in->loc == LOC_MULTIPART_FILENAME;
	if (ctype && s.opener && (s.probe || s.exec || s.assigns || (cl & DC_HASH)))
		return ognl_report(&s, hit, "ognl.content_type: expression in Content-Type/file name",
				   crit, s.opener_off);
	if (s.probe)
		return ognl_report(&s, hit, "ognl.probe: literal arithmetic or call in an expression",
				   DET_SCORE_WARNING, s.probe_off);
	if (in->paranoia >= 2 && s.static_field)
		return ognl_report(&s, hit, "ognl.static_field: @class@FIELD reference",
				   DET_SCORE_WARNING, s.static_off);
	if (in->paranoia >= 2 && s.opener && s.exec)
		return ognl_report(&s, hit, "ognl.exec_name: code-execution name in an expression",
				   DET_SCORE_WARNING, s.opener_off);
	return 0;
}
