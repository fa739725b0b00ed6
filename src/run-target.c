/* SPDX-License-Identifier: MIT */
/*
 * run-target.c - what the runner works on: the connection and its schemas.
 *
 * Checks that a command may start (handles, catalog, autocommit, a
 * primary when it writes), resolves the target schemas from the names and
 * patterns given (or the current schema), and opens one for work:
 * switched to, locked, its state read.  Schema names reach SQL only
 * through the dialect's templates, quoted.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Frees n strings and the array that holds them. */
void
upg_run_free_names(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

static int
list_has(const struct upg_schema_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

static void
list_add(struct upg_schema_list *l, const char *name)
{
	if (l->failed || list_has(l, name))
		return;
	if (upg_grow(&l->names, &l->cap, l->n + 1, sizeof *l->names, 16) != UPGRADE_OK) {
		l->failed = 1;
		return;
	}
	if ((l->names[l->n] = upg_strdup(name)) == NULL)
		l->failed = 1;
	else
		l->n++;
}

struct listing {
	struct upg_schema_list *list;
	int (*system_schema)(const char *name);
};

static int
collect_all(void *ud, size_t ncols, char **values)
{
	struct listing *l = ud;

	if (values[0] != NULL && (l->system_schema == NULL || !l->system_schema(values[0])))
		list_add(l->list, values[0]);
	return 0;
}

/* The connection's current schema; *out allocated. */
int
upg_run_current_schema(struct upgrade_conn *conn, char **out)
{
	const struct upg_dialect *d = conn->dialect;
	int ret;

	*out = NULL;
	if (d->current_schema_sql == NULL) {
		*out = upg_strdup(d->default_schema != NULL ? d->default_schema : "default");
		return *out != NULL ? UPGRADE_OK : upg_error_oom(&conn->err);
	}
	ret = upg_db_query_string(conn, d->current_schema_sql, out);
	if (ret != UPGRADE_OK)
		return ret;
	if (*out == NULL || (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		return upg_error_set(&conn->err, UPGRADE_ENOTFOUND,
		                     "the connection has no current schema (database); name one");
	}
	return UPGRADE_OK;
}

static int schema_sql(struct upgrade_conn *conn, const char *tmpl, const char *schema);

/*
 * Creates a schema not in all, and adds it there (a name given twice is
 * created once).  Another run may create it first (two targets of one
 * database, both first): a failure is no failure when the schema is then
 * listed.
 */
static int
create_schema(struct upgrade_runner *r, struct upgrade_conn *conn, struct upg_schema_list *all,
              const char *schema)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_schema_list now = {NULL, 0, 0, 0};
	struct listing listing = {&now, d->system_schema};
	int there;

	if (schema_sql(conn, d->create_schema_sql, schema) != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		there = d->list_schemas_sql != NULL &&
		        upg_db_query(conn, d->list_schemas_sql, 0, NULL, collect_all, &listing) >= 0 &&
		        list_has(&now, schema);
		upg_run_free_names(now.names, now.n);
		if (!there) {
			upg_error_restore(&conn->err, &keep);
			return upg_error_set(&r->err, conn->err.code, "cannot create schema '%s': %s",
			                     schema, upg_error_message(&conn->err));
		}
		upg_error_clear(&keep);
		upg_error_clear(&conn->err);
	}
	list_add(all, schema);
	return all->failed ? upg_error_oom(&r->err) : UPGRADE_OK;
}

/*
 * The target schemas: the named ones, then those matching a pattern, each
 * once, in that order; by default the connection's current schema.  A
 * named schema must exist: a typo would otherwise be "upgraded" (the state
 * table created in it, or its creation failing half-way) or, for status,
 * reported as a fresh schema.  Only a real run with create_schemas set
 * (create is then 1) creates a missing one, through the dialect.  Dialects
 * that cannot list schemas (SQLite) have exactly one, the current one.
 */
int
upg_run_resolve_schemas(struct upgrade_runner *r, struct upgrade_conn *conn,
                        struct upg_schema_list *out, int create)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_schema_list all = {NULL, 0, 0, 0};
	char *cur = NULL;
	size_t i, j;
	int ret = UPGRADE_OK;

	if (r->nschemas == 0 && r->npatterns == 0) {
		if (upg_run_current_schema(conn, &cur) != UPGRADE_OK)
			return upg_error_copy(&r->err, &conn->err);
		list_add(out, cur);
		free(cur);
		return out->failed ? upg_error_oom(&r->err) : UPGRADE_OK;
	}
	if (d->list_schemas_sql == NULL) {
		if ((ret = upg_run_current_schema(conn, &cur)) != UPGRADE_OK)
			return upg_error_copy(&r->err, &conn->err);
		list_add(&all, cur);
		free(cur);
	} else {
		struct listing listing = {&all, d->system_schema};

		if (upg_db_query(conn, d->list_schemas_sql, 0, NULL, collect_all, &listing) < 0) {
			upg_run_free_names(all.names, all.n);
			return upg_error_copy(&r->err, &conn->err);
		}
		/* Patterns then match in one order whatever order the server listed in. */
		if (d->system_schema != NULL && !d->list_schemas_final && all.n > 1)
			qsort(all.names, all.n, sizeof *all.names, upg_cmp_strings);
	}
	/* Every name is checked before any schema is created: nothing half done. */
	for (i = 0; ret == UPGRADE_OK && i < r->nschemas; i++) {
		char *q = NULL;

		if (upgrade_conn_quote_ident(&q, conn, r->schemas[i]) != UPGRADE_OK)
			ret = upg_error_copy(&r->err, &conn->err);
		else if (d->system_schema != NULL && d->system_schema(r->schemas[i]))
			ret = upg_error_set(&r->err, UPGRADE_EINVAL,
			                    "schema '%s' is the engine's own: it is never upgraded",
			                    r->schemas[i]);
		free(q);
	}
	for (i = 0; ret == UPGRADE_OK && i < r->nschemas; i++) {
		if (!list_has(&all, r->schemas[i]) && !all.failed) {
			if (create && d->create_schema_sql != NULL) {
				ret = create_schema(r, conn, &all, r->schemas[i]);
			} else if (d->list_schemas_sql == NULL)
				ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND,
				                    "no schema '%s': a %s database has one schema, '%s'",
				                    r->schemas[i], d->name, all.n > 0 ? all.names[0] : "?");
			else
				ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND,
				                    "no schema '%s' in this database (or this user may not "
				                    "see it)%s",
				                    r->schemas[i],
				                    d->create_schema_sql == NULL ? ""
				                    : r->create_schemas         ? "; a dry run does not create it"
				                                                : "; run --create-schemas creates it");
		}
		list_add(out, r->schemas[i]);
	}
	for (j = 0; ret == UPGRADE_OK && j < r->npatterns; j++) {
		size_t matched = 0;
		for (i = 0; i < all.n; i++)
			if (fnmatch(r->patterns[j], all.names[i], 0) == 0) {
				list_add(out, all.names[i]);
				matched++;
			}
		if (matched == 0)
			ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND, "no schema matches '%s'",
			                    r->patterns[j]);
	}
	if (ret == UPGRADE_OK && (out->failed || all.failed))
		ret = upg_error_oom(&r->err);
	upg_run_free_names(all.names, all.n);
	return ret;
}

/* Executes one of the dialect's schema templates with the quoted schema name. */
static int
schema_sql(struct upgrade_conn *conn, const char *tmpl, const char *schema)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_buf sql = UPG_BUF_INIT;
	char *q = NULL;
	int ret;

	if ((ret = upgrade_conn_quote_ident(&q, conn, schema)) != UPGRADE_OK)
		return ret;
	{
		/* The dialect's template has exactly one "%s", for the quoted name. */
		const char *hole = strstr(tmpl, "%s");
		if (hole == NULL) {
			free(q);
			return upg_error_set(&conn->err, UPGRADE_ERROR, "bad schema template '%s' in dialect %s",
			                     tmpl, d->name);
		}
		upg_buf_append(&sql, tmpl, (size_t)(hole - tmpl));
		upg_buf_puts(&sql, q);
		upg_buf_puts(&sql, hole + 2);
	}
	free(q);
	if (sql.failed)
		return upg_error_oom(&conn->err);
	ret = upg_db_exec(conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	return ret;
}

/* Makes schema the connection's current one, where the dialect has schemas to switch. */
int
upg_run_use_schema(struct upgrade_conn *conn, const char *schema)
{
	const struct upg_dialect *d = conn->dialect;

	if (d->use_schema != NULL)
		return d->use_schema(conn, schema);
	if (d->use_schema_sql == NULL)
		return UPGRADE_OK;
	return schema_sql(conn, d->use_schema_sql, schema);
}

/* Reports that the schema's lock is held by another run (who) and the wait has begun. */
static void
lock_wait_event(void *ud, const char *lock, const char *who, long timeout_ms)
{
	struct upg_run *run = ud;
	struct upgrade_event ev;

	(void)lock;
	upg_run_event_init(&ev, UPGRADE_EVENT_LOCK_WAIT, run->schema);
	ev.message = who != NULL ? who : "holder unknown";
	ev.count = timeout_ms;
	upg_run_emit(run, &ev);
}

/* Takes the named lock, reporting a wait; up to the runner's lock timeout. */
int
upg_run_lock_schema(struct upg_run *run, const char *name, struct upg_lock **lock)
{
	return upg_lock_acquire_notify(run->conn, name, run->r->lock_timeout_ms, lock_wait_event, run,
	                               lock);
}

/*
 * Opens a schema for work: switch to it, lock it, read its state.  *lock
 * stays NULL for dialects that cannot lock.
 */
int
upg_run_open_schema(struct upg_run *run, struct upg_lock **lock, struct upg_state **st, int create)
{
	int ret;

	*lock = NULL;
	*st = NULL;
	if ((ret = upg_run_use_schema(run->conn, run->schema)) != UPGRADE_OK)
		return ret;
	/* `upgrade sql` writes nothing: it takes no lock that could keep a run waiting. */
	if (run->conn->dialect->lock_try != NULL && !run->r->sql_only) {
		ret = upg_run_lock_schema(run, run->schema, lock);
		if (ret != UPGRADE_OK)
			return ret;
	}
	ret = upg_state_open(st, run->conn, run->schema, create);
	if (ret != UPGRADE_OK) {
		upg_lock_release(*lock);
		*lock = NULL;
	}
	return ret;
}

/* Undoes upg_run_open_schema(); either may be NULL. */
void
upg_run_close_schema(struct upg_lock *lock, struct upg_state *st)
{
	upg_state_free(st);
	upg_lock_release(lock);
}

/* The preconditions of every command: live handles, a prepared catalog, autocommit. */
int
upg_run_check_ready(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	upg_error_clear(&r->err);
	if (!UPG_IS(conn, CONN))
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no connection handle");
	if (!r->cat->prepared)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "the catalog is not prepared");
	/* Its install blocks and modules would still be there to run and record. */
	if (!r->cat->runnable)
		return upg_error_set(&r->err, UPGRADE_EINVAL,
		                     "the catalog has errors (upgrade_catalog_prepare failed)");
	if (!conn->connected)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "not connected");
	upg_conn_sync_autocommit(conn);
	if (!conn->autocommit)
		return upg_error_set(&r->err, UPGRADE_EINVAL,
		                     "the connection is inside a transaction; the runner needs autocommit");
	return UPGRADE_OK;
}

/*
 * A command that writes fails before its first schema when the server
 * takes no writes: on a standby every task would fail, and a run with
 * nothing pending would succeed without the primary having been checked.
 */
int
upg_run_check_writable(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	char *why = NULL;
	int ret;

	if (conn->dialect->read_only == NULL)
		return UPGRADE_OK;
	if ((ret = conn->dialect->read_only(conn, &why)) != UPGRADE_OK) {
		upg_error_copy(&r->err, &conn->err);
		return ret;
	}
	if (why == NULL)
		return UPGRADE_OK;
	ret = upg_error_set(&r->err, UPGRADE_EREADONLY,
	                    "%s; this command writes, so point it at the primary", why);
	free(why);
	return ret;
}

/*
 * Runs fn on every target schema with its state open (and locked when
 * writing), in order, stopping at the first failure, whose message it
 * copies to the runner.  write: 0 reads; 1 locks and creates the state
 * tables where they are missing; 2 locks and creates nothing (a command
 * that only changes what is recorded).  A command that writes is refused
 * on a server that takes no writes.
 */
int
upg_run_each_schema(struct upgrade_runner *r, struct upgrade_conn *conn, int write,
                    int (*fn)(struct upg_run *run, struct upg_state *st, void *ud), void *ud)
{
	struct upg_schema_list schemas = {NULL, 0, 0, 0};
	size_t i;
	int ret;

	if ((ret = upg_run_check_ready(r, conn)) != UPGRADE_OK)
		return ret;
	if (write && (ret = upg_run_check_writable(r, conn)) != UPGRADE_OK)
		return ret;
	if ((ret = upg_run_resolve_schemas(r, conn, &schemas, 0)) != UPGRADE_OK)
		goto done;
	for (i = 0; ret == UPGRADE_OK && i < schemas.n; i++) {
		struct upg_run run = {.r = r,
		                      .conn = conn,
		                      .schema = schemas.names[i],
		                      .index = (long)i + 1,
		                      .total = (long)schemas.n};
		struct upg_lock *lock = NULL;
		struct upg_state *st = NULL;

		if (write) {
			ret = upg_run_open_schema(&run, &lock, &st, write == 1);
		} else {
			/* Reading needs no lock; a status must not wait behind a running upgrade. */
			ret = upg_run_use_schema(conn, run.schema);
			if (ret == UPGRADE_OK)
				ret = upg_state_open(&st, conn, run.schema, 0);
		}
		if (ret == UPGRADE_OK)
			ret = fn(&run, st, ud);
		upg_run_close_schema(lock, st);
		if (ret != UPGRADE_OK)
			upg_error_copy(&r->err, &conn->err);
	}
done:
	upg_run_free_names(schemas.names, schemas.n);
	return ret;
}
