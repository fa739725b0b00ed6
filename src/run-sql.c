/* SPDX-License-Identifier: MIT */
/*
 * run-sql.c - `upgrade sql`: what a run would send, shown instead of sent.
 *
 * A pending task is walked as a run would walk it: its guards and its
 * steps' guards are asked of the database (they only read), assertions
 * are evaluated, and every action runs with the connection capturing (see
 * src/db.c), so that a statement that would change the database is
 * written into the text instead of executed, while the reads that
 * operations make (introspection) still happen.  The text goes out as
 * UPGRADE_EVENT_SQL events: the statements, each ended by ";", and as
 * comments the transaction bounds, the guards' answers and the state
 * write that would record the task.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/* Sends buf as one SQL event of task (NULL: of the schema) and empties it. */
static int
flush(struct upg_run *run, const struct upgrade_task *task, struct upg_buf *buf)
{
	struct upgrade_event ev;

	if (buf->failed) {
		upg_buf_free(buf);
		return upg_error_oom(&run->conn->err);
	}
	if (buf->len == 0)
		return UPGRADE_OK;
	upg_run_event_init(&ev, UPGRADE_EVENT_SQL, run->schema);
	ev.task = task;
	ev.message = upg_buf_str(buf);
	upg_run_emit(run, &ev);
	upg_buf_free(buf);
	return UPGRADE_OK;
}

/* "-- " and the connection's message on one line: why an action cannot be shown. */
static void
put_error_comment(struct upg_buf *buf, struct upgrade_conn *conn, const char *what,
                  unsigned long line)
{
	const char *msg = upg_error_message(&conn->err);

	upg_buf_printf(buf, "-- upgrade: <%s> (line %lu) cannot be shown without running it: ", what,
	               line);
	for (; msg != NULL && *msg != '\0'; msg++)
		upg_buf_putc(buf, *msg == '\n' ? ' ' : *msg);
	upg_buf_putc(buf, '\n');
	upg_error_clear(&conn->err);
}

/*
 * Inside a dry run's open transaction (PostgreSQL) a failed statement
 * aborts it, and every later one would fail: what may fail is asked behind
 * a savepoint, rolled back to when it did (end set).  The error stays.
 */
static void
savepoint(struct upg_run *run, int end, int failed)
{
	struct upg_error keep = UPG_ERROR_INIT;

	if (!run->outer)
		return;
	upg_error_stash(&keep, &run->conn->err);
	if (!end) {
		upg_db_exec(run->conn, "SAVEPOINT upgrade_sql");
	} else {
		if (failed)
			upg_db_exec(run->conn, "ROLLBACK TO SAVEPOINT upgrade_sql");
		upg_db_exec(run->conn, "RELEASE SAVEPOINT upgrade_sql");
	}
	upg_error_restore(&run->conn->err, &keep);
}

/*
 * Asks guard now: 0 with *holds set, or 1 when the database cannot answer
 * before the run because the guard reads a table or column that is not
 * there yet (an earlier task of the run would make it): that is said in buf and
 * *holds taken as 1, since the run asks it when the task's turn comes.
 * A guard is only read, so its failure changed nothing.  Any other
 * failure is returned (a negative code, the message on the connection).
 */
static int
ask_guard(struct upg_run *run, struct upgrade_context *ctx, const struct upg_node *guard,
          const char *what, struct upg_buf *buf, int *holds)
{
	const char *msg;
	enum upg_errclass why;
	int rc;

	savepoint(run, 0, 0);
	rc = upg_guard_eval(ctx, guard, holds);
	why = rc == UPGRADE_EDB ? upg_conn_error_class(run->conn) : UPG_ERRC_OTHER;
	savepoint(run, 1, rc != UPGRADE_OK);
	if (rc == UPGRADE_OK)
		return 0;
	if (why != UPG_ERRC_NO_TABLE && why != UPG_ERRC_NO_COLUMN)
		return rc;
	*holds = 1;
	upg_buf_printf(buf, "-- upgrade: %s (line %lu) cannot be asked before the run (", what,
	               guard->line);
	for (msg = upg_error_message(&run->conn->err); msg != NULL && *msg != '\0'; msg++)
		upg_buf_putc(buf, *msg == '\n' ? ' ' : *msg);
	upg_buf_puts(buf, "); the run asks it when the task's turn comes, and if it holds sends:\n");
	upg_error_clear(&run->conn->err);
	return 1;
}

static int
ident_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Whether text has name as a word of its own, in any case, quoted or not. */
static int
names(const char *text, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (text == NULL || n == 0)
		return 0;
	for (p = text; (p = strcasestr(p, name)) != NULL; p++)
		if ((p == text || !ident_byte((unsigned char)p[-1])) && !ident_byte((unsigned char)p[n]))
			return 1;
	return 0;
}

static void
lower_ascii(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/*
 * Keeps the words of what was just shown, so that each later operation
 * costs a lookup per name instead of a scan of the whole output so far
 * (quadratic in a long script).
 */
static void
note_shown(struct upg_sql_seen *seen, const char *text, size_t len)
{
	const char *end = text + len, *p = text, *w;
	char small[128], *word;
	size_t n;

	upg_buf_append(&seen->text, text, len);
	while (p < end && !seen->lost) {
		while (p < end && !ident_byte((unsigned char)*p))
			p++;
		for (w = p; p < end && ident_byte((unsigned char)*p); p++)
			;
		if ((n = (size_t)(p - w)) == 0)
			break;
		word = n < sizeof(small) ? small : malloc(n + 1);
		if (word == NULL) {
			seen->lost = 1;
			break;
		}
		memcpy(word, w, n);
		word[n] = '\0';
		lower_ascii(word, n);
		if (upg_map_get(&seen->words, word) == NULL) {
			char *kept = upg_arena_strndup(&seen->arena, word, n);

			if (kept == NULL || upg_map_put(&seen->words, kept, kept, NULL) < 0)
				seen->lost = 1;
		}
		if (word != small)
			free(word);
	}
	if (seen->text.failed)
		seen->lost = 1;
}

/* Whether the output shown so far names name, as note_shown kept it. */
static int
seen_names(const struct upg_sql_seen *seen, const char *name)
{
	char small[128], *word;
	size_t n = strlen(name), i;
	int found;

	if (n == 0)
		return 0;
	if (seen->lost)
		return 1;
	for (i = 0; i < n; i++)
		if (!ident_byte((unsigned char)name[i]))
			return seen->text.len > 0 && names(upg_buf_str(&seen->text), name);
	if ((word = n < sizeof(small) ? small : malloc(n + 1)) == NULL)
		return 1;
	memcpy(word, name, n + 1);
	lower_ascii(word, n);
	found = upg_map_get(&seen->words, word) != NULL;
	if (word != small)
		free(word);
	return found;
}

void
upg_run_sql_forget(struct upg_run *run)
{
	upg_buf_free(&run->sql_seen.text);
	upg_map_free(&run->sql_seen.words);
	upg_arena_free(&run->sql_seen.arena);
	memset(&run->sql_seen, 0, sizeof(run->sql_seen));
}

/*
 * The object an operation that looked at the database is about, when an
 * earlier statement of this schema's output names it: its table (a
 * rename's old name), or an enum type.  NULL when none does.
 */
static const char *
named_earlier(const struct upg_run *run, const struct upg_node *action)
{
	static const char *const attrs[] = {"table", "from", NULL};
	const char *v;
	size_t i;

	if (action->kind != UPG_NODE_OP && action->kind != UPG_NODE_NATIVE)
		return NULL;
	for (i = 0; attrs[i] != NULL; i++)
		if ((v = upg_node_attr(action, attrs[i])) != NULL && seen_names(&run->sql_seen, v))
			return v;
	if (action->name != NULL && strstr(action->name, "enum") != NULL &&
	    (v = upg_node_attr(action, "name")) != NULL && seen_names(&run->sql_seen, v))
		return v;
	return NULL;
}

/*
 * An operation renders its statements from what it reads now: a SQLite
 * table rebuild lists the columns the table has before the run, a MariaDB
 * MODIFY restates the column's type as it is, an if-not-exists is decided
 * on what exists.  When an earlier statement of the output names its
 * table, the run would see that table changed, and the statements could
 * undo the change (a rebuild drops a column an earlier task adds): they
 * are kept as comments, so that the engine's own client fed the output
 * does not run them.
 */
static void
comment_out(struct upg_buf *buf, size_t start, const struct upg_node *action, const char *object)
{
	char *text = upg_strndup(buf->data + start, buf->len - start), *line, *next;

	buf->len = start;
	buf->data[start] = '\0';
	if (text == NULL) {
		buf->failed = 1;
		return;
	}
	upg_buf_printf(buf,
	               "-- upgrade: <%s> (line %lu) looked at %s as it is before the run, and an "
	               "earlier statement of this output names %s: its statements are left as "
	               "comments (run against a copy of the database to see what it sends then):\n",
	               action->name, action->line, object, object);
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		upg_buf_puts(buf, "-- ");
		upg_buf_append(buf, line, (size_t)(next - line));
	}
	if (buf->len > 0 && buf->data[buf->len - 1] != '\n')
		upg_buf_putc(buf, '\n');
	free(text);
}

/*
 * One action with the connection capturing: its statements go into buf.
 * An assertion is evaluated and its answer shown.  An action that fails
 * (one that needs what an earlier statement would have created, say) is
 * shown as a comment with the reason, and the rest goes on; so is one
 * rendered from a table an earlier statement names (comment_out).
 */
static void
show_action(struct upg_run *run, struct upgrade_context *ctx, const struct upg_node *action,
            struct upg_buf *buf)
{
	size_t start = buf->len;
	unsigned long reads = run->conn->capture_reads;
	const char *object;
	int ret;

	if (action->kind == UPG_NODE_ASSERT) {
		savepoint(run, 0, 0);
		ret = upg_action_exec(ctx, action);
		savepoint(run, 1, ret < 0);
		upg_buf_printf(buf, "-- upgrade: <assert> (line %lu) %s\n", action->line,
		               ret >= 0 ? "holds now" : "does not hold now: the run would fail here");
		upg_error_clear(&run->conn->err);
		return;
	}
	savepoint(run, 0, 0);
	run->conn->capture = buf;
	ret = upg_action_exec(ctx, action);
	run->conn->capture = NULL;
	savepoint(run, 1, ret < 0);
	if (ret < 0) {
		put_error_comment(buf, run->conn, action->name, action->line);
		return;
	}
	if (run->conn->capture_reads != reads && buf->len > start &&
	    (object = named_earlier(run, action)) != NULL) {
		comment_out(buf, start, action, object);
		return;
	}
	if (!buf->failed)
		note_shown(&run->sql_seen, buf->data + start, buf->len - start);
}

/*
 * The switch to the schema that a run makes before its first statement
 * there, shown first: fed to the engine's own client, the unqualified
 * names of the output then resolve where the run's would.  A session
 * setting even where the run, through transaction pooling, sets it in
 * each transaction: the output is for one session of the client.
 */
int
upg_run_sql_use_schema(struct upg_run *run)
{
	struct upgrade_conn *conn = run->conn;
	struct upg_buf buf = UPG_BUF_INIT;
	char *begin_sql = conn->begin_sql;
	int pool_mode = conn->pool_mode, ret;

	if (conn->dialect->use_schema == NULL && conn->dialect->use_schema_sql == NULL)
		return UPGRADE_OK;
	upg_buf_puts(&buf, "-- upgrade: unqualified names resolve in this schema first, as in the run\n");
	conn->begin_sql = NULL;
	conn->pool_mode = UPGRADE_POOL_SESSION;
	conn->capture = &buf;
	ret = upg_run_use_schema(conn, run->schema);
	conn->capture = NULL;
	free(conn->begin_sql);
	conn->begin_sql = begin_sql;
	conn->pool_mode = pool_mode;
	if (ret != UPGRADE_OK) {
		upg_buf_free(&buf);
		return ret;
	}
	return flush(run, NULL, &buf);
}

/*
 * Shows task as a run would execute it now (res resolved for the dialect):
 * BEGIN and COMMIT where the run gives it a transaction, the guards'
 * answers, the statements, and the state write.  Returns UPGRADE_OK, or
 * a failure to ask a guard (one reading a table not there yet excepted) or
 * to allocate.
 */
int
upg_run_task_sql(struct upg_run *run, const struct upgrade_task *task,
                 const struct upg_resolved *res)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT, .conn = run->conn,
	                              .schema = run->schema, .task = task, .dry_run = 1};
	struct upg_buf buf = UPG_BUF_INIT;
	int tx = upg_run_transactional(run), holds = 1, asked = 1;
	size_t u, i;

	upg_buf_printf(&buf, "\n-- task %s%s\n", task->id,
	               task->flags & UPGRADE_TASK_ALWAYS_RUN ? " (always-run)" : "");
	if (task->fn != NULL) {
		upg_buf_puts(&buf, "-- upgrade: a task written in C: its statements cannot be shown "
		                   "without running it\n");
		return flush(run, task, &buf);
	}
	if (res->guard != NULL && (asked = ask_guard(run, &ctx, res->guard, "<only-if>", &buf, &holds)) < 0)
		goto fail;
	if (res->guard != NULL && asked == 0) {
		upg_buf_printf(&buf, "-- upgrade: <only-if> (line %lu) %s\n", res->guard->line,
		               holds ? "holds now" : "does not hold now: the task would do nothing");
		if (!holds)
			return flush(run, task, &buf);
	}
	if (tx)
		upg_buf_puts(&buf, "BEGIN;\n");
	for (u = 0; u < res->nunits; u++) {
		const struct upg_unit *unit = &res->units[u];

		holds = 1;
		if (unit->guard != NULL &&
		    (asked = ask_guard(run, &ctx, unit->guard, "<step> <only-if>", &buf, &holds)) < 0)
			goto fail;
		if (unit->guard != NULL && asked == 0)
			upg_buf_printf(&buf, "-- upgrade: <step> (line %lu) %s\n", unit->line,
			               holds ? "its <only-if> holds now"
			                     : "its <only-if> does not hold now: skipped");
		for (i = 0; holds && i < unit->nactions; i++)
			show_action(run, &ctx, unit->actions[i], &buf);
	}
	if (task->flags & UPGRADE_TASK_INSTALL)
		upg_buf_printf(&buf, "-- upgrade: record every task of module %s as executed\n",
		               task->module->name);
	else
		upg_buf_printf(&buf, "-- upgrade: record %s as executed\n", task->id);
	if (tx)
		upg_buf_puts(&buf, "COMMIT;\n");
	run->executed++;
	return flush(run, task, &buf);
fail:
	upg_buf_free(&buf);
	/* As a run would report it: the task, and the guard's failure. */
	upg_run_fail_event(run, task, asked, 0, 0, 0);
	return asked;
}
