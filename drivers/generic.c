/* SPDX-License-Identifier: MIT */
/*
 * generic.c - the fallback dialect: ANSI SQL and ODBC catalog functions
 * only.
 *
 * It claims nothing it cannot check, so no capability bit is set; quoting
 * uses the driver's SQL_IDENTIFIER_QUOTE_CHAR.  Introspection goes through
 * the ODBC catalog functions (the NULL hooks), which see tables, views,
 * columns and indexes but neither constraints nor enumerations.
 */
#include "config.h"

#include <string.h>

#include "../src/dialect.h"

static int
generic_bid(const char *dbms_name, const char *dbms_ver)
{
	return 1;
}

enum upg_errclass
upg_odbc_classify_error(const char *sqlstate, long native, const char *message)
{
	(void)native;
	(void)message;
	if (strcmp(sqlstate, "42S02") == 0)
		return UPG_ERRC_NO_TABLE;
	if (strcmp(sqlstate, "42S22") == 0)
		return UPG_ERRC_NO_COLUMN;
	/* serialization failure; MariaDB and Galera report deadlocks and lost certification so */
	if (strcmp(sqlstate, "40001") == 0)
		return UPG_ERRC_CONFLICT;
	return UPG_ERRC_OTHER;
}

static const char *const generic_types[UPG_TYPE_COUNT] = {
	[UPG_TYPE_INTEGER] = "INTEGER",
	[UPG_TYPE_BIGINT] = "BIGINT",
	[UPG_TYPE_TEXT] = "VARCHAR(32000)",
	[UPG_TYPE_VARCHAR] = "VARCHAR",
	[UPG_TYPE_BOOLEAN] = "BOOLEAN",
	[UPG_TYPE_TIMESTAMP] = "TIMESTAMP",
	[UPG_TYPE_DATE] = "DATE",
	[UPG_TYPE_NUMERIC] = "NUMERIC",
	[UPG_TYPE_JSON] = "VARCHAR(32000)",
	[UPG_TYPE_BLOB] = "BLOB",
};

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
	.max_module_chars = 255,
	.max_task_chars = 500,
	.json_type = "VARCHAR(32000)",
	.timestamp_type = "TIMESTAMP",
	.task_key_type = "VARCHAR(500)",
	.current_schema_sql = NULL,
	.default_schema = "default",
	.type_names = generic_types,
	.bool_true = "TRUE",
	.bool_false = "FALSE",
	.limit_syntax = UPG_LIMIT_FETCH_FIRST,
};
