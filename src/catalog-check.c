/* SPDX-License-Identifier: MIT */
/*
 * catalog-check.c - the attributes of a catalog's conditions and
 * operations, checked once when the catalog loads instead of when a task
 * first runs against a database.
 *
 * The RelaxNG schema sees attributes as written; this sees them as the
 * interpreter (interp.c) will, placeholders substituted: a name that is
 * empty or too long for a dialect the element is meant for, a number out
 * of range, a list with an empty name, an enumeration on a dialect without
 * enumerations.  Every problem becomes a diagnostic (FILE:LINE, the task),
 * not only the first.  One table per element: a new operation adds a row.
 *
 * What a dialect lacks (a name longer than the engine keeps, enumerations,
 * a statement its driver cannot take as written)
 * is checked per dialect by upgrade_catalog_check_dialect(), for the
 * dialect given or every dialect the catalog names, with the driver's own
 * facts (drivers/), only on the alternatives that dialect takes.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "dialect.h"

enum check_type {
	CK_IDENT,  /* a name: not empty, within the dialects' identifier length */
	CK_SQL,    /* SQL text: not empty */
	CK_TEXT,   /* any text, empty included */
	CK_BOOL,   /* true or false */
	CK_INT,    /* a decimal integer within [min, max] */
	CK_ENUM,   /* one of values */
	CK_NAMES,  /* comma-separated names, none empty */
	CK_DIALECT /* checked by the loader */
};

struct attr_rule {
	const char *name;
	enum check_type type;
	int required;
	long min, max;
	const char *const *values;
};

/* The element needs enumerations: the dialect's enum_create, its enum_add_value. */
#define NEED_ENUM_CREATE 1u
#define NEED_ENUM_ADD 2u

struct elem_rule {
	const char *name;
	unsigned needs;
	const struct attr_rule *attrs;
};

static const char *const ctypes[] = {"primary-key", "unique", "foreign-key", "check", NULL};
static const char *const fk_actions[] = {"cascade",  "set-null",  "set-default",
                                         "restrict", "no-action", NULL};
static const char *const types[] = {"integer", "bigint",  "text", "varchar", "boolean", "timestamp",
                                    "date",    "numeric", "json", "blob",    NULL};

#define REQ(n, t)                                                                                  \
	{                                                                                          \
		n, t, 1, 0, 0, NULL                                                                \
	}
#define OPT(n, t)                                                                                  \
	{                                                                                          \
		n, t, 0, 0, 0, NULL                                                                \
	}
#define DIALECT OPT("dialect", CK_DIALECT)
/* The interpreter reads numbers up to 10^9. */
#define COLUMN_TYPE                                                                                \
	{"type", CK_ENUM, 0, 0, 0, types}, {"length", CK_INT, 0, 1, 1000000000L, NULL},            \
	    {"precision", CK_INT, 0, 1, 1000000000L, NULL},                                        \
	    {"scale", CK_INT, 0, 0, 1000000000L, NULL}, OPT("sql-type", CK_SQL),                   \
	    OPT("nullable", CK_BOOL), OPT("default", CK_TEXT), OPT("default-sql", CK_SQL)
#define END                                                                                        \
	{                                                                                          \
		NULL, CK_TEXT, 0, 0, 0, NULL                                                       \
	}

static const struct attr_rule a_table[] = {REQ("table", CK_IDENT), END};
static const struct attr_rule a_view[] = {REQ("view", CK_IDENT), END};
static const struct attr_rule a_has_column[] = {REQ("table", CK_IDENT), REQ("column", CK_IDENT),
                                                END};
static const struct attr_rule a_has_index[] = {REQ("name", CK_IDENT), OPT("table", CK_IDENT), END};
static const struct attr_rule a_has_constraint[] = {
    REQ("table", CK_IDENT), REQ("name", CK_IDENT), {"type", CK_ENUM, 0, 0, 0, ctypes}, END};
static const struct attr_rule a_name[] = {REQ("name", CK_IDENT), END};
static const struct attr_rule a_schema_count[] = {
    {"min", CK_INT, 0, 0, 1000000000L, NULL}, {"max", CK_INT, 0, 0, 1000000000L, NULL}, END};
static const struct attr_rule a_assert[] = {REQ("message", CK_SQL), END};
static const struct attr_rule a_step[] = {OPT("for-each-schema", CK_BOOL), END};
static const struct attr_rule a_create_table[] = {DIALECT, REQ("name", CK_IDENT),
                                                  OPT("if-not-exists", CK_BOOL), END};
static const struct attr_rule a_column[] = {
    REQ("name", CK_IDENT), COLUMN_TYPE, OPT("primary-key", CK_BOOL), OPT("unique", CK_BOOL), END};
static const struct attr_rule a_drop_table[] = {DIALECT, REQ("name", CK_IDENT),
                                                OPT("if-exists", CK_BOOL), END};
static const struct attr_rule a_rename_table[] = {DIALECT, REQ("from", CK_IDENT),
                                                  REQ("to", CK_IDENT), END};
static const struct attr_rule a_add_column[] = {
    DIALECT,     REQ("table", CK_IDENT),        REQ("name", CK_IDENT),
    COLUMN_TYPE, OPT("if-not-exists", CK_BOOL), END};
static const struct attr_rule a_drop_column[] = {
    DIALECT, REQ("table", CK_IDENT), REQ("name", CK_IDENT), OPT("if-exists", CK_BOOL), END};
static const struct attr_rule a_rename_column[] = {DIALECT, REQ("table", CK_IDENT),
                                                   REQ("from", CK_IDENT), REQ("to", CK_IDENT), END};
static const struct attr_rule a_alter_column[] = {
    DIALECT,     REQ("table", CK_IDENT),       REQ("name", CK_IDENT),
    COLUMN_TYPE, OPT("drop-default", CK_BOOL), OPT("using", CK_SQL),
    END};
static const struct attr_rule a_create_index[] = {DIALECT,
                                                  REQ("name", CK_IDENT),
                                                  REQ("table", CK_IDENT),
                                                  REQ("columns", CK_NAMES),
                                                  OPT("unique", CK_BOOL),
                                                  OPT("if-not-exists", CK_BOOL),
                                                  END};
static const struct attr_rule a_drop_index[] = {
    DIALECT, REQ("name", CK_IDENT), OPT("table", CK_IDENT), OPT("if-exists", CK_BOOL), END};
static const struct attr_rule a_add_unique[] = {
    DIALECT, REQ("table", CK_IDENT), REQ("name", CK_IDENT), REQ("columns", CK_NAMES), END};
static const struct attr_rule a_add_fk[] = {DIALECT,
                                            REQ("table", CK_IDENT),
                                            REQ("name", CK_IDENT),
                                            REQ("columns", CK_NAMES),
                                            REQ("ref-table", CK_IDENT),
                                            REQ("ref-columns", CK_NAMES),
                                            {"on-delete", CK_ENUM, 0, 0, 0, fk_actions},
                                            {"on-update", CK_ENUM, 0, 0, 0, fk_actions},
                                            END};
static const struct attr_rule a_add_check[] = {
    DIALECT, REQ("table", CK_IDENT), REQ("name", CK_IDENT), REQ("expression", CK_SQL), END};
static const struct attr_rule a_drop_constraint[] = {DIALECT,
                                                     REQ("table", CK_IDENT),
                                                     REQ("name", CK_IDENT),
                                                     {"type", CK_ENUM, 0, 0, 0, ctypes},
                                                     OPT("if-exists", CK_BOOL),
                                                     END};
static const struct attr_rule a_create_enum[] = {DIALECT, REQ("name", CK_IDENT), END};
static const struct attr_rule a_add_enum_value[] = {
    DIALECT, REQ("name", CK_IDENT), REQ("value", CK_SQL), OPT("if-not-exists", CK_BOOL), END};

/* Indexed by element; elements without a row (attrs NULL) have no attributes to check. */
static const struct elem_rule rules[UPG_E_COUNT] = {
    [UPG_E_HAS_TABLE] = {"has-table", 0, a_table},
    [UPG_E_HAS_VIEW] = {"has-view", 0, a_view},
    [UPG_E_HAS_COLUMN] = {"has-column", 0, a_has_column},
    [UPG_E_HAS_INDEX] = {"has-index", 0, a_has_index},
    [UPG_E_HAS_CONSTRAINT] = {"has-constraint", 0, a_has_constraint},
    [UPG_E_HAS_ENUM] = {"has-enum", 0, a_name}, /* none exists where there are none */
    [UPG_E_IS_EMPTY_TABLE] = {"is-empty-table", 0, a_table},
    [UPG_E_SCHEMAS_INCLUDE] = {"schemas-include", 0, a_name},
    [UPG_E_SCHEMA_COUNT] = {"schema-count", 0, a_schema_count},
    [UPG_E_ASSERT] = {"assert", 0, a_assert},
    [UPG_E_STEP] = {"step", 0, a_step},
    [UPG_E_CREATE_TABLE] = {"create-table", 0, a_create_table},
    [UPG_E_COLUMN] = {"column", 0, a_column},
    [UPG_E_DROP_TABLE] = {"drop-table", 0, a_drop_table},
    [UPG_E_RENAME_TABLE] = {"rename-table", 0, a_rename_table},
    [UPG_E_ADD_COLUMN] = {"add-column", 0, a_add_column},
    [UPG_E_DROP_COLUMN] = {"drop-column", 0, a_drop_column},
    [UPG_E_RENAME_COLUMN] = {"rename-column", 0, a_rename_column},
    [UPG_E_ALTER_COLUMN] = {"alter-column", 0, a_alter_column},
    [UPG_E_CREATE_INDEX] = {"create-index", 0, a_create_index},
    [UPG_E_DROP_INDEX] = {"drop-index", 0, a_drop_index},
    [UPG_E_ADD_UNIQUE] = {"add-unique", 0, a_add_unique},
    [UPG_E_ADD_FOREIGN_KEY] = {"add-foreign-key", 0, a_add_fk},
    [UPG_E_ADD_CHECK] = {"add-check", 0, a_add_check},
    [UPG_E_DROP_CONSTRAINT] = {"drop-constraint", 0, a_drop_constraint},
    [UPG_E_CREATE_ENUM] = {"create-enum", NEED_ENUM_CREATE, a_create_enum},
    [UPG_E_ADD_ENUM_VALUE] = {"add-enum-value", NEED_ENUM_ADD, a_add_enum_value},
};

struct check {
	struct upgrade_catalog *cat;
	const struct upgrade_module *mod;
	const char *object;
	/* NULL: the checks at load; else only what the dialect d (bit) lacks. */
	const struct upg_dialect *d;
	unsigned bit;
	int oom;
};

static void report(struct check *ck, const struct upg_node *n, const char *fmt, ...)
    UPG_PRINTF(3, 4);

static void
report(struct check *ck, const struct upg_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (upg_diag_vadd(ck->cat, ck->mod->file, ck->mod->file_index, n->line, ck->object, fmt,
	                  ap) != UPGRADE_OK)
		ck->oom = 1;
	va_end(ap);
}

/* Checks one attribute's value; dialects: the bits the element is meant for (0: all). */
static void
check_value(struct check *ck, const struct upg_node *n, const struct attr_rule *r, const char *v)
{
	const char *p, *e;
	char *end;
	long l;
	size_t i;

	if (ck->d != NULL && r->type != CK_IDENT)
		return;
	switch (r->type) {
	case CK_IDENT:
		if (ck->d == NULL && v[0] == '\0')
			report(ck, n, "<%s %s>: an empty name", n->name, r->name);
		else if (ck->d != NULL && ck->d->max_ident_len > 0 &&
		         upg_text_length(v, ck->d->ident_unit) > ck->d->max_ident_len)
			report(ck, n, "<%s %s>: the name '%s' is longer than %s keeps (%zu %s)",
			       n->name, r->name, v, ck->d->name, ck->d->max_ident_len,
			       upg_len_unit_name(ck->d->ident_unit));
		return;
	case CK_SQL:
		if (v[0] == '\0')
			report(ck, n, "<%s %s>: %s", n->name, r->name, "empty");
		return;
	case CK_BOOL:
		if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
			report(ck, n, "<%s %s>: '%s' is not true or false", n->name, r->name, v);
		return;
	case CK_INT:
		errno = 0;
		l = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || l < r->min || l > r->max)
			report(ck, n, "<%s %s>: '%s' is not a number in range", n->name, r->name,
			       v);
		return;
	case CK_ENUM:
		for (i = 0; r->values[i] != NULL; i++)
			if (strcmp(v, r->values[i]) == 0)
				return;
		report(ck, n, "<%s %s>: '%s' is not one of the allowed values", n->name, r->name,
		       v);
		return;
	case CK_NAMES:
		for (p = v;; p = e + 1) {
			e = strchr(p, ',');
			if (e == NULL)
				e = p + strlen(p);
			while (p < e && strchr(" \t\r\n", *p) != NULL)
				p++;
			if (p == e) {
				report(ck, n, "<%s %s>: '%s' has an empty name in the list",
				       n->name, r->name, v);
				return;
			}
			if (*e == '\0')
				return;
		}
	case CK_TEXT:
	case CK_DIALECT: return;
	}
}

/* Skips blanks and SQL comments ("--" to the line's end, slash-star to star-slash). */
static const char *
skip_sql_blanks(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			p++;
		if (p[0] == '-' && p[1] == '-') {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");

			if (end == NULL)
				return p + strlen(p);
			p = end + 2;
		} else {
			return p;
		}
	}
}

/* The word at p (letters and '_'), copied upper-case into w; where it ends. */
static const char *
sql_word(const char *p, char *w, size_t size)
{
	size_t n = 0;

	p = skip_sql_blanks(p);
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_') {
		if (n + 1 < size)
			w[n++] = (char)(*p >= 'a' ? *p - 'a' + 'A' : *p);
		p++;
	}
	w[n] = '\0';
	return p;
}

/*
 * Whether the statement at sql ends or begins a transaction: COMMIT, END,
 * ROLLBACK (not ROLLBACK [WORK | TRANSACTION] TO, nor SQL Server's ROLLBACK
 * TRAN savepoint), ABORT, PREPARE TRANSACTION, START TRANSACTION, BEGIN as
 * PostgreSQL, MySQL, SQLite and SQL Server begin one; the word, or NULL.
 * A BEGIN before a statement (a SQL Server block) or NOT ATOMIC (a MariaDB
 * compound statement) is not one, and END only when first is set: after a
 * ';' it closes such a block.
 */
static const char *
transaction_word(const char *sql, int first_statement)
{
	static const char *const begins[] = {"", "WORK", "TRANSACTION", "TRAN", "ISOLATION", "READ",
	                                     "DEFERRABLE", "DISTRIBUTED", "DEFERRED", "IMMEDIATE",
	                                     "EXCLUSIVE", NULL};
	char first[16], next[16], third[16];
	const char *p = sql_word(sql, first, sizeof first);
	size_t i;

	p = sql_word(p, next, sizeof next);
	/* Nothing but a ';' may follow a bare keyword for it to be the whole word. */
	if (next[0] == '\0' && *skip_sql_blanks(p) != '\0' && *skip_sql_blanks(p) != ';')
		return NULL;
	sql_word(p, third, sizeof third);
	if (strcmp(first, "COMMIT") == 0 || strcmp(first, "ABORT") == 0)
		return first[0] == 'C' ? "COMMIT" : "ABORT";
	if (strcmp(first, "ROLLBACK") == 0) {
		int kw = strcmp(next, "WORK") == 0 || strcmp(next, "TRANSACTION") == 0 ||
		         strcmp(next, "TRAN") == 0;

		if (strcmp(next, "TO") == 0 || (kw && third[0] != '\0'))
			return NULL;
		return "ROLLBACK";
	}
	if (strcmp(first, "END") == 0 && first_statement &&
	    (next[0] == '\0' || strcmp(next, "WORK") == 0 || strcmp(next, "TRANSACTION") == 0))
		return "END";
	if ((strcmp(first, "START") == 0 || strcmp(first, "PREPARE") == 0) &&
	    strcmp(next, "TRANSACTION") == 0)
		return first[0] == 'S' ? "START TRANSACTION" : "PREPARE TRANSACTION";
	for (i = 0; strcmp(first, "BEGIN") == 0 && begins[i] != NULL; i++)
		if (strcmp(next, begins[i]) == 0)
			return "BEGIN";
	return NULL;
}

/* Where a quoted string, identifier or dollar-quoted body at p ends (past its close). */
static const char *
skip_quoted(const char *p)
{
	char close = *p == '[' ? ']' : *p;
	const char *tag_end;

	if (*p == '$') {
		/* $tag$ ... $tag$, the tag empty or an identifier; $1 is a parameter. */
		for (tag_end = p + 1; (*tag_end >= 'A' && *tag_end <= 'Z') ||
		                      (*tag_end >= 'a' && *tag_end <= 'z') || *tag_end == '_' ||
		                      (tag_end > p + 1 && *tag_end >= '0' && *tag_end <= '9');
		     tag_end++)
			;
		if (*tag_end != '$')
			return p + 1;
		{
			size_t n = (size_t)(tag_end - p) + 1;
			const char *end = p + n;

			while ((end = strchr(end, '$')) != NULL && strncmp(end, p, n) != 0)
				end++;
			return end != NULL ? end + n : p + strlen(p);
		}
	}
	for (p++; *p != '\0'; p++) {
		/* A backslash is taken as an escape: where it is not (PostgreSQL), a string
		 * read as longer only hides statements from this check, never invents one. */
		if (*p == '\\' && close == '\'' && p[1] != '\0')
			p++;
		else if (*p == close && p[1] == close && close != ']')
			p++;
		else if (*p == close)
			return p + 1;
	}
	return p;
}

/*
 * The first statement of a <sql> text that ends or begins a transaction:
 * the text may hold several (the drivers run them all), so each statement
 * after a ';' outside quotes, comments and dollar-quoted bodies is looked
 * at too.  The word, or NULL.
 */
static const char *
transaction_control(const char *sql)
{
	const char *p = sql, *word = transaction_word(sql, 1);

	/* Most statements hold no ';' at all: then there is no other statement to read. */
	if (word != NULL || strchr(sql, ';') == NULL)
		return word;
	while (word == NULL && *p != '\0') {
		if (*p == '\'' || *p == '"' || *p == '`' || *p == '[' || *p == '$') {
			p = skip_quoted(p);
		} else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
			p = skip_sql_blanks(p);
		} else if (*p++ == ';') {
			word = transaction_word(p, 0);
		}
	}
	return word;
}

/* Whether a node is for the dialect being checked (always at load). */
static int
applies(const struct check *ck, const struct upg_node *n)
{
	if (ck->d == NULL)
		return 1;
	if (n->kind == UPG_NODE_WHEN || n->kind == UPG_NODE_OP || n->kind == UPG_NODE_SQL ||
	    n->kind == UPG_NODE_NATIVE)
		return n->dialects == 0 || (n->dialects & ck->bit) != 0;
	return 1;
}

/*
 * Checks node n and, recursively, its children: at load (ck->d NULL) every
 * attribute against the element's rule (required, type, range, no
 * unknown one), else only what dialect ck->d lacks.  Each problem becomes
 * a diagnostic of the task ck->object; ck->oom is set when one could not
 * be recorded.
 */
static void
check_node(struct check *ck, const struct upg_node *n)
{
	const struct elem_rule *rule = NULL;
	const struct upg_node *c;
	size_t i, j;

	if (!applies(ck, n))
		return;
	if (n->elem < UPG_E_COUNT && rules[n->elem].attrs != NULL)
		rule = &rules[n->elem];
	if (rule != NULL) {
		for (j = 0; rule->attrs[j].name != NULL; j++) {
			const char *v = upg_node_attr(n, rule->attrs[j].name);

			if (v == NULL) {
				if (rule->attrs[j].required && ck->d == NULL)
					report(ck, n, "<%s %s>: a required attribute is missing",
					       n->name, rule->attrs[j].name);
				continue;
			}
			check_value(ck, n, &rule->attrs[j], v);
		}
		/* What the schema refuses too, for catalogs loaded without it. */
		for (i = 0; ck->d == NULL && i < n->nattrs; i++) {
			for (j = 0; rule->attrs[j].name != NULL; j++)
				if (strcmp(rule->attrs[j].name, n->attrs[i].name) == 0)
					break;
			if (rule->attrs[j].name == NULL)
				report(ck, n, "<%s %s>: no such attribute", n->name,
				       n->attrs[i].name);
		}
		if (ck->d != NULL &&
		    (((rule->needs & NEED_ENUM_CREATE) && ck->d->enum_create == NULL) ||
		     ((rule->needs & NEED_ENUM_ADD) && ck->d->enum_add_value == NULL)))
			report(ck, n, "<%s>: %s has no enumerations; use <add-check> instead",
			       n->name, ck->d->name);
	}
	/* The runner's transaction is the task's, its record's and a dry run's. */
	if (ck->d == NULL && n->kind == UPG_NODE_SQL) {
		const char *word = transaction_control(n->text != NULL ? n->text : n->raw);

		if (word != NULL)
			report(ck, n, "<sql>: %s: a task may not end or begin a transaction: the runner's "
			              "holds the task with its record, and a dry run's rollback; it "
			              "commits each task, and each step of a raw task, itself", word);
	}
	/* SQL the dialect's driver cannot take as written (see its as_written). */
	if (ck->d != NULL && ck->d->as_written != NULL &&
	    (n->kind == UPG_NODE_SQL ||
	     n->elem == UPG_E_QUERY)) {
		struct upg_buf why = UPG_BUF_INIT;
		const char *text = n->text != NULL ? n->text : n->raw;

		if (text != NULL &&
		    ck->d->as_written(&why, text,
		                      n->kind == UPG_NODE_SQL ? UPG_AS_WRITTEN_EXEC
		                                              : UPG_AS_WRITTEN_EXISTS) < 0) {
			if (why.failed)
				ck->oom = 1;
			else
				report(ck, n, "<%s>: %s cannot send it as written: %s", n->name,
				       ck->d->name, upg_buf_str(&why));
		}
		upg_buf_free(&why);
	}
	if (n->kind == UPG_NODE_CHOOSE && ck->d != NULL) {
		/* Only the alternative the dialect takes: its <when>, else <otherwise>. */
		for (c = n->child; c != NULL; c = c->next)
			if (c->kind == UPG_NODE_WHEN && (c->dialects & ck->bit) != 0) {
				check_node(ck, c);
				return;
			}
		for (c = n->child; c != NULL; c = c->next)
			if (c->kind == UPG_NODE_OTHERWISE)
				check_node(ck, c);
		return;
	}
	for (c = n->child; c != NULL; c = c->next)
		check_node(ck, c);
}

static void
check_task(struct check *ck, const struct upgrade_task *t)
{
	const struct upg_node *n;

	ck->object = t->id != NULL ? t->id : "";
	if (t->guard != NULL)
		check_node(ck, t->guard);
	for (n = t->body; n != NULL; n = n->next)
		check_node(ck, n);
}

int
upg_catalog_check(struct upgrade_catalog *cat, size_t first_module, size_t first_task)
{
	struct check ck = {cat, NULL, NULL, NULL, 0, 0};
	size_t i;

	for (i = first_module; i < cat->nmodules; i++) {
		ck.mod = cat->modules[i];
		if (!ck.mod->quiet && ck.mod->install != NULL)
			check_task(&ck, ck.mod->install);
	}
	for (i = first_task; i < cat->ntasks; i++) {
		ck.mod = cat->tasks[i]->module;
		if (ck.mod != NULL && !ck.mod->quiet && cat->tasks[i]->fn == NULL)
			check_task(&ck, cat->tasks[i]);
	}
	return ck.oom ? UPGRADE_ENOMEM : UPGRADE_OK;
}

int
upg_catalog_check_dialect(struct upgrade_catalog *cat, const char *dialect, unsigned bit)
{
	struct check ck = {cat, NULL, NULL, upg_dialect_find(dialect), bit, 0};
	size_t i;

	/* Without the driver's facts (a build of the loader alone) there is nothing to check. */
	if (ck.d == NULL)
		return UPGRADE_OK;
	for (i = 0; i < cat->nplan + cat->nmodules; i++) {
		const struct upgrade_task *t =
		    i < cat->nplan ? cat->plan[i] : cat->modules[i - cat->nplan]->install;

		if (t == NULL || t->fn != NULL)
			continue;
		ck.mod = t->module;
		check_task(&ck, t);
	}
	return ck.oom ? UPGRADE_ENOMEM : UPGRADE_OK;
}

static void
named(const struct upg_node *n, unsigned *bits)
{
	for (; n != NULL; n = n->next) {
		*bits |= n->dialects;
		named(n->child, bits);
	}
}

unsigned
upg_catalog_dialects_named(const struct upgrade_catalog *cat)
{
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < cat->nplan + cat->nmodules; i++) {
		const struct upgrade_task *t =
		    i < cat->nplan ? cat->plan[i] : cat->modules[i - cat->nplan]->install;

		if (t != NULL) {
			named(t->guard, &bits);
			named(t->body, &bits);
		}
	}
	return bits;
}
