/* cmdi.c - OS command injection: POSIX shell, cmd.exe and PowerShell.
 *
 * The decisive shape is "a place where the shell starts a command, then a
 * known command with plausible arguments". Places are: a separator
 * (; | || && & newline) whose left side is data rather than a command,
 * a substitution ($(..), `..`, <(..)), a brace expansion ({cat,/etc/x}),
 * the argument of an exec-like call (system('id')), and the start of the
 * value when shell-only syntax proves it is shell. Words are read with
 * shell_word_read(), which undoes quoting, IFS and expansion tricks and
 * reports them; needing a trick is itself evidence.
 *
 * Standalone shapes: Shellshock "() {" at the start of a value, SSI
 * <!--#exec, PHP exec calls inside <?php, PowerShell download/exec
 * cmdlets.
 *
 * Linear: every position is visited once by the separator scan, and each
 * command position reads at most CMD_WINDOW bytes.
 */
#include "sekisho/detectors.h"
#include "sekisho/shell_lexer.h"

#define CMD_WINDOW 512 /* bytes examined after one command position */
#define CMD_MAX_ARGS 10

enum cmd_flag {
	C_STRONG = 1u << 0, /* the name alone at a command position is suspicious */
	C_NOARG = 1u << 1,  /* commonly run without arguments */
	C_NUM = 1u << 2,    /* a number argument is plausible (sleep 5) */
	C_QARG = 1u << 3,   /* a quoted argument is plausible (echo '..') */
	C_SUBCMD = 1u << 4, /* takes a sub-command word (net user, reg add) */
	C_BSUBST = 1u << 5, /* common in benign $(...) of scripts: $(pwd) */
	C_RECON = 1u << 6,  /* information gathering, rarely in pipelines of prose */
	C_PREFIX = 1u << 7, /* runs the next word as a command (nohup, sudo) */
	C_SHELL = 1u << 8,  /* a shell or interpreter */
	C_WIN = 1u << 9,    /* cmd.exe command: /x options */
};

struct cmd_def {
	const char *name;
	unsigned flags;
};

/* Commands that matter after an injection point. Names are compared
 * ASCII case-insensitively after quote removal, basename and ".exe".
 * CMD_NAME_MAX is the longest name here (systeminfo, powershell,
 * traceroute); cmd_lookup1 refuses longer words before the walk, so a
 * longer name added to the table must raise it. */
#define CMD_NAME_MAX 10
static const struct cmd_def cmd_table[] = {
	{ "id", C_STRONG | C_NOARG | C_RECON },
	{ "whoami", C_STRONG | C_NOARG | C_RECON },
	{ "uname", C_STRONG | C_NOARG | C_RECON },
	{ "ifconfig", C_STRONG | C_NOARG | C_RECON },
	{ "ipconfig", C_STRONG | C_NOARG | C_RECON | C_WIN },
	{ "netstat", C_STRONG | C_NOARG | C_RECON | C_WIN },
	{ "systeminfo", C_STRONG | C_NOARG | C_RECON | C_WIN },
	{ "sysinfo", C_STRONG | C_NOARG | C_RECON },
	{ "hostname", C_NOARG | C_BSUBST },
	{ "nslookup", C_STRONG },
	{ "wget", C_STRONG },
	{ "curl", C_STRONG },
	{ "nc", C_STRONG },
	{ "ncat", C_STRONG },
	{ "netcat", C_STRONG },
	{ "socat", C_STRONG },
	{ "telnet", C_STRONG },
	{ "tftp", C_STRONG },
	{ "xxd", C_STRONG },
	{ "base64", C_STRONG },
	{ "certutil", C_STRONG | C_WIN },
	{ "bitsadmin", C_STRONG | C_WIN },
	{ "wmic", C_STRONG | C_WIN },
	{ "mshta", C_STRONG | C_WIN },
	{ "rundll32", C_STRONG | C_WIN },
	{ "regsvr32", C_STRONG | C_WIN },
	{ "powershell", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "pwsh", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "bash", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "sh", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "zsh", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "ksh", C_STRONG | C_NOARG | C_SHELL | C_QARG },
	{ "dash", C_SHELL | C_QARG },
	{ "csh", C_STRONG | C_SHELL | C_QARG },
	{ "tcsh", C_STRONG | C_SHELL | C_QARG },
	{ "cmd", C_SHELL | C_WIN },
	{ "python", C_SHELL | C_QARG },
	{ "python2", C_SHELL | C_QARG },
	{ "python3", C_SHELL | C_QARG },
	{ "perl", C_SHELL | C_QARG },
	{ "php", C_SHELL | C_QARG },
	{ "ruby", C_SHELL | C_QARG },
	{ "lua", C_SHELL | C_QARG },
	{ "node", C_SHELL | C_QARG },
	{ "chmod", C_STRONG },
	{ "chown", 0 },
	{ "cat", 0 },
	{ "tac", 0 },
	{ "ls", C_NOARG },
	{ "dir", C_NOARG | C_WIN },
	{ "pwd", C_NOARG | C_BSUBST },
	{ "echo", C_QARG | C_NUM },
	{ "printf", C_QARG },
	{ "sleep", C_NUM },
	{ "usleep", C_NUM },
	{ "timeout", C_NUM },
	{ "ping", C_NUM },
	{ "kill", C_NUM },
	{ "type", C_WIN },
	{ "more", 0 },
	{ "less", 0 },
	{ "head", 0 },
	{ "tail", 0 },
	{ "grep", C_QARG },
	{ "egrep", C_QARG },
	{ "find", 0 },
	{ "awk", C_QARG },
	{ "sed", C_QARG },
	{ "cut", 0 },
	{ "tr", C_QARG },
	{ "od", 0 },
	{ "hexdump", 0 },
	{ "strings", 0 },
	{ "cp", 0 },
	{ "mv", 0 },
	{ "rm", 0 },
	{ "mkdir", 0 },
	{ "touch", 0 },
	{ "ln", 0 },
	{ "tar", 0 },
	{ "unzip", 0 },
	{ "ssh", 0 },
	{ "scp", 0 },
	{ "rsync", 0 },
	{ "ftp", 0 },
	{ "dig", 0 },
	{ "host", 0 },
	{ "whois", 0 },
	{ "traceroute", 0 },
	{ "tracert", C_WIN },
	{ "ps", C_NOARG },
	{ "env", C_NOARG | C_PREFIX },
	{ "set", C_WIN },
	{ "crontab", 0 },
	{ "su", 0 },
	{ "sudo", C_PREFIX },
	{ "nohup", C_PREFIX },
	{ "time", C_PREFIX },
	{ "xargs", C_PREFIX },
	{ "useradd", C_STRONG },
	{ "passwd", 0 },
	{ "net", C_SUBCMD | C_WIN },
	{ "reg", C_SUBCMD | C_WIN },
	{ "tasklist", C_NOARG | C_RECON | C_WIN },
	{ "taskkill", C_WIN },
	{ "schtasks", C_WIN },
	{ "ver", C_WIN },
	{ "del", C_WIN },
	{ "openssl", 0 },
	{ "mkfifo", 0 },
	{ "getent", 0 },
	{ "lsof", 0 },
	{ "eval", C_QARG },
	{ "exec", C_QARG },
	{ "source", 0 },
	{ "wc", 0 },
	{ "uniq", 0 },
	{ "sort", 0 },
	{ "nmap", C_STRONG },
	{ "iptables", 0 },
	{ "shutdown", 0 },
	{ "reboot", 0 },
};
#define CMD_ROWS (sizeof(cmd_table) / sizeof(cmd_table[0]))

/* The rows of cmd_table grouped by first letter, each group in table
 * order: the rows whose name starts with letter c are
 * cmd_by_letter[cmd_letter_at[c - 'a'] .. cmd_letter_at[c - 'a' + 1]).
 * An exact lookup walks one group instead of the whole table. A row
 * added to cmd_table must be added here: the count is checked below, and
 * the grouping itself by cmdi_index_consistent in tests/unit/test_cmdi.c. */
static const unsigned char cmd_by_letter[] = {
	66,  19,  21,  28,  11,  20,  33,  35,  44,  45,  46,  68,  73,  93,  32,  49,  85,  107, 51,  64,  91,
	112, 113, 65,  84,  63,  110, 8,   61,  71,  86,  0,   3,   4,   119, 31,  57,  42,  48,  60,  78,  111,
	23,  59,  74,  76,  109, 5,   9,   12,  13,  14,  43,  96,  101, 118, 70,  108, 26,  27,  36,  37,  38,
	39,  40,  50,  52,  56,  90,  100, 24,  25,  41,  75,  83,  102, 121, 6,   7,   15,  29,  53,  67,  72,
	81,  82,  92,  94,  95,  105, 114, 117, 120, 16,  17,  34,  47,  55,  58,  62,  69,  77,  79,  88,  89,
	97,  103, 104, 2,   54,  80,  99,  116, 106, 1,   10,  22,  87,  115, 18,  98,  30,
};
static const unsigned char cmd_letter_at[27] = {
	0, 1, 4, 14, 18, 23, 25, 27, 31, 35, 35, 37, 42, 47, 56, 58, 70, 70, 77, 93, 108, 113, 114, 119, 121, 121, 122,
};
_Static_assert(sizeof(cmd_by_letter) == CMD_ROWS && CMD_ROWS < 256, "cmd_by_letter lists every row of cmd_table");

bool cmdi_index_consistent(void)
{
	size_t g = 0;
	for (unsigned letter = 0; letter < 26; letter++) {
		if (cmd_letter_at[letter] != g)
			return false;
		for (size_t r = 0; r < CMD_ROWS; r++) {
			if (((unsigned char)cmd_table[r].name[0] | 0x20u) - 'a' != letter)
				continue;
			if (g >= CMD_ROWS || cmd_by_letter[g] != r)
				return false;
			g++;
		}
	}
	for (size_t r = 0; r < CMD_ROWS; r++)
		if (strlen(cmd_table[r].name) > CMD_NAME_MAX)
			return false;
	return cmd_letter_at[26] == g && g == CMD_ROWS;
}

/* Sub-commands of net and reg that an attacker uses. */
static const char *const subcmds[] = {
	"user", "view", "localgroup", "group", "share", "use", "start", "stop", "accounts", "session",
	"config", "add", "query", "delete", "save", "export", "import",
};

/* Shell keywords that put a command after them. */
static const char *const keywords[] = { "do", "then", "else", "if", "while", "until", "!", "{" };

enum ctx {
	CTX_START,   /* the start of the value */
	CTX_INJ,     /* a separator whose left side is data: 127.0.0.1;id */
	CTX_CHAIN,   /* a separator after a command: ls -la | grep x */
	CTX_WEAK,    /* newline in prose, ; of an HTML entity */
	CTX_SUBST,   /* $( <( */
	CTX_BTICK,   /* `..` */
	CTX_EVAL,    /* system('..') */
};

/* Features of one command and its arguments. */
struct cmd_eval {
	const struct cmd_def *cmd;
	unsigned wflags;   /* SHW_* of the command word */
	unsigned aflags;   /* SHW_* of all argument words, ORed */
	int absbin;        /* the command was named by a path like /usr/bin/id */
	int nargs;
	int opt, abs, url, ip, num_first, quoted, var, sens, redirect, redir_script, words, subcmd;
	int shell_arg;     /* -e /bin/sh, -c, /dev/tcp */
	int ends_sep;      /* the command ended at a separator, not at the end */
	int trailing_sep;  /* a separator and then only the end of the value */
	int glued_left, glued_right; /* a substitution glued to letters */
	int have_first;    /* `first` holds the word read at the command position */
	shell_word first;  /* (so that judge need not read it again) */
	int ifs;           /* an IFS-style blank was used */
	int brace;         /* came from a brace expansion */
	size_t off, end;
};

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

static int eq_ci(const char *a, size_t n, const char *lit)
{
	size_t i = 0;
	for (; i < n && lit[i]; i++)
		if (lc((unsigned char)a[i]) != (unsigned char)lit[i])
			return 0;
	return i == n && lit[i] == '\0';
}

/* Do the n bytes at a spell the lower-case literal lit, ignoring case? */
static int eq_ci_n(const char *a, const char *lit, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != (unsigned char)lit[i])
			return 0;
	return 1;
}

/* Case-insensitive search of a NUL-terminated literal inside [p, p+n). */
static long find_ci(const char *p, size_t n, const char *lit)
{
	size_t m = 0;
	while (lit[m])
		m++;
	if (m == 0 || m > n)
		return -1;
	for (size_t i = 0; i + m <= n; i++) {
		if (lc((unsigned char)p[i]) != (unsigned char)lit[0])
			continue;
		size_t k = 1;
		while (k < m && lc((unsigned char)p[i + k]) == (unsigned char)lit[k])
			k++;
		if (k == m)
			return (long)i;
	}
	return -1;
}

/* Iterative glob match of a pattern with ? and * against a name. The
 * single-star backtrack keeps it O(len(p) * len(s)), both <= 64. */
static int glob_match(const char *pat, size_t pn, const char *s, size_t sn)
{
	size_t pi = 0, si = 0, star = (size_t)-1, mark = 0;
	while (si < sn) {
		if (pi < pn && (pat[pi] == '?' || lc((unsigned char)pat[pi]) == lc((unsigned char)s[si]))) {
			pi++;
			si++;
		} else if (pi < pn && pat[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < pn && pat[pi] == '[') {
			/* a bracket class: accept any byte up to ] */
			size_t q = pi + 1;
			while (q < pn && pat[q] != ']')
				q++;
			pi = q < pn ? q + 1 : pn;
			si++;
		} else if (star != (size_t)-1) {
			pi = star + 1;
			si = ++mark;
		} else {
			return 0;
		}
	}
	while (pi < pn && pat[pi] == '*')
		pi++;
	return pi == pn;
}

#define BD(s) { s, sizeof(s) - 1 }
static const struct {
	const char *s;
	size_t n;
} bindirs[] = { BD("/bin/"), BD("/usr/bin/"), BD("/sbin/"), BD("/usr/sbin/"), BD("/usr/local/bin/") };
#undef BD

/* The row named by t[0..n), a name with no directory, ignoring case
 * and a trailing ".exe"; NULL if none. Every name in cmd_table is 2 to
 * CMD_NAME_MAX bytes and starts with a lower-case letter, and eq_ci
 * matches only the whole name: a word of another length (CMD_NAME_MAX +
 * 4 with ".exe") or first byte (a number, a session id, prose) matches
 * no row, so the walk of the letter's rows is skipped. */
static inline const struct cmd_def *cmd_bare(const char *t, size_t n)
{
	if (n < 2 || n > CMD_NAME_MAX + 4 || !is_alpha((unsigned char)t[0]))
		return NULL;
	size_t len = n;
	if (len > 4 && t[n - 4] == '.' && lc((unsigned char)t[n - 3]) == 'e' && lc((unsigned char)t[n - 2]) == 'x' &&
	    lc((unsigned char)t[n - 1]) == 'e')
		len -= 4;
	if (len < 2 || len > CMD_NAME_MAX)
		return NULL;
	unsigned char c0 = lc((unsigned char)t[0]), c1 = lc((unsigned char)t[1]);
	for (size_t g = cmd_letter_at[c0 - 'a']; g < cmd_letter_at[c0 - 'a' + 1]; g++) {
		const char *nm = cmd_table[cmd_by_letter[g]].name;
		if ((unsigned char)nm[1] == c1 && eq_ci(t, len, nm))
			return &cmd_table[cmd_by_letter[g]];
	}
	return NULL;
}

/* Find the command named by word text t (already unquoted). */
static const struct cmd_def *cmd_lookup1(const char *t, size_t n, unsigned wflags, int *absbin);

/* In a URL path the command is followed by more segments
 * (/tools/whoami/detail, /x/a)|/usr/bin/id/reviews): try each prefix
 * that ends before a '/'. */
static const struct cmd_def *cmd_lookup(const char *t, size_t n, unsigned wflags, int *absbin, int pathloc)
{
	const struct cmd_def *c = cmd_lookup1(t, n, wflags, absbin);
	if (c || !pathloc)
		return c;
	for (size_t i = 1; i < n; i++)
		if (t[i] == '/' && (c = cmd_lookup1(t, i, wflags, absbin)) != NULL)
			return c;
	return NULL;
}

static const struct cmd_def *cmd_lookup1(const char *t, size_t n, unsigned wflags, int *absbin)
{
	size_t base = 0;
	*absbin = 0;
	if (n == 0 || n >= SHELL_WORD_MAX)
		return NULL;
	if (wflags & SHW_GLOB) {
		/* only a word made of path and glob bytes can be a globbed
		 * command; an Accept header and prose stop here */
		if (n > 40)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)t[i];
			if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '?' && c != '*' && c != '[' && c != ']' &&
			    c != '.' && c != '-')
				return NULL;
		}
		/* /???/c?t, /e*?/ca? : try each command under each bin dir */
		for (size_t k = 0; k < CMD_ROWS; k++) {
			const char *nm = cmd_table[k].name;
			size_t nl = 0;
			while (nm[nl])
				nl++;
			if (nl < 2)
				continue;
			char cand[48];
			for (size_t d = 0; d < sizeof(bindirs) / sizeof(bindirs[0]); d++) {
				size_t dl = bindirs[d].n;
				if (dl + nl > sizeof(cand))
					continue;
				memcpy(cand, bindirs[d].s, dl);
				memcpy(cand + dl, nm, nl);
				if (t[0] == '/' && glob_match(t, n, cand, dl + nl)) {
					*absbin = 1;
					return &cmd_table[k];
				}
			}
			if (t[0] != '/' && glob_match(t, n, nm, nl) && n >= 2 && !(n == 1 && t[0] == '*'))
				return &cmd_table[k];
		}
		return NULL;
	}
	if (t[0] != '/' && !(n > 3 && t[1] == ':')) {
		/* Neither a /bin directory nor a drive path: the word counts
		 * only as a bare name, compared whole (base 0): a word with a /
		 * or \\ before its ".exe" matches no name (names are letters
		 * and digits), as the directory check below would refuse it. */
		return cmd_bare(t, n);
	}
	/* the basename: after the last / or \\ (looked for only as far back
	 * as a name can reach, see cmd_bare) */
	base = n;
	while (base > 0 && t[base - 1] != '/' && t[base - 1] != '\\') {
		if (n - base > CMD_NAME_MAX + 4)
			return NULL;
		base--;
	}
	if (base) {
		for (size_t d = 0; d < sizeof(bindirs) / sizeof(bindirs[0]); d++)
			if (bindirs[d].n == base && eq_ci(t, base, bindirs[d].s))
				*absbin = 1;
		/* C:\Windows\System32\cmd.exe is as good as a /bin path */
		if (n > 3 && t[1] == ':' && find_ci(t, n, "system32") >= 0)
			*absbin = 1;
		if (!*absbin)
			return NULL;
	}
	/* (*absbin counts only with a row found) */
	return cmd_bare(t + base, n - base);
}

/* Sensitive targets an argument names. Kept short: the traversal
 * detector owns the full table; here they only confirm a command. */
static int arg_sensitive(const char *p, size_t n)
{
	static const char *const s[] = {
		"/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hosts", "/etc/issue", "/etc/sudoers", "/proc/self",
		"/dev/tcp/", "/dev/udp/", "id_rsa", "win.ini", "boot.ini", "\\repair\\", "\\sam", "/bin/sh", "/bin/bash",
		"cmd.exe", "system32", ".htpasswd", "/root/", "%systemroot%", "/.ssh/",
	};
	for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
		if (find_ci(p, n, s[k]) >= 0)
			return 1;
	return 0;
}

static int is_sep_byte(sk_slice v, size_t i)
{
	unsigned char c = (unsigned char)v.p[i];
	if (c == '|')
		return !shell_sjis_trail(v, i);
	return c == ';' || c == '&' || c == '\n' || c == '\r' || c == '\0';
}

static int is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* Length of a command separator at i: one byte, or a %0a / %0d that a
 * header or raw body keeps as sent. 0 if none. */
static size_t sep_at(sk_slice v, size_t i)
{
	if (is_sep_byte(v, i))
		return 1;
	if (v.p[i] == '%' && i + 2 < v.len && v.p[i + 1] == '0' && ((v.p[i + 2] | 0x20) == 'a' || (v.p[i + 2] | 0x20) == 'd'))
		return 3;
	return 0;
}

/* Is the '&' at i part of an HTML entity or of a URL query string? */
static int amp_is_text(sk_slice v, size_t i)
{
	size_t j = i + 1;
	if (j < v.len && v.p[j] == '#') {
		j++;
		size_t d = j;
		while (j < v.len && j < d + 8 && (is_digit((unsigned char)v.p[j]) || (v.p[j] | 0x20) == 'x' ||
						  ((v.p[j] | 0x20) >= 'a' && (v.p[j] | 0x20) <= 'f')))
			j++;
		return j > d && j < v.len && v.p[j] == ';';
	}
	size_t s = j;
	while (j < v.len && j < s + 10 && is_alpha((unsigned char)v.p[j]))
		j++;
	if (j > s + 1 && j < v.len && v.p[j] == ';')
		return 1; /* &amp; &lt; &quot; */
	/* name=value after a single & : a query string */
	j = s;
	while (j < v.len && j < s + 40 &&
	       (is_alpha((unsigned char)v.p[j]) || is_digit((unsigned char)v.p[j]) || v.p[j] == '_' || v.p[j] == '-' ||
		v.p[j] == '.' || v.p[j] == '[' || v.p[j] == ']'))
		j++;
	return j > s && j < v.len && v.p[j] == '=';
}

/* Is the ';' at i the end of an HTML entity (&apos; &#39;)? */
static int semi_ends_entity(sk_slice v, size_t i)
{
	size_t j = i;
	size_t lo = i > 10 ? i - 10 : 0;
	while (j > lo && (is_alpha((unsigned char)v.p[j - 1]) || is_digit((unsigned char)v.p[j - 1]) || v.p[j - 1] == '#'))
		j--;
	return j > 0 && j < i && v.p[j - 1] == '&';
}

static int raw_is_keyword(const char *t, size_t n)
{
	/* every keyword is 1 to 5 bytes and starts with one of d t e i w u ! {
	 * (eq_ci matches only the whole keyword) */
	if (n == 0 || n > 5)
		return 0;
	unsigned char c0 = lc((unsigned char)t[0]);
	if (c0 != 'd' && c0 != 't' && c0 != 'e' && c0 != 'i' && c0 != 'w' && c0 != 'u' && c0 != '!' && c0 != '{')
		return 0;
	for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (eq_ci(t, n, keywords[k]))
			return 1;
	return 0;
}

static int word_is_keyword(const shell_word *w)
{
	return raw_is_keyword(w->text, w->len);
}

static int is_ipv4ish(const char *t, size_t n)
{
	int dots = 0;
	if (n < 7)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '.')
			dots++;
		else if (!is_digit((unsigned char)t[i]))
			return 0;
	}
	return dots == 3;
}

static int ends_with_script(const char *t, size_t n)
{
	static const char *const ext[] = { ".php", ".pl", ".py", ".sh", ".jsp", ".asp", ".aspx", ".cgi", ".phtml", ".rb" };
	for (size_t k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
		size_t el = 0;
		while (ext[k][el])
			el++;
		if (n >= el && eq_ci(t + n - el, el, ext[k]))
			return 1;
	}
	return 0;
}

/* Read the command at pos and its arguments into *e. `stop` is the byte
 * that ends this command's region besides separators (')' or '`'), 0 for
 * none. Returns 1 if a known command was found. */
static int cmd_read(sk_slice v, size_t pos, unsigned char stop, int pathloc, struct cmd_eval *e)
{
	size_t limit = v.len - pos > CMD_WINDOW ? pos + CMD_WINDOW : v.len;
	shell_word w;
	int ifs = 0;
	memset(e, 0, sizeof(*e));
	pos = shell_skip_blanks(v, pos, limit, &ifs);
	if (pos < limit && v.p[pos] == '{') {
		/* brace expansion {cmd,arg,...}: the first non-empty item runs */
		size_t j = pos + 1;
		int commas = 0;
		while (j < limit && v.p[j] == ',') {
			j++;
			commas++;
		}
		size_t cs = j;
		while (j < limit && v.p[j] != ',' && v.p[j] != '}' && j < cs + 64)
			j++;
		if (j >= limit || (v.p[j] != ',' && !(v.p[j] == '}' && commas)))
			return 0;
		sk_slice item = sk_slice_make(v.p, j);
		shell_word_read(item, cs, j, &w);
		if (w.len == 0)
			return 0;
		e->cmd = cmd_lookup(w.text, w.len, w.flags, &e->absbin, pathloc);
		if (!e->cmd)
			return 0;
		e->brace = 1;
		e->wflags = w.flags;
		e->off = cs;
		/* the remaining items are the arguments */
		size_t k = j;
		while (k < limit && v.p[k] != '}' && k < j + 256) {
			if (v.p[k] == ',' && k + 1 < limit && v.p[k + 1] != '}' && v.p[k + 1] != ',') {
				e->nargs++;
				unsigned char c = (unsigned char)v.p[k + 1];
				if (c == '-')
					e->opt = 1;
				if (c == '/' || c == '$' || c == '~')
					e->abs = 1;
			}
			k++;
		}
		if (arg_sensitive(v.p + j, k - j))
			e->sens = 1;
		e->end = k;
		(void)commas;
		return 1;
	}
	/* the command word, after shell keywords and prefix commands */
	for (int guard = 0; guard < 4; guard++) {
		shell_word_read(v, pos, limit, &w);
		if (guard == 0) {
			e->first = w;
			e->have_first = 1;
		}
		if (w.len == 0)
			return 0;
		if (word_is_keyword(&w)) {
			pos = shell_skip_blanks(v, w.end, limit, &ifs);
			continue;
		}
		e->cmd = cmd_lookup(w.text, w.len, w.flags, &e->absbin, pathloc);
		if (e->cmd && (e->cmd->flags & C_PREFIX)) {
			size_t np = shell_skip_blanks(v, w.end, limit, &ifs);
			shell_word w2;
			shell_word_read(v, np, limit, &w2);
			int ab;
			const struct cmd_def *c2 = w2.len ? cmd_lookup(w2.text, w2.len, w2.flags, &ab, pathloc) : NULL;
			if (c2) {
				pos = np;
				continue;
			}
		}
		break;
	}
	if (!e->cmd) {
		if ((w.flags & SHW_SHELL0) && w.len == 2) {
			static const struct cmd_def shell0 = { "$0", C_STRONG | C_NOARG | C_SHELL };
			e->cmd = &shell0;
		} else {
			return 0;
		}
	}
	e->wflags = w.flags;
	e->off = w.start;
	e->end = w.end;
	e->ifs = ifs;
	/* arguments */
	size_t i = w.end;
	int first = 1;
	for (int a = 0; a < CMD_MAX_ARGS && i < limit; a++) {
		int bl = 0;
		i = shell_skip_blanks(v, i, limit, &bl);
		if (bl)
			e->ifs = 1;
		if (i >= limit)
			break;
		unsigned char c = (unsigned char)v.p[i];
		if (stop && c == stop)
			break;
		if (c == '\\' && i + 1 < limit && v.p[i + 1] == '`')
			break;
		if (c == '<' || c == '>' || (is_digit(c) && i + 1 < limit && v.p[i + 1] == '>')) {
			/* redirection: 2>&1, >>, <<<, <, and its target */
			size_t j = i;
			while (j < limit && j < i + 4 && (v.p[j] == '<' || v.p[j] == '>' || v.p[j] == '&' || is_digit((unsigned char)v.p[j])))
				j++;
			e->redirect = 1;
			j = shell_skip_blanks(v, j, limit, &bl);
			shell_word t;
			shell_word_read(v, j, limit, &t);
			if (t.len && ends_with_script(t.text, t.len))
				e->redir_script = 1;
			if (t.len && arg_sensitive(v.p + t.start, t.end - t.start))
				e->sens = 1;
			i = t.end > j ? t.end : j + (j < limit && v.p[j] == '(' ? 0 : 0);
			if (t.end == j) {
				if (j < limit && v.p[j] == '(')
					break; /* <(..): a substitution, scanned on its own */
				if (j == i)
					break;
			}
			continue;
		}
		if (c == '|' || c == ';' || c == '&' || c == '\n' || c == '\r' || c == '\0' || c == ')' || c == '(' ||
		    c == '`') {
			e->ends_sep = 1;
			/* only separators, quotes and blanks up to the end? */
			size_t j = i;
			while (j < v.len && j < i + 8 && (is_sep_byte(v, j) || v.p[j] == ' ' || v.p[j] == '"' || v.p[j] == '\''))
				j++;
			if (j == v.len && c != ')' && c != '(' && c != '`')
				e->trailing_sep = 1;
			break;
		}
		shell_word aw;
		shell_word_read(v, i, limit, &aw);
		if (aw.end == i) {
			i++;
			continue;
		}
		e->nargs++;
		e->aflags |= aw.flags;
		const char *r = v.p + aw.start;
		size_t rn = aw.end - aw.start;
		const char *t = aw.text;
		size_t tn = aw.len;
		if (tn >= 2 && t[0] == '-' && (is_alpha((unsigned char)t[1]) || t[1] == '-'))
			e->opt = 1;
		if (tn >= 2 && t[0] == '/' && is_alpha((unsigned char)t[1]) && tn <= 12 && (e->cmd->flags & C_WIN))
			e->opt = 1;
		if (tn >= 1 && (t[0] == '/' || t[0] == '~' || t[0] == '$' || t[0] == '.'))
			e->abs = 1;
		if (rn >= 3 && is_alpha((unsigned char)r[0]) && r[1] == ':' && (r[2] == '\\' || r[2] == '/'))
			e->abs = 1;
		if (rn >= 2 && r[0] == '\\' && r[1] == '\\')
			e->abs = 1;
		if (aw.flags & SHW_VAR)
			e->var = 1;
		if (find_ci(t, tn, "://") >= 0)
			e->url = 1;
		if (is_ipv4ish(t, tn))
			e->ip = 1;
		if (first && tn > 0) {
			size_t d = 0;
			while (d < tn && is_digit((unsigned char)t[d]))
				d++;
			if (d > 0 && (d == tn || (d + 1 == tn && (t[d] == 's' || t[d] == 'm')) ||
				      (pathloc && (t[d] == '.' || t[d] == '/'))))
				e->num_first = 1;
		}
		if (aw.flags & SHW_QUOTED)
			e->quoted = 1;
		if (arg_sensitive(r, rn) || arg_sensitive(t, tn))
			e->sens = 1;
		if ((tn == 2 && (eq_ci(t, 2, "-e") || eq_ci(t, 2, "-c"))) || find_ci(r, rn, "/dev/tcp") >= 0)
			e->shell_arg = 1;
		if (first && (e->cmd->flags & C_SUBCMD)) {
			for (size_t k = 0; k < sizeof(subcmds) / sizeof(subcmds[0]); k++)
				if (eq_ci(t, tn, subcmds[k]))
					e->subcmd = 1;
		}
		/* a plain word of prose */
		if (!(aw.flags & (SHW_QUOTED | SHW_VAR | SHW_GLOB))) {
			size_t k = 0;
			while (k < tn && is_alpha((unsigned char)t[k]))
				k++;
			if (k == tn && tn >= 2)
				e->words++;
		}
		first = 0;
		i = aw.end;
	}
	if (i > e->end)
		e->end = i;
	return 1;
}

/* Do the arguments fit the command? */
static int args_plausible(const struct cmd_eval *e)
{
	unsigned f = e->cmd->flags;
	int shellish = e->opt || e->abs || e->url || e->ip || e->var || e->sens || e->redirect || e->ifs;
	if (e->nargs == 0)
		return (f & C_NOARG) != 0;
	if (e->words >= 2 && e->words * 2 >= e->nargs && !shellish)
		return 0; /* prose: "sleep 8 hours a day" */
	if (shellish)
		return 1;
	if ((f & C_NUM) && e->num_first)
		return 1;
	if ((f & C_QARG) && e->quoted)
		return 1;
	if ((f & C_SUBCMD) && e->subcmd)
		return 1;
	if (f & C_STRONG)
		return e->words < 2;
	return 0;
}

/* Evidence that only an attacker writes, whatever the context. */
static int obfuscated(const struct cmd_eval *e)
{
	return (e->wflags & (SHW_SPLIT | SHW_ANSIC | SHW_CARET)) || (e->aflags & (SHW_ANSIC | SHW_PARAM_OP)) ||
	       (e->wflags & SHW_PARAM_OP) || e->ifs || e->brace || (e->wflags & SHW_GLOB);
}

static int fill(det_hit *hit, const char *rule, int score, size_t off, size_t end)
{
	hit->rule = rule;
	hit->score = score;
	hit->off = off;
	hit->len = end > off ? end - off : 0;
	return score;
}

/* Is one of the (up to four) words after a program name at `from` an
 * option (-n, --oneline)? Then the program makes a command line. `cl`
 * is the value's classes. */
static int options_follow(sk_slice v, size_t from, size_t limit, uint64_t cl)
{
	int ifs = 0, opt = 0;
	/* a word's text starts with '-' only from a '-' of the value or a
	 * byte that $'..' decodes */
	if (!(cl & DC_DASH) && !((cl & DC_DOLLAR) && (cl & DC_SQUOTE)))
		return 0;
	/* the end, or a byte that ends a word before it starts (Win64;
	 * Mozilla/5.0 (): no word follows (none of these is a blank that
	 * shell_skip_blanks would pass) */
	size_t q = from;
	while (q < limit && (v.p[q] == ' ' || v.p[q] == '\t'))
		q++;
	if (q == limit)
		return 0;
	switch (v.p[q]) {
	case ';': case '(': case ')': case '&': case '<': case '>': case '\n': case '\r': case '\0':
		return 0;
	default:
		break;
	}
	q = shell_skip_blanks(v, from, limit, &ifs);
	for (int k = 0; k < 4 && q < limit; k++) {
		shell_word a;
		shell_word_read(v, q, limit, &a);
		if (a.len == 0)
			break;
		if (a.len >= 2 && a.text[0] == '-')
			opt = 1;
		q = shell_skip_blanks(v, a.end, limit, &ifs);
	}
	return opt;
}

/* Decide one command position with cmd_read. */
static int judge_read(sk_slice v, size_t pos, size_t limit, enum ctx ctx, unsigned char stop, const det_input *in,
		      det_hit *hit, int *head_cmd)
{
	struct cmd_eval e;
	int paranoia = in->paranoia;
	int pathloc = in->loc == LOC_PATH || in->loc == LOC_PATH_SEGMENT;
	if (!cmd_read(v, pos, stop, pathloc, &e)) {
		*head_cmd = 0;
		/* a lower-case program name with options still makes a command
		 * line: git log --oneline | head -n 5 */
		shell_word w;
		int ifs = 0;
		if (e.have_first) {
			/* cmd_read read this very word: the same value, position
			 * (after the same blanks) and limit */
			w = e.first;
		} else {
			size_t p = shell_skip_blanks(v, pos, limit, &ifs);
			shell_word_read(v, p, limit, &w);
		}
		if (w.len >= 2 && w.len < 20 && is_alpha((unsigned char)w.text[0]))
			*head_cmd = options_follow(v, w.end, limit, in->classes);
		return 0;
	}

	*head_cmd = 1;
	unsigned f = e.cmd->flags;
	int plaus = args_plausible(&e);
	int obf = obfuscated(&e) && (plaus || (f & C_STRONG) || e.nargs == 0);
	int danger = e.sens || e.shell_arg || e.redir_script;
	int crit = 0;
	if (e.brace && (ctx != CTX_START || plaus))
		crit = 1; /* {cat,/etc/passwd}: only a shell expands that */
	if ((e.wflags & SHW_SHELL0) && ctx != CTX_START)
		crit = 1; /* |$0 : pipe into the running shell */
	switch (ctx) {
	case CTX_INJ:
		crit = crit || plaus || obf || danger;
		if ((f & C_STRONG) && !(e.words >= 2))
			crit = 1;
		break;
	case CTX_SUBST:
		crit = crit || obf || danger || ((f & C_STRONG) && !(f & C_BSUBST)) ||
		       (plaus && !((f & C_BSUBST) && e.nargs == 0));
		break;
	case CTX_BTICK:
		crit = crit || obf || danger || ((f & C_STRONG) && plaus);
		break;
	case CTX_EVAL:
		crit = 1; /* system('cat config.php'): a command in an exec call */
		break;
	case CTX_WEAK:
		crit = crit || (obf && plaus) || (danger && plaus) || (e.absbin && plaus);
		break;
	case CTX_START:
	case CTX_CHAIN:
		crit = crit || (obf && plaus) || (danger && (plaus || e.nargs)) || (e.trailing_sep && plaus) ||
		       (e.redirect && plaus && ctx == CTX_START && e.ends_sep);
		break;
	}
	if (crit)
		return fill(hit, "cmdi.command: separator or substitution, then a known command", DET_SCORE_CRITICAL,
			    e.off, e.end);
	if (paranoia >= 2 && plaus && ctx != CTX_WEAK && (e.nargs > 0 || ctx == CTX_INJ || ctx == CTX_SUBST))
		return fill(hit, "cmdi.weak: a known command at a command position", DET_SCORE_WARNING, e.off, e.end);
	return 0;
}

/* Decide one command position. Returns the score (0 if nothing) and
 * sets *head_cmd if a command line starts there. */
static inline int judge(sk_slice v, size_t pos, enum ctx ctx, unsigned char stop, const det_input *in, det_hit *hit,
			int *head_cmd)
{
	size_t limit = v.len - pos > CMD_WINDOW ? pos + CMD_WINDOW : v.len;
	if (in->loc != LOC_PATH && in->loc != LOC_PATH_SEGMENT) {
		/* Most command positions hold a plain word (q=0.9, Win64,
		 * keep-alive): its text is its bytes, so the lookup cmd_read
		 * would do runs on them directly, and a word that is neither a
		 * command nor a shell keyword leaves cmd_read with nothing, as
		 * judge_read sees it. A word of SHELL_WORD_MAX bytes or more
		 * is truncated there and names nothing, whatever follows its
		 * first SHELL_WORD_MAX bytes, so the look stops there. A word
		 * that is no path (no leading '/', no drive "C:") is a command
		 * only as a bare name of at most CMD_NAME_MAX + 4 bytes, and
		 * has no options looked for from 20 bytes on: once its first 20
		 * bytes are plain (copied as they are, no glob among them),
		 * what follows cannot make it either. Blanks other than space
		 * and tab, '{' (brace expansion) and a path location's prefixes
		 * take the full read. */
		size_t p = pos, end;
		while (p < limit && (v.p[p] == ' ' || v.p[p] == '\t'))
			p++;
		size_t room = p < limit && v.p[p] != '/' && !(p + 1 < limit && v.p[p + 1] == ':') ? 20 : SHELL_WORD_MAX;
		size_t cap = limit - p > room ? p + room : limit;
		if (p < limit && v.p[p] != '{' && (end = shell_word_plain(v, p, cap)) != 0) {
			const char *t = v.p + p;
			size_t n = end - p;
			int ab;
			if (n >= room) {
				*head_cmd = 0;
				return 0;
			}
			/* room 20: no leading '/' nor ':' second, so cmd_lookup1
			 * would take its bare-name branch */
			if (!(n <= 5 && raw_is_keyword(t, n)) && !(room == 20 ? cmd_bare(t, n) : cmd_lookup1(t, n, 0, &ab))) {
				*head_cmd = n >= 2 && n < 20 && is_alpha((unsigned char)t[0]) && options_follow(v, end, limit, in->classes);
				return 0;
			}
		}
	}
	/* The first word as cmd_read reads it (the same blanks, brace check
	 * and limit): when it is empty, or neither a keyword, a command nor
	 * $0, cmd_read finds nothing and judge_read only looks for options
	 * after it, done here without cmd_read's record. */
	int ifs = 0;
	size_t p = shell_skip_blanks(v, pos, limit, &ifs);
	if (p >= limit || v.p[p] != '{') {
		shell_word w;
		int ab;
		shell_word_read(v, p, limit, &w);
		if (w.len == 0) {
			*head_cmd = 0;
			return 0;
		}
		if (!word_is_keyword(&w) && !cmd_lookup(w.text, w.len, w.flags, &ab, in->loc == LOC_PATH || in->loc == LOC_PATH_SEGMENT) &&
		    !((w.flags & SHW_SHELL0) && w.len == 2)) {
			*head_cmd = w.len >= 2 && w.len < 20 && is_alpha((unsigned char)w.text[0]) &&
				    options_follow(v, w.end, limit, in->classes);
			return 0;
		}
	}
	return judge_read(v, pos, limit, ctx, stop, in, hit, head_cmd);
}

/* Shellshock: a function definition at the start of a value. */
static int shellshock(sk_slice v, det_hit *hit)
{
	size_t i = 0;
	while (i < v.len && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '"' || v.p[i] == '\''))
		i++;
	if (i + 3 >= v.len || v.p[i] != '(')
		return 0;
	size_t j = i + 1;
	while (j < v.len && v.p[j] == ' ')
		j++;
	if (j >= v.len || v.p[j] != ')')
		return 0;
	j++;
	while (j < v.len && v.p[j] == ' ')
		j++;
	if (j >= v.len || v.p[j] != '{')
		return 0;
	return fill(hit, "cmdi.shellshock: function definition () { at the start of a value", DET_SCORE_CRITICAL, i,
		    j + 1);
}

/* Only the bytes the main scan of cmdi_detect tests start anything: the
 * separator bytes of sep_at (; & | CR LF NUL, '%' of %0a), '$' '<' '`'
 * (SS_ALWAYS), '/' in a path location (SS_PATH), and s e p in either
 * case (SS_EVAL) when eval_call may run. At any other byte the chain is
 * a no-op (sc stays 0), so the scan moves on to the next such byte. The
 * blanks that make a value prose (SS_BLANK: space, tab, high bytes) are
 * looked for only when a line break asks. powershell() hops the same
 * way between its anchors. A constant expression, so that the compiler
 * builds the table (as in classes.c). */
enum {
	SS_ALWAYS = 1,
	SS_EVAL = 2,
	SS_PSDASH = 4,  /* the anchors of powershell(): - ( . */
	SS_PSPAREN = 8,
	SS_PSDOT = 16,
	SS_PATH = 32,
	SS_BLANK = 64,
};
#define SS(c)                                                                                                     \
	((((c) == '\n' || (c) == '\r' || (c) == '\0' || (c) == ';' || (c) == '&' || (c) == '|' || (c) == '%' ||    \
	   (c) == '$' || (c) == '<' || (c) == '`') ? SS_ALWAYS : 0) |                                                \
	 ((((c) | 0x20) == 's' || ((c) | 0x20) == 'e' || ((c) | 0x20) == 'p') ? SS_EVAL : 0) |                       \
	 ((c) == '-' ? SS_PSDASH : (c) == '(' ? SS_PSPAREN : (c) == '.' ? SS_PSDOT : 0) |                            \
	 ((c) == '/' ? SS_PATH : 0) | (((c) == ' ' || (c) == '\t' || (c) >= 0x80) ? SS_BLANK : 0))
#define SS4(c) SS(c), SS((c) + 1), SS((c) + 2), SS((c) + 3)
#define SS16(c) SS4(c), SS4((c) + 4), SS4((c) + 8), SS4((c) + 12)
#define SS64(c) SS16(c), SS16((c) + 16), SS16((c) + 32), SS16((c) + 48)

static const unsigned char scan_stop[256] = { SS64(0u), SS64(64u), SS64(128u), SS64(192u) };

/* PowerShell download and exec words. Each has exactly one '-', '(' or
 * '.', at a fixed offset (`at`): the scan visits only those bytes, and
 * only the kinds that a word whose letters the value has (`letters`, as
 * DC_LETTER bits) is anchored at, and tries there the words whose byte
 * next to the anchor (`key`, before it, or after it for an anchor at
 * 0) is there too. The hit is the first word by start, then by list
 * order, as a left-to-right walk trying every word at each start would
 * find. */
static int powershell(sk_slice v, uint64_t cl, det_hit *hit)
{
#define PS(s, a, k, l) { s, sizeof(s) - 1, a, k, l }
	static const struct {
		const char *s;
		size_t n, at;
		unsigned char key;
		uint64_t letters;
	} ps[] = {
		PS("invoke-expression", 6, 'e', DC_LETTERS4('e', 'i', 'k', 'n') | DC_LETTERS4('o', 'p', 'r', 's') | DC_LETTERS2('v', 'x')),
		PS("iex(", 3, 'x', DC_LETTERS3('e', 'i', 'x')),
		PS("iex (", 4, ' ', DC_LETTERS3('e', 'i', 'x')),
		PS("invoke-webrequest", 6, 'e',
		   DC_LETTERS4('b', 'e', 'i', 'k') | DC_LETTERS4('n', 'o', 'q', 'r') | DC_LETTERS4('s', 't', 'u', 'v') | DC_LETTER('w')),
		PS("downloadstring(", 14, 'g', DC_LETTERS4('a', 'd', 'g', 'i') | DC_LETTERS4('l', 'n', 'o', 'r') | DC_LETTERS3('s', 't', 'w')),
		PS("start-process", 5, 't', DC_LETTERS4('a', 'c', 'e', 'o') | DC_LETTERS4('p', 'r', 's', 't')),
		PS("-encodedcommand", 0, 'e', DC_LETTERS4('a', 'c', 'd', 'e') | DC_LETTERS3('m', 'n', 'o')),
		PS("net.webclient", 3, 't', DC_LETTERS4('b', 'c', 'e', 'i') | DC_LETTERS4('l', 'n', 't', 'w')),
		PS("frombase64string(", 16, 'g', DC_LETTERS4('a', 'b', 'e', 'f') | DC_LETTERS4('g', 'i', 'm', 'n') | DC_LETTERS4('o', 'r', 's', 't')),
	};
#undef PS
	/* the words anchored at each anchor byte, in list order */
	static const unsigned char dash[] = { 0, 3, 5, 6 }, paren[] = { 1, 2, 4, 8 }, dot[] = { 7 };
	unsigned stop = 0;
	if ((cl & DC_DASH) && (det_has_letters(cl, ps[0].letters) || det_has_letters(cl, ps[3].letters) ||
			       det_has_letters(cl, ps[5].letters) || det_has_letters(cl, ps[6].letters)))
		stop |= SS_PSDASH;
	if ((cl & DC_PAREN) && (det_has_letters(cl, ps[1].letters) || det_has_letters(cl, ps[4].letters) ||
				det_has_letters(cl, ps[8].letters)))
		stop |= SS_PSPAREN; /* ps[2] has the letters of ps[1] */
	if ((cl & DC_DOT) && det_has_letters(cl, ps[7].letters))
		stop |= SS_PSDOT;
	if (!stop)
		return 0;
	size_t best = (size_t)-1, bf = 0;
	for (size_t j = 0; j < v.len; j++) {
		while (j + 4 <= v.len &&
		       !((scan_stop[(unsigned char)v.p[j]] | scan_stop[(unsigned char)v.p[j + 1]] |
			  scan_stop[(unsigned char)v.p[j + 2]] | scan_stop[(unsigned char)v.p[j + 3]]) &
			 stop))
			j += 4;
		while (j < v.len && !(scan_stop[(unsigned char)v.p[j]] & stop))
			j++;
		if (j >= v.len)
			break;
		/* no word's anchor is more than 16 bytes in: a later anchor
		 * cannot start a word before the best one */
		if (best != (size_t)-1 && j > best + 16)
			break;
		unsigned char c = (unsigned char)v.p[j];
		const unsigned char *fs = c == '-' ? dash : c == '(' ? paren : dot;
		size_t nf = c == '-' ? sizeof(dash) : c == '(' ? sizeof(paren) : sizeof(dot);
		for (size_t x = 0; x < nf; x++) {
			size_t f = fs[x], at = ps[f].at;
			if (j < at)
				continue;
			size_t k = at ? j - 1 : j + 1;
			if (k >= v.len || lc((unsigned char)v.p[k]) != ps[f].key)
				continue;
			size_t i = j - at;
			if (i > best || (i == best && f > bf) || ps[f].n > v.len - i || !eq_ci_n(v.p + i, ps[f].s, ps[f].n))
				continue;
			/* invoke-expression, iex( and iex ( only as a word of their own */
			if (f <= 2 && i > 0 && is_alpha((unsigned char)v.p[i - 1]))
				continue;
			best = i;
			bf = f;
		}
	}
	if (best == (size_t)-1)
		return 0;
	return fill(hit, "cmdi.powershell: PowerShell download or exec", DET_SCORE_CRITICAL, best, best + ps[bf].n);
}

/* Standalone keyword shapes: SSI exec, PHP exec calls, PowerShell. Each
 * search runs only when the value has the bytes its keyword needs (`cl`,
 * the value's classes), so a header of words and dots costs no scan. */
static int keyword_shapes(sk_slice v, uint64_t cl, det_hit *hit)
{
	long k;
	if ((cl & DC_BANG) && (k = find_ci(v.p, v.len, "!--#exec")) >= 0)
		return fill(hit, "cmdi.ssi: server-side include exec", DET_SCORE_CRITICAL, (size_t)k, (size_t)k + 8);
	if ((cl & DC_LT) && (k = find_ci(v.p, v.len, "<?php")) >= 0) {
		static const char *const fn[] = { "system(", "exec(", "passthru(", "shell_exec(", "popen(", "proc_open(",
						  "pcntl_exec(" };
		size_t b = (size_t)k, e = v.len;
		long close = find_ci(v.p + b, v.len - b, "?>");
		if (close >= 0)
			e = b + (size_t)close;
		for (size_t f = 0; f < sizeof(fn) / sizeof(fn[0]); f++) {
			size_t from = b;
			for (int guard = 0; guard < 8 && from < e; guard++) {
				long m = find_ci(v.p + from, e - from, fn[f]);
				if (m < 0)
					break;
				size_t at = from + (size_t)m;
				unsigned char pc = at > 0 ? (unsigned char)v.p[at - 1] : ' ';
				if (!is_alpha(pc) && !is_digit(pc) && pc != '_' && pc != '>' && pc != '.')
					return fill(hit, "cmdi.php: PHP code that runs a command", DET_SCORE_CRITICAL, b,
						    at + 4);
				from = at + 1;
			}
		}
	}
	if ((cl & (DC_DASH | DC_PAREN | DC_DOT)) && powershell(v, cl, hit))
		return 1;
	if ((cl & DC_PERCENT) && (k = find_ci(v.p, v.len, "%comspec%")) >= 0)
		return fill(hit, "cmdi.cmd: %COMSPEC% runs cmd.exe", DET_SCORE_CRITICAL, (size_t)k, (size_t)k + 9);
	/* PHP superglobal run through braces: {$_GET["cmd"]} */
	if ((cl & DC_BRACE) && (cl & DC_DOLLAR) && (k = find_ci(v.p, v.len, "{$_")) >= 0) {
		static const char *const sg[] = { "get[", "post[", "request[", "cookie[", "server[" };
		for (size_t f = 0; f < sizeof(sg) / sizeof(sg[0]); f++)
			if (find_ci(v.p + k + 3, v.len - (size_t)k - 3 < 9 ? v.len - (size_t)k - 3 : 9, sg[f]) == 0)
				return fill(hit, "cmdi.php: superglobal evaluated in braces", DET_SCORE_CRITICAL,
					    (size_t)k, (size_t)k + 8);
	}
	return 0;
}

/* exec-like call with a string: system('id'), eval('sleep 5'). Returns
 * the offset of the string's first byte, or 0 if none at i. */
static size_t eval_call(sk_slice v, size_t i)
{
#define FN(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		size_t n;
	} fn[] = { FN("system"), FN("exec"), FN("eval"), FN("passthru"), FN("shell_exec"), FN("popen"), FN("spawn") };
#undef FN
	unsigned char c0 = lc((unsigned char)v.p[i]);
	for (size_t f = 0; f < sizeof(fn) / sizeof(fn[0]); f++) {
		size_t n = fn[f].n;
		if ((unsigned char)fn[f].s[0] != c0 || i + n + 2 >= v.len || !eq_ci(v.p + i, n, fn[f].s))
			continue;
		/* a method call (Runtime.exec, os.system) is code prose */
		if (i > 0 && (is_alpha((unsigned char)v.p[i - 1]) || v.p[i - 1] == '.' || v.p[i - 1] == '_'))
			continue;
		size_t j = i + n;
		if (v.p[j] != '(')
			continue;
		j++;
		if (j < v.len && (v.p[j] == '\'' || v.p[j] == '"'))
			return j + 1;
	}
	return 0;
}

/* $'..' with \x or octal escapes spells a command in hex: X=$'uname\x20-a'. */
static int ansi_c(sk_slice v, size_t i, det_hit *hit)
{
	int esc = 0;
	size_t lim = v.len - i > 128 ? i + 128 : v.len;
	for (size_t j = i + 2; j + 1 < lim && v.p[j] != '\''; j++) {
		if (v.p[j] == '\\' && v.p[j + 1] == 'x')
			esc += 2;
		else if (v.p[j] == '\\' && v.p[j + 1] >= '0' && v.p[j + 1] <= '7')
			esc++;
	}
	if (esc < 2)
		return 0;
	return fill(hit, "cmdi.ansic: $'..' quoting with byte escapes", DET_SCORE_CRITICAL, i, i + 2);
}

/* The prefix of v that ends at the byte closing the region opened at
 * `from`: the matching ')' for $( and <(, the next backtick, or the quote
 * of a call's string. Bounded by CMD_WINDOW; the whole value if unclosed. */
static sk_slice region(sk_slice v, size_t from, unsigned char close)
{
	size_t lim = v.len - from > CMD_WINDOW ? from + CMD_WINDOW : v.len;
	int depth = 0;
	for (size_t j = from; j < lim; j++) {
		unsigned char c = (unsigned char)v.p[j];
		if (close == ')' && c == '(')
			depth++;
		else if (c == close && (close != ')' || depth-- == 0))
			return sk_slice_make(v.p, j);
		else if (close == '`' && c == '\\' && j + 1 < lim && v.p[j + 1] == '`')
			return sk_slice_make(v.p, j);
	}
	return v;
}


int cmdi_detect(const det_input *in, det_hit *hit)
{
	sk_slice v = in->value;
	uint64_t cl = in->classes;
	/* every rule needs a separator, a substitution, a brace, a quote or
	 * a parenthesis; plain words and numbers leave here */
	if (!(cl & (DC_SEMI | DC_PIPE | DC_AMP | DC_DOLLAR | DC_BACKTICK | DC_CTL | DC_BRACE | DC_PAREN | DC_LT | DC_BANG |
		    DC_PERCENT | DC_SQUOTE | DC_DQUOTE | DC_BACKSLASH | DC_DASH)))
		return 0;
	if (v.len < 2)
		return 0;
	if ((cl & DC_PAREN) && shellshock(v, hit))
		return 1;
	if ((cl & (DC_LT | DC_BANG | DC_DASH | DC_PAREN | DC_PERCENT | DC_BRACE)) && keyword_shapes(v, cl, hit))
		return 1;

	int best = 0;
	det_hit cand;
	int head_cmd = 0;
	int sc;
	/* the start of the value */
	{
		size_t s = 0;
		while (s < v.len && (v.p[s] == ' ' || v.p[s] == '\t'))
			s++;
		enum ctx c = CTX_START;
		if (s < v.len && v.p[s] == '`')
			c = CTX_BTICK, s++;
		sk_slice r = c == CTX_BTICK ? region(v, s, '`') : v;
		sc = judge(r, s, c, 0, in, &cand, &head_cmd);
		if (c == CTX_BTICK && !sc) /* a whole value in backticks is a command, not Markdown */
			sc = judge(r, s, CTX_SUBST, 0, in, &cand, &head_cmd);
		if (sc > best)
			best = sc, *hit = cand;
		if (best >= DET_SCORE_CRITICAL)
			return 1;
	}
	/* a blank before this point: the text is prose-like. The scan
	 * passes every blank (it jumps only over separators and backticks),
	 * so "a blank was passed" is "a blank in [0, i)"; that is looked up
	 * (from `blank_to` on) only at a line break, the one place it counts. */
	int seen_space = 0;
	size_t blank_to = 0;
	int in_btick = 0;
	int pathloc = in->loc == LOC_PATH || in->loc == LOC_PATH_SEGMENT;
	int evals = (cl & DC_PAREN) && (cl & (DC_SQUOTE | DC_DQUOTE)); /* the eval_call branch can run */
	/* the bytes the scan below stops at (see scan_stop) */
	unsigned stop = SS_ALWAYS | (evals ? SS_EVAL : 0) | (pathloc ? SS_PATH : 0);
	for (size_t i = 0; i < v.len; i++) {
		while (i + 4 <= v.len &&
		       !((scan_stop[(unsigned char)v.p[i]] | scan_stop[(unsigned char)v.p[i + 1]] |
			  scan_stop[(unsigned char)v.p[i + 2]] | scan_stop[(unsigned char)v.p[i + 3]]) &
			 stop))
			i += 4;
		while (i < v.len && !(scan_stop[(unsigned char)v.p[i]] & stop))
			i++;
		if (i >= v.len)
			break;
		unsigned char c = (unsigned char)v.p[i];
		size_t sl;
		sc = 0;
		if ((sl = sep_at(v, i)) != 0) {
			size_t j = i + sl - 1;
			int nl = c == '\n' || c == '\r' || sl == 3;
			while (j + 1 < v.len && j < i + 2 && is_sep_byte(v, j + 1) && v.p[j + 1] == v.p[i])
				j++;
			enum ctx ctx = head_cmd ? CTX_CHAIN : CTX_INJ;
			if (c == '&' && j == i && amp_is_text(v, i))
				continue;
			if (nl) {
				/* a new line after prose is a new sentence; after a
				 * single token (127.0.0.1\nid) it is an injection */
				for (; !seen_space && blank_to < i; blank_to++)
					if (scan_stop[(unsigned char)v.p[blank_to]] & SS_BLANK)
						seen_space = 1;
				if (seen_space || i > 64)
					ctx = CTX_WEAK;
				while (j + 1 < v.len && (v.p[j + 1] == '\n' || v.p[j + 1] == '\r'))
					j++;
				seen_space = 1; /* a second line makes text */
			}
			/* the ; of &apos; alone is weak; &quot;;id has a real one */
			if (c == ';' && j == i && semi_ends_entity(v, i))
				ctx = CTX_WEAK;
			if (c == '\0')
				ctx = CTX_INJ;
			sc = judge(v, j + 1, ctx, in_btick ? '`' : 0, in, &cand, &head_cmd);
			i = j;
		} else if (c == '$' && i + 2 < v.len && v.p[i + 1] == '(' && v.p[i + 2] != '(') {
			int hc;
			sk_slice r = region(v, i + 2, ')');
			/* glued to letters on both sides: who$(echo am)i */
			int glued = i > 0 && is_alnum((unsigned char)v.p[i - 1]) && r.len + 1 < v.len &&
				    is_alnum((unsigned char)v.p[r.len + 1]);
			sc = judge(r, i + 2, glued ? CTX_EVAL : CTX_SUBST, 0, in, &cand, &hc);
		} else if (c == '$' && i + 1 < v.len && v.p[i + 1] == '\'') {
			sc = ansi_c(v, i, &cand);
		} else if (c == '<' && i + 2 < v.len && v.p[i + 1] == '(') {
			int hc;
			sc = judge(region(v, i + 2, ')'), i + 2, CTX_SUBST, 0, in, &cand, &hc);
		} else if (c == '`' && i + 1 < v.len && v.p[i + 1] == '`') {
			/* `` is empty and ``` fences Markdown code: neither runs */
			while (i + 1 < v.len && v.p[i + 1] == '`')
				i++;
		} else if (c == '`') {
			in_btick = !in_btick;
			if (in_btick && i + 1 < v.len && v.p[i + 1] != '`') {
				int hc;
				sk_slice r = region(v, i + 1, '`');
				/* glued to data on the left (127.0.0.1`id`): not a
				 * Markdown code span */
				int glued = i > 0 && v.p[i - 1] != ' ' && v.p[i - 1] != '\n';
				int both = glued && is_alnum((unsigned char)v.p[i - 1]) && r.len + 1 < v.len &&
					   is_alnum((unsigned char)v.p[r.len + 1]);
				sc = judge(r, i + 1, both ? CTX_EVAL : glued ? CTX_SUBST : CTX_BTICK, 0, in, &cand, &hc);
			}
		} else if (c == '/' && pathloc && i + 1 < v.len) {
			/* each path segment may be where a value landed */
			int hc;
			sc = judge(v, i + 1, CTX_START, 0, in, &cand, &hc);
		} else if (((c | 0x20) == 's' || (c | 0x20) == 'e' || (c | 0x20) == 'p') && (cl & DC_PAREN) &&
			   (cl & (DC_SQUOTE | DC_DQUOTE))) {
			/* a call with a string needs '(' and a quote */
			size_t s = eval_call(v, i);
			if (s) {
				int hc;
				sc = judge(region(v, s, (unsigned char)v.p[s - 1]), s, CTX_EVAL, 0, in, &cand, &hc);
			}
		}
		if (sc > best) {
			best = sc;
			*hit = cand;
			if (best >= DET_SCORE_CRITICAL)
				return 1;
		}
	}
	return best > 0;
}
