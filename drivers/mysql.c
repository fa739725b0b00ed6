/*
 * mysql.c - the MariaDB and MySQL dialect (MariaDB Connector/ODBC).
 *
 * DDL commits implicitly (and commits pending DML before it), so nothing
 * here is transactional DDL.  A "schema" is a database of the server.
 * Identifiers are quoted with backticks, which work whatever the sql_mode.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/connection.h"

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

const struct upg_dialect upg_dialect_mysql = {
	.name = "mysql",
	.title = "MariaDB / MySQL",
	.caps = UPGRADE_CAP_DATABASE_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK | UPGRADE_CAP_INLINE_ENUM |
	        UPGRADE_CAP_JSON | UPGRADE_CAP_SAVEPOINTS | UPGRADE_CAP_ALTER_COLUMN |
	        UPGRADE_CAP_DROP_COLUMN,
	.bid = mysql_bid,
	.version_caps = mysql_version_caps,
	.quote_open = '`',
	.quote_close = '`',
	.max_ident_len = 64,
	/* A TEXT key cannot be a primary key; TEXT values stop at 64 KiB. */
	.key_type = "VARCHAR(255)",
	.json_type = "LONGTEXT",
	.timestamp_type = "DATETIME(6)",
	.current_schema_sql = "SELECT DATABASE()",
	.list_schemas_sql = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME "
	                    "NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') "
	                    "ORDER BY SCHEMA_NAME",
	.use_schema_sql = "USE %s",
	.lock_try = mysql_lock_try,
	.lock_release = mysql_lock_release,
	.lock_holder = mysql_lock_holder,
};
