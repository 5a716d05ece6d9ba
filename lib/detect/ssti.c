/* ssti.c - server-side template and expression-language injection.
 *
 * Template engines evaluate code between their delimiters: {{ }} and {% %}
 * (Jinja2, Twig, Django, Pebble, Jinjava, Handlebars), ${ } (Freemarker,
 * Mako, Java EL, Groovy, Spring), #{ } (SpEL, JSF, Ruby, Pug), *{ }
 * (Thymeleaf), <% %> (ERB, EEx, JSP), <#...> and [#...] (Freemarker),
 * #set(...) and friends (Velocity), {php} {$smarty} (Smarty), @( ) @{ }
 * (Razor), [[ ]] (Thymeleaf inlining).
 *
 * The detector finds those regions in one pass (innermost region wins when
 * openers nest; an unclosed region runs to the next opener or the end) and
 * lexes each body into identifiers, strings, numbers and punctuation. The
 * body scores points for what only an exploit reaches for: Python dunder
 * attributes, Java reflection (getClass, forName, T(...)), template
 * internals (_self.env, _context, self._TemplateReference__context),
 * command sinks (system, popen, passthru, exec) called from a template
 * root object (config, request, self, cycler, os, File), PHP callables
 * handed to Twig filters as strings, Freemarker's ?new builtin, method calls
 * on literals. A body made only of literal arithmetic ({{7*7}}, ${7*'7'})
 * is a probe: it has no use in a form field. Ordinary template text in
 * code pastes ({{ item.name }}, {% for x in xs %}, ${HOME}) scores nothing.
 * Every byte is lexed once, so the scan is linear.
 */
#include "sekisho/detectors.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum ssti_kind {
	K_EXPR,     /* an expression is printed: {{ }}, ${ }, #{ }, <%= %> ... */
	K_CODE,     /* statements run: {% %}, <% %>, <#...>, @{ } */
	K_SMARTY,   /* {php}, {$smarty...}, {system(...)} */
	K_VELOCITY, /* #set( ... ) and the other Velocity directives */
};

enum ssti_tok { T_NONE, T_IDENT, T_NUM, T_STR, T_DOT, T_PIPE, T_QMARK, T_OP, T_OPEN, T_CLOSE, T_DOLLAR, T_PERCENT, T_OTHER };

/* Points a body needs to be an exploit on its own. */
enum { SSTI_CRIT = 3, SSTI_STR_MAX = 512, SSTI_DECODE_MAX = 8192 /* one header line */ };

typedef struct ssti_region {
	size_t start;        /* offset of the opener */
	enum ssti_kind kind;
	char close;          /* closing byte: '}' ')' ']' '>' or '%' for "%}"/"%>" */
	char close2;         /* second closing byte, 0 if one */
	bool double_close;   /* closes with "}}" / "]]" */
	bool arith_kind;     /* literal arithmetic here is a probe */
	int depth;           /* nesting of the closing bracket inside the body */
	int points;
	bool root_bonus;     /* the root-object chain bonus was given */
	/* literal arithmetic */
	bool arith_ok, has_num, operand, pending_op;
	bool pipe_wait;      /* "|" after an operand: Django's |add: may follow */
	unsigned arith_skip; /* tokens of "add:" not to count */
	unsigned ops;
	/* lexing context */
	enum ssti_tok prev, prev2;
	int prev_ident;      /* class of the previous identifier (ssti_name_class) */
	unsigned idents;
	int first_ident;     /* class of the first identifier */
	bool binary;         /* control bytes in the body: not template text */
} ssti_region;

/* Identifier classes. */
enum {
	N_NONE, N_STRONG, N_ROOT, N_ROOT2, N_EXEC, N_ACCESS, N_FILTER, N_NEW, N_IMPORT,
	N_REQUIRE, N_T, N_PHP, N_BARE, N_WITH, N_PROTO, N_PROTO_ROOT,
};

typedef struct ssti_name {
	const char *s;
	unsigned char len; /* strlen(s) */
	unsigned char cls;
} ssti_name;

#define SSTI_NAME(s, cls) { s, sizeof(s) - 1, cls }

/* What an exploit reaches for. Kept in one table so that the list reads as
 * documentation. */
static const ssti_name ssti_names[] = {
	/* Java reflection and process creation */
	SSTI_NAME("getRuntime", N_STRONG), SSTI_NAME("ProcessBuilder", N_STRONG), SSTI_NAME("ScriptEngineManager", N_STRONG),
	SSTI_NAME("getEngineByName", N_STRONG), SSTI_NAME("forName", N_STRONG), SSTI_NAME("getClass", N_STRONG),
	SSTI_NAME("getClassLoader", N_STRONG), SSTI_NAME("classLoader", N_STRONG), SSTI_NAME("loadClass", N_STRONG),
	SSTI_NAME("protectionDomain", N_STRONG), SSTI_NAME("getProtectionDomain", N_STRONG),
	SSTI_NAME("getDeclaredConstructors", N_STRONG), SSTI_NAME("getDeclaredMethods", N_STRONG),
	SSTI_NAME("getMethods", N_STRONG), SSTI_NAME("newInstance", N_STRONG), SSTI_NAME("getDeclaredField", N_STRONG), SSTI_NAME("getField", N_STRONG),
	SSTI_NAME("setAccessible", N_STRONG), SSTI_NAME("MethodClosure", N_STRONG), SSTI_NAME("ASTTest", N_STRONG),
	SSTI_NAME("GroovyClassLoader", N_STRONG), SSTI_NAME("parseClass", N_STRONG), SSTI_NAME("ObjectConstructor", N_STRONG),
	SSTI_NAME("JythonRuntime", N_STRONG), SSTI_NAME("Execute", N_STRONG), SSTI_NAME("Diagnostics", N_STRONG),
	/* Python */
	SSTI_NAME("mro", N_STRONG), SSTI_NAME("subclasses", N_STRONG), SSTI_NAME("popen", N_STRONG), SSTI_NAME("subprocess", N_STRONG),
	SSTI_NAME("get_flashed_messages", N_STRONG), SSTI_NAME("from_pyfile", N_STRONG), SSTI_NAME("from_object", N_STRONG),
	SSTI_NAME("_TemplateReference__context", N_STRONG), SSTI_NAME("_NSAttr__parent", N_STRONG),
	SSTI_NAME("_mmarker", N_STRONG), SSTI_NAME("get_admin_log", N_STRONG), SSTI_NAME("check_output", N_STRONG),
	/* PHP / Twig / Smarty */
	SSTI_NAME("registerUndefinedFilterCallback", N_STRONG), SSTI_NAME("getFilter", N_STRONG),
	SSTI_NAME("setCache", N_STRONG), SSTI_NAME("loadTemplate", N_STRONG), SSTI_NAME("_context", N_STRONG),
	SSTI_NAME("_charset", N_STRONG), SSTI_NAME("shell_exec", N_STRONG), SSTI_NAME("passthru", N_STRONG),
	SSTI_NAME("call_user_func", N_STRONG), SSTI_NAME("proc_open", N_STRONG), SSTI_NAME("pcntl_exec", N_STRONG),
	SSTI_NAME("file_excerpt", N_STRONG), SSTI_NAME("Smarty_Internal_Write_File", N_STRONG),
	/* Node, Ruby, lodash */
	SSTI_NAME("child_process", N_STRONG), SSTI_NAME("mainModule", N_STRONG), SSTI_NAME("spawnSync", N_STRONG),
	SSTI_NAME("execSync", N_STRONG), SSTI_NAME("spawn_sync", N_STRONG), SSTI_NAME("popen3", N_STRONG),
	SSTI_NAME("popen4", N_STRONG), SSTI_NAME("templateSettings", N_STRONG), SSTI_NAME("constructor", N_STRONG),
	/* objects a template exposes; reaching through them is the exploit */
	SSTI_NAME("self", N_ROOT), SSTI_NAME("config", N_ROOT), SSTI_NAME("request", N_ROOT), SSTI_NAME("cycler", N_ROOT),
	SSTI_NAME("joiner", N_ROOT), SSTI_NAME("namespace", N_ROOT), SSTI_NAME("lipsum", N_ROOT), SSTI_NAME("app", N_ROOT),
	SSTI_NAME("session", N_ROOT), SSTI_NAME("settings", N_ROOT), SSTI_NAME("url_for", N_ROOT), SSTI_NAME("os", N_ROOT),
	SSTI_NAME("File", N_ROOT), SSTI_NAME("IO", N_ROOT), SSTI_NAME("Dir", N_ROOT), SSTI_NAME("Open3", N_ROOT),
	SSTI_NAME("System", N_ROOT), SSTI_NAME("Runtime", N_ROOT), SSTI_NAME("process", N_ROOT), SSTI_NAME("env", N_ROOT),
	SSTI_NAME("module", N_ROOT), SSTI_NAME("class", N_ROOT2), SSTI_NAME("_self", N_ROOT2), SSTI_NAME("pageContext", N_ROOT2),
	SSTI_NAME("applicationScope", N_ROOT2), SSTI_NAME("sessionScope", N_ROOT2), SSTI_NAME("requestScope", N_ROOT2),
	SSTI_NAME("servletContext", N_ROOT2), SSTI_NAME("smarty", N_STRONG),
	/* sinks */
	SSTI_NAME("system", N_EXEC), SSTI_NAME("exec", N_EXEC), SSTI_NAME("execute", N_EXEC), SSTI_NAME("eval", N_EXEC),
	SSTI_NAME("shell", N_EXEC), SSTI_NAME("spawn", N_EXEC), SSTI_NAME("evaluate", N_EXEC), SSTI_NAME("assert", N_EXEC),
	SSTI_NAME("read", N_ACCESS), SSTI_NAME("readlines", N_ACCESS), SSTI_NAME("open", N_ACCESS), SSTI_NAME("entries", N_ACCESS),
	SSTI_NAME("getText", N_ACCESS), SSTI_NAME("text", N_ACCESS), SSTI_NAME("include", N_ACCESS), SSTI_NAME("dump", N_EXEC),
	SSTI_NAME("getenv", N_ACCESS), SSTI_NAME("getResource", N_ACCESS), SSTI_NAME("invoke", N_ACCESS),
	SSTI_NAME("getMethod", N_ACCESS), SSTI_NAME("items", N_ACCESS), SSTI_NAME("iteritems", N_ACCESS),
	SSTI_NAME("getAttribute", N_ACCESS), SSTI_NAME("setAttribute", N_ACCESS), SSTI_NAME("toURL", N_ACCESS),
	SSTI_NAME("createNewFile", N_ACCESS), SSTI_NAME("binding", N_ACCESS), SSTI_NAME("VERSION", N_ACCESS),
	SSTI_NAME("base", N_ACCESS), SSTI_NAME("getInputStream", N_ACCESS), SSTI_NAME("readAllBytes", N_ACCESS),
	SSTI_NAME("waitFor", N_ACCESS), SSTI_NAME("getContent", N_ACCESS), SSTI_NAME("getPath", N_ACCESS),
	SSTI_NAME("util", N_ACCESS), SSTI_NAME("compat", N_ACCESS), SSTI_NAME("linecache", N_ACCESS), SSTI_NAME("getenv", N_ACCESS),
	/* Twig filters that take a callable */
	SSTI_NAME("filter", N_FILTER), SSTI_NAME("map", N_FILTER), SSTI_NAME("sort", N_FILTER), SSTI_NAME("reduce", N_FILTER),
	SSTI_NAME("attr", N_FILTER),
	SSTI_NAME("new", N_NEW), SSTI_NAME("import", N_IMPORT), SSTI_NAME("require", N_REQUIRE), SSTI_NAME("T", N_T),
	/* Array/Function prototype members reached through Handlebars' {{this}} */
	SSTI_NAME("pop", N_PROTO), SSTI_NAME("push", N_PROTO), SSTI_NAME("apply", N_PROTO), SSTI_NAME("split", N_PROTO),
	SSTI_NAME("sub", N_PROTO), SSTI_NAME("string", N_PROTO_ROOT), SSTI_NAME("signer", N_STRONG),
	SSTI_NAME("php", N_PHP), SSTI_NAME("debug", N_BARE), SSTI_NAME("this", N_BARE), SSTI_NAME("with", N_WITH),
};

/* PHP functions an exploit names in a string handed to a Twig filter, and
 * class names that mean code execution wherever they are written. */
static const char *const ssti_php_callables[] = {
	"system", "passthru", "exec", "shell_exec", "popen", "proc_open", "call_user_func",
	"ini_set", "assert", "file_put_contents", "pcntl_exec",
};
static const char *const ssti_str_strong[] = {
	"__", "\\x5f\\x5f", "child_process", "freemarker.template", "java.lang.Runtime",
	"ProcessBuilder", "constructor", "spawn_sync", "ScriptEngineManager", "shell_exec",
	"call_user_func", "javax.script", "getRuntime",
};

enum { SSTI_NNAMES = sizeof(ssti_names) / sizeof(ssti_names[0]) };
_Static_assert(SSTI_NNAMES < 0xff, "ssti_names: the chains hold indexes in a byte");

typedef struct ssti_scan {
	const char *v;
	size_t len;
	int paranoia;
	bool in_region;
	ssti_region r;
	/* ssti_names chained by first byte, in table order, built at the
	 * first lookup of a scan (most values have no identifier to look up) */
	bool indexed;
	unsigned char head[128], next[SSTI_NNAMES];
	/* the best finding so far */
	int best_points;
	const char *best_rule;
	size_t best_off, best_end;
	int best_score;
} ssti_scan;

/* Bytes that matter outside a region: SSTI_B_OPEN for the first byte of
 * every opener ssti_opener knows (and of the polyglot pairs), SSTI_B_LIT
 * for the first of the literals of ssti_literal_dunder. Any other byte
 * neither opens a region nor starts a literal: the scan steps over it. */
enum { SSTI_B_OPEN = 1, SSTI_B_LIT = 2 };
static const unsigned char ssti_byte[256] = {
	['{'] = SSTI_B_OPEN, ['$'] = SSTI_B_OPEN, ['#'] = SSTI_B_OPEN, ['*'] = SSTI_B_OPEN,
	['@'] = SSTI_B_OPEN, ['<'] = SSTI_B_OPEN, ['['] = SSTI_B_OPEN | SSTI_B_LIT,
	['\''] = SSTI_B_LIT, ['"'] = SSTI_B_LIT, ['('] = SSTI_B_LIT,
};

static bool ssti_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool ssti_ident_char(unsigned char c)
{
	return ssti_ident_start(c) || (c >= '0' && c <= '9');
}

static bool ssti_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ssti_name_class(ssti_scan *s, const char *p, size_t n)
{
	if (!s->indexed) {
		memset(s->head, 0xff, sizeof(s->head));
		for (size_t k = SSTI_NNAMES; k-- > 0;) {
			unsigned char f = (unsigned char)ssti_names[k].s[0] & 0x7f; /* names are ASCII */
			s->next[k] = s->head[f];
			s->head[f] = (unsigned char)k;
		}
		s->indexed = true;
	}
	/* only the names that start with p[0], in table order: the first
	 * that matches is the one a walk of the whole table finds */
	if (n > 0 && (unsigned char)p[0] < 0x80) {
		for (unsigned k = s->head[(unsigned char)p[0]]; k != 0xff; k = s->next[k]) {
			const ssti_name *w = &ssti_names[k];
			if (w->len == n && memcmp(w->s, p, n) == 0)
				return w->cls;
		}
	}
	/* Python dunders: __class__, __globals__, ... */
	if (n > 4 && p[0] == '_' && p[1] == '_' && p[n - 1] == '_' && p[n - 2] == '_')
		return N_STRONG;
	return N_NONE;
}

static bool ssti_contains(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	if (m == 0)
		return true;
	/* a match starts with lit[0]: hop from one such byte to the next */
	const char *q = p, *end = p + n;
	while ((size_t)(end - q) >= m && (q = memchr(q, lit[0], (size_t)(end - q) - m + 1)) != NULL) {
		if (memcmp(q, lit, m) == 0)
			return true;
		q++;
	}
	return false;
}

static size_t ssti_skip(const ssti_scan *s, size_t i)
{
	while (i < s->len && ssti_space((unsigned char)s->v[i]))
		i++;
	return i;
}

/* Record a region's verdict if it beats what we have. */
static void ssti_finish(ssti_scan *s, size_t end, bool closed)
{
	ssti_region *r = &s->r;
	s->in_region = false;
	if (r->binary)
		return;
	const char *rule = NULL;
	int score = 0, pts = r->points;
	if (pts >= SSTI_CRIT) {
		rule = "ssti.exploit: template code reaching objects, reflection or commands";
		score = DET_SCORE_CRITICAL;
	} else if (closed && r->arith_kind && r->arith_ok && r->has_num && r->ops > 0) {
		rule = "ssti.probe: literal arithmetic between template delimiters";
		score = DET_SCORE_CRITICAL;
		pts = SSTI_CRIT;
	} else if (closed && r->idents == 1 && r->kind != K_SMARTY &&
		   (r->first_ident == N_ROOT || r->first_ident == N_ROOT2 ||
		    r->first_ident == N_BARE) &&
		   r->prev == T_IDENT) {
		rule = "ssti.object: a template's internal object printed alone";
		score = DET_SCORE_WARNING;
		pts = 2;
	} else if (pts == 2 && s->paranoia >= 2) {
		rule = "ssti.suspicious: template code touching internal objects";
		score = DET_SCORE_WARNING;
	} else if (pts == 1 && s->paranoia >= 3 && r->kind != K_SMARTY) {
		rule = "ssti.code: template code with a sink or root object";
		score = DET_SCORE_NOTICE;
	}
	if (rule && (score > s->best_score || (score == s->best_score && pts > s->best_points))) {
		s->best_score = score;
		s->best_points = pts;
		s->best_rule = rule;
		s->best_off = r->start;
		s->best_end = end;
	}
}

/* Velocity directives that take arguments in parentheses. */
static size_t ssti_velocity_at(const ssti_scan *s, size_t i)
{
	static const char *const dirs[] = { "set", "foreach", "if", "elseif", "include", "parse",
					    "evaluate", "define", "macro" };
	if (s->v[i] != '#' || (i > 0 && ssti_ident_char((unsigned char)s->v[i - 1])))
		return 0;
	size_t j = i + 1;
	if (j < s->len && s->v[j] == '{')
		j++;
	size_t k = j;
	while (k < s->len && ssti_ident_char((unsigned char)s->v[k]) && k - j < 8)
		k++;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		if (strlen(dirs[d]) != k - j || memcmp(s->v + j, dirs[d], k - j) != 0)
			continue;
		if (k < s->len && s->v[k] == '}')
			k++;
		k = ssti_skip(s, k);
		if (k < s->len && s->v[k] == '(')
			return k + 1 - i;
	}
	return 0;
}

/* Is there a template opener at i? Fills the region and returns its width,
 * or 0. `nested` is true inside another region, where the bare Smarty "{"
 * does not open (bodies are full of braces). */
static size_t ssti_opener(ssti_scan *s, size_t i, bool nested, ssti_region *r)
{
	const char *v = s->v;
	size_t n = s->len - i;
	char c = v[i], d = n > 1 ? v[i + 1] : 0;
	if (c != '{' && c != '$' && c != '#' && c != '*' && c != '@' && c != '<' && c != '[')
		return 0;
	memset(r, 0, sizeof(*r));
	r->start = i;
	r->arith_ok = true;
	r->kind = K_EXPR;
	r->arith_kind = true;
	size_t w = 0;
	if (c == '{' && d == '{') {
		r->close = '}';
		r->double_close = true;
		w = 2;
		while (i + w < s->len && (v[i + w] == '{' || v[i + w] == '=' || v[i + w] == '-' ||
					  v[i + w] == '~' || v[i + w] == '#'))
			w++;
	} else if (c == '{' && d == '%') {
		r->kind = K_CODE;
		r->arith_kind = false;
		r->close = '%';
		r->close2 = '}';
		w = 2;
	} else if ((c == '$' || c == '#' || c == '*' || c == '@') && d == '{') {
		r->close = '}';
		r->kind = c == '@' ? K_CODE : K_EXPR;
		w = 2;
	} else if (c == '$' && d == '!' && n > 2 && v[i + 2] == '{') {
		r->close = '}';
		w = 3;
	} else if (c == '@' && d == '(') {
		r->close = ')';
		w = 2;
	} else if (c == '<' && d == '%') {
		r->kind = K_CODE;
		r->close = '%';
		r->close2 = '>';
		w = 2;
		if (n > 2 && (v[i + 2] == '=' || v[i + 2] == '-'))
			w++;
		else
			r->arith_kind = false;
	} else if (c == '[' && d == '[') {
		r->close = ']';
		r->double_close = true;
		w = 2;
	} else if (c == '[' && (d == '=' || d == '#')) {
		r->close = ']';
		r->kind = d == '#' ? K_CODE : K_EXPR;
		w = 2;
		/* [#assign ...] and [=expr] are Freemarker's square syntax, but
		 * [= and [# also open Markdown link text; demand a word. */
		if (d == '#' && !(n > 2 && ssti_ident_start((unsigned char)v[i + 2])))
			return 0;
	} else if (c == '<' && d == '#' && n > 2 && ssti_ident_start((unsigned char)v[i + 2])) {
		r->kind = K_CODE;
		r->arith_kind = false;
		r->close = '>';
		w = 2;
	} else if (c == '#' && (w = ssti_velocity_at(s, i)) > 0) {
		r->kind = K_VELOCITY;
		r->arith_kind = false;
		r->close = ')';
	} else if (!nested && c == '{' && (d == '$' || ssti_ident_start((unsigned char)d)) &&
		   (i == 0 || (v[i - 1] != '$' && v[i - 1] != '#' && v[i - 1] != '{'))) {
		r->kind = K_SMARTY;
		r->arith_kind = false;
		r->close = '}';
		w = 1;
	}
	return w;
}

static void ssti_points(ssti_region *r, int p)
{
	r->points += p;
}

/* Feed one identifier of a body. */
static void ssti_ident(ssti_scan *s, const char *p, size_t n, size_t next)
{
	ssti_region *r = &s->r;
	int cls = ssti_name_class(s, p, n);
	char nx = next < s->len ? s->v[next] : 0;
	bool call = nx == '(';
	r->idents++;
	if (r->idents == 1)
		r->first_ident = cls;
	switch (cls) {
	case N_STRONG:
		ssti_points(r, SSTI_CRIT);
		break;
	case N_ROOT:
	case N_ROOT2:
		ssti_points(r, cls == N_ROOT2 ? 2 : 1);
		if (!r->root_bonus && (nx == '.' || nx == '[')) {
			r->root_bonus = true;
			ssti_points(r, 1);
		}
		/* lodash: _.VERSION */
		break;
	case N_EXEC:
		ssti_points(r, (r->kind != K_EXPR && call) ? SSTI_CRIT : (call ? 2 : 1));
		break;
	case N_ACCESS:
		ssti_points(r, 1);
		break;
	case N_FILTER:
		if (r->prev == T_PIPE)
			ssti_points(r, 2);
		break;
	case N_NEW:
		/* Freemarker's ?new() builtin instantiates any TemplateModel */
		if (r->prev == T_QMARK)
			ssti_points(r, SSTI_CRIT);
		else if (next < s->len && ssti_ident_start((unsigned char)nx))
			ssti_points(r, 2);
		break;
	case N_IMPORT:
		if (next < s->len && (ssti_ident_start((unsigned char)nx)))
			ssti_points(r, 2);
		break;
	case N_REQUIRE:
		ssti_points(r, r->kind == K_EXPR ? 1 : 2);
		break;
	case N_T:
		/* SpEL type reference T(java.lang.Runtime) */
		if (call) {
			size_t j = ssti_skip(s, next + 1);
			if (j < s->len && ssti_ident_start((unsigned char)s->v[j]))
				ssti_points(r, SSTI_CRIT);
		}
		break;
	case N_PROTO:
	case N_PROTO_ROOT:
		/* only Handlebars exposes these as template paths */
		if (!r->double_close || s->v[r->start] != '{')
			break;
		if (cls == N_PROTO && r->prev == T_DOT)
			ssti_points(r, 1);
		if (cls == N_PROTO_ROOT && !r->root_bonus && nx == '.') {
			r->root_bonus = true;
			ssti_points(r, 2);
		}
		break;
	case N_BARE:
		if (n == 4 && r->double_close && s->v[r->start] == '{' && !r->root_bonus && nx == '.') {
			r->root_bonus = true;
			ssti_points(r, 2);
		}
		break;
	case N_WITH:
		/* Handlebars {{#with "s"}}: a block over a string literal only
		 * serves to reach String.prototype (the published RCE chain) */
		if (r->idents == 1 && (nx == '"' || nx == '\'') && s->v[r->start + 2] == '#')
			ssti_points(r, SSTI_CRIT);
		break;
	case N_PHP:
		if (r->kind == K_SMARTY && r->idents == 1)
			ssti_points(r, SSTI_CRIT);
		break;
	default:
		break;
	}
	/* Freemarker builtins other than ?new: ?api ?eval ?interpret */
	if (r->prev == T_QMARK && cls == N_NONE &&
	    ((n == 3 && memcmp(p, "api", 3) == 0) || (n == 4 && memcmp(p, "eval", 4) == 0) ||
	     (n == 9 && memcmp(p, "interpret", 9) == 0)))
		ssti_points(r, SSTI_CRIT);
	if (r->prev == T_QMARK && n == 9 && memcmp(p, "lower_abc", 9) == 0)
		ssti_points(r, 1);
	/* Ruby %x|cmd| and %x{cmd} */
	if (r->prev == T_PERCENT && n == 1 && p[0] == 'x' && (nx == '|' || nx == '{' || nx == '(' || nx == '['))
		ssti_points(r, SSTI_CRIT);
	/* Django's {{364|add:733}} is arithmetic too */
	if (r->pipe_wait && n == 3 && memcmp(p, "add", 3) == 0 && nx == ':') {
		r->pipe_wait = false;
		r->arith_skip = 2;
		r->pending_op = true;
		r->operand = false;
	}
	/* lodash's _ object */
	if (n == 1 && p[0] == '_' && nx == '.')
		ssti_points(r, 2);
	/* a method called on a literal: 'a'.concat('b'), "id".execute() */
	if (r->prev == T_DOT && r->prev2 == T_STR && call)
		ssti_points(r, SSTI_CRIT);
	/* Velocity references inside a directive */
	if (r->kind == K_VELOCITY && r->prev == T_DOLLAR)
		ssti_points(r, SSTI_CRIT);
	r->prev_ident = cls;
}

/* File names a template include is pointed at to read secrets. */
static const char *const ssti_str_paths[] = {
	"/etc/passwd", "/etc/shadow", "wp-config", "/proc/self", "win.ini", "web.config",
	".env", "/etc/hosts", "id_rsa",
};

/* Bit of byte c in a string's byte mask; bytes 64 apart share one. */
static uint64_t ssti_byte_bit(unsigned char c)
{
	return UINT64_C(1) << (c & 63);
}

static void ssti_string(ssti_scan *s, const char *p, size_t n)
{
	ssti_region *r = &s->r;
	/* Every literal below is not empty and a match holds its first
	 * byte: a literal whose first byte's bit is not in the mask of the
	 * string's bytes cannot match and is not searched (the strings of
	 * JSON-like cookies miss nearly all of them). */
	uint64_t has = 0;
	for (size_t i = 0; i < n; i++)
		has |= ssti_byte_bit((unsigned char)p[i]);
	for (size_t i = 0; i < sizeof(ssti_str_paths) / sizeof(ssti_str_paths[0]); i++)
		if ((has & ssti_byte_bit((unsigned char)ssti_str_paths[i][0])) && ssti_contains(p, n, ssti_str_paths[i])) {
			ssti_points(r, 2);
			break;
		}
	for (size_t i = 0; i < sizeof(ssti_php_callables) / sizeof(ssti_php_callables[0]); i++)
		if (n && p[0] == ssti_php_callables[i][0] && strlen(ssti_php_callables[i]) == n &&
		    memcmp(p, ssti_php_callables[i], n) == 0)
			ssti_points(r, 2);
	for (size_t i = 0; i < sizeof(ssti_str_strong) / sizeof(ssti_str_strong[0]); i++)
		if ((has & ssti_byte_bit((unsigned char)ssti_str_strong[i][0])) && ssti_contains(p, n, ssti_str_strong[i])) {
			ssti_points(r, SSTI_CRIT);
			break;
		}
}

/* Literal-arithmetic bookkeeping for one token. */
static void ssti_arith(ssti_region *r, enum ssti_tok t, char c)
{
	if (!r->arith_ok)
		return;
	if (r->arith_skip) {
		r->arith_skip--;
		return;
	}
	if (r->pipe_wait) {
		r->pipe_wait = false;
		r->arith_ok = false;
		return;
	}
	switch (t) {
	case T_PIPE:
		if (r->operand)
			r->pipe_wait = true;
		else
			r->arith_ok = false;
		break;
	case T_NUM:
		r->has_num = true;
		/* fall through */
	case T_STR:
		if (r->pending_op)
			r->ops++;
		r->pending_op = false;
		r->operand = true;
		break;
	case T_OP:
	case T_PERCENT:
		if (c == '*' || c == '+' || c == '-' || c == '/' || c == '%') {
			if (r->operand)
				r->pending_op = true;
			r->operand = false;
		} else {
			r->arith_ok = false;
		}
		break;
	case T_OPEN:
	case T_CLOSE:
		break;
	default:
		r->arith_ok = false;
		break;
	}
}

static void ssti_tok(ssti_region *r, enum ssti_tok t, char c)
{
	ssti_arith(r, t, c);
	r->prev2 = r->prev;
	r->prev = t;
}

/* Does the current region close at i? Returns the closer width or 0, and
 * keeps the bracket depth. */
static size_t ssti_closes(ssti_scan *s, size_t i)
{
	ssti_region *r = &s->r;
	char c = s->v[i], d = i + 1 < s->len ? s->v[i + 1] : 0;
	if (r->close == '%')
		return (c == '%' && d == r->close2) ? 2 : 0;
	char open = r->close == '}' ? '{' : r->close == ')' ? '(' : r->close == ']' ? '[' : 0;
	if (open && c == open) {
		r->depth++;
		return 0;
	}
	if (c != r->close)
		return 0;
	if (r->depth > 0) {
		r->depth--;
		return 0;
	}
	if (r->double_close)
		return d == r->close ? 2 : 0;
	return 1;
}

static void ssti_found(ssti_scan *s, const char *rule, size_t off, size_t end)
{
	if (s->best_score < DET_SCORE_CRITICAL) {
		s->best_score = DET_SCORE_CRITICAL;
		s->best_points = SSTI_CRIT;
		s->best_rule = rule;
		s->best_off = off;
		s->best_end = end;
	}
}

/* The template-polyglot probe (${{<%[%'"}}%\.): openers of three or more
 * engines within a few bytes. Text never packs them like that. Keeps the
 * last offset of each opener kind. */
static void ssti_polyglot(ssti_scan *s)
{
	static const char pairs[][3] = { "${", "{{", "#{", "<%", "[%", "{%", "*{", "@(" };
	enum { NK = sizeof(pairs) / sizeof(pairs[0]), WIN = 16 };
	size_t last[NK];
	for (size_t k = 0; k < NK; k++)
		last[k] = (size_t)-1;
	for (size_t i = 0; i + 1 < s->len; i++) {
		char c = s->v[i];
		/* the first bytes of the pairs; any other byte starts none */
		if (!(ssti_byte[(unsigned char)c] & SSTI_B_OPEN))
			continue;
		for (size_t k = 0; k < NK; k++) {
			if (c != pairs[k][0] || s->v[i + 1] != pairs[k][1])
				continue;
			last[k] = i;
			unsigned near = 0;
			size_t first = i;
			for (size_t m = 0; m < NK; m++)
				if (last[m] != (size_t)-1 && last[m] + WIN >= i) {
					near++;
					if (last[m] < first)
						first = last[m];
				}
			if (near >= 3) {
				ssti_found(s, "ssti.polyglot: delimiters of several template engines together",
					   first, i + 2);
				return;
			}
		}
	}
}

/* Python's sandbox escape starts from a literal: ''.__class__, ().__class__,
 * [].__class__. At i outside any region; returns true when it is one. */
static bool ssti_literal_dunder(ssti_scan *s, size_t i)
{
	const char *v = s->v;
	if (i + 5 >= s->len)
		return false;
	char a = v[i], b = v[i + 1];
	if (!((a == '\'' && b == '\'') || (a == '"' && b == '"') || (a == '(' && b == ')') ||
	      (a == '[' && b == ']')))
		return false;
	if (v[i + 2] != '.' || v[i + 3] != '_' || v[i + 4] != '_')
		return false;
	size_t k = i + 3;
	while (k < s->len && ssti_ident_char((unsigned char)v[k]) && k - i < 40)
		k++;
	return ssti_name_class(s, v + i + 3, k - i - 3) == N_STRONG;
}

static void ssti_scan_value(ssti_scan *s)
{
	const char *v = s->v;
	size_t i = 0;
	ssti_polyglot(s);
	if (s->best_score == DET_SCORE_CRITICAL)
		return;
	while (i < s->len) {
		if (!s->in_region) {
			while (i < s->len && !ssti_byte[(unsigned char)v[i]])
				i++;
			if (i >= s->len)
				break;
		}
		ssti_region nr;
		size_t w = ssti_opener(s, i, s->in_region, &nr);
		if (w) {
			if (s->in_region)
				ssti_finish(s, i, false);
			s->r = nr;
			s->in_region = true;
			i += w;
			continue;
		}
		if (!s->in_region) {
			if (ssti_literal_dunder(s, i)) {
				ssti_found(s, "ssti.python_escape: dunder traversal from a literal", i,
					   i + 5);
				return;
			}
			i++;
			continue;
		}
		size_t cw = ssti_closes(s, i);
		if (cw) {
			ssti_finish(s, i + cw, true);
			i += cw;
			if (s->best_score == DET_SCORE_CRITICAL)
				return;
			continue;
		}
		ssti_region *r = &s->r;
		unsigned char c = (unsigned char)v[i];
		if (ssti_space(c)) {
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			/* template code is text: a control byte means binary data */
			r->binary = true;
			i++;
			continue;
		}
		if (ssti_ident_start(c)) {
			size_t k = i;
			while (k < s->len && ssti_ident_char((unsigned char)v[k]))
				k++;
			ssti_ident(s, v + i, k - i, ssti_skip(s, k));
			ssti_tok(r, T_IDENT, 0);
			i = k;
		} else if (c >= '0' && c <= '9') {
			while (i < s->len && ((v[i] >= '0' && v[i] <= '9') || v[i] == '.'))
				i++;
			ssti_tok(r, T_NUM, 0);
		} else if (c == '\'' || c == '"' || c == '`') {
			size_t k = i + 1;
			while (k < s->len && k - i < SSTI_STR_MAX && v[k] != (char)c && v[k] != '\n') {
				if (v[k] == '\\' && k + 1 < s->len)
					k++;
				k++;
			}
			if (k < s->len && v[k] == (char)c) {
				ssti_string(s, v + i + 1, k - i - 1);
				/* `cmd` in ERB/Ruby runs a command */
				if (c == '`' && r->kind != K_EXPR)
					ssti_points(r, SSTI_CRIT);
				ssti_tok(r, T_STR, 0);
				i = k + 1;
			} else {
				ssti_tok(r, T_OTHER, (char)c);
				i++;
			}
		} else {
			enum ssti_tok t;
			switch (c) {
			case '.': t = T_DOT; break;
			case '|': t = T_PIPE; break;
			case '?': t = T_QMARK; break;
			case '$': t = T_DOLLAR; break;
			case '%': t = T_PERCENT; break;
			case '(': case '[': case '{': t = T_OPEN; break;
			case ')': case ']': case '}': t = T_CLOSE; break;
			case '*': case '+': case '-': case '/': t = T_OP; break;
			default: t = T_OTHER; break;
			}
			ssti_tok(r, t, (char)c);
			i++;
		}
		if (r->points >= SSTI_CRIT && s->in_region) {
			/* decided; the fragment ends where the region does, but
			 * there is no need to lex further */
			ssti_finish(s, i, false);
			return;
		}
	}
	if (s->in_region)
		ssti_finish(s, s->len, false);
}

static int ssti_hex(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Headers (Referer is a URL) and cookies reach detectors as sent, and the
 * application decodes them before a template sees them. Decode %XX once
 * into `out` (at most `cap` bytes); returns the decoded length, or 0 when
 * the value has no escape. */
static size_t ssti_unescape(sk_slice v, char *out, size_t cap)
{
	size_t o = 0;
	bool any = false;
	for (size_t i = 0; i < v.len && o < cap; i++) {
		if (v.p[i] == '%' && i + 2 < v.len && ssti_hex(v.p[i + 1]) >= 0 &&
		    ssti_hex(v.p[i + 2]) >= 0) {
			out[o++] = (char)(ssti_hex(v.p[i + 1]) * 16 + ssti_hex(v.p[i + 2]));
			i += 2;
			any = true;
		} else {
			out[o++] = v.p[i];
		}
	}
	return any ? o : 0;
}

static void ssti_run(ssti_scan *s, const char *p, size_t len, int paranoia)
{
	memset(s, 0, sizeof(*s));
	s->v = p;
	s->len = len;
	s->paranoia = paranoia;
	ssti_scan_value(s);
}

/* The scans of ssti_detect, for values that passed its gates. Kept out
 * of line: the gates then run without this frame's set-up (two scan
 * states and a decode buffer). */
static int ssti_detect_value(const det_input *in, det_hit *hit) __attribute__((noinline));

int ssti_detect(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	/* Every delimiter needs a brace, '%' (<% %>), '(' (#set(, @()) or '[' or '<'. */
	if (!(cl & (DC_BRACE | DC_PERCENT | DC_PAREN | DC_BRACKET | DC_LT)))
		return 0;
	if (!(cl & (DC_BRACE | DC_PERCENT | DC_HASH | DC_AT | DC_BRACKET)))
		return 0;
	return ssti_detect_value(in, hit);
}

static int ssti_detect_value(const det_input *in, det_hit *hit)
{
	unsigned cl = in->classes;
	ssti_scan s;
	ssti_run(&s, in->value.p, in->value.len, in->paranoia);
	if (s.best_score < DET_SCORE_CRITICAL && (in->loc == LOC_HEADER || in->loc == LOC_COOKIE) &&
	    (cl & DC_PERCENT)) {
		char buf[SSTI_DECODE_MAX];
		size_t n = ssti_unescape(in->value, buf, sizeof(buf));
		ssti_scan d;
		if (n) {
			ssti_run(&d, buf, n, in->paranoia);
			if (d.best_rule && d.best_score > s.best_score) {
				/* offsets are in the decoded copy: point at the value */
				hit->rule = d.best_rule;
				hit->score = d.best_score;
				hit->off = 0;
				hit->len = in->value.len;
				return 1;
			}
		}
	}
	if (!s.best_rule)
		return 0;
	hit->rule = s.best_rule;
	hit->score = s.best_score;
	hit->off = s.best_off;
	hit->len = s.best_end - s.best_off;
	return 1;
}
