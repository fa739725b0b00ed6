/* SPDX-License-Identifier: MIT */
/*
 * db.c - statements and transactions on a connection, and ODBC
 * diagnostics turned into the handle's error.  It calls no function of
 * connection.c, which calls it.
 *
 * Drivers disagree on small things that matter here: SQLite and psqlODBC
 * return SQL_NO_DATA for an UPDATE or DELETE that hits no row (success for
 * us), and column sizes cannot be trusted for buffers, so values are read
 * with chunked SQLGetData.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connection.h"

/* Driver messages are short; ODBC caps them at SQL_MAX_MESSAGE_LENGTH anyway. */
#define DIAG_MESSAGE_MAX 2048
/* More records than this are noise repeating the first ones. */
#define DIAG_RECORDS_MAX 16

static void
scrub_password(const struct upgrade_conn *conn, char *text)
{
	size_t plen;
	char *hit;

	/* Short passwords would blank out ordinary words; drivers do not echo passwords anyway. */
	if (conn->password == NULL || (plen = strlen(conn->password)) < 4)
		return;
	while ((hit = strstr(text, conn->password)) != NULL) {
		memset(hit, '*', plen);
	}
}

/*
 * Makes text one line, in place: every line break, with the blanks around
 * it, becomes one space, and trailing white space goes.  psqlODBC ends its
 * messages with a line break and puts one in the middle ("ERROR: ...;\n
 * Error while executing the query"), and SQL quoted in a message has its
 * own: the error's first line and each diagnostic record stay one line.
 */
static void
one_line(char *text)
{
	char *r = text, *w = text;

	while (*r != '\0') {
		if (*r == '\n' || *r == '\r') {
			while (w > text && (w[-1] == ' ' || w[-1] == '\t'))
				w--;
			while (*r == '\n' || *r == '\r' || *r == ' ' || *r == '\t')
				r++;
			if (w > text)
				*w++ = ' ';
		} else {
			*w++ = *r++;
		}
	}
	while (w > text && (w[-1] == ' ' || w[-1] == '\t'))
		w--;
	*w = '\0';
}

int
upg_db_error(struct upgrade_conn *conn, SQLSMALLINT type, SQLHANDLE handle, const char *fmt, ...)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char state[6] = "", first_state[6] = "";
	SQLCHAR sqlstate[6], message[DIAG_MESSAGE_MAX];
	SQLINTEGER native, first_native = 0;
	SQLSMALLINT len, i;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	{
		char head[1024];
		vsnprintf(head, sizeof head, fmt, ap);
		one_line(head);
		upg_buf_puts(&buf, head);
	}
	va_end(ap);
	for (i = 1; i <= DIAG_RECORDS_MAX; i++) {
		SQLRETURN rc = SQLGetDiagRec(type, handle, i, sqlstate, &native, message,
		                             sizeof message, &len);
		if (!SQL_SUCCEEDED(rc))
			break;
		memcpy(state, sqlstate, 5);
		state[5] = '\0';
		message[sizeof message - 1] = '\0';
		one_line((char *)message);
		if (i == 1) {
			memcpy(first_state, state, sizeof first_state);
			first_native = native;
		}
		upg_buf_printf(&buf, "\n  [%s] %s (native %ld)", state, (char *)message, (long)native);
	}
	if (first_state[0] == '\0')
		upg_buf_puts(&buf, "\n  (the driver gave no diagnostic record)");
	text = upg_buf_detach(&buf);
	if (text == NULL)
		return upg_error_oom(&conn->err);
	scrub_password(conn, text);
	upg_error_set(&conn->err, UPGRADE_EDB, "%s", text);
	free(text);
	memcpy(conn->err.sqlstate, first_state, sizeof conn->err.sqlstate);
	conn->err.native = first_native;
	return UPGRADE_EDB;
}

int
upg_db_require(struct upgrade_conn *conn)
{
	if (conn == NULL)
		return UPGRADE_EINVAL;
	if (!conn->connected)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "not connected");
	return UPGRADE_OK;
}

/*
 * One statement handle is kept between statements: allocating one costs
 * the driver manager four descriptors and the driver its own state, for
 * every statement of every task.  A statement run while another is open
 * (a query's row callback running one) gets a handle of its own.
 */
static int
alloc_stmt(struct upgrade_conn *conn, SQLHSTMT *st)
{
	if (conn->spare != SQL_NULL_HSTMT) {
		*st = conn->spare;
		conn->spare = SQL_NULL_HSTMT;
		return UPGRADE_OK;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, conn->dbc, st))) {
		*st = SQL_NULL_HSTMT;
		return upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot allocate a statement");
	}
	return UPGRADE_OK;
}

/* Returns a handle after use: closed, its parameters unbound, kept if none is. */
static void
release_stmt(struct upgrade_conn *conn, SQLHSTMT st)
{
	if (conn->spare == SQL_NULL_HSTMT && SQL_SUCCEEDED(SQLFreeStmt(st, SQL_CLOSE)) &&
	    SQL_SUCCEEDED(SQLFreeStmt(st, SQL_RESET_PARAMS))) {
		conn->spare = st;
		return;
	}
	SQLFreeHandle(SQL_HANDLE_STMT, st);
}

void
upg_db_release_spare(struct upgrade_conn *conn)
{
	if (conn->spare != SQL_NULL_HSTMT)
		SQLFreeHandle(SQL_HANDLE_STMT, conn->spare);
	conn->spare = SQL_NULL_HSTMT;
	upg_db_release_kept(conn);
}

void
upg_db_release_kept(struct upgrade_conn *conn)
{
	size_t i;

	for (i = 0; i < sizeof conn->kept / sizeof conn->kept[0]; i++) {
		if (conn->kept[i].st != SQL_NULL_HSTMT)
			SQLFreeHandle(SQL_HANDLE_STMT, conn->kept[i].st);
		conn->kept[i].st = SQL_NULL_HSTMT;
		free(conn->kept[i].sql);
		conn->kept[i].sql = NULL;
	}
}

int
upg_db_exec(struct upgrade_conn *conn, const char *sql)
{
	return upg_db_exec_params(conn, sql, 0, NULL, NULL);
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
upg_first_value(void *ud, size_t ncols, char **values)
{
	char **out = ud;

	/* Take ownership of the value; NULL stays NULL. */
	*out = values[0];
	values[0] = NULL;
	return 1;
}

int
upg_db_query_string(struct upgrade_conn *conn, const char *sql, char **out)
{
	int ret;

	*out = NULL;
	ret = upg_db_query(conn, sql, 0, NULL, upg_first_value, out);
	return ret > 0 ? UPGRADE_OK : ret;
}

static int
bind_params(struct upgrade_conn *conn, SQLHSTMT st, size_t nparams, const char *const *params,
            SQLLEN *ind)
{
	size_t i;

	for (i = 0; i < nparams; i++) {
		size_t len = params[i] != NULL ? strlen(params[i]) : 0;
		/* Long values as LONGVARCHAR: drivers cap VARCHAR parameters at 4000-8000 bytes. */
		SQLSMALLINT type = len > 4000 ? SQL_LONGVARCHAR : SQL_VARCHAR;
		/*
		 * The declared size is an upper bound, rounded up to a multiple of
		 * 8: psqlODBC (BoolsAsChar, its default) takes a VARCHAR of size 5
		 * for a boolean and asks the server to describe the statement
		 * first, a round trip for nothing.
		 */
		SQLULEN size = len < 8 ? 8 : (len + 7) & ~(size_t)7;
		SQLRETURN rc;

		ind[i] = params[i] != NULL ? (SQLLEN)len : SQL_NULL_DATA;
		rc = SQLBindParameter(st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_CHAR, type, size,
		                      0, (SQLPOINTER)params[i], (SQLLEN)len, &ind[i]);
		if (!SQL_SUCCEEDED(rc))
			return upg_db_error(conn, SQL_HANDLE_STMT, st, "cannot bind parameter %zu", i + 1);
	}
	return UPGRADE_OK;
}

/*
 * Whether sql names a word of the dialect's unprepare_words while
 * statements are kept: such a statement may drop them on the server, so
 * they are let go (and closed while they still exist) before it runs.
 */
static int
may_unprepare(const struct upgrade_conn *conn, const char *sql)
{
	const char *const *w = conn->dialect != NULL ? conn->dialect->unprepare_words : NULL;
	size_t i, kept = 0;

	for (i = 0; i < sizeof conn->kept / sizeof conn->kept[0]; i++)
		kept += conn->kept[i].st != SQL_NULL_HSTMT;
	for (; kept > 0 && w != NULL && *w != NULL; w++)
		if (strcasestr(sql, *w) != NULL)
			return 1;
	return 0;
}

/*
 * Binds params to st and executes it: direct with SQLExecDirect, or, when
 * direct is NULL, the statement prepared on st.  Errors quote shown.
 */
static int
execute_bound(struct upgrade_conn *conn, SQLHSTMT st, const char *direct, const char *shown,
              size_t nparams, const char *const *params, SQLRETURN *exec_rc)
{
	SQLLEN *ind = NULL;
	int ret = UPGRADE_OK;

	if (nparams > 0 && (ind = calloc(nparams, sizeof *ind)) == NULL)
		return upg_error_oom(&conn->err);
	if (nparams > 0)
		ret = bind_params(conn, st, nparams, params, ind);
	if (ret == UPGRADE_OK) {
		*exec_rc = direct != NULL ? SQLExecDirect(st, (SQLCHAR *)direct, SQL_NTS) : SQLExecute(st);
		if (!SQL_SUCCEEDED(*exec_rc) && *exec_rc != SQL_NO_DATA)
			ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "statement failed: %.200s", shown);
	}
	/* The bound values are read during execution only. */
	free(ind);
	return ret;
}

/* *rowcount (may be NULL) from a statement executed with rc: 0 for SQL_NO_DATA. */
static void
row_count(SQLHSTMT st, SQLRETURN rc, long *rowcount)
{
	SQLLEN n = 0;

	if (rowcount != NULL)
		*rowcount = rc != SQL_NO_DATA && SQL_SUCCEEDED(SQLRowCount(st, &n)) && n > 0 ? (long)n : 0;
}

/*
 * Executes sql on a statement handle (see alloc_stmt), its parameters bound
 * first; on success *out holds the statement, which the caller gives back
 * with release_stmt.  Statements are executed directly, not prepared: a
 * prepare costs PostgreSQL and MariaDB a round trip (and a deallocation)
 * of its own, for a statement that is run once (upg_db_exec_kept is for
 * those run again).  Errors quote shown, the statement as the caller
 * wrote it.
 */
static int
run_statement(struct upgrade_conn *conn, const char *sql, const char *shown, size_t nparams,
              const char *const *params, SQLHSTMT *out, SQLRETURN *exec_rc)
{
	SQLHSTMT st;
	int ret;

	*out = SQL_NULL_HSTMT;
	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	if (conn->capture != NULL)
		conn->capture_reads++;
	upg_error_clear(&conn->err);
	if (may_unprepare(conn, shown))
		upg_db_release_kept(conn);
	if ((ret = alloc_stmt(conn, &st)) != UPGRADE_OK)
		return ret;
	if ((ret = execute_bound(conn, st, sql, shown, nparams, params, exec_rc)) != UPGRADE_OK) {
		release_stmt(conn, st);
		return ret;
	}
	*out = st;
	return UPGRADE_OK;
}

/*
 * A bound value as the SQL literal a client would read the same; in a
 * comment a line break, which would end it, is shown as \n.
 */
static void
put_literal(struct upg_buf *out, const char *p, int backslash, int in_comment)
{
	if (p == NULL) {
		upg_buf_puts(out, "NULL");
		return;
	}
	upg_buf_putc(out, '\'');
	for (; *p != '\0'; p++) {
		if (in_comment && *p == '\n') {
			upg_buf_puts(out, "\\n");
			continue;
		}
		if (*p == '\'' || (backslash && *p == '\\'))
			upg_buf_putc(out, *p);
		upg_buf_putc(out, *p);
	}
	upg_buf_putc(out, '\'');
}

/*
 * The statement with each parameter marker replaced by its value as a
 * literal, for a client that has no parameters to bind; 0, or -1 when the
 * markers outside quotes are not exactly nparams.  Only the runner's own
 * statements bind values (a catalog's <sql> never does), so a '?' outside
 * quotes is a marker.
 */
static int
put_inlined(struct upg_buf *out, const char *sql, size_t nparams, const char *const *params,
            int backslash)
{
	size_t used = 0, start = out->len;
	char quote = 0;

	for (; *sql != '\0'; sql++) {
		if (quote == 0 && *sql == '?') {
			if (used == nparams)
				break;
			put_literal(out, params[used++], backslash, 0);
			continue;
		}
		if (quote == 0 && (*sql == '\'' || *sql == '"' || *sql == '`'))
			quote = *sql;
		else if (quote != 0 && *sql == quote)
			quote = 0;
		upg_buf_putc(out, *sql);
	}
	if (*sql == '\0' && used == nparams)
		return 0;
	/* Drop what was written; the NUL terminator follows the kept length. */
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

/*
 * `upgrade sql`: a statement that would change the database is written to
 * conn->capture, as it would be sent and followed by ";", instead of being
 * executed, so that the engine's own client can run the output.  Bound
 * values are written into it as literals (and, should its markers not
 * match them, shown in a comment before it instead).  A statement whose
 * last line has a comment gets its ";" on a line of its own.
 */
static int
capture_statement(struct upgrade_conn *conn, const char *sql, size_t nparams,
                  const char *const *params)
{
	struct upg_buf *out = conn->capture;
	int backslash = conn->dialect != NULL && conn->dialect->literal_backslash;
	const char *last = strrchr(sql, '\n');
	size_t i;

	last = last != NULL ? last + 1 : sql;
	if (nparams == 0 || put_inlined(out, sql, nparams, params, backslash) != 0) {
		if (nparams > 0) {
			upg_buf_puts(out, "-- parameters:");
			for (i = 0; i < nparams; i++) {
				upg_buf_puts(out, i > 0 ? ", " : " ");
				put_literal(out, params[i], backslash, 1);
			}
			upg_buf_putc(out, '\n');
		}
		upg_buf_puts(out, sql);
	}
	upg_buf_puts(out, strstr(last, "--") != NULL || (backslash && strchr(last, '#') != NULL)
	                      ? "\n;\n"
	                      : ";\n");
	return out->failed ? upg_error_oom(&conn->err) : UPGRADE_OK;
}

int
upg_db_exec_params(struct upgrade_conn *conn, const char *sql, size_t nparams,
                   const char *const *params, long *rowcount)
{
	SQLHSTMT st;
	SQLRETURN rc;
	int ret;

	struct upg_buf as = UPG_BUF_INIT;
	const char *sent = sql;

	if (rowcount != NULL)
		*rowcount = 0;
	if (conn != NULL && conn->capture != NULL)
		return capture_statement(conn, sql, nparams, params);
	/* A statement without parameters goes as written (see the dialect's as_written). */
	if (nparams == 0 && conn != NULL && conn->dialect != NULL &&
	    conn->dialect->as_written != NULL &&
	    (ret = conn->dialect->as_written(&as, sql, UPG_AS_WRITTEN_EXEC)) != 0) {
		if (as.failed)
			return upg_error_oom(&conn->err);
		if (ret < 0) {
			ret = upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED, "%s: %.200s",
			                    upg_buf_str(&as), sql);
			upg_buf_free(&as);
			return ret;
		}
		sent = upg_buf_str(&as);
	}
	ret = run_statement(conn, sent, sql, nparams, params, &st, &rc);
	upg_buf_free(&as);
	if (ret != UPGRADE_OK)
		return ret;
	row_count(st, rc, rowcount);
	release_stmt(conn, st);
	return UPGRADE_OK;
}

/*
 * Finds sql among the kept statements, or prepares it in a slot of its
 * own (the one prepared longest ago when all are taken); *out is the handle.
 */
static int
keep_prepared(struct upgrade_conn *conn, const char *sql, SQLHSTMT *out)
{
	const size_t nslots = sizeof conn->kept / sizeof conn->kept[0];
	size_t i;
	SQLHSTMT st;

	for (i = 0; i < nslots; i++)
		if (conn->kept[i].st != SQL_NULL_HSTMT && strcmp(conn->kept[i].sql, sql) == 0) {
			*out = conn->kept[i].st;
			return UPGRADE_OK;
		}
	i = conn->kept_next++ % nslots;
	if (conn->kept[i].st != SQL_NULL_HSTMT)
		SQLFreeHandle(SQL_HANDLE_STMT, conn->kept[i].st);
	free(conn->kept[i].sql);
	conn->kept[i].st = SQL_NULL_HSTMT;
	if ((conn->kept[i].sql = upg_strdup(sql)) == NULL)
		return upg_error_oom(&conn->err);
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, conn->dbc, &st)))
		return upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot allocate a statement");
	if (!SQL_SUCCEEDED(SQLPrepare(st, (SQLCHAR *)sql, SQL_NTS))) {
		int ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "statement failed: %.200s", sql);

		SQLFreeHandle(SQL_HANDLE_STMT, st);
		return ret;
	}
	conn->kept[i].st = *out = st;
	return UPGRADE_OK;
}

int
upg_db_exec_kept(struct upgrade_conn *conn, const char *sql, size_t nparams,
                 const char *const *params, long *rowcount)
{
	SQLHSTMT st = SQL_NULL_HSTMT;
	SQLRETURN rc = SQL_SUCCESS;
	int ret;

	if (conn == NULL || conn->capture != NULL || nparams == 0 || conn->dialect == NULL ||
	    !conn->dialect->keep_prepared || conn->pool_mode != UPGRADE_POOL_SESSION)
		return upg_db_exec_params(conn, sql, nparams, params, rowcount);
	if (rowcount != NULL)
		*rowcount = 0;
	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	upg_error_clear(&conn->err);
	if ((ret = keep_prepared(conn, sql, &st)) != UPGRADE_OK)
		return ret;
	if ((ret = execute_bound(conn, st, NULL, sql, nparams, params, &rc)) == UPGRADE_OK)
		row_count(st, rc, rowcount);
	/*
	 * Prepared still: only the cursor ends here.  The bindings are left in
	 * place, pointing at values gone by now: every execution binds all of
	 * its parameters again first (the text, and so their number, is the
	 * same), and rebinding a bound parameter costs psqlODBC a quarter of
	 * what binding it anew after SQL_RESET_PARAMS does (5,000 tasks: 157
	 * -> 44 million instructions).
	 */
	if (!SQL_SUCCEEDED(SQLFreeStmt(st, SQL_CLOSE)))
		upg_db_release_kept(conn);
	return ret;
}

int
upg_db_query(struct upgrade_conn *conn, const char *sql, size_t nparams, const char *const *params,
             upg_row_fn fn, void *ud)
{
	SQLHSTMT st;
	SQLRETURN rc;
	SQLSMALLINT ncols = 0;
	char **values = NULL;
	size_t i;
	int ret;

	ret = run_statement(conn, sql, sql, nparams, params, &st, &rc);
	if (ret != UPGRADE_OK)
		return ret;
	if (rc == SQL_NO_DATA)
		goto done;
	if (!SQL_SUCCEEDED(SQLNumResultCols(st, &ncols)) || ncols <= 0) {
		ret = upg_error_set(&conn->err, UPGRADE_EDB, "not a query: %.200s", sql);
		goto done;
	}
	values = calloc((size_t)ncols, sizeof *values);
	if (values == NULL) {
		ret = upg_error_oom(&conn->err);
		goto done;
	}
	while ((rc = SQLFetch(st)) != SQL_NO_DATA) {
		if (!SQL_SUCCEEDED(rc)) {
			ret = upg_db_error(conn, SQL_HANDLE_STMT, st, "cannot fetch: %.200s", sql);
			goto done;
		}
		for (i = 0; i < (size_t)ncols; i++) {
			ret = get_string(conn, st, (SQLUSMALLINT)(i + 1), &values[i]);
			if (ret != UPGRADE_OK)
				goto done;
		}
		ret = fn != NULL ? fn(ud, (size_t)ncols, values) : 0;
		for (i = 0; i < (size_t)ncols; i++) {
			free(values[i]);
			values[i] = NULL;
		}
		if (ret != 0)
			goto done;
	}
done:
	if (values != NULL) {
		for (i = 0; i < (size_t)ncols; i++)
			free(values[i]);
		free(values);
	}
	release_stmt(conn, st);
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
	if ((ret = set_autocommit(conn, 0)) != UPGRADE_OK || conn->begin_sql == NULL)
		return ret;
	/* The dialect's per-transaction settings, where no session may keep them (a pooler). */
	if ((ret = upg_db_exec(conn, conn->begin_sql)) != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		SQLEndTran(SQL_HANDLE_DBC, conn->dbc, SQL_ROLLBACK);
		set_autocommit(conn, 1);
		upg_error_restore(&conn->err, &keep);
	}
	return ret;
}

void
upg_db_forget_suspended(struct upgrade_conn *conn)
{
	size_t i;

	for (i = 0; i < conn->nsuspended; i++)
		free(conn->suspended[i].key);
	free(conn->suspended);
	conn->suspended = NULL;
	conn->nsuspended = 0;
}

/*
 * Rolls back after a failed end of transaction.  Where the engine ended
 * the transaction itself and the driver did not notice, the rollback
 * fails too; the dialect's statement opens one for the driver to end.
 */
static void
rollback_lost(struct upgrade_conn *conn)
{
	SQLHSTMT st = SQL_NULL_HSTMT;

	if (SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, conn->dbc, SQL_ROLLBACK)) ||
	    conn->dialect == NULL || conn->dialect->reopen_transaction_sql == NULL)
		return;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, conn->dbc, &st)))
		return;
	if (SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)conn->dialect->reopen_transaction_sql, SQL_NTS)))
		SQLEndTran(SQL_HANDLE_DBC, conn->dbc, SQL_ROLLBACK);
	SQLFreeHandle(SQL_HANDLE_STMT, st);
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
	/* A suspension ends with its transaction (rolled back) or is the task's to keep. */
	upg_db_forget_suspended(conn);
	if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, conn->dbc, how))) {
		struct upg_error first = UPG_ERROR_INIT;

		ret = upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "%s failed",
		                   how == SQL_COMMIT ? "COMMIT" : "ROLLBACK");
		/*
		 * Never leave the connection in a half-open transaction state.  The
		 * cleanup fails in turn when the engine has ended the transaction
		 * itself (SQLite after "database or disk is full": "cannot commit -
		 * no transaction is active"); the first error is the one that says
		 * why, so it is kept.
		 */
		upg_error_stash(&first, &conn->err);
		rollback_lost(conn);
		set_autocommit(conn, 1);
		upg_error_restore(&conn->err, &first);
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
