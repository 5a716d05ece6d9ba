/* file.h - reading whole files (or stdin) with a size cap. */
#ifndef SEKISHO_SYS_FILE_H
#define SEKISHO_SYS_FILE_H

#include <stddef.h>

/* Read `path` ("-" for stdin) into a malloc'd buffer (NUL-terminated, the
 * NUL not counted). Fails if the file is larger than `max`. Returns 0, or -1
 * with a message in errbuf. The caller frees *out. */
int file_read_all(const char *path, size_t max, char **out, size_t *len, char *errbuf, size_t errlen);

#endif
