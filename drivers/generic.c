/*
 * generic.c - the fallback dialect: ANSI SQL and ODBC catalog functions
 * only.
 *
 * It claims nothing it cannot check, so no capability bit is set; quoting
 * uses the driver's SQL_IDENTIFIER_QUOTE_CHAR.
 */
#include "config.h"

#include "../src/dialect.h"

static int
generic_bid(const char *dbms_name, const char *dbms_ver)
{
	return 1;
}

const struct upg_dialect upg_dialect_generic = {
	.name = "generic",
	.title = "generic ODBC (ANSI SQL)",
	.caps = 0,
	.bid = generic_bid,
	.version_caps = NULL,
	.quote_open = '\0',
	.quote_close = '\0',
	.max_ident_len = 0,
	.key_type = "VARCHAR(255)",
	.json_type = "VARCHAR(32000)",
	.timestamp_type = "TIMESTAMP",
	.current_schema_sql = NULL,
	.default_schema = "default",
};
