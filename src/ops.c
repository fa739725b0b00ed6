/* SPDX-License-Identifier: MIT */
/*
 * ops.c - the portable operations of tasks, carried out on a context.
 *
 * Each operation is: optional introspection (if-exists and if-not-exists
 * are decided here, the same way on every engine, instead of relying on
 * syntax only some engines have), rendering for the dialect, and the
 * statements run one by one on the task's connection.  Nothing here
 * commits or rolls back: the runner owns the transaction.  Changes that an
 * engine's ALTER TABLE cannot express go to the dialect's alter_table hook
 * (SQLite rebuilds the table).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "ops.h"

/* Prepares a renderer for ctx's schema; *schema is allocated for the caller to free. */
static int
render_start(struct upgrade_context *ctx, struct upg_render *r, char **schema)
{
	int ret;

	*schema = NULL;
	memset(r, 0, sizeof *r);
	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if ((ret = upg_ctx_schema(ctx, schema)) != UPGRADE_OK)
		return ret;
	return upg_render_init(r, ctx->conn, *schema);
}

/* Frees what render_start() made; returns ret, the operation's result. */
static int
render_done(struct upg_render *r, char *schema, int ret)
{
	upg_render_free(r);
	free(schema);
	return ret;
}

/* Appends an indented "hint:" line to conn's error, keeping its code, SQLSTATE and native code. */
static void
add_hint(struct upgrade_conn *conn, const char *hint)
{
	char state[6];
	long native;
	char *msg;

	memcpy(state, conn->err.sqlstate, sizeof state);
	native = conn->err.native;
	msg = upg_strdup(upg_error_message(&conn->err));
	if (msg == NULL)
		return;
	upg_error_set(&conn->err, conn->err.code, "%s\n  hint: %s", msg, hint);
	memcpy(conn->err.sqlstate, state, sizeof state);
	conn->err.native = native;
	free(msg);
}

int
upg_explain_error(struct upgrade_conn *conn, int ret)
{
	if (ret != UPGRADE_EDB || upg_conn_error_class(conn) != UPG_ERRC_ENUM_UNCOMMITTED)
		return ret;
	add_hint(conn, "an enum value added in this transaction cannot be used before the "
	               "transaction commits; use it in a later task");
	return ret;
}

int
upg_exec_rendered(struct upgrade_conn *conn, struct upg_render *r)
{
	size_t i;
	int ret;

	if (r->ret != UPGRADE_OK)
		return r->ret;
	for (i = 0; i < r->nstmts; i++) {
		ret = upg_db_exec(conn, r->stmts[i]);
		if (ret != UPGRADE_OK)
			return upg_explain_error(conn, ret);
	}
	return UPGRADE_OK;
}

/* ---- a column's current definition ---------------------------------------- */

struct colcopy {
	const char *want;
	struct upg_colinfo info;
	int found;
	int oom;
};

static int
copy_col(void *ud, const struct upg_colinfo *col)
{
	struct colcopy *c = ud;

	/* Compared without case: MariaDB and SQL Server column names are case-insensitive. */
	if (c->found || (strcmp(col->name, c->want) != 0 && !upg_strcaseeq(col->name, c->want)))
		return 0;
	c->found = 1;
	c->info.name = upg_strdup(col->name);
	c->info.type = upg_strdup(col->type != NULL ? col->type : "");
	c->info.def = col->def != NULL ? upg_strdup(col->def) : NULL;
	c->info.extra = col->extra != NULL ? upg_strdup(col->extra) : NULL;
	c->info.notnull = col->notnull;
	c->info.pk = col->pk;
	if (c->info.name == NULL || c->info.type == NULL ||
	    (col->def != NULL && c->info.def == NULL) ||
	    (col->extra != NULL && c->info.extra == NULL))
		c->oom = 1;
	return 0;
}

static void
colcopy_free(struct colcopy *c)
{
	free((char *)c->info.name);
	free((char *)c->info.type);
	free((char *)c->info.def);
	free((char *)c->info.extra);
	memset(&c->info, 0, sizeof c->info);
}

/* ---- tables ------------------------------------------------------------------- */

int
upg_op_create_table(struct upgrade_context *ctx, const char *table, const struct upg_coldef *cols,
                    size_t ncols, unsigned flags)
{
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if (flags & UPG_IF_NOT_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_TABLE, table, NULL, 0, &found)) != UPGRADE_OK)
			return ret;
		if (found)
			return UPGRADE_OK;
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_create_table(&r, table, cols, ncols)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

int
upg_op_drop_table(struct upgrade_context *ctx, const char *table, unsigned flags)
{
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if (flags & UPG_IF_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_TABLE, table, NULL, 0, &found)) != UPGRADE_OK)
			return ret;
		if (!found)
			return UPGRADE_OK;
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_drop_table(&r, table)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

int
upg_op_rename_table(struct upgrade_context *ctx, const char *from, const char *to)
{
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_rename_table(&r, from, to)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

/* ---- columns -------------------------------------------------------------------- */

int
upg_op_add_column(struct upgrade_context *ctx, const char *table, const struct upg_coldef *col,
                  unsigned flags)
{
	const struct upg_dialect *d;
	struct upg_coldef c = *col;
	struct upg_render r;
	char *schema;
	int ret, found = 0, later_not_null = 0;

	/* The dialect is read before anything renders, and an unconnected handle has none. */
	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	d = ctx->conn->dialect;
	if (flags & UPG_IF_NOT_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_COLUMN, table, col->name, 0, &found)) !=
		    UPGRADE_OK)
			return ret;
		if (found)
			return UPGRADE_OK;
	}
	/* Added nullable, the column forbids NULL afterwards: that fails only if there are rows. */
	if ((d->traits & UPG_TRAIT_NOT_NULL_AFTER_ADD) && c.notnull && c.def_value == NULL && c.def_sql == NULL &&
	    !c.pk) {
		c.notnull = 0;
		later_not_null = 1;
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_add_column(&r, table, &c)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	render_done(&r, schema, ret);
	if (ret == UPGRADE_OK && later_not_null)
		ret = upg_op_forbid_null(ctx, table, col->name);
	return ret;
}

int
upg_op_forbid_null(struct upgrade_context *ctx, const char *table, const char *column)
{
	struct upg_alter a;

	memset(&a, 0, sizeof a);
	a.table = table;
	a.column = column;
	a.null_change = UPG_NULL_FORBID;
	return upg_op_alter_column(ctx, &a);
}

/* Hands a change to the dialect's alter_table hook. */
static int
change_table(struct upgrade_context *ctx, const char *table, const struct upg_table_change *chg)
{
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	/* The hook reads the names as data: check them as the renderer would. */
	if (table == NULL || table[0] == '\0' ||
	    ((chg->kind == UPG_CHG_DROP_COLUMN || chg->kind == UPG_CHG_DROP_CONSTRAINT) &&
	     (chg->name == NULL || chg->name[0] == '\0')) ||
	    (chg->kind == UPG_CHG_ALTER_COLUMN &&
	     (chg->alter->column == NULL || chg->alter->column[0] == '\0')))
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "empty table or column name");
	ret = ctx->conn->dialect->alter_table(ctx->conn, table, chg);
	return upg_explain_error(ctx->conn, ret);
}

int
upg_op_drop_column(struct upgrade_context *ctx, const char *table, const char *column,
                   unsigned flags)
{
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	if (flags & UPG_IF_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_COLUMN, table, column, 0, &found)) != UPGRADE_OK)
			return ret;
		if (!found)
			return UPGRADE_OK;
	}
	if (ctx->conn->dialect->alter_table != NULL) {
		struct upg_table_change chg = {UPG_CHG_DROP_COLUMN, NULL, column, 0, NULL};

		return change_table(ctx, table, &chg);
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_drop_column(&r, table, column)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

int
upg_op_rename_column(struct upgrade_context *ctx, const char *table, const char *from,
                     const char *to)
{
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_rename_column(&r, table, from, to)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

/*
 * <alter-column>: changes the type, nullability or default of a column:
 * through the dialect's alter_table hook where it rebuilds tables
 * (SQLite), else with rendered ALTER statements, for which engines that
 * restate the whole column first read its current definition.  Asking
 * for no change is UPGRADE_EINVAL.  Returns UPGRADE_OK or an error on
 * ctx->conn, with a hint when a kept default cannot take the new type.
 */
int
upg_op_alter_column(struct upgrade_context *ctx, const struct upg_alter *a)
{
	const struct upg_dialect *d;
	struct colcopy cur;
	struct upg_alter copy = *a;
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	d = ctx->conn->dialect;
	if (a->type.kind == UPG_TYPE_NONE && a->type.sql == NULL &&
	    a->null_change == UPG_NULL_KEEP && a->def_change == UPG_DEF_KEEP)
		return upg_error_set(
		    &ctx->conn->err, UPGRADE_EINVAL, "column %s.%s: nothing to change",
		    a->table != NULL ? a->table : "", a->column != NULL ? a->column : "");
	if (d->alter_table != NULL) {
		struct upg_table_change chg = {UPG_CHG_ALTER_COLUMN, a, NULL, 0, NULL};

		return change_table(ctx, a->table, &chg);
	}
	memset(&cur, 0, sizeof cur);
	cur.want = a->column;
	/* Engines that restate the whole column need to know what it is now. */
	if (d->render_alter_column != NULL) {
		ret = upg_columns(ctx, a->table, copy_col, &cur);
		if (ret == UPGRADE_OK && cur.oom)
			ret = upg_error_oom(&ctx->conn->err);
		if (ret == UPGRADE_OK && !cur.found)
			ret = upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND,
			                    "table %s has no column %s", a->table, a->column);
		if (ret != UPGRADE_OK) {
			colcopy_free(&cur);
			return ret;
		}
		copy.current = &cur.info;
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_alter_column(&r, &copy)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	/*
	 * An engine may convert a kept default along with the type, and fail
	 * when it cannot: say how to go on.
	 */
	if (ret == UPGRADE_EDB && a->def_change == UPG_DEF_KEEP &&
	    (a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL) &&
	    upg_conn_error_class(ctx->conn) == UPG_ERRC_TYPE_MISMATCH)
		add_hint(ctx->conn, "the column's default cannot be converted to the new type; "
		                    "give the new default (default or default-sql) or drop-default "
		                    "in the same alter-column");
	colcopy_free(&cur);
	return render_done(&r, schema, ret);
}

/* ---- indexes ------------------------------------------------------------------------ */

/*
 * ENOTFOUND for a column the table does not have.  A table that is not
 * there is left to the statement, which fails on it (or, shown by
 * `upgrade sql`, is created by an earlier statement of the output).
 */
static int
index_columns_exist(struct upgrade_context *ctx, const char *table, const char *const *cols,
                    size_t ncols)
{
	/* Not what the statement is made of: `upgrade sql` shows it as it is (see run-sql.c). */
	unsigned long reads = ctx->conn->capture_reads;
	size_t i;
	int ret, found = 0;

	ret = upg_exists(ctx, UPG_OBJ_TABLE, table, NULL, 0, &found);
	for (i = 0; ret == UPGRADE_OK && found && i < ncols; i++)
		if ((ret = upg_exists(ctx, UPG_OBJ_COLUMN, table, cols[i], 0, &found)) == UPGRADE_OK &&
		    !found)
			ret = upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND,
			                    "table %s has no column %s to index", table, cols[i]);
	ctx->conn->capture_reads = reads;
	return ret;
}

int
upg_op_create_index(struct upgrade_context *ctx, const char *name, const char *table,
                    const char *const *cols, size_t ncols, unsigned flags)
{
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if (flags & UPG_IF_NOT_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_INDEX, table, name, 0, &found)) != UPGRADE_OK)
			return ret;
		if (found)
			return UPGRADE_OK;
	}
	if (ctx->conn->dialect != NULL && ctx->conn->dialect->quoted_unknown_is_string &&
	    (ret = index_columns_exist(ctx, table, cols, ncols)) != UPGRADE_OK)
		return ret;
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_create_index(&r, name, table, cols, ncols,
	                                   (flags & UPG_UNIQUE) != 0)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

int
upg_op_drop_index(struct upgrade_context *ctx, const char *name, const char *table, unsigned flags)
{
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if (flags & UPG_IF_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_INDEX, table, name, 0, &found)) != UPGRADE_OK)
			return ret;
		if (!found)
			return UPGRADE_OK;
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_drop_index(&r, name, table)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

/* ---- constraints ---------------------------------------------------------------------- */

/* Adds the constraint rendered in r->cur: ALTER TABLE, or the dialect's alter_table. */
static int
add_constraint(struct upgrade_context *ctx, struct upg_render *r, const char *table)
{
	char *frag = upg_r_take(r);
	int ret = r->ret;

	if (ret == UPGRADE_OK) {
		if (ctx->conn->dialect->alter_table != NULL) {
			struct upg_table_change chg = {UPG_CHG_ADD_CONSTRAINT, NULL, NULL, 0, frag};

			ret = change_table(ctx, table, &chg);
		} else if ((ret = upg_render_add_constraint(r, table, frag)) == UPGRADE_OK) {
			ret = upg_exec_rendered(ctx->conn, r);
		}
	}
	free(frag);
	return ret;
}

int
upg_op_add_unique(struct upgrade_context *ctx, const char *table, const char *name,
                  const char *const *cols, size_t ncols)
{
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_constraint_unique(&r, name, cols, ncols)) == UPGRADE_OK)
		ret = add_constraint(ctx, &r, table);
	return render_done(&r, schema, ret);
}

int
upg_op_add_foreign_key(struct upgrade_context *ctx, const char *table, const char *name,
                       const char *const *cols, size_t ncols, const char *ref_table,
                       const char *const *ref_cols, size_t nref, int on_delete, int on_update)
{
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_constraint_fk(&r, name, cols, ncols, ref_table, ref_cols, nref,
	                                    on_delete, on_update)) == UPGRADE_OK)
		ret = add_constraint(ctx, &r, table);
	return render_done(&r, schema, ret);
}

int
upg_op_add_check(struct upgrade_context *ctx, const char *table, const char *name, const char *expr)
{
	struct upg_render r;
	char *schema;
	int ret;

	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_constraint_check(&r, name, expr)) == UPGRADE_OK)
		ret = add_constraint(ctx, &r, table);
	return render_done(&r, schema, ret);
}

int
upg_op_drop_constraint(struct upgrade_context *ctx, const char *table, const char *name, int ctype,
                       unsigned flags)
{
	const struct upg_dialect *d;
	struct upg_render r;
	char *schema;
	int ret, found = 0;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	d = ctx->conn->dialect;
	if (flags & UPG_IF_EXISTS) {
		if ((ret = upg_exists(ctx, UPG_OBJ_CONSTRAINT, table, name, ctype, &found)) !=
		    UPGRADE_OK)
			return ret;
		if (!found)
			return UPGRADE_OK;
	}
	/* Engines that drop each kind differently (MariaDB) need the kind: find it out. */
	if (ctype == UPG_CT_ANY && d->render_drop_constraint != NULL) {
		int t;

		for (t = UPG_CT_PRIMARY; t <= UPG_CT_CHECK && ctype == UPG_CT_ANY; t++) {
			if ((ret = upg_exists(ctx, UPG_OBJ_CONSTRAINT, table, name, t, &found)) !=
			    UPGRADE_OK)
				return ret;
			if (found)
				ctype = t;
		}
		if (ctype == UPG_CT_ANY)
			return upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND,
			                     "table %s has no constraint %s", table, name);
	}
	if (d->alter_table != NULL) {
		struct upg_table_change chg = {UPG_CHG_DROP_CONSTRAINT, NULL, name, ctype, NULL};

		return change_table(ctx, table, &chg);
	}
	if ((ret = render_start(ctx, &r, &schema)) == UPGRADE_OK &&
	    (ret = upg_render_drop_constraint(&r, table, name, ctype)) == UPGRADE_OK)
		ret = upg_exec_rendered(ctx->conn, &r);
	return render_done(&r, schema, ret);
}

/* ---- enumerations --------------------------------------------------------------------- */

static int
no_enums(struct upgrade_context *ctx)
{
	return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
	                     "%s has no enumerations; use a CHECK constraint (add-check) instead",
	                     ctx->conn->dialect->title);
}

int
upg_op_create_enum(struct upgrade_context *ctx, const char *name, const char *const *values,
                   size_t nvalues)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	char *schema = NULL;
	size_t i, j;
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if (d->enum_create == NULL)
		return no_enums(ctx);
	if (name == NULL || name[0] == '\0' || nvalues == 0)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "an enum needs a name and labels");
	for (i = 0; i < nvalues; i++) {
		if (values[i] == NULL || values[i][0] == '\0')
			return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
			                     "enum %s: empty label", name);
		for (j = 0; j < i; j++)
			if (strcmp(values[i], values[j]) == 0)
				return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
				                     "enum %s: label '%s' given twice", name,
				                     values[i]);
	}
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	ret = d->enum_create(ctx->conn, schema, name, values, nvalues);
	free(schema);
	return ret;
}

struct find_label {
	const char *want;
	int found;
	size_t n;
};

static int
label_row(void *ud, size_t ncols, char **values)
{
	struct find_label *f = ud;

	f->n++;
	if (values[0] != NULL && strcmp(values[0], f->want) == 0)
		f->found = 1;
	return 0;
}

int
upg_op_add_enum_value(struct upgrade_context *ctx, const char *name, const char *value,
                      unsigned flags)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	struct find_label f = {value, 0, 0};
	char *schema = NULL;
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if (d->enum_add_value == NULL)
		return no_enums(ctx);
	if (value == NULL || value[0] == '\0')
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "enum %s: empty label",
		                     name != NULL ? name : "");
	if ((ret = upg_enum_values(ctx, name, label_row, &f)) != UPGRADE_OK)
		return ret;
	if (f.n == 0)
		return upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND, "no enum %s", name);
	if (f.found) {
		if (flags & UPG_IF_NOT_EXISTS)
			return UPGRADE_NOTHING_DONE;
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "enum %s already has the label '%s'", name, value);
	}
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	ret = d->enum_add_value(ctx->conn, schema, name, value);
	free(schema);
	return ret;
}

/* ---- triggers --------------------------------------------------------------------------- */

/*
 * Suspensions nest: a fill that suspends the triggers of a table the task
 * suspended itself must not switch them on again when it is done.  Only
 * the first suspension and the last resume reach the dialect.
 */
static int
counted_switch(struct upgrade_conn *conn, const char *schema, const char *table, int on)
{
	struct upg_suspended *grown;
	struct upg_buf b = UPG_BUF_INIT;
	char *key;
	size_t i;
	int ret;

	upg_buf_printf(&b, "%s\n%s", schema != NULL ? schema : "", table);
	if ((key = b.failed ? NULL : upg_buf_detach(&b)) == NULL) {
		upg_buf_free(&b);
		return upg_error_oom(&conn->err);
	}
	for (i = 0; i < conn->nsuspended && strcmp(conn->suspended[i].key, key) != 0; i++)
		;
	if (i < conn->nsuspended && (!on || conn->suspended[i].depth > 1)) {
		conn->suspended[i].depth += on ? -1 : 1;
		free(key);
		return UPGRADE_OK;
	}
	if ((ret = conn->dialect->triggers_switch(conn, schema, table, on)) != UPGRADE_OK) {
		free(key);
		return ret;
	}
	if (on && i < conn->nsuspended) {
		free(conn->suspended[i].key);
		conn->suspended[i] = conn->suspended[--conn->nsuspended];
	} else if (!on) {
		grown = realloc(conn->suspended, (conn->nsuspended + 1) * sizeof *grown);
		if (grown == NULL) {
			free(key);
			return upg_error_oom(&conn->err);
		}
		conn->suspended = grown;
		conn->suspended[conn->nsuspended].key = key;
		conn->suspended[conn->nsuspended++].depth = 1;
		return UPGRADE_OK;
	}
	free(key);
	return UPGRADE_OK;
}

int
upg_op_triggers(struct upgrade_context *ctx, const char *table, int on)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	char *schema = NULL;
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if (d->triggers_switch == NULL)
		return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
		                     "%s cannot switch triggers off for a task", d->title);
	if (table == NULL || table[0] == '\0')
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "empty table name");
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	ret = counted_switch(ctx->conn, schema, table, on);
	free(schema);
	return ret;
}
