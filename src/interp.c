/* SPDX-License-Identifier: MIT */
/*
 * interp.c - the interpreter of catalog tasks: evaluates a guard's
 * conditions and carries out actions read from the catalog tree.
 *
 * A guard is a tree of conditions (has-table, query, not/any/all, ...)
 * evaluated against the schema being upgraded; an action is one statement,
 * operation or native call.  Both sides, XML here and C in context.c, end
 * in the same functions (introspect.c, ops.c, fill.c), so a condition or
 * an operation means the same whichever way a task is written.  Each <sql>
 * action is sent on its own: drivers disagree on multi-statement strings,
 * so a statement is never split or joined here.
 *
 * The attribute names read here are those of tasks/catalog.rng.  All of
 * the interpreter lives in this file, so that it can later be replaced by
 * a program compiled when the catalog loads.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "ops.h"

/* ---- reading a node's attributes ---------------------------------------------- */

static int
bad_attr(struct upgrade_context *ctx, const struct upg_node *n, const char *attr, const char *why)
{
	return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "line %lu: <%s %s>: %s", n->line,
	                     n->name, attr, why);
}

/* A required string attribute; NULL after setting the error. */
static const char *
required_attr(struct upgrade_context *ctx, const struct upg_node *n, const char *attr)
{
	const char *v = upg_node_attr(n, attr);

	if (v == NULL || v[0] == '\0') {
		bad_attr(ctx, n, attr, "missing or empty");
		return NULL;
	}
	return v;
}

/* A boolean attribute; def when absent.  The schema allows only "true" and "false". */
static int
flag(const struct upg_node *n, const char *attr, int def)
{
	const char *v = upg_node_attr(n, attr);

	return v == NULL ? def : strcmp(v, "true") == 0;
}

static int
number(struct upgrade_context *ctx, const struct upg_node *n, const char *attr, unsigned long *out)
{
	const char *v = upg_node_attr(n, attr);
	char *end;

	*out = 0;
	if (v == NULL)
		return UPGRADE_OK;
	errno = 0;
	*out = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || *out > 1000000000UL)
		return bad_attr(ctx, n, attr, "not a number");
	return UPGRADE_OK;
}

/* Splits a comma-separated list of names, trimming white space around each. */
struct names {
	char **v;
	size_t n;
};

static void
names_free(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
split_names(struct upgrade_context *ctx, const struct upg_node *n, const char *attr,
            struct names *out)
{
	const char *v = required_attr(ctx, n, attr), *p, *s, *e;
	size_t count = 1;

	out->v = NULL;
	out->n = 0;
	if (v == NULL)
		return UPGRADE_EINVAL;
	for (p = v; *p != '\0'; p++)
		count += *p == ',';
	out->v = calloc(count + 1, sizeof *out->v);
	if (out->v == NULL)
		return upg_error_oom(&ctx->conn->err);
	for (s = v;; s = e + 1) {
		const char *a = s, *b;

		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		b = e;
		while (a < b && (*a == ' ' || *a == '\t' || *a == '\n' || *a == '\r'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' || b[-1] == '\r'))
			b--;
		if (a == b) {
			names_free(out);
			return bad_attr(ctx, n, attr, "an empty name in the list");
		}
		out->v[out->n] = upg_strndup(a, (size_t)(b - a));
		if (out->v[out->n] == NULL) {
			names_free(out);
			return upg_error_oom(&ctx->conn->err);
		}
		out->n++;
		if (*e == '\0')
			break;
	}
	return UPGRADE_OK;
}

/* The column type of a node: type (with length, precision, scale) or sql-type. */
static int
node_type(struct upgrade_context *ctx, const struct upg_node *n, struct upg_coltype *t,
          int required)
{
	const char *type = upg_node_attr(n, "type"), *sql = upg_node_attr(n, "sql-type");
	size_t i;
	int ret;

	memset(t, 0, sizeof *t);
	if (type == NULL && sql == NULL)
		return required ? bad_attr(ctx, n, "type", "a column needs type or sql-type")
		                : UPGRADE_OK;
	if (type == NULL) {
		t->sql = sql;
		return UPGRADE_OK;
	}
	for (i = 1; i < UPG_TYPE_COUNT; i++)
		if (strcmp(type, upg_type_name((enum upg_type)i)) == 0)
			t->kind = (enum upg_type)i;
	if (t->kind == UPG_TYPE_NONE)
		return bad_attr(ctx, n, "type", "not a portable type");
	if ((ret = number(ctx, n, "length", &t->length)) != UPGRADE_OK ||
	    (ret = number(ctx, n, "precision", &t->precision)) != UPGRADE_OK ||
	    (ret = number(ctx, n, "scale", &t->scale)) != UPGRADE_OK)
		return ret;
	if (t->kind == UPG_TYPE_VARCHAR && t->length == 0)
		return bad_attr(ctx, n, "length", "varchar needs a length");
	return UPGRADE_OK;
}

static int
node_coldef(struct upgrade_context *ctx, const struct upg_node *n, struct upg_coldef *c)
{
	memset(c, 0, sizeof *c);
	if ((c->name = required_attr(ctx, n, "name")) == NULL)
		return UPGRADE_EINVAL;
	c->notnull = !flag(n, "nullable", 1);
	c->def_value = upg_node_attr(n, "default");
	c->def_sql = upg_node_attr(n, "default-sql");
	c->pk = flag(n, "primary-key", 0);
	c->unique = flag(n, "unique", 0);
	return node_type(ctx, n, &c->type, 1);
}

static int
constraint_type(struct upgrade_context *ctx, const struct upg_node *n, int *out)
{
	static const char *const words[] = {"primary-key", "unique", "foreign-key", "check"};
	const char *v = upg_node_attr(n, "type");
	size_t i;

	*out = UPG_CT_ANY;
	if (v == NULL)
		return UPGRADE_OK;
	for (i = 0; i < 4; i++)
		if (strcmp(v, words[i]) == 0) {
			*out = (int)i + 1;
			return UPGRADE_OK;
		}
	return bad_attr(ctx, n, "type", "not a constraint type");
}

static int
fk_action(struct upgrade_context *ctx, const struct upg_node *n, const char *attr, int *out)
{
	static const char *const words[] = {"cascade", "set-null", "set-default", "restrict",
	                                    "no-action"};
	const char *v = upg_node_attr(n, attr);
	size_t i;

	*out = UPG_FK_NONE;
	if (v == NULL)
		return UPGRADE_OK;
	for (i = 0; i < 5; i++)
		if (strcmp(v, words[i]) == 0) {
			*out = (int)i + 1;
			return UPGRADE_OK;
		}
	return bad_attr(ctx, n, attr, "not a foreign key action");
}

/* ---- guards ------------------------------------------------------------------- */

static int eval_cond(struct upgrade_context *ctx, const struct upg_node *cond, int *holds);

/*
 * The text of a statement or query as it runs: in a for-each-schema step
 * ${schema} becomes the step's quoted schema and "$${" a literal "${"
 * (the loader left both for here).  Returns text itself or, in *own, an
 * allocated copy; NULL when out of memory (the error set).
 */
static const char *
expand(struct upgrade_context *ctx, const char *text, char **own)
{
	struct upg_buf out = UPG_BUF_INIT;
	const char *p;

	*own = NULL;
	if (ctx->schema_sql == NULL || strstr(text, "${") == NULL)
		return text;
	for (p = text; *p != '\0';) {
		if (strncmp(p, "$${", 3) == 0) {
			upg_buf_puts(&out, "${");
			p += 3;
		} else if (strncmp(p, "${schema}", 9) == 0) {
			upg_buf_puts(&out, ctx->schema_sql);
			p += 9;
		} else {
			upg_buf_putc(&out, *p++);
		}
	}
	if (out.failed || (*own = upg_strndup(upg_buf_str(&out), out.len)) == NULL) {
		upg_buf_free(&out);
		upg_error_oom(&ctx->conn->err);
		return NULL;
	}
	upg_buf_free(&out);
	return *own;
}

/*
 * The target schemas a condition sees: a raw task's list, or for any
 * other task the one schema it upgrades.  *own is allocated when that
 * schema had to be asked for.
 */
static int
target_schemas(struct upgrade_context *ctx, const char *const **v, size_t *n, char **own)
{
	int ret;

	*own = NULL;
	if (ctx->schemas != NULL) {
		*v = ctx->schemas;
		*n = ctx->nschemas;
		return UPGRADE_OK;
	}
	if ((ret = upg_ctx_schema(ctx, own)) != UPGRADE_OK)
		return ret;
	*n = 1;
	return UPGRADE_OK;
}

/* <schemas-include name="..."/> and <schema-count min="..." max="..."/>. */
static int
eval_schemas(struct upgrade_context *ctx, const struct upg_node *cond, int *holds)
{
	const char *const *v = NULL, *name = NULL;
	unsigned long min = 0, max = 0;
	char *own;
	size_t n, i;
	int ret;

	if (cond->elem == UPG_E_SCHEMAS_INCLUDE) {
		if ((name = required_attr(ctx, cond, "name")) == NULL)
			return UPGRADE_EINVAL;
	} else if ((ret = number(ctx, cond, "min", &min)) != UPGRADE_OK ||
	           (ret = number(ctx, cond, "max", &max)) != UPGRADE_OK) {
		return ret;
	}
	if ((ret = target_schemas(ctx, &v, &n, &own)) != UPGRADE_OK)
		return ret;
	if (name == NULL) {
		*holds = n >= min && (upg_node_attr(cond, "max") == NULL || n <= max);
	} else if (own != NULL) {
		*holds = strcmp(own, name) == 0;
	} else {
		for (i = 0; i < n && !*holds; i++)
			*holds = strcmp(v[i], name) == 0;
	}
	free(own);
	return UPGRADE_OK;
}

/* Every child condition must hold; stops at the first that does not. */
static int
eval_all(struct upgrade_context *ctx, const struct upg_node *first, int *holds)
{
	const struct upg_node *c;
	int ret;

	*holds = 1;
	for (c = first; c != NULL; c = c->next) {
		if ((ret = eval_cond(ctx, c, holds)) != UPGRADE_OK)
			return ret;
		if (!*holds)
			return UPGRADE_OK;
	}
	return UPGRADE_OK;
}

static int
eval_any(struct upgrade_context *ctx, const struct upg_node *first, int *holds)
{
	const struct upg_node *c;
	int ret;

	*holds = 0;
	for (c = first; c != NULL; c = c->next) {
		if ((ret = eval_cond(ctx, c, holds)) != UPGRADE_OK)
			return ret;
		if (*holds)
			return UPGRADE_OK;
	}
	return UPGRADE_OK;
}

/*
 * Evaluates one condition node: sets *holds to 1 or 0 and returns
 * UPGRADE_OK, or returns an error (unknown condition, missing attribute,
 * failed query) with its message on ctx->conn.  Issues only reads.
 */
static int
eval_cond(struct upgrade_context *ctx, const struct upg_node *cond, int *holds)
{
	const char *a, *b;
	int ret, ctype;

	*holds = 0;
	switch (cond->elem) {
	case UPG_E_ALL: return eval_all(ctx, cond->child, holds);
	case UPG_E_ANY: return eval_any(ctx, cond->child, holds);
	case UPG_E_NOT:
		ret = eval_all(ctx, cond->child, holds);
		*holds = !*holds;
		return ret;
	case UPG_E_QUERY: {
		char *own;
		const char *q = expand(ctx, cond->text, &own);

		if (q == NULL)
			return UPGRADE_ENOMEM;
		ret = upg_query_holds(ctx, q, holds);
		free(own);
		return ret;
	}
	case UPG_E_SCHEMAS_INCLUDE:
	case UPG_E_SCHEMA_COUNT: return eval_schemas(ctx, cond, holds);
	case UPG_E_HAS_TABLE:
		if ((a = required_attr(ctx, cond, "table")) == NULL)
			return UPGRADE_EINVAL;
		return upg_exists(ctx, UPG_OBJ_TABLE, a, NULL, 0, holds);
	case UPG_E_HAS_VIEW:
		if ((a = required_attr(ctx, cond, "view")) == NULL)
			return UPGRADE_EINVAL;
		return upg_exists(ctx, UPG_OBJ_VIEW, a, NULL, 0, holds);
	case UPG_E_HAS_COLUMN:
		if ((a = required_attr(ctx, cond, "table")) == NULL || (b = required_attr(ctx, cond, "column")) == NULL)
			return UPGRADE_EINVAL;
		return upg_exists(ctx, UPG_OBJ_COLUMN, a, b, 0, holds);
	case UPG_E_HAS_INDEX:
		if ((b = required_attr(ctx, cond, "name")) == NULL)
			return UPGRADE_EINVAL;
		return upg_exists(ctx, UPG_OBJ_INDEX, upg_node_attr(cond, "table"), b, 0, holds);
	case UPG_E_HAS_CONSTRAINT:
		if ((a = required_attr(ctx, cond, "table")) == NULL || (b = required_attr(ctx, cond, "name")) == NULL)
			return UPGRADE_EINVAL;
		if ((ret = constraint_type(ctx, cond, &ctype)) != UPGRADE_OK)
			return ret;
		return upg_exists(ctx, UPG_OBJ_CONSTRAINT, a, b, ctype, holds);
	case UPG_E_HAS_ENUM:
		if ((b = required_attr(ctx, cond, "name")) == NULL)
			return UPGRADE_EINVAL;
		return upg_exists(ctx, UPG_OBJ_ENUM, NULL, b, 0, holds);
	case UPG_E_IS_EMPTY_TABLE:
		if ((a = required_attr(ctx, cond, "table")) == NULL)
			return UPGRADE_EINVAL;
		return upg_is_empty(ctx, a, holds);
	default:
		return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
		                     "line %lu: unknown condition <%s>", cond->line, cond->name);
	}
}

int
upg_guard_eval(struct upgrade_context *ctx, const struct upg_node *guard, int *holds)
{
	struct upgrade_conn *conn = ctx->conn;
	struct upg_error keep = UPG_ERROR_INIT;
	int ret;

	*holds = 1;
	if (guard == NULL)
		return UPGRADE_OK;
	/*
	 * A guard outside any transaction (a raw task's, status's) gets the
	 * dialect's per-transaction settings, such as the search path that a
	 * pooler in transaction mode keeps in no session, from one of its own.
	 */
	if (conn->begin_sql == NULL || !conn->autocommit)
		return eval_all(ctx, guard->child, holds);
	if ((ret = upg_db_begin(conn)) != UPGRADE_OK)
		return ret;
	if ((ret = eval_all(ctx, guard->child, holds)) == UPGRADE_OK)
		return upg_db_commit(conn);
	upg_error_stash(&keep, &conn->err);
	upg_db_rollback(conn);
	upg_error_restore(&conn->err, &keep);
	return ret;
}

/* ---- actions ---------------------------------------------------------------------- */

static int
op_create_table(struct upgrade_context *ctx, const struct upg_node *n)
{
	const struct upg_node *c;
	struct upg_coldef *cols;
	const char *table = required_attr(ctx, n, "name");
	size_t ncols = 0;
	int ret = UPGRADE_OK;

	if (table == NULL)
		return UPGRADE_EINVAL;
	for (c = n->child; c != NULL; c = c->next)
		ncols += c->elem == UPG_E_COLUMN;
	if (ncols == 0)
		return bad_attr(ctx, n, "name", "a table needs columns");
	cols = calloc(ncols, sizeof *cols);
	if (cols == NULL)
		return upg_error_oom(&ctx->conn->err);
	ncols = 0;
	for (c = n->child; c != NULL && ret == UPGRADE_OK; c = c->next)
		if (c->elem == UPG_E_COLUMN)
			ret = node_coldef(ctx, c, &cols[ncols++]);
	if (ret == UPGRADE_OK)
		ret = upg_op_create_table(ctx, table, cols, ncols,
		                          flag(n, "if-not-exists", 0) ? UPG_IF_NOT_EXISTS : 0);
	free(cols);
	return ret;
}

static int
op_alter_column(struct upgrade_context *ctx, const struct upg_node *n)
{
	struct upg_alter a;
	const char *v;
	int ret;

	memset(&a, 0, sizeof a);
	if ((a.table = required_attr(ctx, n, "table")) == NULL || (a.column = required_attr(ctx, n, "name")) == NULL)
		return UPGRADE_EINVAL;
	if ((ret = node_type(ctx, n, &a.type, 0)) != UPGRADE_OK)
		return ret;
	if ((v = upg_node_attr(n, "nullable")) != NULL)
		a.null_change = strcmp(v, "true") == 0 ? UPG_NULL_ALLOW : UPG_NULL_FORBID;
	if ((v = upg_node_attr(n, "default")) != NULL) {
		a.def_change = UPG_DEF_VALUE;
		a.def = v;
	} else if ((v = upg_node_attr(n, "default-sql")) != NULL) {
		a.def_change = UPG_DEF_SQL;
		a.def = v;
	} else if (flag(n, "drop-default", 0)) {
		a.def_change = UPG_DEF_DROP;
	}
	a.using_sql = upg_node_attr(n, "using");
	return upg_op_alter_column(ctx, &a);
}

static int
op_constraint(struct upgrade_context *ctx, const struct upg_node *n)
{
	const char *table = required_attr(ctx, n, "table"), *name = required_attr(ctx, n, "name");
	struct names cols = {NULL, 0}, refs = {NULL, 0};
	int ret, on_delete, on_update;

	if (table == NULL || name == NULL)
		return UPGRADE_EINVAL;
	if (n->elem == UPG_E_ADD_CHECK) {
		const char *expr = required_attr(ctx, n, "expression");

		return expr == NULL ? UPGRADE_EINVAL : upg_op_add_check(ctx, table, name, expr);
	}
	if ((ret = split_names(ctx, n, "columns", &cols)) != UPGRADE_OK)
		return ret;
	if (n->elem == UPG_E_ADD_UNIQUE) {
		ret = upg_op_add_unique(ctx, table, name, (const char *const *)cols.v, cols.n);
	} else {
		const char *ref = required_attr(ctx, n, "ref-table");

		if (ref == NULL)
			ret = UPGRADE_EINVAL;
		if (ret == UPGRADE_OK)
			ret = split_names(ctx, n, "ref-columns", &refs);
		if (ret == UPGRADE_OK)
			ret = fk_action(ctx, n, "on-delete", &on_delete);
		if (ret == UPGRADE_OK)
			ret = fk_action(ctx, n, "on-update", &on_update);
		if (ret == UPGRADE_OK)
			ret = upg_op_add_foreign_key(ctx, table, name, (const char *const *)cols.v,
			                             cols.n, ref, (const char *const *)refs.v,
			                             refs.n, on_delete, on_update);
	}
	names_free(&cols);
	names_free(&refs);
	return ret;
}

static int
op_create_enum(struct upgrade_context *ctx, const struct upg_node *n)
{
	const struct upg_node *c;
	const char *name = required_attr(ctx, n, "name");
	const char **values;
	size_t count = 0;
	int ret;

	if (name == NULL)
		return UPGRADE_EINVAL;
	for (c = n->child; c != NULL; c = c->next)
		count += c->elem == UPG_E_VALUE;
	values = calloc(count + 1, sizeof *values);
	if (values == NULL)
		return upg_error_oom(&ctx->conn->err);
	count = 0;
	for (c = n->child; c != NULL; c = c->next)
		if (c->elem == UPG_E_VALUE)
			values[count++] = c->text;
	ret = upg_op_create_enum(ctx, name, values, count);
	free(values);
	return ret;
}

/*
 * Carries out one declarative operation node by its element.
 * Returns what the operation returns (UPGRADE_NOTHING_DONE, > 0, when an
 * if-exists / if-not-exists made it a no-op), UPGRADE_EINVAL for a missing
 * attribute, UPGRADE_EUNSUPPORTED for an unknown element; the message is
 * on ctx->conn.
 */
static int
exec_op(struct upgrade_context *ctx, const struct upg_node *n)
{
	const char *a, *b, *c;
	struct upg_coldef col;
	struct names cols;
	int ret, ctype;

	switch (n->elem) {
	case UPG_E_CREATE_TABLE: return op_create_table(ctx, n);
	case UPG_E_DROP_TABLE:
		if ((a = required_attr(ctx, n, "name")) == NULL)
			return UPGRADE_EINVAL;
		return upg_op_drop_table(ctx, a, flag(n, "if-exists", 0) ? UPG_IF_EXISTS : 0);
	case UPG_E_RENAME_TABLE:
		if ((a = required_attr(ctx, n, "from")) == NULL || (b = required_attr(ctx, n, "to")) == NULL)
			return UPGRADE_EINVAL;
		return upg_op_rename_table(ctx, a, b);
	case UPG_E_ADD_COLUMN:
		if ((a = required_attr(ctx, n, "table")) == NULL)
			return UPGRADE_EINVAL;
		if ((ret = node_coldef(ctx, n, &col)) != UPGRADE_OK)
			return ret;
		return upg_op_add_column(ctx, a, &col,
		                         flag(n, "if-not-exists", 0) ? UPG_IF_NOT_EXISTS : 0);
	case UPG_E_DROP_COLUMN:
		if ((a = required_attr(ctx, n, "table")) == NULL || (b = required_attr(ctx, n, "name")) == NULL)
			return UPGRADE_EINVAL;
		return upg_op_drop_column(ctx, a, b, flag(n, "if-exists", 0) ? UPG_IF_EXISTS : 0);
	case UPG_E_RENAME_COLUMN:
		if ((a = required_attr(ctx, n, "table")) == NULL || (b = required_attr(ctx, n, "from")) == NULL ||
		    (c = required_attr(ctx, n, "to")) == NULL)
			return UPGRADE_EINVAL;
		return upg_op_rename_column(ctx, a, b, c);
	case UPG_E_ALTER_COLUMN: return op_alter_column(ctx, n);
	case UPG_E_CREATE_INDEX:
		if ((a = required_attr(ctx, n, "name")) == NULL || (b = required_attr(ctx, n, "table")) == NULL)
			return UPGRADE_EINVAL;
		if ((ret = split_names(ctx, n, "columns", &cols)) != UPGRADE_OK)
			return ret;
		ret =
		    upg_op_create_index(ctx, a, b, (const char *const *)cols.v, cols.n,
		                        (flag(n, "unique", 0) ? UPG_UNIQUE : 0) |
		                            (flag(n, "if-not-exists", 0) ? UPG_IF_NOT_EXISTS : 0));
		names_free(&cols);
		return ret;
	case UPG_E_DROP_INDEX:
		if ((a = required_attr(ctx, n, "name")) == NULL)
			return UPGRADE_EINVAL;
		return upg_op_drop_index(ctx, a, upg_node_attr(n, "table"),
		                         flag(n, "if-exists", 0) ? UPG_IF_EXISTS : 0);
	case UPG_E_ADD_UNIQUE:
	case UPG_E_ADD_FOREIGN_KEY:
	case UPG_E_ADD_CHECK: return op_constraint(ctx, n);
	case UPG_E_DROP_CONSTRAINT:
		if ((a = required_attr(ctx, n, "table")) == NULL || (b = required_attr(ctx, n, "name")) == NULL)
			return UPGRADE_EINVAL;
		if ((ret = constraint_type(ctx, n, &ctype)) != UPGRADE_OK)
			return ret;
		return upg_op_drop_constraint(ctx, a, b, ctype,
		                              flag(n, "if-exists", 0) ? UPG_IF_EXISTS : 0);
	case UPG_E_CREATE_ENUM: return op_create_enum(ctx, n);
	case UPG_E_ADD_ENUM_VALUE:
		if ((a = required_attr(ctx, n, "name")) == NULL)
			return UPGRADE_EINVAL;
		/* An empty label is refused by the operation with its own message. */
		ret = upg_op_add_enum_value(ctx, a, upg_node_attr(n, "value"),
		                            flag(n, "if-not-exists", 0) ? UPG_IF_NOT_EXISTS : 0);
		return ret == UPGRADE_NOTHING_DONE ? UPGRADE_OK : ret;
	default:
		return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
		                     "line %lu: unknown operation <%s>", n->line, n->name);
	}
}

/*
 * <assert message="...">: its conditions hold (UPGRADE_NOTHING_DONE: an
 * assertion changes nothing), or the task fails with the message and
 * where the assertion is written.
 */
static int
exec_assert(struct upgrade_context *ctx, const struct upg_node *n)
{
	const char *msg = upg_node_attr(n, "message");
	int holds, ret;

	if ((ret = eval_all(ctx, n->child, &holds)) != UPGRADE_OK)
		return ret;
	if (holds)
		return UPGRADE_NOTHING_DONE;
	/* The runner's report names the task (and the schema) before this. */
	return upg_error_set(&ctx->conn->err, UPGRADE_ERROR, "%s:%lu: assertion failed: %s",
	                     ctx->task->module->file, n->line, msg != NULL ? msg : "");
}

int
upg_action_exec(struct upgrade_context *ctx, const struct upg_node *action)
{
	const char *sql;
	char *own;
	int ret;

	switch (action->kind) {
	case UPG_NODE_SQL:
		if ((sql = expand(ctx, action->text, &own)) == NULL)
			return UPGRADE_ENOMEM;
		ret = upg_explain_error(ctx->conn, upg_db_exec(ctx->conn, sql));
		free(own);
		return ret < 0 ? ret : UPGRADE_OK;
	/* An operation made a no-op by if-exists still counts: the task asked for the state. */
	case UPG_NODE_OP: ret = exec_op(ctx, action); return ret > 0 ? UPGRADE_OK : ret;
	case UPG_NODE_NATIVE:
		ret = upg_native_call(ctx, action);
		return ret == UPGRADE_NOTHING_DONE || ret < 0 ? ret : UPGRADE_OK;
	case UPG_NODE_ASSERT: return exec_assert(ctx, action);
	default:
		return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
		                     "line %lu: <%s> is not an action", action->line, action->name);
	}
}
