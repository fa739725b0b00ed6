/* SPDX-License-Identifier: MIT */
/*
 * connection.c - connecting through the unixODBC driver manager, reading
 * what the driver says about itself, and choosing the dialect.  It runs
 * statements through db.c, which never calls back here.
 *
 * Invariants: a handle owns its environment and connection handles; after a
 * failed connect it is back to "unconnected" and may connect again; no text
 * the handle hands out contains the password of the connection string.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <odbcinst.h>

#include "connection.h"

/* See upgrade_conn_connect(). */
static pthread_mutex_t connect_lock = PTHREAD_MUTEX_INITIALIZER;

int
upgrade_conn_new(struct upgrade_conn **out)
{
	struct upgrade_conn *conn;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	conn = calloc(1, sizeof *conn);
	if (conn == NULL)
		return UPGRADE_ENOMEM;
	conn->magic = UPG_MAGIC_CONN;
	conn->env = SQL_NULL_HENV;
	conn->dbc = SQL_NULL_HDBC;
	conn->autocommit = 1;
	*out = conn;
	return UPGRADE_OK;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		/* Volatile writes so the wipe is not optimised away before free. */
		volatile char *p = s;
		while (*p != '\0')
			*p++ = '\0';
		free(s);
	}
}

static void
free_info(struct upgrade_conn *conn)
{
	free(conn->dbms_name);
	free(conn->dbms_ver);
	free(conn->driver_name);
	free(conn->driver_ver);
	free(conn->connstr_redacted);
	wipe_free(conn->password);
	wipe_free(conn->connstr);
	conn->dbms_name = conn->dbms_ver = conn->driver_name = conn->driver_ver = NULL;
	conn->connstr_redacted = conn->password = conn->connstr = NULL;
	free(conn->own_path);
	free(conn->begin_sql);
	conn->own_path = conn->begin_sql = NULL;
}

static void
disconnect(struct upgrade_conn *conn)
{
	upg_db_release_spare(conn);
	upg_db_forget_suspended(conn);
	if (conn->borrowed) {
		/* The host's transaction is the host's business; only our view of it ends. */
		conn->dbc = SQL_NULL_HDBC;
		conn->borrowed = 0;
	}
	if (conn->dbc != SQL_NULL_HDBC) {
		if (conn->connected) {
			if (!conn->autocommit)
				SQLEndTran(SQL_HANDLE_DBC, conn->dbc, SQL_ROLLBACK);
			SQLDisconnect(conn->dbc);
		}
		SQLFreeHandle(SQL_HANDLE_DBC, conn->dbc);
		conn->dbc = SQL_NULL_HDBC;
	}
	if (conn->env != SQL_NULL_HENV) {
		SQLFreeHandle(SQL_HANDLE_ENV, conn->env);
		conn->env = SQL_NULL_HENV;
	}
	conn->connected = 0;
	conn->autocommit = 1;
	conn->dialect = NULL;
	conn->caps = 0;
	free_info(conn);
}

void
upgrade_conn_free(struct upgrade_conn *conn)
{
	if (!UPG_IS(conn, CONN))
		return;
	disconnect(conn);
	upg_error_clear(&conn->err);
	conn->magic = UPG_MAGIC_FREED;
	free(conn);
}

int
upgrade_conn_set_dialect(struct upgrade_conn *conn, const char *name)
{
	const struct upg_dialect *d;

	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	upg_error_clear(&conn->err);
	if (name == NULL) {
		conn->forced = NULL;
		return UPGRADE_OK;
	}
	d = upg_dialect_find(name);
	if (d == NULL) {
		struct upg_buf known = UPG_BUF_INIT;

		upg_dialect_names(&known);
		upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "no such dialect '%s' (known: %s)", name,
		              upg_buf_str(&known));
		upg_buf_free(&known);
		return UPGRADE_ENOTFOUND;
	}
	conn->forced = d;
	if (conn->connected) {
		conn->dialect = d;
		conn->caps = d->version_caps ? d->version_caps(conn->dbms_ver, d->caps) : d->caps;
	}
	return UPGRADE_OK;
}

int
upgrade_conn_set_cluster_lock(struct upgrade_conn *conn, enum upgrade_cluster_lock mode,
                              int lease_seconds)
{
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	if (mode != UPGRADE_CLUSTER_LOCK_AUTO && mode != UPGRADE_CLUSTER_LOCK_OFF &&
	    mode != UPGRADE_CLUSTER_LOCK_TABLE)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown cluster lock mode %d",
		                     (int)mode);
	/* A day is far beyond any useful lease; the bound keeps the ms count in a long. */
	if (lease_seconds < 0 || lease_seconds > 86400)
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "the lock lease must be 1 to 86400 seconds (0: the default)");
	conn->cluster_lock = mode;
	conn->lock_lease_ms = (long)lease_seconds * 1000;
	return UPGRADE_OK;
}

int
upgrade_conn_set_pool_mode(struct upgrade_conn *conn, enum upgrade_pool_mode mode)
{
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	if (mode != UPGRADE_POOL_SESSION && mode != UPGRADE_POOL_TRANSACTION)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown pool mode %d", (int)mode);
	conn->pool_mode = mode;
	return UPGRADE_OK;
}

int
upgrade_conn_set_login_timeout(struct upgrade_conn *conn, int seconds)
{
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	if (seconds < 0)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "login timeout must not be negative");
	conn->login_timeout = seconds;
	return UPGRADE_OK;
}

static char *
get_info_string(struct upgrade_conn *conn, SQLUSMALLINT what)
{
	SQLCHAR value[512];
	SQLSMALLINT len = 0;

	if (!SQL_SUCCEEDED(SQLGetInfo(conn->dbc, what, value, sizeof value, &len)))
		return upg_strdup("");
	value[sizeof value - 1] = '\0';
	return upg_strdup((char *)value);
}

/*
 * Replaces the driver's SQL_DBMS_VER with the engine's own answer, where
 * the dialect knows the question.  A dialect forced onto another engine
 * may ask in vain: the driver's answer then stays, and so does the
 * connection.
 */
static void
ask_server_version(struct upgrade_conn *conn)
{
	char *ver = NULL;

	if (conn->dialect->server_version_sql == NULL)
		return;
	if (upg_db_query_string(conn, conn->dialect->server_version_sql, &ver) == UPGRADE_OK &&
	    ver != NULL && ver[0] != '\0') {
		free(conn->dbms_ver);
		conn->dbms_ver = ver;
		return;
	}
	free(ver);
	upg_error_clear(&conn->err);
}

static int
read_driver_info(struct upgrade_conn *conn)
{
	char *quote;

	conn->dbms_name = get_info_string(conn, SQL_DBMS_NAME);
	conn->dbms_ver = get_info_string(conn, SQL_DBMS_VER);
	conn->driver_name = get_info_string(conn, SQL_DRIVER_NAME);
	conn->driver_ver = get_info_string(conn, SQL_DRIVER_VER);
	quote = get_info_string(conn, SQL_IDENTIFIER_QUOTE_CHAR);
	if (conn->dbms_name == NULL || conn->dbms_ver == NULL || conn->driver_name == NULL ||
	    conn->driver_ver == NULL || quote == NULL) {
		free(quote);
		return upg_error_oom(&conn->err);
	}
	/* A blank means the driver cannot quote at all. */
	conn->driver_quote = quote[0] != ' ' ? quote[0] : '\0';
	free(quote);
	conn->dialect = conn->forced != NULL ? conn->forced
	                                     : upg_dialect_detect(conn->dbms_name, conn->dbms_ver);
	ask_server_version(conn);
	conn->caps = conn->dialect->version_caps != NULL
	                 ? conn->dialect->version_caps(conn->dbms_ver, conn->dialect->caps)
	                 : conn->dialect->caps;
	return UPGRADE_OK;
}

/*
 * The driver library connstr leads to: its DRIVER (a path, a file name, or
 * an odbcinst.ini section whose Driver is the library), or the Driver of
 * its DSN's odbc.ini section, resolved the same way.  Allocated; NULL when
 * the string names neither.
 */
static char *
driver_library(const char *connstr)
{
	char *driver = upg_connstr_get(connstr, "DRIVER"), *dsn;
	char path[1024];

	if (driver == NULL && (dsn = upg_connstr_get(connstr, "DSN")) != NULL) {
		path[0] = '\0';
		SQLGetPrivateProfileString(dsn, "Driver", "", path, sizeof path, "odbc.ini");
		free(dsn);
		driver = upg_strdup(path);
	}
	if (driver == NULL || driver[0] == '\0' || strchr(driver, '/') != NULL)
		return driver;
	path[0] = '\0';
	SQLGetPrivateProfileString(driver, "Driver", "", path, sizeof path, "odbcinst.ini");
	if (path[0] == '\0')
		return driver;
	free(driver);
	return upg_strdup(path);
}

/*
 * The connection string to use: the caller's, with what the dialect of its
 * driver adds (prepare_connstr), such as the login timeout for a driver
 * that ignores SQL_ATTR_LOGIN_TIMEOUT.
 */
static char *
effective_connstr(const struct upgrade_conn *conn, const char *connstr)
{
	struct upg_buf buf = UPG_BUF_INIT;
	const struct upg_dialect *d;
	char *library = driver_library(connstr);

	d = upg_dialect_for_driver(library);
	free(library);
	if (d == NULL || d->prepare_connstr == NULL)
		return upg_strdup(connstr);
	upg_buf_puts(&buf, connstr);
	d->prepare_connstr(&buf, connstr, conn->login_timeout);
	return upg_buf_detach(&buf);
}

int
upgrade_conn_connect(struct upgrade_conn *conn, const char *connstr)
{
	SQLRETURN rc;
	int ret;

	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	upg_error_clear(&conn->err);
	if (connstr == NULL || connstr[0] == '\0')
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "empty connection string");
	disconnect(conn);

	conn->connstr = effective_connstr(conn, connstr);
	if (conn->connstr == NULL)
		return upg_error_oom(&conn->err);
	connstr = conn->connstr;
	conn->connstr_redacted = upg_connstr_redact(connstr);
	conn->password = upg_connstr_get(connstr, "PWD");
	if (conn->password == NULL)
		conn->password = upg_connstr_get(connstr, "Password");
	if (conn->connstr_redacted == NULL) {
		disconnect(conn);
		return upg_error_oom(&conn->err);
	}

	rc = SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &conn->env);
	if (!SQL_SUCCEEDED(rc)) {
		conn->env = SQL_NULL_HENV;
		ret = upg_error_set(&conn->err, UPGRADE_EDB, "cannot allocate an ODBC environment");
		goto fail;
	}
	/* ODBC 3 behaviour (SQLSTATEs, SQL_NO_DATA) must be asked for before anything else. */
	rc = SQLSetEnvAttr(conn->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	if (!SQL_SUCCEEDED(rc)) {
		ret = upg_db_error(conn, SQL_HANDLE_ENV, conn->env, "cannot select ODBC 3");
		goto fail;
	}
	rc = SQLAllocHandle(SQL_HANDLE_DBC, conn->env, &conn->dbc);
	if (!SQL_SUCCEEDED(rc)) {
		conn->dbc = SQL_NULL_HDBC;
		ret = upg_db_error(conn, SQL_HANDLE_ENV, conn->env, "cannot allocate an ODBC connection");
		goto fail;
	}
	if (conn->login_timeout > 0)
		SQLSetConnectAttr(conn->dbc, SQL_ATTR_LOGIN_TIMEOUT,
		                  (SQLPOINTER)(SQLLEN)conn->login_timeout, 0);
	/*
	 * One connect at a time in the process: psqlODBC calls setlocale()
	 * while connecting, which frees the locale name another thread's
	 * setlocale() is reading (AddressSanitizer caught it with run -j 4).
	 */
	pthread_mutex_lock(&connect_lock);
	rc = SQLDriverConnect(conn->dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL, 0, NULL,
	                      SQL_DRIVER_NOPROMPT);
	pthread_mutex_unlock(&connect_lock);
	if (!SQL_SUCCEEDED(rc)) {
		ret = upg_db_error(conn, SQL_HANDLE_DBC, conn->dbc, "cannot connect to %s",
		                   conn->connstr_redacted);
		goto fail;
	}
	conn->connected = 1;
	ret = read_driver_info(conn);
	if (ret != UPGRADE_OK)
		goto fail;
	return UPGRADE_OK;

fail:
	/* The error stays; the handle is unconnected again and may retry. */
	disconnect(conn);
	return ret;
}

int
upgrade_conn_attach_odbc(struct upgrade_conn *conn, void *hdbc)
{
	SQLUINTEGER autocommit = SQL_AUTOCOMMIT_ON;
	SQLCHAR probe[64];
	int ret;

	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	upg_error_clear(&conn->err);
	if (hdbc == NULL)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "no ODBC connection handle");
	/* Every later question would fail with a message about something else. */
	if (!SQL_SUCCEEDED(SQLGetInfo((SQLHDBC)hdbc, SQL_DBMS_NAME, probe, sizeof probe, NULL)))
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "the ODBC connection handle is not connected (SQLGetInfo fails on "
		                     "it)");
	disconnect(conn);
	conn->dbc = (SQLHDBC)hdbc;
	conn->borrowed = 1;
	conn->connected = 1;
	if (SQL_SUCCEEDED(SQLGetConnectAttr(conn->dbc, SQL_ATTR_AUTOCOMMIT, &autocommit, 0, NULL)))
		conn->autocommit = autocommit == SQL_AUTOCOMMIT_ON;
	conn->connstr_redacted = upg_strdup("(an ODBC connection of the host program)");
	if (conn->connstr_redacted == NULL) {
		disconnect(conn);
		return upg_error_oom(&conn->err);
	}
	ret = read_driver_info(conn);
	if (ret != UPGRADE_OK)
		disconnect(conn);
	return ret;
}

/*
 * The host of an attached connection may have opened a transaction since
 * (switched autocommit off): asks the driver again, so that a run never
 * commits the host's work with its own.
 */
void
upg_conn_sync_autocommit(struct upgrade_conn *conn)
{
	SQLUINTEGER autocommit = SQL_AUTOCOMMIT_ON;

	if (conn->borrowed &&
	    SQL_SUCCEEDED(SQLGetConnectAttr(conn->dbc, SQL_ATTR_AUTOCOMMIT, &autocommit, 0, NULL)))
		conn->autocommit = autocommit == SQL_AUTOCOMMIT_ON;
}

int
upg_conn_clone(struct upgrade_conn *conn, struct upgrade_conn **out)
{
	struct upgrade_conn *copy;
	int ret;

	*out = NULL;
	if ((ret = upgrade_conn_new(&copy)) != UPGRADE_OK)
		return ret;
	copy->forced = conn->forced;
	copy->login_timeout = conn->login_timeout;
	copy->cluster_lock = conn->cluster_lock;
	copy->lock_lease_ms = conn->lock_lease_ms;
	copy->pool_mode = conn->pool_mode;
	*out = copy;
	if (conn->connstr == NULL)
		return upg_error_set(&copy->err, UPGRADE_EINVAL,
		                     "parallel jobs need a connection string; an attached ODBC "
		                     "connection cannot be opened again");
	return upgrade_conn_connect(copy, conn->connstr);
}

/* Connects with the connection string built in buf, which it empties. */
static int
connect_built(struct upgrade_conn *conn, struct upg_buf *buf)
{
	char *connstr = upg_buf_detach(buf);
	int ret;

	if (connstr == NULL)
		return upg_error_oom(&conn->err);
	ret = upgrade_conn_connect(conn, connstr);
	free(connstr);
	return ret;
}

int
upgrade_conn_connect_dsn(struct upgrade_conn *conn, const char *dsn)
{
	struct upg_buf buf = UPG_BUF_INIT;

	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	upg_error_clear(&conn->err);
	if (dsn == NULL || dsn[0] == '\0')
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "empty data source name");
	upg_connstr_append(&buf, "DSN", dsn);
	return connect_built(conn, &buf);
}

int
upgrade_conn_connect_sqlite(struct upgrade_conn *conn, const char *path)
{
	const struct upg_dialect *d = upg_dialect_for_files();
	struct upg_buf buf = UPG_BUF_INIT;
	int ret;

	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	upg_error_clear(&conn->err);
	if (path == NULL || path[0] == '\0')
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "empty database file name");
	if (d == NULL)
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "no dialect opens database files");
	if ((ret = d->file_connstr(&buf, path, &conn->err)) != UPGRADE_OK) {
		upg_buf_free(&buf);
		return ret;
	}
	return connect_built(conn, &buf);
}
