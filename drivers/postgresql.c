/*
 * postgresql.c - the PostgreSQL dialect (psqlODBC).
 *
 * PostgreSQL has transactional DDL, schemas, advisory locks and real enum
 * types.  Identifiers longer than NAMEDATALEN - 1 (63) bytes are silently
 * truncated by the server, so quoting refuses them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/connection.h"

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

static int
pg_lock_try(struct upg_lock *lock, int *acquired)
{
	char key[32], hi[16], lo[16], app[160], since[32], *got = NULL;
	const char *params[1];
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
	params[0] = app;
	ret = upg_db_query(lock->conn, "SELECT set_config('application_name', ?, false)", 1, params,
	                   NULL, NULL);
	if (ret != UPGRADE_OK)
		return ret;
	params[0] = key;
	ret = upg_db_query(lock->conn, "SELECT CASE WHEN pg_try_advisory_lock(CAST(? AS BIGINT)) "
	                               "THEN 1 ELSE 0 END", 1, params, upg_first_value, &got);
	if (ret < 0)
		return ret;
	*acquired = got != NULL && got[0] == '1';
	free(got);
	return UPGRADE_OK;
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

const struct upg_dialect upg_dialect_postgresql = {
	.name = "postgresql",
	.title = "PostgreSQL",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK |
	        UPGRADE_CAP_ENUM_TYPES | UPGRADE_CAP_JSON | UPGRADE_CAP_SAVEPOINTS |
	        UPGRADE_CAP_ALTER_COLUMN | UPGRADE_CAP_DROP_COLUMN |
	        UPGRADE_CAP_INDEX_IF_NOT_EXISTS | UPGRADE_CAP_DISABLE_TRIGGERS,
	.bid = postgresql_bid,
	.version_caps = NULL,
	.quote_open = '"',
	.quote_close = '"',
	.max_ident_len = 63,
	/* The model system's own table uses exactly these types; keep it readable by it. */
	.key_type = "TEXT",
	.json_type = "JSONB",
	.timestamp_type = "TIMESTAMP WITHOUT TIME ZONE",
	.current_schema_sql = "SELECT current_schema()",
	.list_schemas_sql = "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
	                    "AND nspname <> 'information_schema' ORDER BY nspname",
	.use_schema_sql = "SET search_path TO %s",
	.lock_try = pg_lock_try,
	.lock_release = pg_lock_release,
	.lock_holder = pg_lock_holder,
};
