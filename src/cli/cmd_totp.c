/* cmd_totp.c - `sekisho totp enroll|verify|list`: the TOTP secrets file.
 *
 * enroll makes a 20-byte secret with getrandom(), stores it and shows it
 * once (base32, the otpauth:// URI and a QR code for the terminal); it is
 * the only command that ever prints a secret. verify checks a code the way
 * the gate does (+-1 step, replay refused) and records the step used.
 * list names the users.
 *
 * The file is replaced atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory), created 0600, never opened
 * through a symbolic link. Writers serialise on flock(F.lock) so two
 * verifies cannot both accept the same code.
 */
#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "../sys/totp_file.h"
#include "cli.h"
#include "sekisho/totp.h"

#define TOTP_DEFAULT_FILE "sekisho.totp"
#define TOTP_DEFAULT_ISSUER "sekisho"
#define TOTP_ENROLL_SECRET 20 /* 160 bits, RFC 4226's recommendation */
#define TOTP_ISSUER_MAX 64
#define TOTP_ARENA TOTP_FILE_ARENA

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sekisho totp enroll USER [--file F] [--issuer NAME] [--algorithm SHA1|SHA256|SHA512]\n"
		"                           [--digits 6|8] [--force] [--invert]\n"
		"       sekisho totp verify USER CODE [--file F]\n"
		"       sekisho totp list [--file F]\n\n"
		"The secrets file (default ./" TOTP_DEFAULT_FILE ") has one line per user:\n"
		"  user:BASE32SECRET:ALGORITHM:DIGITS:LAST_USED_STEP\n"
		"It is created mode 0600 and must stay private: verify and list refuse a file\n"
		"that group or others can read.\n\n"
		"enroll   make a new 160-bit secret for USER, store it, print the otpauth:// URI\n"
		"         and a QR code to scan with an authenticator app. An existing USER is\n"
		"         kept unless --force. --invert draws the QR code for terminals with a\n"
		"         light background. The secret is shown only here.\n"
		"verify   check CODE for USER now (30 s steps, one step of drift either way);\n"
		"         an accepted code's step is recorded and that code (or an older one)\n"
		"         is refused afterwards.\n"
		"list     print each user, algorithm, digits and when a code was last used.\n\n"
		"Exit status: 0 ok or code accepted, 1 code wrong or replayed, 2 usage,\n"
		"file or permission error.\n");
}

typedef struct totp_opts {
	const char *file;
	const char *issuer;
	totp_alg alg;
	unsigned digits;
	bool force;
	bool invert;
	const char *pos[3];
	int npos;
} totp_opts;

/* Parse options anywhere among the positional arguments. Returns 0, or 2
 * after printing why. */
static int parse_opts(int argc, char **argv, totp_opts *o)
{
	o->file = TOTP_DEFAULT_FILE;
	o->issuer = TOTP_DEFAULT_ISSUER;
	o->alg = TOTP_SHA1;
	o->digits = 6;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (strcmp(a, "--file") == 0 && has_val) {
			o->file = argv[++i];
		} else if (strcmp(a, "--issuer") == 0 && has_val) {
			o->issuer = argv[++i];
		} else if (strcmp(a, "--algorithm") == 0 && has_val) {
			const char *v = argv[++i];
			if (!totp_alg_parse(sk_slice_make(v, strlen(v)), &o->alg)) {
				fprintf(stderr, "sekisho totp: --algorithm must be SHA1, SHA256 or SHA512\n");
				return 2;
			}
		} else if (strcmp(a, "--digits") == 0 && has_val) {
			const char *v = argv[++i];
			if (strcmp(v, "6") != 0 && strcmp(v, "8") != 0) {
				fprintf(stderr, "sekisho totp: --digits must be 6 or 8\n");
				return 2;
			}
			o->digits = v[0] == '8' ? 8 : 6;
		} else if (strcmp(a, "--force") == 0) {
			o->force = true;
		} else if (strcmp(a, "--invert") == 0) {
			o->invert = true;
		} else if (a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "sekisho totp: unknown option or missing value: %s\n", a);
			return 2;
		} else if (o->npos < 3) {
			o->pos[o->npos++] = a;
		} else {
			fprintf(stderr, "sekisho totp: too many arguments\n");
			return 2;
		}
	}
	return 0;
}

/* ---- reading and writing the file (src/sys/totp_file.c) ---- */

/* The shared module's calls with the message printed; 0 or 2 (or the lock
 * descriptor / -1). */
static int store_lock(const char *path)
{
	char err[512];
	int fd = totp_file_lock(path, err, sizeof(err));
	if (fd < 0)
		fprintf(stderr, "%s\n", err);
	return fd;
}

static int store_read(const char *path, bool missing_ok, bool strict_mode, arena *a, totp_store *s)
{
	char err[512];
	bool loose = false;
	if (totp_file_read(path, missing_ok, strict_mode, a, s, &loose, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s%s\n", strstr(err, "lets group or others") ? "error: " : "", err);
		return 2;
	}
	if (loose)
		fprintf(stderr, "warning: %s: group or others may read the secrets; this rewrite makes it 0600, "
				"but treat its secrets as leaked\n",
			path);
	return 0;
}

static int store_write(const char *path, const totp_store *s)
{
	char err[512];
	if (totp_file_write(path, s, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	return 0;
}

/* ---- enroll ---- */

/* Percent-encode everything but RFC 3986 unreserved characters. */
static void put_pct(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* Is the module at (x, y) of the symbol plus quiet zone light? Rows past
 * the bottom are the terminal's background (not light). */
static bool qr_light(const QRcode *qr, int x, int y, int quiet)
{
	int w = qr->width;
	if (y >= w + 2 * quiet)
		return false;
	x -= quiet;
	y -= quiet;
	if (x < 0 || y < 0 || x >= w || y >= w)
		return true;
	return !(qr->data[y * w + x] & 1);
}

/* Draw the QR code with Unicode half blocks, two module rows per line, and
 * the 4-module quiet zone the standard asks for. By default light modules
 * are drawn (a dark terminal background shows through as dark modules);
 * `invert` draws the dark modules instead for light backgrounds. */
static int print_qr(FILE *f, const char *text, bool invert)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr)
		return -1;
	const int quiet = 4, size = qr->width + 2 * quiet;
	for (int y = 0; y < size; y += 2) {
		for (int x = 0; x < size; x++) {
			bool top = qr_light(qr, x, y, quiet), bot = qr_light(qr, x, y + 1, quiet);
			if (invert) {
				top = !top;
				bot = y + 1 < size ? !bot : false;
			}
			fputs(top && bot ? "\xe2\x96\x88" : top ? "\xe2\x96\x80" : bot ? "\xe2\x96\x84" : " ", f);
		}
		fputc('\n', f);
	}
	QRcode_free(qr);
	return 0;
}

static int fill_random(uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static bool issuer_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TOTP_ISSUER_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* ':' separates issuer and account in the label */
		if (c < 0x20 || c == 0x7f || c == ':')
			return false;
	}
	return true;
}

static int totp_enroll(const totp_opts *o)
{
	if (o->npos != 1) {
		usage(stderr);
		return 2;
	}
	const char *user = o->pos[0];
	sk_slice name = sk_slice_make(user, strlen(user));
	if (!totp_user_name_ok(name)) {
		fprintf(stderr, "sekisho totp: user name must be 1-64 characters of A-Z a-z 0-9 . _ @ -\n");
		return 2;
	}
	if (!issuer_ok(o->issuer)) {
		fprintf(stderr, "sekisho totp: issuer must be 1-64 printable characters without ':'\n");
		return 2;
	}
	int lock = store_lock(o->file);
	if (lock < 0)
		return 2;
	arena *a = arena_new(TOTP_ARENA);
	totp_store s;
	int rc = a ? store_read(o->file, true, false, a, &s) : 2;
	totp_user u;
	memset(&u, 0, sizeof(u));
	if (rc != 0)
		goto out;
	if (totp_store_find(&s, name) >= 0 && !o->force) {
		fprintf(stderr, "%s: user %s is already enrolled; --force replaces the secret (the old one stops working)\n",
			o->file, user);
		rc = 2;
		goto out;
	}
	u.name = name;
	u.key.alg = o->alg;
	u.key.digits = o->digits;
	u.key.secret_len = TOTP_ENROLL_SECRET;
	if (fill_random(u.key.secret, TOTP_ENROLL_SECRET) != 0) {
		fprintf(stderr, "sekisho totp: getrandom: %s\n", strerror(errno));
		rc = 2;
		goto out;
	}
	if (totp_store_put(&s, a, &u, true) < 0) {
		fprintf(stderr, "%s: cannot add the user (store full?)\n", o->file);
		rc = 2;
		goto out;
	}
	rc = store_write(o->file, &s);
	if (rc != 0)
		goto out;

	char b32[64];
	size_t bn = base32_encode(u.key.secret, u.key.secret_len, false, b32, sizeof(b32) - 1);
	b32[bn] = '\0';
	printf("enrolled %s in %s (%s, %u digits, %d s)\n", user, o->file, totp_alg_name(o->alg), o->digits,
	       TOTP_PERIOD);
	printf("secret: %s\n", b32);
	/* The key URI: the label is ISSUER:ACCOUNT, and the issuer parameter
	 * repeats the issuer for apps that read only one of the two. */
	char *uri = NULL;
	size_t urilen = 0;
	FILE *m = open_memstream(&uri, &urilen);
	if (!m) {
		rc = 2;
		goto out;
	}
	fputs("otpauth://totp/", m);
	put_pct(m, o->issuer);
	fputc(':', m);
	put_pct(m, user);
	fprintf(m, "?secret=%s&issuer=", b32);
	put_pct(m, o->issuer);
	fprintf(m, "&algorithm=%s&digits=%u&period=%d", totp_alg_name(o->alg), o->digits, TOTP_PERIOD);
	fclose(m);
	printf("uri: %s\n\n", uri);
	if (print_qr(stdout, uri, o->invert) != 0)
		fprintf(stderr, "sekisho totp: cannot draw the QR code; enter the secret or the URI by hand\n");
	printf("\nScan the code (or enter the secret) in an authenticator app, then check it with\n"
	       "  sekisho totp verify %s CODE --file %s\n",
	       user, o->file);
	explicit_bzero(uri, urilen);
	free(uri);
	explicit_bzero(b32, sizeof(b32));
out:
	explicit_bzero(&u, sizeof(u));
	if (a) {
		totp_file_wipe(&s);
		arena_free(a);
	}
	close(lock);
	return rc;
}

/* ---- verify ---- */

static int totp_verify_cmd(const totp_opts *o)
{
	if (o->npos != 2) {
		usage(stderr);
		return 2;
	}
	const char *user = o->pos[0], *code = o->pos[1];
	sk_slice name = sk_slice_make(user, strlen(user));
	int lock = store_lock(o->file);
	if (lock < 0)
		return 2;
	arena *a = arena_new(TOTP_ARENA);
	totp_store s;
	int rc = a ? store_read(o->file, false, true, a, &s) : 2;
	if (rc != 0)
		goto out;
	long i = totp_store_find(&s, name);
	if (i < 0) {
		fprintf(stderr, "%s: no user %s\n", o->file, totp_user_name_ok(name) ? user : "(invalid name)");
		rc = 2;
		goto out;
	}
	totp_user *u = &s.users[i];
	uint64_t matched = 0;
	time_t now = time(NULL);
	switch (totp_verify(&u->key, sk_slice_make(code, strlen(code)), (uint64_t)now, u->last_used_step,
			    &matched)) {
	case TOTP_OK:
		/* Record the step before saying yes: if the write fails the
		 * code must not count as accepted. */
		u->last_used_step = matched;
		rc = store_write(o->file, &s);
		if (rc == 0)
			printf("%s: code accepted (step %llu)\n", user, (unsigned long long)matched);
		break;
	case TOTP_REPLAY:
		fprintf(stderr, "%s: code already used (step %llu); replay refused\n", user,
			(unsigned long long)matched);
		rc = 1;
		break;
	case TOTP_WRONG:
		fprintf(stderr, "%s: wrong code\n", user);
		rc = 1;
		break;
	default:
		fprintf(stderr, "%s: unusable key in %s\n", user, o->file);
		rc = 2;
		break;
	}
out:
	if (a) {
		totp_file_wipe(&s);
		arena_free(a);
	}
	close(lock);
	return rc;
}

/* ---- list ---- */

static int totp_list(const totp_opts *o)
{
	if (o->npos != 0) {
		usage(stderr);
		return 2;
	}
	arena *a = arena_new(TOTP_ARENA);
	totp_store s;
	int rc = a ? store_read(o->file, false, true, a, &s) : 2;
	for (size_t i = 0; rc == 0 && i < s.n; i++) {
		const totp_user *u = &s.users[i];
		char when[32] = "never";
		if (u->last_used_step) {
			struct tm tm;
			time_t t = (time_t)(u->last_used_step * TOTP_PERIOD);
			if (u->last_used_step > (uint64_t)INT64_MAX / TOTP_PERIOD || !gmtime_r(&t, &tm) ||
			    !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
				snprintf(when, sizeof(when), "step %llu", (unsigned long long)u->last_used_step);
		}
		printf("%.*s %s %u last used %s\n", (int)u->name.len, u->name.p, totp_alg_name(u->key.alg),
		       u->key.digits, when);
	}
	if (a) {
		totp_file_wipe(&s);
		arena_free(a);
	}
	return rc;
}

int cmd_totp(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	totp_opts o;
	memset(&o, 0, sizeof(o));
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	if (strcmp(argv[1], "enroll") == 0)
		return totp_enroll(&o);
	if (strcmp(argv[1], "verify") == 0)
		return totp_verify_cmd(&o);
	if (strcmp(argv[1], "list") == 0)
		return totp_list(&o);
	fprintf(stderr, "sekisho totp: unknown subcommand '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
