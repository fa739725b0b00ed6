/*
 * mssql.c - the Microsoft SQL Server dialect (FreeTDS).
 *
 * No SQL Server can run on the test machines, so this dialect is checked by
 * the SQL it renders, not against a server.  Brackets quote identifiers
 * whatever QUOTED_IDENTIFIER says.
 */
#include "config.h"

#include "../src/dialect.h"
#include "../src/private.h"

static int
mssql_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "Microsoft SQL Server", 20) ? 100 : 0;
}

const struct upg_dialect upg_dialect_mssql = {
	.name = "mssql",
	.title = "Microsoft SQL Server",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_ADVISORY_LOCK |
	        UPGRADE_CAP_SAVEPOINTS | UPGRADE_CAP_ALTER_COLUMN | UPGRADE_CAP_DROP_COLUMN |
	        UPGRADE_CAP_DISABLE_TRIGGERS,
	.bid = mssql_bid,
	.version_caps = NULL,
	.quote_open = '[',
	.quote_close = ']',
	.max_ident_len = 128,
	.key_type = "NVARCHAR(255)",
	.json_type = "NVARCHAR(MAX)",
	.timestamp_type = "DATETIME2",
	.current_schema_sql = "SELECT SCHEMA_NAME()",
	.list_schemas_sql = "SELECT name FROM sys.schemas WHERE schema_id < 16384 "
	                    "AND name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest') ORDER BY name",
	/* The default schema belongs to the user, not the session. */
	.use_schema_sql = NULL,
};
