/* SPDX-License-Identifier: MIT */
/*
 * upgrade/connection.h - database connections through ODBC.
 *
 * A connection handle is created empty with upgrade_conn_new(), connected
 * with one of the upgrade_conn_connect*() functions, and released with
 * upgrade_conn_free().  Failures leave a message (every ODBC diagnostic
 * record, one per line), the first SQLSTATE and the native error code on the
 * handle.  Passwords given in a connection string never appear in any text
 * the library returns.
 *
 * A handle may be used by one thread at a time; distinct handles are
 * independent.
 */
#ifndef UPGRADE_CONNECTION_H
#define UPGRADE_CONNECTION_H

#include "upgrade/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct upgrade_conn;

/*
 * Capability bits of a dialect, as upgrade_conn_capabilities() reports them.
 * Append only.
 */
enum upgrade_capability {
	/* DDL takes part in transactions and is undone by ROLLBACK. */
	UPGRADE_CAP_TRANSACTIONAL_DDL = 1u << 0,
	/* A database holds several named schemas (PostgreSQL, SQL Server). */
	UPGRADE_CAP_SCHEMAS = 1u << 1,
	/* Schemas are databases of one server (MariaDB, MySQL). */
	UPGRADE_CAP_DATABASE_SCHEMAS = 1u << 2,
	/* Named locks that the server releases when the session dies. */
	UPGRADE_CAP_ADVISORY_LOCK = 1u << 3,
	/* Enumerations are named types (CREATE TYPE ... AS ENUM). */
	UPGRADE_CAP_ENUM_TYPES = 1u << 4,
	/* Enumerations are column types (ENUM('a','b')). */
	UPGRADE_CAP_INLINE_ENUM = 1u << 5,
	/* A native JSON column type. */
	UPGRADE_CAP_JSON = 1u << 6,
	/* SAVEPOINT and ROLLBACK TO SAVEPOINT. */
	UPGRADE_CAP_SAVEPOINTS = 1u << 7,
	/* ALTER TABLE can change a column's type, nullability and default. */
	UPGRADE_CAP_ALTER_COLUMN = 1u << 8,
	/* ALTER TABLE ... DROP COLUMN. */
	UPGRADE_CAP_DROP_COLUMN = 1u << 9,
	/* CREATE INDEX IF NOT EXISTS. */
	UPGRADE_CAP_INDEX_IF_NOT_EXISTS = 1u << 10,
	/* Triggers can be switched off for the duration of a task. */
	UPGRADE_CAP_DISABLE_TRIGGERS = 1u << 11
};

/* Creates an unconnected handle.  *out is NULL on failure (UPGRADE_ENOMEM). */
UPGRADE_EXTERN int upgrade_conn_new(struct upgrade_conn **out);

/* Disconnects (rolling back anything uncommitted) and frees; NULL is a no-op. */
UPGRADE_EXTERN void upgrade_conn_free(struct upgrade_conn *conn);

/*
 * Forces a dialect by name ("sqlite", "postgresql", "mysql", "mssql",
 * "generic") instead of detecting it from the driver; NULL restores
 * detection.  Call before connecting.  UPGRADE_ENOTFOUND names an unknown
 * dialect.
 */
UPGRADE_EXTERN int upgrade_conn_set_dialect(struct upgrade_conn *conn, const char *name);

/* Seconds to wait for the server when connecting; 0 means the driver's default. */
UPGRADE_EXTERN int upgrade_conn_set_login_timeout(struct upgrade_conn *conn, int seconds);

/* How schemas are locked where a server lock does not reach the whole cluster. */
enum upgrade_cluster_lock {
	/* The dialect decides: MariaDB uses the lock table when wsrep_on is ON (Galera). */
	UPGRADE_CLUSTER_LOCK_AUTO = 0,
	/* Always the server's own lock (GET_LOCK, advisory locks). */
	UPGRADE_CLUSTER_LOCK_OFF = 1,
	/* A row in the schema's table upgrade_locks with a lease (MariaDB and MySQL). */
	UPGRADE_CLUSTER_LOCK_TABLE = 2
};

/*
 * Chooses how schemas are locked (enum upgrade_cluster_lock) and, for the
 * lock table, the lease in seconds: a holder that stops renewing loses the
 * lock that long after its last renewal; 0 keeps the default of 30.
 * Connections opened from this one for parallel jobs inherit both.
 */
UPGRADE_EXTERN int upgrade_conn_set_cluster_lock(struct upgrade_conn *conn,
                                                 enum upgrade_cluster_lock mode,
                                                 int lease_seconds);

/* Whether a server session belongs to this connection alone (a pooler may share it). */
enum upgrade_pool_mode {
	/* Directly to the server, or through a pool in session mode: the default. */
	UPGRADE_POOL_SESSION = 0,
	/*
	 * Through a pooler in transaction mode (PgBouncer pool_mode =
	 * transaction): each transaction may run on another server session,
	 * which other clients share, so nothing may rest on session state.
	 * PostgreSQL then locks schemas with the lock table and sets the search
	 * path with SET LOCAL in every transaction.
	 */
	UPGRADE_POOL_TRANSACTION = 1
};

/*
 * Says how the connection reaches the server (enum upgrade_pool_mode).
 * Call before a run; connections opened from this one for parallel jobs
 * inherit it.
 */
UPGRADE_EXTERN int upgrade_conn_set_pool_mode(struct upgrade_conn *conn,
                                              enum upgrade_pool_mode mode);

/*
 * Waits until at least count replicas of the connected server have replayed
 * everything committed on it before the call, polling for at most
 * timeout_ms (0: look once).  PostgreSQL compares pg_stat_replication's
 * replay_lsn with pg_current_wal_insert_lsn(); seeing those positions takes a
 * superuser or a member of pg_monitor.  UPGRADE_ETIMEOUT, with how far the
 * replicas got in the message, when they did not get there in time;
 * UPGRADE_EUNSUPPORTED where the dialect cannot see replicas.  *waited_ms
 * (may be NULL) receives the time spent waiting.
 */
UPGRADE_EXTERN int upgrade_conn_wait_replicas(struct upgrade_conn *conn, int count,
                                              long timeout_ms, long *waited_ms);

/*
 * Connects with a full ODBC connection string ("DRIVER=...;Server=...", or
 * "DSN=name;..."), without prompting.  UPGRADE_EDB with the diagnostics on
 * the handle when the driver manager or the driver refuses.
 */
UPGRADE_EXTERN int upgrade_conn_connect(struct upgrade_conn *conn, const char *connstr);

/* Connects to a data source defined in odbc.ini. */
UPGRADE_EXTERN int upgrade_conn_connect_dsn(struct upgrade_conn *conn, const char *dsn);

/*
 * Connects to an SQLite database file (created when missing) through the
 * SQLite 3 ODBC driver: the [SQLite3] driver of odbcinst.ini when there is
 * one, else the driver found when libupgrade was built.
 */
UPGRADE_EXTERN int upgrade_conn_connect_sqlite(struct upgrade_conn *conn, const char *path);

/*
 * Uses an ODBC connection the host program opened itself: hdbc is its
 * SQLHDBC (a void pointer, so that this header needs no ODBC headers).  The
 * handle borrows it: upgrade_conn_free() neither disconnects nor frees it,
 * and the host must keep it open until then.  Running schemas in parallel
 * needs a connection string, so upgrade_runner_set_jobs(3) above 1 fails on
 * an attached connection.
 */
UPGRADE_EXTERN int upgrade_conn_attach_odbc(struct upgrade_conn *conn, void *hdbc);

/*
 * The last failure on this handle.  Each returns "" (or 0) when there is
 * none.  The strings remain valid until the next call on the handle.
 */
UPGRADE_EXTERN const char *upgrade_conn_error(const struct upgrade_conn *conn);
UPGRADE_EXTERN const char *upgrade_conn_sqlstate(const struct upgrade_conn *conn);
UPGRADE_EXTERN long upgrade_conn_native_error(const struct upgrade_conn *conn);
/* The return code of the last failure (UPGRADE_OK when there is none). */
UPGRADE_EXTERN int upgrade_conn_error_code(const struct upgrade_conn *conn);

/*
 * What the connected driver reports.  Strings are borrowed and remain valid
 * until the handle is freed; NULL before a connection is made.
 */
UPGRADE_EXTERN const char *upgrade_conn_dbms_name(const struct upgrade_conn *conn);
UPGRADE_EXTERN const char *upgrade_conn_dbms_version(const struct upgrade_conn *conn);
UPGRADE_EXTERN const char *upgrade_conn_driver_name(const struct upgrade_conn *conn);
UPGRADE_EXTERN const char *upgrade_conn_driver_version(const struct upgrade_conn *conn);
/* The connection string with every password replaced by "***". */
UPGRADE_EXTERN const char *upgrade_conn_string(const struct upgrade_conn *conn);
/* The dialect in use ("postgresql", ...). */
UPGRADE_EXTERN const char *upgrade_conn_dialect(const struct upgrade_conn *conn);

/* The upgrade_capability bits of the connection's dialect and engine version. */
UPGRADE_EXTERN unsigned int upgrade_conn_capabilities(const struct upgrade_conn *conn);

/* The name of one capability bit ("transactional-ddl", ...), NULL if unknown. */
UPGRADE_EXTERN const char *upgrade_capability_name(enum upgrade_capability capability);

/*
 * Quotes an identifier for the connection's dialect, doubling embedded
 * quote characters.  *out is allocated and must be released with
 * upgrade_free().  UPGRADE_EINVAL for an empty name, a name that is not
 * valid UTF-8, one with control characters, or one longer than the engine
 * keeps (PostgreSQL would silently truncate it).
 */
UPGRADE_EXTERN int upgrade_conn_quote_ident(char **out, struct upgrade_conn *conn, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* UPGRADE_CONNECTION_H */
