/* totp_file.h - the TOTP secrets file on disk, shared by `sekisho totp` and
 * the proxy's gate so both lock, read and replace it the same way.
 *
 * Writers serialise on flock(F.lock); the file is replaced atomically
 * (0600 temporary beside it, fsync, rename, fsync of the directory), never
 * opened through a symbolic link. Format and parsing: include/sekisho/totp.h.
 * Errors are written as one line into the caller's buffer (no stdio), so a
 * command prints them and the proxy puts them in an event.
 */
#ifndef SEKISHO_SYS_TOTP_FILE_H
#define SEKISHO_SYS_TOTP_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "sekisho/totp.h"

/* Memory for one parsed store: 10000 users of ~200 bytes, with growth. */
#define TOTP_FILE_ARENA (16u * 1024 * 1024)

/* Take the writers' lock: flock(LOCK_EX) on "PATH.lock" (created 0600, no
 * symbolic links). A lock file that exists but is not writable by this
 * process is opened read-only, which flock accepts, so a proxy running as
 * another user than the one who made it can still take the lock. Blocks
 * until the lock is free. Returns the descriptor (close it to unlock), or
 * -1 with a message. */
int totp_file_lock(const char *path, char *err, size_t errlen);

/* Read and parse the store into `a`. A missing file is an empty store when
 * `missing_ok`. A file that group or others may read or write is refused
 * when `strict_mode`; otherwise *loose (if not NULL) is set and it is read.
 * Returns 0, or -1 with a message ("PATH:LINE:COL: rule" for bad content). */
int totp_file_read(const char *path, bool missing_ok, bool strict_mode, arena *a, totp_store *s, bool *loose,
		   char *err, size_t errlen);

/* Replace the file with the serialised store. When running as root the new
 * file keeps the owner and group of the one it replaces, so a root
 * `sekisho totp enroll` does not take the file away from an unprivileged
 * proxy. Returns 0, or -1 with a message; the old file is untouched on
 * failure. */
int totp_file_write(const char *path, const totp_store *s, char *err, size_t errlen);

/* Wipe the secrets of every user in the store (before the arena goes). */
void totp_file_wipe(totp_store *s);

#endif
