/* SPDX-License-Identifier: MIT */
/*
 * connection.h - the connection handle and the ODBC plumbing shared by the
 * library's files.  ODBC types stay out of the public headers.
 */
#ifndef UPG_CONNECTION_H
#define UPG_CONNECTION_H

#include <sql.h>
#include <sqlext.h>

#include "dialect.h"
#include "private.h"

struct upgrade_conn {
	unsigned int magic; /* UPG_MAGIC_CONN, first: see UPG_IS() */
	SQLHENV env;
	SQLHDBC dbc;
	int connected;
	int autocommit;
	/* The host's connection (upgrade_conn_attach_odbc): never disconnected or freed here. */
	int borrowed;
	/* A statement handle kept for the next statement (see src/db.c); SQL_NULL_HSTMT if none. */
	SQLHSTMT spare;
	/*
	 * Statements prepared once and executed again while their text stays
	 * the same (upg_db_exec_kept), with that text; a free slot has
	 * SQL_NULL_HSTMT.  A few: a task's state write may be two statements.
	 */
	struct {
		SQLHSTMT st;
		char *sql;
	} kept[4];
	/* The slot the next statement not kept yet replaces. */
	unsigned int kept_next;
	/* Numbers the SQL cursors of table scans (src/fill.c), unique on the connection. */
	unsigned long cursor_seq;

	const struct upg_dialect *forced;
	const struct upg_dialect *dialect;
	unsigned int caps;
	/* The driver's quote character, for the generic dialect. */
	char driver_quote;
	int login_timeout;
	/* enum upgrade_cluster_lock, and the lock table's lease in ms. */
	int cluster_lock;
	long lock_lease_ms;
	/* enum upgrade_pool_mode: whether the server session is the client's alone. */
	int pool_mode;
	/*
	 * The dialect's, per connection: the search path the connection came
	 * with (quoted, read once before the first switch of schema), and a
	 * statement upg_db_begin runs first in every transaction (SET LOCAL
	 * ...), NULL for none.  Both end with the connection.
	 */
	char *own_path;
	char *begin_sql;
	/*
	 * The tables whose triggers are suspended, each with how many
	 * suspensions wait for a resume (upg_op_triggers): only the last
	 * resume switches them on.  Forgotten when a transaction ends.
	 */
	struct upg_suspended {
		char *key; /* schema, '\n', table */
		int depth;
	} *suspended;
	size_t nsuspended;
	/*
	 * Not NULL while `upgrade sql` shows a task: statements that would
	 * change the database are written here instead of executed (see
	 * src/db.c); queries still run.
	 */
	struct upg_buf *capture;
	/* Statements executed while capturing: the reads an operation made. */
	unsigned long capture_reads;

	char *dbms_name;
	char *dbms_ver;
	char *driver_name;
	char *driver_ver;
	char *connstr_redacted;
	/* Kept only to scrub it from driver messages that might echo it. */
	char *password;
	/* The connection string as given, to open more connections (wiped on free). */
	char *connstr;

	struct upg_error err;
};

/*
 * Records every diagnostic record of an ODBC handle as the handle's error,
 * prefixed by what (e.g. "cannot connect to ..."), and returns UPGRADE_EDB.
 */
int upg_db_error(struct upgrade_conn *conn, SQLSMALLINT type, SQLHANDLE handle, const char *fmt, ...)
	UPG_PRINTF(4, 5);

/* Executes one statement without results.  SQL_NO_DATA (0 rows hit) is success. */
int upg_db_exec(struct upgrade_conn *conn, const char *sql);

/*
 * Executes a query and returns the first column of its first row as a new
 * string in *out (NULL for SQL NULL or no row).
 */
int upg_db_query_string(struct upgrade_conn *conn, const char *sql, char **out);

/*
 * A row of a query: ncols values as strings (NULL for SQL NULL), borrowed
 * for the duration of the call.  Return 0 to go on; anything else stops
 * the query and is returned by upg_db_query().
 */
typedef int (*upg_row_fn)(void *ud, size_t ncols, char **values);

/*
 * Executes sql with nparams '?' parameters, all bound as character data
 * (every engine here converts them to the column type; NULL binds SQL
 * NULL).  *rowcount (may be NULL) receives SQLRowCount, 0 when the driver
 * said SQL_NO_DATA.
 */
int upg_db_exec_params(struct upgrade_conn *conn, const char *sql, size_t nparams,
                       const char *const *params, long *rowcount);

/* Like upg_db_exec_params() for a query; fn (may be NULL) is called once per row. */
int upg_db_query(struct upgrade_conn *conn, const char *sql, size_t nparams,
                 const char *const *params, upg_row_fn fn, void *ud);

/*
 * A upg_row_fn that takes the first column of the first row into
 * *(char **)ud (NULL for SQL NULL) and stops with 1.
 */
int upg_first_value(void *ud, size_t ncols, char **values);

/*
 * Like upg_db_exec_params() for a statement a run sends again and again
 * with other values (the state write of every task): prepared once on a
 * handle of its own and executed again while sql stays the same, so that
 * the server parses and plans it once.  Falls back to
 * upg_db_exec_params() where the dialect does not ask for it or a pooler
 * may hand the next transaction another server session.
 */
int upg_db_exec_kept(struct upgrade_conn *conn, const char *sql, size_t nparams,
                     const char *const *params, long *rowcount);

/* Frees the spare and the kept statement handles; before the connection ends. */
void upg_db_release_spare(struct upgrade_conn *conn);
/* Forgets the suspended triggers conn counts (their switch ended with a transaction). */
void upg_db_forget_suspended(struct upgrade_conn *conn);

/* Frees the kept statement handles only. */
void upg_db_release_kept(struct upgrade_conn *conn);

/* Transactions: begin turns autocommit off; commit/rollback turn it back on. */
int upg_db_begin(struct upgrade_conn *conn);
int upg_db_commit(struct upgrade_conn *conn);
int upg_db_rollback(struct upgrade_conn *conn);

/* Reads autocommit from the driver again for a host's connection (attached). */
void upg_conn_sync_autocommit(struct upgrade_conn *conn);

/*
 * Opens a second connection like conn (same string, dialect, timeout);
 * *out is set even on failure so the error can be read, and must be freed.
 */
int upg_conn_clone(struct upgrade_conn *conn, struct upgrade_conn **out);

/* What the connection's last error means, as its dialect tells (classify_error). */
enum upg_errclass upg_conn_error_class(const struct upgrade_conn *conn);

/* 1 when odbcinst.ini lists a driver of this name. */
int upg_odbc_driver_installed(const char *name);

/* Requires a connected handle; sets EINVAL otherwise. */
int upg_db_require(struct upgrade_conn *conn);

#endif /* UPG_CONNECTION_H */
