/*
 * db.c - statements and transactions on a connection.
 *
 * Drivers disagree on small things that matter here: SQLite and psqlODBC
 * return SQL_NO_DATA for an UPDATE or DELETE that hits no row (success for
 * us), and column sizes cannot be trusted for buffers, so values are read
 * with chunked SQLGetData.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connection.h"

int
upg_db_require(struct upgrade_conn *conn)
{
	if (conn == NULL)
		return UPGRADE_EINVAL;
	if (!conn->connected)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "not connected");
	return UPGRADE_OK;
}

static int
alloc_stmt(struct upgrade_conn *conn, SQLHSTMT *st)
{
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, conn->dbc, st))) {
		*st = SQL_NULL_HSTMT;
		return upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot allocate a statement");
	}
	return UPGRADE_OK;
}

int
upg_db_exec(struct upgrade_conn *conn, const char *sql)
{
	SQLHSTMT st;
	SQLRETURN rc;
	int ret;

	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if ((ret = alloc_stmt(conn, &st)) != UPGRADE_OK)
		return ret;
	rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (SQL_SUCCEEDED(rc) || rc == SQL_NO_DATA)
		ret = UPGRADE_OK;
	else
		ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "statement failed: %.200s", sql);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return ret;
}

/* Reads column col of the current row in chunks; *out is NULL for SQL NULL. */
static int
get_string(struct upgrade_conn *conn, SQLHSTMT st, SQLUSMALLINT col, char **out)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char chunk[1024];
	SQLLEN ind;
	SQLRETURN rc;

	*out = NULL;
	for (;;) {
		rc = SQLGetData(st, col, SQL_C_CHAR, chunk, sizeof chunk, &ind);
		if (rc == SQL_NO_DATA)
			break;
		if (!SQL_SUCCEEDED(rc)) {
			upg_buf_free(&buf);
			return upg_db_error(conn, SQL_HANDLE_STMT, st, "cannot read column %u", col);
		}
		if (ind == SQL_NULL_DATA) {
			upg_buf_free(&buf);
			return UPGRADE_OK;
		}
		/* SQL_SUCCESS_WITH_INFO means the chunk was filled and more follows. */
		if (rc == SQL_SUCCESS_WITH_INFO && (ind == SQL_NO_TOTAL || ind >= (SQLLEN)sizeof chunk)) {
			upg_buf_append(&buf, chunk, sizeof chunk - 1);
			continue;
		}
		upg_buf_puts(&buf, chunk);
		break;
	}
	if (buf.data == NULL && !buf.failed) {
		*out = upg_strdup("");
		return *out != NULL ? UPGRADE_OK : upg_error_oom(&conn->err);
	}
	*out = upg_buf_detach(&buf);
	return *out != NULL ? UPGRADE_OK : upg_error_oom(&conn->err);
}

int
upg_db_query_string(struct upgrade_conn *conn, const char *sql, char **out)
{
	SQLHSTMT st;
	SQLRETURN rc;
	int ret;

	*out = NULL;
	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if ((ret = alloc_stmt(conn, &st)) != UPGRADE_OK)
		return ret;
	rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "query failed: %.200s", sql);
		goto done;
	}
	rc = SQLFetch(st);
	if (rc == SQL_NO_DATA) {
		ret = UPGRADE_OK;
		goto done;
	}
	if (!SQL_SUCCEEDED(rc)) {
		ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "cannot fetch: %.200s", sql);
		goto done;
	}
	ret = get_string(conn, st, 1, out);
done:
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	return ret;
}

static int
set_autocommit(struct upgrade_conn *conn, int on)
{
	SQLRETURN rc = SQLSetConnectAttr(conn->dbc, SQL_ATTR_AUTOCOMMIT,
	                                 (SQLPOINTER)(SQLULEN)(on ? SQL_AUTOCOMMIT_ON : SQL_AUTOCOMMIT_OFF),
	                                 0);
	if (!SQL_SUCCEEDED(rc))
		return upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot switch autocommit %s",
		                    on ? "on" : "off");
	conn->autocommit = on;
	return UPGRADE_OK;
}

int
upg_db_begin(struct upgrade_conn *conn)
{
	int ret;

	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if (!conn->autocommit)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "a transaction is already open");
	return set_autocommit(conn, 0);
}

static int
end_tran(struct upgrade_conn *conn, SQLSMALLINT how)
{
	int ret;

	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if (conn->autocommit)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "no transaction is open");
	if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, conn->dbc, how))) {
		ret = upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "%s failed",
		                   how == SQL_COMMIT ? "COMMIT" : "ROLLBACK");
		/* Never leave the connection in a half-open transaction state. */
		SQLEndTran(SQL_HANDLE_DBC, conn->dbc, SQL_ROLLBACK);
		set_autocommit(conn, 1);
		return ret;
	}
	return set_autocommit(conn, 1);
}

int
upg_db_commit(struct upgrade_conn *conn)
{
	return end_tran(conn, SQL_COMMIT);
}

int
upg_db_rollback(struct upgrade_conn *conn)
{
	return end_tran(conn, SQL_ROLLBACK);
}
