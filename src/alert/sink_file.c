/* sink_file.c - event lines appended to a file, or to stdout/stderr. */
#include "sink_backend.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct file_be {
	int fd;
	bool own;     /* opened by us (a path), so closed and reopened by us */
	bool partial; /* the last write stopped inside a line */
	char *path;
} file_be;

/* Open `path` for appending. O_NONBLOCK keeps a FIFO without a reader from
 * hanging us here; it is cleared once we know what the file is. Returns the
 * fd or -1 with a reason in err. */
static int open_append(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0640);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		snprintf(err, errlen, "cannot set up %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* writev every byte of iov[0..n), resuming after short writes. Returns the
 * number of whole iovecs written; *partial says whether the write stopped
 * inside one. */
static size_t write_all(int fd, struct iovec *iov, size_t n, bool *partial, int *err)
{
	size_t i = 0;
	*partial = false;
	while (i < n) {
		int cnt = n - i > IOV_MAX ? IOV_MAX : (int)(n - i);
		ssize_t w = writev(fd, iov + i, cnt);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			*err = errno;
			return i;
		}
		if (w == 0) {
			*err = EIO;
			return i;
		}
		size_t left = (size_t)w;
		while (i < n && left >= iov[i].iov_len) {
			left -= iov[i].iov_len;
			i++;
		}
		if (left) {
			iov[i].iov_base = (char *)iov[i].iov_base + left;
			iov[i].iov_len -= left;
			*partial = true;
		} else
			*partial = false;
	}
	return i;
}

static size_t file_write(void *v, sink *s, const sink_line *lines, size_t n)
{
	file_be *f = v;
	/* One extra slot: a newline that ends a line cut by an earlier error. */
	struct iovec iov[65];
	size_t done = 0;
	while (done < n) {
		size_t k = 0, base = 0;
		if (f->partial) {
			iov[k++] = (struct iovec){ "\n", 1 };
			base = 1;
		}
		for (size_t i = done; i < n && k < sizeof(iov) / sizeof(iov[0]); i++)
			iov[k++] = (struct iovec){ lines[i].p, lines[i].len + 1 };
		bool partial;
		int err = 0;
		size_t w = write_all(f->fd, iov, k, &partial, &err);
		if (w >= base)
			f->partial = false;
		if (w < k) {
			if (partial)
				f->partial = true;
			sink_report_error(s, f->path ? f->path : "write", strerror(err));
			return done + (w > base ? w - base : 0);
		}
		done += k - base;
	}
	sink_report_ok(s);
	return done;
}

static void file_reopen(void *v, sink *s)
{
	file_be *f = v;
	if (!f->own)
		return;
	char err[512];
	int fd = open_append(f->path, err, sizeof(err));
	if (fd < 0) {
		/* Keep writing to the old file; better than losing events. */
		fprintf(stderr, "sekisho: event sink (file): reopen failed, keeping the old file: %s\n", err);
		return;
	}
	close(f->fd);
	f->fd = fd;
	f->partial = false;
}

static void file_close(void *v)
{
	file_be *f = v;
	if (f->own)
		close(f->fd);
	free(f->path);
	free(f);
}

static const sink_backend_ops file_ops = { "file", file_write, file_reopen, file_close };
static const sink_backend_ops stdout_ops = { "stdout", file_write, NULL, file_close };
static const sink_backend_ops stderr_ops = { "stderr", file_write, NULL, file_close };

void *sink_file_open(const char *spec, const sink_opts *o, const sink_backend_ops **ops, char *err,
		     size_t errlen)
{
	file_be *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(spec, "stdout") == 0) {
		f->fd = STDOUT_FILENO;
		*ops = &stdout_ops;
		return f;
	}
	if (strcmp(spec, "stderr") == 0) {
		f->fd = STDERR_FILENO;
		*ops = &stderr_ops;
		return f;
	}
	f->path = strdup(spec);
	if (!f->path) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->fd = open_append(spec, err, errlen);
	if (f->fd < 0) {
		free(f->path);
		free(f);
		return NULL;
	}
	f->own = true;
	*ops = &file_ops;
	return f;
}
