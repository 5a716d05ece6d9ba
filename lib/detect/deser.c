/* deser.c - serialized objects sent to an application that deserializes
 * them: the object graph picks the code that runs.
 *
 *   PHP       O:8:"stdClass":1:{...}  C:11:"ArrayObject":... (objects; arrays
 *             a:1:{s:3:"foo";s:3:"bar";} are common in cookies, so they only
 *             count at paranoia 2+)
 *   Java      the stream magic AC ED 00 05: raw, hex "aced0005", base64 "rO0AB"
 *   .NET      BinaryFormatter header in base64 "AAEAAAD/////", and gadget type
 *             names (ObjectDataProvider, TypeConfuseDelegate, ...) in JSON/XML
 *   Python    pickle: protocol header 0x80 N with os/posix/subprocess globals,
 *             or the text-protocol GLOBAL opcode "cos\nsystem"
 *   YAML      !!python/object/apply:, !!javax.script.ScriptEngineManager, ...
 *   JSON      Jackson/fastjson polymorphic types: "@type":"com.sun.rowset..."
 *
 * PHP serialized values are parsed (lengths checked) rather than matched,
 * so prose with "O:" does not count. Everything else is a prefix or a name
 * in its syntactic place. Linear in the value.
 */
#include "sekisho/detectors.h"

#include <stdbool.h>
#include <string.h>

static bool deser_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Read a decimal of at most 9 digits at *i. */
static bool deser_num(sk_slice v, size_t *i, size_t *out)
{
	size_t n = 0, k = *i;
	while (k < v.len && deser_digit(v.p[k]) && k - *i < 9)
		n = n * 10 + (size_t)(v.p[k++] - '0');
	if (k == *i)
		return false;
	*i = k;
	*out = n;
	return true;
}

/* PHP: O:<len>:"<class>":<count>:{  or  C:<len>:"<class>":<len>:{
 * at i, with the class length matching. Returns the end of the header. */
static size_t deser_php_object(sk_slice v, size_t i)
{
	if (i + 2 >= v.len || (v.p[i] != 'O' && v.p[i] != 'C') || v.p[i + 1] != ':')
		return 0;
	if (i > 0 && ((v.p[i - 1] | 0x20) >= 'a' && (v.p[i - 1] | 0x20) <= 'z'))
		return 0;
	size_t k = i + 2, n, cnt;
	if (!deser_num(v, &k, &n) || k + 2 + n + 2 > v.len || v.p[k] != ':' || v.p[k + 1] != '"')
		return 0;
	k += 2;
	if (n == 0 || k + n + 2 > v.len || v.p[k + n] != '"' || v.p[k + n + 1] != ':')
		return 0;
	for (size_t j = 0; j < n; j++) {
		char c = v.p[k + j];
		bool ok = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
		ok = ok || deser_digit(c) || c == '_' || c == '\\' || (unsigned char)c >= 0x80;
		if (!ok)
			return 0;
	}
	k += n + 2;
	if (!deser_num(v, &k, &cnt) || k + 1 >= v.len || v.p[k] != ':' || v.p[k + 1] != '{')
		return 0;
	return k + 2;
}

/* PHP array a:<n>:{ followed by a key i:<d>; or s:<n>:"...". */
static bool deser_php_array(sk_slice v, size_t i)
{
	if (i + 4 >= v.len || v.p[i] != 'a' || v.p[i + 1] != ':')
		return false;
	size_t k = i + 2, n;
	if (!deser_num(v, &k, &n) || k + 3 >= v.len || v.p[k] != ':' || v.p[k + 1] != '{')
		return false;
	k += 2;
	return (v.p[k] == 'i' || v.p[k] == 's') && v.p[k + 1] == ':';
}

static long deser_find(sk_slice v, const char *lit)
{
	return sk_slice_find_ci(v, sk_slice_make(lit, strlen(lit)));
}

/* First occurrence of "aced0005", letters in either case, as deser_find
 * finds it: the match ends in the digit '5', so hop between the '5's and
 * compare the seven bytes before each. */
static long deser_find_hex_magic(sk_slice v)
{
	static const char magic[] = "aced000";
	enum { M = sizeof(magic) - 1 };
	if (v.len <= M)
		return -1;
	for (const char *q = memchr(v.p + M, '5', v.len - M); q;
	     q = memchr(q + 1, '5', v.len - (size_t)(q + 1 - v.p))) {
		const char *b = q - M;
		if (sk_slice_eq_ci(sk_slice_make(b, M), sk_slice_make(magic, M)))
			return (long)(b - v.p);
	}
	return -1;
}

/* Case-sensitive search (type names and base64 are case-sensitive) for
 * the first occurrence of lit, hopping with memchr between the bytes
 * equal to lit[r], a byte of lit chosen for being rare in benign values:
 * the candidates' starts only grow, so the first match is memmem's. */
static long deser_find_cs(sk_slice v, const char *lit, size_t r)
{
	size_t m = strlen(lit);
	if (m > v.len)
		return -1;
	size_t last = v.len - m; /* the last possible start */
	for (const char *q = memchr(v.p + r, lit[r], last + 1); q;) {
		size_t at = (size_t)(q - v.p) - r;
		if (memcmp(v.p + at, lit, m) == 0)
			return (long)at;
		if (at >= last)
			break;
		q = memchr(q + 1, lit[r], last - at);
	}
	return -1;
}

/* First occurrence of any name of `list` (case-sensitive), in one pass:
 * a name is only compared where its first byte matches. The names are
 * chained by first byte, each chain in list order, so at a position the
 * first name of the list that matches is the one found. Sets *len. */
#define DESER_LIST_MAX 64 /* n <= this; checked for each list below */

static long deser_find_list(sk_slice v, const char *const *list, size_t n, size_t *len)
{
	unsigned char head[256], next[DESER_LIST_MAX];
	memset(head, 0xff, sizeof(head));
	for (size_t k = n; k-- > 0;) {
		unsigned char f = (unsigned char)list[k][0];
		next[k] = head[f];
		head[f] = (unsigned char)k;
	}
	for (size_t i = 0; i < v.len; i++) {
		for (unsigned k = head[(unsigned char)v.p[i]]; k != 0xff; k = next[k]) {
			/* the second byte decides most candidates before the
			 * length is taken (a name of one byte has none) */
			if (list[k][1] != '\0' && (i + 1 >= v.len || list[k][1] != v.p[i + 1]))
				continue;
			size_t m = strlen(list[k]);
			if (m <= v.len - i && memcmp(v.p + i, list[k], m) == 0) {
				*len = m;
				return (long)i;
			}
		}
	}
	return -1;
}

static int deser_hit(det_hit *hit, const char *rule, int score, size_t off, size_t len,
		     size_t vlen)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = off + len <= vlen ? len : vlen - off;
	return 1;
}

/* Is v.p[at] at a token start (not inside a longer base64/hex word)? */
static bool deser_word_start(sk_slice v, size_t at)
{
	if (at == 0)
		return true;
	char c = v.p[at - 1];
	bool b64 = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
	return !(b64 || deser_digit(c) || c == '+' || c == '/');
}

/* Gadget and dangerous type names that only a deserialization payload
 * spells out in a request. */
static const char *const deser_gadgets[] = {
	"com.sun.rowset.JdbcRowSetImpl", "TemplatesImpl", "org.apache.commons.collections.functors",
	"InvokerTransformer", "ChainedTransformer", "org.apache.xbean.propertyeditor.JndiConverter",
	"ch.qos.logback.core.db.JNDIConnectionSource", "com.zaxxer.hikari.HikariConfig",
	"System.Windows.Data.ObjectDataProvider", "TypeConfuseDelegate",
	"System.Diagnostics.Process", "System.Configuration.Install.AssemblyInstaller",
	"System.Workflow.ComponentModel", "ObjectStateFormatter", "WindowsIdentity",
	"javax.script.ScriptEngineManager", "java.net.URLClassLoader",
	"org.springframework.beans.factory.config.PropertyPathFactoryBean",
	"com.mchange.v2.c3p0", "org.codehaus.groovy.runtime.MethodClosure",
	"sun.rmi.server.UnicastRef", "java.rmi.server.UnicastRemoteObject",
};

/* YAML tags that make a loader construct arbitrary objects. */
static const char *const deser_yaml_tags[] = {
	"!!python/object", "!!python/name", "!!python/module", "!ruby/object", "!ruby/hash",
	"!!javax.", "!!java.", "!!com.", "!!org.", "!!sun.",
};

_Static_assert(sizeof(deser_gadgets) / sizeof(deser_gadgets[0]) <= DESER_LIST_MAX, "deser_find_list: list too long");
_Static_assert(sizeof(deser_yaml_tags) / sizeof(deser_yaml_tags[0]) <= DESER_LIST_MAX, "deser_find_list: list too long");

/* Python modules whose globals a pickle imports to run a command. */
static const char *const deser_pickle_mods[] = {
	"posix", "subprocess", "builtins", "__builtin__", "os", "nt", "commands", "pty",
};

static int deser_pickle(sk_slice v, det_hit *hit)
{
	/* text protocol: GLOBAL opcode 'c' module '\n' name '\n' */
	for (size_t m = 0; m < sizeof(deser_pickle_mods) / sizeof(deser_pickle_mods[0]); m++) {
		char pat[24];
		size_t n = strlen(deser_pickle_mods[m]);
		pat[0] = 'c';
		memcpy(pat + 1, deser_pickle_mods[m], n);
		pat[n + 1] = '\n';
		sk_slice needle = sk_slice_make(pat, n + 2);
		for (size_t i = 0; i + needle.len < v.len; i++) {
			if (v.p[i] != 'c' || memcmp(v.p + i, pat, needle.len) != 0)
				continue;
			if (i > 0 && v.p[i - 1] != '\n' && v.p[i - 1] != '(' && v.p[i - 1] != '.' &&
			    (unsigned char)v.p[i - 1] >= 0x20)
				continue;
			return deser_hit(hit, "deser.pickle: pickle GLOBAL of a command module",
					 DET_SCORE_CRITICAL, i, needle.len, v.len);
		}
	}
	/* binary protocols 2-5 start with PROTO 0x80 n */
	if (v.len > 4 && (unsigned char)v.p[0] == 0x80 && v.p[1] >= 2 && v.p[1] <= 5) {
		for (size_t m = 0; m < sizeof(deser_pickle_mods) / sizeof(deser_pickle_mods[0]); m++) {
			const char *mod = deser_pickle_mods[m];
			size_t n = strlen(mod);
			for (size_t i = 3; i + n < v.len; i++) {
				/* a SHORT_BINUNICODE/BINUNICODE string: length byte, then name */
				if ((unsigned char)v.p[i - 1] == n && memcmp(v.p + i, mod, n) == 0)
					return deser_hit(hit, "deser.pickle: binary pickle importing a command module",
							 DET_SCORE_CRITICAL, 0, i + n, v.len);
			}
		}
	}
	return 0;
}

int deser_detect(const det_input *in, det_hit *hit)
{
	sk_slice v = in->value;
	unsigned cl = in->classes;
	if (v.len < 5)
		return 0;

	/* Java stream magic, raw: hop between the 0xac bytes */
	for (const char *q = (cl & DC_HIGH) ? memchr(v.p, 0xac, v.len - 3) : NULL; q;) {
		size_t i = (size_t)(q - v.p);
		if ((unsigned char)v.p[i + 1] == 0xed && v.p[i + 2] == 0 && v.p[i + 3] == 5)
			return deser_hit(hit, "deser.java: Java serialization stream magic",
					 DET_SCORE_CRITICAL, i, 4, v.len);
		q = i + 4 < v.len ? memchr(q + 1, 0xac, v.len - 4 - i) : NULL;
	}
	if (cl & DC_ALPHA) {
		long at;
		/* base64 of AC ED 00 05, and of the .NET BinaryFormatter
		 * header. The first two magics hold a digit and are found
		 * case-sensitively, so a value without a digit (a word, a
		 * search) has neither and skips the searches. */
		/* Nor is a magic searched for in a value that lacks one of its
		 * letters (in->classes, DC_LETTER): a magic found is made of
		 * the value's letters. */
		uint64_t lt = in->classes;
		if ((cl & DC_DIGIT) && det_has_letters(lt, DC_LETTERS4('r', 'o', 'a', 'b')) &&
		    (at = deser_find_cs(v, "rO0AB", 3)) >= 0 && deser_word_start(v, (size_t)at))
			return deser_hit(hit, "deser.java: base64 Java serialization stream",
					 DET_SCORE_CRITICAL, (size_t)at, 5, v.len);
		if (in->paranoia >= 3 && (cl & DC_DIGIT) && det_has_letters(lt, DC_LETTERS4('h', 's', 'i', 'a')) &&
		    (at = deser_find_cs(v, "H4sIAAAAAAAA", 0)) >= 0)
			return deser_hit(hit, "deser.gzip: base64 gzip blob", DET_SCORE_NOTICE,
					 (size_t)at, 12, v.len);
		if ((cl & DC_DIGIT) && det_has_letters(lt, DC_LETTERS4('a', 'c', 'e', 'd')) &&
		    (at = deser_find_hex_magic(v)) >= 0 && deser_word_start(v, (size_t)at))
			return deser_hit(hit, "deser.java: hex Java serialization stream",
					 DET_SCORE_CRITICAL, (size_t)at, 8, v.len);
		if ((cl & DC_SLASH) && det_has_letters(lt, DC_LETTERS3('a', 'e', 'd')) &&
		    (at = deser_find_cs(v, "AAEAAAD/////", 6)) >= 0)
			return deser_hit(hit, "deser.dotnet: base64 BinaryFormatter stream",
					 DET_SCORE_CRITICAL, (size_t)at, 12, v.len);
		bool typed = (cl & DC_DOT) && (cl & (DC_DQUOTE | DC_LT | DC_BANG | DC_COLON | DC_SQUOTE));
		size_t glen;
		if (typed && (at = deser_find_list(v, deser_gadgets,
						   sizeof(deser_gadgets) / sizeof(deser_gadgets[0]), &glen)) >= 0)
			return deser_hit(hit, "deser.gadget: known deserialization gadget type",
					 DET_SCORE_CRITICAL, (size_t)at, glen, v.len);
	}
	if (cl & DC_BANG) {
		size_t tlen;
		long at = deser_find_list(v, deser_yaml_tags,
					  sizeof(deser_yaml_tags) / sizeof(deser_yaml_tags[0]), &tlen);
		if (at >= 0)
			return deser_hit(hit, "deser.yaml: YAML tag constructing arbitrary objects",
					 DET_SCORE_CRITICAL, (size_t)at, tlen, v.len);
	}
	/* Jackson/fastjson: "@type":"pkg.Class" (JSON-LD's @type is a word) */
	if ((cl & DC_AT) && (cl & DC_DQUOTE) && det_has_letters(in->classes, DC_LETTERS4('t', 'y', 'p', 'e'))) {
		long at = deser_find(v, "\"@type\"");
		if (at >= 0) {
			size_t k = (size_t)at + 7;
			while (k < v.len && (v.p[k] == ' ' || v.p[k] == ':'))
				k++;
			if (k < v.len && v.p[k] == '"') {
				size_t s = ++k;
				unsigned dots = 0;
				while (k < v.len && k - s < 200 && v.p[k] != '"') {
					if (v.p[k] == '.')
						dots++;
					else if (v.p[k] == ' ' || v.p[k] == '/' || v.p[k] == ':')
						break;
					k++;
				}
				if (k < v.len && v.p[k] == '"' && dots >= 2)
					return deser_hit(hit, "deser.json_type: polymorphic Java type in JSON",
							 DET_SCORE_CRITICAL, (size_t)at, k + 1 - (size_t)at, v.len);
			}
		}
	}
	if ((cl & DC_CTL) || (v.len > 2 && (unsigned char)v.p[0] == 0x80)) {
		if (deser_pickle(v, hit))
			return 1;
	}
	/* PHP serialization */
	if ((cl & DC_COLON) && (cl & DC_BRACE) && (cl & DC_DQUOTE)) {
		bool array = false;
		size_t array_off = 0;
		for (size_t i = 0; i + 4 < v.len; i++) {
			char c = v.p[i];
			if (c != 'O' && c != 'C' && c != 'a')
				continue;
			size_t e = deser_php_object(v, i);
			if (e)
				return deser_hit(hit, "deser.php: PHP serialized object",
						 DET_SCORE_CRITICAL, i, e - i, v.len);
			if (!array && deser_php_array(v, i)) {
				array = true;
				array_off = i;
			}
		}
		if (array && in->paranoia >= 2)
			return deser_hit(hit, "deser.php_array: PHP serialized array",
					 DET_SCORE_NOTICE, array_off, v.len - array_off, v.len);
	}
	return 0;
}
