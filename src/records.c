/* SPDX-License-Identifier: MIT */
/*
 * records.c - reading every row of a table.
 *
 * Rows are read in batches ordered by the primary key (SQLite: the rowid),
 * each batch starting after the last key of the one before ("keyset
 * pagination"): memory stays the size of one batch whatever the table,
 * even with drivers that buffer a whole result set (psqlODBC and
 * Connector/ODBC do by default), and no cursor has to stay open while the
 * caller's function runs its own statements.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

/* ---- the table's columns and key ---------------------------------------------------- */


static int
collect_col(void *ud, const struct upg_colinfo *col)
{
	struct upg_table_cols *t = ud;

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
table_cols_free(struct upg_table_cols *t)
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
find_col(const struct upg_table_cols *t, const char *name)
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



static void
batch_clear(struct upg_batch *b)
{
	size_t i;

	for (i = 0; i < b->nrows * b->width; i++)
		free(b->cells[i]);
	b->nrows = 0;
}

void
upg_batch_free(struct upg_batch *b)
{
	batch_clear(b);
	free(b->cells);
	memset(b, 0, sizeof *b);
}

static int
batch_row(void *ud, size_t ncols, char **values)
{
	struct upg_batch *b = ud;
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
void
upg_scan_key_param(struct upg_render *r, const struct upg_scan *s, size_t k)
{
	if (r->d->cast_params && s->rowid == NULL) {
		upg_r_puts(r, "CAST(? AS ");
		upg_r_puts(r, s->cols.types[s->key[k]]);
		upg_r_puts(r, ")");
	} else {
		upg_r_puts(r, "?");
	}
}

void
upg_scan_key_name(struct upg_render *r, const struct upg_scan *s, size_t k)
{
	if (s->rowid != NULL)
		upg_r_puts(r, s->rowid); /* a keyword, never quoted: quoted, it could be a string */
	else
		upg_r_ident(r, s->cols.names[s->key[k]]);
}

/* (k1 > ?) OR (k1 = ? AND k2 > ?) OR ...: the rows after the last key, for any key width. */
static void
keyset_condition(struct upg_render *r, const struct upg_scan *s)
{
	size_t i, j;

	for (i = 0; i < s->nkey; i++) {
		upg_r_puts(r, i > 0 ? " OR (" : "(");
		for (j = 0; j < i; j++) {
			upg_scan_key_name(r, s, j);
			upg_r_puts(r, " = ");
			upg_scan_key_param(r, s, j);
			upg_r_puts(r, " AND ");
		}
		upg_scan_key_name(r, s, i);
		upg_r_puts(r, " > ");
		upg_scan_key_param(r, s, i);
		upg_r_puts(r, ")");
	}
}

static char *
render_select(struct upg_scan *s, int with_keyset)
{
	struct upg_render r;
	size_t i;
	char *sql;

	upg_render_init(&r, s->ctx->conn, s->schema);
	upg_r_puts(&r, "SELECT ");
	for (i = 0; i < s->nkey; i++) {
		upg_scan_key_name(&r, s, i);
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
			upg_scan_key_name(&r, s, i);
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

static int cursor_close(struct upg_scan *s, int failed);

void
upg_scan_free(struct upg_scan *s)
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

int
upg_scan_check_cols(struct upgrade_conn *conn, const char *const *cols)
{
	if (cols != NULL && cols[0] == NULL)
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "an empty list of columns (NULL asks for all of them)");
	return UPGRADE_OK;
}

/*
 * Sets up a scan of table handing out cols (NULL: all columns).
 * keyed_only: fail when there is no key to batch by, instead of reading
 * the table in one query.
 */
int
upg_scan_open(struct upg_scan *s, struct upgrade_context *ctx, const char *table,
              const char *const *cols, size_t ncols, size_t limit, int keyed_only)
{
	struct upgrade_conn *conn = ctx->conn;
	size_t i;
	int ret;

	memset(s, 0, sizeof *s);
	s->ctx = ctx;
	s->table = table;
	s->limit = limit > 0 ? limit : UPG_DEFAULT_BATCH_ROWS;
	/* Before any SQL: a SELECT of the key columns alone would end in ", FROM". */
	if ((ret = upg_scan_check_cols(conn, cols)) != UPGRADE_OK)
		return ret;
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
cursor_next(struct upg_scan *s, struct upg_batch *b)
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
cursor_close(struct upg_scan *s, int failed)
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
int
upg_scan_next(struct upg_scan *s, struct upg_batch *b)
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
call_row(struct upg_scan *s, struct upg_batch *b, size_t r, upgrade_row_fn fn, void *ud)
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
	struct upg_batch b = {NULL, 0, 0, 0, 0};
	struct upg_scan s;
	size_t r;
	int ret;

	ret = upg_scan_open(&s, ctx, table, cols, ncols, UPG_DEFAULT_BATCH_ROWS, 0);
	while (ret == UPGRADE_OK) {
		if ((ret = upg_scan_next(&s, &b)) != UPGRADE_OK || b.nrows == 0)
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
	upg_batch_free(&b);
	if (s.ctx != NULL) {
		int closed = cursor_close(&s, ret != UPGRADE_OK);
		if (ret == UPGRADE_OK)
			ret = closed;
	}
	upg_scan_free(&s);
	return ret;
}

