/* SPDX-License-Identifier: MIT */
/*
 * postgresql.c - the PostgreSQL dialect (psqlODBC).
 *
 * PostgreSQL has transactional DDL, schemas, advisory locks and real enum
 * types.  Identifiers longer than NAMEDATALEN - 1 (63) bytes are silently
 * truncated by the server, so quoting refuses them.
 *
 * Introspection reads pg_catalog with the names bound as parameters: the
 * ODBC catalog functions fold case and only see the search_path.  psqlODBC
 * sends character parameters untyped, which the server resolves from
 * context, except where the context is itself untyped (CASE, VALUES):
 * there the core adds casts (cast_params).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/ops.h"

static int
postgresql_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "PostgreSQL", 10) ? 100 : 0;
}

/* Advisory locks take a bigint; pg_locks shows it as classid (high) and objid (low). */
static void
lock_key(const struct upg_lock *lock, char *key, size_t size, char *hi, char *lo, size_t part)
{
	unsigned long long k = upg_hash62(lock->name);

	snprintf(key, size, "%llu", k);
	snprintf(hi, part, "%llu", k >> 32);
	snprintf(lo, part, "%llu", k & 0xffffffffULL);
}

/*
 * A session advisory lock stays with the server session.  Through a pooler
 * in transaction mode that session goes to whichever client comes next:
 * the holder's next transaction may run elsewhere, and another client holds
 * (and may release) the lock.  There, and with --cluster-lock table, the
 * lock is a row of upgrade_locks (src/lock-table.c): each statement below
 * is a transaction of its own, so it holds on any server session.  Of two
 * concurrent inserts of the same name the second waits for the first and
 * then does nothing; of two take-overs the second re-reads the row the
 * first committed and finds its lease running.  Times are UTC by the
 * server's clock.
 */
#define PG_UTC_NOW "(clock_timestamp() AT TIME ZONE 'UTC')"
#define PG_LEASE "CAST(? AS BIGINT) * INTERVAL '1 microsecond'"
static const struct upg_lock_table_sql pg_lock_sql = {
	.current_schema = "SELECT current_schema()",
	.exists = "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
	          "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = '" UPG_LOCK_TABLE "'",
	.create = "CREATE TABLE IF NOT EXISTS %s (name TEXT PRIMARY KEY, holder TEXT NOT NULL, "
	          "token TEXT NOT NULL, acquired_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)",
	.insert = "INSERT INTO %s (name, holder, token, acquired_at, expires_at) VALUES (?, ?, ?, "
	          PG_UTC_NOW ", " PG_UTC_NOW " + " PG_LEASE ") ON CONFLICT (name) DO NOTHING",
	.take_over = "UPDATE %s SET holder = ?, token = ?, acquired_at = " PG_UTC_NOW
	             ", expires_at = " PG_UTC_NOW " + " PG_LEASE
	             " WHERE name = ? AND expires_at < " PG_UTC_NOW,
	.check = "SELECT token FROM %s WHERE name = ?",
	.renew = "UPDATE %s SET expires_at = " PG_UTC_NOW " + " PG_LEASE
	         " WHERE name = ? AND token = ?",
	.remove = "DELETE FROM %s WHERE name = ? AND token = ?",
	.holder = "SELECT holder || ', lease until ' || "
	          "to_char(expires_at, 'YYYY-MM-DD HH24:MI:SS.US') || ' UTC' || "
	          "CASE WHEN expires_at < " PG_UTC_NOW " THEN ' (expired)' ELSE '' END "
	          "FROM %s WHERE name = ?",
};

static int
use_lock_table(const struct upg_lock *lock)
{
	return lock->conn->pool_mode == UPGRADE_POOL_TRANSACTION ||
	       lock->conn->cluster_lock == UPGRADE_CLUSTER_LOCK_TABLE;
}

/*
 * Which server session a statement runs on: its process id and when its
 * server started, which no two live sessions share, even behind a pooler
 * that reaches several servers.  Two columns, compared here: on a fresh
 * server session, building one text of them (EXTRACT, casts, ||) cost
 * 0.6 ms of planning, and reading pg_locks for the same proof 0.5 ms.  The
 * start time goes as the server's text: psqlODBC rewrites a timestamp's
 * (without its zone, or as zeros under a DateStyle other than ISO).  That
 * text follows the session's DateStyle and TimeZone, the same for two
 * statements of one session; every style keeps the microseconds.
 */
#define PG_SESSION_START "CAST(pg_postmaster_start_time() AS TEXT)"
#define PG_SESSION_COLUMNS "pg_backend_pid(), " PG_SESSION_START

/* A server session, as a row of PG_SESSION_COLUMNS names it; pid NULL: none. */
struct pg_session {
	char *pid, *start;
};

static int
session_row(void *ud, size_t ncols, char **values)
{
	struct pg_session *s = ud;

	if (ncols < 2)
		return 1;
	/* Take both values; the row's NULLs stay NULL. */
	s->pid = values[0];
	s->start = values[1];
	values[0] = values[1] = NULL;
	return 1;
}

static void
session_free(struct pg_session *s)
{
	free(s->pid);
	free(s->start);
}

static int
same_session(const struct pg_session *a, const struct pg_session *b)
{
	return a->pid != NULL && b->pid != NULL && a->start != NULL && b->start != NULL &&
	       strcmp(a->pid, b->pid) == 0 && strcmp(a->start, b->start) == 0;
}

/*
 * The only reliable sign of a pooler in transaction mode: the statement
 * after the one that took the lock runs on a server session other than the
 * one that took it (locked, as that statement named it).  The same
 * session proves nothing (an idle pool hands the same one back), so this
 * catches a pool when it is busy, which is when runs race.  The lock then
 * stays with a session this client cannot reach for sure; one unlock is
 * tried wherever the pool sends it.
 */
static int
pg_lock_check_session(struct upg_lock *lock, const char *key, const struct pg_session *locked,
                      int *acquired)
{
	const char *params[1] = {key};
	struct pg_session now = {NULL, NULL};
	int same, ret;

	ret = upg_db_query(lock->conn, "SELECT " PG_SESSION_COLUMNS, 0, NULL, session_row, &now);
	same = ret >= 0 && same_session(&now, locked);
	session_free(&now);
	if (ret < 0)
		return ret;
	if (same)
		return UPGRADE_OK;
	*acquired = 0;
	upg_db_query(lock->conn, "SELECT pg_advisory_unlock(CAST(? AS BIGINT))", 1, params, NULL, NULL);
	return upg_error_set(&lock->conn->err, UPGRADE_EUNSUPPORTED,
	                     "the %s lock was taken on one PostgreSQL server session and the next "
	                     "statement ran on another: the connection goes through a pooler in "
	                     "transaction mode (PgBouncer); say so with --pool-mode transaction "
	                     "(upgrade_conn_set_pool_mode(3))",
	                     strcmp(lock->schema, UPG_RAW_LOCK) == 0 ? "raw tasks'" : "schema");
}

static int
pg_lock_try(struct upg_lock *lock, int *acquired)
{
	char key[32], hi[16], lo[16], app[160], since[32];
	struct pg_session session = {NULL, NULL};
	const char *params[2];
	time_t now = time(NULL);
	struct tm tm;
	int ret;

	*acquired = 0;
	lock_key(lock, key, sizeof key, hi, lo, sizeof hi);
	/* application_name is how a waiting process learns who holds the lock, and since when. */
	gmtime_r(&now, &tm);
	strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(app, sizeof app, "upgrade %s since %s", upg_lock_owner(), since);
	/* The server keeps 63 bytes; keep the end, which says since when. */
	if (strlen(app) > 63)
		memmove(app + 8, app + strlen(app) - 55, 56);
	params[0] = key;
	params[1] = app;
	/*
	 * One round trip, answering the session that took the lock (its pid
	 * NULL when the lock was not taken).
	 * The FROM item naming the process is evaluated before the lock is
	 * tried: set_config is volatile, so the planner neither merges that
	 * subquery into the outer query nor drops it.
	 */
	ret = upg_db_query(lock->conn,
	                   "SELECT CASE WHEN pg_try_advisory_lock(CAST(? AS BIGINT)) THEN pg_backend_pid() "
	                   "END, " PG_SESSION_START
	                   " FROM (SELECT set_config('application_name', ?, false)) AS named",
	                   2, params, session_row, &session);
	if (ret >= 0) {
		*acquired = session.pid != NULL;
		ret = *acquired ? pg_lock_check_session(lock, key, &session, acquired) : UPGRADE_OK;
	}
	session_free(&session);
	return ret;
}

static int
pg_lock_release(struct upg_lock *lock)
{
	char key[32], hi[16], lo[16];
	const char *params[1] = {key};

	lock_key(lock, key, sizeof key, hi, lo, sizeof hi);
	return upg_db_query(lock->conn, "SELECT pg_advisory_unlock(CAST(? AS BIGINT))", 1, params,
	                    NULL, NULL);
}

/* The lock table through a pooler in transaction mode, or when asked for. */
static int
pg_lock_table(struct upg_lock *lock, const struct upg_lock_table_sql **sql)
{
	*sql = use_lock_table(lock) ? &pg_lock_sql : NULL;
	return UPGRADE_OK;
}

static int
pg_lock_holder(struct upg_lock *lock, char **who)
{
	char key[32], hi[16], lo[16];
	const char *params[2] = {hi, lo};

	int ret;

	*who = NULL;
	lock_key(lock, key, sizeof key, hi, lo, sizeof hi);
	ret = upg_db_query(lock->conn,
	                    "SELECT a.application_name || ', server pid ' || a.pid || ', client ' || "
	                    "COALESCE(host(a.client_addr), 'local socket') "
	                    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
	                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
	                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
	                    "AND l.classid = CAST(? AS OID) AND l.objid = CAST(? AS OID)",
	                    2, params, upg_first_value, who);
	return ret < 0 ? ret : UPGRADE_OK;
}

/* The engine's own schemas, which no command targets: pg_catalog, pg_toast, pg_temp_N... */
static int
pg_system_schema(const char *name)
{
	return strncmp(name, "pg_", 3) == 0 || strcmp(name, "information_schema") == 0;
}

/* ---- the search path ------------------------------------------------------ */

/*
 * The session is the user's: the tenant schema goes first and the search
 * path the connection came with (the role's and database's defaults,
 * psqlODBC's ConnSettings) follows, so a type or function of another
 * schema (an extension in "extensions") is still found unqualified.  That
 * path is read once, before the first switch, as the setting says it
 * (SHOW plans nothing: 0.01-0.03 ms on a fresh server session, where
 * current_schemas() cost 0.5-0.7 ms), and kept as written: the server
 * resolves "$user" and skips a schema that is missing or not usable each
 * time it uses the path, as it did for the connection.  Where the split
 * depends on what the client cannot see (the server's encoding or version)
 * the schemas the server resolved are read instead, as before: those of
 * the path that exist, in order, "$user" resolved.  The names are kept
 * NUL-separated (no identifier holds a NUL), ended by an empty one, and
 * quoted only when the path is written.
 */
static int
own_path_row(void *ud, size_t ncols, char **values)
{
	struct upg_buf *b = ud;
	const char *name = ncols > 0 ? values[0] : NULL;

	if (name == NULL || name[0] == '\0')
		return 0;
	if (strncmp(name, "pg_temp_", 8) == 0)
		name = "pg_temp";
	upg_buf_append(b, name, strlen(name) + 1);
	return 0;
}

/* The server's own whitespace between the names of a list (scanner_isspace, before 17). */
static int
path_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/*
 * Splits the setting as the server does (SplitIdentifierString): names
 * separated by commas and whitespace, a quoted name with "" for a quote
 * and kept as written, an unquoted one folded to lower case.  0, or -1
 * for text the server would not have taken (it checks the setting with the
 * same function) or that it reads in a way the client cannot tell: a
 * vertical tab (whitespace from PostgreSQL 17 on), an unquoted name beyond
 * ASCII (folded by the server's encoding), a name over 63 bytes (cut by
 * it).
 */
static int
split_path(const char *p, struct upg_buf *b)
{
	size_t len;
	char c;

	while (path_space(*p))
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		char name[64];

		len = 0;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0')
					return -1;
				if (*p == '"') {
					if (p[1] != '"')
						break;
					p++;
				}
				if (len == sizeof name - 1)
					return -1;
				name[len++] = *p;
			}
			p++;
		} else {
			for (; *p != '\0' && *p != ',' && !path_space(*p); p++) {
				c = *p;
				if ((unsigned char)c >= 0x80 || c == '\v' || len == sizeof name - 1)
					return -1;
				name[len++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
			}
			if (len == 0)
				return -1;
		}
		/* "" is a name no schema has (the server's path for SET search_path TO ''). */
		if (len > 0) {
			upg_buf_append(b, name, len);
			upg_buf_append(b, "", 1);
		}
		while (path_space(*p))
			p++;
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
		while (path_space(*p))
			p++;
	}
}

static int
read_own_path(struct upgrade_conn *conn)
{
	struct upg_buf b = UPG_BUF_INIT;
	char *setting = NULL;
	int ret;

	ret = upg_db_query_string(conn, "SHOW search_path", &setting);
	if (ret == UPGRADE_OK && setting != NULL && split_path(setting, &b) < 0) {
		b.len = 0;
		ret = upg_db_query(conn, "SELECT unnest(current_schemas(false))", 0, NULL, own_path_row,
		                   &b);
		ret = ret < 0 ? ret : UPGRADE_OK;
	}
	free(setting);
	if (ret == UPGRADE_OK)
		upg_buf_append(&b, "", 1);
	if (ret == UPGRADE_OK && b.failed)
		ret = upg_error_oom(&conn->err);
	if (ret != UPGRADE_OK) {
		upg_buf_free(&b);
		return ret;
	}
	conn->own_path = b.data;
	return UPGRADE_OK;
}

/*
 * Appends name quoted, after a comma unless first; skips names already in
 * the list.  The tenant's name is the user's and quoted as every name the
 * runner writes; a name of the connection's own path came from the server
 * and goes back to it as it was, whatever it holds (a tab, say), quoted as
 * the server quotes.
 */
static int
path_add(struct upgrade_conn *conn, struct upg_buf *sql, const char **seen, size_t *nseen,
         const char *name, int from_server)
{
	char *q = NULL;
	size_t i;
	int ret;

	for (i = 0; i < *nseen; i++)
		if (strcmp(seen[i], name) == 0)
			return UPGRADE_OK;
	upg_buf_puts(sql, *nseen > 0 ? ", " : "");
	if (from_server) {
		upg_buf_putc(sql, '"');
		for (i = 0; name[i] != '\0'; i++) {
			if (name[i] == '"')
				upg_buf_putc(sql, '"');
			upg_buf_putc(sql, name[i]);
		}
		upg_buf_putc(sql, '"');
	} else {
		if ((ret = upgrade_conn_quote_ident(&q, conn, name)) != UPGRADE_OK)
			return ret;
		upg_buf_puts(sql, q);
		free(q);
	}
	seen[(*nseen)++] = name;
	return UPGRADE_OK;
}

/*
 * Through a pooler in transaction mode a session SET would stay with the
 * server session, for whichever client gets it next, and this client's
 * next transaction may run on another one.  There the path is a SET LOCAL
 * that upg_db_begin runs first in every transaction; it is sent now only
 * into a transaction already open (a dry run's, which holds every schema
 * as a savepoint).
 */
static int
pg_use_schema(struct upgrade_conn *conn, const char *schema)
{
	struct upg_buf sql = UPG_BUF_INIT;
	const char **seen = NULL;
	const char *p;
	size_t n = 1, nseen = 0;
	int local = conn->pool_mode == UPGRADE_POOL_TRANSACTION, ret;

	if (conn->own_path == NULL && (ret = read_own_path(conn)) != UPGRADE_OK)
		return ret;
	for (p = conn->own_path; *p != '\0'; p += strlen(p) + 1)
		n++;
	if ((seen = calloc(n, sizeof *seen)) == NULL)
		return upg_error_oom(&conn->err);
	upg_buf_puts(&sql, local ? "SET LOCAL search_path TO " : "SET search_path TO ");
	ret = path_add(conn, &sql, seen, &nseen, schema, 0);
	for (p = conn->own_path; ret == UPGRADE_OK && *p != '\0'; p += strlen(p) + 1)
		ret = path_add(conn, &sql, seen, &nseen, p, 1);
	free(seen);
	if (ret == UPGRADE_OK && sql.failed)
		ret = upg_error_oom(&conn->err);
	if (ret != UPGRADE_OK) {
		upg_buf_free(&sql);
		return ret;
	}
	free(conn->begin_sql);
	conn->begin_sql = NULL;
	if (local) {
		conn->begin_sql = upg_buf_detach(&sql);
		if (conn->begin_sql == NULL)
			return upg_error_oom(&conn->err);
		return conn->autocommit ? UPGRADE_OK : upg_db_exec(conn, conn->begin_sql);
	}
	ret = upg_db_exec(conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	return ret;
}

/* A boolean setting as SHOW answers it: on or off. */
static int
setting_on(void *ud, size_t ncols, char **values)
{
	*(int *)ud = ncols > 0 && values[0] != NULL && strcmp(values[0], "on") == 0;
	return 0;
}

/*
 * A standby in recovery refuses every write with 25006.  Through a pooler
 * inet_server_addr() is the server PgBouncer talks to, which is the one
 * worth naming; a pool over several servers may send the description to
 * another one than the question, so it names only a server that is a
 * standby, and the answer stands without it.
 */
static int
pg_read_only(struct upgrade_conn *conn, char **why)
{
	int standby = 0, ret;

	*why = NULL;
	/*
	 * The description only on a standby: building it on a fresh server
	 * session (host(), ||, casts) cost 0.6 ms of planning, the question
	 * alone 0.2-0.4 ms, and SHOW of the setting servers since 14 keep
	 * (in_hot_standby) 0.03 ms.
	 */
	if (upg_version_parse(conn->dbms_ver) >= 14000)
		ret = upg_db_query(conn, "SHOW in_hot_standby", 0, NULL, setting_on, &standby);
	else
		ret = upg_db_query(conn, "SELECT 1 WHERE pg_is_in_recovery()", 0, NULL, upg_row_seen,
		                   &standby);
	if (ret < 0 || !standby)
		return ret < 0 ? ret : UPGRADE_OK;
	ret = upg_db_query(conn,
	                   "SELECT 'PostgreSQL server ' || COALESCE(host(inet_server_addr()) || ':' || "
	                   "inet_server_port(), 'on a local socket') || ', database ' || "
	                   "current_database() || ', is a standby (pg_is_in_recovery() is true)' "
	                   "WHERE pg_is_in_recovery()",
	                   0, NULL, upg_first_value, why);
	if (ret < 0)
		return ret;
	if (*why == NULL &&
	    (*why = upg_strdup("a PostgreSQL server this connection reached is a standby "
	                       "(pg_is_in_recovery() is true)")) == NULL)
		return upg_error_oom(&conn->err);
	return UPGRADE_OK;
}

/*
 * pg_current_wal_insert_lsn() is where the primary has put its last WAL
 * record; a commit that returned is before it, so every replica whose
 * replay_lsn reaches it has replayed the run.  pg_current_wal_lsn() would
 * not do: with synchronous_commit off a commit returns before its record is
 * written, and the write position lags behind it.  pg_stat_replication shows replay_lsn only to
 * superusers and members of pg_monitor; to others every column but the
 * replica's name and user is NULL, state included, which tells a hidden
 * replica from one that is still starting.
 */
static int
pg_replication_position(struct upgrade_conn *conn, char **position)
{
	return upg_db_query_string(conn, "SELECT CAST(pg_current_wal_insert_lsn() AS TEXT)", position);
}

struct pg_replicas {
	long replayed, connected, hidden;
};

static int
pg_replicas_row(void *ud, size_t ncols, char **values)
{
	struct pg_replicas *r = ud;

	if (ncols < 3)
		return UPGRADE_ERROR;
	r->replayed = values[0] != NULL ? strtol(values[0], NULL, 10) : 0;
	r->connected = values[1] != NULL ? strtol(values[1], NULL, 10) : 0;
	r->hidden = values[2] != NULL ? strtol(values[2], NULL, 10) : 0;
	return 1;
}

static int
pg_replicas_at(struct upgrade_conn *conn, const char *position, long *replayed, long *connected,
               long *hidden)
{
	struct pg_replicas r = {0, 0, 0};
	const char *p[1] = {position};
	int ret;

	ret = upg_db_query(conn,
	                   "SELECT count(*) FILTER (WHERE replay_lsn >= CAST(? AS pg_lsn)), count(*), "
	                   "count(*) FILTER (WHERE state IS NULL) FROM pg_stat_replication",
	                   1, p, pg_replicas_row, &r);
	if (ret < 0)
		return ret;
	*replayed = r.replayed;
	*connected = r.connected;
	*hidden = r.hidden;
	return UPGRADE_OK;
}

/* ---- introspection ------------------------------------------------------- */

static const char *const contypes[] = {"", "p", "u", "f", "c"};

/*
 * The exists hook (src/dialect.h): one query of pg_catalog for ref in
 * ref->schema, every name bound and compared exactly, as quoted
 * identifiers are; *found is whether a row came back.  Returns UPGRADE_OK
 * or the query's error.
 */
static int
pg_exists(struct upgrade_conn *conn, const struct upg_objref *ref, int *found)
{
	const char *p[4];
	const char *sql;
	size_t n = 2;
	int ret;

	p[0] = ref->schema;
	p[1] = ref->kind == UPG_OBJ_INDEX || ref->kind == UPG_OBJ_ENUM ? ref->name : ref->table;
	switch (ref->kind) {
	case UPG_OBJ_TABLE:
		/* Ordinary and partitioned tables; views, foreign tables and sequences do not count. */
		sql = "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		      "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? "
		      "AND c.relkind IN ('r', 'p')";
		break;
	case UPG_OBJ_VIEW:
		sql = "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
		      "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? "
		      "AND c.relkind IN ('v', 'm')";
		break;
	case UPG_OBJ_COLUMN:
		sql = "SELECT 1 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c "
		      "ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
		      "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
		      "AND a.attname = ? AND a.attnum > 0 AND NOT a.attisdropped";
		p[n++] = ref->name;
		break;
	case UPG_OBJ_INDEX:
		if (ref->table == NULL) {
			sql = "SELECT 1 FROM pg_catalog.pg_class i JOIN pg_catalog.pg_namespace n "
			      "ON n.oid = i.relnamespace WHERE n.nspname = ? AND i.relname = ? "
			      "AND i.relkind IN ('i', 'I')";
		} else {
			sql = "SELECT 1 FROM pg_catalog.pg_class i JOIN pg_catalog.pg_namespace n "
			      "ON n.oid = i.relnamespace JOIN pg_catalog.pg_index x ON x.indexrelid = i.oid "
			      "JOIN pg_catalog.pg_class t ON t.oid = x.indrelid "
			      "WHERE n.nspname = ? AND i.relname = ? AND t.relname = ?";
			p[n++] = ref->table;
		}
		break;
	case UPG_OBJ_CONSTRAINT:
		p[n++] = ref->name;
		if (ref->ctype == UPG_CT_ANY) {
			sql = "SELECT 1 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class t "
			      "ON t.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
			      "WHERE n.nspname = ? AND t.relname = ? AND k.conname = ?";
		} else {
			sql = "SELECT 1 FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class t "
			      "ON t.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace "
			      "WHERE n.nspname = ? AND t.relname = ? AND k.conname = ? AND k.contype = ?";
			p[n++] = contypes[ref->ctype];
		}
		break;
	case UPG_OBJ_ENUM:
		/* typtype 'e': a table's row type has the table's name too, and is no enum. */
		sql = "SELECT 1 FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
		      "ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typname = ? AND t.typtype = 'e'";
		break;
	default:
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown kind of object");
	}
	ret = upg_db_query(conn, sql, n, p, upg_row_seen, found);
	return ret < 0 ? ret : UPGRADE_OK;
}

static int
pg_columns(struct upgrade_conn *conn, const char *schema, const char *table, upg_colinfo_fn fn,
           void *ud)
{
	const char *p[2] = {schema, table};

	return upg_query_columns(conn,
	                    "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), "
	                    "CASE WHEN a.attnotnull THEN 1 ELSE 0 END, "
	                    "pg_catalog.pg_get_expr(d.adbin, d.adrelid), "
	                    /* int2vector subscripts start at 0; ORDINALITY counts from 1. */
	                    "(SELECT k.n FROM pg_catalog.pg_index x, "
	                    "unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
	                    "WHERE x.indrelid = c.oid AND x.indisprimary AND k.attnum = a.attnum) "
	                    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
	                    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
	                    "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	                    "WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
	                    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
	                    2, p, fn, ud);
}

/* ---- rendering ------------------------------------------------------------------ */

/* Starts the next subcommand of the one ALTER TABLE: ", ALTER COLUMN c ". */
static void
pg_alter_col(struct upg_render *r, const struct upg_alter *a, int *n)
{
	upg_r_puts(r, (*n)++ > 0 ? ", ALTER COLUMN " : " ALTER COLUMN ");
	upg_r_ident(r, a->column);
	upg_r_puts(r, " ");
}

/*
 * Every change as a subcommand of one ALTER TABLE (one table rewrite at
 * most).  A new type converts the column's default too, and fails (42804)
 * when the default cannot be cast, as a varchar's '0' to numeric: a default
 * the change replaces or drops is dropped before the type changes, so only
 * the new one has to fit.  PostgreSQL runs the subcommands in passes,
 * dropped defaults before type changes and new defaults after them.
 */
static int
pg_render_alter_column(struct upg_render *r, const struct upg_alter *a)
{
	int type = a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL;
	int n = 0;

	if (a->using_sql != NULL && !type)
		return upg_r_fail(r, UPGRADE_EINVAL, "column %s.%s: using needs a new type",
		                  a->table, a->column);
	if (!type && a->null_change == UPG_NULL_KEEP && a->def_change == UPG_DEF_KEEP)
		return upg_r_fail(r, UPGRADE_EINVAL, "column %s.%s: nothing to change", a->table,
		                  a->column);
	upg_r_puts(r, "ALTER TABLE ");
	upg_r_qname(r, a->table);
	if (type && a->def_change != UPG_DEF_KEEP) {
		pg_alter_col(r, a, &n);
		upg_r_puts(r, "DROP DEFAULT");
	}
	if (type) {
		pg_alter_col(r, a, &n);
		upg_r_puts(r, "TYPE ");
		upg_r_type(r, &a->type);
		/* The conversion is PostgreSQL's own USING expression. */
		if (a->using_sql != NULL) {
			upg_r_puts(r, " USING ");
			upg_r_puts(r, a->using_sql);
		}
	}
	if (a->null_change != UPG_NULL_KEEP) {
		pg_alter_col(r, a, &n);
		upg_r_puts(r, a->null_change == UPG_NULL_FORBID ? "SET NOT NULL" : "DROP NOT NULL");
	}
	if (a->def_change == UPG_DEF_DROP && !type) {
		pg_alter_col(r, a, &n);
		upg_r_puts(r, "DROP DEFAULT");
	} else if (a->def_change == UPG_DEF_VALUE || a->def_change == UPG_DEF_SQL) {
		pg_alter_col(r, a, &n);
		upg_r_puts(r, "SET DEFAULT ");
		if (a->def_change == UPG_DEF_VALUE)
			upg_r_value(r, a->def, upg_alter_value_type(a));
		else
			upg_r_puts(r, a->def);
	}
	upg_r_end(r);
	return r->ret;
}

/*
 * psqlODBC by default wraps every statement after the first of a
 * transaction in a savepoint, so that a failing one can be undone alone: a
 * round trip per statement that the runner never needs, since it rolls back
 * the whole task.  Protocol=7.4-0 gives PostgreSQL's own behaviour (a
 * failed statement aborts the transaction).  A Protocol the caller chose is
 * kept.  psqlODBC bounds the login by SQL_ATTR_LOGIN_TIMEOUT itself.
 */
static void
pg_prepare_connstr(struct upg_buf *buf, const char *connstr, int login_timeout)
{
	char *protocol = upg_connstr_get(connstr, "Protocol");

	(void)login_timeout;
	if (protocol == NULL)
		protocol = upg_connstr_get(connstr, "A1");
	if (protocol == NULL)
		upg_connstr_append(buf, "Protocol", "7.4-0");
	free(protocol);
}

static const char *const pg_driver_files[] = {"psqlodbc", NULL};

static const char *const pg_types[UPG_TYPE_COUNT] = {
	[UPG_TYPE_INTEGER] = "INTEGER",
	[UPG_TYPE_BIGINT] = "BIGINT",
	[UPG_TYPE_TEXT] = "TEXT",
	[UPG_TYPE_VARCHAR] = "VARCHAR",
	[UPG_TYPE_BOOLEAN] = "BOOLEAN",
	[UPG_TYPE_TIMESTAMP] = "TIMESTAMP WITHOUT TIME ZONE",
	[UPG_TYPE_DATE] = "DATE",
	[UPG_TYPE_NUMERIC] = "NUMERIC",
	[UPG_TYPE_JSON] = "JSONB",
	[UPG_TYPE_BLOB] = "BYTEA",
};

/* ---- enumerations --------------------------------------------------------------- */

static int
pg_enum_values(struct upgrade_conn *conn, const char *schema, const char *name,
               int (*fn)(void *ud, size_t ncols, char **values), void *ud)
{
	const char *p[2] = {schema, name};

	/* Only this schema's type: the model's lookup mixed the labels of every schema. */
	return upg_db_query(conn,
	                    "SELECT e.enumlabel FROM pg_catalog.pg_enum e "
	                    "JOIN pg_catalog.pg_type t ON t.oid = e.enumtypid "
	                    "JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace "
	                    "WHERE n.nspname = ? AND t.typname = ? AND t.typtype = 'e' "
	                    "ORDER BY e.enumsortorder",
	                    2, p, fn, ud);
}

static int
pg_enum_create(struct upgrade_conn *conn, const char *schema, const char *name,
               const char *const *values, size_t nvalues)
{
	struct upg_render r;
	size_t i;
	int ret;

	upg_render_init(&r, conn, schema);
	upg_r_puts(&r, "CREATE TYPE ");
	upg_r_qname(&r, name);
	upg_r_puts(&r, " AS ENUM (");
	for (i = 0; i < nvalues; i++) {
		if (i > 0)
			upg_r_puts(&r, ", ");
		upg_r_literal(&r, values[i]);
	}
	upg_r_puts(&r, ")");
	upg_r_end(&r);
	ret = upg_exec_rendered(conn, &r);
	upg_render_free(&r);
	return ret;
}

static int
pg_enum_add_value(struct upgrade_conn *conn, const char *schema, const char *name,
                  const char *value)
{
	struct upg_render r;
	int ret;

	/*
	 * Before PostgreSQL 12 ADD VALUE refuses to run in a transaction block.
	 * Committing the task's transaction to get out of it would break the
	 * task's atomicity and dry runs, so say what is needed instead.
	 */
	if (!conn->autocommit && upg_version_parse(conn->dbms_ver) < 12000)
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "PostgreSQL %s cannot add a value to enum %s inside a transaction "
		                     "(PostgreSQL 12 can); upgrade the server or add the value by hand",
		                     conn->dbms_ver, name);
	upg_render_init(&r, conn, schema);
	upg_r_puts(&r, "ALTER TYPE ");
	upg_r_qname(&r, name);
	upg_r_puts(&r, " ADD VALUE ");
	upg_r_literal(&r, value);
	upg_r_end(&r);
	ret = upg_exec_rendered(conn, &r);
	upg_render_free(&r);
	return ret;
}

/* ---- triggers -------------------------------------------------------------------- */

static int
pg_triggers_switch(struct upgrade_conn *conn, const char *schema, const char *table, int on)
{
	struct upg_render r;
	int ret;

	/* USER: the triggers behind foreign keys stay; ALTER TABLE is undone by ROLLBACK. */
	upg_render_init(&r, conn, schema);
	upg_r_puts(&r, "ALTER TABLE ");
	upg_r_qname(&r, table);
	upg_r_puts(&r, on ? " ENABLE TRIGGER USER" : " DISABLE TRIGGER USER");
	upg_r_end(&r);
	ret = upg_exec_rendered(conn, &r);
	upg_render_free(&r);
	return ret;
}

/* ---- errors ------------------------------------------------------------------------ */

static enum upg_errclass
pg_classify_error(const char *sqlstate, long native, const char *message)
{
	if (strcmp(sqlstate, "42P01") == 0) /* undefined_table */
		return UPG_ERRC_NO_TABLE;
	if (strcmp(sqlstate, "42703") == 0) /* undefined_column */
		return UPG_ERRC_NO_COLUMN;
	if (strcmp(sqlstate, "55P04") == 0) /* unsafe_new_enum_value_usage */
		return UPG_ERRC_ENUM_UNCOMMITTED;
	if (strcmp(sqlstate, "42804") == 0) /* datatype_mismatch */
		return UPG_ERRC_TYPE_MISMATCH;
	if (strcmp(sqlstate, "40P01") == 0) /* deadlock_detected */
		return UPG_ERRC_CONFLICT;
	return upg_odbc_classify_error(sqlstate, native, message);
}

/*
 * Whether psqlODBC would count a parameter marker in sql: a ? outside
 * string literals, quoted identifiers, dollar quotes and comments, the
 * way its own scanner reads a statement.  Erring towards 1 only costs a
 * wrapper around a statement that did not need one.
 */
/* psqlODBC knows no _ in a dollar quote's tag: $a_b$ quotes nothing for it. */
#define TAG_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/*
 * Whether sql has a ? that psqlODBC would take for a parameter marker:
 * one outside string literals (E'' escapes included), quoted names,
 * comments (nested block comments too) and dollar quotes.  1 or 0; an
 * unterminated dollar quote hides the rest, as it does from psqlODBC.
 */
static int
has_marker(const char *sql)
{
	const char *p = sql, *end;
	size_t n;

	/* Most statements have no '?' at all: one vectorised search settles them. */
	if (strchr(sql, '?') == NULL)
		return 0;
	while (*p != '\0') {
		if (*p == '?')
			return 1;
		if (*p == '\'' || *p == '"') {
			char q = *p;
			/* E'...' strings take backslash escapes. */
			int bs = q == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');

			for (p++; *p != '\0' && *p != q; p++)
				if (bs && *p == '\\' && p[1] != '\0')
					p++;
			if (*p != '\0')
				p++;
		} else if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			int depth = 1;

			for (p += 2; *p != '\0' && depth > 0; p++) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
		} else if (*p == '$' && !(p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
		                                      p[-1] == '$')) &&
		           p[1 + (n = strspn(p + 1, TAG_CHARS))] == '$') {
			/* $tag$ ... $tag$; a $ inside a name (a$b) opens nothing. */
			for (end = strchr(p + n + 2, '$'); end != NULL; end = strchr(end + 1, '$'))
				if (strncmp(end, p, n + 2) == 0)
					break;
			if (end == NULL)
				return 0;
			p = end + n + 2;
		} else {
			p++;
		}
	}
	return 0;
}

/* Appends a dollar quote tag ($upgrade<word>N$, no _: see TAG_CHARS) that sql does not contain. */
static void
put_tag(struct upg_buf *buf, const char *sql, const char *word, char *tag, size_t size)
{
	unsigned n;

	snprintf(tag, size, "$upgrade%s$", word);
	for (n = 1; strstr(sql, tag) != NULL; n++)
		snprintf(tag, size, "$upgrade%s%u$", word, n);
	upg_buf_puts(buf, tag);
}

/*
 * psqlODBC takes PostgreSQL's ?, ?| and ?& operators for parameter markers
 * and no setting stops it (UseServerSidePrepare, SQL_ATTR_NOSCAN, prepared
 * or direct execution: all answer 07002), but it leaves dollar quotes
 * alone.  So such a statement travels in a dollar-quoted string and the
 * server runs it: EXECUTE in a DO block for its effect, query_to_xml()
 * for whether a query returns a row (its text shows a <row> element per
 * row; values are escaped, so none can fake one).
 */
static int
pg_as_written(struct upg_buf *buf, const char *sql, enum upg_as_written how)
{
	char outer[40], inner[40];

	if (!has_marker(sql))
		return 0;
	if (how == UPG_AS_WRITTEN_EXISTS) {
		upg_buf_puts(buf, "SELECT 1 WHERE position('<row>' in CAST(query_to_xml(");
		put_tag(buf, sql, "sql", inner, sizeof inner);
		upg_buf_puts(buf, sql);
		upg_buf_puts(buf, inner);
		upg_buf_puts(buf, ", true, false, '') AS TEXT)) > 0");
		return 1;
	}
	upg_buf_puts(buf, "DO ");
	put_tag(buf, sql, "do", outer, sizeof outer);
	upg_buf_puts(buf, "BEGIN EXECUTE ");
	put_tag(buf, sql, "sql", inner, sizeof inner);
	upg_buf_puts(buf, sql);
	upg_buf_puts(buf, inner);
	upg_buf_puts(buf, "; END");
	upg_buf_puts(buf, outer);
	return 1;
}

static const char *const pg_unprepare_words[] = {"DEALLOCATE", "DISCARD", NULL};

const struct upg_dialect upg_dialect_postgresql = {
	.name = "postgresql",
	.title = "PostgreSQL",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK |
	        UPGRADE_CAP_ENUM_TYPES | UPGRADE_CAP_JSON | UPGRADE_CAP_SAVEPOINTS |
	        UPGRADE_CAP_ALTER_COLUMN | UPGRADE_CAP_DROP_COLUMN |
	        UPGRADE_CAP_INDEX_IF_NOT_EXISTS | UPGRADE_CAP_DISABLE_TRIGGERS,
	.bid = postgresql_bid,
	.version_caps = NULL,
	/* SHOW plans nothing: 0.03 ms on a fresh server session, current_setting() 0.35. */
	.server_version_sql = "SHOW server_version",
	.driver_files = pg_driver_files,
	.prepare_connstr = pg_prepare_connstr,
	.quote_open = '"',
	.quote_close = '"',
	.max_ident_len = 63,
	/* The model system's own table uses exactly these types; keep it readable by it. */
	.key_type = "TEXT",
	.json_type = "JSONB",
	/*
	 * Every task writes the module's state value again; compressing 50 KB
	 * of names for each costs more than storing them as they are (5,000
	 * tasks: 9.1-9.9 s compressed, 7.7-7.8 s not, fsync on).
	 */
	.state_table_setup = "ALTER TABLE %s ALTER COLUMN state SET STORAGE EXTERNAL",
	.timestamp_type = "TIMESTAMP WITHOUT TIME ZONE",
	.task_key_type = "TEXT",
	.task_upsert = "ON CONFLICT (module, task) DO UPDATE SET executed_at = excluded.executed_at, "
	               "duration_ms = excluded.duration_ms, checksum = excluded.checksum, how = excluded.how",
	.data_modifying_with = 1,
	/*
	 * Through jsonb either way: the model's own table has a json column,
	 * ours jsonb.  jsonb_insert after the last element rebuilds the value
	 * once; jsonb_set of the array with one more took twice the server's
	 * time (1,000 appends to 5,000 names: 0.25-0.31 s against 0.51-0.70 s).
	 */
	.state_append = "UPDATE %s SET state = jsonb_insert(state::jsonb, '{executed_tasks,-1}', "
	                "to_jsonb(CAST(? AS TEXT)), true), modified = ? WHERE module = ?",
	.state_list_guard = " AND NOT jsonb_exists(state::jsonb -> 'executed_tasks', CAST(? AS TEXT))",
	.state_length_guard = " AND jsonb_array_length(state::jsonb -> 'executed_tasks') = "
	                      "CAST(? AS INTEGER)",
	/* psqlODBC parses a prepared statement once, as a named one, and binds it after. */
	.keep_prepared = 1,
	/*
	 * A task's DEALLOCATE ALL (or DISCARD ALL) drops psqlODBC's named
	 * statements behind its back: the next state write failed with 26000.
	 */
	.unprepare_words = pg_unprepare_words,
	.sql_cursors = 1,
	.current_schema_sql = "SELECT current_schema()",
	.no_current_schema_hint = "is search_path empty?",
	/*
	 * Unfiltered and unordered, pg_system_schema() and a sort here doing
	 * the rest: on a fresh server session the bare list costs 0.2 ms, its
	 * LIKE or ORDER BY 0.5 ms more each, planning them.
	 */
	.list_schemas_sql = "SELECT nspname FROM pg_namespace",
	.system_schema = pg_system_schema,
	.use_schema_sql = "SET search_path TO %s",
	.use_schema = pg_use_schema,
	.create_schema_sql = "CREATE SCHEMA %s",
	.lock_try = pg_lock_try,
	.lock_release = pg_lock_release,
	.lock_holder = pg_lock_holder,
	.lock_table = pg_lock_table,
	.classify_error = pg_classify_error,
	.as_written = pg_as_written,
	.read_only = pg_read_only,
	.replication_position = pg_replication_position,
	.replicas_at = pg_replicas_at,
	.replicas_hidden_hint = "grant it pg_monitor or run as a superuser",
	.exists = pg_exists,
	.columns = pg_columns,
	.type_names = pg_types,
	.bool_true = "TRUE",
	.bool_false = "FALSE",
	.literal_prefix = NULL,
	/* standard_conforming_strings is on by default since PostgreSQL 9.1. */
	.literal_backslash = 0,
	.cast_params = 1,
	.limit_syntax = UPG_LIMIT_LIMIT,
	.add_default_fills = 1,
	/* Arrays: the statement's text, and so its parse and plan, stay the same size. */
	.update_rows = UPG_UPDATE_ROWS_ARRAYS,
	.render_alter_column = pg_render_alter_column,
	.enum_values = pg_enum_values,
	.enum_create = pg_enum_create,
	.enum_add_value = pg_enum_add_value,
	.triggers_switch = pg_triggers_switch,
};
