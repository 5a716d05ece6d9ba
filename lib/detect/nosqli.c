/* nosqli.c - NoSQL (MongoDB) operator and server-side JavaScript injection.
 *
 * Three shapes:
 *  - an operator where a key belongs: a JSON key "$ne", a bracket name
 *    username[$ne] (PHP/Express turn it into an object), or "$gt": / $where:
 *    inside a value or a raw JSON body. Only operator names count: "$" alone
 *    is GraphQL or a price, and "$id:" after "(" is a GraphQL variable;
 *  - a string break into server-side JavaScript: a quote (or the value
 *    start) then || && ; or , then JavaScript that decides: 'a'=='a,
 *    return, sleep(, this.field, var, new Date, db.;
 *  - mongo shell calls: db.collection.find( / db.getCollection(.
 * Everything is a bounded look-around from a trigger byte: linear time.
 */
#include "sekisho/detectors.h"

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_ident(unsigned char c)
{
	return (lc(c) >= 'a' && lc(c) <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* MongoDB query, update and aggregation operators that change what a
 * query matches (case matters to MongoDB, so it does here). */
static const char *const ops[] = {
	"ne", "eq", "gt", "gte", "lt", "lte", "in", "nin", "regex", "exists", "where", "expr",
	"or", "and", "not", "nor", "elemMatch", "function", "accumulator", "all", "size", "type",
	"mod", "text", "comment", "jsonSchema", "options", "lookup", "match", "set", "unset", NULL,
};

/* Length of the operator name at p (after '$'), 0 if none. */
static size_t op_at(const unsigned char *p, size_t n)
{
	size_t w = 0;
	while (w < n && w < 16 && is_ident(p[w]) && p[w] != '$')
		w++;
	if (w == 0 || (w < n && is_ident(p[w])))
		return 0;
	for (int k = 0; ops[k]; k++)
		if (strlen(ops[k]) == w && memcmp(ops[k], p, w) == 0) /* checksrc: our own constant */
			return w;
	return 0;
}

static int set_hit(det_hit *hit, const char *rule, size_t off, size_t len)
{
	hit->rule = rule;
	hit->score = DET_SCORE_CRITICAL;
	hit->off = off;
	hit->len = len;
	return 1;
}

/* Operators in key or bracket position anywhere in the value. */
static int scan_operators(const unsigned char *v, size_t n, int keyloc, det_hit *hit)
{
	/* only a '$' starts an operator: hop from one to the next */
	for (const unsigned char *d = memchr(v, '$', n); d && (size_t)(d - v) + 2 < n;
	     d = memchr(d + 1, '$', n - (size_t)(d + 1 - v))) {
		size_t i = (size_t)(d - v);
		size_t w = op_at(v + i + 1, n - i - 1);
		if (!w)
			continue;
		size_t e = i + 1 + w;
		/* [$ne] */
		if (i > 0 && v[i - 1] == '[' && e < n && v[e] == ']')
			return set_hit(hit, "nosqli.bracket_operator: [$op] turns a parameter into a query object",
				       i - 1, e + 1 - (i - 1));
		/* the whole key is the operator */
		if (keyloc && i == 0 && e == n)
			return set_hit(hit, "nosqli.operator_key: MongoDB operator as an object key", 0, n);
		/* "$op" : or $op:  preceded by { , [ ( or the value start */
		size_t k = e;
		if (k < n && (v[k] == '"' || v[k] == '\''))
			k++;
		while (k < n && k - e < 8 && is_ws(v[k]))
			k++;
		if (k >= n || v[k] != ':')
			continue;
		/* GraphQL variable definition ($in: String, $ids: [ID!]) */
		size_t t = k + 1;
		while (t < n && t - k < 8 && is_ws(v[t]))
			t++;
		if (t < n && v[t] == '[')
			t++;
		if (t < n && v[t] >= 'A' && v[t] <= 'Z')
			continue;
		size_t b = i;
		if (b > 0 && (v[b - 1] == '"' || v[b - 1] == '\''))
			b--;
		while (b > 0 && i - b < 8 && is_ws(v[b - 1]))
			b--;
		if (b == 0 || v[b - 1] == '{' || v[b - 1] == ',' || v[b - 1] == '[')
			return set_hit(hit, "nosqli.operator: MongoDB operator in key position", i, k + 1 - i);
	}
	return 0;
}

/* Does a word start at p (case-sensitive, JavaScript)? */
static int word(const unsigned char *p, size_t n, const char *w)
{
	size_t k = strlen(w); /* checksrc: our own constant */
	return n >= k && memcmp(p, w, k) == 0;
}

/* The JavaScript that follows a string break: something that only
 * injected code would say next. */
static int js_evidence(const unsigned char *p, size_t n, int logical)
{
	if (word(p, n, "sleep(") || word(p, n, "this.") || word(p, n, "db.") || word(p, n, "$where") ||
	    word(p, n, "$or") || word(p, n, "while(") || word(p, n, "new Date") ||
	    word(p, n, "emit(") || word(p, n, "tojson(") || word(p, n, "Object."))
		return 1;
	if ((word(p, n, "return") && (n == 6 || !is_ident(p[6]))) ||
	    ((word(p, n, "var ") || word(p, n, "let ")) && n > 4 && is_ident(p[4])))
		return 1;
	if (logical && word(p, n, "true") && (n == 4 || !is_ident(p[4])))
		return 1;
	/* 'a'=='a  "x"!="y  1==1 */
	size_t k = 0;
	if (n && (p[0] == '\'' || p[0] == '"')) {
		unsigned char q = p[0];
		k = 1;
		while (k < n && k < 40 && p[k] != q)
			k++;
		if (k >= n || p[k] != q)
			return 0;
		k++;
	} else {
		while (k < n && k < 40 && is_ident(p[k]))
			k++;
		if (k == 0)
			return 0;
		/* it=new Date() */
		size_t j = k;
		while (j < n && is_ws(p[j]))
			j++;
		if (j + 4 < n && p[j] == '=' && p[j + 1] != '=') {
			j++;
			while (j < n && is_ws(p[j]))
				j++;
			if (word(p + j, n - j, "new "))
				return 1;
		}
	}
	while (k < n && is_ws(p[k]))
		k++;
	return k + 1 < n && (p[k] == '=' || p[k] == '!') && p[k + 1] == '=';
}

/* A break at position q: ws, then || && or ; and the evidence. A comma
 * break (', $or: [...]) is left to the operator scan: after a comma,
 * prose and argument lists say anything. */
static int js_break(const unsigned char *v, size_t n, size_t q, size_t *end)
{
	size_t k = q;
	while (k < n && k - q < 16 && is_ws(v[k]))
		k++;
	int logical = 0;
	if (k + 1 < n && ((v[k] == '|' && v[k + 1] == '|') || (v[k] == '&' && v[k + 1] == '&'))) {
		k += 2;
		logical = 1;
	} else if (k < n && v[k] == ';')
		k++;
	else
		return 0;
	while (k < n && k - q < 32 && is_ws(v[k]))
		k++;
	if (k >= n)
		return 0;
	*end = k;
	return js_evidence(v + k, n - k, logical);
}

static int scan_js(const unsigned char *v, size_t n, unsigned cl, det_hit *hit)
{
	size_t end;
	/* Value start: the injected text may follow a bare number or word
	 * (`0;return true`, `|| 1==1`). */
	size_t s = 0;
	while (s < n && s < 64 && is_ident(v[s]) && v[s] != '$')
		s++;
	if (js_break(v, n, s, &end))
		return set_hit(hit, "nosqli.js_injection: value breaks into server-side JavaScript", 0, end);
	/* the quote breaks: none without a quote, and with one kind of
	 * quote only, memchr hops between them */
	if (!(cl & (DC_SQUOTE | DC_DQUOTE)))
		return 0;
	if (!(cl & DC_SQUOTE) || !(cl & DC_DQUOTE)) {
		int q = (cl & DC_SQUOTE) ? '\'' : '"';
		for (const unsigned char *p = memchr(v, q, n); p; p = memchr(p + 1, q, n - (size_t)(p + 1 - v))) {
			size_t i = (size_t)(p - v);
			if (js_break(v, n, i + 1, &end))
				return set_hit(hit, "nosqli.js_injection: quote breaks into server-side JavaScript",
					       i, end - i);
		}
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (v[i] != '\'' && v[i] != '"')
			continue;
		if (js_break(v, n, i + 1, &end))
			return set_hit(hit, "nosqli.js_injection: quote breaks into server-side JavaScript", i,
				       end - i);
	}
	return 0;
}

/* this.password.match(  and  db.users.find( / db.getCollection( */
static int scan_calls(const unsigned char *v, size_t n, int paranoia, det_hit *hit)
{
	static const char *const methods[] = { "find", "findOne", "insert", "insertOne", "update",
						"updateOne", "remove", "drop", "deleteMany", "deleteOne",
						"mapReduce", "aggregate", "eval", "getCollection",
						"getSiblingDB", "dropDatabase", "count", NULL };
	/* both shapes hang on a '.' after "this" or "db": hop between dots */
	for (const unsigned char *d = memchr(v, '.', n); d && (size_t)(d - v) + 3 < n;
	     d = memchr(d + 1, '.', n - (size_t)(d + 1 - v))) {
		size_t i = (size_t)(d - v);
		if (i > 0 && v[i - 1] != 's' && v[i - 1] != 'b')
			continue;
		if (i >= 4 && memcmp(v + i - 4, "this", 4) == 0 && (i == 4 || !is_ident(v[i - 5]))) {
			size_t k = i + 1;
			while (k < n && k - i < 64 && is_ident(v[k]))
				k++;
			if (k > i + 1 && word(v + k, n - k, ".match("))
				return set_hit(hit, "nosqli.js_this: this.field.match( in a value", i - 4,
					       k + 7 - (i - 4));
		}
		/* db. at the start of the value or after ; or a quote: where
		 * injected code stands. In prose ("run db.x.find() in the
		 * shell") only at paranoia 2. */
		size_t b = i >= 2 ? i - 2 : 0;
		while (b > 0 && i - b < 16 && is_ws(v[b - 1]))
			b--;
		int placed = b == 0 || v[b - 1] == ';' || v[b - 1] == '\'' || v[b - 1] == '"' || paranoia >= 2;
		if (placed && i >= 2 && v[i - 2] == 'd' && v[i - 1] == 'b' && (i == 2 || !is_ident(v[i - 3]))) {
			size_t k = i + 1, m = k;
			while (m < n && m - k < 64 && is_ident(v[m]))
				m++;
			/* db.getCollection( or db.coll.method( */
			size_t name = k, name_end = m;
			if (m < n && v[m] == '.') {
				name = m + 1;
				name_end = name;
				while (name_end < n && name_end - name < 32 && is_ident(v[name_end]))
					name_end++;
			}
			if (name_end < n && v[name_end] == '(') {
				for (int j = 0; methods[j]; j++) {
					size_t w = strlen(methods[j]); /* checksrc: our own constant */
					if (w == name_end - name && memcmp(v + name, methods[j], w) == 0)
						return set_hit(hit, "nosqli.shell_call: mongo shell db call",
							       i - 2, name_end + 1 - (i - 2));
				}
			}
		}
	}
	return 0;
}

/* The scans of nosqli_detect, for values that passed its gate. Kept
 * out of line: the gate then runs without this frame's set-up. */
static int nosqli_scan(const det_input *in, det_hit *hit) __attribute__((noinline));

int nosqli_detect(const det_input *in, det_hit *hit)
{
	unsigned c = in->classes;
	/* the three scans below and their class gates */
	if (in->value.len < 3 ||
	    !((c & (DC_DOLLAR | DC_PIPE | DC_AMP | DC_SEMI)) || ((c & DC_DOT) && (c & DC_PAREN))))
		return 0;
	return nosqli_scan(in, hit);
}

static int nosqli_scan(const det_input *in, det_hit *hit)
{
	unsigned c = in->classes;
	const unsigned char *v = (const unsigned char *)in->value.p;
	size_t n = in->value.len;
	int keyloc = in->loc == LOC_JSON_KEY || in->loc == LOC_QUERY_ARG_NAME || in->loc == LOC_FORM_NAME ||
		     in->loc == LOC_COOKIE_NAME;
	if ((c & DC_DOLLAR) && scan_operators(v, n, keyloc, hit))
		return 1;
	/* js_break, behind every JavaScript finding, needs || && or ; */
	if ((c & (DC_PIPE | DC_AMP | DC_SEMI)) && scan_js(v, n, c, hit))
		return 1;
	if ((c & DC_DOT) && (c & DC_PAREN) && scan_calls(v, n, in->paranoia, hit))
		return 1;
	return 0;
}
