/* SPDX-License-Identifier: MIT */
/*
 * catalog.h - internal structures of task catalogs, shared by the loader
 * (catalog.c, catalog-xml.c), the planner (plan.c) and the runner.
 *
 * All objects of a catalog (modules, tasks, body nodes, strings,
 * diagnostics) live in one arena owned by the catalog and are released
 * together; nothing here is freed one by one.  Strings in the structures
 * are therefore never NULL-vs-owned questions: they are borrowed from the
 * arena for the catalog's lifetime.
 */
#ifndef UPG_CATALOG_H
#define UPG_CATALOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "dialect.h"
#include "private.h"
#include "upgrade/catalog.h"

/* ---- arena ------------------------------------------------------------ */

struct upg_chunk;

struct upg_arena {
	struct upg_chunk *head;
	size_t used; /* bytes used in head */
	size_t size; /* bytes available in head */
	size_t total; /* bytes of the standard (not own) chunks */
	int huge;     /* standard chunks are huge pages from now on */
};

/* Returns zeroed, pointer-aligned memory, or NULL when out of memory. */
void *upg_arena_alloc(struct upg_arena *arena, size_t size);
/* Copies n bytes and a terminating NUL. */
char *upg_arena_strndup(struct upg_arena *arena, const char *s, size_t n);
char *upg_arena_strdup(struct upg_arena *arena, const char *s);
char *upg_arena_printf(struct upg_arena *arena, const char *fmt, ...) UPG_PRINTF(2, 3);
void upg_arena_free(struct upg_arena *arena);
/* Bytes handed out from the standard chunks, about. */
size_t upg_arena_used(const struct upg_arena *arena);
/* Told that the arena will hold about bytes in all: past a huge page's
 * worth, its next chunks are huge pages at once instead of at 2 MiB. */
void upg_arena_expect(struct upg_arena *arena, size_t bytes);

/* ---- string map (open addressing; keys are borrowed) ------------------- */

struct upg_map {
	const char **keys;
	void **values;
	uint64_t *hashes;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

/* Returns the value for key, or NULL. */
void *upg_map_get(const struct upg_map *map, const char *key);
/*
 * Inserts key unless present.  Returns 1 when inserted, 0 when the key was
 * already there (*old, if given, then gets the existing value), -1 when out
 * of memory.
 */
int upg_map_put(struct upg_map *map, const char *key, void *value, void **old);
/* Makes room for count keys in all without growing; -1 when out of memory. */
int upg_map_reserve(struct upg_map *map, size_t count);
void upg_map_free(struct upg_map *map);

/* ---- files ----------------------------------------------------------------- */

/*
 * Opens path for reading if it is a regular file, without ever waiting on
 * a FIFO or a device.  Returns a blocking descriptor with *st filled; -1
 * when it cannot be opened (errno says why); -2 when it is not a regular
 * file (*st says what it is).
 */
int upg_open_regular(const char *path, struct stat *st);
/* Says what a file that is not a regular file is: "a FIFO, not a regular file". */
const char *upg_file_kind(mode_t mode);

/* ---- body nodes ----------------------------------------------------------- */

enum upg_node_kind {
	UPG_NODE_SQL,       /* <sql>: text is one statement */
	UPG_NODE_NATIVE,    /* <native>: attributes library, symbol, arg */
	UPG_NODE_OP,        /* a declarative operation: name says which */
	UPG_NODE_CHOOSE,    /* <choose>: children are WHEN and OTHERWISE */
	UPG_NODE_WHEN,      /* <when>: dialects set; children are actions */
	UPG_NODE_OTHERWISE, /* <otherwise>: children are actions */
	UPG_NODE_STEP,      /* <step>: guard, then body */
	UPG_NODE_GUARD,     /* <only-if>: children are conditions, all must hold */
	UPG_NODE_COND,      /* a condition (has-table, not, any, query, ...) */
	UPG_NODE_PART,      /* a part of an operation: <column>, <value> */
	UPG_NODE_ASSERT     /* <assert>: children are conditions, all must hold */
};

/*
 * Which element of the format a node is, resolved once when the catalog
 * loads: the interpreter and the checks switch on it instead of comparing
 * names.  In the order of the element names.
 */
enum upg_elem {
	UPG_E_ADD_CHECK,
	UPG_E_ADD_COLUMN,
	UPG_E_ADD_ENUM_VALUE,
	UPG_E_ADD_FOREIGN_KEY,
	UPG_E_ADD_UNIQUE,
	UPG_E_ALL,
	UPG_E_ALTER_COLUMN,
	UPG_E_ANY,
	UPG_E_ASSERT,
	UPG_E_CHOOSE,
	UPG_E_COLUMN,
	UPG_E_CREATE_ENUM,
	UPG_E_CREATE_INDEX,
	UPG_E_CREATE_TABLE,
	UPG_E_DROP_COLUMN,
	UPG_E_DROP_CONSTRAINT,
	UPG_E_DROP_INDEX,
	UPG_E_DROP_TABLE,
	UPG_E_HAS_COLUMN,
	UPG_E_HAS_CONSTRAINT,
	UPG_E_HAS_ENUM,
	UPG_E_HAS_INDEX,
	UPG_E_HAS_TABLE,
	UPG_E_HAS_VIEW,
	UPG_E_IS_EMPTY_TABLE,
	UPG_E_NATIVE,
	UPG_E_NOT,
	UPG_E_ONLY_IF,
	UPG_E_OTHERWISE,
	UPG_E_QUERY,
	UPG_E_RENAME_COLUMN,
	UPG_E_RENAME_TABLE,
	UPG_E_SCHEMA_COUNT,
	UPG_E_SCHEMAS_INCLUDE,
	UPG_E_SQL,
	UPG_E_STEP,
	UPG_E_VALUE,
	UPG_E_WHEN,
	UPG_E_COUNT
};

struct upg_attr {
	const char *name;
	const char *raw;   /* as written in the catalog */
	const char *value; /* placeholders substituted (== raw when none) */
};

/*
 * One element of a task body, kept generic so that the operations and
 * conditions (executed by the runner and the dialect drivers) need no
 * change here when they grow.  Attributes are sorted by name.
 */
struct upg_node {
	enum upg_node_kind kind;
	enum upg_elem elem;
	const char *name; /* the element's local name, e.g. "add-column" */
	unsigned long line;
	unsigned dialects; /* dialect filter (actions) or set (when); 0 = all */
	const char *raw;   /* text of sql, query, value; NULL for others */
	const char *text;  /* raw with placeholders substituted */
	struct upg_attr *attrs;
	size_t nattrs;
	struct upg_node *child; /* first child */
	struct upg_node *next;  /* next sibling */
};

/* The substituted value of an attribute, or NULL when it is absent. */
const char *upg_node_attr(const struct upg_node *node, const char *name);

/* ---- modules and tasks ------------------------------------------------------ */

struct upg_param {
	const char *name;
	const char *def; /* default, or NULL */
	unsigned long line;
};

struct upgrade_module {
	unsigned int magic; /* UPG_MAGIC_MODULE once the catalog holds it */
	const char *name;
	const char *description;
	const char *file;
	unsigned long line;
	uint32_t file_index; /* orders diagnostics by load order */
	const char **depends;
	unsigned long *depends_line;
	size_t ndepends;
	struct upg_param *params; /* sorted by name */
	size_t nparams;
	uint32_t ntasks;
	int quiet; /* its file failed schema validation: no follow-up errors */
	int unselected; /* left out by upgrade_catalog_select_modules() */
	/*
	 * <install> (or upgrade_catalog_set_install()): a task object that is in
	 * neither tasks nor plan; named UPG_INSTALL_NAME in the state, where it
	 * is journaled like a task while it runs.  NULL: none.
	 */
	struct upgrade_task *install;
	struct upgrade_catalog *cat; /* the catalog holding it (its arena has the checksums) */
	/* Planning. */
	uint32_t rank;  /* position in module order */
	uint32_t index; /* scratch for the planner */
};

struct upgrade_task {
	unsigned int magic; /* UPG_MAGIC_TASK once the catalog holds it */
	const char *id;
	const char *name;
	const char *description;
	const char *requires;
	struct upgrade_module *module;
	unsigned long line;
	unsigned flags;
	uint32_t decl; /* declaration index within the module */
	struct upg_node *guard; /* <only-if> or NULL */
	struct upg_node *body;  /* actions and choose, or steps (raw) */
	upgrade_task_fn fn;
	void *userdata;
	const char *checksum; /* upg_task_checksum(): NULL until asked for, always for C tasks */
	/* Planning. */
	struct upgrade_task *req; /* resolved, valid requires */
	uint32_t index;           /* position in catalog->tasks */
};

struct upg_diag {
	const char *file;
	unsigned long line;
	const char *object;
	const char *message;
	uint32_t file_index;
	uint32_t seq; /* keeps the sort stable */
};

struct upg_define {
	const char *name; /* "param" or "module:param" */
	const char *value;
};

struct upg_limits {
	size_t file_size;
	size_t depth;
	size_t name;
	size_t file_tasks;
	size_t files;
	size_t tasks;
	size_t attributes; /* per element */
	size_t children;   /* child elements per element */
	size_t value;      /* bytes per attribute value */
	size_t nodes;      /* elements, attributes, comments... per file */
};

struct upgrade_catalog {
	unsigned int magic; /* UPG_MAGIC_CATALOG, first: see UPG_IS() */
	struct upg_arena arena;
	struct upg_error error;

	struct upgrade_module **modules; /* registration order, then module order */
	size_t nmodules, capmodules;
	struct upgrade_task **tasks; /* registration order */
	size_t ntasks, captasks;
	int tasks_over_limit; /* the limit on tasks was reported */
	int files_over_limit; /* the limit on files was reported */
	struct upg_map module_map;
	struct upg_map task_map;
	struct upg_map file_ids; /* "device:inode" of every file opened: one file, however named, loads once */

	struct upg_define *defines;
	size_t ndefines, capdefines;

	struct upg_diag *diags;
	size_t ndiags, capdiags;
	size_t nproblems; /* diagnostics added, those past a file's limit of messages too */
	uint32_t *file_diags; /* diagnostics recorded per file index */
	size_t nfile_diags;
	struct upg_diag *warnings; /* things skipped; they fail nothing */
	size_t nwarnings, capwarnings;

	struct upgrade_task **plan; /* prepared order */
	size_t nplan;

	struct upg_limits limits;
	uint32_t nfiles;
	int prepared;
	int runnable; /* prepared without errors: the only state a runner may work from */

	/* upgrade_catalog_select_modules() patterns, arena strings; none selects all. */
	const char **select;
	size_t nselect, capselect;
	void *schema;       /* xmlRelaxNGPtr, loaded on first use */
	int schema_failed;  /* reported once */
	char *cache_dir;    /* the files known valid (catalog-cache.c); NULL: none */
	int cache_state;    /* 0 not looked at yet, 1 usable, -1 not usable */
	size_t cache_hits;  /* files loaded without validation thanks to it */
	size_t streamed_files; /* of those, built while parsed (catalog-xml.c) */
	size_t compiled_files; /* of those, not parsed at all (catalog-compiled.c) */
};

/* The state name of a module's install block; no task may have it. */
#define UPG_INSTALL_NAME "(install)"

/* The file name used for objects registered in C. */
#define UPG_C_FILE "<C>"
/* Diagnostics of things registered in C sort after every file. */
#define C_FILE_INDEX UINT32_MAX

/*
 * Records a diagnostic.  object may be NULL (""); the message is formatted.
 * Returns UPGRADE_OK, or UPGRADE_ENOMEM when even that failed.
 */
int upg_diag_add(struct upgrade_catalog *cat, const char *file, uint32_t file_index,
                 unsigned long line, const char *object, const char *fmt, ...) UPG_PRINTF(6, 7);
int upg_diag_vadd(struct upgrade_catalog *cat, const char *file, uint32_t file_index,
                  unsigned long line, const char *object, const char *fmt, va_list ap)
    UPG_PRINTF(6, 0);

/* Records a warning about path (copied). */
int upg_warn_add(struct upgrade_catalog *cat, const char *path, const char *fmt, ...)
    UPG_PRINTF(3, 4);
/* Sorts the diagnostics by file, then line, keeping the order of equals. */
void upg_diag_sort(struct upgrade_catalog *cat);
/*
 * Sets the handle's error to a summary of the problems recorded since
 * cat->nproblems was before (kept as diagnostics or not), if any; returns
 * UPGRADE_OK or that error.
 */
int upg_diag_result(struct upgrade_catalog *cat, size_t before);
/* UPGRADE_OK while the catalog may still load (not prepared); else the error, set. */
int upg_catalog_check_loadable(struct upgrade_catalog *cat);
/* Every parameter without a default must be given a value: diagnostics for those that are not. */
int upg_check_params(struct upgrade_catalog *cat);
/*
 * Substitutes placeholders in the node tree n of task t and checks native
 * references; each: inside a for-each-schema step; *oom set when memory ran out.
 */
void upg_substitute_nodes(struct upgrade_catalog *cat, const struct upgrade_task *t,
                          struct upg_node *n, int each, int *oom);
/* 1 for a <step for-each-schema="true">. */
int upg_step_each_schema(const struct upg_node *step);

/* Appends to the growable arrays; UPGRADE_ENOMEM on failure. */
int upg_catalog_add_module_obj(struct upgrade_catalog *cat, struct upgrade_module *mod);
int upg_catalog_add_task_obj(struct upgrade_catalog *cat, struct upgrade_task *task);

/*
 * Checks a module or task name against the format's rules; returns NULL
 * when it is fine, else a static description of what is wrong.
 */
const char *upg_check_module_name(const char *name, size_t max);
const char *upg_check_task_name(const char *name, size_t max);
/* Whether s is a valid <param> name. */
int upg_param_name_ok(const char *s);
/* The id "module:name" of a task, in arena; NULL when out of memory. */
char *upg_task_id(struct upg_arena *arena, const char *module, const char *name);

/* A module's install block object (catalog.c), not yet attached; NULL when out of memory. */
struct upgrade_task *upg_install_new(struct upgrade_catalog *cat, struct upgrade_module *mod);
/*
 * The task's checksum (catalog-checksum.c), computed on first use; *out is
 * NULL for a C task.  UPGRADE_ENOMEM without memory.  Safe from any thread.
 */
int upg_task_checksum(const struct upgrade_task *t, const char **out);

/* ---- the XML loader (catalog-xml.c) ------------------------------------------ */

/*
 * Parses one catalog document of len bytes and adds its module.  file names
 * it in diagnostics.  Returns UPGRADE_OK, UPGRADE_EPARSE when the document
 * had problems (recorded as diagnostics) or UPGRADE_ENOMEM.
 */
int upg_xml_load(struct upgrade_catalog *cat, const char *file, const char *buf, size_t len);
/* Releases the cached schema. */
void upg_xml_free_schema(struct upgrade_catalog *cat);

/* ---- checks at load (catalog-check.c) ------------------------------------------ */

/*
 * Checks the attributes of the conditions and operations of the modules
 * from index first_module and the tasks from index first_task on, as the
 * interpreter will read them (after substitution, so when the catalog is
 * prepared); records every problem as a diagnostic.  Returns UPGRADE_OK
 * (problems or not) or UPGRADE_ENOMEM.
 */
int upg_catalog_check(struct upgrade_catalog *cat, size_t first_module, size_t first_task);
/*
 * Checks the tasks of a prepared catalog for what the dialect (its name
 * and vocabulary bit) lacks, on the alternatives it takes; records each
 * problem as a diagnostic.  UPGRADE_OK or UPGRADE_ENOMEM.
 */
int upg_catalog_check_dialect(struct upgrade_catalog *cat, const char *dialect, unsigned bit);
/* The vocabulary bits of every dialect the catalog's dialect attributes name. */
unsigned upg_catalog_dialects_named(const struct upgrade_catalog *cat);

/* ---- the planner (plan.c) ------------------------------------------------------ */

/*
 * Orders the modules and the tasks (see upgrade-catalog(5), "Order"),
 * recording unknown dependencies, bad requires and cycles as diagnostics.
 * Fills cat->plan when everything is right.
 */
int upg_plan_compute(struct upgrade_catalog *cat);
/*
 * Applies the module selection to a computed plan: the modules matching a
 * pattern, and transitively those they depend on and those of the tasks
 * their tasks require, stay; the others leave cat->modules and cat->plan
 * (their objects stay in the arena and the maps, marked unselected).
 * Returns UPGRADE_OK, UPGRADE_ENOTFOUND when a pattern matches no module
 * (the message in cat->error names it), or UPGRADE_ENOMEM.
 */
int upg_plan_select(struct upgrade_catalog *cat);
/* 1 when the module named is part of the selection (always, without one). */
int upg_catalog_selects(const struct upgrade_catalog *cat, const char *module);

/* ---- what the runner uses ------------------------------------------------------- */

/*
 * A task's body resolved for one dialect: the <choose> alternatives are
 * taken and the dialect filters applied, leaving actions (UPG_NODE_SQL,
 * UPG_NODE_NATIVE, UPG_NODE_OP) in execution order with placeholders
 * substituted, and <assert> (UPG_NODE_ASSERT) where it stands.  A task
 * without <step> has one unit; otherwise each step is a unit, and so is
 * each run of items between steps.  A C task has no units (call task->fn).
 */
struct upg_unit {
	const struct upg_node *guard; /* the step's <only-if>, or NULL */
	unsigned long line;
	int each_schema; /* for-each-schema="true": once per target schema (raw) */
	size_t nactions;
	const struct upg_node **actions;
};

struct upg_resolved {
	const struct upg_node *guard; /* the task's <only-if>, or NULL */
	size_t nunits;
	struct upg_unit *units;
};

/*
 * Resolves task for the dialect named dialect.  On failure (unknown
 * dialect, a <choose> without an alternative for it) returns
 * UPGRADE_EUNSUPPORTED or UPGRADE_ENOTFOUND with the reason in err (not
 * naming the task; the caller does) and *out NULL.  Free the result with
 * upg_resolved_free().
 */
int upg_task_resolve(struct upg_resolved **out, const struct upgrade_task *task, const char *dialect,
                     struct upg_error *err);
void upg_resolved_free(struct upg_resolved *res);

#endif /* UPG_CATALOG_H */
