/* SPDX-License-Identifier: MIT */
/*
 * catalog-compiled.c - a catalog file's module as the loader built it,
 * kept in the cache (catalog-cache.c) so that a later process loading the
 * same bytes takes the module from there without parsing any XML.
 * catalog-compiled-write.c writes the entries; this file reads them.
 *
 * Only a file that loaded without a single diagnostic is written.  An
 * entry is used only when it is whole: its SHA-256 over everything after
 * it matches, every count and offset lies inside it, every node, task
 * and module has the shape a parse gives it (see below), the strings are
 * UTF-8, and it ends where its last record ends.  Otherwise the file is
 * loaded from its bytes, validated, as if there were no entry.  These
 * checks are against accidents (a torn write, another version's entry, a
 * bad disk): an entry made by whoever can write the cache directory, its
 * digest computed again, can hold what no parse builds, as a catalog file
 * can hold what its writer likes; the directory is the user's own
 * (catalog-cache.c).  The entry
 * also says under which limits the file loaded; a catalog with a stricter
 * limit than that parses the file instead (without validating it, when the
 * entry is whole under the limits it was written under), so that what
 * exceeds the limit is reported exactly as without a cache.  What does not
 * belong to one file (a module or a task declared in two files, the limit
 * on all tasks, requires, parameter values, the checks at prepare) is done
 * on the objects read as on the objects parsed.
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
 *            list guard, list body
 *   install: str description, u32 line, list body
 *   list:    u32 n, n x node
 *   node:    str element, u32 line, str text, u32 n, n x (str name, str value), list children
 *   str:     u32 offset into the strings, or UINT32_MAX for none
 *
 * Text and attribute values are written as read, before placeholders are
 * substituted (which happens when the catalog is prepared).  Nothing that
 * decides what runs is taken from the entry as a number or a digest: a
 * node's kind and element and its dialects are found again from its
 * element's name and its dialect attribute, and the tasks' checksums are
 * computed from the tree read when they are needed, as for a parsed file.  Every node is held
 * to what the schema and the builder allow where it stands: which
 * elements, how many and in what order (an action in a <when>, one
 * condition in a <not>, <when>s of distinct dialects before one
 * <otherwise>...), its text, its attributes sorted, once each, and not
 * two of those the schema offers as a choice; tasks and modules to the
 * rules on names, flags, requires, parameters and dependencies.  So what
 * the interpreter meets is what a parse could have built, whatever the
 * entry says.  The key names the library's build, so an entry is only
 * ever read by the build that wrote it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlstring.h>
#include <nettle/sha2.h>

#include "catalog-load.h"

/* The least a node takes: its five u32 fields, with no attributes or children. */
#define NODE_MIN 20u
/* The least a task takes: five fields and two empty lists, seven u32. */
#define TASK_MIN 28u

/*
 * The largest entry read or written for a file of xml_len bytes: far more
 * than the file builds (an element of a few bytes is a node of 20, and
 * entries are about twice their XML), and a bound on what a garbled or
 * planted entry makes the reader allocate and hash before it is refused.
 */
size_t
upg_compiled_entry_max(size_t xml_len)
{
	return xml_len > SIZE_MAX / 16 - 4096 ? SIZE_MAX / 16 : xml_len * 16 + 4096;
}

void
upg_compiled_limits(const struct upgrade_catalog *cat, uint64_t out[UPG_COMPILED_NLIMITS])
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

	if (off == UPG_COMPILED_NO_STRING)
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
	const char *name;
	size_t len;

	while ((name = upg_dialect_list_next(&p, &len)) != NULL) {
		if ((bit = upg_dialect_bit(name, len)) == 0)
			return 0;
		bits |= bit;
	}
	return bits;
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
	/* Where the schema allows a dialect filter, and attributes it allows one of. */
	if (!r->bad && n->dialects != 0 && n->kind != UPG_NODE_SQL && n->kind != UPG_NODE_NATIVE &&
	    n->kind != UPG_NODE_OP && n->kind != UPG_NODE_WHEN)
		r->bad = 1;
	if (!r->bad && ((upg_node_attr(n, "type") != NULL) + (upg_node_attr(n, "sql-type") != NULL) > 1 ||
	                (upg_node_attr(n, "default") != NULL) + (upg_node_attr(n, "default-sql") != NULL) +
	                        (upg_node_attr(n, "drop-default") != NULL) >
	                    1))
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
	t->guard = get_list(r);
	t->body = get_list(r);
	if (t->name == NULL || (t->flags & ~known) != 0 ||
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
	    !fits(r, n, TASK_MIN)) {
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
		in->body = get_list(r);
		if (!all_of(in->body, ITEMS, 1))
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
		if ((tasks[i]->id = upg_task_id(&cat->arena, mod->name, tasks[i]->name)) == NULL)
			return UPGRADE_ENOMEM;
		rc = upg_catalog_add_task_obj(cat, tasks[i]);
		if (rc == UPGRADE_EPARSE)
			ld->failed = 1;
		else if (rc != UPGRADE_OK)
			return rc;
	}
	return UPGRADE_OK;
}

/*
 * Reads the strings and the module after the limits, under the catalog's
 * limits: 0 with *mod set, -1 when the entry is not whole (r->oom: out of
 * memory).
 */
static int
read_module(struct reader *r, struct upgrade_module **mod, struct upgrade_task ***tasks,
            uint32_t *ntasks)
{
	struct upgrade_catalog *cat = r->cat;
	uint32_t nstrings;
	char *strings;
	size_t i;

	/* Body lists start two levels below the root; libxml2 nests no deeper than 257. */
	r->max_depth = cat->limits.depth < 257 ? cat->limits.depth : 257;
	r->max_depth = r->max_depth > 2 ? r->max_depth - 2 : 0;
	nstrings = get_u32(r);
	if (r->bad || nstrings == 0 || nstrings > (size_t)(r->end - r->p) || r->p[nstrings - 1] != '\0')
		return -1;
	if ((strings = get_mem(r, nstrings)) == NULL)
		return -1;
	memcpy(strings, r->p, nstrings);
	/* Text from libxml2 is UTF-8; most catalogs are ASCII, seen in one pass. */
	if (!ascii(strings, nstrings))
		for (i = 0; i < nstrings; i += strlen(strings + i) + 1)
			if (!xmlCheckUTF8((const xmlChar *)strings + i))
				return -1;
	r->strings = strings;
	r->nstrings = nstrings;
	r->p += nstrings;
	*mod = get_module(r, tasks, ntasks);
	return *mod == NULL || r->bad || r->p != r->end ? -1 : 0;
}

/*
 * Whether an entry written under looser limits than the catalog's is whole
 * all the same (its bytes then valid): read under those limits, into
 * memory of its own that is freed at once.  -1 when out of memory.
 */
static int
whole_under(struct reader *r, const uint64_t written[UPG_COMPILED_NLIMITS])
{
	struct upgrade_catalog *cat = r->cat;
	struct upg_arena arena = cat->arena;
	struct upg_limits limits = cat->limits;
	struct upgrade_module *mod;
	struct upgrade_task **tasks = NULL;
	uint32_t ntasks = 0;
	size_t *fields[UPG_COMPILED_NLIMITS] = {&cat->limits.file_size, &cat->limits.depth, &cat->limits.name,
	                           &cat->limits.file_tasks, &cat->limits.attributes,
	                           &cat->limits.children, &cat->limits.value, &cat->limits.nodes};
	size_t i;
	int whole;

	for (i = 0; i < UPG_COMPILED_NLIMITS; i++)
		*fields[i] = written[i] > SIZE_MAX ? SIZE_MAX : (size_t)written[i];
	memset(&cat->arena, 0, sizeof cat->arena);
	whole = read_module(r, &mod, &tasks, &ntasks) == 0;
	upg_arena_free(&cat->arena);
	cat->arena = arena;
	cat->limits = limits;
	return r->oom ? -1 : whole;
}

int
upg_compiled_load(struct loader *ld, const char *key, int *known)
{
	struct upgrade_catalog *cat = ld->cat;
	struct reader r;
	struct sha256_ctx h;
	struct upgrade_module *mod;
	struct upgrade_task **tasks = NULL;
	uint64_t limits[UPG_COMPILED_NLIMITS], written[UPG_COMPILED_NLIMITS];
	uint8_t md[SHA256_DIGEST_SIZE];
	unsigned char *data = NULL;
	size_t len = 0, i;
	uint32_t ntasks = 0;
	int rc, usable = 1;

	/* Known valid only from an entry that is whole: anything less is validated. */
	*known = 0;
	if (upg_cache_read(cat, key, upg_compiled_entry_max(ld->len), (char **)&data, &len) != 0)
		return 0;
	if (len <= UPG_COMPILED_HEAD_LEN + UPG_COMPILED_NLIMITS * 8 || memcmp(data, UPG_COMPILED_MAGIC, UPG_COMPILED_MAGIC_LEN) != 0 ||
	    memcmp(data + UPG_COMPILED_MAGIC_LEN + SHA256_DIGEST_SIZE, key, 64) != 0)
		goto unusable;
	sha256_init(&h);
	sha256_update(&h, len - UPG_COMPILED_MAGIC_LEN - SHA256_DIGEST_SIZE, data + UPG_COMPILED_MAGIC_LEN + SHA256_DIGEST_SIZE);
	sha256_digest(&h, sizeof md, md);
	if (memcmp(md, data + UPG_COMPILED_MAGIC_LEN, sizeof md) != 0)
		goto unusable;

	memset(&r, 0, sizeof r);
	r.cat = cat;
	r.p = data + UPG_COMPILED_HEAD_LEN;
	r.end = data + len;
	upg_compiled_limits(cat, limits);
	for (i = 0; i < UPG_COMPILED_NLIMITS; i++)
		if ((written[i] = get_u64(&r)) > limits[i])
			usable = 0;
	if (!usable) {
		rc = whole_under(&r, written);
		free(data);
		*known = rc > 0;
		return rc < 0 ? -1 : 0;
	}
	if (read_module(&r, &mod, &tasks, &ntasks) != 0) {
		if (r.oom) {
			free(data);
			return -1;
		}
		goto unusable;
	}
	free(data);
	*known = 1;
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
