/* SPDX-License-Identifier: MIT */
/*
 * ops.h - the operations layer's API: the portable operations the task
 * context carries out, the introspection they rely on, and the rendering
 * of schema changes for a dialect that both they and the drivers use.
 *
 * Three layers, each usable without the next:
 *   render.c     turns an operation into statements for a dialect; needs no
 *                connection, so the SQL Server statements can be checked
 *                without a server;
 *   introspect.c answers "does it exist" and "which columns" through the
 *                dialect's hooks, or the ODBC catalog functions;
 *   ops.c        carries out operations on a context: introspection for
 *                if-exists, the statements, or the dialect's alter_table.
 *
 * Identifiers are always quoted through the dialect; values are always
 * bound as parameters, except the constants of DDL (defaults, enum labels)
 * that no engine accepts as parameters: those become literals through
 * upg_r_literal(), which escapes for the dialect.
 */
#ifndef UPG_OPS_H
#define UPG_OPS_H

#include <stddef.h>

#include "connection.h"

struct upgrade_context;

/* Flags shared with the public API (UPGRADE_IF_EXISTS, ...). */
#define UPG_IF_EXISTS 0x1u
#define UPG_IF_NOT_EXISTS 0x2u
#define UPG_UNIQUE 0x4u

/* A column type: a portable kind with its sizes, or the engine's own type. */
struct upg_coltype {
	enum upg_type kind;
	unsigned long length;    /* VARCHAR */
	unsigned long precision; /* NUMERIC; 0 = not given */
	unsigned long scale;     /* NUMERIC */
	const char *sql;         /* kind NONE: used as written */
};

/* A column of create-table or add-column. */
struct upg_coldef {
	const char *name;
	struct upg_coltype type;
	int notnull;
	const char *def_value; /* a constant, rendered as a literal */
	const char *def_sql;   /* an SQL expression, as written */
	int pk;
	int unique;
};

/* Nullability and default changes; the values are those of the public API. */
enum { UPG_NULL_KEEP = 0, UPG_NULL_ALLOW = 1, UPG_NULL_FORBID = 2 };
enum { UPG_DEF_KEEP = 0, UPG_DEF_VALUE = 1, UPG_DEF_SQL = 2, UPG_DEF_DROP = 3 };

/* Foreign key actions; the values are those of the public API. */
enum {
	UPG_FK_NONE = 0,
	UPG_FK_CASCADE,
	UPG_FK_SET_NULL,
	UPG_FK_SET_DEFAULT,
	UPG_FK_RESTRICT,
	UPG_FK_NO_ACTION
};

struct upg_alter {
	const char *table;
	const char *column;
	struct upg_coltype type; /* kind NONE and sql NULL: the type stays */
	int null_change;
	int def_change;
	const char *def; /* UPG_DEF_VALUE: a constant; UPG_DEF_SQL: an expression */
	const char *using_sql;
	/*
	 * The column as it is now, for engines that restate the whole column
	 * (MariaDB's MODIFY, SQL Server's ALTER COLUMN); NULL if unknown.
	 */
	const struct upg_colinfo *current;
	/*
	 * The column's type when the type does not change, to write a constant
	 * default the way the type wants it (booleans, numbers); NULL: as text.
	 */
	const struct upg_coltype *value_type;
};

/* The type a constant default of a is written for. */
static inline const struct upg_coltype *
upg_alter_value_type(const struct upg_alter *a)
{
	return a->type.kind != UPG_TYPE_NONE || a->value_type == NULL ? &a->type : a->value_type;
}

/* What upg_dialect.alter_table is asked to do. */
enum upg_change_kind {
	UPG_CHG_ALTER_COLUMN = 1, /* alter */
	UPG_CHG_DROP_COLUMN,      /* name */
	UPG_CHG_ADD_CONSTRAINT,   /* constraint_sql, rendered and quoted */
	UPG_CHG_DROP_CONSTRAINT   /* name, ctype */
};

struct upg_table_change {
	enum upg_change_kind kind;
	const struct upg_alter *alter;
	const char *name;
	int ctype;
	const char *constraint_sql;
};

/*
 * A renderer collects the statements of one operation.  Failures are
 * sticky: the first sets ret and the message in *err, later calls do
 * nothing, so render code checks once at the end.
 */
struct upg_render {
	const struct upg_dialect *d;
	char qo, qc;        /* identifier quotes */
	const char *schema; /* names are qualified with it; NULL: unqualified */
	unsigned caps;
	long version; /* upg_version_parse() of the engine; 0 when unknown */
	struct upg_error *err;
	char **stmts;
	size_t nstmts, capstmts;
	struct upg_buf cur;
	int ret;
};

/*
 * Sets r up for conn's dialect (connected, or forced with
 * upgrade_conn_set_dialect() for rendering only).  schema qualifies table
 * names on engines with schemas; pass NULL to leave them unqualified.
 */
int upg_render_init(struct upg_render *r, struct upgrade_conn *conn, const char *schema);
void upg_render_free(struct upg_render *r);
/* Sets the sticky failure; returns code. */
int upg_r_fail(struct upg_render *r, int code, const char *fmt, ...) UPG_PRINTF(3, 4);
void upg_r_puts(struct upg_render *r, const char *s);
void upg_r_printf(struct upg_render *r, const char *fmt, ...) UPG_PRINTF(2, 3);
/* A quoted identifier; an identifier the dialect cannot quote fails r. */
void upg_r_ident(struct upg_render *r, const char *name);
/* A table (or type, index, ...) name, schema-qualified when r->schema is set. */
void upg_r_qname(struct upg_render *r, const char *name);
/* A string literal, escaped for the dialect. */
void upg_r_literal(struct upg_render *r, const char *value);
/* A default value: numbers and the boolean words as they are, else a literal. */
void upg_r_value(struct upg_render *r, const char *value, const struct upg_coltype *type);
void upg_r_type(struct upg_render *r, const struct upg_coltype *type);
/* "(a, b, c)", quoted. */
void upg_r_names(struct upg_render *r, const char *const *names, size_t n);
/* A column definition: name, type, NOT NULL, DEFAULT, and PRIMARY KEY / UNIQUE when inline. */
void upg_r_coldef(struct upg_render *r, const struct upg_coldef *c, int inline_keys);
/* Ends the statement being rendered and starts the next. */
void upg_r_end(struct upg_render *r);
/* Takes the text rendered since the last upg_r_end() (allocated), or NULL after a failure. */
char *upg_r_take(struct upg_render *r);

/* One function per operation; each appends its statements and returns r->ret. */
int upg_render_create_table(struct upg_render *r, const char *table, const struct upg_coldef *cols,
                            size_t ncols);
int upg_render_drop_table(struct upg_render *r, const char *table);
int upg_render_rename_table(struct upg_render *r, const char *from, const char *to);
int upg_render_add_column(struct upg_render *r, const char *table, const struct upg_coldef *col);
int upg_render_drop_column(struct upg_render *r, const char *table, const char *column);
int upg_render_rename_column(struct upg_render *r, const char *table, const char *from,
                             const char *to);
int upg_render_alter_column(struct upg_render *r, const struct upg_alter *a);
int upg_render_create_index(struct upg_render *r, const char *name, const char *table,
                            const char *const *cols, size_t ncols, int unique);
int upg_render_drop_index(struct upg_render *r, const char *name, const char *table);
/* "CONSTRAINT k UNIQUE (...)" and friends, without ALTER TABLE: for the rebuild too. */
int upg_render_constraint_unique(struct upg_render *r, const char *name, const char *const *cols,
                                 size_t ncols);
int upg_render_constraint_fk(struct upg_render *r, const char *name, const char *const *cols,
                             size_t ncols, const char *ref_table, const char *const *ref_cols,
                             size_t nref, int on_delete, int on_update);
int upg_render_constraint_check(struct upg_render *r, const char *name, const char *expr);
/* ALTER TABLE t ADD <constraint>, the constraint rendered by one of the above. */
int upg_render_add_constraint(struct upg_render *r, const char *table, const char *constraint_sql);
int upg_render_drop_constraint(struct upg_render *r, const char *table, const char *name,
                               int ctype);

/* The ANSI renderings, for drivers whose hooks handle only some cases. */
int upg_render_alter_column_ansi(struct upg_render *r, const struct upg_alter *a,
                                 const char *type_keyword, int allow_using);

/* ---- column types ----------------------------------------------------------- */

/*
 * Parses a portable type ("integer", "varchar(200)", "numeric(12,2)", ...)
 * into *t.  UPGRADE_EINVAL with a message in err for anything else.
 */
int upg_coltype_parse(struct upg_coltype *t, const char *spec, struct upg_error *err);
/* The name of a portable type kind ("varchar"), NULL for none. */
const char *upg_type_name(enum upg_type kind);

/* ---- introspection (introspect.c) ---------------------------------------------- */

/*
 * The schema the context works on: ctx->schema, else the connection's
 * current schema, else the dialect's default.  *out is allocated.
 */
int upg_ctx_schema(struct upgrade_context *ctx, char **out);
/* Does the object exist?  See enum upg_object for what table and name mean. */
int upg_exists(struct upgrade_context *ctx, enum upg_object kind, const char *table,
               const char *name, int ctype, int *found);
/* Calls fn for every column of table; UPGRADE_ENOTFOUND when the table has none. */
int upg_columns(struct upgrade_context *ctx, const char *table, upg_colinfo_fn fn, void *ud);
int upg_is_empty(struct upgrade_context *ctx, const char *table, int *empty);
/* A upg_row_fn setting *(int *)ud when a row comes, and stopping. */
int upg_row_seen(void *ud, size_t ncols, char **values);
/*
 * A <query> guard: sets *holds to whether sql, sent as written (no
 * parameters), returns a row.
 */
int upg_query_holds(struct upgrade_context *ctx, const char *sql, int *holds);
/* Calls fn(ud, 1, &label) for each label of the enum, in order. */
int upg_enum_values(struct upgrade_context *ctx, const char *name, upg_row_fn fn, void *ud);

/* ---- operations (ops.c) ----------------------------------------------------------- */

int upg_op_create_table(struct upgrade_context *ctx, const char *table,
                        const struct upg_coldef *cols, size_t ncols, unsigned flags);
int upg_op_drop_table(struct upgrade_context *ctx, const char *table, unsigned flags);
int upg_op_rename_table(struct upgrade_context *ctx, const char *from, const char *to);
int upg_op_add_column(struct upgrade_context *ctx, const char *table, const struct upg_coldef *col,
                      unsigned flags);
int upg_op_drop_column(struct upgrade_context *ctx, const char *table, const char *column,
                       unsigned flags);
int upg_op_rename_column(struct upgrade_context *ctx, const char *table, const char *from,
                         const char *to);
int upg_op_alter_column(struct upgrade_context *ctx, const struct upg_alter *a);
/* ALTER ... SET NOT NULL: the last step of adding a filled column. */
int upg_op_forbid_null(struct upgrade_context *ctx, const char *table, const char *column);
int upg_op_create_index(struct upgrade_context *ctx, const char *name, const char *table,
                        const char *const *cols, size_t ncols, unsigned flags);
int upg_op_drop_index(struct upgrade_context *ctx, const char *name, const char *table,
                      unsigned flags);
int upg_op_add_unique(struct upgrade_context *ctx, const char *table, const char *name,
                      const char *const *cols, size_t ncols);
int upg_op_add_foreign_key(struct upgrade_context *ctx, const char *table, const char *name,
                           const char *const *cols, size_t ncols, const char *ref_table,
                           const char *const *ref_cols, size_t nref, int on_delete, int on_update);
int upg_op_add_check(struct upgrade_context *ctx, const char *table, const char *name,
                     const char *expr);
int upg_op_drop_constraint(struct upgrade_context *ctx, const char *table, const char *name,
                           int ctype, unsigned flags);
int upg_op_create_enum(struct upgrade_context *ctx, const char *name, const char *const *values,
                       size_t nvalues);
/* Adds value unless present; UPGRADE_NOTHING_DONE when it was there and flags has IF_NOT_EXISTS. */
int upg_op_add_enum_value(struct upgrade_context *ctx, const char *name, const char *value,
                          unsigned flags);
int upg_op_triggers(struct upgrade_context *ctx, const char *table, int on);

/* Runs the rendered statements of r on conn, in order; r's failure if rendering failed. */
int upg_exec_rendered(struct upgrade_conn *conn, struct upg_render *r);

/*
 * Adds a hint to the connection's error when the engine's message has a
 * cause worth explaining (an enum value used in the transaction that
 * added it).  Returns ret.
 */
int upg_explain_error(struct upgrade_conn *conn, int ret);

#endif /* UPG_OPS_H */
