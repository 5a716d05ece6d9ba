/* gate.c - the TOTP gate on admin paths (gate.h says what and why; the
 * operator's side is docs/totp.md).
 *
 * Disk I/O happens on the worker thread, but only for a posted code: a
 * read of the secrets file under its lock, and on success an fsync'd
 * replace. Code attempts are rate-limited before that, so an attacker
 * cannot turn it into a disk load.
 */
#include "gate.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../sys/totp_file.h"
#include "guard.h"
#include "sekisho/decode.h"
#include "sekisho/gate.h"
#include "sekisho/totp.h"

#define CSRF_COOKIE "sekisho_csrf"
/* How long a login form may sit before it is posted. */
#define CSRF_TTL_S 1800
#define PAGE_MAX (16u * 1024)

struct gate_keys {
	uint8_t session[GATE_KEY_LEN]; /* signs session cookies */
	uint8_t csrf[GATE_KEY_LEN];    /* signs the login form's CSRF token */
};

/* ---- loading ---- */

/* With session_key_file "" the key is random, made once per process so a
 * reload does not log everyone out. */
static uint8_t random_master[32];
static bool random_master_ok;
static pthread_once_t random_once = PTHREAD_ONCE_INIT;

static void make_random_master(void)
{
	random_master_ok = getrandom(random_master, sizeof(random_master), 0) == (ssize_t)sizeof(random_master);
}

/* Read the key file: 32..128 bytes, one trailing newline dropped, not
 * readable by group or others, no symbolic link. */
static int read_key_file(const char *path, uint8_t *key, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "totp_gate.session_key_file %s: %s", path,
			 errno == ELOOP ? "is a symbolic link; refusing to follow it" : strerror(errno));
		return -1;
	}
	struct stat st;
	uint8_t buf[SESSION_KEY_MAX + 2];
	ssize_t n = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "totp_gate.session_key_file %s: not a regular file", path);
	} else if (st.st_mode & 077) {
		snprintf(err, errlen, "totp_gate.session_key_file %s: mode %04o lets group or others read the key; "
				      "run chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
	} else {
		while ((n = read(fd, buf, sizeof(buf))) < 0 && errno == EINTR)
			;
		if (n < 0)
			snprintf(err, errlen, "totp_gate.session_key_file %s: %s", path, strerror(errno));
	}
	close(fd);
	if (n < 0)
		return -1;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n < SESSION_KEY_MIN || n > SESSION_KEY_MAX) {
		snprintf(err, errlen, "totp_gate.session_key_file %s: holds %zd bytes; it needs %d to %d "
				      "(make one with: head -c 32 /dev/urandom > %s)",
			 path, n, SESSION_KEY_MIN, SESSION_KEY_MAX, path);
		explicit_bzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(key, buf, (size_t)n);
	*len = (size_t)n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int gate_load(proxy_shared *sh, char *errbuf, size_t errlen)
{
	const proxy_settings *s = &sh->set;
	sh->gate = NULL;
	if (!s->ngate_paths)
		return 0;
	/* The secrets must parse now: a broken file refuses the start or the
	 * reload instead of failing each login later. */
	arena *a = arena_new(TOTP_FILE_ARENA);
	if (!a) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	totp_store st;
	char e[512];
	int rc = totp_file_read(s->gate_secrets, false, true, a, &st, NULL, e, sizeof(e));
	size_t users = st.n;
	totp_file_wipe(&st);
	arena_free(a);
	if (rc != 0) {
		snprintf(errbuf, errlen, "totp_gate.secrets: %s", e);
		return -1;
	}
	uint8_t master[SESSION_KEY_MAX];
	size_t mlen = 0;
	if (s->gate_key_file[0]) {
		if (read_key_file(s->gate_key_file, master, &mlen, errbuf, errlen) != 0)
			return -1;
	} else {
		pthread_once(&random_once, make_random_master);
		if (!random_master_ok) {
			snprintf(errbuf, errlen, "totp_gate: getrandom failed");
			return -1;
		}
		memcpy(master, random_master, sizeof(random_master));
		mlen = sizeof(random_master);
	}
	struct gate_keys *k = calloc(1, sizeof(*k));
	bool ok = k && gate_derive_key(master, mlen, "sekisho gate session v1", k->session) &&
		  gate_derive_key(master, mlen, "sekisho gate csrf v1", k->csrf);
	explicit_bzero(master, sizeof(master));
	if (!ok) {
		free(k);
		snprintf(errbuf, errlen, "totp_gate: cannot derive the cookie keys");
		return -1;
	}
	sh->gate = k;
	fprintf(stderr, "sekisho proxy: totp gate on %s%s (%zu users in %s), sessions %u min%s\n", s->gate_paths[0],
		s->ngate_paths > 1 ? " and more" : "", users, s->gate_secrets, s->gate_ttl_ms / 60000,
		s->gate_key_file[0] ? "" : ", random session key (a restart logs everyone out)");
	return 0;
}

void gate_unload(proxy_shared *sh)
{
	if (sh->gate) {
		explicit_bzero(sh->gate, sizeof(*sh->gate));
		free(sh->gate);
		sh->gate = NULL;
	}
}

int gate_check_access(const proxy_settings *s, char *errbuf, size_t errlen)
{
	if (!s->ngate_paths)
		return 0;
	char dir[600];
	snprintf(dir, sizeof(dir), "%s", s->gate_secrets);
	const char *d = dirname(dir);
	/* Whoever this process is now (nobody after a root start, or `user`). */
	struct passwd *pw = getpwuid(geteuid());
	char who[64];
	snprintf(who, sizeof(who), "%s", pw ? pw->pw_name : "this user");
	const char *what = NULL;
	if (access(s->gate_secrets, R_OK | W_OK) != 0)
		what = "read and write the file";
	else if (access(d, W_OK | X_OK) != 0)
		what = "create files in its directory (each used code replaces the file atomically)";
	if (what) {
		snprintf(errbuf, errlen,
			 "totp_gate.secrets %s: the proxy runs as '%s' (after dropping privileges, when started "
			 "as root) and cannot %s; give that user a directory of its own for the file "
			 "(chown %s DIR; chmod 700 DIR) or choose another with 'user:'",
			 s->gate_secrets, who, what, who);
		return -1;
	}
	char e[512];
	int fd = totp_file_lock(s->gate_secrets, e, sizeof(e));
	if (fd < 0) {
		snprintf(errbuf, errlen, "totp_gate.secrets: cannot take the lock: %s", e);
		return -1;
	}
	close(fd);
	return 0;
}

/* ---- the request side ---- */

static const target *find_target(const http_view *v, target_loc loc, sk_slice name, size_t from)
{
	for (size_t i = from; i < v->ntargets; i++)
		if (v->targets[i].loc == loc && sk_slice_eq(v->targets[i].name, name))
			return &v->targets[i];
	return NULL;
}

/* A form or query value decoded exactly once (the view's values are
 * decoded to a fixed point, which would turn "%2541" into "A"). */
static sk_slice decoded_once(conn *c, const target *t)
{
	if (!t)
		return SK_SLICE_NULL;
	char *out = arena_alloc(c->a, t->raw.len + 1);
	if (!out)
		return SK_SLICE_NULL;
	uint32_t flags = 0;
	size_t n = url_decode_once(t->raw.p, t->raw.len, out, true, &flags);
	return sk_slice_make(out, n);
}

static void html_attr(sk_buf *b, sk_slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		switch (s.p[i]) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default: buf_append(b, s.p + i, 1); break;
		}
	}
}

/* The page's own style and nothing else: no scripts, no external resources. */
#define PAGE_CSP                                                                                                \
	"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "       \
	"frame-ancestors 'none'; base-uri 'none'\r\nX-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"

/* The login page with a fresh CSRF token (and cookie, unless the browser
 * already has a well-formed one). `msg` is ours; `extra` more header lines. */
static void login_page(conn *c, const http_view *v, int status, sk_slice next, const char *msg,
		       const char *extra)
{
	const struct gate_keys *k = c->sh->gate;
	char cookie[GATE_CSRF_COOKIE_LEN + 1];
	char headers[1024];
	size_t ho = 0;
	headers[0] = '\0';
	/* Keep the browser's cookie when it has one (several tabs, a retry). */
	const target *have = find_target(v, LOC_COOKIE, SK_LIT(CSRF_COOKIE), 0);
	char probe[GATE_CSRF_TOKEN_MAX];
	if (have && gate_csrf_token(k->csrf, sizeof(k->csrf), have->raw, 0, probe) > 0) {
		memcpy(cookie, have->raw.p, GATE_CSRF_COOKIE_LEN);
		cookie[GATE_CSRF_COOKIE_LEN] = '\0';
	} else {
		uint8_t nonce[GATE_CSRF_NONCE_LEN];
		if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce)) {
			respond_simple(c, 503, "Service Unavailable", "no randomness for the login form", false);
			return;
		}
		gate_csrf_cookie(nonce, cookie);
		ho = (size_t)snprintf(headers, sizeof(headers),
				      "Set-Cookie: " CSRF_COOKIE "=%s; Path=" GATE_LOGIN_PATH
				      "; Max-Age=%d; HttpOnly; SameSite=Strict%s\r\n",
				      cookie, CSRF_TTL_S, c->ssl ? "; Secure" : "");
	}
	char token[GATE_CSRF_TOKEN_MAX];
	if (gate_csrf_token(k->csrf, sizeof(k->csrf), sk_slice_make(cookie, strlen(cookie)),
			    (uint64_t)time(NULL) + CSRF_TTL_S, token) < 0) {
		respond_simple(c, 503, "Service Unavailable", "cannot make the login form", false);
		return;
	}
	/* RFC 9110 11.6.1: a 401 names the way in; ours is this form. */
	snprintf(headers + ho, sizeof(headers) - ho, "%s%s%s", PAGE_CSP, extra ? extra : "",
		 status == 401 ? "WWW-Authenticate: Sekisho-TOTP realm=\"admin\"\r\n" : "");
	sk_buf b;
	buf_init(&b, PAGE_MAX);
	buf_puts(&b, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		     "<title>One-time code</title><style>body{font-family:sans-serif;max-width:22em;margin:4em auto;"
		     "padding:0 1em}label,input,button{display:block;width:100%;box-sizing:border-box;margin:.4em 0}"
		     "input,button{padding:.5em;font-size:1.1em}.m{color:#a00}.r{color:#777;font-size:.8em}</style>"
		     "</head><body><h1>One-time code</h1><p>This area needs the code from your authenticator app.</p>");
	if (msg) {
		buf_puts(&b, "<p class=\"m\">");
		html_attr(&b, sk_slice_make(msg, strlen(msg)));
		buf_puts(&b, "</p>");
	}
	buf_puts(&b, "<form method=\"post\" action=\"" GATE_LOGIN_PATH "\" autocomplete=\"off\">"
		     "<input type=\"hidden\" name=\"csrf\" value=\"");
	buf_puts(&b, token);
	buf_puts(&b, "\"><input type=\"hidden\" name=\"next\" value=\"");
	html_attr(&b, next);
	buf_puts(&b, "\"><label for=\"u\">User</label><input id=\"u\" name=\"user\" autocomplete=\"username\" "
		     "maxlength=\"64\" required><label for=\"c\">Code</label><input id=\"c\" name=\"code\" "
		     "inputmode=\"numeric\" pattern=\"[0-9]{6,8}\" maxlength=\"8\" autocomplete=\"one-time-code\" "
		     "required><button type=\"submit\">Continue</button></form><p class=\"r\">request id: ");
	html_attr(&b, sk_slice_make(c->request_id, strlen(c->request_id)));
	buf_puts(&b, "</p></body></html>\n");
	c->status = status;
	respond_body(c, status, "text/html; charset=utf-8", headers, b.p ? b.p : "", b.len, false);
	buf_free(&b);
}

/* One audit event for the gate: the note says what happened (never a code),
 * the request's head comes with it. */
static void gate_event(conn *c, const char *kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void gate_event(conn *c, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->guard_note, sizeof(c->guard_note), fmt, ap);
	va_end(ap);
	memset(&c->v, 0, sizeof(c->v));
	audit_request(c, kind);
}

/* A name for events and counter keys: only what the store accepts. */
static const char *user_shown(sk_slice user, char out[TOTP_USER_MAX + 1])
{
	if (!totp_user_name_ok(user))
		return "(invalid)";
	memcpy(out, user.p, user.len);
	out[user.len] = '\0';
	return out;
}

typedef struct attempt_keys {
	char ip[GUARD_KEY_MAX + 8];
	char user[TOTP_USER_MAX + 16];
	bool has_user;
} attempt_keys;

static void attempt_keys_make(conn *c, sk_slice user, attempt_keys *k)
{
	char ip[GUARD_KEY_MAX];
	guard_key_ip(&c->client, ip);
	snprintf(k->ip, sizeof(k->ip), "totp:%s", ip);
	k->has_user = totp_user_name_ok(user);
	if (k->has_user)
		snprintf(k->user, sizeof(k->user), "totp:user:%.*s", (int)user.len, user.p);
}

/* Failures in the window for the address and the user, after adding `add`
 * (0: just read). Unavailable state counts as 0: the local fallback
 * already answered if there is one. */
static void attempt_counts(conn *c, const attempt_keys *k, uint32_t add, uint64_t *ip_n, uint64_t *user_n)
{
	state_op ops[2];
	memset(ops, 0, sizeof(ops));
	size_t n = k->has_user ? 2 : 1;
	for (size_t i = 0; i < n; i++) {
		const char *key = i == 0 ? k->ip : k->user;
		ops[i].kind = add ? STATE_OP_COUNT_ADD : STATE_OP_COUNT_GET;
		ops[i].key = sk_slice_make(key, strlen(key));
		ops[i].n = add;
		ops[i].window_ms = c->sh->set.gate_window_ms;
	}
	state_batch(c->w->px->state, ops, n, guard_now_ms());
	*ip_n = ops[0].rc == STATE_OK ? ops[0].count : 0;
	*user_n = n == 2 && ops[1].rc == STATE_OK ? ops[1].count : 0;
}

enum check_result { CHK_OK, CHK_WRONG, CHK_REPLAY, CHK_UNKNOWN, CHK_ERROR };

/* Check the code against the file, under the writers' lock, and record its
 * step before saying yes (a failed write is no login). */
static enum check_result check_code(const proxy_settings *s, sk_slice user, sk_slice code, char *err, size_t errlen)
{
	if (!totp_user_name_ok(user))
		return CHK_UNKNOWN;
	int lock = totp_file_lock(s->gate_secrets, err, errlen);
	if (lock < 0)
		return CHK_ERROR;
	arena *a = arena_new(TOTP_FILE_ARENA);
	totp_store st;
	memset(&st, 0, sizeof(st));
	enum check_result r = CHK_ERROR;
	if (!a) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (totp_file_read(s->gate_secrets, false, true, a, &st, NULL, err, errlen) != 0)
		goto out;
	long i = totp_store_find(&st, user);
	if (i < 0) {
		r = CHK_UNKNOWN;
		goto out;
	}
	totp_user *u = &st.users[i];
	uint64_t matched = 0;
	switch (totp_verify(&u->key, code, (uint64_t)time(NULL), u->last_used_step, &matched)) {
	case TOTP_OK:
		u->last_used_step = matched;
		r = totp_file_write(s->gate_secrets, &st, err, errlen) == 0 ? CHK_OK : CHK_ERROR;
		break;
	case TOTP_REPLAY:
		r = CHK_REPLAY;
		break;
	case TOTP_WRONG:
		r = CHK_WRONG;
		break;
	default:
		snprintf(err, errlen, "unusable key for this user in totp_gate.secrets");
		break;
	}
out:
	if (a) {
		totp_file_wipe(&st);
		arena_free(a);
	}
	close(lock);
	return r;
}

static const char *check_name(enum check_result r)
{
	switch (r) {
	case CHK_OK: return "ok";
	case CHK_WRONG: return "wrong code";
	case CHK_REPLAY: return "code already used";
	case CHK_UNKNOWN: return "unknown user";
	case CHK_ERROR: return "error";
	}
	return "?";
}

static void too_many(conn *c, const http_view *v, sk_slice next, const char *who, uint64_t ip_n, uint64_t user_n)
{
	const proxy_settings *s = &c->sh->set;
	proxy *px = c->w->px;
	unsigned retry = (s->gate_window_ms + 999) / 1000;
	char hdr[64];
	snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", retry);
	atomic_fetch_add(&px->stats.totp_lockout, 1);
	c->status = 429;
	gate_event(c, "totp_lockout", "totp: too many wrong codes: user %s %llu/%u, address %llu/%u in %u s", who,
		   (unsigned long long)user_n, s->gate_max_attempts, (unsigned long long)ip_n, s->gate_max_attempts,
		   retry);
	login_page(c, v, 429, next, "Too many wrong codes. Wait a while before trying again.", hdr);
}

/* POST GATE_LOGIN_PATH: user, code, csrf, next. */
static void login_post(conn *c, const http_view *v)
{
	const proxy_settings *s = &c->sh->set;
	const struct gate_keys *k = c->sh->gate;
	proxy *px = c->w->px;
	const target *tu = find_target(v, LOC_FORM, SK_LIT("user"), 0);
	const target *tc = find_target(v, LOC_FORM, SK_LIT("code"), 0);
	const target *tt = find_target(v, LOC_FORM, SK_LIT("csrf"), 0);
	sk_slice next = decoded_once(c, find_target(v, LOC_FORM, SK_LIT("next"), 0));
	if (!gate_next_ok(next))
		next = SK_LIT("/");
	sk_slice user = tu ? tu->value : SK_SLICE_NULL;
	char shown[TOTP_USER_MAX + 1];
	const char *who = user_shown(user, shown);

	/* The form must come from our page in this browser. */
	bool csrf_ok = false;
	for (const target *ck = find_target(v, LOC_COOKIE, SK_LIT(CSRF_COOKIE), 0); ck && tt && !csrf_ok;
	     ck = find_target(v, LOC_COOKIE, SK_LIT(CSRF_COOKIE), (size_t)(ck - v->targets) + 1))
		csrf_ok = gate_csrf_verify(k->csrf, sizeof(k->csrf), ck->raw, tt->value, (uint64_t)time(NULL));
	if (!csrf_ok) {
		c->status = 403;
		gate_event(c, "totp_failure", "totp: login form without a valid CSRF token (user %s)", who);
		atomic_fetch_add(&px->stats.totp_failure, 1);
		login_page(c, v, 403, next, "The form expired or did not come from this site. Please try again.",
			   NULL);
		return;
	}
	attempt_keys keys;
	attempt_keys_make(c, user, &keys);
	uint64_t ip_n = 0, user_n = 0;
	attempt_counts(c, &keys, 0, &ip_n, &user_n);
	if (ip_n >= s->gate_max_attempts || user_n >= s->gate_max_attempts) {
		too_many(c, v, next, who, ip_n, user_n);
		return;
	}
	char err[512] = "";
	enum check_result r = check_code(s, user, tc ? tc->value : SK_SLICE_NULL, err, sizeof(err));
	if (r == CHK_ERROR) {
		c->status = 503;
		gate_event(c, "totp_error", "totp: cannot check the code: %s", err);
		fprintf(stderr, "sekisho proxy: totp gate: %s\n", err);
		login_page(c, v, 503, next, "The second factor cannot be checked right now. Try again later.", NULL);
		return;
	}
	if (r != CHK_OK) {
		attempt_counts(c, &keys, 1, &ip_n, &user_n);
		atomic_fetch_add(&px->stats.totp_failure, 1);
		bool locked = ip_n >= s->gate_max_attempts || user_n >= s->gate_max_attempts;
		c->status = locked ? 429 : 401;
		gate_event(c, locked ? "totp_lockout" : "totp_failure",
			   "totp: %s for user %s; failures: user %llu/%u, address %llu/%u", check_name(r), who,
			   (unsigned long long)user_n, s->gate_max_attempts, (unsigned long long)ip_n,
			   s->gate_max_attempts);
		if (locked) {
			atomic_fetch_add(&px->stats.totp_lockout, 1);
			char hdr[64];
			snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\n", (s->gate_window_ms + 999) / 1000);
			login_page(c, v, 429, next, "Too many wrong codes. Wait a while before trying again.", hdr);
		} else {
			login_page(c, v, 401, next, "Code not accepted. Wait for the next code and try again.", NULL);
		}
		return;
	}
	/* In: the signed cookie, the CSRF cookie gone, back to where it was. */
	uint8_t nonce[SESSION_NONCE_LEN];
	char value[SESSION_COOKIE_MAX];
	uint64_t ttl_s = s->gate_ttl_ms / 1000;
	long n = -1;
	if (getrandom(nonce, sizeof(nonce), 0) == (ssize_t)sizeof(nonce))
		n = session_sign(k->session, sizeof(k->session), user, (uint64_t)time(NULL) + ttl_s, nonce, value,
				 sizeof(value));
	if (n < 0) {
		c->status = 503;
		gate_event(c, "totp_error", "totp: cannot sign the session cookie");
		respond_simple(c, 503, "Service Unavailable", "cannot sign the session cookie", false);
		return;
	}
	char hdrs[1024 + GATE_NEXT_MAX];
	snprintf(hdrs, sizeof(hdrs),
		 "Location: %.*s\r\nSet-Cookie: %s=%.*s; Path=/; Max-Age=%llu; HttpOnly; SameSite=Strict%s\r\n"
		 "Set-Cookie: " CSRF_COOKIE "=; Path=" GATE_LOGIN_PATH "; Max-Age=0; HttpOnly; SameSite=Strict%s\r\n"
		 "Referrer-Policy: no-referrer\r\n",
		 (int)next.len, next.p, s->gate_cookie, (int)n, value, (unsigned long long)ttl_s,
		 c->ssl ? "; Secure" : "", c->ssl ? "; Secure" : "");
	explicit_bzero(value, sizeof(value));
	atomic_fetch_add(&px->stats.totp_success, 1);
	c->status = 303;
	gate_event(c, "totp_success", "totp: user %s signed in for %llu s", who, (unsigned long long)ttl_s);
	static const char body[] = "<!doctype html><title>See Other</title><p>Signed in.</p>\n";
	respond_body(c, 303, "text/html; charset=utf-8", hdrs, body, sizeof(body) - 1, false);
}

/* Take our cookie out of every Cookie header (it is ours, not the
 * application's); a header left empty is removed. */
static void strip_cookie(conn *c)
{
	http_request *q = &c->req;
	sk_slice name = sk_slice_make(c->sh->set.gate_cookie, strlen(c->sh->set.gate_cookie));
	for (size_t i = 0; i < q->nheaders;) {
		http_header *h = &q->headers[i];
		if (!sk_slice_eq_ci(h->name, SK_LIT("Cookie"))) {
			i++;
			continue;
		}
		size_t cap = h->value.len + h->value.len / 2 + 1;
		char *out = arena_alloc(c->a, cap);
		long n = out ? gate_cookie_strip(h->value, name, out, cap) : -1;
		if (n > 0) {
			h->value = sk_slice_make(out, (size_t)n);
			i++;
			continue;
		}
		/* Nothing left (or no memory: then drop it rather than leak ours). */
		memmove(h, h + 1, (q->nheaders - i - 1) * sizeof(*h));
		q->nheaders--;
	}
}

/* A valid session for this request? Every cookie of our name is tried (a
 * sibling site may have planted another). */
static bool session_ok(conn *c, const http_view *v, bool *had_cookie, char *who, size_t wholen)
{
	const proxy_settings *s = &c->sh->set;
	const struct gate_keys *k = c->sh->gate;
	sk_slice name = sk_slice_make(s->gate_cookie, strlen(s->gate_cookie));
	uint64_t now = (uint64_t)time(NULL);
	*had_cookie = false;
	for (const target *t = find_target(v, LOC_COOKIE, name, 0); t;
	     t = find_target(v, LOC_COOKIE, name, (size_t)(t - v->targets) + 1)) {
		*had_cookie = true;
		sk_slice user;
		uint64_t expiry;
		if (session_verify(k->session, sizeof(k->session), t->raw, now, c->a, &user, &expiry) != SESSION_OK)
			continue;
		/* A cookie that claims more than the configured lifetime was made
		 * under a longer session_ttl: not after a reload that shortened it. */
		if (expiry > now + s->gate_ttl_ms / 1000 + 60)
			continue;
		snprintf(who, wholen, "%.*s", (int)user.len, user.p);
		return true;
	}
	return false;
}

static bool gated(const proxy_settings *s, sk_slice path)
{
	for (size_t i = 0; i < s->ngate_paths; i++)
		if (gate_path_under(sk_slice_make(s->gate_paths[i], strlen(s->gate_paths[i])), path))
			return true;
	return false;
}

bool gate_handle(conn *c, const http_view *v)
{
	const proxy_settings *s = &c->sh->set;
	if (!s->ngate_paths || !c->sh->gate)
		return false;
	sk_slice path = v->path_normalised;
	if (sk_slice_eq(path, SK_LIT(GATE_LOGIN_PATH))) {
		if (sk_slice_eq(c->req.method, SK_LIT("POST"))) {
			login_post(c, v);
		} else if (sk_slice_eq(c->req.method, SK_LIT("GET"))) {
			sk_slice next = decoded_once(c, find_target(v, LOC_QUERY_ARG, SK_LIT("next"), 0));
			login_page(c, v, 200, gate_next_ok(next) ? next : SK_LIT("/"), NULL, NULL);
		} else {
			c->status = 405;
			respond_page(c, 405, "Method Not Allowed", "GET or POST", "Allow: GET, POST\r\n", false);
		}
		return true;
	}
	if (!gated(s, path))
		return false;
	bool had_cookie;
	char who[TOTP_USER_MAX + 1];
	if (session_ok(c, v, &had_cookie, who, sizeof(who))) {
		strip_cookie(c);
		snprintf(c->guard_note, sizeof(c->guard_note), "totp session of %s", who);
		return false;
	}
	/* Back here after the login: the request's own target when it is a
	 * plain local one. */
	sk_slice next = c->req.form == HTTP_FORM_ORIGIN ? c->req.target : c->req.path;
	if (!gate_next_ok(next))
		next = SK_LIT("/");
	if (had_cookie) {
		c->status = 401;
		gate_event(c, "totp_session_refused", "totp: session cookie expired, forged or from another key");
	}
	login_page(c, v, 401, next, had_cookie ? "Your session has ended. Enter a new code." : NULL, NULL);
	return true;
}
