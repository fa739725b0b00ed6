/* SPDX-License-Identifier: MIT */
/*
 * fill.c - reading every row of a table, and filling a new column.
 *
 * Rows are read in batches ordered by the primary key (SQLite: the rowid),
 * each batch starting after the last key of the one before ("keyset
 * pagination"): memory stays the size of one batch whatever the table,
 * even with drivers that buffer a whole result set (psqlODBC and
 * Connector/ODBC do by default), and no cursor has to stay open while the
 * caller's function runs its own statements.
 *
 * add_column_with_defaults adds the column nullable, fills it, then
 * forbids NULL.  A constant or an expression is one UPDATE for the whole
 * table, or on engines where ADD COLUMN ... DEFAULT fills existing rows
 * without writing them, no UPDATE at all.  A function is called per row;
 * its values go back in one UPDATE per sub-batch (CASE on the key).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "ops.h"

#define DEFAULT_BATCH_ROWS 1000
/* Rows per UPDATE of the function fill: keeps statements and parameter counts small. */
#define UPDATE_ROWS 100

/* ---- the table's columns and key ---------------------------------------------------- */

struct table_cols {
	char **names;
	char **types;
	int *pk;
	size_t n, cap;
	int oom;
};

static int
collect_col(void *ud, const struct upg_colinfo *col)
{
	struct table_cols *t = ud;

	if (t->n == t->cap) {
		/* Three arrays in step: t->cap moves only when all have grown. */
		size_t capnames = t->cap, captypes = t->cap, cappk = t->cap;

		if (upg_grow(&t->names, &capnames, t->n + 1, sizeof *t->names, 16) != UPGRADE_OK ||
		    upg_grow(&t->types, &captypes, t->n + 1, sizeof *t->types, 16) != UPGRADE_OK ||
		    upg_grow(&t->pk, &cappk, t->n + 1, sizeof *t->pk, 16) != UPGRADE_OK) {
			t->oom = 1;
			return 1;
		}
		t->cap = cappk;
	}
	t->names[t->n] = upg_strdup(col->name);
	t->types[t->n] = upg_strdup(col->type != NULL ? col->type : "");
	t->pk[t->n] = col->pk;
	t->n++;
	if (t->names[t->n - 1] == NULL || t->types[t->n - 1] == NULL)
		t->oom = 1;
	return t->oom;
}

static void
table_cols_free(struct table_cols *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->names[i]);
		free(t->types[i]);
	}
	free(t->names);
	free(t->types);
	free(t->pk);
	memset(t, 0, sizeof *t);
}

/* The index of column name (exact, then without case), or -1. */
static long
find_col(const struct table_cols *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->names[i], name) == 0)
			return (long)i;
	for (i = 0; i < t->n; i++)
		if (upg_strcaseeq(t->names[i], name))
			return (long)i;
	return -1;
}

/*
 * A scan of a table: key columns first, then the wanted columns, read
 * LIMIT rows at a time.  rowid is the name of SQLite's row id when the
 * table has no primary key (NULL otherwise).
 */
struct scan {
	struct upgrade_context *ctx;
	const char *table;
	char *schema;
	struct table_cols cols;
	size_t *key; /* indexes into cols, in key order */
	size_t nkey;
	const char *rowid;
	size_t *want; /* indexes into cols of the columns handed out */
	size_t nwant;
	const char **want_names;
	char *first_sql; /* the first batch */
	char *next_sql;  /* the following batches: with the keyset condition */
	size_t limit;
	char **last; /* the last key read */
	int done;
	int use_cursor;  /* a keyless table is read through an SQL cursor */
	char cursor[48]; /* that cursor's name once declared; "" if none */
};

/* One batch of rows: nrows x width cells, each allocated (NULL for SQL NULL). */
struct batch {
	char **cells;
	size_t width, nrows, cap;
	int oom;
};

static void
batch_clear(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nrows * b->width; i++)
		free(b->cells[i]);
	b->nrows = 0;
}

static void
batch_free(struct batch *b)
{
	batch_clear(b);
	free(b->cells);
	memset(b, 0, sizeof *b);
}

static int
batch_row(void *ud, size_t ncols, char **values)
{
	struct batch *b = ud;
	size_t i;

	/* The elements grown are whole rows of width cells (at least one). */
	if (b->nrows == b->cap &&
	    (b->width > SIZE_MAX / sizeof *b->cells ||
	     upg_grow(&b->cells, &b->cap, b->nrows + 1,
	              (b->width > 0 ? b->width : 1) * sizeof *b->cells, 64) != UPGRADE_OK)) {
		b->oom = 1;
		return 1;
	}
	/* Take the values over instead of copying them. */
	for (i = 0; i < b->width; i++) {
		b->cells[b->nrows * b->width + i] = i < ncols ? values[i] : NULL;
		if (i < ncols)
			values[i] = NULL;
	}
	b->nrows++;
	return 0;
}

/* "k" or "CAST(? AS type)" for a parameter compared with key column k. */
static void
key_param(struct upg_render *r, const struct scan *s, size_t k)
{
	if (r->d->cast_params && s->rowid == NULL) {
		upg_r_puts(r, "CAST(? AS ");
		upg_r_puts(r, s->cols.types[s->key[k]]);
		upg_r_puts(r, ")");
	} else {
		upg_r_puts(r, "?");
	}
}

static void
key_name(struct upg_render *r, const struct scan *s, size_t k)
{
	if (s->rowid != NULL)
		upg_r_puts(r, s->rowid); /* a keyword, never quoted: quoted, it could be a string */
	else
		upg_r_ident(r, s->cols.names[s->key[k]]);
}

/* (k1 > ?) OR (k1 = ? AND k2 > ?) OR ...: the rows after the last key, for any key width. */
static void
keyset_condition(struct upg_render *r, const struct scan *s)
{
	size_t i, j;

	for (i = 0; i < s->nkey; i++) {
		upg_r_puts(r, i > 0 ? " OR (" : "(");
		for (j = 0; j < i; j++) {
			key_name(r, s, j);
			upg_r_puts(r, " = ");
			key_param(r, s, j);
			upg_r_puts(r, " AND ");
		}
		key_name(r, s, i);
		upg_r_puts(r, " > ");
		key_param(r, s, i);
		upg_r_puts(r, ")");
	}
}

static char *
render_select(struct scan *s, int with_keyset)
{
	struct upg_render r;
	size_t i;
	char *sql;

	upg_render_init(&r, s->ctx->conn, s->schema);
	upg_r_puts(&r, "SELECT ");
	for (i = 0; i < s->nkey; i++) {
		key_name(&r, s, i);
		upg_r_puts(&r, ", ");
	}
	for (i = 0; i < s->nwant; i++) {
		if (i > 0)
			upg_r_puts(&r, ", ");
		upg_r_ident(&r, s->cols.names[s->want[i]]);
	}
	upg_r_puts(&r, " FROM ");
	upg_r_qname(&r, s->table);
	if (with_keyset) {
		upg_r_puts(&r, " WHERE ");
		keyset_condition(&r, s);
	}
	if (s->nkey > 0) {
		upg_r_puts(&r, " ORDER BY ");
		for (i = 0; i < s->nkey; i++) {
			if (i > 0)
				upg_r_puts(&r, ", ");
			key_name(&r, s, i);
		}
		if (r.d->limit_syntax == UPG_LIMIT_LIMIT)
			upg_r_printf(&r, " LIMIT %zu", s->limit);
		else
			upg_r_printf(&r, " OFFSET 0 ROWS FETCH NEXT %zu ROWS ONLY", s->limit);
	}
	sql = upg_r_take(&r);
	upg_render_free(&r);
	return sql;
}

static int cursor_close(struct scan *s, int failed);

static void
scan_free(struct scan *s)
{
	size_t i;

	/* Normally closed by the scan's user, which learns how that went. */
	if (s->ctx != NULL)
		cursor_close(s, 1);
	if (s->last != NULL)
		for (i = 0; i < s->nkey; i++)
			free(s->last[i]);
	free(s->last);
	free(s->key);
	free(s->want);
	free(s->want_names);
	free(s->first_sql);
	free(s->next_sql);
	free(s->schema);
	table_cols_free(&s->cols);
	memset(s, 0, sizeof *s);
}

/*
 * Sets up a scan of table handing out cols (NULL: all columns).
 * keyed_only: fail when there is no key to batch by, instead of reading
 * the table in one query.
 */
static int
scan_open(struct scan *s, struct upgrade_context *ctx, const char *table, const char *const *cols,
          size_t ncols, size_t limit, int keyed_only)
{
	struct upgrade_conn *conn = ctx->conn;
	size_t i;
	int ret;

	memset(s, 0, sizeof *s);
	s->ctx = ctx;
	s->table = table;
	s->limit = limit > 0 ? limit : DEFAULT_BATCH_ROWS;
	if ((ret = upg_ctx_schema(ctx, &s->schema)) != UPGRADE_OK)
		return ret;
	ret = upg_columns(ctx, table, collect_col, &s->cols);
	if (ret == UPGRADE_OK && s->cols.oom)
		ret = upg_error_oom(&conn->err);
	if (ret != UPGRADE_OK)
		return ret;
	s->key = calloc(s->cols.n, sizeof *s->key);
	s->nwant = cols != NULL ? ncols : s->cols.n;
	s->want = calloc(s->nwant + 1, sizeof *s->want);
	s->want_names = calloc(s->nwant + 1, sizeof *s->want_names);
	if (s->key == NULL || s->want == NULL || s->want_names == NULL)
		return upg_error_oom(&conn->err);
	for (i = 0; i < s->nwant; i++) {
		long k = cols != NULL ? find_col(&s->cols, cols[i]) : (long)i;

		if (k < 0)
			return upg_error_set(&conn->err, UPGRADE_ENOTFOUND,
			                     "table %s has no column %s", table, cols[i]);
		s->want[i] = (size_t)k;
		s->want_names[i] = s->cols.names[k];
	}
	/* The key columns in key order. */
	for (i = 0; i < s->cols.n; i++) {
		size_t j;

		for (j = 0; j < s->cols.n; j++)
			if (s->cols.pk[j] == (int)i + 1)
				s->key[s->nkey++] = j;
	}
	if (s->nkey == 0 && (conn->dialect->traits & UPG_TRAIT_ROWID)) {
		/* Take a name of the row id that no column shadows. */
		static const char *const ids[] = {"rowid", "_rowid_", "oid"};

		for (i = 0; i < 3 && s->rowid == NULL; i++)
			if (find_col(&s->cols, ids[i]) < 0)
				s->rowid = ids[i];
		if (s->rowid != NULL)
			s->nkey = 1;
	}
	if (s->nkey == 0 && keyed_only)
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "table %s has no primary key to fill it in batches by", table);
	/*
	 * A cursor lives as long as the transaction: only in a task's, which
	 * the row callback cannot end (a raw step's can, with end_step).
	 * Decided once, so that a scan never changes how it reads half-way.
	 */
	s->use_cursor = s->nkey == 0 && conn->dialect->sql_cursors && !conn->autocommit && !ctx->raw;
	s->last = calloc(s->nkey + 1, sizeof *s->last);
	if (s->last == NULL)
		return upg_error_oom(&conn->err);
	s->first_sql = render_select(s, 0);
	s->next_sql = s->nkey > 0 ? render_select(s, 1) : NULL;
	if (s->first_sql == NULL || (s->nkey > 0 && s->next_sql == NULL))
		return conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
	return UPGRADE_OK;
}

/*
 * A table without a key, read through a cursor of the task's transaction:
 * the rows it sees are those of when it was declared, whatever the row
 * callback changes, and no more than a batch is held at a time.
 */
static int
cursor_next(struct scan *s, struct batch *b)
{
	struct upgrade_conn *conn = s->ctx->conn;
	struct upg_buf sql = UPG_BUF_INIT;
	int ret;

	if (s->cursor[0] == '\0') {
		/* Unique among the scans a row callback may nest, and never quoted. */
		snprintf(s->cursor, sizeof s->cursor, "upgrade_scan_%lu", ++conn->cursor_seq);
		upg_buf_printf(&sql, "DECLARE %s NO SCROLL CURSOR FOR %s", s->cursor, s->first_sql);
		ret = sql.failed ? upg_error_oom(&conn->err) : upg_db_exec(conn, upg_buf_str(&sql));
		upg_buf_free(&sql);
		if (ret != UPGRADE_OK) {
			s->cursor[0] = '\0';
			return ret;
		}
	}
	upg_buf_printf(&sql, "FETCH FORWARD %zu FROM %s", s->limit, s->cursor);
	ret = sql.failed ? upg_error_oom(&conn->err)
	                 : upg_db_query(conn, upg_buf_str(&sql), 0, NULL, batch_row, b);
	upg_buf_free(&sql);
	if (ret == UPGRADE_OK && b->nrows < s->limit)
		s->done = 1;
	return ret;
}

/*
 * Closes the scan's cursor, if any.  When the scan failed, that failure
 * (the connection's error) is what the caller learns, whether or not the
 * close works (it cannot where the failure aborted the transaction);
 * otherwise a failed close is the error.
 */
static int
cursor_close(struct scan *s, int failed)
{
	struct upgrade_conn *conn = s->ctx->conn;
	struct upg_error keep = UPG_ERROR_INIT;
	char sql[80];

	if (s->cursor[0] == '\0')
		return UPGRADE_OK;
	snprintf(sql, sizeof sql, "CLOSE %s", s->cursor);
	s->cursor[0] = '\0';
	if (!failed)
		return upg_db_exec(conn, sql);
	upg_error_stash(&keep, &conn->err);
	upg_db_exec(conn, sql);
	return upg_error_restore(&conn->err, &keep);
}

/* Reads the next batch into b (width nkey + nwant); b->nrows 0 at the end. */
static int
scan_next(struct scan *s, struct batch *b)
{
	const char **params = NULL;
	size_t i, j, n = 0, last;
	int ret;

	batch_clear(b);
	b->width = s->nkey + s->nwant;
	if (s->done)
		return UPGRADE_OK;
	if (s->use_cursor) {
		ret = cursor_next(s, b);
	} else if (s->nkey == 0) {
		/* No key and no cursor: one query for everything. */
		ret = upg_db_query(s->ctx->conn, s->first_sql, 0, NULL, batch_row, b);
		s->done = 1;
	} else if (s->last[0] == NULL) {
		ret = upg_db_query(s->ctx->conn, s->first_sql, 0, NULL, batch_row, b);
	} else {
		params = calloc(s->nkey * (s->nkey + 1) / 2 + 1, sizeof *params);
		if (params == NULL)
			return upg_error_oom(&s->ctx->conn->err);
		for (i = 0; i < s->nkey; i++)
			for (j = 0; j <= i; j++)
				params[n++] = s->last[j];
		ret = upg_db_query(s->ctx->conn, s->next_sql, n, params, batch_row, b);
		free(params);
	}
	if (ret == UPGRADE_OK && b->oom)
		ret = upg_error_oom(&s->ctx->conn->err);
	if (ret != UPGRADE_OK)
		return ret;
	if (s->nkey > 0) {
		if (b->nrows < s->limit)
			s->done = 1;
		if (b->nrows > 0) {
			last = (b->nrows - 1) * b->width;
			for (i = 0; i < s->nkey; i++) {
				free(s->last[i]);
				s->last[i] = upg_strdup(
				    b->cells[last + i] != NULL ? b->cells[last + i] : "");
				if (s->last[i] == NULL)
					return upg_error_oom(&s->ctx->conn->err);
			}
		}
	}
	return UPGRADE_OK;
}

/* Hands row r of b to fn as the wanted columns. */
static int
call_row(struct scan *s, struct batch *b, size_t r, upgrade_row_fn fn, void *ud)
{
	struct upgrade_row row;

	row.ncols = s->nwant;
	row.names = s->want_names;
	row.values = (const char *const *)&b->cells[r * b->width + s->nkey];
	return fn(&row, ud);
}

int
upg_records(struct upgrade_context *ctx, const char *table, const char *const *cols, size_t ncols,
            upgrade_row_fn fn, void *ud)
{
	struct batch b = {NULL, 0, 0, 0, 0};
	struct scan s;
	size_t r;
	int ret;

	ret = scan_open(&s, ctx, table, cols, ncols, DEFAULT_BATCH_ROWS, 0);
	while (ret == UPGRADE_OK) {
		if ((ret = scan_next(&s, &b)) != UPGRADE_OK || b.nrows == 0)
			break;
		for (r = 0; r < b.nrows && ret == UPGRADE_OK; r++)
			ret = call_row(&s, &b, r, fn, ud);
		if (ret > 0) {
			ret = UPGRADE_OK;
			break;
		}
		if (ret < 0 && ctx->conn->err.code == UPGRADE_OK)
			upg_error_set(&ctx->conn->err, ret, "the row callback failed (%s)",
			              upgrade_strerror(ret));
	}
	batch_free(&b);
	if (s.ctx != NULL) {
		int closed = cursor_close(&s, ret != UPGRADE_OK);
		if (ret == UPGRADE_OK)
			ret = closed;
	}
	scan_free(&s);
	return ret;
}

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

/*
 * UPDATE t SET c = CASE WHEN k = ? THEN ? ... END WHERE k = ? OR ...: one
 * statement for n rows.  A composite key compares all its columns.
 */
static char *
render_update(struct scan *s, const char *column, const char *type, size_t n)
{
	struct upg_render r;
	size_t i, k;
	char *sql;

	upg_render_init(&r, s->ctx->conn, s->schema);
	upg_r_puts(&r, "UPDATE ");
	upg_r_qname(&r, s->table);
	upg_r_puts(&r, " SET ");
	upg_r_ident(&r, column);
	upg_r_puts(&r, " = CASE");
	for (i = 0; i < n; i++) {
		upg_r_puts(&r, " WHEN ");
		for (k = 0; k < s->nkey; k++) {
			if (k > 0)
				upg_r_puts(&r, " AND ");
			key_name(&r, s, k);
			upg_r_puts(&r, " = ");
			key_param(&r, s, k);
		}
		if (type != NULL) {
			upg_r_puts(&r, " THEN CAST(? AS ");
			upg_r_puts(&r, type);
			upg_r_puts(&r, ")");
		} else {
			upg_r_puts(&r, " THEN ?");
		}
	}
	upg_r_puts(&r, " END WHERE ");
	for (i = 0; i < n; i++) {
		upg_r_puts(&r, i > 0 ? " OR (" : "(");
		for (k = 0; k < s->nkey; k++) {
			if (k > 0)
				upg_r_puts(&r, " AND ");
			key_name(&r, s, k);
			upg_r_puts(&r, " = ");
			key_param(&r, s, k);
		}
		upg_r_puts(&r, ")");
	}
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
	struct batch b = {NULL, 0, 0, 0, 0};
	struct scan s;
	char **values = NULL, *type = NULL, *full_sql = NULL;
	const char **params = NULL;
	size_t ncols = 0, r, i, k, n, done;
	int ret;

	while (fill->columns != NULL && fill->columns[ncols] != NULL)
		ncols++;
	ret = scan_open(&s, ctx, table, fill->columns, ncols, fill->batch_rows, 1);
	if (ret != UPGRADE_OK)
		goto done;
	values = calloc(s.limit, sizeof *values);
	params = calloc(UPDATE_ROWS * (2 * s.nkey + 1), sizeof *params);
	if (values == NULL || params == NULL) {
		ret = upg_error_oom(&conn->err);
		goto done;
	}
	if (conn->dialect->cast_params && (type = render_type(ctx, &col->type)) == NULL) {
		ret = conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
		goto done;
	}
	/* Full sub-batches all share one statement text. */
	if ((full_sql = render_update(&s, col->name, type, UPDATE_ROWS)) == NULL) {
		ret = conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
		goto done;
	}
	for (;;) {
		if ((ret = scan_next(&s, &b)) != UPGRADE_OK || b.nrows == 0)
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

			n = b.nrows - done < UPDATE_ROWS ? b.nrows - done : UPDATE_ROWS;
			k = 0;
			for (i = done; i < done + n; i++) {
				size_t j;

				for (j = 0; j < s.nkey; j++)
					params[k++] = b.cells[i * b.width + j];
				params[k++] = values[i];
			}
			for (i = done; i < done + n; i++) {
				size_t j;

				for (j = 0; j < s.nkey; j++)
					params[k++] = b.cells[i * b.width + j];
			}
			sql = n == UPDATE_ROWS ? full_sql : render_update(&s, col->name, type, n);
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
	free(type);
	free(full_sql);
	batch_free(&b);
	scan_free(&s);
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
	return upg_op_alter_column(ctx, &a);
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
		return ret;
	if (!empty) {
		if (fill->flags & UPGRADE_FILL_SUSPEND_TRIGGERS) {
			if ((ret = upg_op_triggers(ctx, table, 0)) != UPGRADE_OK)
				return ret;
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
			return ret;
	}
	if (col->notnull || col->pk)
		ret = upg_op_forbid_null(ctx, table, col->name);
	return ret;
}
