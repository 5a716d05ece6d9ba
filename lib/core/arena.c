/* arena.c - capped bump allocator; see include/sekisho/arena.h. */
#include "sekisho/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Alignment good for any scalar type we store. */
#define ARENA_ALIGN 16
/* First block size: enough for a typical request's view without a second malloc. */
#define ARENA_FIRST_BLOCK (16 * 1024)

struct block {
	struct block *next;
	size_t size; /* usable bytes after the header */
	size_t used;
	/* payload follows, aligned */
};

struct arena {
	struct block *head; /* current block; older blocks follow via next */
	struct block *first;
	size_t cap;
	size_t handed; /* bytes handed out (after alignment) */
};

#define BLOCK_HDR (((sizeof(struct block) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

static struct block *block_new(size_t size)
{
	struct block *b = malloc(BLOCK_HDR + size);
	if (!b)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

arena *arena_new(size_t cap)
{
	arena *a = malloc(sizeof(*a));
	if (!a)
		return NULL;
	size_t first = cap < ARENA_FIRST_BLOCK ? cap : ARENA_FIRST_BLOCK;
	a->first = block_new(first ? first : ARENA_ALIGN);
	if (!a->first) {
		free(a);
		return NULL;
	}
	a->head = a->first;
	a->cap = cap;
	a->handed = 0;
	return a;
}

static void free_blocks_until(struct block *b, const struct block *stop)
{
	while (b && b != stop) {
		struct block *next = b->next;
		free(b);
		b = next;
	}
}

void arena_free(arena *a)
{
	if (!a)
		return;
	free_blocks_until(a->head, NULL);
	free(a);
}

void arena_reset(arena *a)
{
	/* Newer blocks sit in front of the first one; drop them. */
	free_blocks_until(a->head, a->first);
	a->first->next = NULL;
	a->first->used = 0;
	a->head = a->first;
	a->handed = 0;
}

void *arena_alloc(arena *a, size_t n)
{
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need > a->cap - a->handed)
		return NULL;

	struct block *b = a->head;
	if (b->size - b->used < need) {
		/* Grow geometrically but never past what the cap still allows. */
		size_t size = b->size * 2;
		if (size < need)
			size = need;
		if (size > a->cap - a->handed)
			size = a->cap - a->handed;
		struct block *nb = block_new(size);
		if (!nb)
			return NULL;
		nb->next = a->head;
		a->head = nb;
		b = nb;
	}
	void *p = (char *)b + BLOCK_HDR + b->used;
	b->used += need;
	a->handed += need;
	return p;
}

void *arena_calloc(arena *a, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

sk_slice arena_dup(arena *a, const void *p, size_t len)
{
	if (len == SIZE_MAX)
		return SK_SLICE_NULL;
	char *d = arena_alloc(a, len + 1);
	if (!d)
		return SK_SLICE_NULL;
	if (len)
		memcpy(d, p, len);
	d[len] = '\0';
	return sk_slice_make(d, len);
}

size_t arena_used(const arena *a)
{
	return a->handed;
}

size_t arena_cap(const arena *a)
{
	return a->cap;
}
