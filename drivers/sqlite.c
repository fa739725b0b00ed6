/*
 * sqlite.c - the SQLite dialect (sqliteodbc).
 *
 * SQLite has transactional DDL but no schemas, no named locks and a narrow
 * ALTER TABLE: DROP COLUMN arrived in 3.35, changing a column needs a table
 * rebuild.  sqliteodbc reports the SQLite version it was built with.
 */
#include "config.h"

#include <string.h>

#include "../src/dialect.h"
#include "../src/private.h"

static int
sqlite_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "SQLite", 6) ? 100 : 0;
}

static unsigned int
sqlite_version_caps(const char *dbms_ver, unsigned int caps)
{
	if (upg_version_parse(dbms_ver) >= 3035)
		caps |= UPGRADE_CAP_DROP_COLUMN;
	return caps;
}

const struct upg_dialect upg_dialect_sqlite = {
	.name = "sqlite",
	.title = "SQLite 3",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SAVEPOINTS |
	        UPGRADE_CAP_INDEX_IF_NOT_EXISTS,
	.bid = sqlite_bid,
	.version_caps = sqlite_version_caps,
	.quote_open = '"',
	.quote_close = '"',
	.max_ident_len = 0,
};
