/* arena.h - a bump allocator with a hard cap, one per request or connection.
 *
 * Everything parsed or decoded for a request lives in its arena and is
 * released at once with arena_reset() or arena_free(). The cap bounds the
 * memory an attacker can make us spend on one request: past it,
 * arena_alloc() returns NULL and the caller maps that to an error
 * (413/431), never to a larger buffer.
 */
#ifndef SEKISHO_ARENA_H
#define SEKISHO_ARENA_H

#include <stddef.h>

#include "sekisho/slice.h"

typedef struct arena arena;

/* Create an arena that will hand out at most `cap` bytes in total.
 * Returns NULL if the first block cannot be allocated. */
arena *arena_new(size_t cap);
/* Free the arena and everything allocated from it. NULL is allowed. */
void arena_free(arena *a);
/* Release every allocation but keep the first block for reuse. */
void arena_reset(arena *a);

/* Allocate `n` bytes aligned for any type. Returns NULL when the cap would
 * be exceeded or the system is out of memory. The memory is not zeroed. */
void *arena_alloc(arena *a, size_t n);
/* Like arena_alloc, zeroed. Returns NULL also when n * size overflows. */
void *arena_calloc(arena *a, size_t n, size_t size);
/* Copy `len` bytes into the arena and append a NUL (not counted in the
 * returned slice). Returns a slice with p == NULL on failure. */
sk_slice arena_dup(arena *a, const void *p, size_t len);

/* Bytes handed out since creation or the last reset. */
size_t arena_used(const arena *a);
/* The cap given to arena_new. */
size_t arena_cap(const arena *a);

#endif
