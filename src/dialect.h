/* SPDX-License-Identifier: MIT */
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

#include "private.h"

struct upgrade_conn;
struct upg_buf;

struct upg_table_lock;
struct upg_lock_table_sql;

/*
 * A held (or wanted) schema lock.  name identifies what is locked
 * ("upgrade:<schema>").  Two owners keep state in it: the dialect's lock
 * hooks (state) and, while the lock is held through the lock table, the
 * lock table (table, src/lock-table.c); each frees its own.
 */
struct upg_lock {
	struct upgrade_conn *conn;
	const struct upg_dialect *dialect; /* whose hooks keep state */
	char *schema;
	char *name;
	int held;
	/* The dialect's lock_state_size bytes, zeroed when the lock is made; NULL for 0. */
	void *state;
	/* The dialect's lock_table answer: the lock table's statements, or NULL. */
	const struct upg_lock_table_sql *table_sql;
	/* Set by upg_lock_table_try(), freed by upg_lock_table_release(); NULL otherwise. */
	struct upg_table_lock *table;
};

/* ---- what the task context needs from a dialect ---------------- */

struct upg_render;
struct upg_alter;
struct upg_table_change;
struct upg_error;

/* The objects introspection looks up. */
enum upg_object {
	UPG_OBJ_TABLE = 1,  /* an ordinary (or partitioned) table; views do not count */
	UPG_OBJ_VIEW,       /* a view (or materialized view) */
	UPG_OBJ_COLUMN,     /* table, name: a column of a table or view */
	UPG_OBJ_INDEX,      /* name, table: table NULL means any table of the schema */
	UPG_OBJ_CONSTRAINT, /* table, name, ctype: ctype 0 means any type */
	UPG_OBJ_ENUM        /* name: a true enumeration */
};

/* Constraint types; the values are those of the public upgrade_constraint_type. */
enum upg_ctype {
	UPG_CT_ANY = 0,
	UPG_CT_PRIMARY = 1,
	UPG_CT_UNIQUE = 2,
	UPG_CT_FOREIGN = 3,
	UPG_CT_CHECK = 4
};

/* What to look for.  schema is resolved (never NULL) except for SQLite, which ignores it. */
struct upg_objref {
	enum upg_object kind;
	const char *schema;
	const char *table;
	const char *name;
	int ctype;
};

/* One column of a table, as the columns hook reports it; borrowed for the call. */
struct upg_colinfo {
	const char *name;
	const char *type;  /* the engine's spelling, usable in CAST and in DDL */
	int notnull;
	const char *def;   /* the default as SQL text, NULL when there is none */
	int pk;            /* 1-based position in the primary key, 0 when not part of it */
	const char *extra; /* engine specific: MariaDB's EXTRA; NULL elsewhere */
};

/* Called per column in table order; non-zero stops and is returned. */
typedef int (*upg_colinfo_fn)(void *ud, const struct upg_colinfo *col);

/*
 * For the dialects' columns hooks: runs sql, whose rows describe columns as
 * name, type, NOT NULL (1 or 0), default (SQL text or NULL), position in
 * the primary key (NULL or 0 when not part of it) and, when there is a
 * sixth column, extra; calls fn for each.
 */
int upg_query_columns(struct upgrade_conn *conn, const char *sql, size_t nparams,
                      const char *const *params, upg_colinfo_fn fn, void *ud);

/* The portable column types of the catalog format (upgrade-catalog(5)). */
enum upg_type {
	UPG_TYPE_NONE = 0, /* no portable type: sql-type is used as written */
	UPG_TYPE_INTEGER,
	UPG_TYPE_BIGINT,
	UPG_TYPE_TEXT,
	UPG_TYPE_VARCHAR, /* with a length */
	UPG_TYPE_BOOLEAN,
	UPG_TYPE_TIMESTAMP,
	UPG_TYPE_DATE,
	UPG_TYPE_NUMERIC, /* with optional precision and scale */
	UPG_TYPE_JSON,
	UPG_TYPE_BLOB,
	UPG_TYPE_COUNT
};

/* How a query is limited to its first n rows. */
enum upg_limit_syntax {
	UPG_LIMIT_LIMIT = 0,      /* ... LIMIT n */
	UPG_LIMIT_FETCH_FIRST = 1 /* ... OFFSET 0 ROWS FETCH NEXT n ROWS ONLY (SQL:2008, SQL Server) */
};

/*
 * How one statement gives many rows each its own value (the per-row fill
 * of add_column_with_defaults): the rows' keys and values as a derived
 * table joined to the table, which the server matches by hash or index,
 * else one CASE with a branch per row.
 */
enum upg_update_rows {
	UPG_UPDATE_ROWS_CASE = 0,    /* SET c = CASE WHEN k = ? THEN ? ... END WHERE k = ? OR ... */
	UPG_UPDATE_ROWS_VALUES = 1,  /* SET c = v.c FROM (VALUES (?, ?), ...) AS v (k, c) WHERE ... */
	UPG_UPDATE_ROWS_NUMBERED = 2, /* the same, VALUES columns named column1, column2, ... */
	UPG_UPDATE_ROWS_JOIN = 3,    /* UPDATE t JOIN (SELECT ? AS k, ? AS c UNION ALL ...) v ON ... SET */
	/* SET c = v.val FROM unnest(CAST(? AS type[]), ...) AS v (k, val): one array a column */
	UPG_UPDATE_ROWS_ARRAYS = 4
};

/*
 * What an engine's error means, where the core reacts to the meaning
 * (classify_error): each engine spells these with SQLSTATEs, native codes
 * or message texts of its own.
 */
enum upg_errclass {
	UPG_ERRC_OTHER = 0,        /* none of those below */
	UPG_ERRC_UNKNOWN,          /* the dialect cannot tell (no classify_error hook) */
	UPG_ERRC_NO_TABLE,         /* a table the statement names does not exist */
	UPG_ERRC_NO_COLUMN,        /* a column the statement names does not exist */
	UPG_ERRC_ENUM_UNCOMMITTED, /* an enum label was used in the transaction that added it */
	UPG_ERRC_TYPE_MISMATCH,    /* a value (a kept default) does not convert to a column's type */
	/* another transaction won: deadlock, serialization or certification failure */
	UPG_ERRC_CONFLICT
};

/*
 * What a dialect can or must do that the core asks about and users do not
 * see (upg_dialect.traits); the public capabilities are upgrade_capability.
 */
enum upg_trait {
	/*
	 * Every table without a primary key has a hidden row id, called rowid,
	 * _rowid_ or oid unless a column takes the name: a key to read it by.
	 */
	UPG_TRAIT_ROWID = 1u << 0,
	/*
	 * ADD COLUMN cannot add a NOT NULL column without a default: it is
	 * added nullable, and NOT NULL is set afterwards (failing if the table
	 * has rows).
	 */
	UPG_TRAIT_NOT_NULL_AFTER_ADD = 1u << 1
};

/* What the caller of a dialect's as_written hook needs from the statement. */
enum upg_as_written {
	UPG_AS_WRITTEN_EXEC = 0, /* its effect; no rows */
	UPG_AS_WRITTEN_EXISTS    /* whether it returns a row (a <query> guard) */
};

struct upg_dialect {
	/* MUST: the name users type (--dialect, catalog dialect="..."). */
	const char *name;
	/* MUST: one line for `upgrade info` and the man page. */
	const char *title;
	/* MUST: upgrade_capability bits for the oldest supported version. */
	unsigned int caps;
	/* MAY: enum upg_trait bits; 0 for none. */
	unsigned int traits;
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
	 * MAY: SQL returning the engine's version as the engine itself spells
	 * it, one row and column; it replaces SQL_DBMS_VER, which drivers
	 * reformat (psqlODBC: "15.00.0018" for 15.18, Connector/ODBC:
	 * "10.11.000019") or fix when they are built (sqliteodbc).  NULL, or a
	 * query that fails: SQL_DBMS_VER as the driver says it.
	 */
	const char *server_version_sql;
	/*
	 * MAY: parts of the file names of this engine's ODBC drivers
	 * ("psqlodbc"), NULL-terminated: before connecting, the dialect is not
	 * known yet, only the driver library the connection string leads to.
	 */
	const char *const *driver_files;
	/*
	 * MAY: appends keywords of the driver's own to buf, which holds the
	 * caller's connection string connstr: settings the dialect relies on,
	 * and login_timeout (seconds; 0 when none was asked for) where the
	 * driver does not bound the login by SQL_ATTR_LOGIN_TIMEOUT alone.  A
	 * keyword connstr already has MUST be left as the caller wrote it.
	 */
	void (*prepare_connstr)(struct upg_buf *buf, const char *connstr, int login_timeout);
	/*
	 * MAY, for the one engine whose databases are files: appends to buf a
	 * connection string opening the file path, for
	 * upgrade_conn_connect_sqlite().  It MUST refuse (UPGRADE_EINVAL, with
	 * a message in err) a name the driver would read otherwise than
	 * written.
	 */
	int (*file_connstr)(struct upg_buf *buf, const char *path, struct upg_error *err);
	/*
	 * Identifier quoting: open and close characters; an embedded close
	 * character is doubled.  '\0' for both means "ask the driver"
	 * (SQL_IDENTIFIER_QUOTE_CHAR), which only the generic dialect does.
	 */
	char quote_open;
	char quote_close;
	/* Longest identifier the engine keeps intact, in ident_unit; 0 = no limit. */
	size_t max_ident_len;
	enum upg_len_unit ident_unit;
	/*
	 * MAY: the most characters a module's and a task's name may have, as
	 * the state tables' key columns (key_type, task_key_type) hold them;
	 * 0: no limit.  A longer name would fail its state write after the
	 * task's statements committed.
	 */
	size_t max_module_chars, max_task_chars;
	/* MAY: those columns count UTF-16 units (SQL Server's NVARCHAR), not code points. */
	int names_in_utf16;

	/* MUST: column types of the state table (module key, JSON state, UTC time). */
	const char *key_type;
	const char *json_type;
	const char *timestamp_type;
	/* MUST: the type of a task name in the key of the table upgrade_tasks. */
	const char *task_key_type;
	/* MAY: what follows "CREATE TABLE upgrade_tasks (...)", such as a storage option. */
	const char *task_table_options;
	/*
	 * MAY: a statement run right after the runner creates the table
	 * upgrades, "%s" being its qualified name (a storage setting of the
	 * state column, say); NULL: none.  Tables that exist are left alone.
	 */
	const char *state_table_setup;
	/*
	 * MAY: what turns "INSERT INTO upgrade_tasks ... VALUES ..." into an
	 * upsert on (module, task); NULL: delete, then insert.
	 */
	const char *task_upsert;
	/*
	 * MAY: the engine runs "WITH x AS (INSERT ...) UPDATE ...", so the
	 * module's row and its task rows are written in one statement.
	 */
	int data_modifying_with;
	/*
	 * MAY: an UPDATE of the module's row in the table %s that appends one
	 * task name to its executed_tasks array on the server, so that
	 * recording a task sends and rewrites no more than that name whatever
	 * the list holds; its parameters are the name, modified and module.
	 * NULL: the whole state is written every time.
	 */
	const char *state_append;
	/*
	 * MAY: a condition to end the WHERE of an UPDATE of the module's row
	 * with: " AND " its executed_tasks array does not hold the name "?"
	 * (a string).  A run whose record or journal entry of a task then
	 * changes no row learns that another run recorded the task meanwhile
	 * (one that locked otherwise), and rolls its work back instead of
	 * recording the task twice or writing over the other's record.
	 */
	const char *state_list_guard;
	/*
	 * MAY: likewise, " AND " the length of the executed_tasks array
	 * "= ?" (the length this run last saw, as text), for an UPDATE that
	 * writes the whole list: another run's names would go with it.
	 */
	const char *state_length_guard;
	/*
	 * MAY: the state write, the same text for every task of a module, is
	 * prepared once and executed again (see upg_db_exec_kept): the driver
	 * keeps the server's parse and plan between executions, and keeping
	 * them costs no round trip of its own.
	 */
	int keep_prepared;
	/*
	 * MAY, with keep_prepared: words of statements that may drop the
	 * session's prepared statements, the kept ones included; those are let
	 * go before a statement naming one of them runs, and prepared again
	 * after.  NULL-terminated; NULL: none.
	 */
	const char *const *unprepare_words;
	/*
	 * MAY: SQL returning the schema that unqualified names resolve to, one
	 * row and column.  NULL: the engine has one schema, default_schema.
	 */
	const char *current_schema_sql;
	const char *default_schema;
	/* MAY: what to look at when current_schema_sql finds none, for the message. */
	const char *no_current_schema_hint;
	/* MAY: SQL listing every user schema, one per row, ordered; NULL: only the current. */
	const char *list_schemas_sql;
	/*
	 * MAY: 1 for a schema of the engine's own.  When set, list_schemas_sql
	 * may list those too, in any order: the runner leaves them out and
	 * sorts the rest by their bytes.
	 */
	int (*system_schema)(const char *name);
	/* 1 when list_schemas_sql leaves those out and orders the rest itself: no sort here. */
	int list_schemas_final;
	/* MAY: SQL making a schema the default, "%s" being its quoted name; NULL: cannot. */
	const char *use_schema_sql;
	/*
	 * MAY: makes schema the one unqualified names resolve to first, in
	 * place of use_schema_sql, for a dialect that keeps more of the
	 * connection's settings than the template can, or that must not keep
	 * it in the session (conn->pool_mode): it may set conn->begin_sql
	 * instead.
	 */
	int (*use_schema)(struct upgrade_conn *conn, const char *schema);
	/*
	 * MAY: SQL creating a schema that list_schemas_sql will then list, "%s"
	 * being its quoted name; NULL: a missing schema cannot be created.
	 */
	const char *create_schema_sql;
	/*
	 * MAY: a lock per schema that the server (or the kernel) releases when
	 * the holder dies, or a row of the lock table that another holder may
	 * take over one lease after (upg_lock_table_try).  lock_try MUST NOT wait: it sets *acquired and
	 * returns.  lock_holder MAY describe the holder in *who (allocated) or
	 * leave it NULL.  NULL hooks: the dialect cannot lock.
	 */
	int (*lock_try)(struct upg_lock *lock, int *acquired);
	int (*lock_release)(struct upg_lock *lock);
	int (*lock_holder)(struct upg_lock *lock, char **who);
	/*
	 * MAY: whether this lock goes through the lock table (src/lock-table.c)
	 * instead of lock_try, lock_release and lock_holder: *sql set to the
	 * dialect's statements for the table, or left NULL.  Asked once per
	 * lock, before it is first tried.  NULL: never the table.
	 */
	int (*lock_table)(struct upg_lock *lock, const struct upg_lock_table_sql **sql);
	/*
	 * MAY: the size of the state the lock hooks keep per lock at
	 * lock->state (zeroed when the lock is made), and a function freeing
	 * what they allocated into it, called once when the lock is freed,
	 * held or not (after lock_release when it was held).  0 and NULL: no
	 * state, nothing to free.
	 */
	size_t lock_state_size;
	void (*lock_state_free)(struct upg_lock *lock);
	/*
	 * MAY: the meaning of an error of the engine, from its SQLSTATE, native
	 * code and message (one line per diagnostic record).  It MUST return
	 * UPG_ERRC_OTHER for what it does not know, never UPG_ERRC_UNKNOWN.
	 * NULL: UPG_ERRC_UNKNOWN for every error, and the core assumes what
	 * costs least when wrong (a state table is missing: create it).
	 */
	enum upg_errclass (*classify_error)(const char *sqlstate, long native, const char *message);
	/*
	 * MAY, for engines without transactional DDL: 1 when the statement sql
	 * surely runs inside a transaction (no implicit commit before, during
	 * or after it), so the runner commits it together with the journal
	 * entry that records it; 0 when it commits on its own or the hook
	 * cannot tell.  It MUST err towards 0: a wrong 1 lets the journal lie.
	 * NULL: every statement commits on its own.
	 */
	int (*statement_transactional)(const char *sql);
	/*
	 * MAY: makes a statement sent without parameters reach the server as
	 * written where the driver would take part of it for parameter markers
	 * (psqlODBC counts every ? outside quotes and comments, PostgreSQL's
	 * jsonb operators ?, ?| and ?& included, and refuses to run them
	 * unbound).  Appends to buf a statement that has the server itself run
	 * sql unchanged and returns 1, or returns 0 when sql can go as it is,
	 * or returns -1 when the driver cannot be made to leave sql alone, buf
	 * holding why and how to write it instead (one line).  For
	 * UPG_AS_WRITTEN_EXISTS the new statement MUST return a row when, and
	 * only when, sql returns one.  NULL: statements go as they are.
	 */
	int (*as_written)(struct upg_buf *buf, const char *sql, enum upg_as_written how);
	/*
	 * MAY: sets *why to an allocated description of the server, naming it
	 * and why it takes no writes from this session (a standby, a read-only
	 * replica), or leaves it NULL when it takes writes.  The runner asks
	 * before a command that writes, so that it fails at once and not at
	 * its first write.  NULL hook: the engine's own error at that write.
	 */
	int (*read_only)(struct upgrade_conn *conn, char **why);
	/*
	 * MAY, both or neither: where the server's replication stream stands
	 * now (*position: allocated text that replicas_at understands), and
	 * how many replicas have replayed up to a position.  *replayed counts
	 * the replicas at or past position, *connected all replicas attached,
	 * *hidden those whose position this session may not read.  NULL: the
	 * engine's replicas cannot be waited for (--wait-replicas refuses).
	 */
	int (*replication_position)(struct upgrade_conn *conn, char **position);
	int (*replicas_at)(struct upgrade_conn *conn, const char *position, long *replayed,
	                   long *connected, long *hidden);
	/* MAY: how a role gets to see the replicas it cannot (hidden), for the message. */
	const char *replicas_hidden_hint;

	/* ---- introspection (src/introspect.c) ------------------------------ */
	/*
	 * MAY: sets *found to whether the object exists, matching names the way
	 * the engine resolves identifiers.  Values are bound as parameters,
	 * never put into the SQL text.  NULL: the generic ODBC catalog
	 * functions (SQLTables, SQLColumns, SQLStatistics), which cannot see
	 * constraints or enums.
	 */
	int (*exists)(struct upgrade_conn *conn, const struct upg_objref *ref, int *found);
	/*
	 * MAY: calls fn for every column of schema.table, in table order; no
	 * call at all when the table does not exist.  NULL: SQLColumns and
	 * SQLPrimaryKeys.
	 */
	int (*columns)(struct upgrade_conn *conn, const char *schema, const char *table,
	               upg_colinfo_fn fn, void *ud);

	/* ---- rendering (src/render.c, src/ops.c) ---------------------------- */
	/* MUST: the engine's name of each portable type; VARCHAR and NUMERIC get their (n) added. */
	const char *const *type_names;
	/* MUST: the literals of the boolean type. */
	const char *bool_true;
	const char *bool_false;
	/*
	 * MAY: a statement that opens a transaction in the engine, for a
	 * driver that still counts one open after the engine ended it (SQLite
	 * after ON CONFLICT ROLLBACK or a full disk: its ODBC driver then
	 * refuses both ROLLBACK and autocommit, for good).  Rolled back again,
	 * the driver's count and the engine agree.
	 */
	const char *reopen_transaction_sql;
	/*
	 * 1 when a double-quoted name that is no column is taken as a string
	 * (SQLite): CREATE INDEX on a misspelt column then indexes a constant,
	 * so the columns are looked up first.
	 */
	int quoted_unknown_is_string;
	/* A string literal's prefix ("N" for SQL Server's national strings), or NULL. */
	const char *literal_prefix;
	/* 1 when a backslash escapes in string literals (MariaDB unless NO_BACKSLASH_ESCAPES). */
	int literal_backslash;
	/* 1 when parameters compared with or assigned to typed values need a CAST (PostgreSQL). */
	int cast_params;
	/*
	 * MAY: "DECLARE name NO SCROLL CURSOR FOR ...", "FETCH FORWARD n FROM
	 * name" and "CLOSE name" work inside a transaction, so a table without
	 * a key is read in batches too.
	 */
	int sql_cursors;
	enum upg_limit_syntax limit_syntax;
	/*
	 * Whether ADD COLUMN with a constant DEFAULT gives the existing rows that
	 * value without writing them: 1 when it does and ALTER COLUMN ... DROP
	 * DEFAULT takes the default away again (PostgreSQL 11, MariaDB's instant
	 * ADD); 2 when it does but the default stays for good (SQLite); 0 when
	 * it does not (SQL Server fills only NOT NULL columns).
	 * add_column_with_defaults then fills a constant without an UPDATE.
	 */
	int add_default_fills;
	/* MAY: how a statement updates many rows with a value each; 0: one CASE. */
	enum upg_update_rows update_rows;
	/* How ALTER TABLE adds a column: NULL means "ADD COLUMN" (SQL Server says "ADD"). */
	const char *add_column_clause;
	/*
	 * MAY: render statements that differ from the ANSI form the core
	 * renders when the hook is NULL:
	 *   rename_table     ALTER TABLE t RENAME TO n
	 *   rename_column    ALTER TABLE t RENAME COLUMN a TO b
	 *   alter_column     ALTER TABLE t ALTER COLUMN c SET DATA TYPE / SET|DROP NOT NULL / SET|DROP DEFAULT
	 *   (drop_index: DROP INDEX i, schema-qualified, or see drop_index_on_table)
	 *   drop_constraint  ALTER TABLE t DROP CONSTRAINT k
	 * They append statements to r and return UPGRADE_OK, or an error
	 * (UPGRADE_EUNSUPPORTED with a message in r->err).
	 */
	int (*render_rename_table)(struct upg_render *r, const char *from, const char *to);
	int (*render_rename_column)(struct upg_render *r, const char *table, const char *from,
	                            const char *to);
	int (*render_alter_column)(struct upg_render *r, const struct upg_alter *a);
	/* Index names are per table (DROP INDEX name ON table), not per schema. */
	int drop_index_on_table;
	int (*render_drop_constraint)(struct upg_render *r, const char *table, const char *name,
	                              int ctype);
	/*
	 * MAY: changes a table in a way ALTER TABLE of the engine cannot (SQLite:
	 * constraints, column types, nullability, defaults), keeping its data,
	 * indexes, triggers and other constraints, in one atomic unit.  NULL:
	 * such changes go through the render hooks above.
	 */
	int (*alter_table)(struct upgrade_conn *conn, const char *table,
	                   const struct upg_table_change *chg);

	/* ---- enumerations --------------------------------------------------- */
	/* MAY: calls fn with each label of the enum, in order (ncols 1).  NULL: no enums. */
	int (*enum_values)(struct upgrade_conn *conn, const char *schema, const char *name,
	                   int (*fn)(void *ud, size_t ncols, char **values), void *ud);
	/* MAY: creates the enum with these labels.  NULL: no enums. */
	int (*enum_create)(struct upgrade_conn *conn, const char *schema, const char *name,
	                   const char *const *values, size_t nvalues);
	/*
	 * MAY: adds a label at the end; the caller has checked it is missing.
	 * Transaction rules of the engine are the hook's business.
	 */
	int (*enum_add_value)(struct upgrade_conn *conn, const char *schema, const char *name,
	                      const char *value);

	/* ---- triggers ------------------------------------------------------- */
	/*
	 * MAY: switches the user triggers of schema.table off (on = 0) or back
	 * on (on = 1), inside the current transaction where the engine allows.
	 * NULL: the engine cannot.
	 */
	int (*triggers_switch)(struct upgrade_conn *conn, const char *schema, const char *table,
	                       int on);
};

extern const struct upg_dialect upg_dialect_sqlite;
extern const struct upg_dialect upg_dialect_postgresql;
extern const struct upg_dialect upg_dialect_mysql;
extern const struct upg_dialect upg_dialect_mssql;
extern const struct upg_dialect upg_dialect_generic;

/*
 * The registry: every dialect, NULL-terminated, in bidding order.  It is
 * the one list of dialect names; the catalog's dialect sets, the messages
 * naming the known dialects and the checks of tasks/catalog.rng read it.
 */
extern const struct upg_dialect *const upg_dialects[];

/* Dialect sets are unsigned bit masks: at most this many dialects. */
#define UPG_DIALECTS_MAX 32

/* By exact name; NULL when there is none. */
const struct upg_dialect *upg_dialect_find(const char *name);

/*
 * The bit of the dialect called name (len bytes, so that a word of a
 * space-separated list is looked up in place) in a dialect set: 1 << its
 * index in upg_dialects.  0 for an unknown name.
 */
unsigned upg_dialect_bit(const char *name, size_t len);

/* Appends the names of the registry to buf: "sqlite, postgresql, ...". */
void upg_dialect_names(struct upg_buf *buf);

/* The best bidder for a driver's self-description; never NULL (generic). */
const struct upg_dialect *upg_dialect_detect(const char *dbms_name, const char *dbms_ver);

/* The dialect whose databases are files (it has file_connstr); NULL when none is. */
const struct upg_dialect *upg_dialect_for_files(void);

/* The dialect whose driver_files match a driver library's name; NULL when none does. */
const struct upg_dialect *upg_dialect_for_driver(const char *library);

/*
 * Quotes name with the given quote characters.  Returns a new string, or
 * NULL with *why set to a static reason ("empty identifier", "not valid
 * UTF-8", ...) or to NULL when memory ran out.
 */
char *upg_quote_ident(const char *name, char open, char close, size_t max_len,
                      enum upg_len_unit unit, const char **why);
/*
 * Sets err to UPGRADE_EINVAL and a message naming name, which d refused
 * for why (from upg_quote_ident(); NULL: out of memory); returns the code.
 */
int upg_ident_refused(struct upg_error *err, const struct upg_dialect *d, const char *name,
                      const char *why);
/*
 * Whether name can be an identifier of conn's dialect, as upg_quote_ident()
 * judges it (any_length: whatever its length, for a name the dialect splits
 * into identifiers itself).  UPGRADE_OK, or UPGRADE_EINVAL with a message
 * on conn; nothing is sent.
 */
int upg_ident_check(struct upgrade_conn *conn, const char *name, int any_length);

/*
 * Waits up to timeout_ms for the schema lock, polling the dialect's
 * non-blocking lock_try (a blocking wait inside the server can deadlock
 * with CREATE INDEX CONCURRENTLY).  UPGRADE_ELOCKED with the holder in the
 * message on timeout; UPGRADE_EUNSUPPORTED when the dialect cannot lock.
 */
/* The lock name of the raw phase, which runs once per database. */
#define UPG_RAW_LOCK "*raw*"
/* Told once, when a lock is busy and the acquire starts to wait; who may be NULL. */
typedef void (*upg_lock_wait_fn)(void *ud, const char *schema, const char *who, long timeout_ms);
int upg_lock_acquire_notify(struct upgrade_conn *conn, const char *schema, long timeout_ms,
                            upg_lock_wait_fn on_wait, void *ud, struct upg_lock **out);
int upg_lock_acquire(struct upgrade_conn *conn, const char *schema, long timeout_ms,
                     struct upg_lock **out);
/* Releases and frees; NULL is a no-op. */
int upg_lock_release(struct upg_lock *lock);

/*
 * For the dialects' classify_error hooks: what ODBC's own SQLSTATEs say
 * (42S02: no such table), which drivers of every engine may return;
 * UPG_ERRC_OTHER for the rest.
 */
enum upg_errclass upg_odbc_classify_error(const char *sqlstate, long native, const char *message);

/*
 * The lock table (src/lock-table.c): a schema lock that is a row of the
 * table upgrade_locks, for where a session lock does not reach (Galera,
 * transaction pooling).  The dialect gives the SQL; in each template "%s"
 * is the quoted schema.upgrade_locks, and "?" are bound in the order given.
 */
#define UPG_LOCK_TABLE "upgrade_locks"
struct upg_lock_table_sql {
	const char *current_schema; /* the raw phase's schema: one value, NULL when none */
	const char *exists;         /* ? schema: a row when its upgrade_locks exists */
	const char *create;         /* creates the table when missing */
	/* ? name, holder, token, lease (microseconds): 1 row changed when inserted, else 0 */
	const char *insert;
	/* ? holder, token, lease, name: 1 row changed when an expired row was taken over */
	const char *take_over;
	const char *check;  /* ? name: the row's token */
	const char *renew;  /* ? lease, name, token: moves expires_at to now + lease */
	const char *remove; /* ? name, token */
	/* ? name: the holder, its lease's end (UTC) and whether it expired, as one text */
	const char *holder;
};
/*
 * The lock table, used by lock.c instead of the dialect's lock hooks when
 * the dialect's lock_table hook names its statements (the dialects never
 * call these).  upg_lock_table_held() says whether the lock was taken by
 * upg_lock_table_try(); upg_lock_table_release() releases it and forgets
 * the table's state.
 */
int upg_lock_table_try(struct upg_lock *lock, const struct upg_lock_table_sql *sql, int *acquired);
int upg_lock_table_held(const struct upg_lock *lock);
int upg_lock_table_release(struct upg_lock *lock);
int upg_lock_table_holder(struct upg_lock *lock, const struct upg_lock_table_sql *sql, char **who);

#endif /* UPG_DIALECT_H */
