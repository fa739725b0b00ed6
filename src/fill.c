/* SPDX-License-Identifier: MIT */
/*
 * fill.c - add_column_with_defaults: adds the column nullable, fills it,
 * then forbids NULL.
 *
 * A constant or an expression is one UPDATE for the whole table, or on
 * engines where ADD COLUMN ... DEFAULT fills existing rows without writing
 * them, no UPDATE at all.  A function is called per row, the rows read in
 * batches by key (records.c); its values go back in one UPDATE per
 * sub-batch: the keys and values as a derived table joined to the table
 * where the engine can (upg_dialect.update_rows), else a CASE on the key.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

/*
 * Rows per UPDATE of the function fill.  A CASE is evaluated branch by
 * branch for every row it updates, so it stays short; a joined derived
 * table is matched by hash or index, so it takes a whole batch.
 */
#define UPDATE_ROWS_CASE 100
#define UPDATE_ROWS_JOINED 1000

/* ---- add_column_with_defaults ------------------------------------------------------------ */

/* The type the new column has, rendered, for CASTs of its parameters. */
static char *
render_type(struct upgrade_context *ctx, const struct upg_coltype *t)
{
	struct upg_render r;
	char *s;

	upg_render_init(&r, ctx->conn, NULL);
	upg_r_type(&r, t);
	s = upg_r_take(&r);
	upg_render_free(&r);
	return s;
}

/* UPDATE table SET column = <value> for every row: a constant (bound) or an expression. */
static int
fill_all(struct upgrade_context *ctx, const char *schema, const char *table,
         const struct upg_coldef *col, const struct upgrade_fill *fill)
{
	struct upg_render r;
	const char *params[1] = {fill->value};
	char *sql, *type = NULL;
	int ret;

	if (fill->value != NULL && ctx->conn->dialect->cast_params &&
	    (type = render_type(ctx, &col->type)) == NULL)
		return ctx->conn->err.code != UPGRADE_OK ? ctx->conn->err.code
		                                         : upg_error_oom(&ctx->conn->err);
	upg_render_init(&r, ctx->conn, schema);
	upg_r_puts(&r, "UPDATE ");
	upg_r_qname(&r, table);
	upg_r_puts(&r, " SET ");
	upg_r_ident(&r, col->name);
	if (fill->value != NULL && type != NULL) {
		upg_r_puts(&r, " = CAST(? AS ");
		upg_r_puts(&r, type);
		upg_r_puts(&r, ")");
	} else if (fill->value != NULL) {
		upg_r_puts(&r, " = ?");
	} else {
		upg_r_puts(&r, " = (");
		upg_r_puts(&r, fill->sql);
		upg_r_puts(&r, ")");
	}
	sql = upg_r_take(&r);
	ret = r.ret;
	upg_render_free(&r);
	free(type);
	if (ret == UPGRADE_OK)
		ret = upg_db_exec_params(ctx->conn, sql, fill->value != NULL ? 1 : 0, params, NULL);
	free(sql);
	return upg_explain_error(ctx->conn, ret);
}

/* "u.k" (the table being updated is u) for key column k. */
static void
target_key(struct upg_render *r, const struct upg_scan *s, size_t k)
{
	upg_r_puts(r, "u.");
	upg_scan_key_name(r, s, k);
}

/* "CAST(? AS type)" where the engine wants parameters typed, else "?". */
static void
value_param(struct upg_render *r, const char *type)
{
	if (type != NULL) {
		upg_r_puts(r, "CAST(? AS ");
		upg_r_puts(r, type);
		upg_r_puts(r, ")");
	} else {
		upg_r_puts(r, "?");
	}
}

/* k1 = ? AND k2 = ? ...: one row's key, compared with parameters. */
static void
key_equals(struct upg_render *r, const struct upg_scan *s)
{
	size_t k;

	for (k = 0; k < s->nkey; k++) {
		if (k > 0)
			upg_r_puts(r, " AND ");
		upg_scan_key_name(r, s, k);
		upg_r_puts(r, " = ");
		upg_scan_key_param(r, s, k);
	}
}

/*
 * UPDATE t SET c = CASE WHEN k = ? THEN ? ... END WHERE k = ? OR ...: one
 * statement for n rows, parameters: each row's key and value, then each
 * row's key again.  A composite key compares all its columns.
 */
static void
render_update_case(struct upg_render *r, struct upg_scan *s, const char *column, const char *type,
                   size_t n)
{
	size_t i;

	upg_r_puts(r, "UPDATE ");
	upg_r_qname(r, s->table);
	upg_r_puts(r, " SET ");
	upg_r_ident(r, column);
	upg_r_puts(r, " = CASE");
	for (i = 0; i < n; i++) {
		upg_r_puts(r, " WHEN ");
		key_equals(r, s);
		upg_r_puts(r, " THEN ");
		value_param(r, type);
	}
	upg_r_puts(r, " END WHERE ");
	for (i = 0; i < n; i++) {
		upg_r_puts(r, i > 0 ? " OR (" : "(");
		key_equals(r, s);
		upg_r_puts(r, ")");
	}
}

/*
 * The n rows' keys and values as a derived table v joined to the table
 * (aliased u), parameters: each row's key and value (with
 * UPG_UPDATE_ROWS_ARRAYS: one array of all the rows' values per column),
 * then the first key column's first and last value.  v's columns are k0,
 * k1, ... and val, or column1, column2, ... where VALUES takes no column
 * names (UPG_UPDATE_ROWS_NUMBERED).
 */
static void
render_update_joined(struct upg_render *r, struct upg_scan *s, const char *column, const char *type,
                     size_t n)
{
	enum upg_update_rows how = r->d->update_rows;
	size_t i, k;
	char name[32];

	upg_r_puts(r, "UPDATE ");
	upg_r_qname(r, s->table);
	upg_r_puts(r, " AS u ");
	if (how == UPG_UPDATE_ROWS_JOIN) {
		upg_r_puts(r, "JOIN (");
		for (i = 0; i < n; i++) {
			upg_r_puts(r, i > 0 ? " UNION ALL SELECT " : "SELECT ");
			for (k = 0; k < s->nkey; k++) {
				upg_r_puts(r, "?");
				if (i == 0) {
					snprintf(name, sizeof name, " AS k%zu", k);
					upg_r_puts(r, name);
				}
				upg_r_puts(r, ", ");
			}
			upg_r_puts(r, i == 0 ? "? AS val" : "?");
		}
		upg_r_puts(r, ") AS v ON ");
	} else if (how == UPG_UPDATE_ROWS_ARRAYS) {
		upg_r_puts(r, "SET ");
		upg_r_ident(r, column);
		upg_r_puts(r, " = v.val FROM unnest(");
		for (k = 0; k < s->nkey; k++) {
			upg_r_puts(r, "CAST(? AS ");
			upg_r_puts(r, s->cols.types[s->key[k]]);
			upg_r_puts(r, "[]), ");
		}
		upg_r_puts(r, "CAST(? AS ");
		upg_r_puts(r, type);
		upg_r_puts(r, "[])) AS v (");
		for (k = 0; k < s->nkey; k++) {
			snprintf(name, sizeof name, "k%zu, ", k);
			upg_r_puts(r, name);
		}
		upg_r_puts(r, "val) WHERE ");
	} else {
		upg_r_puts(r, "SET ");
		upg_r_ident(r, column);
		snprintf(name, sizeof name, " = v.column%zu", s->nkey + 1);
		upg_r_puts(r, how == UPG_UPDATE_ROWS_NUMBERED ? name : " = v.val");
		upg_r_puts(r, " FROM (VALUES ");
		for (i = 0; i < n; i++) {
			upg_r_puts(r, i > 0 ? ", (" : "(");
			for (k = 0; k < s->nkey; k++) {
				upg_scan_key_param(r, s, k);
				upg_r_puts(r, ", ");
			}
			value_param(r, type);
			upg_r_puts(r, ")");
		}
		upg_r_puts(r, ") AS v");
		if (how == UPG_UPDATE_ROWS_VALUES) {
			upg_r_puts(r, " (");
			for (k = 0; k < s->nkey; k++) {
				snprintf(name, sizeof name, "k%zu, ", k);
				upg_r_puts(r, name);
			}
			upg_r_puts(r, "val)");
		}
		upg_r_puts(r, " WHERE ");
	}
	for (k = 0; k < s->nkey; k++) {
		if (k > 0)
			upg_r_puts(r, " AND ");
		target_key(r, s, k);
		if (how == UPG_UPDATE_ROWS_NUMBERED)
			snprintf(name, sizeof name, " = v.column%zu", k + 1);
		else
			snprintf(name, sizeof name, " = v.k%zu", k);
		upg_r_puts(r, name);
	}
	if (how == UPG_UPDATE_ROWS_JOIN) {
		upg_r_puts(r, " SET u.");
		upg_r_ident(r, column);
		upg_r_puts(r, " = v.val WHERE ");
	} else {
		upg_r_puts(r, " AND ");
	}
	/*
	 * The rows come in key order: the range of their first key column
	 * lets the engine read just them by the key's index, where a join
	 * alone may read the whole table for every batch.
	 */
	target_key(r, s, 0);
	upg_r_puts(r, " >= ");
	upg_scan_key_param(r, s, 0);
	upg_r_puts(r, " AND ");
	target_key(r, s, 0);
	upg_r_puts(r, " <= ");
	upg_scan_key_param(r, s, 0);
}

/*
 * Appends the array literal of the n values cells[0], cells[stride], ...:
 * {"v1",NULL,"v\\"3"}, every value quoted, backslash and double quote
 * escaped, SQL NULL as NULL.
 */
static void
array_literal(struct upg_buf *out, char *const *cells, size_t stride, size_t n)
{
	size_t i;
	const char *v;

	upg_buf_putc(out, '{');
	for (i = 0; i < n; i++) {
		if (i > 0)
			upg_buf_putc(out, ',');
		if ((v = cells[i * stride]) == NULL) {
			upg_buf_puts(out, "NULL");
			continue;
		}
		upg_buf_putc(out, '"');
		for (; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				upg_buf_putc(out, '\\');
			upg_buf_putc(out, *v);
		}
		upg_buf_putc(out, '"');
	}
	upg_buf_putc(out, '}');
}

/* The UPDATE of n rows in the engine's form (upg_dialect.update_rows). */
static char *
render_update(struct upg_scan *s, const char *column, const char *type, size_t n)
{
	struct upg_render r;
	char *sql;

	upg_render_init(&r, s->ctx->conn, s->schema);
	if (r.d->update_rows == UPG_UPDATE_ROWS_CASE)
		render_update_case(&r, s, column, type, n);
	else
		render_update_joined(&r, s, column, type, n);
	sql = upg_r_take(&r);
	upg_render_free(&r);
	return sql;
}

/* Calls the fill function for every row, writing its values back batch by batch. */
static int
fill_rows(struct upgrade_context *ctx, const char *table, const struct upg_coldef *col,
          const struct upgrade_fill *fill)
{
	struct upgrade_conn *conn = ctx->conn;
	int joined = conn->dialect->update_rows != UPG_UPDATE_ROWS_CASE;
	size_t per_update = joined ? UPDATE_ROWS_JOINED : UPDATE_ROWS_CASE;
	struct upg_batch b = {NULL, 0, 0, 0, 0};
	struct upg_scan s;
	int arrays = conn->dialect->update_rows == UPG_UPDATE_ROWS_ARRAYS;
	char **values = NULL, *type = NULL, *full_sql = NULL;
	const char **params = NULL;
	struct upg_buf *lists = NULL;
	size_t ncols = 0, r, i, k, n, done;
	int ret;

	while (fill->columns != NULL && fill->columns[ncols] != NULL)
		ncols++;
	ret = upg_scan_open(&s, ctx, table, fill->columns, ncols, fill->batch_rows, 1);
	if (ret != UPGRADE_OK)
		goto done;
	values = calloc(s.limit, sizeof *values);
	if (per_update > s.limit)
		per_update = s.limit;
	params = calloc(per_update * (2 * s.nkey + 1) + 2, sizeof *params);
	lists = arrays ? calloc(s.nkey + 1, sizeof *lists) : NULL;
	if (values == NULL || params == NULL || (arrays && lists == NULL)) {
		ret = upg_error_oom(&conn->err);
		goto done;
	}
	if ((conn->dialect->cast_params || arrays) && (type = render_type(ctx, &col->type)) == NULL) {
		ret = conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
		goto done;
	}
	/* Full sub-batches all share one statement text. */
	if ((full_sql = render_update(&s, col->name, type, per_update)) == NULL) {
		ret = conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
		goto done;
	}
	for (;;) {
		if ((ret = upg_scan_next(&s, &b)) != UPGRADE_OK || b.nrows == 0)
			break;
		for (r = 0; r < b.nrows; r++) {
			struct upgrade_row row;
			const char *v = NULL;

			row.ncols = s.nwant;
			row.names = s.want_names;
			row.values = (const char *const *)&b.cells[r * b.width + s.nkey];
			ret = fill->fn(&v, &row, fill->userdata);
			if (ret < 0) {
				if (conn->err.code == UPGRADE_OK)
					upg_error_set(&conn->err, ret,
					              "the fill function failed (%s)",
					              upgrade_strerror(ret));
				goto done;
			}
			/* The function may reuse its buffer: copy the value now. */
			values[r] = v != NULL ? upg_strdup(v) : NULL;
			if (v != NULL && values[r] == NULL) {
				ret = upg_error_oom(&conn->err);
				goto done;
			}
		}
		for (done = 0; done < b.nrows; done += n) {
			char *sql;

			n = b.nrows - done < per_update ? b.nrows - done : per_update;
			k = 0;
			for (i = 0; arrays && i <= s.nkey; i++) {
				lists[i].len = 0; /* reused: keeps its memory */
				if (i < s.nkey)
					array_literal(&lists[i], &b.cells[done * b.width + i], b.width, n);
				else
					array_literal(&lists[i], &values[done], 1, n);
				if (lists[i].failed) {
					ret = upg_error_oom(&conn->err);
					goto done;
				}
				params[k++] = upg_buf_str(&lists[i]);
			}
			for (i = done; !arrays && i < done + n; i++) {
				size_t j;

				for (j = 0; j < s.nkey; j++)
					params[k++] = b.cells[i * b.width + j];
				params[k++] = values[i];
			}
			for (i = done; !joined && i < done + n; i++) {
				size_t j;

				for (j = 0; j < s.nkey; j++)
					params[k++] = b.cells[i * b.width + j];
			}
			if (joined) {
				/* The range of the first key column (rows come in key order). */
				params[k++] = b.cells[done * b.width];
				params[k++] = b.cells[(done + n - 1) * b.width];
			}
			sql = n == per_update || arrays ? full_sql : render_update(&s, col->name, type, n);
			if (sql == NULL) {
				ret = conn->err.code != UPGRADE_OK ? conn->err.code
				                                   : upg_error_oom(&conn->err);
				goto done;
			}
			ret = upg_db_exec_params(conn, sql, k, params, NULL);
			if (sql != full_sql)
				free(sql);
			if (ret != UPGRADE_OK)
				goto done;
		}
		for (r = 0; r < b.nrows; r++) {
			free(values[r]);
			values[r] = NULL;
		}
	}
done:
	if (values != NULL)
		for (r = 0; r < s.limit; r++)
			free(values[r]);
	free(values);
	free(params);
	for (i = 0; lists != NULL && i <= s.nkey; i++)
		upg_buf_free(&lists[i]);
	free(lists);
	free(type);
	free(full_sql);
	upg_batch_free(&b);
	upg_scan_free(&s);
	return ret;
}

/*
 * After a step past ADD COLUMN failed (ret): where DDL is not part of the
 * transaction, ADD COLUMN stays when the task is rolled back, so the
 * column goes again here and nothing of the operation is left.  Returns
 * ret, its message kept.
 */
static int
undo_add_column(struct upgrade_context *ctx, const char *table, const char *column, int ret)
{
	struct upg_error keep = UPG_ERROR_INIT;

	if (ctx->conn->caps & UPGRADE_CAP_TRANSACTIONAL_DDL)
		return ret;
	upg_error_stash(&keep, &ctx->conn->err);
	upg_op_drop_column(ctx, table, column, UPG_IF_EXISTS);
	upg_error_restore(&ctx->conn->err, &keep);
	return ret;
}

/*
 * The constant shortcut: ADD COLUMN ... DEFAULT value (existing rows read
 * it without being written), then the column's own default in its place.
 */
static int
add_with_default(struct upgrade_context *ctx, const char *table, const struct upg_coldef *col,
                 const char *value)
{
	struct upg_coldef c = *col;
	struct upg_alter a;
	int ret;

	c.def_value = value;
	c.def_sql = NULL;
	if ((ret = upg_op_add_column(ctx, table, &c, 0)) != UPGRADE_OK)
		return ret;
	if (col->def_value != NULL && strcmp(col->def_value, value) == 0)
		return UPGRADE_OK;
	memset(&a, 0, sizeof a);
	a.table = table;
	a.column = col->name;
	a.value_type = &col->type;
	if (col->def_value != NULL) {
		a.def_change = UPG_DEF_VALUE;
		a.def = col->def_value;
	} else if (col->def_sql != NULL) {
		a.def_change = UPG_DEF_SQL;
		a.def = col->def_sql;
	} else {
		a.def_change = UPG_DEF_DROP;
	}
	if ((ret = upg_op_alter_column(ctx, &a)) != UPGRADE_OK)
		return undo_add_column(ctx, table, col->name, ret);
	return UPGRADE_OK;
}

int
upg_add_column_filled(struct upgrade_context *ctx, const char *table, const struct upg_coldef *col,
                      const struct upgrade_fill *fill)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	struct upg_coldef nullable = *col;
	char *schema = NULL;
	int ret, empty = 0, suspended = 0;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	if ((fill->value != NULL) + (fill->sql != NULL) + (fill->fn != NULL) != 1)
		return upg_error_set(
		    &ctx->conn->err, UPGRADE_EINVAL,
		    "fill with exactly one of a value, an SQL expression and a function");
	if (table == NULL || col->name == NULL)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "empty table or column name");
	/* Refused before ADD COLUMN, which MariaDB could not take back. */
	if ((ret = upg_scan_check_cols(ctx->conn, fill->columns)) != UPGRADE_OK)
		return ret;
	if (fill->batch_rows > UPG_MAX_BATCH_ROWS)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "fill batch_rows must be between 1 and %d (0: %d), not %zu",
		                     UPG_MAX_BATCH_ROWS, UPG_DEFAULT_BATCH_ROWS, fill->batch_rows);
	/*
	 * A constant needs no UPDATE where ADD COLUMN ... DEFAULT fills the
	 * existing rows (see upg_dialect.add_default_fills).
	 */
	if (fill->value != NULL && !col->pk &&
	    (d->add_default_fills == 1 || (d->add_default_fills == 2 && col->def_value != NULL &&
	                                   strcmp(col->def_value, fill->value) == 0)))
		return add_with_default(ctx, table, col, fill->value);

	nullable.notnull = 0;
	nullable.pk = 0;
	if ((ret = upg_op_add_column(ctx, table, &nullable, 0)) != UPGRADE_OK)
		return ret;
	/* Nothing to fill in an empty table (and nothing to read through a missing key). */
	if ((ret = upg_is_empty(ctx, table, &empty)) != UPGRADE_OK)
		return undo_add_column(ctx, table, col->name, ret);
	if (!empty) {
		if (fill->flags & UPGRADE_FILL_SUSPEND_TRIGGERS) {
			if ((ret = upg_op_triggers(ctx, table, 0)) != UPGRADE_OK)
				return undo_add_column(ctx, table, col->name, ret);
			suspended = 1;
		}
		if ((ret = upg_ctx_schema(ctx, &schema)) == UPGRADE_OK)
			ret = fill->fn != NULL ? fill_rows(ctx, table, col, fill)
			                       : fill_all(ctx, schema, table, col, fill);
		free(schema);
		if (suspended) {
			struct upg_error keep = UPG_ERROR_INIT;
			int r2;

			/* Back on even after a failure: keep the first message. */
			upg_error_stash(&keep, &ctx->conn->err);
			r2 = upg_op_triggers(ctx, table, 1);
			upg_error_restore(&ctx->conn->err, &keep);
			if (ret == UPGRADE_OK)
				ret = r2;
		}
		if (ret != UPGRADE_OK)
			return undo_add_column(ctx, table, col->name, ret);
	}
	if ((col->notnull || col->pk) && (ret = upg_op_forbid_null(ctx, table, col->name)) != UPGRADE_OK)
		return undo_add_column(ctx, table, col->name, ret);
	return UPGRADE_OK;
}
