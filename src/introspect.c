/* SPDX-License-Identifier: MIT */
/*
 * introspect.c - what exists in the schema a task works on.
 *
 * The dialects answer with their own catalogs (pg_catalog,
 * information_schema, sqlite_master), always with the names bound as
 * parameters and matched the way the engine resolves identifiers.  The
 * generic dialect falls back to the ODBC catalog functions, with the
 * pattern characters of the names escaped and the results compared
 * exactly, because drivers treat the arguments as patterns and fold case
 * in ways of their own (see odbc-drivers.md, section 4).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "ops.h"

int
upg_ctx_schema(struct upgrade_context *ctx, char **out)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	int ret;

	*out = NULL;
	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	if (ctx->schema != NULL && ctx->schema[0] != '\0') {
		*out = upg_strdup(ctx->schema);
	} else if (d->current_schema_sql != NULL) {
		ret = upg_db_query_string(ctx->conn, d->current_schema_sql, out);
		if (ret != UPGRADE_OK)
			return ret;
		if (*out == NULL && d->no_current_schema_hint != NULL)
			return upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND,
			                     "the connection has no current schema (%s)",
			                     d->no_current_schema_hint);
		if (*out == NULL)
			return upg_error_set(&ctx->conn->err, UPGRADE_ENOTFOUND,
			                     "the connection has no current schema");
		return UPGRADE_OK;
	} else {
		*out = upg_strdup(d->default_schema != NULL ? d->default_schema : "");
	}
	return *out != NULL ? UPGRADE_OK : upg_error_oom(&ctx->conn->err);
}

/* ---- the generic dialect: ODBC catalog functions ----------------------------- */

/* Copies name into a search pattern, escaping '_' and '%' with the driver's escape. */
static char *
pattern(struct upgrade_conn *conn, const char *name)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char esc[8] = "";
	SQLSMALLINT len = 0;
	const char *p;

	if (!SQL_SUCCEEDED(SQLGetInfo(conn->dbc, SQL_SEARCH_PATTERN_ESCAPE, esc, sizeof esc, &len)))
		esc[0] = '\0';
	for (p = name; *p != '\0'; p++) {
		if ((*p == '_' || *p == '%' || (esc[0] != '\0' && *p == esc[0])) && esc[0] != '\0')
			upg_buf_putc(&buf, esc[0]);
		upg_buf_putc(&buf, *p);
	}
	return upg_buf_detach(&buf);
}

/* Reads column col of the current row into buf; "" for NULL or a value too long for buf. */
static void
get_col(SQLHSTMT st, SQLUSMALLINT col, char *buf, size_t size)
{
	SQLLEN ind = 0;
	SQLRETURN rc = SQLGetData(st, col, SQL_C_CHAR, buf, (SQLLEN)size, &ind);

	if (!SQL_SUCCEEDED(rc) || ind == SQL_NULL_DATA || rc == SQL_SUCCESS_WITH_INFO)
		buf[0] = '\0';
}

enum catalog_call { CAT_TABLES, CAT_COLUMNS, CAT_STATISTICS, CAT_PRIMARY_KEYS };

/*
 * Runs one catalog function and calls fn for every row; fn returns non-zero
 * to stop.  MariaDB would need the catalog argument and no schema, but it
 * has its own dialect; here both stay NULL, meaning "the current one".
 */
static int
catalog_query(struct upgrade_conn *conn, enum catalog_call call, const char *table,
              const char *second, int (*fn)(void *ud, SQLHSTMT st), void *ud)
{
	SQLHSTMT st;
	SQLRETURN rc;
	char *tpat = NULL, *spat = NULL;
	int ret = UPGRADE_OK;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, conn->dbc, &st)))
		return upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot allocate a statement");
	if (conn->capture != NULL)
		conn->capture_reads++;
	switch (call) {
	case CAT_TABLES:
		tpat = pattern(conn, table);
		if (tpat == NULL)
			goto oom;
		rc = SQLTables(st, NULL, 0, NULL, 0, (SQLCHAR *)tpat, SQL_NTS, (SQLCHAR *)second,
		               SQL_NTS);
		break;
	case CAT_COLUMNS:
		tpat = pattern(conn, table);
		spat = second != NULL ? pattern(conn, second) : NULL;
		if (tpat == NULL || (second != NULL && spat == NULL))
			goto oom;
		rc = SQLColumns(st, NULL, 0, NULL, 0, (SQLCHAR *)tpat, SQL_NTS, (SQLCHAR *)spat,
		                spat != NULL ? SQL_NTS : 0);
		break;
	case CAT_STATISTICS:
		/* Not a pattern argument: the name goes as it is. */
		rc = SQLStatistics(st, NULL, 0, NULL, 0, (SQLCHAR *)table, SQL_NTS, SQL_INDEX_ALL,
		                   SQL_QUICK);
		break;
	default: rc = SQLPrimaryKeys(st, NULL, 0, NULL, 0, (SQLCHAR *)table, SQL_NTS); break;
	}
	if (!SQL_SUCCEEDED(rc)) {
		ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "catalog function failed for %s",
		                   table);
		goto done;
	}
	while ((rc = SQLFetch(st)) != SQL_NO_DATA) {
		if (!SQL_SUCCEEDED(rc)) {
			ret = upg_db_error(conn, SQL_HANDLE_STMT, st,
			                   "cannot fetch catalog rows for %s", table);
			goto done;
		}
		if ((ret = fn(ud, st)) != 0)
			break;
	}
	if (ret > 0)
		ret = UPGRADE_OK;
	goto done;
oom:
	ret = upg_error_oom(&conn->err);
done:
	free(tpat);
	free(spat);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return ret;
}

struct match {
	SQLUSMALLINT col;  /* the name column of the result */
	SQLUSMALLINT col2; /* a second column to compare, or 0 */
	const char *want;
	const char *want2;
	int found;
};

static int
match_row(void *ud, SQLHSTMT st)
{
	struct match *m = ud;
	char buf[1024];

	get_col(st, m->col, buf, sizeof buf);
	if (strcmp(buf, m->want) != 0)
		return 0;
	if (m->col2 != 0) {
		get_col(st, m->col2, buf, sizeof buf);
		if (strcmp(buf, m->want2) != 0)
			return 0;
	}
	m->found = 1;
	return 1;
}

static int
generic_exists(struct upgrade_conn *conn, const struct upg_objref *ref, int *found)
{
	struct match m = {0, 0, NULL, NULL, 0};
	int ret;

	switch (ref->kind) {
	case UPG_OBJ_TABLE:
	case UPG_OBJ_VIEW:
		m.col = 3;
		m.want = ref->table;
		ret = catalog_query(conn, CAT_TABLES, ref->table,
		                    ref->kind == UPG_OBJ_TABLE ? "TABLE" : "VIEW", match_row, &m);
		break;
	case UPG_OBJ_COLUMN:
		m.col = 3;
		m.want = ref->table;
		m.col2 = 4;
		m.want2 = ref->name;
		ret = catalog_query(conn, CAT_COLUMNS, ref->table, ref->name, match_row, &m);
		break;
	case UPG_OBJ_INDEX:
		if (ref->table == NULL)
			return upg_error_set(
			    &conn->err, UPGRADE_EUNSUPPORTED,
			    "the generic dialect finds an index only with its table");
		m.col = 6;
		m.want = ref->name;
		ret = catalog_query(conn, CAT_STATISTICS, ref->table, NULL, match_row, &m);
		break;
	default:
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "the generic dialect cannot see %s through ODBC",
		                     ref->kind == UPG_OBJ_ENUM ? "enumerations" : "constraints");
	}
	*found = m.found;
	return ret;
}

struct pk_list {
	char names[32][256];
	int seq[32];
	size_t n;
};

static int
pk_row(void *ud, SQLHSTMT st)
{
	struct pk_list *pk = ud;
	char seq[32];

	if (pk->n == sizeof pk->seq / sizeof pk->seq[0])
		return 1;
	get_col(st, 4, pk->names[pk->n], sizeof pk->names[0]);
	get_col(st, 5, seq, sizeof seq);
	pk->seq[pk->n] = (int)strtol(seq, NULL, 10);
	pk->n++;
	return 0;
}

struct col_walk {
	const char *table;
	const struct pk_list *pk;
	upg_colinfo_fn fn;
	void *ud;
};

static int
column_row(void *ud, SQLHSTMT st)
{
	struct col_walk *w = ud;
	struct upg_colinfo ci;
	char tname[1024], name[1024], type[256], nullable[16], def[1024];
	size_t i;

	get_col(st, 3, tname, sizeof tname);
	if (strcmp(tname, w->table) != 0)
		return 0;
	get_col(st, 4, name, sizeof name);
	get_col(st, 6, type, sizeof type);
	get_col(st, 11, nullable, sizeof nullable);
	get_col(st, 13, def, sizeof def);
	memset(&ci, 0, sizeof ci);
	ci.name = name;
	ci.type = type;
	ci.notnull = strcmp(nullable, "0") == 0;
	ci.def = def[0] != '\0' ? def : NULL;
	for (i = 0; i < w->pk->n; i++)
		if (strcmp(w->pk->names[i], name) == 0)
			ci.pk = w->pk->seq[i] > 0 ? w->pk->seq[i] : (int)i + 1;
	return w->fn(w->ud, &ci);
}

static int
generic_columns(struct upgrade_conn *conn, const char *table, upg_colinfo_fn fn, void *ud)
{
	struct pk_list *pk = calloc(1, sizeof *pk);
	struct col_walk w = {table, NULL, fn, ud};
	int ret;

	if (pk == NULL)
		return upg_error_oom(&conn->err);
	w.pk = pk;
	/* Drivers without SQLPrimaryKeys simply give no key. */
	if (catalog_query(conn, CAT_PRIMARY_KEYS, table, NULL, pk_row, pk) != UPGRADE_OK) {
		pk->n = 0;
		upg_error_clear(&conn->err);
	}
	ret = catalog_query(conn, CAT_COLUMNS, table, NULL, column_row, &w);
	free(pk);
	return ret;
}

/* ---- dispatch ------------------------------------------------------------------ */

/*
 * A name a question asks about must be one the engine could keep, as the
 * operations' names must: refused here, before anything is sent, instead
 * of being looked up (and, too long, answered 0).  An enumeration of a
 * dialect with inline enums is "table.column", whose parts its driver
 * checks: here only its characters are.
 */
static int
need_name(struct upgrade_conn *conn, const char *what, const char *value, int any_length)
{
	if (value == NULL || value[0] == '\0')
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "empty %s name", what);
	return upg_ident_check(conn, value, any_length);
}

static int
need(struct upgrade_conn *conn, const char *what, const char *value)
{
	return need_name(conn, what, value, 0);
}

static int
need_enum(struct upgrade_conn *conn, const char *name)
{
	return need_name(conn, "enum", name, (conn->caps & UPGRADE_CAP_INLINE_ENUM) != 0);
}

int
upg_exists(struct upgrade_context *ctx, enum upg_object kind, const char *table, const char *name,
           int ctype, int *found)
{
	struct upgrade_conn *conn = ctx->conn;
	struct upg_objref ref;
	char *schema = NULL;
	int ret;

	*found = 0;
	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	switch (kind) {
	case UPG_OBJ_TABLE:
	case UPG_OBJ_VIEW: ret = need(conn, kind == UPG_OBJ_TABLE ? "table" : "view", table); break;
	case UPG_OBJ_COLUMN:
	case UPG_OBJ_CONSTRAINT:
		if ((ret = need(conn, "table", table)) == UPGRADE_OK)
			ret = need(conn, kind == UPG_OBJ_COLUMN ? "column" : "constraint", name);
		break;
	case UPG_OBJ_INDEX:
		ret = need(conn, "index", name);
		if (ret == UPGRADE_OK && table != NULL)
			ret = need(conn, "table", table);
		break;
	case UPG_OBJ_ENUM: ret = need_enum(conn, name); break;
	default: ret = upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown kind of object");
	}
	if (ret != UPGRADE_OK)
		return ret;
	if (ctype < UPG_CT_ANY || ctype > UPG_CT_CHECK)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown constraint type %d",
		                     ctype);
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	ref.kind = kind;
	ref.schema = schema;
	ref.table = table;
	ref.name = name;
	ref.ctype = ctype;
	if (conn->dialect->exists != NULL)
		ret = conn->dialect->exists(conn, &ref, found);
	else
		ret = generic_exists(conn, &ref, found);
	free(schema);
	return ret < 0 ? ret : UPGRADE_OK;
}

struct count_cols {
	upg_colinfo_fn fn;
	void *ud;
	size_t n;
};

static int
count_col(void *ud, const struct upg_colinfo *col)
{
	struct count_cols *c = ud;

	c->n++;
	return c->fn != NULL ? c->fn(c->ud, col) : 0;
}

int
upg_columns(struct upgrade_context *ctx, const char *table, upg_colinfo_fn fn, void *ud)
{
	struct upgrade_conn *conn = ctx->conn;
	struct count_cols c = {fn, ud, 0};
	char *schema = NULL;
	int ret;

	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if ((ret = need(conn, "table", table)) != UPGRADE_OK)
		return ret;
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	if (conn->dialect->columns != NULL)
		ret = conn->dialect->columns(conn, schema, table, count_col, &c);
	else
		ret = generic_columns(conn, table, count_col, &c);
	free(schema);
	if (ret == UPGRADE_OK && c.n == 0)
		ret = upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "no table %s", table);
	return ret;
}

int
upg_row_seen(void *ud, size_t ncols, char **values)
{
	*(int *)ud = 1;
	return 1;
}

int
upg_query_holds(struct upgrade_context *ctx, const char *sql, int *holds)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	struct upg_buf as = UPG_BUF_INIT;
	int ret;

	*holds = 0;
	/* The query as the catalog wrote it; see the dialect's as_written. */
	ret = d != NULL && d->as_written != NULL ? d->as_written(&as, sql, UPG_AS_WRITTEN_EXISTS) : 0;
	if (as.failed)
		ret = upg_error_oom(&ctx->conn->err);
	else if (ret < 0)
		ret = upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED, "%s: %.200s",
		                    upg_buf_str(&as), sql);
	else
		ret = upg_db_query(ctx->conn, ret > 0 ? upg_buf_str(&as) : sql, 0, NULL, upg_row_seen,
		                   holds);
	upg_buf_free(&as);
	return ret < 0 ? ret : UPGRADE_OK;
}

static int
first_is_one(void *ud, size_t ncols, char **values)
{
	*(int *)ud = values[0] != NULL && strcmp(values[0], "1") == 0;
	return 1;
}

int
upg_is_empty(struct upgrade_context *ctx, const char *table, int *empty)
{
	struct upg_render r;
	char *schema = NULL, *sql = NULL;
	int ret, any = 0;

	*empty = 0;
	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if ((ret = need(ctx->conn, "table", table)) != UPGRADE_OK)
		return ret;
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	upg_render_init(&r, ctx->conn, schema);
	/* EXISTS stops at the first row whatever the driver prefetches. */
	upg_r_puts(&r, "SELECT CASE WHEN EXISTS (SELECT 1 FROM ");
	upg_r_qname(&r, table);
	upg_r_puts(&r, ") THEN 1 ELSE 0 END");
	sql = upg_r_take(&r);
	ret = r.ret;
	upg_render_free(&r);
	if (ret == UPGRADE_OK) {
		ret = upg_db_query(ctx->conn, sql, 0, NULL, first_is_one, &any);
		if (ret > 0)
			ret = UPGRADE_OK;
	}
	if (ret == UPGRADE_OK)
		*empty = !any;
	free(sql);
	free(schema);
	return ret;
}

int
upg_enum_values(struct upgrade_context *ctx, const char *name, upg_row_fn fn, void *ud)
{
	const struct upg_dialect *d = ctx->conn->dialect;
	char *schema = NULL;
	int ret;

	if ((ret = upg_db_require(ctx->conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&ctx->conn->err);
	if ((ret = need_enum(ctx->conn, name)) != UPGRADE_OK)
		return ret;
	if (d->enum_values == NULL)
		return upg_error_set(
		    &ctx->conn->err, UPGRADE_EUNSUPPORTED,
		    "%s has no enumerations; use a CHECK constraint (add-check) instead", d->title);
	if ((ret = upg_ctx_schema(ctx, &schema)) != UPGRADE_OK)
		return ret;
	ret = d->enum_values(ctx->conn, schema, name, fn, ud);
	free(schema);
	return ret < 0 ? ret : UPGRADE_OK;
}

struct column_rows {
	upg_colinfo_fn fn;
	void *ud;
};

static int
column_of_row(void *ud, size_t ncols, char **v)
{
	struct column_rows *c = ud;
	struct upg_colinfo ci;

	memset(&ci, 0, sizeof ci);
	ci.name = v[0];
	ci.type = v[1] != NULL ? v[1] : "";
	ci.notnull = v[2] != NULL && v[2][0] == '1';
	ci.def = v[3];
	ci.pk = v[4] != NULL ? (int)strtol(v[4], NULL, 10) : 0;
	ci.extra = ncols > 5 ? v[5] : NULL;
	return c->fn(c->ud, &ci);
}

int
upg_query_columns(struct upgrade_conn *conn, const char *sql, size_t nparams,
                  const char *const *params, upg_colinfo_fn fn, void *ud)
{
	struct column_rows c = {fn, ud};

	return upg_db_query(conn, sql, nparams, params, column_of_row, &c);
}
