/* SPDX-License-Identifier: MIT */
/*
 * upgrade/context.h - what a task written in C sees while it runs: the
 * schema it upgrades, questions about that schema, portable schema
 * changes, statements with bound parameters, and filling a new column.
 *
 * The runner hands a context to every C task (upgrade_task_fn) and to
 * every <native> function (upgrade_native_fn); upgrade_context_new() makes
 * one for programs of their own.  The runner owns the transaction: nothing
 * here commits or rolls back, except upgrade_context_end_step() of raw
 * tasks.  Failures return a negative UPGRADE_E* code and leave the message
 * (and SQLSTATE) on the context's connection, see upgrade_context_error().
 *
 * Names of tables, columns and so on are identifiers: they are quoted for
 * the engine, never interpreted, so "Order Items" or "Bücher" name exactly
 * that.  Values are bound as parameters.  Strings passed in are copied or
 * used only during the call.
 */
#ifndef UPGRADE_CONTEXT_H
#define UPGRADE_CONTEXT_H

#include <stddef.h>

#include "upgrade/common.h"
#include "upgrade/connection.h"

#ifdef __cplusplus
extern "C" {
#endif

struct upgrade_context;

/* Flags of the operations. */
#define UPGRADE_IF_EXISTS 0x1u     /* drop only what exists; nothing else is done */
#define UPGRADE_IF_NOT_EXISTS 0x2u /* create only what does not exist yet */
#define UPGRADE_UNIQUE 0x4u        /* create a unique index */

/* Constraint types, for has_constraint and drop_constraint. */
enum upgrade_constraint_type {
	UPGRADE_CONSTRAINT_ANY = 0,
	UPGRADE_CONSTRAINT_PRIMARY_KEY = 1,
	UPGRADE_CONSTRAINT_UNIQUE = 2,
	UPGRADE_CONSTRAINT_FOREIGN_KEY = 3,
	UPGRADE_CONSTRAINT_CHECK = 4
};

/* What a foreign key does when the row it refers to goes or changes. */
enum upgrade_fk_action {
	UPGRADE_FK_DEFAULT = 0, /* the engine's default (no clause) */
	UPGRADE_FK_CASCADE = 1,
	UPGRADE_FK_SET_NULL = 2,
	UPGRADE_FK_SET_DEFAULT = 3,
	UPGRADE_FK_RESTRICT = 4,
	UPGRADE_FK_NO_ACTION = 5
};

/* A column's nullability in upgrade_column_change. */
enum upgrade_nullability {
	UPGRADE_NULL_KEEP = 0,  /* leave it */
	UPGRADE_NULL_ALLOW = 1, /* DROP NOT NULL */
	UPGRADE_NULL_FORBID = 2 /* SET NOT NULL */
};

/*
 * Versions of the structs a caller fills (struct upgrade_column,
 * upgrade_column_change, upgrade_fill).  Each begins with a version that
 * the library checks (UPGRADE_EINVAL when it does not know it): set it
 * with the UPGRADE_*_INIT initializer or the upgrade_*_init() function.
 * A later release may append members and raise the version; a program
 * built against this header keeps working, since the library reads only
 * the members of the version the program set, and steps through an array
 * by that version's size.
 */
#define UPGRADE_COLUMN_VERSION 1
#define UPGRADE_COLUMN_CHANGE_VERSION 1
#define UPGRADE_FILL_VERSION 1

/*
 * A column for create_table, add_column and add_column_with_defaults.
 * Initialise it with UPGRADE_COLUMN_INIT (every other member zero) or
 * upgrade_column_init(), and set what is needed.  type is one of the
 * portable types "integer", "bigint", "text", "varchar(N)", "boolean",
 * "timestamp", "date", "numeric", "numeric(P)", "numeric(P,S)", "json",
 * "blob" (see upgrade-dialects(7) for what each becomes); sql_type, used
 * when type is NULL, is the engine's own type name, as written.
 * default_value is a constant (quoted for the engine), default_sql an SQL
 * expression (as written); give at most one.
 */
struct upgrade_column {
	unsigned int version; /* UPGRADE_COLUMN_VERSION */
	const char *name;
	const char *type;
	const char *sql_type;
	int not_null;
	const char *default_value;
	const char *default_sql;
	int primary_key;
	int unique;
};

#define UPGRADE_COLUMN_INIT {.version = UPGRADE_COLUMN_VERSION}

/*
 * A change of a column for alter_column: each part is optional.  A new
 * type (type or sql_type) may come with using_sql, PostgreSQL's USING
 * conversion (SQLite's rebuild uses it as the expression that copies the
 * column).  default_value / default_sql set a default, drop_default drops
 * it.  Initialise it with UPGRADE_COLUMN_CHANGE_INIT or
 * upgrade_column_change_init().
 */
struct upgrade_column_change {
	unsigned int version; /* UPGRADE_COLUMN_CHANGE_VERSION */
	const char *type;
	const char *sql_type;
	const char *using_sql;
	enum upgrade_nullability nullability;
	const char *default_value;
	const char *default_sql;
	int drop_default;
};

#define UPGRADE_COLUMN_CHANGE_INIT {.version = UPGRADE_COLUMN_CHANGE_VERSION}

/* A row handed to a callback: column names and values as text (NULL for SQL NULL). */
struct upgrade_row {
	size_t ncols;
	const char *const *names; /* NULL for upgrade_context_query() */
	const char *const *values;
};

/*
 * Called for each row.  Return 0 to go on, a positive value to stop (the
 * call then returns UPGRADE_OK), a negative UPGRADE_E* code to fail with it.
 * The row is valid only during the call.
 */
typedef int (*upgrade_row_fn)(const struct upgrade_row *row, void *userdata);

/*
 * Computes the value of the new column for one row: *value is the text to
 * store (NULL for SQL NULL), read before the next call, so the function may
 * reuse one buffer.  Returns 0, or a negative UPGRADE_E* code to fail.
 */
typedef int (*upgrade_fill_fn)(const char **value, const struct upgrade_row *row, void *userdata);

#define UPGRADE_FILL_SUSPEND_TRIGGERS 0x1u /* triggers of the table are off while filling */

/*
 * How add_column_with_defaults fills existing rows: exactly one of value
 * (a constant), sql (an SQL expression over the row's other columns) and
 * fn (called per row with the columns listed in columns, a NULL-terminated
 * array, or all of them when columns is NULL).  Initialise it with
 * UPGRADE_FILL_INIT or upgrade_fill_init().
 */
struct upgrade_fill {
	unsigned int version; /* UPGRADE_FILL_VERSION */
	const char *value;
	const char *sql;
	upgrade_fill_fn fn;
	void *userdata;
	const char *const *columns;
	size_t batch_rows; /* rows per batch of fn; 0 means 1000; at most 100000 */
	unsigned flags;    /* UPGRADE_FILL_SUSPEND_TRIGGERS */
};

#define UPGRADE_FILL_INIT {.version = UPGRADE_FILL_VERSION}

/*
 * Zero a struct (or each element of an array, one call per element) and
 * set its version, for callers that cannot use the initializers (C++, or
 * memory from malloc).  version is the caller's UPGRADE_*_VERSION;
 * UPGRADE_EINVAL for NULL or a version this library does not know.
 */
UPGRADE_EXTERN int upgrade_column_init(struct upgrade_column *column, unsigned int version);
UPGRADE_EXTERN int upgrade_column_change_init(struct upgrade_column_change *change,
                                              unsigned int version);
UPGRADE_EXTERN int upgrade_fill_init(struct upgrade_fill *fill, unsigned int version);

/*
 * A function of a <native> action: ctx is the running task's context, arg
 * the action's arg attribute (NULL when absent).  Returns UPGRADE_OK when
 * it may have changed something, UPGRADE_NOTHING_DONE when it surely did
 * not (an always-run or raw task whose actions all changed nothing is not
 * shown), or a negative UPGRADE_E* code to fail the task.
 */
typedef int (*upgrade_native_fn)(struct upgrade_context *ctx, const char *arg);

/* ---- the context ------------------------------------------------------------ */

/*
 * A context of one's own, for using the helpers outside the runner: conn
 * is borrowed, schema (NULL: the connection's current one) is copied.
 */
UPGRADE_EXTERN int upgrade_context_new(struct upgrade_context **out, struct upgrade_conn *conn,
                                       const char *schema);
/* Frees a context made by upgrade_context_new(); NULL is a no-op. */
UPGRADE_EXTERN void upgrade_context_free(struct upgrade_context *ctx);

/* The connection the task runs on, for what the helpers do not cover. */
UPGRADE_EXTERN struct upgrade_conn *upgrade_context_conn(const struct upgrade_context *ctx);
/* The schema being upgraded (NULL: the connection's current schema). */
UPGRADE_EXTERN const char *upgrade_context_schema(const struct upgrade_context *ctx);
/* Raw tasks: the target schemas of the run; 0 and NULL for other tasks. */
UPGRADE_EXTERN size_t upgrade_context_schema_count(const struct upgrade_context *ctx);
UPGRADE_EXTERN const char *upgrade_context_schema_at(const struct upgrade_context *ctx,
                                                     size_t index);
/* 1 in a dry run, whose changes are rolled back. */
UPGRADE_EXTERN int upgrade_context_is_dry_run(const struct upgrade_context *ctx);
/*
 * The last failure on the context's connection: message, return code,
 * SQLSTATE and native code ("", UPGRADE_OK, "" and 0 if none), as
 * upgrade_conn_error() and its siblings report them.
 */
UPGRADE_EXTERN const char *upgrade_context_error(const struct upgrade_context *ctx);
UPGRADE_EXTERN int upgrade_context_error_code(const struct upgrade_context *ctx);
UPGRADE_EXTERN const char *upgrade_context_sqlstate(const struct upgrade_context *ctx);
UPGRADE_EXTERN long upgrade_context_native_error(const struct upgrade_context *ctx);

/* Raw tasks: records that the task changed something (it is then shown and counted). */
UPGRADE_EXTERN void upgrade_context_changed(struct upgrade_context *ctx);
/*
 * Raw tasks: ends the current step, committing its work (rolling it back in
 * a dry run), and begins the next, like one step of a catalog's raw task.
 * UPGRADE_EINVAL in other tasks, whose work is one transaction.
 */
UPGRADE_EXTERN int upgrade_context_end_step(struct upgrade_context *ctx);

/* ---- questions -------------------------------------------------------------- */

/*
 * Each sets *result to 1 or 0 and returns UPGRADE_OK, or fails.  Objects
 * are looked up in the context's schema only.
 *   has_table      an ordinary (or partitioned) table; views do not count
 *   has_view       a view
 *   has_column     0, not a failure, when the table does not exist
 *   has_index      table may be NULL: any table of the schema
 *   has_constraint type UPGRADE_CONSTRAINT_ANY matches any type
 *   has_enum       a true enumeration type (PostgreSQL), or an ENUM column
 *                  "table.column" (MariaDB); UPGRADE_EUNSUPPORTED elsewhere
 *   is_empty_table the table has no rows (fails if it does not exist)
 */
UPGRADE_EXTERN int upgrade_context_has_table(int *result, struct upgrade_context *ctx,
                                             const char *table);
UPGRADE_EXTERN int upgrade_context_has_view(int *result, struct upgrade_context *ctx,
                                            const char *view);
UPGRADE_EXTERN int upgrade_context_has_column(int *result, struct upgrade_context *ctx,
                                              const char *table, const char *column);
UPGRADE_EXTERN int upgrade_context_has_index(int *result, struct upgrade_context *ctx,
                                             const char *table, const char *index);
UPGRADE_EXTERN int upgrade_context_has_constraint(int *result, struct upgrade_context *ctx,
                                                  const char *table, const char *name,
                                                  enum upgrade_constraint_type type);
UPGRADE_EXTERN int upgrade_context_has_enum(int *result, struct upgrade_context *ctx,
                                            const char *name);
UPGRADE_EXTERN int upgrade_context_is_empty_table(int *result, struct upgrade_context *ctx,
                                                  const char *table);

/*
 * The labels of an enum of the context's schema, in order: *values is a
 * NULL-terminated array in one allocation, released with upgrade_free();
 * *count (may be NULL) gets their number.  An enum that does not exist has
 * no labels.
 */
UPGRADE_EXTERN int upgrade_context_enum_values(char ***values, size_t *count,
                                               struct upgrade_context *ctx, const char *name);

/* ---- statements ---------------------------------------------------------------- */

/*
 * Executes one statement with nparams '?' parameters bound as text (NULL
 * binds SQL NULL).  *rowcount (may be NULL) gets the rows it changed.
 */
UPGRADE_EXTERN int upgrade_context_exec(long *rowcount, struct upgrade_context *ctx,
                                        const char *sql, size_t nparams, const char *const *params);
/* Runs a query the same way and calls fn (may be NULL) for each row. */
UPGRADE_EXTERN int upgrade_context_query(struct upgrade_context *ctx, const char *sql,
                                         size_t nparams, const char *const *params,
                                         upgrade_row_fn fn, void *userdata);

/*
 * Calls fn for every row of table with the listed columns (a NULL-terminated
 * array; NULL means all columns), in primary key order.  Rows are read in
 * batches by primary key (SQLite: rowid), so memory does not grow with the
 * table; a table without either is read in one query.
 */
UPGRADE_EXTERN int upgrade_context_records_per_table(struct upgrade_context *ctx, const char *table,
                                                     const char *const *columns, upgrade_row_fn fn,
                                                     void *userdata);

/*
 * Adds column to table, nullable; fills the existing rows as fill says
 * (nothing to fill in an empty table); then forbids NULL if column says
 * not_null.  A constant or an SQL expression is one set-based UPDATE
 * (engines that can add a column with a constant default without writing
 * every row do so); a function is called per row, in batches of rows
 * by primary key, with memory independent of the table's size.
 */
UPGRADE_EXTERN int upgrade_context_add_column_with_defaults(struct upgrade_context *ctx,
                                                            const char *table,
                                                            const struct upgrade_column *column,
                                                            const struct upgrade_fill *fill);

/*
 * Switches the user triggers of table off until resumed, within the task's
 * transaction: PostgreSQL (ALTER TABLE ... DISABLE TRIGGER USER), SQL Server
 * (DISABLE TRIGGER ALL), SQLite (the triggers are dropped and created
 * again).  UPGRADE_EUNSUPPORTED on MariaDB and the generic dialect.
 */
UPGRADE_EXTERN int upgrade_context_suspend_triggers(struct upgrade_context *ctx, const char *table);
UPGRADE_EXTERN int upgrade_context_resume_triggers(struct upgrade_context *ctx, const char *table);

/* ---- portable operations ------------------------------------------------------------ */

UPGRADE_EXTERN int upgrade_context_create_table(struct upgrade_context *ctx, const char *table,
                                                const struct upgrade_column *columns,
                                                size_t ncolumns, unsigned flags);
UPGRADE_EXTERN int upgrade_context_drop_table(struct upgrade_context *ctx, const char *table,
                                              unsigned flags);
UPGRADE_EXTERN int upgrade_context_rename_table(struct upgrade_context *ctx, const char *from,
                                                const char *to);
UPGRADE_EXTERN int upgrade_context_add_column(struct upgrade_context *ctx, const char *table,
                                              const struct upgrade_column *column, unsigned flags);
UPGRADE_EXTERN int upgrade_context_drop_column(struct upgrade_context *ctx, const char *table,
                                               const char *column, unsigned flags);
UPGRADE_EXTERN int upgrade_context_rename_column(struct upgrade_context *ctx, const char *table,
                                                 const char *from, const char *to);
UPGRADE_EXTERN int upgrade_context_alter_column(struct upgrade_context *ctx, const char *table,
                                                const char *column,
                                                const struct upgrade_column_change *change);
/* columns: NULL-terminated.  flags: UPGRADE_UNIQUE, UPGRADE_IF_NOT_EXISTS. */
UPGRADE_EXTERN int upgrade_context_create_index(struct upgrade_context *ctx, const char *table,
                                                const char *name, const char *const *columns,
                                                unsigned flags);
/* table may be NULL on PostgreSQL and SQLite, where index names are per schema. */
UPGRADE_EXTERN int upgrade_context_drop_index(struct upgrade_context *ctx, const char *table,
                                              const char *name, unsigned flags);
UPGRADE_EXTERN int upgrade_context_add_unique(struct upgrade_context *ctx, const char *table,
                                              const char *name, const char *const *columns);
UPGRADE_EXTERN int upgrade_context_add_foreign_key(struct upgrade_context *ctx, const char *table,
                                                   const char *name, const char *const *columns,
                                                   const char *ref_table,
                                                   const char *const *ref_columns,
                                                   enum upgrade_fk_action on_delete,
                                                   enum upgrade_fk_action on_update);
UPGRADE_EXTERN int upgrade_context_add_check(struct upgrade_context *ctx, const char *table,
                                             const char *name, const char *expression);
UPGRADE_EXTERN int upgrade_context_drop_constraint(struct upgrade_context *ctx, const char *table,
                                                   const char *name,
                                                   enum upgrade_constraint_type type,
                                                   unsigned flags);

/*
 * Enumerations (see has_enum for what they are per engine).  values is
 * NULL-terminated.  add_enum_value adds one label at the end; with
 * UPGRADE_IF_NOT_EXISTS an existing label is UPGRADE_NOTHING_DONE, not a
 * failure.  update_enum_values adds every label of values the enum lacks
 * and returns UPGRADE_NOTHING_DONE when there was none.  On PostgreSQL
 * before 12 a label cannot be added inside a transaction
 * (UPGRADE_EUNSUPPORTED); from 12 it can, but the new label cannot be used
 * before the transaction commits.
 */
UPGRADE_EXTERN int upgrade_context_create_enum(struct upgrade_context *ctx, const char *name,
                                               const char *const *values);
UPGRADE_EXTERN int upgrade_context_add_enum_value(struct upgrade_context *ctx, const char *name,
                                                  const char *value, unsigned flags);
UPGRADE_EXTERN int upgrade_context_update_enum_values(struct upgrade_context *ctx, const char *name,
                                                      const char *const *values);

#ifdef __cplusplus
}
#endif

#endif /* UPGRADE_CONTEXT_H */
