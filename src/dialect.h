/*
 * dialect.h - the table every dialect driver in drivers/ exports.
 *
 * A dialect says what plain ODBC cannot: which engine a connection talks
 * to, what the engine can do (capability bits) and how it spells things.
 * Core code asks capability bits and calls hooks; it never compares
 * dialect names.  A NULL hook means "use the generic ODBC behaviour".
 */
#ifndef UPG_DIALECT_H
#define UPG_DIALECT_H

#include <stddef.h>

struct upg_dialect {
	/* MUST: the name users type (--dialect, catalog dialect="..."). */
	const char *name;
	/* MUST: one line for `upgrade info` and the man page. */
	const char *title;
	/* MUST: upgrade_capability bits for the oldest supported version. */
	unsigned int caps;
	/*
	 * MUST: how well this dialect fits a driver's SQL_DBMS_NAME and
	 * SQL_DBMS_VER, 0 (not at all) to 100 (exactly).  The highest bid wins;
	 * the generic dialect bids 1 for anything.
	 */
	int (*bid)(const char *dbms_name, const char *dbms_ver);
	/*
	 * MAY: capability bits for a concrete engine version (features that
	 * arrived later); NULL keeps caps.
	 */
	unsigned int (*version_caps)(const char *dbms_ver, unsigned int caps);
	/*
	 * Identifier quoting: open and close characters; an embedded close
	 * character is doubled.  '\0' for both means "ask the driver"
	 * (SQL_IDENTIFIER_QUOTE_CHAR), which only the generic dialect does.
	 */
	char quote_open;
	char quote_close;
	/* Longest identifier in bytes the engine keeps intact; 0 = no limit. */
	size_t max_ident_len;
};

extern const struct upg_dialect upg_dialect_sqlite;
extern const struct upg_dialect upg_dialect_postgresql;
extern const struct upg_dialect upg_dialect_mysql;
extern const struct upg_dialect upg_dialect_mssql;
extern const struct upg_dialect upg_dialect_generic;

/* NULL-terminated, in bidding order. */
extern const struct upg_dialect *const upg_dialects[];

/* By exact name; NULL when there is none. */
const struct upg_dialect *upg_dialect_find(const char *name);

/* The best bidder for a driver's self-description; never NULL (generic). */
const struct upg_dialect *upg_dialect_detect(const char *dbms_name, const char *dbms_ver);

/*
 * Parses the leading "major.minor" of a version string such as "15.0.18",
 * "10.11.000019" or "3.39.3" into major * 1000 + minor; 0 if unparsable.
 */
long upg_version_parse(const char *ver);

/*
 * Quotes name with the given quote characters.  Returns a new string, or
 * NULL with *why set to a static reason ("empty identifier", "not valid
 * UTF-8", ...) or to NULL when memory ran out.
 */
char *upg_quote_ident(const char *name, char open, char close, size_t max_len, const char **why);

#endif /* UPG_DIALECT_H */
