/* SPDX-License-Identifier: MIT */
/*
 * context.c - the context API of tasks written in C
 * (include/upgrade/context.h).  The interpreter of XML tasks is interp.c;
 * both end in the same operations (introspect.c, ops.c, fill.c).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "ops.h"

/* ---- the public API ------------------------------------------------------------------ */

/*
 * Every entry point checks its context first: a release build must not
 * crash on NULL or on another kind of handle.
 */
#define CHECK_CTX(ctx)                                                                             \
	do {                                                                                       \
		if (!UPG_IS(ctx, CONTEXT) || !UPG_IS((ctx)->conn, CONN))                           \
			return UPGRADE_EINVAL;                                                     \
	} while (0)

static int
null_arg(struct upgrade_context *ctx, const char *what)
{
	return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "%s is NULL", what);
}

int
upgrade_context_new(struct upgrade_context **out, struct upgrade_conn *conn, const char *schema)
{
	struct upgrade_context *ctx;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	ctx = calloc(1, sizeof *ctx);
	if (ctx == NULL)
		return upg_error_oom(&conn->err);
	ctx->magic = UPG_MAGIC_CONTEXT;
	ctx->conn = conn;
	ctx->owned = 1;
	if (schema != NULL) {
		ctx->own_schema = upg_strdup(schema);
		if (ctx->own_schema == NULL) {
			free(ctx);
			return upg_error_oom(&conn->err);
		}
		ctx->schema = ctx->own_schema;
	}
	*out = ctx;
	return UPGRADE_OK;
}

void
upgrade_context_free(struct upgrade_context *ctx)
{
	/* A context of the runner lives on its stack; only ours are freed. */
	if (!UPG_IS(ctx, CONTEXT) || !ctx->owned)
		return;
	free(ctx->own_schema);
	ctx->magic = UPG_MAGIC_FREED;
	free(ctx);
}

struct upgrade_conn *
upgrade_context_conn(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? ctx->conn : NULL;
}

const char *
upgrade_context_schema(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? ctx->schema : NULL;
}

size_t
upgrade_context_schema_count(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) && ctx->schemas != NULL ? ctx->nschemas : 0;
}

const char *
upgrade_context_schema_at(const struct upgrade_context *ctx, size_t index)
{
	if (!UPG_IS(ctx, CONTEXT) || ctx->schemas == NULL || index >= ctx->nschemas)
		return NULL;
	return ctx->schemas[index];
}

int
upgrade_context_is_dry_run(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) && ctx->dry_run;
}

const char *
upgrade_context_error(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? upgrade_conn_error(ctx->conn) : "no context";
}

int
upgrade_context_error_code(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? upgrade_conn_error_code(ctx->conn) : UPGRADE_EINVAL;
}

const char *
upgrade_context_sqlstate(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? upgrade_conn_sqlstate(ctx->conn) : "";
}

long
upgrade_context_native_error(const struct upgrade_context *ctx)
{
	return UPG_IS(ctx, CONTEXT) ? upgrade_conn_native_error(ctx->conn) : 0;
}

void
upgrade_context_changed(struct upgrade_context *ctx)
{
	if (UPG_IS(ctx, CONTEXT))
		ctx->changed = 1;
}

/* upgrade_context_end_step() is in run-txn.c: transactions are the runner's. */

int
upgrade_context_has_table(int *result, struct upgrade_context *ctx, const char *table)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_TABLE, table, NULL, 0, result != NULL ? result : &dummy);
}

int
upgrade_context_has_view(int *result, struct upgrade_context *ctx, const char *view)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_VIEW, view, NULL, 0, result != NULL ? result : &dummy);
}

int
upgrade_context_has_column(int *result, struct upgrade_context *ctx, const char *table,
                           const char *column)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_COLUMN, table, column, 0, result != NULL ? result : &dummy);
}

int
upgrade_context_has_index(int *result, struct upgrade_context *ctx, const char *table,
                          const char *index)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_INDEX, table, index, 0, result != NULL ? result : &dummy);
}

int
upgrade_context_has_constraint(int *result, struct upgrade_context *ctx, const char *table,
                               const char *name, enum upgrade_constraint_type type)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_CONSTRAINT, table, name, type,
	                  result != NULL ? result : &dummy);
}

int
upgrade_context_has_enum(int *result, struct upgrade_context *ctx, const char *name)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_exists(ctx, UPG_OBJ_ENUM, NULL, name, 0, result != NULL ? result : &dummy);
}

int
upgrade_context_is_empty_table(int *result, struct upgrade_context *ctx, const char *table)
{
	int dummy;

	CHECK_CTX(ctx);
	return upg_is_empty(ctx, table, result != NULL ? result : &dummy);
}

struct labels {
	struct upg_buf text; /* the labels, each with its NUL */
	size_t n;
};

static int
label_row(void *ud, size_t ncols, char **values)
{
	struct labels *l = ud;

	upg_buf_append(&l->text, values[0] != NULL ? values[0] : "",
	               values[0] != NULL ? strlen(values[0]) + 1 : 1);
	l->n++;
	return 0;
}

/*
 * Contract: upgrade_context_enum_values(3).  *values is one allocation
 * (the pointers, then the labels) that the caller frees with upgrade_free().
 */
int
upgrade_context_enum_values(char ***values, size_t *count, struct upgrade_context *ctx,
                            const char *name)
{
	struct labels l = {UPG_BUF_INIT, 0};
	size_t i, head;
	char **v, *p;
	int ret;

	if (values != NULL)
		*values = NULL;
	if (count != NULL)
		*count = 0;
	CHECK_CTX(ctx);
	if (values == NULL)
		return null_arg(ctx, "values");
	if ((ret = upg_enum_values(ctx, name, label_row, &l)) != UPGRADE_OK) {
		upg_buf_free(&l.text);
		return ret;
	}
	if (l.text.failed) {
		upg_buf_free(&l.text);
		return upg_error_oom(&ctx->conn->err);
	}
	/* One block: the pointer array, then the strings, so upgrade_free() releases all. */
	head = (l.n + 1) * sizeof *v;
	v = malloc(head + l.text.len + 1);
	if (v == NULL) {
		upg_buf_free(&l.text);
		return upg_error_oom(&ctx->conn->err);
	}
	p = (char *)v + head;
	if (l.text.len > 0)
		memcpy(p, l.text.data, l.text.len);
	for (i = 0; i < l.n; i++) {
		v[i] = p;
		p += strlen(p) + 1;
	}
	v[l.n] = NULL;
	upg_buf_free(&l.text);
	*values = v;
	if (count != NULL)
		*count = l.n;
	return UPGRADE_OK;
}

int
upgrade_context_exec(long *rowcount, struct upgrade_context *ctx, const char *sql, size_t nparams,
                     const char *const *params)
{
	if (rowcount != NULL)
		*rowcount = 0;
	CHECK_CTX(ctx);
	if (sql == NULL)
		return null_arg(ctx, "sql");
	if (nparams > 0 && params == NULL)
		return null_arg(ctx, "params");
	return upg_explain_error(ctx->conn,
	                         upg_db_exec_params(ctx->conn, sql, nparams, params, rowcount));
}

struct query_fwd {
	upgrade_row_fn fn;
	void *ud;
	int ret;
};

static int
query_row(void *ud, size_t ncols, char **values)
{
	struct query_fwd *q = ud;
	struct upgrade_row row = {ncols, NULL, (const char *const *)values};

	q->ret = q->fn(&row, q->ud);
	return q->ret;
}

int
upgrade_context_query(struct upgrade_context *ctx, const char *sql, size_t nparams,
                      const char *const *params, upgrade_row_fn fn, void *userdata)
{
	struct query_fwd q = {fn, userdata, 0};
	int ret;

	CHECK_CTX(ctx);
	if (sql == NULL)
		return null_arg(ctx, "sql");
	if (nparams > 0 && params == NULL)
		return null_arg(ctx, "params");
	ret = upg_db_query(ctx->conn, sql, nparams, params, fn != NULL ? query_row : NULL, &q);
	if (ret < 0 && ret == q.ret && ctx->conn->err.code == UPGRADE_OK)
		upg_error_set(&ctx->conn->err, ret, "the row callback failed (%s)",
		              upgrade_strerror(ret));
	return ret > 0 ? UPGRADE_OK : upg_explain_error(ctx->conn, ret);
}

static size_t
count_list(const char *const *list)
{
	size_t n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

int
upgrade_context_records_per_table(struct upgrade_context *ctx, const char *table,
                                  const char *const *columns, upgrade_row_fn fn, void *userdata)
{
	CHECK_CTX(ctx);
	if (fn == NULL)
		return null_arg(ctx, "fn");
	return upg_records(ctx, table, columns, count_list(columns), fn, userdata);
}

/* ---- versions of the structs a caller fills ---------------------------------------- */

/*
 * The size of each struct as each version defines it, indexed by version
 * (0 is never valid).  The init functions zero only that many bytes, and
 * an array is stepped through by its elements' size, so that a program
 * built against an older, shorter version is read correctly.  A version
 * that appends a member appends an entry here, giving the older versions
 * offsetof() the new member; code that reads the new member must check
 * the caller's version first.
 */
static const size_t column_size[] = {0, sizeof(struct upgrade_column)};
static const size_t column_change_size[] = {0, sizeof(struct upgrade_column_change)};
static const size_t fill_size[] = {0, sizeof(struct upgrade_fill)};

#define KNOWN_VERSIONS(sizes) (sizeof(sizes) / sizeof(sizes)[0] - 1)

/*
 * UPGRADE_OK when version is one of the 1..known this library reads,
 * else UPGRADE_EINVAL with a message naming the struct (on the context's
 * connection when there is one).
 */
static int
check_version(struct upgrade_context *ctx, const char *type, const char *init, unsigned int version,
              size_t known)
{
	if (version >= 1 && version <= known)
		return UPGRADE_OK;
	if (ctx == NULL)
		return UPGRADE_EINVAL;
	return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
	                     "struct %s has version %u; this libupgrade knows versions 1 to %zu "
	                     "(initialise it with %s)",
	                     type, version, known, init);
}

int
upgrade_column_init(struct upgrade_column *column, unsigned int version)
{
	if (column == NULL ||
	    check_version(NULL, "", "", version, KNOWN_VERSIONS(column_size)) != 0)
		return UPGRADE_EINVAL;
	memset(column, 0, column_size[version]);
	column->version = version;
	return UPGRADE_OK;
}

int
upgrade_column_change_init(struct upgrade_column_change *change, unsigned int version)
{
	if (change == NULL ||
	    check_version(NULL, "", "", version, KNOWN_VERSIONS(column_change_size)) != 0)
		return UPGRADE_EINVAL;
	memset(change, 0, column_change_size[version]);
	change->version = version;
	return UPGRADE_OK;
}

int
upgrade_fill_init(struct upgrade_fill *fill, unsigned int version)
{
	if (fill == NULL || check_version(NULL, "", "", version, KNOWN_VERSIONS(fill_size)) != 0)
		return UPGRADE_EINVAL;
	memset(fill, 0, fill_size[version]);
	fill->version = version;
	return UPGRADE_OK;
}

static int
check_column_version(struct upgrade_context *ctx, const struct upgrade_column *c)
{
	return check_version(ctx, "upgrade_column", "UPGRADE_COLUMN_INIT or upgrade_column_init()",
	                     c->version, KNOWN_VERSIONS(column_size));
}

/* A public column description as the operations take it. */
static int
to_coldef(struct upgrade_context *ctx, const struct upgrade_column *c, struct upg_coldef *out)
{
	int ret;

	memset(out, 0, sizeof *out);
	if (c == NULL)
		return null_arg(ctx, "column");
	if ((ret = check_column_version(ctx, c)) != UPGRADE_OK)
		return ret;
	out->name = c->name;
	out->notnull = c->not_null;
	out->def_value = c->default_value;
	out->def_sql = c->default_sql;
	out->pk = c->primary_key;
	out->unique = c->unique;
	if (c->type != NULL)
		return upg_coltype_parse(&out->type, c->type, &ctx->conn->err);
	if (c->sql_type == NULL)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "column %s has no type",
		                     c->name != NULL ? c->name : "");
	out->type.sql = c->sql_type;
	return UPGRADE_OK;
}

int
upgrade_context_add_column_with_defaults(struct upgrade_context *ctx, const char *table,
                                         const struct upgrade_column *column,
                                         const struct upgrade_fill *fill)
{
	struct upg_coldef col;
	int ret;

	CHECK_CTX(ctx);
	if (fill == NULL)
		return null_arg(ctx, "fill");
	if ((ret = check_version(ctx, "upgrade_fill", "UPGRADE_FILL_INIT or upgrade_fill_init()",
	                         fill->version, KNOWN_VERSIONS(fill_size))) != UPGRADE_OK)
		return ret;
	if ((ret = to_coldef(ctx, column, &col)) != UPGRADE_OK)
		return ret;
	return upg_add_column_filled(ctx, table, &col, fill);
}

int
upgrade_context_suspend_triggers(struct upgrade_context *ctx, const char *table)
{
	CHECK_CTX(ctx);
	return upg_op_triggers(ctx, table, 0);
}

int
upgrade_context_resume_triggers(struct upgrade_context *ctx, const char *table)
{
	CHECK_CTX(ctx);
	return upg_op_triggers(ctx, table, 1);
}

int
upgrade_context_create_table(struct upgrade_context *ctx, const char *table,
                             const struct upgrade_column *columns, size_t ncolumns, unsigned flags)
{
	struct upg_coldef *cols;
	const char *at = (const char *)columns;
	unsigned int version;
	size_t i;
	int ret = UPGRADE_OK;

	CHECK_CTX(ctx);
	if (columns == NULL || ncolumns == 0)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "a table needs columns");
	/* The first element's version gives the size of every element. */
	if ((ret = check_column_version(ctx, columns)) != UPGRADE_OK)
		return ret;
	version = columns->version;
	cols = calloc(ncolumns, sizeof *cols);
	if (cols == NULL)
		return upg_error_oom(&ctx->conn->err);
	for (i = 0; i < ncolumns && ret == UPGRADE_OK; i++) {
		const struct upgrade_column *c = (const void *)(at + i * column_size[version]);

		if (c->version != version)
			ret = upg_error_set(
			    &ctx->conn->err, UPGRADE_EINVAL,
			    "struct upgrade_column: element %zu of the array has version %u, "
			    "the first has %u",
			    i, c->version, version);
		else
			ret = to_coldef(ctx, c, &cols[i]);
	}
	if (ret == UPGRADE_OK)
		ret = upg_op_create_table(ctx, table, cols, ncolumns, flags & UPG_IF_NOT_EXISTS);
	free(cols);
	return ret;
}

int
upgrade_context_drop_table(struct upgrade_context *ctx, const char *table, unsigned flags)
{
	CHECK_CTX(ctx);
	return upg_op_drop_table(ctx, table, flags & UPG_IF_EXISTS);
}

int
upgrade_context_rename_table(struct upgrade_context *ctx, const char *from, const char *to)
{
	CHECK_CTX(ctx);
	return upg_op_rename_table(ctx, from, to);
}

int
upgrade_context_add_column(struct upgrade_context *ctx, const char *table,
                           const struct upgrade_column *column, unsigned flags)
{
	struct upg_coldef col;
	int ret;

	CHECK_CTX(ctx);
	if ((ret = to_coldef(ctx, column, &col)) != UPGRADE_OK)
		return ret;
	return upg_op_add_column(ctx, table, &col, flags & UPG_IF_NOT_EXISTS);
}

int
upgrade_context_drop_column(struct upgrade_context *ctx, const char *table, const char *column,
                            unsigned flags)
{
	CHECK_CTX(ctx);
	return upg_op_drop_column(ctx, table, column, flags & UPG_IF_EXISTS);
}

int
upgrade_context_rename_column(struct upgrade_context *ctx, const char *table, const char *from,
                              const char *to)
{
	CHECK_CTX(ctx);
	return upg_op_rename_column(ctx, table, from, to);
}

/* Contract: upgrade_context_alter_column(3); checks the change's version first. */
int
upgrade_context_alter_column(struct upgrade_context *ctx, const char *table, const char *column,
                             const struct upgrade_column_change *change)
{
	struct upg_alter a;
	int ret;

	CHECK_CTX(ctx);
	if (change == NULL)
		return null_arg(ctx, "change");
	if ((ret = check_version(ctx, "upgrade_column_change",
	                         "UPGRADE_COLUMN_CHANGE_INIT or upgrade_column_change_init()",
	                         change->version, KNOWN_VERSIONS(column_change_size))) !=
	    UPGRADE_OK)
		return ret;
	memset(&a, 0, sizeof a);
	a.table = table;
	a.column = column;
	if (change->type != NULL &&
	    (ret = upg_coltype_parse(&a.type, change->type, &ctx->conn->err)) != UPGRADE_OK)
		return ret;
	if (change->type == NULL)
		a.type.sql = change->sql_type;
	/* A caller may store any int; compare as one (an enum may be unsigned). */
	if ((int)change->nullability < UPGRADE_NULL_KEEP ||
	    (int)change->nullability > UPGRADE_NULL_FORBID)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "unknown nullability %d",
		                     (int)change->nullability);
	a.null_change = change->nullability;
	if ((change->default_value != NULL) + (change->default_sql != NULL) +
	        (change->drop_default != 0) >
	    1)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "give one of default_value, default_sql and drop_default");
	if (change->default_value != NULL) {
		a.def_change = UPG_DEF_VALUE;
		a.def = change->default_value;
	} else if (change->default_sql != NULL) {
		a.def_change = UPG_DEF_SQL;
		a.def = change->default_sql;
	} else if (change->drop_default) {
		a.def_change = UPG_DEF_DROP;
	}
	a.using_sql = change->using_sql;
	if (table == NULL || column == NULL)
		return null_arg(ctx, table == NULL ? "table" : "column");
	return upg_op_alter_column(ctx, &a);
}

int
upgrade_context_create_index(struct upgrade_context *ctx, const char *table, const char *name,
                             const char *const *columns, unsigned flags)
{
	CHECK_CTX(ctx);
	return upg_op_create_index(ctx, name, table, columns, count_list(columns),
	                           flags & (UPG_UNIQUE | UPG_IF_NOT_EXISTS));
}

int
upgrade_context_drop_index(struct upgrade_context *ctx, const char *table, const char *name,
                           unsigned flags)
{
	CHECK_CTX(ctx);
	return upg_op_drop_index(ctx, name, table, flags & UPG_IF_EXISTS);
}

int
upgrade_context_add_unique(struct upgrade_context *ctx, const char *table, const char *name,
                           const char *const *columns)
{
	CHECK_CTX(ctx);
	return upg_op_add_unique(ctx, table, name, columns, count_list(columns));
}

int
upgrade_context_add_foreign_key(struct upgrade_context *ctx, const char *table, const char *name,
                                const char *const *columns, const char *ref_table,
                                const char *const *ref_columns, enum upgrade_fk_action on_delete,
                                enum upgrade_fk_action on_update)
{
	CHECK_CTX(ctx);
	return upg_op_add_foreign_key(ctx, table, name, columns, count_list(columns), ref_table,
	                              ref_columns, count_list(ref_columns), on_delete, on_update);
}

int
upgrade_context_add_check(struct upgrade_context *ctx, const char *table, const char *name,
                          const char *expression)
{
	CHECK_CTX(ctx);
	return upg_op_add_check(ctx, table, name, expression);
}

int
upgrade_context_drop_constraint(struct upgrade_context *ctx, const char *table, const char *name,
                                enum upgrade_constraint_type type, unsigned flags)
{
	/* A caller may pass any int; compare as one (an enum may be unsigned). */
	int t = (int)type;

	CHECK_CTX(ctx);
	if (t < UPG_CT_ANY || t > UPG_CT_CHECK)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL, "unknown constraint type %d",
		                     t);
	return upg_op_drop_constraint(ctx, table, name, t, flags & UPG_IF_EXISTS);
}

int
upgrade_context_create_enum(struct upgrade_context *ctx, const char *name,
                            const char *const *values)
{
	CHECK_CTX(ctx);
	return upg_op_create_enum(ctx, name, values, count_list(values));
}

int
upgrade_context_add_enum_value(struct upgrade_context *ctx, const char *name, const char *value,
                               unsigned flags)
{
	CHECK_CTX(ctx);
	return upg_op_add_enum_value(ctx, name, value, flags & UPG_IF_NOT_EXISTS);
}

int
upgrade_context_update_enum_values(struct upgrade_context *ctx, const char *name,
                                   const char *const *values)
{
	size_t i, added = 0;
	int ret;

	CHECK_CTX(ctx);
	if (values == NULL)
		return null_arg(ctx, "values");
	for (i = 0; values[i] != NULL; i++) {
		ret = upg_op_add_enum_value(ctx, name, values[i], UPG_IF_NOT_EXISTS);
		if (ret < 0)
			return ret;
		added += ret == UPGRADE_OK;
	}
	return added > 0 ? UPGRADE_OK : UPGRADE_NOTHING_DONE;
}
