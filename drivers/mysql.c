/* SPDX-License-Identifier: MIT */
/*
 * mysql.c - the MariaDB and MySQL dialect (MariaDB Connector/ODBC).
 *
 * DDL commits implicitly (and commits pending DML before it), so nothing
 * here is transactional DDL.  A "schema" is a database of the server.
 * Identifiers are quoted with backticks, which work whatever the sql_mode.
 *
 * Introspection reads information_schema with the database as the schema
 * (Connector/ODBC's catalog functions want it as the catalog and leak on a
 * schema argument).  Table names are case-sensitive on Linux
 * (lower_case_table_names = 0) while information_schema compares without
 * case, so table names are also compared as binary strings there; column
 * and index names are case-insensitive in MariaDB and compared so.
 *
 * Enumerations are not types here but ENUM columns: an enum is named
 * "table.column" (split at the last dot), and adding a label restates the
 * column with MODIFY.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../src/ops.h"

static int
mysql_bid(const char *dbms_name, const char *dbms_ver)
{
	if (upg_strncaseeq(dbms_name, "MariaDB", 7) || upg_strncaseeq(dbms_name, "MySQL", 5))
		return 100;
	return 0;
}

static unsigned int
mysql_version_caps(const char *dbms_ver, unsigned int caps)
{
	/* MariaDB 10.5.2 added CREATE INDEX IF NOT EXISTS; MariaDB numbers >= 10. */
	if (upg_version_parse(dbms_ver) >= 10005)
		caps |= UPGRADE_CAP_INDEX_IF_NOT_EXISTS;
	return caps;
}

/* GET_LOCK names are server-wide and at most 64 characters long. */
static void
lock_name(const struct upg_lock *lock, char *name, size_t size)
{
	if (strlen(lock->name) <= 64)
		snprintf(name, size, "%s", lock->name);
	else
		snprintf(name, size, "upgrade:%016llx", upg_hash62(lock->name));
}

/* ---- the lock table (Galera) ------------------------------------------------ */

/*
 * GET_LOCK is local to a Galera node: clients of two nodes hold the same
 * lock at once.  There the lock is a row of upgrade_locks (src/lock-table.c):
 * Galera certifies each autocommit write at commit, so of two nodes
 * inserting or taking over the same row at once exactly one commits and the
 * other gets error 1213 (40001).  Galera replicates InnoDB tables with a
 * primary key only.
 */
#define LOCK_SQL_COMMON                                                                        \
	.current_schema = "SELECT DATABASE()",                                                  \
	.exists = "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? "             \
	          "AND TABLE_NAME = '" UPG_LOCK_TABLE "'",                                      \
	.create = "CREATE TABLE IF NOT EXISTS %s (name VARCHAR(255) NOT NULL PRIMARY KEY, "     \
	          "holder VARCHAR(255) NOT NULL, token VARCHAR(40) NOT NULL, "                  \
	          "acquired_at DATETIME(6) NOT NULL, expires_at DATETIME(6) NOT NULL) "         \
	          "ENGINE=InnoDB",                                                              \
	.insert = "INSERT IGNORE INTO %s (name, holder, token, acquired_at, expires_at) "        \
	          "VALUES (?, ?, ?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)", \
	.take_over = "UPDATE %s SET holder = ?, token = ?, acquired_at = UTC_TIMESTAMP(6), "     \
	             "expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND "                  \
	             "WHERE name = ? AND expires_at < UTC_TIMESTAMP(6)",                        \
	.renew = "UPDATE %s SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND "         \
	         "WHERE name = ? AND token = ?",                                                \
	.remove = "DELETE FROM %s WHERE name = ? AND token = ?",                                 \
	.holder = "SELECT CONCAT(holder, ', lease until ', expires_at, ' UTC', "                \
	          "IF(expires_at < UTC_TIMESTAMP(6), ' (expired)', '')) FROM %s WHERE name = ?"

static const struct upg_lock_table_sql mysql_lock_sql = {
	LOCK_SQL_COMMON,
	.check = "SELECT token FROM %s WHERE name = ?",
};

/*
 * Read back with wsrep_sync_wait: the node first applies everything the
 * cluster committed before, so the state this holder reads next is the one
 * the previous holder left.
 */
static const struct upg_lock_table_sql galera_lock_sql = {
	LOCK_SQL_COMMON,
	.check = "SET STATEMENT wsrep_sync_wait = 1 FOR SELECT token FROM %s WHERE name = ?",
};

static int
row_second(void *ud, size_t ncols, char **values)
{
	char **out = ud;

	if (ncols >= 2 && values[1] != NULL)
		*out = upg_strdup(values[1]);
	return 1;
}

/* Whether the session replicates through Galera (wsrep_on; absent on MySQL). */
static int
wsrep_on(struct upgrade_conn *conn, int *on)
{
	char *value = NULL;
	int ret;

	*on = 0;
	ret = upg_db_query(conn, "SHOW SESSION VARIABLES LIKE 'wsrep_on'", 0, NULL, row_second, &value);
	if (ret < 0)
		return ret;
	*on = value != NULL && upg_strcaseeq(value, "ON");
	free(value);
	return UPGRADE_OK;
}

/*
 * Sets *use to whether this lock goes through the lock table and *galera
 * to whether the session replicates through Galera.
 */
static int
use_lock_table(struct upg_lock *lock, int *use, int *galera)
{
	int ret;

	*use = *galera = 0;
	if (lock->conn->cluster_lock == UPGRADE_CLUSTER_LOCK_OFF)
		return UPGRADE_OK;
	if ((ret = wsrep_on(lock->conn, galera)) != UPGRADE_OK)
		return ret;
	*use = *galera || lock->conn->cluster_lock == UPGRADE_CLUSTER_LOCK_TABLE;
	return UPGRADE_OK;
}

/* The lock table on Galera (GET_LOCK is not replicated) or when asked for. */
static int
mysql_lock_table(struct upg_lock *lock, const struct upg_lock_table_sql **sql)
{
	int use_table, galera, ret;

	if ((ret = use_lock_table(lock, &use_table, &galera)) != UPGRADE_OK)
		return ret;
	*sql = !use_table ? NULL : galera ? &galera_lock_sql : &mysql_lock_sql;
	return UPGRADE_OK;
}

/* ---- GET_LOCK, or the lock table on Galera ------------------------------------ */

static int
mysql_lock_try(struct upg_lock *lock, int *acquired)
{
	char name[80], *got = NULL;
	const char *params[1] = {name};
	int ret;

	*acquired = 0;
	lock_name(lock, name, sizeof name);
	ret = upg_db_query(lock->conn, "SELECT GET_LOCK(?, 0)", 1, params, upg_first_value, &got);
	if (ret < 0)
		return ret;
	*acquired = got != NULL && strcmp(got, "1") == 0;
	free(got);
	return UPGRADE_OK;
}

static int
mysql_lock_release(struct upg_lock *lock)
{
	char name[80];
	const char *params[1] = {name};

	lock_name(lock, name, sizeof name);
	return upg_db_query(lock->conn, "SELECT RELEASE_LOCK(?)", 1, params, NULL, NULL);
}

static int
mysql_lock_holder(struct upg_lock *lock, char **who)
{
	char name[80];
	const char *params[1] = {name};

	int ret;

	*who = NULL;
	lock_name(lock, name, sizeof name);
	ret = upg_db_query(lock->conn,
	                    "SELECT CONCAT('connection ', p.ID, ' of ', p.USER, ' from ', p.HOST, "
	                    "', busy for ', p.TIME, ' s') FROM information_schema.PROCESSLIST p "
	                    "WHERE p.ID = IS_USED_LOCK(?)",
	                    1, params, upg_first_value, who);
	return ret < 0 ? ret : UPGRADE_OK;
}

/*
 * read_only (a replica, a Galera node taken out of service) stops every
 * user without an exemption with error 1290.  MariaDB 10.11 exempts only
 * READ_ONLY ADMIN (part of ALL PRIVILEGES), no longer SUPER; older
 * MariaDB and MySQL exempt SUPER.  Only direct grants are seen: a user
 * exempted through a role is let through and gets the server's error.
 * GRANTEE reads 'user'@'host'; the user part may itself contain '@'.
 */
#define READ_ONLY_SQL(exempt)                                                                  \
	"SELECT CONCAT(IF(VERSION() LIKE '%MariaDB%', 'MariaDB', 'MySQL'), ' server ', "          \
	"@@hostname, ':', @@port, ' is read-only (read_only is ON) for ', cu.u) "                 \
	"FROM (SELECT CURRENT_USER() AS u) cu WHERE @@global.read_only <> 0 AND NOT EXISTS "      \
	"(SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT('''', "         \
	"LEFT(cu.u, LENGTH(cu.u) - LENGTH(SUBSTRING_INDEX(cu.u, '@', -1)) - 1), '''@''', "        \
	"SUBSTRING_INDEX(cu.u, '@', -1), '''') AND PRIVILEGE_TYPE IN (" exempt "))"

static int
mysql_read_only(struct upgrade_conn *conn, char **why)
{
	int ret;

	*why = NULL;
	/* MySQL's versions stay below 10, so 10.11 and later is MariaDB. */
	ret = upg_db_query(conn,
	                   upg_version_parse(conn->dbms_ver) >= 10011
	                       ? READ_ONLY_SQL("'READ_ONLY ADMIN'")
	                       : READ_ONLY_SQL("'SUPER', 'READ_ONLY ADMIN'"),
	                   0, NULL, upg_first_value, why);
	return ret < 0 ? ret : UPGRADE_OK;
}

/* ---- introspection ---------------------------------------------------------- */

/* Appended to every TABLE_NAME = ? test, with the table name bound once more. */
#define TABLE_EXACT "AND (@@lower_case_table_names <> 0 OR BINARY TABLE_NAME = BINARY ?)"

static const char *const contypes[] = {"", "PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK"};

/*
 * Splits "table.column" at the last dot into the two buffers; each part
 * must be a name MariaDB keeps (the core checked only the whole name's
 * characters, not the parts' lengths).
 */
static int
split_enum(struct upgrade_conn *conn, const char *name, char **table, const char **column)
{
	const char *dot = strrchr(name, '.');
	int ret;

	*table = NULL;
	if (dot == NULL || dot == name || dot[1] == '\0')
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "MariaDB enums are ENUM columns: name one as \"table.column\", not \"%s\"",
		                     name);
	*table = upg_strndup(name, (size_t)(dot - name));
	*column = dot + 1;
	if (*table == NULL)
		return upg_error_oom(&conn->err);
	if ((ret = upg_ident_check(conn, *table, 0)) != UPGRADE_OK ||
	    (ret = upg_ident_check(conn, *column, 0)) != UPGRADE_OK) {
		free(*table);
		*table = NULL;
	}
	return ret;
}

/*
 * The exists hook (src/dialect.h): one query of information_schema for
 * ref in ref->schema, every name bound; an enumeration, named
 * "table.column", is that column with an ENUM type.  *found is whether a
 * row came back.  Returns UPGRADE_OK or the query's error.
 */
static int
mysql_exists(struct upgrade_conn *conn, const struct upg_objref *ref, int *found)
{
	const char *p[6];
	char *etable = NULL;
	const char *sql, *ecol;
	size_t n = 0;
	int ret;

	p[n++] = ref->schema;
	switch (ref->kind) {
	case UPG_OBJ_TABLE:
		/* A system-versioned table is an ordinary table with history. */
		sql = "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
		      "AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') " TABLE_EXACT;
		p[n++] = ref->table;
		p[n++] = ref->table;
		break;
	case UPG_OBJ_VIEW:
		sql = "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
		      "AND TABLE_TYPE = 'VIEW' " TABLE_EXACT;
		p[n++] = ref->table;
		p[n++] = ref->table;
		break;
	case UPG_OBJ_COLUMN:
		sql = "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
		      "AND COLUMN_NAME = ? " TABLE_EXACT;
		p[n++] = ref->table;
		p[n++] = ref->name;
		p[n++] = ref->table;
		break;
	case UPG_OBJ_INDEX:
		p[n++] = ref->name;
		if (ref->table == NULL) {
			sql = "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? "
			      "AND INDEX_NAME = ?";
		} else {
			sql = "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? "
			      "AND INDEX_NAME = ? AND TABLE_NAME = ? " TABLE_EXACT;
			p[n++] = ref->table;
			p[n++] = ref->table;
		}
		break;
	case UPG_OBJ_CONSTRAINT:
		p[n++] = ref->table;
		p[n++] = ref->name;
		p[n++] = ref->table;
		if (ref->ctype == UPG_CT_ANY) {
			sql = "SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? "
			      "AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? " TABLE_EXACT;
		} else {
			sql = "SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? "
			      "AND TABLE_NAME = ? AND CONSTRAINT_NAME = ? " TABLE_EXACT
			      " AND CONSTRAINT_TYPE = ?";
			p[n++] = contypes[ref->ctype];
		}
		break;
	case UPG_OBJ_ENUM:
		if ((ret = split_enum(conn, ref->name, &etable, &ecol)) != UPGRADE_OK)
			return ret;
		sql = "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? "
		      "AND COLUMN_NAME = ? AND DATA_TYPE = 'enum' " TABLE_EXACT;
		p[n++] = etable;
		p[n++] = ecol;
		p[n++] = etable;
		break;
	default:
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown kind of object");
	}
	ret = upg_db_query(conn, sql, n, p, upg_row_seen, found);
	free(etable);
	return ret < 0 ? ret : UPGRADE_OK;
}

static int
mysql_columns(struct upgrade_conn *conn, const char *schema, const char *table,
              upg_colinfo_fn fn, void *ud)
{
	const char *p[3] = {schema, table, table};

	/* Since 10.2.7 COLUMN_DEFAULT is SQL: 'text', numbers, NULL, current_timestamp(). */
	return upg_query_columns(conn,
	                    "SELECT c.COLUMN_NAME, c.COLUMN_TYPE, CASE WHEN c.IS_NULLABLE = 'NO' THEN 1 ELSE 0 END, "
	                    "c.COLUMN_DEFAULT, (SELECT k.ORDINAL_POSITION FROM information_schema.KEY_COLUMN_USAGE k "
	                    "WHERE k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
	                    "AND k.CONSTRAINT_NAME = 'PRIMARY' AND k.COLUMN_NAME = c.COLUMN_NAME), c.EXTRA "
	                    "FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME = ? "
	                    "AND (@@lower_case_table_names <> 0 OR BINARY c.TABLE_NAME = BINARY ?) "
	                    "ORDER BY c.ORDINAL_POSITION",
	                    3, p, fn, ud);
}

/* ---- rendering ------------------------------------------------------------------ */

static int
mysql_render_rename_table(struct upg_render *r, const char *from, const char *to)
{
	/* ALTER TABLE ... RENAME TO with an unqualified name would move it to the current database. */
	upg_r_puts(r, "RENAME TABLE ");
	upg_r_qname(r, from);
	upg_r_puts(r, " TO ");
	upg_r_qname(r, to);
	upg_r_end(r);
	return r->ret;
}

/* The parts of EXTRA that MODIFY must repeat to keep the column as it is. */
static int
restate_extra(struct upg_render *r, const char *extra)
{
	const char *on;

	if (extra == NULL || extra[0] == '\0')
		return r->ret;
	if (strstr(extra, "GENERATED") != NULL)
		return upg_r_fail(r, UPGRADE_EUNSUPPORTED, "cannot restate a generated column");
	if (strstr(extra, "auto_increment") != NULL)
		upg_r_puts(r, " AUTO_INCREMENT");
	if ((on = strstr(extra, "on update ")) != NULL) {
		upg_r_puts(r, " ON UPDATE ");
		upg_r_puts(r, on + strlen("on update "));
	}
	return r->ret;
}

/* "MODIFY COLUMN c type [NOT] NULL [DEFAULT d] [extra]", keeping what does not change. */
static void
modify_column(struct upg_render *r, const struct upg_alter *a, const char *type_sql)
{
	const struct upg_colinfo *cur = a->current;
	int notnull = a->null_change == UPG_NULL_KEEP ? cur->notnull : a->null_change == UPG_NULL_FORBID;

	upg_r_puts(r, "ALTER TABLE ");
	upg_r_qname(r, a->table);
	upg_r_puts(r, " MODIFY COLUMN ");
	upg_r_ident(r, a->column);
	upg_r_puts(r, " ");
	if (type_sql != NULL)
		upg_r_puts(r, type_sql);
	else if (a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL)
		upg_r_type(r, &a->type);
	else
		upg_r_puts(r, cur->type);
	upg_r_puts(r, notnull ? " NOT NULL" : " NULL");
	switch (a->def_change) {
	case UPG_DEF_VALUE:
		upg_r_puts(r, " DEFAULT ");
		upg_r_value(r, a->def, upg_alter_value_type(a));
		break;
	case UPG_DEF_SQL:
		upg_r_puts(r, " DEFAULT (");
		upg_r_puts(r, a->def);
		upg_r_puts(r, ")");
		break;
	case UPG_DEF_KEEP:
		/* "NULL" is how information_schema says "no default" of a nullable column. */
		if (cur->def != NULL && !upg_strcaseeq(cur->def, "NULL")) {
			upg_r_puts(r, " DEFAULT ");
			upg_r_puts(r, cur->def);
		}
		break;
	default:
		break;
	}
	restate_extra(r, cur->extra);
	upg_r_end(r);
}

static int
mysql_render_alter_column(struct upg_render *r, const struct upg_alter *a)
{
	if (a->using_sql != NULL)
		return upg_render_alter_column_ansi(r, a, "", 0);
	if (a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL || a->null_change != UPG_NULL_KEEP) {
		if (a->current == NULL)
			return upg_r_fail(r, UPGRADE_EINVAL, "column %s.%s: its definition is unknown",
			                  a->table, a->column);
		modify_column(r, a, NULL);
		return r->ret;
	}
	/* Only the default changes: ALTER COLUMN does that without restating the column. */
	return upg_render_alter_column_ansi(r, a, "", 0);
}

static int
mysql_render_drop_constraint(struct upg_render *r, const char *table, const char *name, int ctype)
{
	upg_r_puts(r, "ALTER TABLE ");
	upg_r_qname(r, table);
	switch (ctype) {
	case UPG_CT_PRIMARY:
		upg_r_puts(r, " DROP PRIMARY KEY");
		break;
	case UPG_CT_FOREIGN:
		upg_r_puts(r, " DROP FOREIGN KEY ");
		upg_r_ident(r, name);
		break;
	case UPG_CT_UNIQUE:
		/* A unique constraint is a unique index here. */
		upg_r_puts(r, " DROP INDEX ");
		upg_r_ident(r, name);
		break;
	default:
		upg_r_puts(r, " DROP CONSTRAINT ");
		upg_r_ident(r, name);
		break;
	}
	upg_r_end(r);
	return r->ret;
}

/*
 * Connector/ODBC ignores SQL_ATTR_LOGIN_TIMEOUT: against a server that
 * accepts the connection and never sends its greeting it waits for good.
 * Its CONN_TIMEOUT bounds the TCP connect and the wait for the greeting.
 * READ_TIMEOUT would bound the rest of the login too, but it stays for the
 * whole session and would cut off a long ALTER TABLE, so it is not set.
 */
static void
mysql_prepare_connstr(struct upg_buf *buf, const char *connstr, int login_timeout)
{
	char *given, n[16];

	if (login_timeout <= 0)
		return;
	given = upg_connstr_get(connstr, "CONN_TIMEOUT");
	if (given == NULL) {
		snprintf(n, sizeof n, "%d", login_timeout);
		upg_connstr_append(buf, "CONN_TIMEOUT", n);
	}
	free(given);
}

static const char *const mysql_driver_files[] = {"maodbc", NULL};

static const char *const mysql_types[UPG_TYPE_COUNT] = {
	[UPG_TYPE_INTEGER] = "INT",
	[UPG_TYPE_BIGINT] = "BIGINT",
	/* TEXT stops at 64 KiB. */
	[UPG_TYPE_TEXT] = "LONGTEXT",
	[UPG_TYPE_VARCHAR] = "VARCHAR",
	[UPG_TYPE_BOOLEAN] = "BOOLEAN",
	/* TIMESTAMP would update itself and stops in 2038. */
	[UPG_TYPE_TIMESTAMP] = "DATETIME(6)",
	[UPG_TYPE_DATE] = "DATE",
	[UPG_TYPE_NUMERIC] = "DECIMAL",
	[UPG_TYPE_JSON] = "JSON",
	[UPG_TYPE_BLOB] = "LONGBLOB",
};

/* ---- enumerations: ENUM columns ---------------------------------------------------- */

/*
 * Calls fn with each label of COLUMN_TYPE "enum('a','b''c','d\\e')".  The
 * server writes a quote inside a label doubled and a backslash escaped.
 */
static int
parse_enum_type(struct upgrade_conn *conn, const char *type,
                int (*fn)(void *ud, size_t ncols, char **values), void *ud)
{
	const char *p = type;
	int ret = 0;

	if (!upg_strncaseeq(p, "enum(", 5))
		return upg_error_set(&conn->err, UPGRADE_EPARSE, "not an ENUM column: %s", type);
	p += 5;
	while (*p == '\'') {
		struct upg_buf label = UPG_BUF_INIT;
		char *v;

		for (p++; *p != '\0'; p++) {
			if ((*p == '\'' && p[1] == '\'') || (*p == '\\' && p[1] != '\0')) {
				upg_buf_putc(&label, p[1]);
				p++;
			} else if (*p == '\'') {
				break;
			} else {
				upg_buf_putc(&label, *p);
			}
		}
		if (*p != '\'') {
			upg_buf_free(&label);
			return upg_error_set(&conn->err, UPGRADE_EPARSE, "cannot read %s", type);
		}
		p++;
		if (label.failed)
			return upg_error_oom(&conn->err);
		v = upg_buf_detach(&label);
		if (v == NULL && (v = upg_strdup("")) == NULL)
			return upg_error_oom(&conn->err);
		ret = fn(ud, 1, &v);
		free(v);
		if (ret != 0)
			return ret;
		if (*p == ',')
			p++;
	}
	return UPGRADE_OK;
}

struct enum_col {
	const char *want;
	char *type;
	struct upg_colinfo info;
	int found, oom;
};

static int
enum_col_row(void *ud, const struct upg_colinfo *col)
{
	struct enum_col *e = ud;

	if (e->found || !upg_strcaseeq(col->name, e->want))
		return 0;
	e->found = 1;
	e->info.name = upg_strdup(col->name);
	e->info.type = e->type = upg_strdup(col->type);
	e->info.def = col->def != NULL ? upg_strdup(col->def) : NULL;
	e->info.extra = col->extra != NULL ? upg_strdup(col->extra) : NULL;
	e->info.notnull = col->notnull;
	if (e->info.name == NULL || e->type == NULL || (col->def != NULL && e->info.def == NULL) ||
	    (col->extra != NULL && e->info.extra == NULL))
		e->oom = 1;
	return 0;
}

static void
enum_col_free(struct enum_col *e)
{
	free((char *)e->info.name);
	free(e->type);
	free((char *)e->info.def);
	free((char *)e->info.extra);
}

/* Reads the column behind an enum name; e->found is 0 when it does not exist. */
static int
enum_column(struct upgrade_conn *conn, const char *schema, const char *name, char **table,
            struct enum_col *e)
{
	const char *column;
	int ret;

	memset(e, 0, sizeof *e);
	if ((ret = split_enum(conn, name, table, &column)) != UPGRADE_OK)
		return ret;
	e->want = column;
	ret = mysql_columns(conn, schema, *table, enum_col_row, e);
	if (ret == UPGRADE_OK && e->oom)
		ret = upg_error_oom(&conn->err);
	return ret;
}

static int
mysql_enum_values(struct upgrade_conn *conn, const char *schema, const char *name,
                  int (*fn)(void *ud, size_t ncols, char **values), void *ud)
{
	struct enum_col e;
	char *table = NULL;
	int ret;

	ret = enum_column(conn, schema, name, &table, &e);
	/* Not an ENUM column: no labels, as for a missing enum type elsewhere. */
	if (ret == UPGRADE_OK && e.found && upg_strncaseeq(e.type, "enum(", 5))
		ret = parse_enum_type(conn, e.type, fn, ud);
	enum_col_free(&e);
	free(table);
	return ret;
}

struct label_list {
	struct upg_render *r;
	size_t n;
};

static int
label_out(void *ud, size_t ncols, char **values)
{
	struct label_list *l = ud;

	if (l->n++ > 0)
		upg_r_puts(l->r, ", ");
	upg_r_literal(l->r, values[0]);
	return 0;
}

/*
 * Writes the enum column with labels (the existing ones from e, then
 * values): MODIFY when it exists, else ADD as a nullable column.
 */
static int
write_enum(struct upgrade_conn *conn, const char *schema, const char *table, struct enum_col *e,
           const char *column, int keep_existing, const char *const *values, size_t nvalues)
{
	struct upg_render r;
	struct label_list l;
	struct upg_alter a;
	char *type_sql = NULL;
	size_t i;
	int ret;

	upg_render_init(&r, conn, schema);
	l.r = &r;
	l.n = 0;
	upg_r_puts(&r, "ENUM(");
	if (keep_existing && e->found && (ret = parse_enum_type(conn, e->type, label_out, &l)) != 0) {
		upg_render_free(&r);
		return ret;
	}
	for (i = 0; i < nvalues; i++)
		label_out(&l, 1, (char **)&values[i]);
	upg_r_puts(&r, ")");
	type_sql = upg_r_take(&r);
	if (type_sql != NULL) {
		if (e->found) {
			memset(&a, 0, sizeof a);
			a.table = table;
			a.column = column;
			a.current = &e->info;
			modify_column(&r, &a, type_sql);
		} else {
			upg_r_puts(&r, "ALTER TABLE ");
			upg_r_qname(&r, table);
			upg_r_puts(&r, " ADD COLUMN ");
			upg_r_ident(&r, column);
			upg_r_puts(&r, " ");
			upg_r_puts(&r, type_sql);
			upg_r_puts(&r, " NULL");
			upg_r_end(&r);
		}
	}
	ret = upg_exec_rendered(conn, &r);
	free(type_sql);
	upg_render_free(&r);
	return ret;
}

static int
mysql_enum_create(struct upgrade_conn *conn, const char *schema, const char *name,
                  const char *const *values, size_t nvalues)
{
	struct enum_col e;
	char *table = NULL;
	int ret;

	ret = enum_column(conn, schema, name, &table, &e);
	if (ret == UPGRADE_OK)
		ret = write_enum(conn, schema, table, &e, strrchr(name, '.') + 1, 0, values, nvalues);
	enum_col_free(&e);
	free(table);
	return ret;
}

static int
mysql_enum_add_value(struct upgrade_conn *conn, const char *schema, const char *name,
                     const char *value)
{
	struct enum_col e;
	char *table = NULL;
	int ret;

	ret = enum_column(conn, schema, name, &table, &e);
	if (ret == UPGRADE_OK && !e.found)
		ret = upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "no enum column %s", name);
	if (ret == UPGRADE_OK)
		ret = write_enum(conn, schema, table, &e, strrchr(name, '.') + 1, 1, &value, 1);
	enum_col_free(&e);
	free(table);
	return ret;
}

/* ---- which statements a transaction can hold -------------------------------- */

/*
 * Skips blanks and comments.  Returns where the next token starts, or NULL
 * at an executable comment (the server runs what a slash-star-bang comment
 * holds, which this scanner does not judge) or an unterminated comment.
 */
static const char *
skip_blanks(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' ||
		       *p == '\v')
			p++;
		/* "--" starts a comment only before a blank (or the end). */
		if (p[0] == '#' || (p[0] == '-' && p[1] == '-' &&
		                    (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || p[2] == '\r' ||
		                     p[2] == '\0'))) {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			if (p[2] == '!' || (p[2] == 'M' && p[3] == '!'))
				return NULL;
			if ((p = strstr(p + 2, "*/")) == NULL)
				return NULL;
			p += 2;
			continue;
		}
		return p;
	}
}

static int
word_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$';
}

static int
word_is(const char *word, size_t len, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && upg_strncaseeq(word, list[i], len))
			return 1;
	return 0;
}

/*
 * DML on InnoDB runs inside a transaction; everything else may commit
 * implicitly (DDL, LOCK TABLES, SET autocommit, ...), and CALL can do
 * anything.  So: a statement that starts with a DML keyword, holds no
 * second statement, no executable comment and no file output, and whose
 * string literals hold no backslash (whose meaning depends on sql_mode,
 * and with it where a literal ends).  Anything else counts as committing
 * on its own.  What the text cannot show is the table's engine: DML on
 * MyISAM or Aria tables commits at once whatever the transaction.
 */
static int
mysql_statement_transactional(const char *sql)
{
	static const char *const dml[] = {"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH",
	                                  NULL};
	static const char *const outside[] = {"OUTFILE", "DUMPFILE", NULL};
	const char *p = skip_blanks(sql), *word;

	if (p == NULL)
		return 0;
	for (word = p; word_char(*p); p++)
		;
	if (!word_is(word, (size_t)(p - word), dml))
		return 0;
	while ((p = skip_blanks(p)) != NULL && *p != '\0') {
		if (*p == '\'' || *p == '"' || *p == '`') {
			char quote = *p++;

			/* A doubled quote closes and reopens: the loop sees two literals. */
			while (*p != '\0' && *p != quote && *p != '\\')
				p++;
			if (*p != quote)
				return 0;
			p++;
		} else if (*p == ';') {
			p = skip_blanks(p + 1);
			return p != NULL && *p == '\0';
		} else if (word_char(*p)) {
			for (word = p; word_char(*p); p++)
				;
			if (word_is(word, (size_t)(p - word), outside))
				return 0;
		} else {
			p++;
		}
	}
	return p != NULL;
}

/*
 * Connector/ODBC leaves a ? in quotes and comments alone, but takes one
 * outside them for a parameter marker and, with nothing bound, fails with
 * "Malformed communication packet"; MariaDB has no ? operator, so such a
 * statement is never meant as written.
 */
static int
mysql_as_written(struct upg_buf *buf, const char *sql, enum upg_as_written how)
{
	const char *p = sql, *close;

	(void)how;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"' || *p == '`') {
			char q = *p;

			/* A backslash escapes in strings (not in `names`); a doubled quote too. */
			for (p++; *p != '\0' && *p != q; p++)
				if (*p == '\\' && q != '`' && p[1] != '\0')
					p++;
			if (*p != '\0')
				p++;
		} else if ((p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\t')) ||
		           p[0] == '#') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			close = strstr(p + 2, "*/");
			p = close != NULL ? close + 2 : p + strlen(p);
		} else if (*p == '?') {
			upg_buf_puts(buf, "Connector/ODBC takes a ? outside quotes and comments for a "
			                  "parameter marker, and a catalog's statement binds none; write "
			                  "the value as a literal");
			return -1;
		} else {
			p++;
		}
	}
	return 0;
}

/* The server's own databases, which list_schemas_sql leaves out too. */
static int
mysql_system_schema(const char *name)
{
	static const char *const own[] = {"mysql", "information_schema", "performance_schema", "sys"};
	size_t i;

	for (i = 0; i < sizeof own / sizeof *own; i++)
		if (strcasecmp(name, own[i]) == 0)
			return 1;
	return 0;
}

const struct upg_dialect upg_dialect_mysql = {
	.name = "mysql",
	.title = "MariaDB / MySQL",
	.caps = UPGRADE_CAP_DATABASE_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK | UPGRADE_CAP_INLINE_ENUM |
	        UPGRADE_CAP_JSON | UPGRADE_CAP_SAVEPOINTS | UPGRADE_CAP_ALTER_COLUMN |
	        UPGRADE_CAP_DROP_COLUMN,
	.bid = mysql_bid,
	.as_written = mysql_as_written,
	.version_caps = mysql_version_caps,
	.server_version_sql = "SELECT VERSION()",
	.driver_files = mysql_driver_files,
	.prepare_connstr = mysql_prepare_connstr,
	.quote_open = '`',
	.quote_close = '`',
	.max_ident_len = 64,
	.ident_unit = UPG_LEN_CHARS,
	/* A TEXT key cannot be a primary key; TEXT values stop at 64 KiB. */
	.key_type = "VARCHAR(255)",
	.max_module_chars = 255,
	.max_task_chars = 500,
	.json_type = "LONGTEXT",
	.timestamp_type = "DATETIME(6)",
	.task_key_type = "VARCHAR(500)",
	.task_upsert = "ON DUPLICATE KEY UPDATE executed_at = VALUES(executed_at), "
	               "duration_ms = VALUES(duration_ms), checksum = VALUES(checksum), how = VALUES(how)",
	.state_append = "UPDATE %s SET state = JSON_ARRAY_APPEND(state, '$.executed_tasks', ?), "
	                "modified = ? WHERE module = ?",
	.state_list_guard = " AND NOT JSON_CONTAINS(state, JSON_QUOTE(?), '$.executed_tasks')",
	.state_length_guard = " AND JSON_LENGTH(state, '$.executed_tasks') = CAST(? AS SIGNED)",
	/* Prepared on the server once, then only executed: 0.29 -> 0.25 ms of client CPU a task. */
	.keep_prepared = 1,
	.current_schema_sql = "SELECT DATABASE()",
	.list_schemas_sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME "
	                    "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') "
	                    "ORDER BY SCHEMA_NAME",
	.system_schema = mysql_system_schema,
	.list_schemas_final = 1,
	.use_schema_sql = "USE %s",
	/* A schema is a database here. */
	.create_schema_sql = "CREATE DATABASE %s",
	.lock_try = mysql_lock_try,
	.lock_release = mysql_lock_release,
	.lock_holder = mysql_lock_holder,
	.lock_table = mysql_lock_table,
	.classify_error = upg_odbc_classify_error,
	.statement_transactional = mysql_statement_transactional,
	.read_only = mysql_read_only,
	.exists = mysql_exists,
	.columns = mysql_columns,
	.type_names = mysql_types,
	.bool_true = "1",
	.bool_false = "0",
	.literal_prefix = NULL,
	.literal_backslash = 1,
	.cast_params = 0,
	.limit_syntax = UPG_LIMIT_LIMIT,
	.add_default_fills = 1,
	.update_rows = UPG_UPDATE_ROWS_JOIN,
	.render_rename_table = mysql_render_rename_table,
	.render_alter_column = mysql_render_alter_column,
	.drop_index_on_table = 1,
	.render_drop_constraint = mysql_render_drop_constraint,
	.enum_values = mysql_enum_values,
	.enum_create = mysql_enum_create,
	.enum_add_value = mysql_enum_add_value,
	/* No way to switch triggers off; recreating them would not be atomic here. */
	.triggers_switch = NULL,
};
