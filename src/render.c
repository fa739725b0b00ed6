/* SPDX-License-Identifier: MIT */
/*
 * render.c - schema changes as SQL text for a dialect.
 *
 * The core renders the ANSI form of every operation and asks the dialect's
 * hooks only where an engine spells something differently (SQL Server's
 * sp_rename, MariaDB's MODIFY, ...).  Rendering needs no connection: a
 * handle with a forced dialect is enough, which is how the SQL Server
 * statements are tested without a server.
 *
 * Invariant: every identifier goes through upg_quote_ident() with the
 * dialect's quote characters, and every constant through upg_r_literal();
 * the only text copied as written is SQL the catalog author wrote as SQL
 * (sql-type, default-sql, using, check expressions).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

int
upg_render_init(struct upg_render *r, struct upgrade_conn *conn, const char *schema)
{
	const struct upg_dialect *d;

	memset(r, 0, sizeof *r);
	d = conn->connected ? conn->dialect : conn->forced;
	r->err = &conn->err;
	if (d == NULL)
		return r->ret = upg_error_set(&conn->err, UPGRADE_EINVAL,
		                              "no dialect yet: connect or choose a dialect first");
	r->d = d;
	r->qo = d->quote_open;
	r->qc = d->quote_close;
	if (r->qo == '\0') {
		/* The generic dialect quotes with whatever the driver says; ANSI without a driver.
		 */
		r->qo = r->qc =
		    conn->connected && conn->driver_quote != '\0' ? conn->driver_quote : '"';
	}
	if (conn->connected) {
		r->caps = conn->caps;
		r->version = upg_version_parse(conn->dbms_ver);
	} else {
		r->caps = d->caps;
	}
	if (schema != NULL && (r->caps & (UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_DATABASE_SCHEMAS)))
		r->schema = schema;
	return UPGRADE_OK;
}

void
upg_render_free(struct upg_render *r)
{
	size_t i;

	for (i = 0; i < r->nstmts; i++)
		free(r->stmts[i]);
	free(r->stmts);
	upg_buf_free(&r->cur);
	r->stmts = NULL;
	r->nstmts = r->capstmts = 0;
}

int
upg_r_fail(struct upg_render *r, int code, const char *fmt, ...)
{
	va_list ap;

	/* The first failure explains best; later ones are consequences. */
	if (r->ret != UPGRADE_OK)
		return r->ret;
	va_start(ap, fmt);
	upg_error_vset(r->err, code, fmt, ap);
	va_end(ap);
	r->ret = code;
	return code;
}

void
upg_r_puts(struct upg_render *r, const char *s)
{
	if (r->ret == UPGRADE_OK)
		upg_buf_puts(&r->cur, s);
}

void
upg_r_printf(struct upg_render *r, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	if (r->ret != UPGRADE_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	/* Only short, generated pieces come through here; longer text uses upg_r_puts(). */
	if (n < 0 || (size_t)n >= sizeof tmp) {
		upg_r_fail(r, UPGRADE_ERROR, "internal: rendered piece too long");
		return;
	}
	upg_buf_puts(&r->cur, tmp);
}

void
upg_r_ident(struct upg_render *r, const char *name)
{
	const char *why;
	char *q;

	if (r->ret != UPGRADE_OK)
		return;
	q = upg_quote_ident(name, r->qo, r->qc, r->d->max_ident_len, r->d->ident_unit, &why);
	if (q == NULL) {
		r->ret = upg_ident_refused(r->err, r->d, name, why);
		return;
	}
	upg_buf_puts(&r->cur, q);
	free(q);
}

void
upg_r_qname(struct upg_render *r, const char *name)
{
	if (r->schema != NULL) {
		upg_r_ident(r, r->schema);
		upg_r_puts(r, ".");
	}
	upg_r_ident(r, name);
}

void
upg_r_literal(struct upg_render *r, const char *value)
{
	const char *p;

	if (r->ret != UPGRADE_OK)
		return;
	if (value == NULL) {
		upg_buf_puts(&r->cur, "NULL");
		return;
	}
	if (!upg_utf8_valid(value, strlen(value))) {
		upg_r_fail(r, UPGRADE_EINVAL, "a constant is not valid UTF-8");
		return;
	}
	if (r->d->literal_prefix != NULL)
		upg_buf_puts(&r->cur, r->d->literal_prefix);
	upg_buf_putc(&r->cur, '\'');
	for (p = value; *p != '\0'; p++) {
		upg_buf_putc(&r->cur, *p);
		/* Doubling is the SQL escape; MariaDB also reads backslash escapes. */
		if (*p == '\'' || (*p == '\\' && r->d->literal_backslash))
			upg_buf_putc(&r->cur, *p);
	}
	upg_buf_putc(&r->cur, '\'');
}

/* An optional minus, digits, an optional fraction: safe to write as it is. */
static int
is_number(const char *s)
{
	const char *p = s;
	int digits = 0;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	return digits > 0 && *p == '\0' && digits < 40;
}

void
upg_r_value(struct upg_render *r, const char *value, const struct upg_coltype *type)
{
	if (value != NULL && type != NULL && type->kind == UPG_TYPE_BOOLEAN) {
		if (upg_strcaseeq(value, "true") || strcmp(value, "1") == 0) {
			upg_r_puts(r, r->d->bool_true);
			return;
		}
		if (upg_strcaseeq(value, "false") || strcmp(value, "0") == 0) {
			upg_r_puts(r, r->d->bool_false);
			return;
		}
	}
	if (value != NULL && type != NULL &&
	    (type->kind == UPG_TYPE_INTEGER || type->kind == UPG_TYPE_BIGINT ||
	     type->kind == UPG_TYPE_NUMERIC) &&
	    is_number(value)) {
		upg_r_puts(r, value);
		return;
	}
	upg_r_literal(r, value);
}

void
upg_r_type(struct upg_render *r, const struct upg_coltype *t)
{
	if (r->ret != UPGRADE_OK)
		return;
	if (t->kind == UPG_TYPE_NONE) {
		if (t->sql == NULL || t->sql[0] == '\0') {
			upg_r_fail(r, UPGRADE_EINVAL, "a column needs a type");
			return;
		}
		upg_r_puts(r, t->sql);
		return;
	}
	if (t->kind >= UPG_TYPE_COUNT || r->d->type_names == NULL ||
	    r->d->type_names[t->kind] == NULL) {
		upg_r_fail(r, UPGRADE_EUNSUPPORTED, "the %s dialect has no %s type", r->d->name,
		           upg_type_name(t->kind) != NULL ? upg_type_name(t->kind) : "such");
		return;
	}
	upg_r_puts(r, r->d->type_names[t->kind]);
	if (t->kind == UPG_TYPE_VARCHAR) {
		if (t->length == 0) {
			upg_r_fail(r, UPGRADE_EINVAL, "varchar needs a length");
			return;
		}
		upg_r_printf(r, "(%lu)", t->length);
	} else if (t->kind == UPG_TYPE_NUMERIC && t->precision > 0) {
		if (t->scale > t->precision) {
			upg_r_fail(r, UPGRADE_EINVAL, "numeric scale %lu exceeds its precision %lu",
			           t->scale, t->precision);
			return;
		}
		upg_r_printf(r, "(%lu,%lu)", t->precision, t->scale);
	}
}

void
upg_r_names(struct upg_render *r, const char *const *names, size_t n)
{
	size_t i;

	if (n == 0) {
		upg_r_fail(r, UPGRADE_EINVAL, "an empty list of columns");
		return;
	}
	upg_r_puts(r, "(");
	for (i = 0; i < n; i++) {
		if (i > 0)
			upg_r_puts(r, ", ");
		upg_r_ident(r, names[i]);
	}
	upg_r_puts(r, ")");
}

void
upg_r_coldef(struct upg_render *r, const struct upg_coldef *c, int inline_keys)
{
	upg_r_ident(r, c->name);
	upg_r_puts(r, " ");
	upg_r_type(r, &c->type);
	if (c->def_value != NULL && c->def_sql != NULL) {
		upg_r_fail(r, UPGRADE_EINVAL, "column %s: give default or default-sql, not both",
		           c->name);
		return;
	}
	if (c->def_value != NULL) {
		upg_r_puts(r, " DEFAULT ");
		upg_r_value(r, c->def_value, &c->type);
	} else if (c->def_sql != NULL) {
		/* Parentheses: SQLite takes an expression default only in them. */
		upg_r_puts(r, " DEFAULT (");
		upg_r_puts(r, c->def_sql);
		upg_r_puts(r, ")");
	}
	if (c->notnull || (inline_keys && c->pk))
		upg_r_puts(r, " NOT NULL");
	if (inline_keys && c->pk)
		upg_r_puts(r, " PRIMARY KEY");
	else if (inline_keys && c->unique)
		upg_r_puts(r, " UNIQUE");
}

void
upg_r_end(struct upg_render *r)
{
	char *s;

	if (r->ret != UPGRADE_OK)
		return;
	if (r->cur.failed) {
		r->ret = upg_error_oom(r->err);
		return;
	}
	if (upg_grow(&r->stmts, &r->capstmts, r->nstmts + 1, sizeof *r->stmts, 4) != UPGRADE_OK) {
		r->ret = upg_error_oom(r->err);
		return;
	}
	s = upg_buf_detach(&r->cur);
	if (s == NULL)
		s = upg_strdup("");
	if (s == NULL) {
		r->ret = upg_error_oom(r->err);
		return;
	}
	r->stmts[r->nstmts++] = s;
}

char *
upg_r_take(struct upg_render *r)
{
	char *s;

	if (r->ret != UPGRADE_OK) {
		upg_buf_free(&r->cur);
		return NULL;
	}
	if (r->cur.failed) {
		upg_buf_free(&r->cur);
		r->ret = upg_error_oom(r->err);
		return NULL;
	}
	s = upg_buf_detach(&r->cur);
	if (s == NULL && (s = upg_strdup("")) == NULL)
		r->ret = upg_error_oom(r->err);
	return s;
}

/* ---- operations ------------------------------------------------------------ */

static void
alter_table(struct upg_render *r, const char *table)
{
	upg_r_puts(r, "ALTER TABLE ");
	upg_r_qname(r, table);
	upg_r_puts(r, " ");
}

int
upg_render_create_table(struct upg_render *r, const char *table, const struct upg_coldef *cols,
                        size_t ncols)
{
	size_t i, npk = 0;

	if (ncols == 0)
		return upg_r_fail(r, UPGRADE_EINVAL, "table %s: no columns", table);
	for (i = 0; i < ncols; i++)
		npk += cols[i].pk != 0;
	upg_r_puts(r, "CREATE TABLE ");
	upg_r_qname(r, table);
	upg_r_puts(r, " (");
	for (i = 0; i < ncols; i++) {
		if (i > 0)
			upg_r_puts(r, ", ");
		/* A one-column key stays inline: SQLite's INTEGER PRIMARY KEY is then the rowid. */
		upg_r_coldef(r, &cols[i], npk <= 1);
		if (npk > 1 && cols[i].unique)
			upg_r_puts(r, " UNIQUE");
	}
	if (npk > 1) {
		upg_r_puts(r, ", PRIMARY KEY (");
		for (i = 0; i < ncols; i++) {
			if (!cols[i].pk)
				continue;
			upg_r_ident(r, cols[i].name);
			if (--npk > 0)
				upg_r_puts(r, ", ");
		}
		upg_r_puts(r, ")");
	}
	upg_r_puts(r, ")");
	upg_r_end(r);
	return r->ret;
}

int
upg_render_drop_table(struct upg_render *r, const char *table)
{
	upg_r_puts(r, "DROP TABLE ");
	upg_r_qname(r, table);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_rename_table(struct upg_render *r, const char *from, const char *to)
{
	if (r->d->render_rename_table != NULL)
		return r->ret != UPGRADE_OK ? r->ret : r->d->render_rename_table(r, from, to);
	alter_table(r, from);
	/* The new name stays unqualified: a table cannot change schema by renaming. */
	upg_r_puts(r, "RENAME TO ");
	upg_r_ident(r, to);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_add_column(struct upg_render *r, const char *table, const struct upg_coldef *col)
{
	alter_table(r, table);
	upg_r_puts(r, r->d->add_column_clause != NULL ? r->d->add_column_clause : "ADD COLUMN");
	upg_r_puts(r, " ");
	upg_r_coldef(r, col, 1);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_drop_column(struct upg_render *r, const char *table, const char *column)
{
	alter_table(r, table);
	upg_r_puts(r, "DROP COLUMN ");
	upg_r_ident(r, column);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_rename_column(struct upg_render *r, const char *table, const char *from, const char *to)
{
	if (r->d->render_rename_column != NULL)
		return r->ret != UPGRADE_OK ? r->ret
		                            : r->d->render_rename_column(r, table, from, to);
	alter_table(r, table);
	upg_r_puts(r, "RENAME COLUMN ");
	upg_r_ident(r, from);
	upg_r_puts(r, " TO ");
	upg_r_ident(r, to);
	upg_r_end(r);
	return r->ret;
}

/* "ALTER TABLE t ALTER COLUMN c " */
static void
alter_col(struct upg_render *r, const struct upg_alter *a)
{
	alter_table(r, a->table);
	upg_r_puts(r, "ALTER COLUMN ");
	upg_r_ident(r, a->column);
	upg_r_puts(r, " ");
}

int
upg_render_alter_column_ansi(struct upg_render *r, const struct upg_alter *a,
                             const char *type_keyword, int allow_using)
{
	int any = 0, type = a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL;

	if (a->using_sql != NULL && !allow_using)
		return upg_r_fail(r, UPGRADE_EUNSUPPORTED,
		                  "column %s.%s: %s has no USING conversion; it converts implicitly "
		                  "or needs the conversion as <sql>",
		                  a->table, a->column, r->d->title);
	/*
	 * An engine may convert the old default along with the type, and fail
	 * when it cannot: a default being replaced or dropped goes first.
	 */
	if (type && a->def_change != UPG_DEF_KEEP) {
		alter_col(r, a);
		upg_r_puts(r, "DROP DEFAULT");
		upg_r_end(r);
	}
	if (type) {
		alter_col(r, a);
		upg_r_puts(r, type_keyword);
		upg_r_puts(r, " ");
		upg_r_type(r, &a->type);
		if (a->using_sql != NULL) {
			upg_r_puts(r, " USING ");
			upg_r_puts(r, a->using_sql);
		}
		upg_r_end(r);
		any = 1;
	} else if (a->using_sql != NULL) {
		return upg_r_fail(r, UPGRADE_EINVAL, "column %s.%s: using needs a new type",
		                  a->table, a->column);
	}
	if (a->null_change != UPG_NULL_KEEP) {
		alter_col(r, a);
		upg_r_puts(r, a->null_change == UPG_NULL_FORBID ? "SET NOT NULL" : "DROP NOT NULL");
		upg_r_end(r);
		any = 1;
	}
	if (a->def_change == UPG_DEF_DROP && type) {
		any = 1;
	} else if (a->def_change != UPG_DEF_KEEP) {
		alter_col(r, a);
		if (a->def_change == UPG_DEF_DROP) {
			upg_r_puts(r, "DROP DEFAULT");
		} else if (a->def_change == UPG_DEF_VALUE) {
			upg_r_puts(r, "SET DEFAULT ");
			upg_r_value(r, a->def, upg_alter_value_type(a));
		} else {
			upg_r_puts(r, "SET DEFAULT ");
			upg_r_puts(r, a->def);
		}
		upg_r_end(r);
		any = 1;
	}
	if (!any)
		return upg_r_fail(r, UPGRADE_EINVAL, "column %s.%s: nothing to change", a->table,
		                  a->column);
	return r->ret;
}

int
upg_render_alter_column(struct upg_render *r, const struct upg_alter *a)
{
	if (r->ret != UPGRADE_OK)
		return r->ret;
	if (r->d->render_alter_column != NULL)
		return r->d->render_alter_column(r, a);
	return upg_render_alter_column_ansi(r, a, "SET DATA TYPE", 0);
}

int
upg_render_create_index(struct upg_render *r, const char *name, const char *table,
                        const char *const *cols, size_t ncols, int unique)
{
	upg_r_puts(r, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	/* Index names are never qualified here: the index goes to its table's schema. */
	upg_r_ident(r, name);
	upg_r_puts(r, " ON ");
	upg_r_qname(r, table);
	upg_r_puts(r, " ");
	upg_r_names(r, cols, ncols);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_drop_index(struct upg_render *r, const char *name, const char *table)
{
	upg_r_puts(r, "DROP INDEX ");
	if (r->d->drop_index_on_table) {
		if (table == NULL)
			return upg_r_fail(r, UPGRADE_EINVAL,
			                  "%s needs the table of index %s (index names are per table)",
			                  r->d->title, name);
		upg_r_ident(r, name);
		upg_r_puts(r, " ON ");
		upg_r_qname(r, table);
	} else {
		upg_r_qname(r, name);
	}
	upg_r_end(r);
	return r->ret;
}

static void
constraint_name(struct upg_render *r, const char *name)
{
	upg_r_puts(r, "CONSTRAINT ");
	upg_r_ident(r, name);
	upg_r_puts(r, " ");
}

int
upg_render_constraint_unique(struct upg_render *r, const char *name, const char *const *cols,
                             size_t ncols)
{
	constraint_name(r, name);
	upg_r_puts(r, "UNIQUE ");
	upg_r_names(r, cols, ncols);
	return r->ret;
}

static const char *
fk_action(int action)
{
	switch (action) {
	case UPG_FK_CASCADE: return "CASCADE";
	case UPG_FK_SET_NULL: return "SET NULL";
	case UPG_FK_SET_DEFAULT: return "SET DEFAULT";
	case UPG_FK_RESTRICT: return "RESTRICT";
	case UPG_FK_NO_ACTION: return "NO ACTION";
	default: return NULL;
	}
}

int
upg_render_constraint_fk(struct upg_render *r, const char *name, const char *const *cols,
                         size_t ncols, const char *ref_table, const char *const *ref_cols,
                         size_t nref, int on_delete, int on_update)
{
	if (ncols != nref)
		return upg_r_fail(r, UPGRADE_EINVAL,
		                  "foreign key %s: %zu columns refer to %zu columns", name, ncols,
		                  nref);
	if ((on_delete != UPG_FK_NONE && fk_action(on_delete) == NULL) ||
	    (on_update != UPG_FK_NONE && fk_action(on_update) == NULL))
		return upg_r_fail(r, UPGRADE_EINVAL, "foreign key %s: unknown action", name);
	constraint_name(r, name);
	upg_r_puts(r, "FOREIGN KEY ");
	upg_r_names(r, cols, ncols);
	upg_r_puts(r, " REFERENCES ");
	upg_r_qname(r, ref_table);
	upg_r_puts(r, " ");
	upg_r_names(r, ref_cols, nref);
	if (on_delete != UPG_FK_NONE) {
		upg_r_puts(r, " ON DELETE ");
		upg_r_puts(r, fk_action(on_delete));
	}
	if (on_update != UPG_FK_NONE) {
		upg_r_puts(r, " ON UPDATE ");
		upg_r_puts(r, fk_action(on_update));
	}
	return r->ret;
}

int
upg_render_constraint_check(struct upg_render *r, const char *name, const char *expr)
{
	if (expr == NULL || expr[0] == '\0')
		return upg_r_fail(r, UPGRADE_EINVAL, "check %s: empty expression", name);
	constraint_name(r, name);
	upg_r_puts(r, "CHECK (");
	upg_r_puts(r, expr);
	upg_r_puts(r, ")");
	return r->ret;
}

int
upg_render_add_constraint(struct upg_render *r, const char *table, const char *constraint_sql)
{
	alter_table(r, table);
	upg_r_puts(r, "ADD ");
	upg_r_puts(r, constraint_sql);
	upg_r_end(r);
	return r->ret;
}

int
upg_render_drop_constraint(struct upg_render *r, const char *table, const char *name, int ctype)
{
	if (r->d->render_drop_constraint != NULL)
		return r->ret != UPGRADE_OK ? r->ret
		                            : r->d->render_drop_constraint(r, table, name, ctype);
	alter_table(r, table);
	upg_r_puts(r, "DROP CONSTRAINT ");
	upg_r_ident(r, name);
	upg_r_end(r);
	return r->ret;
}

/* ---- column types ------------------------------------------------------------- */

static const char *const type_words[UPG_TYPE_COUNT] = {
    [UPG_TYPE_INTEGER] = "integer", [UPG_TYPE_BIGINT] = "bigint",
    [UPG_TYPE_TEXT] = "text",       [UPG_TYPE_VARCHAR] = "varchar",
    [UPG_TYPE_BOOLEAN] = "boolean", [UPG_TYPE_TIMESTAMP] = "timestamp",
    [UPG_TYPE_DATE] = "date",       [UPG_TYPE_NUMERIC] = "numeric",
    [UPG_TYPE_JSON] = "json",       [UPG_TYPE_BLOB] = "blob",
};

const char *
upg_type_name(enum upg_type kind)
{
	return kind > UPG_TYPE_NONE && kind < UPG_TYPE_COUNT ? type_words[kind] : NULL;
}

/* Reads a positive decimal below 10^9 at *p; 0 when there is none. */
static unsigned long
read_number(const char **p)
{
	unsigned long v = 0;
	int digits = 0;

	while (**p == ' ')
		(*p)++;
	while (**p >= '0' && **p <= '9' && digits < 9) {
		v = v * 10 + (unsigned long)(**p - '0');
		(*p)++;
		digits++;
	}
	while (**p == ' ')
		(*p)++;
	return digits > 0 && !(**p >= '0' && **p <= '9') ? v : 0;
}

int
upg_coltype_parse(struct upg_coltype *t, const char *spec, struct upg_error *err)
{
	size_t i, len;
	const char *p;

	memset(t, 0, sizeof *t);
	if (spec == NULL || spec[0] == '\0')
		return upg_error_set(err, UPGRADE_EINVAL, "empty column type");
	len = strcspn(spec, "( ");
	for (i = 1; i < UPG_TYPE_COUNT; i++)
		if (strlen(type_words[i]) == len && upg_strncaseeq(spec, type_words[i], len))
			break;
	if (i == UPG_TYPE_COUNT)
		goto bad;
	t->kind = (enum upg_type)i;
	p = spec + len;
	while (*p == ' ')
		p++;
	if (*p == '\0') {
		if (t->kind == UPG_TYPE_VARCHAR)
			return upg_error_set(err, UPGRADE_EINVAL,
			                     "type '%s' needs a length: varchar(n)", spec);
		return UPGRADE_OK;
	}
	if (*p != '(' || (t->kind != UPG_TYPE_VARCHAR && t->kind != UPG_TYPE_NUMERIC))
		goto bad;
	p++;
	if (t->kind == UPG_TYPE_VARCHAR) {
		if ((t->length = read_number(&p)) == 0)
			goto bad;
	} else {
		if ((t->precision = read_number(&p)) == 0)
			goto bad;
		if (*p == ',') {
			p++;
			while (*p == ' ')
				p++;
			if (*p == '0') {
				p++;
				t->scale = 0;
				while (*p == ' ')
					p++;
			} else if ((t->scale = read_number(&p)) == 0) {
				goto bad;
			}
		}
	}
	if (*p != ')' || p[1] != '\0')
		goto bad;
	return UPGRADE_OK;
bad:
	memset(t, 0, sizeof *t);
	return upg_error_set(err, UPGRADE_EINVAL,
	                     "unknown column type '%s' (portable types: integer, bigint, text, "
	                     "varchar(n), boolean, timestamp, date, numeric[(p[,s])], json, blob; "
	                     "use sql-type for the engine's own)",
	                     spec);
}
