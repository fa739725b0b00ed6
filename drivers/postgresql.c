/*
 * postgresql.c - the PostgreSQL dialect (psqlODBC).
 *
 * PostgreSQL has transactional DDL, schemas, advisory locks and real enum
 * types.  Identifiers longer than NAMEDATALEN - 1 (63) bytes are silently
 * truncated by the server, so quoting refuses them.
 */
#include "config.h"

#include "../src/dialect.h"
#include "../src/private.h"

static int
postgresql_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "PostgreSQL", 10) ? 100 : 0;
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
};
