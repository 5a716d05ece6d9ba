/* traversal.c - path traversal and local file inclusion.
 *
 * Three shapes decide:
 *  - climbs: dot-dot segments in every spelling that survives decoding
 *    (../ ..\ ..;/ ....// overlong UTF-8 C0 AE / C0 AF / E0 80 AE, the
 *    %u2215 / %u2216 / fullwidth forms, %2e %2f %5c or 0x2e 0x2f left
 *    over after the engine's passes, NULs between the dots). One climb in
 *    a relative link is weak; several, an encoded one, or one that reaches
 *    a sensitive file is an attack.
 *  - absolute sensitive paths where a value begins (or right after '=',
 *    "file://"): /etc/..., /proc/self/..., /var/log/..., C:\Windows\...,
 *    kept in tables below.
 *  - PHP stream wrappers that read files or run code (php://filter,
 *    php://input, zip://, phar://, expect://, data://text/plain, glob://).
 *
 * Linear: one pass over the value with a fixed-size state; the table
 * lookups look at bounded windows (PATH_WINDOW bytes) at a bounded number
 * of anchor positions.
 */
#include "sekisho/detectors.h"
#include "sekisho/swar.h"

#include <stdint.h>
#include <string.h>

#define PATH_WINDOW 160
#define MAX_ANCHORS 16

static int fill(det_hit *hit, const char *rule, int score, size_t off, size_t len);

static unsigned char lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

static int is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Does [p, p+n) start with the lower-case literal, ignoring ASCII case? */
static size_t starts_ci(const char *p, size_t n, const char *lit)
{
	size_t i = 0;
	for (; lit[i]; i++)
		if (i >= n || lc((unsigned char)p[i]) != (unsigned char)lit[i])
			return 0;
	return i;
}

enum unit { U_OTHER, U_DOT, U_SEP, U_IGNORE };

/* Spelled-out dots and separators that survive the engine's decoding. */
static const char *const enc_dot[] = { "%2e", "%u002e", "%uff0e", "%c0%ae", "%e0%80%ae", "0x2e", "%252e" };
static const char *const enc_sep[] = { "%2f", "%5c", "%u2215", "%u2216", "%uefc8", "%uf025", "%c0%af", "%c1%9c",
				       "%c0%5c", "%c1%1c", "%e0%80%af", "%252f", "%255c", "0x2f", "0x5c", "%c0%2f",
				       "%uff0f", "%uff3c" };

/* Classify the unit at i: a dot, a separator, something to skip between
 * dots and separator (NUL, the ; of Tomcat's ..;/), or other. *len gets
 * its byte length; *enc is set when the spelling was not plain ASCII. */
static enum unit unit_at(sk_slice v, size_t i, size_t *len, int *enc)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = v.len - i;
	unsigned char c = p[i];
	*len = 1;
	if (c == '.')
		return U_DOT;
	if (c == '/')
		return U_SEP;
	if (c == '\\')
		return U_SEP;
	if (c == '\0')
		return U_IGNORE;
	if (c >= 0xc0) {
		/* overlong encodings of '.', '/' and '\' (C0 AE, E0 80 AF,
		 * F0 80 80 AE, ...), and U+2215, U+2216, U+FF0E, U+FF0F, U+FF3C */
		size_t k = 1;
		if (c == 0xc0 || c == 0xc1) {
			if (n >= 2) {
				unsigned char d = p[i + 1];
				*len = 2;
				*enc = 1;
				if (d == 0xae || d == 0x2e)
					return U_DOT;
				if (d == 0xaf || d == 0x9c || d == 0x2f || d == 0x5c || d == 0x1c)
					return U_SEP;
			}
			return U_OTHER;
		}
		if (c >= 0xe0 && c <= 0xfc) {
			size_t want = c >= 0xfc ? 6 : c >= 0xf8 ? 5 : c >= 0xf0 ? 4 : 3;
			if (n >= 3 && c == 0xe2 && p[i + 1] == 0x88 && (p[i + 2] == 0x95 || p[i + 2] == 0x96)) {
				*len = 3;
				*enc = 1;
				return U_SEP;
			}
			if (n >= 3 && c == 0xef && p[i + 1] == 0xbc && (p[i + 2] == 0x8e || p[i + 2] == 0x8f || p[i + 2] == 0xbc)) {
				*len = 3;
				*enc = 1;
				return p[i + 2] == 0x8e ? U_DOT : U_SEP;
			}
			if (n >= want) {
				for (k = 1; k + 1 < want; k++)
					if (p[i + k] != 0x80)
						return U_OTHER;
				unsigned char last = p[i + want - 1];
				*len = want;
				*enc = 1;
				if (last == 0xae)
					return U_DOT;
				if (last == 0xaf || last == 0x9c)
					return U_SEP;
			}
		}
		return U_OTHER;
	}
	/* every spelling below is '%' then 0, 2, 5, c, e or u, or "0x" */
	if ((c == '%' && n > 1 && memchr("025ceuCEU", p[i + 1], 9)) || (c == '0' && n > 1 && (p[i + 1] | 0x20) == 'x')) {
		/* every spelling has 2 bytes or more, and n > 1: the second byte,
		 * folded, must match before the whole spelling is compared */
		unsigned char c1 = lc(p[i + 1]);
		for (size_t k = 0; k < sizeof(enc_dot) / sizeof(enc_dot[0]); k++) {
			if ((unsigned char)enc_dot[k][1] != c1)
				continue;
			size_t m = starts_ci(v.p + i, n, enc_dot[k]);
			if (m) {
				*len = m;
				*enc = 1;
				return U_DOT;
			}
		}
		for (size_t k = 0; k < sizeof(enc_sep) / sizeof(enc_sep[0]); k++) {
			if ((unsigned char)enc_sep[k][1] != c1)
				continue;
			size_t m = starts_ci(v.p + i, n, enc_sep[k]);
			if (m) {
				*len = m;
				*enc = 1;
				return U_SEP;
			}
		}
		size_t m = starts_ci(v.p + i, n, "%00");
		if (m) {
			*len = m;
			return U_IGNORE;
		}
	}
	return U_OTHER;
}

/* Ordinary bytes, for the scans below to skip without calling unit_at.
 * BK_PLAIN: unit_at says U_OTHER of length 1 whatever follows: every
 * byte but '.', '/', '\\', NUL, '%', '0' (dots, separators, NUL and the
 * starts of encoded spellings) and the lead bytes 0xC0, 0xC1 and
 * 0xE0..0xFC (overlong and fullwidth forms); 0xC2..0xDF and 0xFD..0xFF
 * are plain. BK_LEAD: E1 and E3..EE, plain when a byte other than 0x80
 * follows, which unit_at refuses at its first check (E0, E2 and EF have
 * forms of their own). Japanese text is almost only such bytes.
 * BK_SPECIAL: what the main scan of traversal_detect treats as more than
 * part of a word: the boundary and anchor bytes of its last branch, and
 * the ';' of Tomcat's ..;/ . A constant expression, so that the compiler
 * builds the table (as in classes.c). */
enum { BK_PLAIN = 1, BK_LEAD = 2, BK_SPECIAL = 4 };
#define BK(c)                                                                                                     \
	((((c) < 0xc0 && (c) != '.' && (c) != '/' && (c) != '\\' && (c) != 0 && (c) != '%' && (c) != '0') ||        \
	  ((c) >= 0xc2 && (c) < 0xe0) || (c) > 0xfc) ? BK_PLAIN :                                                 \
	 ((c) == 0xe1 || ((c) >= 0xe3 && (c) <= 0xee)) ? BK_LEAD : 0) |                                            \
		(((c) == '=' || (c) == ' ' || (c) == '"' || (c) == '\'' || (c) == '(' || (c) == ',' || (c) == ':' ||   \
		  (c) == '|' || (c) == '\t' || (c) == '\n' || (c) == ';') ? BK_SPECIAL : 0)
#define BK4(c) BK(c), BK((c) + 1), BK((c) + 2), BK((c) + 3)
#define BK16(c) BK4(c), BK4((c) + 4), BK4((c) + 8), BK4((c) + 12)
#define BK64(c) BK16(c), BK16((c) + 16), BK16((c) + 32), BK16((c) + 48)

static const unsigned char byte_kind[256] = { BK64(0u), BK64(64u), BK64(128u), BK64(192u) };

/* Is the unit at i U_OTHER of one byte (see byte_kind)? */
static inline int plain_unit(const unsigned char *p, size_t n, size_t i)
{
	unsigned k = byte_kind[p[i]];
	return (k & BK_PLAIN) || ((k & BK_LEAD) && i + 1 < n && p[i + 1] != 0x80);
}

/* A plain unit that the main scan treats as part of a word. */
static inline int word_unit(const unsigned char *p, size_t n, size_t i)
{
	return !(byte_kind[p[i]] & BK_SPECIAL) && plain_unit(p, n, i);
}

/* Does v hold ".." (sk_slice_has_pair(v, '.', '.'))? memchr finds the
 * first '.' (no pair starts before it; most values have none, and memchr
 * is fastest there). From it on, eight bytes at a time: d gets the high
 * bit of exactly the bytes that are '.' (the exact zero-byte test on
 * w ^ "........", no borrow between bytes), and two dots side by side in
 * memory are side by side in the register, so d & (d >> 8) is not zero.
 * The windows step by 7 so that every pair of neighbours lies inside one
 * of them, the last window ends at the value's end. Tokens with many dots
 * (1.0.1.1, GA1.2.x.y) would cost a memchr per dot. */
static int has_dotdot(sk_slice v)
{
	const unsigned char *p = (const unsigned char *)v.p;
	size_t n = v.len;
	if (n < 2)
		return 0;
	const unsigned char *q = memchr(p, '.', n - 1);
	if (q == NULL)
		return 0;
	size_t i = (size_t)(q - p);
	if (n - i < 8) {
		for (; i + 1 < n; i++)
			if (p[i] == '.' && p[i + 1] == '.')
				return 1;
		return 0;
	}
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	for (;;) {
		uint64_t x = swar_load(p + i) ^ (SWAR_ONES * '.');
		uint64_t d = ~(((x & low7) + low7) | x | low7);
		if (d & (d >> 8))
			return 1;
		if (i + 8 == n)
			return 0;
		/* the next window: 7 on, or the last 8 bytes (every pair
		 * from i + 7 on lies in them) */
		i = i + 15 <= n ? i + 7 : n - 8;
	}
}

/* Does v hold "0x2e", ignoring case (sk_slice_find_ci(v, "0x2e") >= 0)?
 * Its '2' has one spelling: memchr hops from one '2' to the next and the
 * bytes around it are compared. */
static int has_0x2e(sk_slice v)
{
	if (v.len < 4)
		return 0;
	const char *q = v.p + 2, *end = v.p + v.len - 1;
	while (q < end && (q = memchr(q, '2', (size_t)(end - q))) != NULL) {
		if (q[-2] == '0' && (q[-1] | 0x20) == 'x' && (q[1] | 0x20) == 'e')
			return 1;
		q++;
	}
	return 0;
}

/* Can the main scan of traversal_detect count a climb? Every climb (and
 * the ';' and lost-percent "2f" branches, which need the same) needs
 * `dots` at 2, and dots only grows by a U_DOT unit: a U_DOT unit
 * followed, after nothing but U_IGNORE units, by another U_DOT unit. What
 * unit_at says at a position depends on the bytes from there on only, so
 * trying every position where a dot can start ('.', '%', "0x" and the
 * lead bytes 0xC0, 0xC1, 0xE0..0xFC of unit_at's overlong and fullwidth
 * forms) finds every pair the scan can meet, whatever units it stepped
 * over before. */
static int may_climb(sk_slice v, uint64_t cl)
{
	const unsigned char *p = (const unsigned char *)v.p;
	if (!(cl & (DC_HIGH | DC_PERCENT | DC_CTL))) {
		/* No lead byte, no '%', no NUL: the dots are '.' and "0x2e"
		 * and there is no U_IGNORE unit, so two dots that meet are ".."
		 * or hold "0x2e" (whose x and e then are among the letters) */
		return has_dotdot(v) ||
		       ((cl & DC_DIGIT) && det_has_letters(cl, DC_LETTERS2('x', 'e')) && has_0x2e(v));
	}
	for (size_t i = 0; i + 1 < v.len; i++) {
		unsigned char c = p[i];
		int lead = c >= 0xc0 && c <= 0xfc && (c <= 0xc1 || c >= 0xe0);
		if (c != '.' && c != '%' && !lead && !(c == '0' && (p[i + 1] | 0x20) == 'x'))
			continue;
		size_t len;
		int enc = 0;
		if (unit_at(v, i, &len, &enc) != U_DOT)
			continue;
		size_t j = i + len;
		while (j < v.len && unit_at(v, j, &len, &enc) == U_IGNORE)
			j += len;
		if (j < v.len && unit_at(v, j, &len, &enc) == U_DOT)
			return 1;
	}
	return 0;
}

/* The bit of the byte pair (a, b) in a struct pairs (below); a constant
 * expression, so that the tables get their literals' bits built in. */
#define PAIR_BIT(a, b) ((((unsigned)(unsigned char)(a)) * 37u + (unsigned char)(b)) & 255u)

/* A literal of a table and its length, so that no scan counts it again,
 * and the PAIR_BIT of its first and last two bytes (literals have three
 * bytes or more). */
struct lit {
	const char *s;
	size_t n;
	unsigned char h0, h1;
};
#define L(x) { x, sizeof(x) - 1, PAIR_BIT((x)[0], (x)[1]), PAIR_BIT((x)[sizeof(x) - 3], (x)[sizeof(x) - 2]) }

/* Sensitive targets, matched on a lower-cased copy with separators made
 * '/'. A leading '/' anchors at a component start. Those under etc/,
 * proc/, var/ and usr/local/ have tables of their own, searched only
 * when the directory is there (any match will do, so order is free). */
static const struct lit sensitive_etc[] = {
	L("etc/passwd"), L("etc/shadow"), L("etc/group"), L("etc/hosts"), L("etc/issue"), L("etc/sudoers"),
	L("etc/crontab"), L("etc/master.passwd"), L("etc/httpd"), L("etc/apache"), L("etc/nginx"), L("etc/php"),
	L("etc/mysql"), L("etc/my.cnf"), L("etc/ssh"), L("etc/profile"), L("etc/bashrc"), L("etc/fstab"),
	L("etc/resolv.conf"), L("etc/motd"), L("etc/network"), L("etc/sysconfig"), L("etc/hostname"), L("etc/init"),
	L("etc/security"), L("etc/ld.so"), L("etc/os-release"),
};
static const struct lit sensitive_proc[] = {
	L("proc/self"), L("proc/version"), L("proc/cmdline"), L("proc/mounts"), L("proc/net"), L("proc/sched_debug"),
	L("proc/1/"),
};
static const struct lit sensitive_var[] = {
	L("var/log"), L("var/www"), L("var/lib/php"), L("var/mail"), L("var/spool"), L("var/adm"), L("var/run"),
	L("var/apache"), L("var/lib/mysql"),
};
static const struct lit sensitive_usr[] = {
	L("usr/local/apache"), L("usr/local/etc"), L("usr/local/nginx"), L("usr/local/php"), L("usr/local/lib/php"),
	L("usr/local/www"),
};
static const struct lit sensitive[] = {
	L("root/"), L(".ssh/"), L("id_rsa"), L("id_dsa"),
	L("authorized_keys"), L("known_hosts"), L(".bash_history"), L(".htaccess"), L(".htpasswd"), L(".env"),
	L("wp-config"), L("web-inf/"), L("meta-inf/"), L("win.ini"), L("boot.ini"), L("system.ini"), L("windows/"),
	L("winnt/"), L("system32"), L("inetpub"), L("repair/sam"), L("repair/system"), L("config/sam"), L("sysprep"),
	L("unattend"), L("xampp"), L("wamp"), L("lampp"), L("php.ini"), L("httpd.conf"), L("my.cnf"), L("my.ini"),
	L("access.log"), L("access_log"), L("error.log"), L("error_log"), L("apache2"), L("program files"),
	L("documents and settings"), L("pagefile.sys"), L("ntuser"), L("config.inc.php"), L("configuration.php"),
	L("settings.php"), L("localsettings.php"), L("database.yml"), L("application.properties"), L("run/secrets"),
	L("cpanel"), L("config.php"), L("sessions/"), L("php4"), L("php5"), L("appserv"), L("mysql"), L("webserver"),
};

/* Names that decide even in a relative path (admin/access_log). */
static const struct lit strong_names[] = {
	L("access_log"), L("error_log"), L("access.log"), L("error.log"), L(".htpasswd"), L(".htaccess"), L("id_rsa"),
	L("web-inf/web.xml"), L(".bash_history"), L("authorized_keys"), L("win.ini"), L("boot.ini"), L("etc/passwd"),
	L("etc/shadow"),
};

/* Top-level directories of an absolute Unix path that only a file read
 * names. */
static const struct lit sysdirs[] = {
	L("etc/"), L("proc/"), L("root/"), L("boot/"), L("sys/"), L("dev/"), L("private/etc"), L("var/"), L("usr/"),
	L("opt/"), L("home/"), L("srv/"), L("bin/"), L("sbin/"), L("lib/"), L("tmp/"), L("mnt/"), L(".ssh/"),
	L("library/"), L("system/"), L("run/"),
};

/* Lower-case, separator-normalised copy of up to `cap` bytes at v[from]. */
static size_t norm_copy(sk_slice v, size_t from, char *out, size_t cap)
{
	size_t o = 0;
	size_t i = from;
	while (i < v.len && o < cap) {
		if (plain_unit((const unsigned char *)v.p, v.len, i)) {
			/* what the U_OTHER branch below does, without the call */
			out[o++] = (char)lc((unsigned char)v.p[i]);
			i++;
			continue;
		}
		size_t len;
		int enc = 0;
		enum unit u = unit_at(v, i, &len, &enc);
		if (u == U_SEP) {
			if (o == 0 || out[o - 1] != '/')
				out[o++] = '/';
		} else if (u == U_DOT) {
			out[o++] = '.';
		} else if (u == U_IGNORE) {
			out[o++] = '\0';
		} else {
			out[o++] = (char)lc((unsigned char)v.p[i]);
		}
		i += len;
	}
	return o;
}

static int contains(const char *s, size_t n, struct lit l)
{
	const char *lit = l.s;
	size_t m = l.n;
	if (m == 0 || m > n)
		return m == 0;
	/* hop from one occurrence of the first byte to the next */
	const char *p = s, *last = s + (n - m);
	while (p <= last && (p = memchr(p, lit[0], (size_t)(last - p) + 1)) != NULL) {
		if (memcmp(p, lit, m) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* The byte pairs present in a string, hashed into 256 bits. A string
 * that contains a literal contains the literal's first two bytes, so a
 * literal whose pair's bit is clear cannot be in it: one pass over the
 * string spares the search for most of a table's literals. */
struct pairs {
	uint64_t w[4];
};


static void pairs_of(const char *s, size_t n, struct pairs *ps)
{
	memset(ps, 0, sizeof(*ps));
	for (size_t i = 0; i + 1 < n; i++) {
		unsigned h = PAIR_BIT(s[i], s[i + 1]);
		ps->w[h >> 6] |= 1ull << (h & 63);
	}
}

static int pairs_has(const struct pairs *ps, unsigned h)
{
	return (ps->w[h >> 6] >> (h & 63)) & 1;
}

/* Is l in s (of pair set ps)? Its first and last pairs must be. */
static int contains_p(const char *s, size_t n, const struct pairs *ps, struct lit l)
{
	if (!pairs_has(ps, l.h0) || !pairs_has(ps, l.h1))
		return 0;
	return contains(s, n, l);
}

/* Is one of the nt literals of t in s (of pair set ps)? */
static int any_of(const char *s, size_t n, const struct pairs *ps, const struct lit *t, size_t nt)
{
	for (size_t k = 0; k < nt; k++)
		if (contains_p(s, n, ps, t[k]))
			return 1;
	return 0;
}

#define ANY_OF(t) any_of(s, n, &ps, t, sizeof(t) / sizeof(t[0]))

static int names_sensitive(const char *s, size_t n)
{
	struct pairs ps;
	pairs_of(s, n, &ps);
	return ANY_OF(sensitive) || (contains_p(s, n, &ps, (struct lit)L("etc/")) && ANY_OF(sensitive_etc)) ||
	       (contains_p(s, n, &ps, (struct lit)L("proc/")) && ANY_OF(sensitive_proc)) ||
	       (contains_p(s, n, &ps, (struct lit)L("var/")) && ANY_OF(sensitive_var)) ||
	       (contains_p(s, n, &ps, (struct lit)L("usr/local/")) && ANY_OF(sensitive_usr));
}

#undef ANY_OF

/* Config, log and key file endings of the last component. */
static int sensitive_ext(const char *s, size_t n)
{
	static const struct lit ext[] = {
		L(".conf"), L(".ini"), L(".log"), L(".cnf"), L(".xml"), L(".properties"), L(".pdb"), L(".inf"),
		L(".sav"), L(".err"), L(".dat"), L(".keystore"), L(".pem"), L(".key"), L(".yml"), L(".cfg"),
		L("_log"), L(".db"), L(".php"), L(".asp"), L(".aspx"), L(".jsp"),
	};
	size_t e = n;
	while (e > 0 && s[e - 1] == '\0')
		e--;
	/* Every ending starts with '.' or '_': only those bytes can start a
	 * match, and any match will do. */
	for (size_t i = 0; i < e; i++) {
		if (s[i] != '.' && s[i] != '_')
			continue;
		for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
			size_t m = ext[k].n;
			if (ext[k].s[0] == s[i] && i + m <= e && ext[k].s[1] == s[i + 1] && memcmp(s + i, ext[k].s, m) == 0 &&
			    (i + m == e || s[i + m] == '.' || is_digit((unsigned char)s[i + m]) || s[i + m] == '\0' ||
			     s[i + m] == ';'))
				return 1;
		}
	}
	return 0;
}

/* The tail after the climbs is an ordinary web asset path. */
static int static_asset(const char *s, size_t n)
{
	static const struct lit ext[] = {
		L(".png"), L(".jpg"), L(".jpeg"), L(".gif"), L(".svg"), L(".webp"), L(".ico"), L(".css"), L(".js"),
		L(".woff"), L(".woff2"), L(".ttf"), L(".md"), L(".html"), L(".htm"), L(".pdf"), L(".mp4"), L(".json"),
	};
	size_t e = 0;
	while (e < n && s[e] != ' ' && s[e] != '\0' && s[e] != '?' && s[e] != '#' && s[e] != '"' && s[e] != '\'' && s[e] != ')')
		e++;
	for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
		size_t m = ext[k].n;
		if (e > m && memcmp(s + e - m, ext[k].s, m) == 0)
			return 1;
	}
	return 0;
}

/* Alphanumeric word pairs that spell a system file whatever junk
 * separates them (windows%bg%qfsystem32, etc%c1%pcpasswd): the engine
 * cannot decode junk, the target server might. The separator must not
 * be a blank, so prose ("etc. hosts") stays out. */
static int word_pairs(sk_slice v, det_hit *hit)
{
	static const struct lit pairs[][2] = {
		{ L("etc"), L("passwd") }, { L("etc"), L("shadow") }, { L("etc"), L("hosts") },
		{ L("etc"), L("issue") }, { L("windows"), L("system32") }, { L("winnt"), L("system32") },
		{ L("windows"), L("win") }, { L("proc"), L("self") }, { L("self"), L("environ") },
	};
	char prev[12] = "", cur[12];
	size_t prevn = 0, prev_off = 0;
	int sep_ok = 0;
	size_t i = 0;
	while (i < v.len) {
		unsigned char c = (unsigned char)v.p[i];
		if (!is_alpha(c) && !is_digit(c)) {
			if (c == ' ' || c == '\t' || c == '\n' || c == ',')
				sep_ok = -1000;
			else
				sep_ok++;
			i++;
			continue;
		}
		size_t s = i, cn = 0;
		while (i < v.len && (is_alpha((unsigned char)v.p[i]) || is_digit((unsigned char)v.p[i]))) {
			if (cn < sizeof(cur))
				cur[cn] = (char)lc((unsigned char)v.p[i]);
			cn++;
			i++;
		}
		if (cn > sizeof(cur))
			cn = sizeof(cur) + 1;
		if (cn <= 2 && !(cn == 2 && prevn == 0)) {
			/* c0, qf, 32: leftovers of broken escapes between words */
			if (sep_ok >= 0)
				sep_ok += (int)cn;
			continue;
		}
		if (prevn && sep_ok > 0 && sep_ok < 12 && cn <= sizeof(cur)) {
			for (size_t k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
				size_t a = pairs[k][0].n, b = pairs[k][1].n;
				/* qfwindows: up to two bytes of a broken escape glued on */
				if (a <= prevn && prevn <= a + 2 && b <= cn && cn <= b + 2 &&
				    memcmp(prev + prevn - a, pairs[k][0].s, a) == 0 && memcmp(cur + cn - b, pairs[k][1].s, b) == 0)
					return fill(hit, "traversal.file: names a system file through junk separators",
						    DET_SCORE_CRITICAL, prev_off, i - prev_off);
			}
		}
		if (cn <= sizeof(prev)) {
			memcpy(prev, cur, cn);
			prevn = cn;
		} else {
			prevn = 0;
		}
		prev_off = s;
		sep_ok = 0;
	}
	return 0;
}

static int fill(det_hit *hit, const char *rule, int score, size_t off, size_t len)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = len;
	return 1;
}

/* Is the lower-case word w (n bytes, of letters `letters`, DC_LETTER
 * bits) in the value, ignoring case? A value without one of its letters
 * (det_classes) has none; else memchr hops to each byte that may be its
 * k-th, k chosen so that this byte is rare in text, and the word is
 * compared around it. */
static int has_word(sk_slice v, uint64_t cl, const char *w, size_t n, size_t k, uint64_t letters)
{
	if (!det_has_letters(cl, letters) || n > v.len)
		return 0;
	unsigned char lo = (unsigned char)w[k];
	unsigned char up = (lo >= 'a' && lo <= 'z') ? (unsigned char)(lo - 0x20) : lo;
	/* the k-th byte of a word that fits lies in [k, v.len - n + k] */
	const char *first = v.p + k, *end = v.p + (v.len - n + k) + 1;
	for (int pass = 0; pass < (up != lo ? 2 : 1); pass++) {
		const char *q = first;
		while (q < end && (q = memchr(q, pass ? up : lo, (size_t)(end - q))) != NULL) {
			if (starts_ci(q - k, n, w))
				return 1;
			q++;
		}
	}
	return 0;
}

/* The letter test of has_word in the caller, so that a word whose
 * letters are missing costs no call. */
#define HAS(lit, k, letters) (det_has_letters(cl, letters) && has_word(v, cl, lit, sizeof(lit) - 1, k, letters))
#define LT3(a, b, c) DC_LETTERS3(a, b, c)
#define LT4(a, b, c, d) DC_LETTERS4(a, b, c, d)

/* May a relative path in v name one of strong_names? Each of them holds
 * one of these words, made of bytes that norm_copy copies one for one
 * (letters, '_' and '-'; only the dot and the separator of a name can be
 * spelled otherwise), so the word is in the value, ignoring case.
 * *known caches the answer for the value (-1: not yet computed). */
static int strong_possible(sk_slice v, uint64_t cl, int *known)
{
	if (*known < 0)
		*known = HAS("shadow", 5, LT4('s', 'h', 'a', 'd') | DC_LETTER('o')) ||
			 HAS("passwd", 4, LT4('p', 'a', 's', 'w') | DC_LETTER('d')) ||
			 HAS("htaccess", 0, LT4('h', 't', 'a', 'c') | DC_LETTERS2('e', 's')) ||
			 HAS("id_rsa", 2, LT4('i', 'd', 'r', 's') | DC_LETTER('a')) ||
			 ((cl & DC_DASH) && HAS("web-inf", 6, LT4('w', 'e', 'b', 'i') | DC_LETTERS2('n', 'f'))) ||
			 HAS("bash_history", 11, LT4('b', 'a', 's', 'h') | LT4('i', 't', 'o', 'r')) ||
			 HAS("authorized_keys", 7, LT4('a', 'u', 't', 'h') | LT4('k', 'e', 'y', 's')) ||
			 HAS("log", 2, LT3('l', 'o', 'g')) || /* access_log, error.log */
			 HAS("ini", 1, DC_LETTERS2('i', 'n'));  /* win.ini, boot.ini */
	return *known;
}

/* An absolute path into system territory starting at v[at]. `cl` is the
 * value's det_classes, *strong the cache of strong_possible. */
static int abs_sensitive(sk_slice v, size_t at, int pathloc, uint64_t cl, int *strong)
{
	char buf[PATH_WINDOW];
	unsigned char c0 = (unsigned char)v.p[at];
	/* A letter not followed by ':', a digit that does not start "0x" or
	 * a '.' is copied as itself (units of one byte), so the copy starts
	 * neither with '/' nor with a drive: only the relative-path check at
	 * the end can say yes, and only for a value that may hold a strong
	 * name. */
	int relative = c0 == '.' || (is_alpha(c0) && !(at + 1 < v.len && v.p[at + 1] == ':')) ||
		       (is_digit(c0) && !(c0 == '0' && at + 1 < v.len && (v.p[at + 1] | 0x20) == 'x'));
	if (relative && *strong == 0) /* known already: spare the refusal below */
		return 0;
	/* cheap refusal: an absolute path, a drive letter or a short
	 * relative path without blanks. The memchr calls only look for bytes
	 * that the value's classes say are there (DC_SPACE covers ' ',
	 * DC_SLASH '/'): a value without them gets the memchr answers. */
	if (!(c0 == '/' || c0 == '\\' || c0 == '.' || c0 >= 0x80 || c0 == '%' ||
	      (is_alpha(c0) && at + 1 < v.len && v.p[at + 1] == ':') ||
	      ((is_alpha(c0) || is_digit(c0)) && v.len - at < PATH_WINDOW && (cl & DC_SLASH) &&
	       !((cl & DC_SPACE) && memchr(v.p + at, ' ', v.len - at)) && memchr(v.p + at, '/', v.len - at))))
		return 0;
	if (relative && !strong_possible(v, cl, strong))
		return 0;
	size_t n = norm_copy(v, at, buf, sizeof(buf));
	if (n < 4)
		return 0;
	if (buf[0] == '/') {
		size_t s = 1;
		while (s < n && buf[s] == '/')
			s++;
		const char *rest = buf + s;
		size_t rn = n - s;
		for (size_t k = 0; k < sizeof(sysdirs) / sizeof(sysdirs[0]); k++) {
			size_t m = sysdirs[k].n;
			if (rn > m && rest[0] == sysdirs[k].s[0] && memcmp(rest, sysdirs[k].s, m) == 0) {
				/* /etc/x, /proc/x, /root/x: a file read on its own;
				 * /var, /usr, /home need a known place or a config or
				 * log file name */
				if ((k < 7 && !pathloc) || memchr(rest, '\0', rn))
					return 1;
				return names_sensitive(rest, rn) || (!pathloc && sensitive_ext(rest, rn));
			}
		}
		/* \xampp\..., \Program Files\..., \\host\c$\windows\win.ini */
		return (memchr(rest, '/', rn) || contains(rest, rn, (struct lit)L("win.ini")) ||
			contains(rest, rn, (struct lit)L("boot.ini")) || sensitive_ext(rest, rn)) &&
		       names_sensitive(rest, rn);
	}
	if (n >= 3 && is_alpha((unsigned char)buf[0]) && buf[1] == ':' && (buf[2] == '/' || is_alpha((unsigned char)buf[2])))
		return names_sensitive(buf + 2, n - 2) || sensitive_ext(buf + 2, n - 2);
	/* a relative path (no blanks) naming a log, key or secret file */
	if (memchr(buf, ' ', n) == NULL && (memchr(buf, '/', n) != NULL || buf[0] == '.')) {
		struct pairs ps;
		pairs_of(buf, n, &ps);
		for (size_t k = 0; k < sizeof(strong_names) / sizeof(strong_names[0]); k++)
			if (contains_p(buf, n, &ps, strong_names[k]))
				return 1;
	}
	return 0;
}

static int wrapper(sk_slice v, det_hit *hit)
{
	static const char *const wr[] = { "php://filter", "php://input", "php://fd", "zip://", "phar://", "expect://",
					  "glob://", "compress.zlib://", "compress.bzip2://", "rar://", "ogg://",
					  "data://text/plain", "php://stdin" };
	/* Every wrapper above has "://" 3 to 14 bytes after its start (no
	 * letters, so matched exactly): a wrapper starts in the 12 bytes
	 * before some "://". The windows are tried in order and no position
	 * twice, so the first wrapper found is the one a scan of every
	 * position would find. */
	size_t i = 0;
	const char *p = v.p, *last = v.p + (v.len >= 2 ? v.len - 2 : 0);
	while (p < last && (p = memchr(p, ':', (size_t)(last - p))) != NULL) {
		size_t c = (size_t)(p - v.p);
		p++;
		if (v.p[c + 1] != '/' || v.p[c + 2] != '/')
			continue;
		if (i + 14 < c)
			i = c - 14;
		for (; i + 3 <= c && i + 6 <= v.len; i++) {
			unsigned char ch = lc((unsigned char)v.p[i]);
			if (ch != 'p' && ch != 'z' && ch != 'e' && ch != 'g' && ch != 'c' && ch != 'r' && ch != 'o' &&
			    ch != 'd')
				continue;
			if (i > 0 && is_alpha((unsigned char)v.p[i - 1]))
				continue;
			for (size_t k = 0; k < sizeof(wr) / sizeof(wr[0]); k++) {
				if ((unsigned char)wr[k][0] != ch)
					continue;
				size_t m = starts_ci(v.p + i, v.len - i, wr[k]);
				if (m)
					return fill(hit, "traversal.wrapper: PHP stream wrapper that reads files or runs code",
						    DET_SCORE_CRITICAL, i, m);
			}
		}
	}
	return 0;
}

/* Does a word end in "win" (a word of word_pairs is a whole run of
 * letters and digits)? */
static int win_word_end(sk_slice v)
{
	size_t from = 0;
	long k;
	while ((k = sk_slice_find_ci(sk_slice_make(v.p + from, v.len - from), SK_LIT("win"))) >= 0) {
		size_t e = from + (size_t)k + 3;
		if (e == v.len || !(is_alpha((unsigned char)v.p[e]) || is_digit((unsigned char)v.p[e])))
			return 1;
		from = from + (size_t)k + 1;
	}
	return 0;
}

/* Can word_pairs fire? Both words of one of its pairs must be in the
 * value (the first ends a word, the second ends the next word). */
static int pairs_possible(sk_slice v, uint64_t cl)
{
	if (HAS("etc", 2, LT3('e', 't', 'c')) &&
	    (HAS("passwd", 4, LT4('p', 'a', 's', 'w') | DC_LETTER('d')) || HAS("shadow", 5, LT4('s', 'h', 'a', 'd') | DC_LETTER('o')) ||
	     HAS("hosts", 0, LT4('h', 'o', 's', 't')) || HAS("issue", 3, LT4('i', 's', 'u', 'e'))))
		return 1;
	if (HAS("win", 0, LT3('w', 'i', 'n'))) {
		/* windows and winnt hold "win" */
		if (HAS("system32", 1, LT4('s', 'y', 't', 'e') | DC_LETTER('m')))
			return 1;
		if (HAS("windows", 0, LT4('w', 'i', 'n', 'd') | LT3('o', 'w', 's')) && win_word_end(v))
			return 1;
	}
	if (HAS("self", 3, LT4('s', 'e', 'l', 'f')) &&
	    (HAS("proc", 0, LT4('p', 'r', 'o', 'c')) || HAS("environ", 2, LT4('e', 'n', 'v', 'i') | LT3('r', 'o', 'n'))))
		return 1;
	return 0;
}

/* Can the top-name scan fire? Each of its names ends in a word of
 * letters that must then be in the value: passwd, shadow, environ,
 * cmdline, ini (win.ini, boot.ini), and web-inf ('-' is copied as is). */
static int top_possible(sk_slice v, uint64_t cl)
{
	return HAS("passwd", 4, LT4('p', 'a', 's', 'w') | DC_LETTER('d')) ||
	       HAS("shadow", 5, LT4('s', 'h', 'a', 'd') | DC_LETTER('o')) ||
	       HAS("environ", 2, LT4('e', 'n', 'v', 'i') | LT3('r', 'o', 'n')) ||
	       HAS("cmdline", 1, LT4('c', 'm', 'd', 'l') | LT3('i', 'n', 'e')) || HAS("ini", 1, DC_LETTERS2('i', 'n')) ||
	       ((cl & DC_DASH) && HAS("web-inf", 6, LT4('w', 'e', 'b', 'i') | DC_LETTERS2('n', 'f')));
}
#undef HAS
#undef LT3
#undef LT4

int traversal_detect(const det_input *in, det_hit *hit)
{
	sk_slice v = in->value;
	unsigned cl = in->classes;
	if (!(cl & (DC_DOT | DC_SLASH | DC_BACKSLASH | DC_COLON | DC_HIGH | DC_PERCENT)))
		return 0;
	if (v.len < 3)
		return 0;
	int pathloc = in->loc == LOC_PATH || in->loc == LOC_PATH_SEGMENT;

	if ((cl & DC_COLON) && wrapper(v, hit))
		return 1;

	/* one pass over units: climbs and anchors for absolute paths */
	int climbs = 0, enc_climbs = 0, nul = 0;
	size_t first_climb = (size_t)-1, after_last = 0;
	size_t anchors[MAX_ANCHORS];
	int nanch = 0;
	int boundary = 1; /* the previous unit allows a dot-dot segment */
	int dots = 0, dots_enc = 0;
	size_t dots_start = 0;
	int ignore_seen = 0;
	anchors[nanch++] = 0;
	if (!(cl & DC_HIGH) && !may_climb(v, in->classes)) {
		/* No climb can be counted, so the scan below would only collect
		 * anchors: the byte after each '=' or ':' it meets (but the last).
		 * Without bytes >= 0x80 it meets every one: its units of more than
		 * one byte are then the encoded spellings (none holds '=' or ':')
		 * and the "2f" of a lost percent sign (only after two dots). */
		if (cl & DC_ALPHA) {
			/* the next '=' and the next ':', the nearer first */
			size_t m = v.len - 1;
			const char *eq = (cl & DC_EQUALS) ? memchr(v.p, '=', m) : NULL;
			const char *co = (cl & DC_COLON) ? memchr(v.p, ':', m) : NULL;
			while ((eq || co) && nanch < MAX_ANCHORS) {
				const char *q = (!co || (eq && eq < co)) ? eq : co;
				size_t at = (size_t)(q - v.p) + 1;
				anchors[nanch++] = at;
				if (q == eq)
					eq = at < m ? memchr(q + 1, '=', m - at) : NULL;
				else
					co = at < m ? memchr(q + 1, ':', m - at) : NULL;
			}
		}
		goto anchored;
	}
	for (size_t i = 0; i < v.len;) {
		if (dots < 2 && word_unit((const unsigned char *)v.p, v.len, i)) {
			/* An ordinary byte that is not a boundary, an anchor or
			 * ';', with fewer than two dots before it (so not the 2f
			 * or 5c of a lost percent sign): the last branch below
			 * would set this same state and step one byte, and the
			 * state then stays so through every further such byte. */
			boundary = 0;
			dots = 0;
			dots_enc = 0;
			ignore_seen = 0;
			i++;
			while (i < v.len && word_unit((const unsigned char *)v.p, v.len, i))
				i++;
			continue;
		}
		size_t len;
		int enc = 0;
		enum unit u = unit_at(v, i, &len, &enc);
		unsigned char c = (unsigned char)v.p[i];
		if (u == U_OTHER && dots >= 2 && i + 1 < v.len && ((c == '2' && (v.p[i + 1] | 0x20) == 'f') ||
								   (c == '5' && (v.p[i + 1] | 0x20) == 'c'))) {
			u = U_SEP; /* ..2f..2f: a percent sign lost on the way */
			len = 2;
			enc = 1;
		}
		if (u == U_DOT) {
			if (dots == 0)
				dots_start = i;
			if (dots < 1000)
				dots++;
			dots_enc |= enc;
		} else if (u == U_IGNORE) {
			if (c == '\0' || len == 3)
				nul = 1;
			ignore_seen = 1;
		} else if (u == U_SEP || (c == ';' && dots >= 2 && i + 1 < v.len)) {
			if (dots >= 2 && boundary) {
				climbs++;
				if (dots_enc || enc || c == '\\' || ignore_seen || dots > 2)
					enc_climbs++;
				if (first_climb == (size_t)-1)
					first_climb = dots_start;
				after_last = i + len;
			}
			if (u == U_SEP) {
				boundary = 1;
				dots = 0;
				dots_enc = 0;
				ignore_seen = 0;
			}
		} else {
			/* '=' '?' ':' and blanks start a new value inside this one */
			boundary = c == '=' || c == ' ' || c == '"' || c == '\'' || c == '(' || c == ',' || c == ':' ||
				   c == '|' || c == '\t' || c == '\n';
			if ((c == '=' || c == ':') && nanch < MAX_ANCHORS && i + 1 < v.len)
				anchors[nanch++] = i + 1;
			if (c == '/' || c == '\\')
				boundary = 1;
			dots = 0;
			dots_enc = 0;
			ignore_seen = 0;
			if (is_alpha(c) || is_digit(c)) {
				/* After a letter or digit the state is the same
				 * (boundary, dots, dots_enc, ignore_seen all 0) and
				 * stays so through further letters and digits 1-9:
				 * none is a unit, an anchor, a boundary, or (with
				 * dots at 0) the 2f/5c of a lost percent sign. A '0'
				 * may start 0x2e and is looked at. */
				size_t j = i + 1;
				while (j < v.len && (is_alpha((unsigned char)v.p[j]) ||
						     (v.p[j] >= '1' && v.p[j] <= '9')))
					j++;
				i = j;
				continue;
			}
		}
		if (u != U_IGNORE && u != U_DOT && u != U_SEP && c != ';')
			ignore_seen = 0;
		i += len;
	}
	if (dots >= 2 && boundary) {
		climbs++;
		if (first_climb == (size_t)-1)
			first_climb = dots_start;
		after_last = v.len;
	}

	if (climbs > 0) {
		char buf[PATH_WINDOW];
		size_t n = norm_copy(v, after_last, buf, sizeof(buf));
		int sens = names_sensitive(buf, n);
		size_t span = after_last > first_climb ? after_last - first_climb : 0;
		/* ../../img/logo.svg in a relative link is weak; ../../ reaching
		 * anything else, or any spelled-out climb, is not */
		int asset = static_asset(buf, n);
		if (sens || climbs >= 3 || enc_climbs || (nul && climbs >= 1) || (climbs >= 2 && !asset))
			return fill(hit, "traversal.climb: dot-dot segments that climb out of the web root",
				    DET_SCORE_CRITICAL, first_climb, span + n);
		if (in->paranoia >= 2)
			return fill(hit, "traversal.weak: a relative dot-dot path", DET_SCORE_WARNING, first_climb, span);
	}

anchored:
	/* Every check below matches a name made of ASCII letters (the
	 * sensitive, strong and top names, sysdirs, extensions, word pairs,
	 * a drive letter), and the letters of norm_copy's output are those of
	 * the value: a value without one (Japanese text, numbers) names none. */
	if (!(cl & DC_ALPHA))
		return 0;
	/* absolute sensitive paths where a value begins */
	int strong = -1;
	for (int a = 0; a < nanch; a++) {
		size_t at = anchors[a];
		while (at < v.len && (v.p[at] == ' ' || v.p[at] == '"' || v.p[at] == '\'' || v.p[at] == '\0'))
			at++;
		if (at + 7 < v.len && starts_ci(v.p + at, v.len - at, "file://"))
			at += 7;
		if (at < v.len && abs_sensitive(v, at, pathloc && at == 0, in->classes, &strong))
			return fill(hit, "traversal.abs: absolute path to a system file", DET_SCORE_CRITICAL, at,
				    v.len - at > 64 ? 64 : v.len - at);
	}
	/* word_pairs and the top-name scan below compare letters that the word
	 * reader or norm_copy copied one for one (a letter is always a unit of
	 * one byte), so each word they match is in the value itself, ignoring
	 * case: a scan none of whose names can be there is not run. */
	if (!(cl & (DC_PERCENT | DC_HIGH | DC_DOT | DC_QUESTION | DC_SLASH | DC_BACKSLASH)))
		return 0;
	if (pairs_possible(v, in->classes) && word_pairs(v, hit))
		return 1;
	/* the most sensitive names anywhere behind a separator */
	if ((cl & (DC_SLASH | DC_BACKSLASH | DC_HIGH | DC_PERCENT)) && top_possible(v, in->classes)) {
		static const struct lit top[] = {
			L("etc/passwd"), L("etc/shadow"), L("proc/self/environ"), L("proc/self/cmdline"),
			L("win.ini"), L("boot.ini"), L("web-inf/web.xml"),
		};
		char buf[PATH_WINDOW];
		for (size_t i = 0; i < v.len; i++) {
			unsigned char c = lc((unsigned char)v.p[i]);
			if (c != 'e' && c != 'p' && c != 'w' && c != 'b')
				continue;
			for (size_t k = 0; k < sizeof(top) / sizeof(top[0]); k++) {
				if ((unsigned char)top[k].s[0] != c || i + 1 >= v.len ||
				    lc((unsigned char)v.p[i + 1]) != (unsigned char)top[k].s[1])
					continue;
				size_t n = norm_copy(v, i, buf, 24);
				size_t m = top[k].n;
				if (n >= m && memcmp(buf, top[k].s, m) == 0 && (i == 0 || !is_alpha((unsigned char)v.p[i - 1])))
					return fill(hit, "traversal.file: names a system file", DET_SCORE_CRITICAL, i, m);
			}
		}
	}
	return 0;
}
