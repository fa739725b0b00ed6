/* SPDX-License-Identifier: MIT */
/*
 * catalog-compiled.c - a catalog file's module as the loader built it,
 * kept in the cache (catalog-cache.c) so that a later process loading the
 * same bytes takes the module from there without parsing any XML: on a
 * run with nothing to do, libxml2's parser was most of the catalog's CPU
 * and 0.8 MiB of the process's memory (its code pages, touched).
 *
 * Only a file that loaded without a single diagnostic is written.  An
 * entry is used only when it is whole: its SHA-256 over everything after
 * it matches, every count and offset lies inside it, every node, task
 * and module is one a parse could have built (see below), the strings are
 * UTF-8, and it ends where its last record ends.  Otherwise the file is
 * loaded from its bytes as if there were no entry.  The entry also says under which limits the file loaded; a
 * catalog with a stricter limit than that parses the file instead, so that
 * what exceeds the limit is reported exactly as without a cache.  What
 * does not belong to one file (a module or a task declared in two files,
 * the limit on all tasks, requires, parameter values, the checks at
 * prepare) is done on the objects read as on the objects parsed.
 *
 * Layout, integers little-endian:
 *
 *   magic "UPGCMP1\n" | SHA-256 of the rest | key (64 hex digits) |
 *   the limits, 8 x u64 | strings: u32 size, bytes, the last one NUL |
 *   module | u32 tasks, task... | u32 0 or 1, install
 *
 *   module:  str name, str description, u32 line,
 *            u32 n, n x (str depends, u32 line), u32 n, n x (str name, str default, u32 line)
 *   task:    str name, str description, str requires, u32 line, u32 flags,
 *            str checksum, list guard, list body
 *   install: str description, u32 line, str checksum, list body
 *   list:    u32 n, n x node
 *   node:    str element, u32 line, str text, u32 n, n x (str name, str value), list children
 *   str:     u32 offset into the strings, or UINT32_MAX for none
 *
 * A node's kind and element and its dialects are found again from its
 * element's name and its dialect attribute, as when parsing, and every
 * node is held to what the schema and the builder allow where it stands:
 * which elements, how many and in what order (an action in a <when>, one
 * condition in a <not>, <when>s of distinct dialects before one
 * <otherwise>...), its text, its attributes sorted once each; tasks and
 * modules to the rules on names, flags, requires, parameters and
 * dependencies.  So what the interpreter meets is what a parse could have
 * built, whatever the entry says.  The key names
 * the library's build, so an entry is only ever read by the build that
 * wrote it.
 * Text and attribute values are written as read, before placeholders are
 * substituted (which happens when the catalog is prepared).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>
#include <nettle/sha2.h>

#include "catalog-load.h"

#define MAGIC "UPGCMP1\n"
#define MAGIC_LEN 8u
#define HEAD_LEN (MAGIC_LEN + SHA256_DIGEST_SIZE + 64u)
#define NLIMITS 8u
#define NO_STRING UINT32_MAX
/* The least a node takes: its five u32 fields, with no attributes or children. */
#define NODE_MIN 20u

/*
 * The largest entry read: far more than a file within the size limit
 * builds (an element of a few bytes is a node of 20), and a bound on the
 * memory a garbled size can ask for.
 */
static size_t
entry_max(const struct upgrade_catalog *cat)
{
	return cat->limits.file_size > SIZE_MAX / 16 - 4096 ? SIZE_MAX / 16
	                                                     : cat->limits.file_size * 16 + 4096;
}

/* The per-file limits, in the entry's order. */
static void
limits_of(const struct upgrade_catalog *cat, uint64_t out[NLIMITS])
{
	out[0] = cat->limits.file_size;
	out[1] = cat->limits.depth;
	out[2] = cat->limits.name;
	out[3] = cat->limits.file_tasks;
	out[4] = cat->limits.attributes;
	out[5] = cat->limits.children;
	out[6] = cat->limits.value;
	out[7] = cat->limits.nodes;
}

/* ---- writing ------------------------------------------------------------- */

struct writer {
	struct upg_buf out;     /* the records */
	struct upg_buf strings; /* the string table */
	struct upg_map seen;    /* string -> offset + 1: names repeat on every element */
	int failed;
};

static void
put_u32(struct writer *w, uint64_t v)
{
	unsigned char b[4];

	if (v > UINT32_MAX) {
		w->failed = 1;
		return;
	}
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
	if (upg_buf_append(&w->out, (const char *)b, 4) != 0)
		w->failed = 1;
}

static void
put_str(struct writer *w, const char *s)
{
	void *at;
	size_t off;

	if (s == NULL) {
		put_u32(w, NO_STRING);
		return;
	}
	at = upg_map_get(&w->seen, s);
	if (at != NULL) {
		put_u32(w, (uintptr_t)at - 1);
		return;
	}
	off = w->strings.len;
	if (off >= NO_STRING || upg_buf_append(&w->strings, s, strlen(s) + 1) != 0 ||
	    upg_map_put(&w->seen, s, (void *)(uintptr_t)(off + 1), NULL) < 0) {
		w->failed = 1;
		return;
	}
	put_u32(w, off);
}

static void
put_list(struct writer *w, const struct upg_node *list)
{
	const struct upg_node *n;
	size_t count = 0, i;

	for (n = list; n != NULL; n = n->next)
		count++;
	put_u32(w, count);
	for (n = list; n != NULL && !w->failed; n = n->next) {
		put_str(w, n->name);
		put_u32(w, n->line);
		put_str(w, n->raw);
		put_u32(w, n->nattrs);
		for (i = 0; i < n->nattrs; i++) {
			put_str(w, n->attrs[i].name);
			put_str(w, n->attrs[i].raw);
		}
		put_list(w, n->child);
	}
}

static void
put_task(struct writer *w, const struct upgrade_task *t)
{
	put_str(w, t->name);
	put_str(w, t->description);
	put_str(w, t->requires);
	put_u32(w, t->line);
	put_u32(w, t->flags);
	put_str(w, t->checksum);
	put_list(w, t->guard);
	put_list(w, t->body);
}

void
upg_compiled_save(struct loader *ld, const char *key, size_t first_task)
{
	struct upgrade_catalog *cat = ld->cat;
	const struct upgrade_module *mod = ld->module;
	struct writer w;
	struct upg_buf entry = UPG_BUF_INIT;
	struct sha256_ctx h;
	uint64_t limits[NLIMITS];
	unsigned char b[8];
	size_t i, j;

	if (mod == NULL || first_task > cat->ntasks)
		return;
	memset(&w, 0, sizeof w);
	put_str(&w, mod->name);
	put_str(&w, mod->description);
	put_u32(&w, mod->line);
	put_u32(&w, mod->ndepends);
	for (i = 0; i < mod->ndepends; i++) {
		put_str(&w, mod->depends[i]);
		put_u32(&w, mod->depends_line[i]);
	}
	put_u32(&w, mod->nparams);
	for (i = 0; i < mod->nparams; i++) {
		put_str(&w, mod->params[i].name);
		put_str(&w, mod->params[i].def);
		put_u32(&w, mod->params[i].line);
	}
	put_u32(&w, cat->ntasks - first_task);
	for (i = first_task; i < cat->ntasks && !w.failed; i++) {
		if (cat->tasks[i]->module != mod)
			w.failed = 1;
		put_task(&w, cat->tasks[i]);
	}
	put_u32(&w, mod->install != NULL);
	if (mod->install != NULL) {
		put_str(&w, mod->install->description);
		put_u32(&w, mod->install->line);
		put_str(&w, mod->install->checksum);
		put_list(&w, mod->install->body);
	}

	if (!w.failed && w.strings.len < NO_STRING && !w.out.failed && !w.strings.failed) {
		(void)upg_buf_append(&entry, MAGIC, MAGIC_LEN);
		(void)upg_buf_append(&entry, (const char[SHA256_DIGEST_SIZE]){0}, SHA256_DIGEST_SIZE);
		(void)upg_buf_append(&entry, key, 64);
		limits_of(cat, limits);
		for (i = 0; i < NLIMITS; i++) {
			for (j = 0; j < 8; j++)
				b[j] = (unsigned char)(limits[i] >> (8 * j));
			(void)upg_buf_append(&entry, (const char *)b, 8);
		}
		for (j = 0; j < 4; j++)
			b[j] = (unsigned char)(w.strings.len >> (8 * j));
		(void)upg_buf_append(&entry, (const char *)b, 4);
		(void)upg_buf_append(&entry, w.strings.data, w.strings.len);
		(void)upg_buf_append(&entry, w.out.data, w.out.len);
		if (!entry.failed && entry.len > HEAD_LEN && entry.len <= entry_max(cat)) {
			sha256_init(&h);
			sha256_update(&h, entry.len - MAGIC_LEN - SHA256_DIGEST_SIZE,
			              (const uint8_t *)entry.data + MAGIC_LEN + SHA256_DIGEST_SIZE);
			sha256_digest(&h, SHA256_DIGEST_SIZE, (uint8_t *)entry.data + MAGIC_LEN);
			upg_cache_write(cat, key, entry.data, entry.len);
		}
	}
	upg_buf_free(&entry);
	upg_buf_free(&w.out);
	upg_buf_free(&w.strings);
	upg_map_free(&w.seen);
}

/* ---- reading ------------------------------------------------------------- */

struct reader {
	struct upgrade_catalog *cat;
	const unsigned char *p, *end;
	const char *strings; /* in the arena */
	size_t nstrings;
	size_t depth, max_depth;
	size_t nodes; /* elements and attributes so far, held to the limit on them */
	int bad; /* not a whole entry: give up */
	int oom;
};

static uint32_t
get_u32(struct reader *r)
{
	uint32_t v;

	if (r->bad || r->end - r->p < 4) {
		r->bad = 1;
		return 0;
	}
	v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
	    (uint32_t)r->p[3] << 24;
	r->p += 4;
	return v;
}

static uint64_t
get_u64(struct reader *r)
{
	uint64_t lo = get_u32(r);

	return lo | (uint64_t)get_u32(r) << 32;
}

/* A string of the table; NULL for none (and, with r->bad, for a bad offset). */
static const char *
get_str(struct reader *r)
{
	uint32_t off = get_u32(r);

	if (off == NO_STRING)
		return NULL;
	if (off >= r->nstrings) {
		r->bad = 1;
		return NULL;
	}
	return r->strings + off;
}

/* n records of at least size bytes each can be in what is left. */
static int
fits(struct reader *r, uint32_t n, size_t size)
{
	if (r->bad || n > (size_t)(r->end - r->p) / size) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

static void *
get_mem(struct reader *r, size_t size)
{
	void *p = upg_arena_alloc(&r->cat->arena, size);

	if (p == NULL)
		r->oom = r->bad = 1;
	return p;
}

/* Kind masks: what may stand in a list. */
#define K(kind) (1u << (kind))
#define ACTIONS (K(UPG_NODE_SQL) | K(UPG_NODE_NATIVE) | K(UPG_NODE_OP))
#define ITEMS (ACTIONS | K(UPG_NODE_CHOOSE) | K(UPG_NODE_ASSERT))

/* Whether list holds at least min nodes, each of a kind in mask. */
static int
all_of(const struct upg_node *list, unsigned mask, size_t min)
{
	size_t count = 0;

	for (; list != NULL; list = list->next, count++)
		if (!(mask & K(list->kind)))
			return 0;
	return count >= min;
}

/* Whether list holds nodes of element elem only, at least one. */
static int
all_elem(const struct upg_node *list, enum upg_elem elem)
{
	if (list == NULL)
		return 0;
	for (; list != NULL; list = list->next)
		if (list->elem != elem)
			return 0;
	return 1;
}

/*
 * Whether n's children are what the schema and the builder allow under it:
 * which kinds, how many, in what order; a <choose> has its <when>s first,
 * no dialect in two of them, and at most one <otherwise>, last.
 */
static int
children_ok(const struct upg_node *n)
{
	const struct upg_node *c = n->child;
	unsigned seen = 0;

	switch (n->kind) {
	case UPG_NODE_STEP:
		if (c != NULL && c->kind == UPG_NODE_GUARD)
			c = c->next;
		return all_of(c, ITEMS, 1);
	case UPG_NODE_GUARD:
	case UPG_NODE_ASSERT:
		return all_of(c, K(UPG_NODE_COND), 1);
	case UPG_NODE_COND:
		if (n->elem == UPG_E_NOT)
			return all_of(c, K(UPG_NODE_COND), 1) && c->next == NULL;
		if (n->elem == UPG_E_ANY || n->elem == UPG_E_ALL)
			return all_of(c, K(UPG_NODE_COND), 1);
		return c == NULL;
	case UPG_NODE_CHOOSE:
		for (; c != NULL && c->kind == UPG_NODE_WHEN; c = c->next) {
			if (c->dialects == 0 || (seen & c->dialects) != 0)
				return 0;
			seen |= c->dialects;
		}
		return seen != 0 && (c == NULL || (c->kind == UPG_NODE_OTHERWISE && c->next == NULL));
	case UPG_NODE_WHEN:
	case UPG_NODE_OTHERWISE:
		return all_of(c, ACTIONS, 0);
	case UPG_NODE_OP:
		if (n->elem == UPG_E_CREATE_TABLE)
			return all_elem(c, UPG_E_COLUMN);
		if (n->elem == UPG_E_CREATE_ENUM)
			return all_elem(c, UPG_E_VALUE);
		return c == NULL;
	default:
		return c == NULL;
	}
}

/* The dialect bits of a list as parse_dialects() finds them; 0 for an unknown name or none. */
static unsigned
dialect_bits(const char *p)
{
	unsigned bits = 0, bit;
	const char *start;

	for (;;) {
		while (upg_xml_is_space(*p))
			p++;
		if (*p == '\0')
			return bits;
		for (start = p; *p != '\0' && !upg_xml_is_space(*p); p++)
			continue;
		if ((bit = upg_dialect_bit(start, (size_t)(p - start))) == 0)
			return 0;
		bits |= bit;
	}
}

/* Node n as its element and attributes make it, or r->bad. */
static void
check_node(struct reader *r, struct upg_node *n, const char *element)
{
	const char *d;
	size_t j;
	int text;

	n->name = upg_node_element(element, &n->kind, &n->elem);
	if (n->name == NULL) {
		r->bad = 1;
		return;
	}
	text = n->kind == UPG_NODE_SQL || n->elem == UPG_E_QUERY || n->elem == UPG_E_VALUE;
	if (text != (n->raw != NULL) || (text && n->elem != UPG_E_VALUE && *n->raw == '\0'))
		r->bad = 1;
	for (j = 0; j < n->nattrs && !r->bad; j++)
		if (n->attrs[j].name == NULL || n->attrs[j].raw == NULL ||
		    (j > 0 && strcmp(n->attrs[j - 1].name, n->attrs[j].name) >= 0))
			r->bad = 1;
	if (!r->bad && (d = upg_node_attr(n, "dialect")) != NULL && (n->dialects = dialect_bits(d)) == 0)
		r->bad = 1;
	/* The attributes the schema requires and the checks at load do not look at. */
	if (!r->bad && n->kind == UPG_NODE_NATIVE &&
	    (upg_node_attr(n, "library") == NULL || upg_node_attr(n, "symbol") == NULL))
		r->bad = 1;
}

/* A list of nodes, each with the children children_ok() allows. */
static struct upg_node *
get_list(struct reader *r)
{
	struct upg_node *first = NULL, **tail = &first, *n;
	uint32_t count = get_u32(r), i, j;
	const char *element;

	if (count == 0)
		return NULL;
	if (!fits(r, count, NODE_MIN) || ++r->depth > r->max_depth) {
		r->bad = 1;
		return NULL;
	}
	for (i = 0; i < count && !r->bad; i++) {
		if ((n = get_mem(r, sizeof *n)) == NULL)
			break;
		element = get_str(r);
		n->line = get_u32(r);
		n->raw = n->text = get_str(r);
		n->nattrs = get_u32(r);
		r->nodes += 1 + n->nattrs;
		if (element == NULL || n->nattrs > r->cat->limits.attributes ||
		    r->nodes > r->cat->limits.nodes || !fits(r, (uint32_t)n->nattrs, 8)) {
			r->bad = 1;
			break;
		}
		if (n->nattrs > 0 && (n->attrs = get_mem(r, n->nattrs * sizeof *n->attrs)) == NULL)
			break;
		for (j = 0; j < n->nattrs; j++) {
			n->attrs[j].name = get_str(r);
			n->attrs[j].raw = n->attrs[j].value = get_str(r);
		}
		check_node(r, n, element);
		if (r->bad)
			break;
		n->child = get_list(r);
		if (!children_ok(n))
			r->bad = 1;
		*tail = n;
		tail = &n->next;
	}
	r->depth--;
	return first;
}

/* A requires as the builder keeps it: "module:name", never on a raw task. */
static int
requires_ok(const char *req, unsigned flags)
{
	const char *colon = strchr(req, ':');

	return !(flags & UPGRADE_TASK_RAW) && colon != NULL && colon != req && colon[1] != '\0';
}

/* A task's fields as written; the module and id are set when it is added. */
static struct upgrade_task *
get_task(struct reader *r)
{
	struct upgrade_task *t = get_mem(r, sizeof *t);
	const struct upg_node *n;
	const unsigned known = UPGRADE_TASK_ALWAYS_RUN | UPGRADE_TASK_RAW | UPGRADE_TASK_GUARDED;

	if (t == NULL)
		return NULL;
	t->name = get_str(r);
	t->description = get_str(r);
	t->requires = get_str(r);
	t->line = get_u32(r);
	t->flags = get_u32(r);
	t->checksum = get_str(r);
	t->guard = get_list(r);
	t->body = get_list(r);
	if (t->name == NULL || t->checksum == NULL || (t->flags & ~known) != 0 ||
	    upg_check_task_name(t->name, r->cat->limits.name) != NULL ||
	    ((t->flags & UPGRADE_TASK_RAW) && !(t->flags & UPGRADE_TASK_ALWAYS_RUN)) ||
	    (t->guard != NULL) != ((t->flags & UPGRADE_TASK_GUARDED) != 0) ||
	    (t->guard != NULL && (t->guard->kind != UPG_NODE_GUARD || t->guard->next != NULL)) ||
	    !all_of(t->body, t->flags & UPGRADE_TASK_RAW ? K(UPG_NODE_STEP) | K(UPG_NODE_ASSERT)
	                                                 : ITEMS | K(UPG_NODE_STEP), 0) ||
	    (t->requires != NULL && !requires_ok(t->requires, t->flags)))
		r->bad = 1;
	/* Only a raw task has a list of schemas to go through. */
	for (n = t->body; n != NULL && !(t->flags & UPGRADE_TASK_RAW); n = n->next)
		if (n->kind == UPG_NODE_STEP && upg_step_each_schema(n))
			r->bad = 1;
	return t;
}

/* The module of the entry, with nothing added to the catalog yet. */
static struct upgrade_module *
get_module(struct reader *r, struct upgrade_task ***tasks, uint32_t *ntasks)
{
	struct upgrade_module *mod = get_mem(r, sizeof *mod);
	struct upg_map seen = {0};
	uint32_t n, i;

	if (mod == NULL)
		return NULL;
	mod->name = get_str(r);
	mod->description = get_str(r);
	mod->line = get_u32(r);
	n = get_u32(r);
	if (n > 0 && fits(r, n, 8)) {
		mod->depends = get_mem(r, n * sizeof *mod->depends);
		mod->depends_line = get_mem(r, n * sizeof *mod->depends_line);
		for (i = 0; i < n && !r->bad; i++) {
			mod->depends[i] = get_str(r);
			mod->depends_line[i] = get_u32(r);
			if (mod->depends[i] == NULL ||
			    upg_check_module_name(mod->depends[i], r->cat->limits.name) != NULL ||
			    upg_map_put(&seen, mod->depends[i], mod, NULL) != 1)
				r->bad = 1;
		}
		mod->ndepends = n;
	}
	upg_map_free(&seen);
	n = get_u32(r);
	if (n > 0 && fits(r, n, 12) && (mod->params = get_mem(r, n * sizeof *mod->params)) != NULL) {
		for (i = 0; i < n && !r->bad; i++) {
			/* Sorted by name, so each is also declared once. */
			if ((mod->params[i].name = get_str(r)) == NULL ||
			    !upg_param_name_ok(mod->params[i].name) ||
			    (i > 0 && strcmp(mod->params[i - 1].name, mod->params[i].name) >= 0))
				r->bad = 1;
			mod->params[i].def = get_str(r);
			mod->params[i].line = get_u32(r);
		}
		mod->nparams = n;
	}
	n = get_u32(r);
	if (mod->name == NULL || upg_check_module_name(mod->name, r->cat->limits.name) != NULL ||
	    !fits(r, n, 32)) {
		r->bad = 1;
		return NULL;
	}
	if (n > r->cat->limits.file_tasks) {
		r->bad = 1;
		return NULL;
	}
	if (n > 0 && (*tasks = get_mem(r, n * sizeof **tasks)) == NULL)
		return NULL;
	for (i = 0; i < n && !r->bad; i++)
		(*tasks)[i] = get_task(r);
	*ntasks = n;
	n = get_u32(r);
	if (n == 1) {
		struct upgrade_task *in = upg_install_new(r->cat, mod);

		if (in == NULL) {
			r->oom = r->bad = 1;
			return NULL;
		}
		in->description = get_str(r);
		in->line = get_u32(r);
		in->checksum = get_str(r);
		in->body = get_list(r);
		if (in->checksum == NULL || !all_of(in->body, ITEMS, 1))
			r->bad = 1;
		mod->install = in;
	} else if (n != 0) {
		r->bad = 1;
	}
	return r->bad ? NULL : mod;
}

/* Whether the n bytes at s are all ASCII (a loop the compiler vectorizes). */
static int
ascii(const char *s, size_t n)
{
	unsigned char any = 0;
	size_t i;

	for (i = 0; i < n; i++)
		any |= (unsigned char)s[i];
	return any < 0x80;
}

/* The id "module:name" of a task read, in the arena. */
static int
set_id(struct upgrade_catalog *cat, struct upgrade_task *t, const struct upgrade_module *mod)
{
	size_t ml = strlen(mod->name), nl = strlen(t->name);
	char *id = upg_arena_alloc(&cat->arena, ml + nl + 2);

	if (id == NULL)
		return -1;
	memcpy(id, mod->name, ml);
	id[ml] = ':';
	memcpy(id + ml + 1, t->name, nl + 1);
	t->id = id;
	return 0;
}

/*
 * Adds what was read to the catalog, as building it from the XML does:
 * a module declared before stops here, a task declared before (or past
 * the catalog's limit on tasks) is left out, both with their diagnostics.
 */
static int
add_module(struct loader *ld, struct upgrade_module *mod, struct upgrade_task **tasks, uint32_t n)
{
	struct upgrade_catalog *cat = ld->cat;
	uint32_t i;
	int rc;

	mod->file = ld->file;
	mod->file_index = ld->file_index;
	rc = upg_catalog_add_module_obj(cat, mod);
	if (rc != UPGRADE_OK) {
		ld->failed = 1;
		return rc == UPGRADE_EPARSE ? UPGRADE_OK : rc;
	}
	ld->module = mod;
	for (i = 0; i < n; i++) {
		tasks[i]->module = mod;
		if (set_id(cat, tasks[i], mod) != 0)
			return UPGRADE_ENOMEM;
		rc = upg_catalog_add_task_obj(cat, tasks[i]);
		if (rc == UPGRADE_EPARSE)
			ld->failed = 1;
		else if (rc != UPGRADE_OK)
			return rc;
	}
	return UPGRADE_OK;
}

int
upg_compiled_load(struct loader *ld, const char *key, int *known)
{
	struct upgrade_catalog *cat = ld->cat;
	struct reader r;
	struct sha256_ctx h;
	struct upgrade_module *mod;
	struct upgrade_task **tasks = NULL;
	uint64_t limits[NLIMITS];
	uint8_t md[SHA256_DIGEST_SIZE];
	unsigned char *data = NULL;
	size_t len = 0, i;
	uint32_t ntasks = 0, nstrings;
	char *strings;
	int rc, usable = 1;

	*known = 0;
	if (upg_cache_read(cat, key, entry_max(cat), (char **)&data, &len) != 0)
		return 0;
	if (len <= HEAD_LEN + NLIMITS * 8 || memcmp(data, MAGIC, MAGIC_LEN) != 0 ||
	    memcmp(data + MAGIC_LEN + SHA256_DIGEST_SIZE, key, 64) != 0)
		goto unusable;
	sha256_init(&h);
	sha256_update(&h, len - MAGIC_LEN - SHA256_DIGEST_SIZE, data + MAGIC_LEN + SHA256_DIGEST_SIZE);
	sha256_digest(&h, sizeof md, md);
	if (memcmp(md, data + MAGIC_LEN, sizeof md) != 0)
		goto unusable;
	/* Whole and written for these bytes: they are known valid. */
	*known = 1;

	memset(&r, 0, sizeof r);
	r.cat = cat;
	/* Body lists start two levels below the root; libxml2 nests no deeper than 257. */
	r.max_depth = cat->limits.depth < 257 ? cat->limits.depth : 257;
	r.max_depth = r.max_depth > 2 ? r.max_depth - 2 : 0;
	r.p = data + HEAD_LEN;
	r.end = data + len;
	limits_of(cat, limits);
	for (i = 0; i < NLIMITS; i++)
		if (get_u64(&r) > limits[i])
			usable = 0;
	if (!usable)
		goto unusable;
	nstrings = get_u32(&r);
	if (r.bad || nstrings == 0 || nstrings > (size_t)(r.end - r.p) || r.p[nstrings - 1] != '\0')
		goto unusable;
	if ((strings = upg_arena_alloc(&cat->arena, nstrings)) == NULL) {
		free(data);
		return -1;
	}
	memcpy(strings, r.p, nstrings);
	/* Text from libxml2 is UTF-8; most catalogs are ASCII, seen in one pass. */
	if (!ascii(strings, nstrings))
		for (i = 0; i < nstrings; i += strlen(strings + i) + 1)
			if (!xmlCheckUTF8((const xmlChar *)strings + i))
				goto unusable;
	r.strings = strings;
	r.nstrings = nstrings;
	r.p += nstrings;
	mod = get_module(&r, &tasks, &ntasks);
	if (r.oom) {
		free(data);
		return -1;
	}
	if (mod == NULL || r.bad || r.p != r.end)
		goto unusable;
	free(data);
	rc = add_module(ld, mod, tasks, ntasks);
	if (rc != UPGRADE_OK)
		return -1;
	cat->cache_hits++;
	cat->compiled_files++;
	return 1;
unusable:
	free(data);
	return 0;
}
