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

struct upgrade_conn;

/*
 * A held (or wanted) schema lock.  name identifies what is locked
 * ("upgrade:<schema>"); the rest is scratch space for the dialect's hooks.
 */
struct upg_lock {
	struct upgrade_conn *conn;
	char *schema;
	char *name;
	int fd;       /* a file lock's descriptor, else -1 */
	char *path;   /* a file lock's path */
	int held;
};

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

	/* MUST: column types of the state table (module key, JSON state, UTC time). */
	const char *key_type;
	const char *json_type;
	const char *timestamp_type;
	/*
	 * MAY: SQL returning the schema that unqualified names resolve to, one
	 * row and column.  NULL: the engine has one schema, default_schema.
	 */
	const char *current_schema_sql;
	const char *default_schema;
	/* MAY: SQL listing every user schema, one per row, ordered; NULL: only the current. */
	const char *list_schemas_sql;
	/* MAY: SQL making a schema the default, "%s" being its quoted name; NULL: cannot. */
	const char *use_schema_sql;
	/*
	 * MAY: a lock per schema that the server (or the kernel) releases when
	 * the holder dies.  lock_try MUST NOT wait: it sets *acquired and
	 * returns.  lock_holder MAY describe the holder in *who (allocated) or
	 * leave it NULL.  NULL hooks: the dialect cannot lock.
	 */
	int (*lock_try)(struct upg_lock *lock, int *acquired);
	int (*lock_release)(struct upg_lock *lock);
	int (*lock_holder)(struct upg_lock *lock, char **who);
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

/*
 * Waits up to timeout_ms for the schema lock, polling the dialect's
 * non-blocking lock_try (a blocking wait inside the server can deadlock
 * with CREATE INDEX CONCURRENTLY).  UPGRADE_ELOCKED with the holder in the
 * message on timeout; UPGRADE_EUNSUPPORTED when the dialect cannot lock.
 */
int upg_lock_acquire(struct upgrade_conn *conn, const char *schema, long timeout_ms,
                     struct upg_lock **out);
/* Releases and frees; NULL is a no-op. */
int upg_lock_release(struct upg_lock *lock);

/* A 62-bit FNV-1a hash: stable lock keys from names. */
unsigned long long upg_hash62(const char *s);

/* "host pid N" of this process, for lock holders; static storage. */
const char *upg_lock_owner(void);

#endif /* UPG_DIALECT_H */
