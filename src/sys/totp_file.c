/* totp_file.c - lock, read and atomically replace the TOTP secrets file
 * (totp_file.h says why each step is there). */
#include "totp_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int totp_file_lock(const char *path, char *err, size_t errlen)
{
	char lp[4096];
	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = open(lp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EACCES)
		fd = open(lp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", lp, strerror(errno));
		return -1;
	}
	int rc;
	while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
		;
	if (rc != 0) {
		snprintf(err, errlen, "%s: flock: %s", lp, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int totp_file_read(const char *path, bool missing_ok, bool strict_mode, arena *a, totp_store *s, bool *loose,
		   char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if (loose)
		*loose = false;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok)
			return 0;
		if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link; refusing to follow it", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077) {
		if (strict_mode) {
			snprintf(err, errlen, "%s: mode %04o lets group or others read the secrets; run chmod 600 %s",
				 path, (unsigned)(st.st_mode & 07777), path);
			close(fd);
			return -1;
		}
		if (loose)
			*loose = true;
	}
	if ((unsigned long long)st.st_size > TOTP_STORE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, TOTP_STORE_MAX_BYTES);
		close(fd);
		return -1;
	}
	char *buf = malloc(TOTP_STORE_MAX_BYTES + 1);
	size_t n = 0;
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	int rc = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, TOTP_STORE_MAX_BYTES + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		if (r == 0 || (n += (size_t)r) > TOTP_STORE_MAX_BYTES)
			break;
	}
	close(fd);
	totp_store_error e = { "unknown error", 1, 1 };
	if (rc == 0 && n > TOTP_STORE_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, TOTP_STORE_MAX_BYTES);
		rc = -1;
	} else if (rc == 0 && totp_store_parse(sk_slice_make(buf, n), a, s, &e) != SK_OK) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, e.line, e.col, e.rule);
		rc = -1;
	}
	explicit_bzero(buf, n < TOTP_STORE_MAX_BYTES + 1 ? n : TOTP_STORE_MAX_BYTES + 1);
	free(buf);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int totp_file_write(const char *path, const totp_store *s, char *err, size_t errlen)
{
	size_t cap = totp_store_serialised_max(s);
	char *out = malloc(cap);
	if (!out) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	long n = totp_store_serialise(s, out, cap);
	char tmp[4096];
	int fd = -1, rc = -1;
	if (n < 0) {
		snprintf(err, errlen, "%s: cannot serialise the store", path);
		goto out;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		goto out;
	}
	/* mkostemp creates with O_EXCL and mode 0600; fchmod makes sure of it
	 * whatever the umask did. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
		goto out;
	}
	/* root rewriting a file an unprivileged proxy owns must leave it to
	 * that user (lstat: the link itself if one was put there). */
	struct stat old;
	bool chown_ok = true;
	if (geteuid() == 0 && lstat(path, &old) == 0 && S_ISREG(old.st_mode))
		chown_ok = fchown(fd, old.st_uid, old.st_gid) == 0;
	if (!chown_ok || fchmod(fd, 0600) != 0 || write_all(fd, out, (size_t)n) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* Make the rename itself durable. */
	char dirbuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	explicit_bzero(out, cap);
	free(out);
	return rc;
}

void totp_file_wipe(totp_store *s)
{
	for (size_t i = 0; i < s->n; i++)
		explicit_bzero(s->users[i].key.secret, sizeof(s->users[i].key.secret));
}
