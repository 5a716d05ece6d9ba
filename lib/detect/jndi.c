/* jndi.c - Log4Shell: JNDI lookups hidden in Log4j's ${...} syntax.
 *
 * Log4j 2 (before 2.17) evaluates "${prefix:key}" lookups in logged text,
 * innermost first, and "${jndi:ldap://host/x}" makes it load a class from
 * the attacker. Published payloads hide the word "jndi" behind other
 * lookups that evaluate to single letters: ${lower:j}, ${upper:N},
 * ${::-j} and ${env:NaN:-j} (a missing variable with a default), and
 * ${date:'j'} (a quoted date-format literal).
 *
 * The detector evaluates the value the way Log4j does, in one pass with an
 * explicit bounded stack of open "${" frames. Each frame keeps only the
 * first bytes of its folded content (enough to recognise its prefix) and,
 * once ":-" is seen, the first bytes of its default value. On "}" a frame
 * folds to its default, to the argument of lower:/upper:/date:, or to
 * nothing (an unknown lookup such as ${env:USER} or ${hostName}), and the
 * result is appended to the enclosing frame. A frame whose folded content
 * starts with "jndi:" is the attack. Work per byte is constant and work per
 * "}" is bounded by JNDI_KEEP, so the scan is linear.
 */
#include "sekisho/detectors.h"

#include <stdbool.h>
#include <string.h>

enum {
	JNDI_DEPTH = 32, /* nesting beyond this is no legitimate text */
	JNDI_KEEP = 24,  /* bytes of folded content kept per frame */
};

typedef struct jndi_frame {
	size_t start;             /* offset of the '$' that opened the frame */
	char head[JNDI_KEEP];     /* first folded bytes, lower-cased */
	char dflt[JNDI_KEEP];     /* first folded bytes after ":-" */
	unsigned char head_len, dflt_len;
	bool has_default;         /* ":-" seen in this frame's content */
	char prev;                /* last content byte, to spot ":-" */
} jndi_frame;

typedef struct jndi_state {
	jndi_frame st[JNDI_DEPTH];
	int depth;                /* frames on the stack */
	size_t lost;              /* frames opened beyond JNDI_DEPTH, still open */
	bool overflow;            /* nesting went past JNDI_DEPTH */
	/* the first finding of each kind */
	bool jndi;
	size_t jndi_off;
	int jndi_depth;           /* stack depth of the jndi frame, to find its end */
	size_t jndi_end;
	bool log4j_lookup;        /* a lookup only Log4j knows (lower:, java:, ...) */
	size_t log4j_off, log4j_end;
	bool env_lookup;          /* ${env:...} or ${sys:...} */
	size_t env_off, env_end;
} jndi_state;

static char jndi_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

static bool jndi_head_is(const jndi_frame *f, const char *lit, size_t n)
{
	return f->head_len >= n && memcmp(f->head, lit, n) == 0;
}

/* Append one folded byte to the innermost frame. */
static void jndi_append(jndi_state *s, char c)
{
	if (s->depth == 0 || s->lost)
		return;
	jndi_frame *f = &s->st[s->depth - 1];
	if (f->head_len < JNDI_KEEP) {
		f->head[f->head_len++] = jndi_lower(c);
		if (f->head_len == 5 && !s->jndi && memcmp(f->head, "jndi:", 5) == 0) {
			s->jndi = true;
			s->jndi_off = f->start;
			s->jndi_depth = s->depth;
		}
	}
	if (f->has_default) {
		if (f->dflt_len < JNDI_KEEP)
			f->dflt[f->dflt_len++] = c;
	} else if (f->prev == ':' && c == '-') {
		f->has_default = true;
	}
	f->prev = c;
}

/* Lookup prefixes that only Log4j gives a meaning; their presence says the
 * text was written for Log4j. */
static bool jndi_log4j_prefix(const jndi_frame *f)
{
	static const char *const names[] = {
		"lower:", "upper:", "date:", "java:", "ctx:", "main:", "base64:",
		"jvmrunargs", "log4j:", "k8s:", "docker:", "bundle:", "spring:",
		"marker", "event:", "sd:", "hostname}", "map:", "web:", "jndi:",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (jndi_head_is(f, names[i], strlen(names[i])))
			return true;
	return false;
}

/* Close the innermost frame at offset `at` (the '}') and fold it into its
 * parent. */
static void jndi_close(jndi_state *s, size_t at)
{
	if (s->lost) {
		s->lost--;
		return;
	}
	jndi_frame f = s->st[--s->depth];
	if (s->jndi && s->jndi_depth == s->depth + 1 && s->jndi_end == 0)
		s->jndi_end = at + 1;
	/* A bare ${hostName} has no ':' and is closed here; mark its end so the
	 * prefix table can match it. */
	size_t body = f.head_len; /* folded bytes before the '}' */
	if (f.head_len < JNDI_KEEP)
		f.head[f.head_len++] = '}';
	if (!s->log4j_lookup && (jndi_log4j_prefix(&f) ||
				 (f.has_default && f.dflt_len == 1 && f.head_len <= 8))) {
		/* ${::-j} style single-letter defaults are the other Log4j mark */
		s->log4j_lookup = true;
		s->log4j_off = f.start;
		s->log4j_end = at + 1;
	}
	if (!s->env_lookup && (jndi_head_is(&f, "env:", 4) || jndi_head_is(&f, "sys:", 4))) {
		s->env_lookup = true;
		s->env_off = f.start;
		s->env_end = at + 1;
	}
	const char *r = "";
	size_t n = 0;
	bool strip_quotes = false;
	if (f.has_default) {
		r = f.dflt;
		n = f.dflt_len;
	} else if (jndi_head_is(&f, "lower:", 6) || jndi_head_is(&f, "upper:", 6)) {
		r = f.head + 6;
		n = body - 6;
	} else if (jndi_head_is(&f, "date:", 5)) {
		r = f.head + 5;
		n = body - 5;
		strip_quotes = true;
	}
	for (size_t i = 0; i < n; i++)
		if (!(strip_quotes && r[i] == '\''))
			jndi_append(s, r[i]);
}

static int jndi_report(det_hit *hit, const char *rule, int score, size_t off, size_t end,
		       size_t len)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = (end > off ? end : len) - off;
	return 1;
}

static int jndi_hex(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* The byte at i as Log4j would see it after the application decoded a URL:
 * headers such as Referer reach us percent-encoded ("$%7Bjndi:..."), and
 * applications log the decoded query. One level, %XX only. */
static char jndi_byte(const char *v, size_t len, size_t i, size_t *w)
{
	if (v[i] == '%' && i + 2 < len && jndi_hex(v[i + 1]) >= 0 && jndi_hex(v[i + 2]) >= 0) {
		*w = 3;
		return (char)(jndi_hex(v[i + 1]) * 16 + jndi_hex(v[i + 2]));
	}
	*w = 1;
	return v[i];
}

int jndi_detect(const det_input *in, det_hit *hit)
{
	/* Every lookup needs "${", possibly percent-encoded. */
	unsigned cl = in->classes;
	if (!(cl & (DC_DOLLAR | DC_PERCENT)) || !(cl & (DC_BRACE | DC_PERCENT)))
		return 0;
	const char *v = in->value.p;
	size_t len = in->value.len;
	jndi_state s;
	s.depth = 0;
	s.lost = 0;
	s.overflow = s.jndi = s.log4j_lookup = s.env_lookup = false;
	s.jndi_end = 0;
	size_t overflow_off = 0;

	size_t w, w2;
	for (size_t i = 0; i < len; i += w) {
		char c = jndi_byte(v, len, i, &w);
		if (c == '$' && i + w < len && jndi_byte(v, len, i + w, &w2) == '{') {
			if (s.depth < JNDI_DEPTH && !s.lost) {
				jndi_frame *f = &s.st[s.depth++];
				f->start = i;
				f->head_len = f->dflt_len = 0;
				f->has_default = false;
				f->prev = 0;
			} else {
				if (!s.overflow)
					overflow_off = i;
				s.overflow = true;
				s.lost++;
			}
			w += w2;
			continue;
		}
		if (c == '}' && (s.depth > 0 || s.lost)) {
			jndi_close(&s, i + w - 1);
			continue;
		}
		jndi_append(&s, c);
	}
	if (s.jndi)
		return jndi_report(hit, "jndi.lookup: ${jndi:...} after folding nested lookups",
				   DET_SCORE_CRITICAL, s.jndi_off, s.jndi_end, len);
	if (s.overflow)
		return jndi_report(hit, "jndi.nesting: lookups nested deeper than any real text",
				   DET_SCORE_CRITICAL, overflow_off, 0, len);
	if (s.log4j_lookup)
		return jndi_report(hit, "jndi.log4j_lookup: a lookup only Log4j evaluates",
				   DET_SCORE_WARNING, s.log4j_off, s.log4j_end, len);
	if (s.env_lookup && in->paranoia >= 2)
		return jndi_report(hit, "jndi.env_lookup: ${env:...}/${sys:...} lookup",
				   DET_SCORE_NOTICE, s.env_off, s.env_end, len);
	return 0;
}
