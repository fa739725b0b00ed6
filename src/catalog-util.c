/* SPDX-License-Identifier: MIT */
/*
 * catalog-util.c - the small containers the catalog is built from: an
 * arena allocator and a string-keyed hash map; and the one way catalog
 * and schema files are opened.
 *
 * A catalog of 100,000 tasks holds about a million small strings and
 * nodes; allocating them from an arena keeps loading fast, memory compact
 * and cleanup a single pass.  Arena memory is never freed individually.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "catalog.h"

/* ---- arena ------------------------------------------------------------ */

#define ARENA_CHUNK (64u * 1024u)
/*
 * Past 2 MiB, as for a catalog of thousands of tasks, chunks are 2 MiB
 * and offered to the kernel as one huge page each: a large catalog first
 * touches thousands of fresh pages, and each page fault costs about 15 us
 * in a virtual machine (bench/README.md: validate of 10,000 tasks, 2,361 ->
 * 1,376 faults, 17 % faster).  A small catalog never gets there, so its
 * memory stays as compact as before.
 */
#define ARENA_HUGE (2u * 1024u * 1024u)

struct upg_chunk {
	struct upg_chunk *next;
	/* Keeps data suitably aligned for any object we place in it. */
	union {
		void *p;
		uint64_t u;
		double d;
		long double ld;
	} data[];
};

#define ARENA_ALIGN (sizeof(((struct upg_chunk *)0)->data[0]))

/*
 * size bytes (rounded up to ARENA_ALIGN) from the arena, not zeroed, or
 * NULL without memory.  They live until upg_arena_free(); the arena keeps
 * the total of its standard chunks to know when they become huge pages.
 */
static void *
arena_raw(struct upg_arena *arena, size_t size)
{
	struct upg_chunk *chunk;
	size_t want;
	char *p;
	int own;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	size = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	if (arena->head != NULL && arena->size - arena->used >= size) {
		p = (char *)arena->head->data + arena->used;
		arena->used += size;
		return p;
	}
	/* A large request gets a chunk of its own, linked behind the current
	 * one, so the space left in the current chunk is not wasted. */
	own = size > ARENA_CHUNK / 4;
	want = own ? size : ARENA_CHUNK;
	if (want > SIZE_MAX - sizeof(struct upg_chunk))
		return NULL;
	if (!own && (arena->total >= ARENA_HUGE || arena->huge)) {
		void *mem;

		if (posix_memalign(&mem, ARENA_HUGE, ARENA_HUGE) != 0)
			return NULL;
#ifdef MADV_HUGEPAGE
		(void)madvise(mem, ARENA_HUGE, MADV_HUGEPAGE);
#endif
		chunk = mem;
		want = ARENA_HUGE - sizeof(struct upg_chunk);
	} else {
		chunk = malloc(sizeof(struct upg_chunk) + want);
		if (chunk == NULL)
			return NULL;
	}
	/* Only the small requests' chunks count: a few large strings do not
	 * make a small catalog's arena huge. */
	if (!own)
		arena->total += want;
	if (own && arena->head != NULL) {
		chunk->next = arena->head->next;
		arena->head->next = chunk;
		return chunk->data;
	}
	chunk->next = arena->head;
	arena->head = chunk;
	arena->size = want;
	arena->used = size;
	return chunk->data;
}

void *
upg_arena_alloc(struct upg_arena *arena, size_t size)
{
	void *p = arena_raw(arena, size);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

char *
upg_arena_strndup(struct upg_arena *arena, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_raw(arena, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
upg_arena_strdup(struct upg_arena *arena, const char *s)
{
	return upg_arena_strndup(arena, s, strlen(s));
}

char *
upg_arena_printf(struct upg_arena *arena, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_raw(arena, (size_t)n + 1);
	if (p == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t
upg_arena_used(const struct upg_arena *arena)
{
	return arena->head == NULL ? 0 : arena->total - arena->size + arena->used;
}

void
upg_arena_expect(struct upg_arena *arena, size_t bytes)
{
	if (bytes >= ARENA_HUGE)
		arena->huge = 1;
}

void
upg_arena_free(struct upg_arena *arena)
{
	struct upg_chunk *c, *next;

	for (c = arena->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	arena->head = NULL;
	arena->used = arena->size = arena->total = 0;
	arena->huge = 0;
}

/* ---- string map ------------------------------------------------------------ */

/* FNV-1a: simple, and good enough for names; the map is not exposed to
 * keys chosen to collide by anyone but the catalog's own author. */
static uint64_t
hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	return h;
}

/*
 * The first slot to probe.  Task ids differ mostly in their last bytes,
 * which FNV-1a leaves in the low bits only weakly mixed, so the hash is
 * multiplied once more (Fibonacci hashing) and the top bits are used.
 */
static size_t
slot_of(uint64_t h, size_t cap)
{
	unsigned bits = 0;

	while (((size_t)1 << bits) < cap)
		bits++;
	return bits == 0 ? 0 : (size_t)((h * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

void *
upg_map_get(const struct upg_map *map, const char *key)
{
	size_t i, mask;
	uint64_t h;

	if (map->cap == 0)
		return NULL;
	mask = map->cap - 1;
	h = hash_str(key);
	/* Full hashes are compared first: most probes then skip strcmp. */
	for (i = slot_of(h, map->cap); map->keys[i] != NULL; i = (i + 1) & mask)
		if (map->hashes[i] == h && strcmp(map->keys[i], key) == 0)
			return map->values[i];
	return NULL;
}
/* Moves the table to ncap slots (a power of two, above the count),
 * reinserting every key by its stored hash. */
static int
map_resize(struct upg_map *map, size_t ncap)
{
	size_t i, j, mask = ncap - 1;
	const char **keys;
	uint64_t *hashes;
	void **values;

	if (ncap > SIZE_MAX / sizeof(uint64_t))
		return -1;
	keys = calloc(ncap, sizeof *keys);
	values = calloc(ncap, sizeof *values);
	hashes = calloc(ncap, sizeof *hashes);
	if (keys == NULL || values == NULL || hashes == NULL) {
		free(keys);
		free(values);
		free(hashes);
		return -1;
	}
	for (i = 0; i < map->cap; i++) {
		if (map->keys[i] == NULL)
			continue;
		for (j = slot_of(map->hashes[i], ncap); keys[j] != NULL; j = (j + 1) & mask)
			;
		keys[j] = map->keys[i];
		values[j] = map->values[i];
		hashes[j] = map->hashes[i];
	}
	free(map->keys);
	free(map->values);
	free(map->hashes);
	map->keys = keys;
	map->values = values;
	map->hashes = hashes;
	map->cap = ncap;
	return 0;
}

int
upg_map_put(struct upg_map *map, const char *key, void *value, void **old)
{
	size_t i, mask;
	uint64_t h;

	/*
	 * A load factor up to 3/4: probes stay short (2.5 slots on average to
	 * find a key, 8.5 to miss one, a hash compared before any string; a
	 * quarter of the slots always empty), and the tables of a large
	 * catalog are half the size, each of their pages a fault on first touch
	 * (validate of 10,000 tasks: 188 fewer faults, 0.8 MiB less).
	 */
	if ((map->count + 1) * 4 > map->cap * 3 &&
	    map_resize(map, map->cap == 0 ? 64 : map->cap * 2) != 0)
		return -1;
	mask = map->cap - 1;
	h = hash_str(key);
	for (i = slot_of(h, map->cap); map->keys[i] != NULL; i = (i + 1) & mask) {
		if (map->hashes[i] == h && strcmp(map->keys[i], key) == 0) {
			if (old != NULL)
				*old = map->values[i];
			return 0;
		}
	}
	map->keys[i] = key;
	map->values[i] = value;
	map->hashes[i] = h;
	map->count++;
	return 1;
}

int
upg_map_reserve(struct upg_map *map, size_t count)
{
	size_t ncap = map->cap == 0 ? 64 : map->cap;

	if (count > SIZE_MAX / 8)
		return -1;
	while (count * 4 > ncap * 3)
		ncap *= 2;
	return ncap == map->cap ? 0 : map_resize(map, ncap);
}

void
upg_map_free(struct upg_map *map)
{
	free(map->keys);
	free(map->values);
	free(map->hashes);
	map->keys = NULL;
	map->values = NULL;
	map->hashes = NULL;
	map->cap = map->count = 0;
}

/* ---- files ------------------------------------------------------------------ */

const char *
upg_file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory, not a regular file";
	if (S_ISFIFO(mode))
		return "a FIFO, not a regular file";
	if (S_ISCHR(mode))
		return "a character device, not a regular file";
	if (S_ISBLK(mode))
		return "a block device, not a regular file";
	if (S_ISSOCK(mode))
		return "a socket, not a regular file";
	return "not a regular file";
}

/*
 * Opening with O_NONBLOCK returns at once for a FIFO without a writer
 * (a plain open would wait for one forever) and for devices; fstat() on
 * the descriptor then says what was really opened, whatever the path
 * pointed at a moment before.
 */
int
upg_open_regular(const char *path, struct stat *st)
{
	int fd, flags, e;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	/* A socket cannot be opened at all (ENXIO): say what it is, as for a FIFO. */
	if (fd < 0) {
		e = errno;
		if (e == ENXIO && stat(path, st) == 0 && !S_ISREG(st->st_mode))
			return -2;
		errno = e;
		return -1;
	}
	if (fstat(fd, st) != 0)
		goto fail;
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -2;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
		goto fail;
	return fd;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
