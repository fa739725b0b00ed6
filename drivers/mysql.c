/*
 * mysql.c - the MariaDB and MySQL dialect (MariaDB Connector/ODBC).
 *
 * DDL commits implicitly (and commits pending DML before it), so nothing
 * here is transactional DDL.  A "schema" is a database of the server.
 * Identifiers are quoted with backticks, which work whatever the sql_mode.
 */
#include "config.h"

#include "../src/dialect.h"
#include "../src/private.h"

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
};
