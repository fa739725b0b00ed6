/* SPDX-License-Identifier: MIT */
/*
 * upgrade/catalog.h - task catalogs: loading, validation and the order of
 * the tasks.
 *
 * A catalog handle collects modules and their tasks from XML catalog files
 * (see upgrade-catalog(5)), from memory, and from C code; then
 * upgrade_catalog_prepare() checks everything together and computes the
 * one deterministic order in which the tasks run.  Problems found while
 * loading and preparing are not reported one at a time: each becomes a
 * diagnostic with file, line and object, and all of them can be read back.
 *
 * Strings passed in are copied.  Strings and handles returned are borrowed
 * from the catalog and remain valid until upgrade_catalog_free().
 *
 * A catalog handle may be used by one thread at a time; once prepared, it
 * is only read, so several threads may read it at once.
 */
#ifndef UPGRADE_CATALOG_H
#define UPGRADE_CATALOG_H

#include <stddef.h>

#include "upgrade/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct upgrade_catalog;
struct upgrade_module;
struct upgrade_task;
/* The context a task runs in; defined by the runner's header. */
struct upgrade_context;

/*
 * A task written in C.  Returns UPGRADE_OK when it did its work,
 * UPGRADE_NOTHING_DONE when it found nothing to do (an always-run task is
 * then neither shown nor counted), or a negative UPGRADE_E* code on failure.
 */
typedef int (*upgrade_task_fn)(struct upgrade_context *ctx, void *userdata);

/* Task flags; upgrade_task_flags() reports them. */
#define UPGRADE_TASK_ALWAYS_RUN 0x1u /* checked on every run, never skipped as done */
#define UPGRADE_TASK_RAW 0x2u        /* once per database, steps, never recorded */
#define UPGRADE_TASK_CODE 0x4u       /* registered in C (read only) */
#define UPGRADE_TASK_GUARDED 0x8u    /* has an <only-if> guard (read only) */
#define UPGRADE_TASK_INSTALL 0x10u   /* a module's install block (read only) */

/* Version of the canonical form that upgrade_task_checksum() hashes. */
#define UPGRADE_CHECKSUM_VERSION 1

/* Limits, see upgrade_catalog_set_limit(). */
enum upgrade_catalog_limit {
	UPGRADE_CATALOG_LIMIT_FILE_SIZE = 1,  /* bytes per file; 16 MiB */
	UPGRADE_CATALOG_LIMIT_DEPTH = 2,      /* element nesting; 32 */
	UPGRADE_CATALOG_LIMIT_NAME = 3,       /* bytes per name; 1024 */
	UPGRADE_CATALOG_LIMIT_FILE_TASKS = 4, /* tasks per file; 100000 */
	UPGRADE_CATALOG_LIMIT_FILES = 5,      /* files per catalog; 10000 */
	UPGRADE_CATALOG_LIMIT_TASKS = 6,      /* tasks per catalog; 1000000 */
	UPGRADE_CATALOG_LIMIT_ATTRIBUTES = 7, /* attributes per element; 64 */
	UPGRADE_CATALOG_LIMIT_CHILDREN = 8,   /* child elements per element; 200000 */
	UPGRADE_CATALOG_LIMIT_VALUE = 9,      /* bytes per attribute value; 1 MiB */
	UPGRADE_CATALOG_LIMIT_NODES = 10      /* XML nodes per file; 1000000 */
};

/* Creates an empty catalog.  *out is NULL on failure (UPGRADE_ENOMEM). */
UPGRADE_EXTERN int upgrade_catalog_new(struct upgrade_catalog **out);

/* Frees the catalog and everything borrowed from it; NULL is a no-op. */
UPGRADE_EXTERN void upgrade_catalog_free(struct upgrade_catalog *cat);

/*
 * Changes a limit (enum upgrade_catalog_limit) for the files loaded after
 * this call.  UPGRADE_EINVAL for an unknown limit or a value of 0.
 */
UPGRADE_EXTERN int upgrade_catalog_set_limit(struct upgrade_catalog *cat,
                                             enum upgrade_catalog_limit limit, size_t value);

/*
 * Remembers in dir the catalog files that loaded without a diagnostic, and
 * what they built, so that the same bytes loaded later (same schema, same
 * library) skip compiling the schema, validating and parsing.  dir is
 * created (mode 0700) if missing, inside
 * a directory of the user's only, and not used unless it belongs to the
 * user and nobody else may write to it.
 * NULL (the default) turns it off.  For files loaded after this call.
 */
UPGRADE_EXTERN int upgrade_catalog_set_cache_dir(struct upgrade_catalog *cat, const char *dir);

/* How many of the files loaded so far skipped validation thanks to the cache. */
UPGRADE_EXTERN size_t upgrade_catalog_cache_hits(const struct upgrade_catalog *cat);
/* How many of those were taken from the cache as built, without parsing them. */
UPGRADE_EXTERN size_t upgrade_catalog_cache_compiled(const struct upgrade_catalog *cat);

/*
 * Loading.  Each call adds the modules it finds.  A problem in a file
 * becomes a diagnostic and the call returns UPGRADE_EPARSE (or
 * UPGRADE_ENOTFOUND for a path that does not exist); the catalog stays
 * usable, so a caller may load everything and then report all problems.
 *
 * _load_dir reads the files named "*.xml" (not starting with a dot) of one
 * directory, not its subdirectories, in strcmp() order of their names.
 * _load_path takes a file or a directory.  _load_memory parses len bytes
 * of buf; name stands for the file in diagnostics.
 */
UPGRADE_EXTERN int upgrade_catalog_load_file(struct upgrade_catalog *cat, const char *path);
UPGRADE_EXTERN int upgrade_catalog_load_dir(struct upgrade_catalog *cat, const char *path);
UPGRADE_EXTERN int upgrade_catalog_load_path(struct upgrade_catalog *cat, const char *path);
UPGRADE_EXTERN int upgrade_catalog_load_memory(struct upgrade_catalog *cat, const char *name,
                                               const void *buf, size_t len);

/*
 * Sets the value of the placeholder ${name}: for every module when name is
 * a plain parameter name, for one module when it is "module:param" (which
 * wins).  Setting a name again replaces the value.  Call before
 * upgrade_catalog_prepare().
 */
UPGRADE_EXTERN int upgrade_catalog_set_param(struct upgrade_catalog *cat, const char *name,
                                             const char *value);

/*
 * Registers a module from C.  depends is a NULL-terminated array of module
 * names, or NULL.  A module registered twice, from C or XML, is an error.
 */
UPGRADE_EXTERN int upgrade_catalog_add_module(struct upgrade_catalog *cat, const char *name,
                                              const char *const *depends);

/*
 * Registers a task written in C in an existing module (from C or XML); it
 * is declared after the tasks the module has so far.  flags is 0 or
 * UPGRADE_TASK_ALWAYS_RUN and/or UPGRADE_TASK_RAW (raw implies always-run).
 * requires is a task id "module:name" or NULL.  fn is called with userdata
 * when the task runs.
 */
UPGRADE_EXTERN int upgrade_catalog_add_task(struct upgrade_catalog *cat, const char *module,
                                            const char *name, upgrade_task_fn fn, void *userdata,
                                            unsigned flags, const char *requires);

/*
 * Checks everything loaded and registered together and computes the order
 * of the tasks.  Returns UPGRADE_OK, or UPGRADE_EPARSE when any diagnostic
 * exists (from loading or from this check).  Call once; afterwards the
 * catalog accepts no more modules, tasks or parameters.
 */
UPGRADE_EXTERN int upgrade_catalog_prepare(struct upgrade_catalog *cat);

/*
 * Restricts the catalog to the modules whose names match pattern
 * (fnmatch(3)) and, transitively, the modules they depend on and the
 * modules of the tasks they require.  Repeatable (the union is selected);
 * call before upgrade_catalog_prepare(), which applies it and fails with
 * UPGRADE_ENOTFOUND when a pattern matches no module.  Modules left out
 * are not counted, listed, found, planned or run.
 */
UPGRADE_EXTERN int upgrade_catalog_select_modules(struct upgrade_catalog *cat, const char *pattern);

/*
 * Checks that every task of a prepared catalog can run on a dialect
 * ("sqlite", "postgresql", "mysql", "mssql", "generic"): every <choose>
 * has an alternative for it, and what the alternatives it takes use is
 * there (names within the engine's length, enumerations).  NULL checks
 * every dialect the catalog names.  Problems become diagnostics; returns
 * UPGRADE_EPARSE if there are any, UPGRADE_ENOTFOUND for an unknown
 * dialect.
 */
UPGRADE_EXTERN int upgrade_catalog_check_dialect(struct upgrade_catalog *cat, const char *dialect);

/*
 * Diagnostics, in file order then line order.  upgrade_catalog_diag()
 * stores into each non-NULL out-parameter: the file (or the name given to
 * _load_memory, or "<C>" for things registered in C), the line (0 when
 * none), the object (a task id, a module name, or "" for the file itself)
 * and the message, which does not repeat the object: print them as
 * "FILE:LINE: error: OBJECT: MESSAGE".  UPGRADE_ENOTFOUND when index is out
 * of range.
 */
UPGRADE_EXTERN size_t upgrade_catalog_diag_count(const struct upgrade_catalog *cat);
UPGRADE_EXTERN int upgrade_catalog_diag(const char **file, unsigned long *line, const char **object,
                                        const char **message, const struct upgrade_catalog *cat,
                                        size_t index);

/*
 * Warnings: what loading skipped without it being an error, such as an
 * entry of a directory that is not a regular file.  They do not make a
 * load or upgrade_catalog_prepare() fail.  The out-parameters are those of
 * upgrade_catalog_diag(); print them as "FILE:LINE: warning: MESSAGE".
 * They are kept in the order they were found.  UPGRADE_ENOTFOUND when
 * index is out of range.
 */
UPGRADE_EXTERN size_t upgrade_catalog_warning_count(const struct upgrade_catalog *cat);
UPGRADE_EXTERN int upgrade_catalog_warning(const char **file, unsigned long *line,
                                           const char **object, const char **message,
                                           const struct upgrade_catalog *cat, size_t index);

/*
 * The last failure of a call on this handle ("" and UPGRADE_OK when none):
 * for a load or prepare that found problems, a summary such as "3 errors".
 * Every handle has the same four accessors (see libupgrade(3)); a catalog
 * talks to no database, so its SQLSTATE is always "" and its native code 0.
 */
UPGRADE_EXTERN const char *upgrade_catalog_error(const struct upgrade_catalog *cat);
UPGRADE_EXTERN int upgrade_catalog_error_code(const struct upgrade_catalog *cat);
UPGRADE_EXTERN const char *upgrade_catalog_sqlstate(const struct upgrade_catalog *cat);
UPGRADE_EXTERN long upgrade_catalog_native_error(const struct upgrade_catalog *cat);

/*
 * The prepared plan: every task, in the order they run.  Before a
 * successful upgrade_catalog_prepare() the count is 0.
 */
UPGRADE_EXTERN size_t upgrade_catalog_task_count(const struct upgrade_catalog *cat);
UPGRADE_EXTERN const struct upgrade_task *upgrade_catalog_task_at(const struct upgrade_catalog *cat,
                                                                  size_t index);
/* A task by its id "module:name", or NULL. */
UPGRADE_EXTERN const struct upgrade_task *upgrade_catalog_find_task(const struct upgrade_catalog *cat,
                                                                    const char *id);

/* Modules, in module-dependency order once prepared (else as registered). */
UPGRADE_EXTERN size_t upgrade_catalog_module_count(const struct upgrade_catalog *cat);
UPGRADE_EXTERN const struct upgrade_module *upgrade_catalog_module_at(const struct upgrade_catalog *cat,
                                                                      size_t index);
/* A module by name, or NULL. */
UPGRADE_EXTERN const struct upgrade_module *upgrade_catalog_find_module(const struct upgrade_catalog *cat,
                                                                        const char *name);

/* A task's attributes.  description, requires and checksum may be NULL. */
UPGRADE_EXTERN const char *upgrade_task_id(const struct upgrade_task *task);
UPGRADE_EXTERN const char *upgrade_task_module(const struct upgrade_task *task);
UPGRADE_EXTERN const char *upgrade_task_name(const struct upgrade_task *task);
UPGRADE_EXTERN const char *upgrade_task_description(const struct upgrade_task *task);
UPGRADE_EXTERN unsigned upgrade_task_flags(const struct upgrade_task *task);
UPGRADE_EXTERN const char *upgrade_task_requires(const struct upgrade_task *task);
UPGRADE_EXTERN const char *upgrade_task_file(const struct upgrade_task *task);
UPGRADE_EXTERN unsigned long upgrade_task_line(const struct upgrade_task *task);
/* 64 lowercase hex digits (SHA-256, UPGRADE_CHECKSUM_VERSION); NULL for C tasks. */
UPGRADE_EXTERN const char *upgrade_task_checksum(const struct upgrade_task *task);

/* A module's attributes.  description may be NULL. */
UPGRADE_EXTERN const char *upgrade_module_name(const struct upgrade_module *module);
UPGRADE_EXTERN const char *upgrade_module_description(const struct upgrade_module *module);
UPGRADE_EXTERN const char *upgrade_module_file(const struct upgrade_module *module);
UPGRADE_EXTERN unsigned long upgrade_module_line(const struct upgrade_module *module);
UPGRADE_EXTERN size_t upgrade_module_depends_count(const struct upgrade_module *module);
UPGRADE_EXTERN const char *upgrade_module_depends_at(const struct upgrade_module *module, size_t index);
/* Number of tasks the module declares. */
UPGRADE_EXTERN size_t upgrade_module_task_count(const struct upgrade_module *module);
/*
 * The module's install block (<install>, or registered in C), run instead
 * of recording the module's tasks when the module is first seen in a
 * schema; NULL when it has none.  It is a task object (flag
 * UPGRADE_TASK_INSTALL) in neither the plan nor the task lookups.
 */
UPGRADE_EXTERN const struct upgrade_task *upgrade_module_install(const struct upgrade_module *module);
/*
 * Registers fn as the install block of a module registered before (which
 * must have none).  Call before upgrade_catalog_prepare().
 */
UPGRADE_EXTERN int upgrade_catalog_set_install(struct upgrade_catalog *cat, const char *module,
                                               upgrade_task_fn fn, void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* UPGRADE_CATALOG_H */
