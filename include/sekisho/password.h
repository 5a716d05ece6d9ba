/* password.h - the password policy at sign-up and password-change
 * endpoints: a minimum length in characters and a list of breached or
 * common passwords. Pure: the caller reads the list file, supplies the
 * hash key and the password; nothing here does I/O.
 *
 * The list is kept as a sorted array of 64-bit keyed fingerprints
 * (SipHash-2-4 of each password), not the passwords: 8 bytes per distinct
 * password however long it is, so a 1,000,000-line list takes 8 MB (plus
 * the same again while it is sorted at load). Two different passwords share
 * a fingerprint with probability about n / 2^64 (5e-14 for a million): a
 * good password refused by accident is not a practical concern, and the key
 * is secret, so nobody can make one collide on purpose.
 */
#ifndef SEKISHO_PASSWORD_H
#define SEKISHO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/siphash.h"
#include "sekisho/slice.h"

/* Lines longer than this are skipped: no password manager makes them and
 * they would only be hashed for nothing. */
#define PASSWORD_LINE_MAX 1024
/* A list file larger than this is refused (about 50 million lines). */
#define PASSWORD_LIST_MAX_BYTES (512u * 1024 * 1024)

typedef struct pwlist pwlist;

typedef struct pwlist_stats {
	size_t lines;         /* lines in the text (a last line without LF counts) */
	size_t kept;          /* distinct passwords in the set */
	size_t duplicates;    /* lines whose password was already there */
	size_t skipped_short; /* fewer characters than min_chars: refused by length anyway */
	size_t skipped_long;  /* over PASSWORD_LINE_MAX bytes */
	size_t empty;         /* empty lines */
} pwlist_stats;

/* Build the set from `text`: one password per line, LF-separated, a CR
 * right before the LF dropped (lists made on Windows); no comments (a
 * password may start with '#'). Passwords are compared byte for byte, so
 * "Password1" and "password1" are two entries. Lines of fewer than
 * `min_chars` characters (password_chars) are left out. `key` is a secret
 * from getrandom (NULL: all zeros, for tests and fuzzing). `st` may be
 * NULL. Returns the set (free with pwlist_free), or NULL when out of memory
 * or `text` is over PASSWORD_LIST_MAX_BYTES. Linear in the text plus an
 * 8-pass radix sort: 0.3-0.45 s for a million lines measured on a
 * shared, loaded 2-core machine (docs/password-policy.md). */
pwlist *pwlist_build(sk_slice text, size_t min_chars, const uint8_t key[SIPHASH_KEY_LEN], pwlist_stats *st);

/* Is `pw` in the set? O(log n). */
bool pwlist_contains(const pwlist *l, sk_slice pw);
/* Distinct passwords in the set, and the bytes the set holds. */
size_t pwlist_size(const pwlist *l);
size_t pwlist_bytes(const pwlist *l);
/* NULL is allowed. */
void pwlist_free(pwlist *l);

/* Characters in `pw`: each well-formed UTF-8 sequence (RFC 3629: no
 * overlong forms, surrogates or code points past U+10FFFF) counts one, and
 * so does each byte that is not part of one, so a password in a legacy
 * encoding is still measured, never as zero. */
size_t password_chars(sk_slice pw);

typedef enum pw_verdict {
	PW_OK = 0,
	PW_TOO_SHORT, /* fewer than min_chars characters */
	PW_LISTED,    /* in the list */
} pw_verdict;

/* The policy: length first, then the list (`l` may be NULL: no list).
 * *chars (if not NULL) gets password_chars(pw). */
pw_verdict password_check(const pwlist *l, size_t min_chars, sk_slice pw, size_t *chars);

/* "ok", "too_short", "listed": for events. */
const char *password_verdict_name(pw_verdict v);

#endif
