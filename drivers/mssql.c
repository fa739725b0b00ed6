/* SPDX-License-Identifier: MIT */
/*
 * mssql.c - the Microsoft SQL Server dialect (FreeTDS).
 *
 * No SQL Server can run on the test machines, so this dialect is checked by
 * the SQL it renders, not against a server.  Brackets quote identifiers
 * whatever QUOTED_IDENTIFIER says.
 *
 * What differs from ANSI: ALTER TABLE ... ADD without COLUMN; renames
 * through sp_rename, which takes names as strings; ALTER COLUMN restates
 * the type and nullability together; a default is a constraint of its
 * own, found by name in sys.default_constraints when it is replaced or
 * dropped; N'' literals; OFFSET ... FETCH instead of LIMIT.  Enumerations
 * do not exist: use a CHECK constraint.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "../src/ops.h"

static int
mssql_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "Microsoft SQL Server", 20) ? 100 : 0;
}

/* ---- introspection (untested: no server here) ------------------------------- */

static const char *const contypes[] = {"", "PK", "UQ", "F", "C"};

/*
 * The exists hook (src/dialect.h): one query of the sys catalog views for
 * ref in ref->schema, every name bound; *found is whether a row came
 * back.  Returns UPGRADE_OK or the query's error.
 */
static int
mssql_exists(struct upgrade_conn *conn, const struct upg_objref *ref, int *found)
{
	const char *p[4];
	const char *sql;
	size_t n = 2;
	int ret;

	p[0] = ref->schema;
	p[1] = ref->table;
	switch (ref->kind) {
	case UPG_OBJ_TABLE:
		sql = "SELECT 1 FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
		      "WHERE s.name = ? AND t.name = ?";
		break;
	case UPG_OBJ_VIEW:
		sql = "SELECT 1 FROM sys.views t JOIN sys.schemas s ON s.schema_id = t.schema_id "
		      "WHERE s.name = ? AND t.name = ?";
		break;
	case UPG_OBJ_COLUMN:
		sql = "SELECT 1 FROM sys.columns c JOIN sys.objects t ON t.object_id = c.object_id "
		      "JOIN sys.schemas s ON s.schema_id = t.schema_id "
		      "WHERE s.name = ? AND t.name = ? AND t.type IN ('U', 'V') AND c.name = ?";
		p[n++] = ref->name;
		break;
	case UPG_OBJ_INDEX:
		p[1] = ref->name;
		if (ref->table == NULL) {
			sql = "SELECT 1 FROM sys.indexes i JOIN sys.objects t ON t.object_id = i.object_id "
			      "JOIN sys.schemas s ON s.schema_id = t.schema_id WHERE s.name = ? AND i.name = ?";
		} else {
			sql = "SELECT 1 FROM sys.indexes i JOIN sys.objects t ON t.object_id = i.object_id "
			      "JOIN sys.schemas s ON s.schema_id = t.schema_id "
			      "WHERE s.name = ? AND i.name = ? AND t.name = ?";
			p[n++] = ref->table;
		}
		break;
	case UPG_OBJ_CONSTRAINT:
		p[n++] = ref->name;
		if (ref->ctype == UPG_CT_ANY) {
			sql = "SELECT 1 FROM sys.objects k JOIN sys.objects t ON t.object_id = k.parent_object_id "
			      "JOIN sys.schemas s ON s.schema_id = t.schema_id "
			      "WHERE s.name = ? AND t.name = ? AND k.name = ? AND k.type IN ('PK', 'UQ', 'F', 'C')";
		} else {
			sql = "SELECT 1 FROM sys.objects k JOIN sys.objects t ON t.object_id = k.parent_object_id "
			      "JOIN sys.schemas s ON s.schema_id = t.schema_id "
			      "WHERE s.name = ? AND t.name = ? AND k.name = ? AND k.type = ?";
			p[n++] = contypes[ref->ctype];
		}
		break;
	case UPG_OBJ_ENUM:
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "SQL Server has no enumerations; use a CHECK constraint (add-check) instead");
	default:
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown kind of object");
	}
	ret = upg_db_query(conn, sql, n, p, upg_row_seen, found);
	return ret < 0 ? ret : UPGRADE_OK;
}

static int
mssql_columns(struct upgrade_conn *conn, const char *schema, const char *table, upg_colinfo_fn fn,
              void *ud)
{
	const char *p[2] = {schema, table};

	/* The type as it is written in DDL: sizes in characters, (max) for -1. */
	return upg_query_columns(conn,
	                    "SELECT c.name, ty.name + CASE WHEN ty.name IN ('varchar', 'char', 'varbinary', 'binary') "
	                    "THEN '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length AS varchar(10)) END + ')' "
	                    "WHEN ty.name IN ('nvarchar', 'nchar') "
	                    "THEN '(' + CASE WHEN c.max_length = -1 THEN 'max' ELSE CAST(c.max_length / 2 AS varchar(10)) END + ')' "
	                    "WHEN ty.name IN ('decimal', 'numeric') "
	                    "THEN '(' + CAST(c.precision AS varchar(10)) + ',' + CAST(c.scale AS varchar(10)) + ')' "
	                    "ELSE '' END, CASE WHEN c.is_nullable = 1 THEN 0 ELSE 1 END, d.definition, "
	                    "(SELECT ic.key_ordinal FROM sys.indexes i JOIN sys.index_columns ic "
	                    "ON ic.object_id = i.object_id AND ic.index_id = i.index_id "
	                    "WHERE i.object_id = t.object_id AND i.is_primary_key = 1 AND ic.column_id = c.column_id) "
	                    "FROM sys.columns c JOIN sys.objects t ON t.object_id = c.object_id "
	                    "JOIN sys.schemas s ON s.schema_id = t.schema_id "
	                    "JOIN sys.types ty ON ty.user_type_id = c.user_type_id "
	                    "LEFT JOIN sys.default_constraints d ON d.object_id = c.default_object_id "
	                    "WHERE s.name = ? AND t.name = ? AND t.type IN ('U', 'V') ORDER BY c.column_id",
	                    2, p, fn, ud);
}

/* ---- rendering ---------------------------------------------------------------- */

/* sp_rename's first argument: the object's quoted, qualified name as a string. */
static void
rename_arg(struct upg_render *r, const char *table, const char *column)
{
	struct upg_render inner = *r;
	char *name;

	/* Render the quoted name on a scratch buffer, then write it as a literal. */
	memset(&inner.cur, 0, sizeof inner.cur);
	inner.stmts = NULL;
	inner.nstmts = inner.capstmts = 0;
	upg_r_qname(&inner, table);
	if (column != NULL) {
		upg_r_puts(&inner, ".");
		upg_r_ident(&inner, column);
	}
	name = upg_r_take(&inner);
	if (inner.ret != UPGRADE_OK) {
		r->ret = inner.ret;
		return;
	}
	upg_r_literal(r, name);
	free(name);
}

static int
mssql_render_rename_table(struct upg_render *r, const char *from, const char *to)
{
	upg_r_puts(r, "EXEC sp_rename ");
	rename_arg(r, from, NULL);
	/* The new name is a bare name: brackets would become part of it. */
	upg_r_puts(r, ", ");
	upg_r_literal(r, to);
	upg_r_end(r);
	return r->ret;
}

static int
mssql_render_rename_column(struct upg_render *r, const char *table, const char *from,
                           const char *to)
{
	upg_r_puts(r, "EXEC sp_rename ");
	rename_arg(r, table, from);
	upg_r_puts(r, ", ");
	upg_r_literal(r, to);
	upg_r_puts(r, ", 'COLUMN'");
	upg_r_end(r);
	return r->ret;
}

/*
 * Drops the default constraint of a column, whatever it is called: its name
 * is found at run time, so this is one batch.
 */
static void
drop_default(struct upg_render *r, const struct upg_alter *a)
{
	struct upg_render inner = *r;
	char *qtable;

	memset(&inner.cur, 0, sizeof inner.cur);
	inner.stmts = NULL;
	inner.nstmts = inner.capstmts = 0;
	upg_r_qname(&inner, a->table);
	qtable = upg_r_take(&inner);
	if (inner.ret != UPGRADE_OK) {
		r->ret = inner.ret;
		return;
	}
	upg_r_puts(r, "DECLARE @df sysname = (SELECT d.name FROM sys.default_constraints d "
	              "JOIN sys.columns c ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id "
	              "WHERE d.parent_object_id = OBJECT_ID(");
	upg_r_literal(r, qtable);
	upg_r_puts(r, ") AND c.name = ");
	upg_r_literal(r, a->column);
	upg_r_puts(r, "); IF @df IS NOT NULL EXEC (N'ALTER TABLE ");
	/* Inside the dynamic statement's literal, quotes are doubled once more. */
	{
		const char *p;

		for (p = qtable; *p != '\0'; p++) {
			char c[3] = {*p, '\0', '\0'};

			if (*p == '\'')
				c[1] = '\'';
			upg_r_puts(r, c);
		}
	}
	upg_r_puts(r, " DROP CONSTRAINT ' + QUOTENAME(@df))");
	upg_r_end(r);
	free(qtable);
}

/*
 * The render_alter_column hook: the statements of one <alter-column> on SQL
 * Server, which refuses to change the type of a column with a default: the
 * default constraint is dropped first and a default the change keeps is
 * added again after, from a->current.  Appends to r; returns what
 * upg_r_fail() returns when the type to restate is unknown, else the
 * render's state.
 */
static int
mssql_render_alter_column(struct upg_render *r, const struct upg_alter *a)
{
	int type = a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL;
	const char *readd = NULL;
	int dropped = 0;

	if (a->using_sql != NULL)
		return upg_render_alter_column_ansi(r, a, "", 0);
	/*
	 * SQL Server refuses to change the type of a column that has a default
	 * (error 5074): the default constraint goes first, and a default the
	 * change keeps is added again afterwards, from its text.
	 */
	if (type && a->def_change == UPG_DEF_KEEP && a->current != NULL && a->current->def != NULL)
		readd = a->current->def;
	if (type && (a->def_change != UPG_DEF_KEEP || readd != NULL)) {
		drop_default(r, a);
		dropped = 1;
	}
	if (type || a->null_change != UPG_NULL_KEEP) {
		int notnull;

		if (a->current == NULL && (a->type.kind == UPG_TYPE_NONE && a->type.sql == NULL))
			return upg_r_fail(r, UPGRADE_EINVAL,
			                  "column %s.%s: SQL Server restates the type to change nullability, "
			                  "and the type is unknown",
			                  a->table, a->column);
		notnull = a->null_change == UPG_NULL_KEEP ? (a->current != NULL && a->current->notnull)
		                                          : a->null_change == UPG_NULL_FORBID;
		upg_r_puts(r, "ALTER TABLE ");
		upg_r_qname(r, a->table);
		upg_r_puts(r, " ALTER COLUMN ");
		upg_r_ident(r, a->column);
		upg_r_puts(r, " ");
		if (a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL)
			upg_r_type(r, &a->type);
		else
			upg_r_puts(r, a->current->type);
		upg_r_puts(r, notnull ? " NOT NULL" : " NULL");
		upg_r_end(r);
	}
	if (a->def_change != UPG_DEF_KEEP || readd != NULL) {
		if (!dropped)
			drop_default(r, a);
		if (a->def_change != UPG_DEF_DROP) {
			upg_r_puts(r, "ALTER TABLE ");
			upg_r_qname(r, a->table);
			upg_r_puts(r, " ADD DEFAULT ");
			if (readd != NULL) {
				/* sys.default_constraints keeps the definition parenthesised. */
				upg_r_puts(r, readd);
			} else if (a->def_change == UPG_DEF_VALUE) {
				upg_r_value(r, a->def, upg_alter_value_type(a));
			} else {
				upg_r_puts(r, "(");
				upg_r_puts(r, a->def);
				upg_r_puts(r, ")");
			}
			upg_r_puts(r, " FOR ");
			upg_r_ident(r, a->column);
			upg_r_end(r);
		}
	}
	return r->ret;
}

static int
mssql_triggers_switch(struct upgrade_conn *conn, const char *schema, const char *table, int on)
{
	struct upg_render r;
	int ret;

	upg_render_init(&r, conn, schema);
	upg_r_puts(&r, on ? "ENABLE TRIGGER ALL ON " : "DISABLE TRIGGER ALL ON ");
	upg_r_qname(&r, table);
	upg_r_end(&r);
	ret = upg_exec_rendered(conn, &r);
	upg_render_free(&r);
	return ret;
}

static const char *const mssql_types[UPG_TYPE_COUNT] = {
	[UPG_TYPE_INTEGER] = "INT",
	[UPG_TYPE_BIGINT] = "BIGINT",
	[UPG_TYPE_TEXT] = "NVARCHAR(MAX)",
	[UPG_TYPE_VARCHAR] = "NVARCHAR",
	[UPG_TYPE_BOOLEAN] = "BIT",
	[UPG_TYPE_TIMESTAMP] = "DATETIME2",
	[UPG_TYPE_DATE] = "DATE",
	[UPG_TYPE_NUMERIC] = "DECIMAL",
	[UPG_TYPE_JSON] = "NVARCHAR(MAX)",
	[UPG_TYPE_BLOB] = "VARBINARY(MAX)",
};

const struct upg_dialect upg_dialect_mssql = {
	.name = "mssql",
	.title = "Microsoft SQL Server",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK |
	        UPGRADE_CAP_SAVEPOINTS | UPGRADE_CAP_ALTER_COLUMN | UPGRADE_CAP_DROP_COLUMN |
	        UPGRADE_CAP_DISABLE_TRIGGERS,
	.bid = mssql_bid,
	.version_caps = NULL,
	.server_version_sql = "SELECT CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128))",
	.quote_open = '[',
	.quote_close = ']',
	.max_ident_len = 128,
	.ident_unit = UPG_LEN_UTF16,
	.key_type = "NVARCHAR(255)",
	.max_module_chars = 255,
	.max_task_chars = 200,
	.names_in_utf16 = 1,
	.json_type = "NVARCHAR(MAX)",
	.timestamp_type = "DATETIME2",
	.task_key_type = "NVARCHAR(200)",
	.current_schema_sql = "SELECT SCHEMA_NAME()",
	.list_schemas_sql = "SELECT name FROM sys.schemas WHERE schema_id < 16384 "
	                    "AND name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest') ORDER BY name",
	/* The default schema belongs to the user, not the session. */
	.use_schema_sql = NULL,
	.classify_error = upg_odbc_classify_error,
	.exists = mssql_exists,
	.columns = mssql_columns,
	.type_names = mssql_types,
	.bool_true = "1",
	.bool_false = "0",
	.literal_prefix = "N",
	.literal_backslash = 0,
	.cast_params = 0,
	.limit_syntax = UPG_LIMIT_FETCH_FIRST,
	.add_column_clause = "ADD",
	.render_rename_table = mssql_render_rename_table,
	.render_rename_column = mssql_render_rename_column,
	.render_alter_column = mssql_render_alter_column,
	.drop_index_on_table = 1,
	.triggers_switch = mssql_triggers_switch,
};
