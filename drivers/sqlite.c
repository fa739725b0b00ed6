/* SPDX-License-Identifier: MIT */
/*
 * sqlite.c - the SQLite dialect (sqliteodbc).
 *
 * SQLite has transactional DDL but no schemas, no named locks and a narrow
 * ALTER TABLE: DROP COLUMN arrived in 3.35, changing a column needs a table
 * rebuild.  sqliteodbc reports the SQLite version it was built with.
 *
 * Names compare without ASCII case (COLLATE NOCASE), as SQLite resolves
 * identifiers.  SQLite keeps constraints only in the CREATE TABLE text, so
 * finding a named constraint and changing a table (constraints, a column's
 * type, nullability or default, dropping a column) read and rewrite that
 * text: the table is rebuilt under a new name, the rows copied, the old
 * table dropped and the new one renamed, its indexes and triggers created
 * again, all inside one SAVEPOINT (see "Making Other Kinds Of Table Schema
 * Changes" in SQLite's ALTER TABLE documentation).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../src/ops.h"
#include "sqlite.h"

/* Open-file-description locks conflict between threads too; plain POSIX locks only between processes. */
#ifdef F_OFD_SETLK
#define LOCK_CMD F_OFD_SETLK
#else
#define LOCK_CMD F_SETLK
#endif

static int
sqlite_bid(const char *dbms_name, const char *dbms_ver)
{
	return upg_strncaseeq(dbms_name, "SQLite", 6) ? 100 : 0;
}

static unsigned int
sqlite_version_caps(const char *dbms_ver, unsigned int caps)
{
	if (upg_version_parse(dbms_ver) >= 3035)
		caps |= UPGRADE_CAP_DROP_COLUMN;
	return caps;
}

/* sqliteodbc's busy timeout (ms); the driver waits about twice as long. */
#define BUSY_TIMEOUT_MS "5000"

static int
sqlite_file_connstr(struct upg_buf *buf, const char *path, struct upg_error *err)
{
	/* sqliteodbc reads Database= up to the next ';' and knows no braces. */
	if (strchr(path, ';') != NULL)
		return upg_error_set(err, UPGRADE_EINVAL,
		                     "the SQLite ODBC driver cannot open '%s': its name contains ';'",
		                     path);
	upg_connstr_append(buf, "DRIVER",
	                   upg_odbc_driver_installed("SQLite3") ? "SQLite3" : UPGRADE_SQLITE_ODBC_DRIVER);
	upg_buf_printf(buf, ";Database=%s", path);
	/* The driver's default busy timeout blocks for minutes behind another writer. */
	upg_connstr_append(buf, "Timeout", BUSY_TIMEOUT_MS);
	return UPGRADE_OK;
}

static int
main_file(void *ud, size_t ncols, char **values)
{
	char **out = ud;

	if (ncols >= 3 && values[1] != NULL && strcmp(values[1], "main") == 0) {
		*out = values[2];
		values[2] = NULL;
		return 1;
	}
	return 0;
}

/*
 * SQLite has no named locks, so the lock is a kernel lock on the database
 * file itself: an open-file-description lock (F_OFD_SETLK) on one byte at
 * 2^62 + hash(lock name), far above the bytes SQLite locks (0x40000000 to
 * 0x400001FF) and never written.  Being keyed by the file and not by its
 * name, it is the same lock through hard links, symlinks, other spellings
 * of the path and bind mounts; the kernel drops it when the holder dies.
 *
 * The descriptor is on the file SQLite has open, and closing any
 * descriptor of a file drops every traditional POSIX lock the process
 * holds on it, SQLite's own included (a WAL database keeps a shared lock
 * for as long as it is open).  Only the process knows when its last
 * connection to a file is gone, and a host program may have connections
 * of its own, so no descriptor opened here is ever closed: an idle one is
 * kept in a pool, keyed by device and inode, for the next lock of that
 * file.  A descriptor serves one lock at a time, so two locks in one
 * process (two threads, two connections) still exclude each other; a
 * forked child shares its parent's descriptors and so their locks, and
 * never takes one of them from the pool.  The cost is one descriptor per
 * database file and concurrent lock, until the process exits.  Without
 * OFD locks (not Linux) plain POSIX locks are used: they do not exclude
 * threads of one process.
 *
 * Who holds a lock is information only, for the message of a run that
 * times out: it is an extended attribute of the file ("user.upgrade.lock.
 * HASH"), so every name of the file shows it, or, where the file system
 * has no user attributes, the file "<db>.upgrade-lock" beside the name the
 * holder used.
 */
struct lock_fd {
	dev_t dev;
	ino_t ino;
	pid_t pid; /* the process that opened it */
	int fd;
	int busy;
};

static pthread_mutex_t lock_pool_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct lock_fd *lock_pool;
static size_t lock_pool_n, lock_pool_size;

/* An idle pooled descriptor of the file at path, or a new one; -1 with errno set on failure. */
static int
lock_fd_get(const char *path)
{
	struct stat st;
	size_t i;
	int fd = -1;

	pthread_mutex_lock(&lock_pool_mutex);
	if (stat(path, &st) == 0) {
		for (i = 0; i < lock_pool_n; i++) {
			if (!lock_pool[i].busy && lock_pool[i].dev == st.st_dev &&
			    lock_pool[i].ino == st.st_ino && lock_pool[i].pid == getpid()) {
				lock_pool[i].busy = 1;
				fd = lock_pool[i].fd;
				goto done;
			}
		}
	}
	if (upg_grow(&lock_pool, &lock_pool_size, lock_pool_n + 1, sizeof *lock_pool, 4) !=
	    UPGRADE_OK) {
		errno = ENOMEM;
		goto done;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		goto done;
	/* From here on fd stays open (see above); fstat cannot fail on an open descriptor. */
	if (fstat(fd, &st) != 0)
		memset(&st, 0, sizeof st);
	lock_pool[lock_pool_n].dev = st.st_dev;
	lock_pool[lock_pool_n].ino = st.st_ino;
	lock_pool[lock_pool_n].pid = getpid();
	lock_pool[lock_pool_n].fd = fd;
	lock_pool[lock_pool_n].busy = 1;
	lock_pool_n++;
done:
	pthread_mutex_unlock(&lock_pool_mutex);
	return fd;
}

/* Gives a descriptor back to the pool, unlocked by the caller. */
static void
lock_fd_put(int fd)
{
	size_t i;

	pthread_mutex_lock(&lock_pool_mutex);
	for (i = 0; i < lock_pool_n; i++)
		if (lock_pool[i].fd == fd && lock_pool[i].pid == getpid())
			lock_pool[i].busy = 0;
	pthread_mutex_unlock(&lock_pool_mutex);
}

/* A lock's state (upg_lock.state). */
struct sqlite_lock {
	char *path; /* the database file, once asked for */
	int fd;     /* the pooled descriptor holding the lock, when locked */
	int locked;
};

/* The byte range of a lock name: one byte in [2^62, 2^63). */
static void
lock_range(const struct upg_lock *lock, struct flock *fl, short type)
{
	memset(fl, 0, sizeof *fl);
	fl->l_type = type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)((1ULL << 62) + upg_hash62(lock->name));
	fl->l_len = 1;
}

static void
holder_attr(const struct upg_lock *lock, char *name, size_t size)
{
	snprintf(name, size, "user.upgrade.lock.%016llx", upg_hash62(lock->name));
}

/* The sidecar file for file systems without user attributes. */
static char *
holder_file(const struct upg_lock *lock)
{
	const struct sqlite_lock *s = lock->state;
	struct upg_buf path = UPG_BUF_INIT;

	upg_buf_printf(&path, "%s.upgrade-lock", s->path);
	return upg_buf_detach(&path);
}

/* Records the holder's description; failing to is no failure of the lock. */
static void
holder_write(struct upg_lock *lock)
{
	const struct sqlite_lock *s = lock->state;
	char who[160], since[32], attr[64];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	gmtime_r(&now, &tm);
	strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(who, sizeof who, "upgrade %s since %s", upg_lock_owner(), since);
	if (n <= 0 || (size_t)n >= sizeof who)
		return;
	holder_attr(lock, attr, sizeof attr);
	if (fsetxattr(s->fd, attr, who, (size_t)n, 0) != 0 && errno == ENOTSUP) {
		char *file = holder_file(lock);
		int fd = file != NULL ? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;

		/* A file of its own: closing it touches no lock on the database. */
		if (fd >= 0) {
			if (write(fd, who, (size_t)n) != n)
				n = 0;
			close(fd);
		}
		free(file);
	}
}

static int
sqlite_lock_try(struct upg_lock *lock, int *acquired)
{
	struct sqlite_lock *s = lock->state;
	struct flock fl;
	int fd;

	*acquired = 0;
	if (s->path == NULL) {
		char *db = NULL;
		int ret = upg_db_query(lock->conn, "PRAGMA database_list", 0, NULL, main_file, &db);

		if (ret < 0)
			return ret;
		if (db == NULL || db[0] == '\0') {
			/* An in-memory or temporary database: no other process can see it. */
			free(db);
			*acquired = 1;
			return UPGRADE_OK;
		}
		s->path = db;
	}
	fd = lock_fd_get(s->path);
	if (fd < 0)
		return upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot open %s to lock it: %s",
		                     s->path, strerror(errno));
	lock_range(lock, &fl, F_WRLCK);
	if (fcntl(fd, LOCK_CMD, &fl) < 0) {
		int err = errno;

		lock_fd_put(fd);
		if (err == EAGAIN || err == EACCES)
			return UPGRADE_OK;
		return upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot lock %s: %s", s->path,
		                     strerror(err));
	}
	s->fd = fd;
	s->locked = 1;
	*acquired = 1;
	holder_write(lock);
	return UPGRADE_OK;
}

static int
sqlite_lock_release(struct upg_lock *lock)
{
	struct sqlite_lock *s = lock->state;
	struct flock fl;
	char attr[64];
	int ret = UPGRADE_OK;

	if (!s->locked)
		return UPGRADE_OK;
	holder_attr(lock, attr, sizeof attr);
	if (fremovexattr(s->fd, attr) != 0 && errno == ENOTSUP) {
		char *file = holder_file(lock);

		if (file != NULL)
			unlink(file);
		free(file);
	}
	lock_range(lock, &fl, F_UNLCK);
	if (fcntl(s->fd, LOCK_CMD, &fl) < 0)
		ret = upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot unlock %s: %s", s->path,
		                    strerror(errno));
	/* Back to the pool, never closed (see above). */
	lock_fd_put(s->fd);
	s->locked = 0;
	return ret;
}

static void
sqlite_lock_state_free(struct upg_lock *lock)
{
	struct sqlite_lock *s = lock->state;

	free(s->path);
}

static int
sqlite_lock_holder(struct upg_lock *lock, char **who)
{
	const struct sqlite_lock *s = lock->state;
	char text[200], attr[64];
	ssize_t n;

	*who = NULL;
	if (s->path == NULL)
		return UPGRADE_OK;
	holder_attr(lock, attr, sizeof attr);
	n = getxattr(s->path, attr, text, sizeof text - 1);
	if (n < 0 && errno == ENOTSUP) {
		char *file = holder_file(lock);
		int fd = file != NULL ? open(file, O_RDONLY | O_CLOEXEC) : -1;

		free(file);
		if (fd < 0)
			return UPGRADE_OK;
		n = read(fd, text, sizeof text - 1);
		close(fd);
	}
	if (n <= 0)
		return UPGRADE_OK;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	*who = upg_strdup(text);
	return UPGRADE_OK;
}

/* ---- CREATE TABLE text ---------------------------------------------------------- */

/* A token of SQL text: [start, end) in the text, and the parenthesis depth it is at. */
struct tok {
	size_t start, end;
	int depth;
};

struct toks {
	const char *sql;
	struct tok *v;
	size_t n, cap;
};

static int
is_word_char(unsigned char c)
{
	/* Bytes >= 0x80 are parts of non-ASCII letters, which SQLite allows in names. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c >= 0x80;
}

/* Splits sql into tokens, skipping white space and comments; -1 on unterminated text. */
static int
tokenize(struct toks *t, const char *sql)
{
	size_t i = 0, len = strlen(sql);
	int depth = 0;

	t->sql = sql;
	t->v = NULL;
	t->n = t->cap = 0;
	while (i < len) {
		unsigned char c = (unsigned char)sql[i];
		struct tok k;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (c == '-' && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && sql[i + 1] == '*') {
			const char *e = strstr(sql + i + 2, "*/");
			i = e != NULL ? (size_t)(e - sql) + 2 : len;
			continue;
		}
		k.start = i;
		k.depth = depth;
		if (c == '\'' || c == '"' || c == '`' || c == '[') {
			char close = c == '[' ? ']' : (char)c;

			for (i++;; i++) {
				if (i >= len)
					return -1;
				if (sql[i] == close) {
					/* A doubled quote is a quote inside; brackets have no escape. */
					if (close != ']' && sql[i + 1] == close) {
						i++;
						continue;
					}
					break;
				}
			}
			i++;
		} else if (is_word_char(c)) {
			while (i < len && is_word_char((unsigned char)sql[i]))
				i++;
		} else {
			if (c == '(')
				depth++;
			else if (c == ')')
				k.depth = --depth;
			i++;
		}
		k.end = i;
		if (upg_grow(&t->v, &t->cap, t->n + 1, sizeof *t->v, 64) != UPGRADE_OK)
			return -2;
		t->v[t->n++] = k;
	}
	return depth == 0 ? 0 : -1;
}

/* Whether token i is the keyword kw (ASCII case-insensitive). */
static int
is_kw(const struct toks *t, size_t i, const char *kw)
{
	size_t n = strlen(kw);

	return i < t->n && t->v[i].end - t->v[i].start == n &&
	       upg_strncaseeq(t->sql + t->v[i].start, kw, n);
}

/* The name token i stands for, unquoted; allocated. */
static char *
tok_name(const struct toks *t, size_t i)
{
	const char *s = t->sql + t->v[i].start;
	size_t n = t->v[i].end - t->v[i].start, j;
	struct upg_buf b = UPG_BUF_INIT;

	if (n >= 2 && (s[0] == '"' || s[0] == '`' || s[0] == '[' || s[0] == '\'')) {
		char close = s[0] == '[' ? ']' : s[0];

		for (j = 1; j + 1 < n; j++) {
			upg_buf_putc(&b, s[j]);
			if (s[j] == close && close != ']')
				j++;
		}
		if (b.data == NULL && !b.failed)
			return upg_strdup("");
		return upg_buf_detach(&b);
	}
	return upg_strndup(s, n);
}

/* Whether token i names name (ASCII case-insensitive, as SQLite compares names). */
static int
tok_is_name(const struct toks *t, size_t i, const char *name)
{
	char *n = tok_name(t, i);
	int eq = n != NULL && upg_strcaseeq(n, name);

	free(n);
	return eq;
}

/* An item of the column list: a column definition or a table constraint, tokens [first, last). */
struct item {
	size_t first, last;
	int is_column;
};

/* The parsed statement: tokens, items, and where the list and the table options are. */
struct table_sql {
	struct toks t;
	size_t open, close; /* tokens of the list's parentheses */
	struct item *items;
	size_t nitems;
};

static const char *const constraint_starts[] = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK",
                                                "FOREIGN", NULL};

static int
starts_constraint(const struct toks *t, size_t i)
{
	size_t k;

	for (k = 0; constraint_starts[k] != NULL; k++)
		if (is_kw(t, i, constraint_starts[k]))
			return 1;
	return 0;
}

static void
table_sql_free(struct table_sql *ts)
{
	free(ts->t.v);
	free(ts->items);
	memset(ts, 0, sizeof *ts);
}

/* Parses CREATE TABLE text into items; UPGRADE_EPARSE when it is not one. */
static int
table_sql_parse(struct table_sql *ts, const char *sql, struct upg_error *err)
{
	size_t i, start;
	int r;

	memset(ts, 0, sizeof *ts);
	r = tokenize(&ts->t, sql);
	if (r == -2)
		return upg_error_oom(err);
	if (r != 0)
		goto bad;
	for (i = 0; i < ts->t.n && !(ts->t.sql[ts->t.v[i].start] == '(' && ts->t.v[i].depth == 0); i++)
		;
	if (i == ts->t.n || is_kw(&ts->t, i + 1, "SELECT"))
		goto bad; /* CREATE TABLE ... AS SELECT has no column list to rewrite */
	ts->open = i;
	for (i = ts->open + 1; i < ts->t.n; i++)
		if (ts->t.sql[ts->t.v[i].start] == ')' && ts->t.v[i].depth == 0)
			break;
	if (i == ts->t.n)
		goto bad;
	ts->close = i;
	ts->items = calloc(ts->close - ts->open + 1, sizeof *ts->items);
	if (ts->items == NULL) {
		table_sql_free(ts);
		return upg_error_oom(err);
	}
	start = ts->open + 1;
	for (i = ts->open + 1; i <= ts->close; i++) {
		int comma = i < ts->close && ts->t.sql[ts->t.v[i].start] == ',' && ts->t.v[i].depth == 1;

		if (!comma && i < ts->close)
			continue;
		if (i == start)
			goto bad;
		ts->items[ts->nitems].first = start;
		ts->items[ts->nitems].last = i;
		ts->items[ts->nitems].is_column = !starts_constraint(&ts->t, start);
		ts->nitems++;
		start = i + 1;
	}
	return UPGRADE_OK;
bad:
	table_sql_free(ts);
	return upg_error_set(err, UPGRADE_EPARSE, "cannot read the table definition: %.200s", sql);
}

/* The constraint type a keyword at token i starts, or UPG_CT_ANY for others. */
static int
ctype_at(const struct toks *t, size_t i)
{
	if (is_kw(t, i, "PRIMARY"))
		return UPG_CT_PRIMARY;
	if (is_kw(t, i, "UNIQUE"))
		return UPG_CT_UNIQUE;
	if (is_kw(t, i, "CHECK"))
		return UPG_CT_CHECK;
	if (is_kw(t, i, "FOREIGN") || is_kw(t, i, "REFERENCES"))
		return UPG_CT_FOREIGN;
	return UPG_CT_ANY;
}

/*
 * Column constraint keywords; a segment of a column definition starts at
 * each, except where the same word continues a clause ("SET NULL" and
 * "SET DEFAULT" of a foreign key, "NOT DEFERRABLE", "ALWAYS AS", the
 * keyword right after "CONSTRAINT name").
 */
static int
segment_starts(const struct toks *t, size_t i, size_t first)
{
	static const char *const kws[] = {"CONSTRAINT", "PRIMARY", "NOT",     "NULL",       "UNIQUE",
	                                   "CHECK",      "DEFAULT", "COLLATE", "REFERENCES", "GENERATED",
	                                   "AS",         NULL};
	size_t k;
	int hit = 0;

	if (t->v[i].depth != 1)
		return 0;
	for (k = 0; kws[k] != NULL && !hit; k++)
		hit = is_kw(t, i, kws[k]);
	if (!hit || i <= first)
		return hit;
	if ((is_kw(t, i, "NULL") || is_kw(t, i, "DEFAULT")) && is_kw(t, i - 1, "SET"))
		return 0;
	if (is_kw(t, i, "NULL") && is_kw(t, i - 1, "NOT"))
		return 0;
	if (is_kw(t, i, "NOT") && is_kw(t, i + 1, "DEFERRABLE"))
		return 0;
	if (is_kw(t, i, "AS") && is_kw(t, i - 1, "ALWAYS"))
		return 0;
	if (i >= first + 2 && is_kw(t, i - 2, "CONSTRAINT"))
		return 0;
	return 1;
}

/* What a segment of a column definition is. */
enum seg_kind { SEG_NOT_NULL, SEG_NULL, SEG_DEFAULT, SEG_OTHER };

static enum seg_kind
seg_kind(const struct toks *t, size_t i, int *ctype)
{
	*ctype = UPG_CT_ANY;
	if (is_kw(t, i, "CONSTRAINT"))
		i += 2;
	*ctype = ctype_at(t, i);
	if (is_kw(t, i, "NOT") && is_kw(t, i + 1, "NULL"))
		return SEG_NOT_NULL;
	if (is_kw(t, i, "NULL"))
		return SEG_NULL;
	if (is_kw(t, i, "DEFAULT"))
		return SEG_DEFAULT;
	return SEG_OTHER;
}

/* Calls fn for every named constraint of the table: name token index and type. */
static int
each_named_constraint(const struct table_sql *ts, int (*fn)(void *ud, size_t name_tok, int ctype),
                      void *ud)
{
	size_t k, i;
	int ret;

	for (k = 0; k < ts->nitems; k++) {
		const struct item *it = &ts->items[k];

		for (i = it->first; i < it->last; i++) {
			if (ts->t.v[i].depth != 1 || !is_kw(&ts->t, i, "CONSTRAINT") || i + 2 >= it->last)
				continue;
			if ((ret = fn(ud, i + 1, ctype_at(&ts->t, i + 2))) != 0)
				return ret;
		}
	}
	return 0;
}

struct want_constraint {
	const struct toks *t;
	const char *name;
	int ctype;
};

static int
constraint_matches(void *ud, size_t name_tok, int ctype)
{
	struct want_constraint *w = ud;

	return tok_is_name(w->t, name_tok, w->name) && (w->ctype == UPG_CT_ANY || w->ctype == ctype);
}

int
upg_sqlite_has_constraint(const char *sql, const char *name, int ctype, int *found)
{
	struct upg_error err = {0, NULL, "", 0};
	struct table_sql ts;
	struct want_constraint w;
	int ret;

	*found = 0;
	ret = table_sql_parse(&ts, sql, &err);
	upg_error_clear(&err);
	if (ret != UPGRADE_OK)
		return ret;
	w.t = &ts.t;
	w.name = name;
	w.ctype = ctype;
	*found = each_named_constraint(&ts, constraint_matches, &w) != 0;
	table_sql_free(&ts);
	return UPGRADE_OK;
}

/* ---- introspection --------------------------------------------------------------- */

struct table_row {
	char *name;
	char *sql;
};

static int
table_row(void *ud, size_t ncols, char **values)
{
	struct table_row *t = ud;

	t->name = values[0];
	t->sql = values[1];
	values[0] = values[1] = NULL;
	return 1;
}

/* The stored name and CREATE TABLE text of a table; both NULL when there is none. */
static int
table_def(struct upgrade_conn *conn, const char *table, struct table_row *t)
{
	const char *p[1] = {table};
	int ret;

	t->name = t->sql = NULL;
	ret = upg_db_query(conn,
	                   "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
	                   "AND name = ? COLLATE NOCASE",
	                   1, p, table_row, t);
	return ret < 0 ? ret : UPGRADE_OK;
}

/*
 * The exists hook (src/dialect.h): one query of sqlite_master (and
 * pragma_table_info for columns), every name bound and compared without
 * case, as SQLite resolves them; *found is whether a row came back.
 * Returns UPGRADE_OK or the query's error.
 */
static int
sqlite_exists(struct upgrade_conn *conn, const struct upg_objref *ref, int *found)
{
	const char *p[2];
	const char *sql;
	size_t n = 1;
	int ret;

	switch (ref->kind) {
	case UPG_OBJ_TABLE:
		sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE";
		p[0] = ref->table;
		break;
	case UPG_OBJ_VIEW:
		sql = "SELECT 1 FROM sqlite_master WHERE type = 'view' AND name = ? COLLATE NOCASE";
		p[0] = ref->table;
		break;
	case UPG_OBJ_COLUMN:
		sql = "SELECT 1 FROM sqlite_master m, pragma_table_info(m.name) c "
		      "WHERE m.type IN ('table', 'view') AND m.name = ? COLLATE NOCASE "
		      "AND c.name = ? COLLATE NOCASE";
		p[0] = ref->table;
		p[n++] = ref->name;
		break;
	case UPG_OBJ_INDEX:
		p[0] = ref->name;
		if (ref->table == NULL) {
			sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE";
		} else {
			sql = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ? COLLATE NOCASE "
			      "AND tbl_name = ? COLLATE NOCASE";
			p[n++] = ref->table;
		}
		break;
	case UPG_OBJ_CONSTRAINT: {
		struct table_row t;

		if ((ret = table_def(conn, ref->table, &t)) != UPGRADE_OK)
			return ret;
		ret = t.sql != NULL ? upg_sqlite_has_constraint(t.sql, ref->name, ref->ctype, found)
		                    : UPGRADE_OK;
		if (ret == UPGRADE_EPARSE)
			ret = upg_error_set(&conn->err, ret, "cannot read the definition of table %s",
			                    ref->table);
		free(t.name);
		free(t.sql);
		return ret;
	}
	case UPG_OBJ_ENUM:
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "SQLite has no enumerations; use a CHECK constraint (add-check) instead");
	default:
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "unknown kind of object");
	}
	ret = upg_db_query(conn, sql, n, p, upg_row_seen, found);
	return ret < 0 ? ret : UPGRADE_OK;
}

static int
sqlite_columns(struct upgrade_conn *conn, const char *schema, const char *table, upg_colinfo_fn fn,
               void *ud)
{
	const char *p[1] = {table};

	return upg_query_columns(conn,
	                    "SELECT c.name, c.type, c.\"notnull\", c.dflt_value, c.pk "
	                    "FROM sqlite_master m, pragma_table_info(m.name) c "
	                    "WHERE m.type IN ('table', 'view') AND m.name = ? COLLATE NOCASE "
	                    "ORDER BY c.cid",
	                    1, p, fn, ud);
}

/* ---- the table rebuild ----------------------------------------------------------------- */

/* Appends tokens [first, last) of t as written, with single spaces between them. */
static void
put_toks(struct upg_buf *b, const struct toks *t, size_t first, size_t last)
{
	size_t i;

	for (i = first; i < last; i++) {
		if (i > first && t->v[i].start > t->v[i - 1].end)
			upg_buf_putc(b, ' ');
		upg_buf_append(b, t->sql + t->v[i].start, t->v[i].end - t->v[i].start);
	}
}

/* The new text of a column definition changed by a (see the file's comment). */
static int
rewrite_column(struct upg_buf *b, const struct toks *t, const struct item *it,
               const struct upg_alter *a, struct upg_render *r)
{
	size_t i, type_end, seg;

	/* The type: the words (and a parenthesised size) before the first constraint keyword. */
	for (type_end = it->first + 1; type_end < it->last; type_end++)
		if (segment_starts(t, type_end, it->first + 1))
			break;
	put_toks(b, t, it->first, it->first + 1);
	if (a->type.kind != UPG_TYPE_NONE || a->type.sql != NULL) {
		upg_r_type(r, &a->type);
		upg_buf_putc(b, ' ');
		upg_buf_puts(b, upg_buf_str(&r->cur));
		upg_buf_free(&r->cur);
	} else if (type_end > it->first + 1) {
		upg_buf_putc(b, ' ');
		put_toks(b, t, it->first + 1, type_end);
	}
	/* The constraints, without those the change replaces. */
	for (seg = type_end; seg < it->last; seg = i) {
		int ctype, drop = 0;
		enum seg_kind kind = seg_kind(t, seg, &ctype);

		for (i = seg + 1; i < it->last && !segment_starts(t, i, seg); i++)
			;
		if ((kind == SEG_NOT_NULL || kind == SEG_NULL) && a->null_change != UPG_NULL_KEEP)
			drop = 1;
		if (kind == SEG_DEFAULT && a->def_change != UPG_DEF_KEEP)
			drop = 1;
		if (!drop) {
			upg_buf_putc(b, ' ');
			put_toks(b, t, seg, i);
		}
	}
	if (a->null_change == UPG_NULL_FORBID)
		upg_buf_puts(b, " NOT NULL");
	if (a->def_change == UPG_DEF_VALUE || a->def_change == UPG_DEF_SQL) {
		upg_buf_puts(b, " DEFAULT ");
		if (a->def_change == UPG_DEF_VALUE) {
			upg_r_value(r, a->def, upg_alter_value_type(a));
			upg_buf_puts(b, upg_buf_str(&r->cur));
			upg_buf_free(&r->cur);
		} else {
			upg_buf_putc(b, '(');
			upg_buf_puts(b, a->def);
			upg_buf_putc(b, ')');
		}
	}
	return r->ret;
}

/* Drops the constraint segment "CONSTRAINT name ..." from a column definition, if there. */
static int
rewrite_without_segment(struct upg_buf *b, const struct toks *t, const struct item *it,
                        const char *name, int ctype, int *removed)
{
	size_t i, seg;

	put_toks(b, t, it->first, it->first + 1);
	for (seg = it->first + 1; seg < it->last; seg = i) {
		for (i = seg + 1; i < it->last && !segment_starts(t, i, seg); i++)
			;
		if (is_kw(t, seg, "CONSTRAINT") && seg + 2 < it->last && tok_is_name(t, seg + 1, name) &&
		    (ctype == UPG_CT_ANY || ctype == ctype_at(t, seg + 2)) && !*removed) {
			*removed = 1;
			continue;
		}
		upg_buf_putc(b, ' ');
		put_toks(b, t, seg, i);
	}
	return UPGRADE_OK;
}

/*
 * Renders the new CREATE TABLE for chg under the name tmp, and the column
 * copy lists: target columns and the expressions selecting them.
 */
static int
rewrite_table(struct upgrade_conn *conn, const struct table_sql *ts, const char *tmp,
              const struct upg_table_change *chg, const char *table, struct upg_buf *create)
{
	const struct toks *t = &ts->t;
	struct upg_render r;
	size_t k, nkept = 0;
	int hit = 0, ret;

	upg_render_init(&r, conn, NULL);
	upg_buf_puts(create, "CREATE TABLE ");
	upg_r_ident(&r, tmp);
	upg_buf_puts(create, upg_buf_str(&r.cur));
	upg_buf_free(&r.cur);
	upg_buf_puts(create, " (");
	for (k = 0; k < ts->nitems && r.ret == UPGRADE_OK; k++) {
		const struct item *it = &ts->items[k];
		struct upg_buf one = UPG_BUF_INIT;
		int is_target = it->is_column && chg->kind != UPG_CHG_ADD_CONSTRAINT &&
		                chg->kind != UPG_CHG_DROP_CONSTRAINT &&
		                tok_is_name(t, it->first,
		                            chg->kind == UPG_CHG_DROP_COLUMN ? chg->name : chg->alter->column);

		if (is_target && chg->kind == UPG_CHG_DROP_COLUMN) {
			hit = 1;
			continue;
		}
		if (is_target) {
			hit = 1;
			rewrite_column(&one, t, it, chg->alter, &r);
		} else if (chg->kind == UPG_CHG_DROP_CONSTRAINT && !hit) {
			if (!it->is_column && is_kw(t, it->first, "CONSTRAINT") &&
			    tok_is_name(t, it->first + 1, chg->name) &&
			    (chg->ctype == UPG_CT_ANY || chg->ctype == ctype_at(t, it->first + 2))) {
				hit = 1;
				continue;
			}
			if (it->is_column)
				rewrite_without_segment(&one, t, it, chg->name, chg->ctype, &hit);
			else
				put_toks(&one, t, it->first, it->last);
		} else {
			put_toks(&one, t, it->first, it->last);
		}
		if (nkept++ > 0)
			upg_buf_puts(create, ", ");
		upg_buf_puts(create, upg_buf_str(&one));
		if (one.failed)
			create->failed = 1;
		upg_buf_free(&one);
	}
	if (chg->kind == UPG_CHG_ADD_CONSTRAINT) {
		upg_buf_puts(create, ", ");
		upg_buf_puts(create, chg->constraint_sql);
		hit = 1;
	}
	upg_buf_puts(create, ")");
	/* Table options (WITHOUT ROWID, STRICT) stay as they were. */
	if (ts->close + 1 < t->n) {
		upg_buf_putc(create, ' ');
		put_toks(create, t, ts->close + 1, t->n);
	}
	ret = r.ret;
	upg_render_free(&r);
	if (ret != UPGRADE_OK)
		return ret;
	if (create->failed)
		return upg_error_oom(&conn->err);
	if (!hit) {
		if (chg->kind == UPG_CHG_DROP_CONSTRAINT)
			return upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "table %s has no constraint %s",
			                     table, chg->name);
		return upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "table %s has no column %s", table,
		                     chg->kind == UPG_CHG_DROP_COLUMN ? chg->name : chg->alter->column);
	}
	if (nkept == 0 || (chg->kind == UPG_CHG_DROP_COLUMN && nkept == ts->nitems - 1 &&
	                   ts->nitems == 1))
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "table %s would have no columns", table);
	return UPGRADE_OK;
}

/* Collects strings of the first column (and the second, when there is one) of every row. */
struct strlist {
	char **v;
	size_t n, cap;
	int oom;
};

static int
strlist_row(void *ud, size_t ncols, char **values)
{
	struct strlist *l = ud;
	size_t i;

	for (i = 0; i < ncols && i < 2; i++) {
		if (upg_grow(&l->v, &l->cap, l->n + 1, sizeof *l->v, 16) != UPGRADE_OK) {
			l->oom = 1;
			return 1;
		}
		l->v[l->n++] = values[i];
		values[i] = NULL;
	}
	return 0;
}

static void
strlist_free(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int
in_list(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL && strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* INSERT INTO tmp (columns) SELECT expressions FROM table: every column the new table keeps. */
static int
render_copy(struct upgrade_conn *conn, const char *table, const char *tmp,
            const struct strlist *cols, const struct upg_table_change *chg, char **out)
{
	struct upg_render r;
	size_t i, n = 0;
	int ret;

	*out = NULL;
	upg_render_init(&r, conn, NULL);
	upg_r_puts(&r, "INSERT INTO ");
	upg_r_ident(&r, tmp);
	upg_r_puts(&r, " (");
	for (i = 0; i < cols->n; i++) {
		if (chg->kind == UPG_CHG_DROP_COLUMN && upg_strcaseeq(cols->v[i], chg->name))
			continue;
		upg_r_puts(&r, n++ > 0 ? ", " : "");
		upg_r_ident(&r, cols->v[i]);
	}
	upg_r_puts(&r, ") SELECT ");
	for (i = 0, n = 0; i < cols->n; i++) {
		if (chg->kind == UPG_CHG_DROP_COLUMN && upg_strcaseeq(cols->v[i], chg->name))
			continue;
		upg_r_puts(&r, n++ > 0 ? ", " : "");
		if (chg->kind == UPG_CHG_ALTER_COLUMN && chg->alter->using_sql != NULL &&
		    upg_strcaseeq(cols->v[i], chg->alter->column)) {
			upg_r_puts(&r, "(");
			upg_r_puts(&r, chg->alter->using_sql);
			upg_r_puts(&r, ")");
		} else {
			upg_r_ident(&r, cols->v[i]);
		}
	}
	upg_r_puts(&r, " FROM ");
	upg_r_ident(&r, table);
	*out = upg_r_take(&r);
	ret = r.ret;
	upg_render_free(&r);
	return ret;
}

static int
exec_ident(struct upgrade_conn *conn, const char *head, const char *name, const char *tail)
{
	struct upg_render r;
	char *sql;
	int ret;

	upg_render_init(&r, conn, NULL);
	upg_r_puts(&r, head);
	upg_r_ident(&r, name);
	upg_r_puts(&r, tail);
	sql = upg_r_take(&r);
	ret = r.ret;
	upg_render_free(&r);
	if (ret == UPGRADE_OK)
		ret = upg_db_exec(conn, sql);
	free(sql);
	return ret;
}

static const char rebuild_tmp[] = "upgrade_rebuild_tmp";

/*
 * AUTOINCREMENT's high-water mark is a row of sqlite_sequence named after
 * the table.  DROP TABLE deletes it and the copy gives the new table the
 * largest id copied, so the ids of rows deleted at the end would be handed
 * out again, which AUTOINCREMENT promises never to do.  *seq is the mark as
 * text, NULL when the table has none.
 */
static int
sequence_read(struct upgrade_conn *conn, const char *table, char **seq)
{
	const char *p[1] = {table};
	char *any = NULL;
	int ret;

	*seq = NULL;
	/* The table exists once any table of the file was created with AUTOINCREMENT. */
	ret = upg_db_query_string(conn,
	                          "SELECT 1 FROM sqlite_master WHERE type = 'table' "
	                          "AND name = 'sqlite_sequence'",
	                          &any);
	if (ret != UPGRADE_OK || any == NULL)
		return ret;
	free(any);
	ret = upg_db_query(conn, "SELECT seq FROM sqlite_sequence WHERE name = ?", 1, p,
	                   upg_first_value, seq);
	return ret < 0 ? ret : UPGRADE_OK;
}

/* Whether CREATE TABLE text declares an AUTOINCREMENT column. */
static int
has_autoincrement(const char *sql)
{
	struct toks t;
	size_t i;
	int yes = 0;

	if (tokenize(&t, sql) == 0)
		for (i = 0; i < t.n && !yes; i++)
			yes = is_kw(&t, i, "AUTOINCREMENT");
	free(t.v);
	return yes;
}

/* Gives the rebuilt table the mark sequence_read() found, or a higher one it has now. */
static int
sequence_restore(struct upgrade_conn *conn, const char *table, const char *seq, const char *created)
{
	const char *p[2] = {seq, table};
	long n = 0;
	int ret;

	/* A rebuild that dropped the AUTOINCREMENT column leaves nothing to keep. */
	if (seq == NULL || !has_autoincrement(created))
		return UPGRADE_OK;
	ret = upg_db_exec_params(conn,
	                         "UPDATE sqlite_sequence SET seq = MAX(seq, CAST(? AS INTEGER)) "
	                         "WHERE name = ?",
	                         2, p, &n);
	/* No row when no row was copied: the table was empty. */
	if (ret == UPGRADE_OK && n == 0) {
		p[0] = table;
		p[1] = seq;
		ret = upg_db_exec_params(conn,
		                         "INSERT INTO sqlite_sequence (name, seq) "
		                         "VALUES (?, CAST(? AS INTEGER))",
		                         2, p, NULL);
	}
	return ret;
}

/* The rebuild itself, inside the savepoint; see the file's comment. */
static int
rebuild(struct upgrade_conn *conn, const char *table, const char *sql,
        const struct upg_table_change *chg)
{
	const char *p[2] = {table, NULL};
	struct strlist cols = {0}, schema_sql = {0}, skip = {0};
	struct upg_buf create = UPG_BUF_INIT;
	struct upg_render r;
	struct table_sql ts;
	char *copy = NULL, *created = NULL, *rename = NULL, *seq = NULL;
	size_t i;
	int ret;

	if ((ret = table_sql_parse(&ts, sql, &conn->err)) != UPGRADE_OK)
		return ret;
	ret = rewrite_table(conn, &ts, rebuild_tmp, chg, table, &create);
	table_sql_free(&ts);
	if (ret != UPGRADE_OK)
		goto done;
	if ((created = upg_buf_detach(&create)) == NULL) {
		ret = upg_error_oom(&conn->err);
		goto done;
	}
	ret = upg_db_query(conn, "SELECT name FROM pragma_table_info(?) ORDER BY cid", 1, p,
	                   strlist_row, &cols);
	/* Indexes and triggers go with the old table; their text recreates them. */
	if (ret == UPGRADE_OK)
		ret = upg_db_query(conn,
		                   "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE "
		                   "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
		                   1, p, strlist_row, &schema_sql);
	if (ret == UPGRADE_OK && chg->kind == UPG_CHG_DROP_COLUMN) {
		/* Indexes on the dropped column go with it. */
		p[1] = chg->name;
		ret = upg_db_query(conn,
		                   "SELECT DISTINCT il.name FROM pragma_index_list(?) il, "
		                   "pragma_index_info(il.name) ii WHERE ii.name = ? COLLATE NOCASE",
		                   2, p, strlist_row, &skip);
	}
	if (ret == UPGRADE_OK && (cols.oom || schema_sql.oom || skip.oom))
		ret = upg_error_oom(&conn->err);
	if (ret == UPGRADE_OK)
		ret = sequence_read(conn, table, &seq);
	if (ret == UPGRADE_OK)
		ret = render_copy(conn, table, rebuild_tmp, &cols, chg, &copy);
	if (ret == UPGRADE_OK) {
		upg_render_init(&r, conn, NULL);
		upg_r_puts(&r, "ALTER TABLE ");
		upg_r_ident(&r, rebuild_tmp);
		upg_r_puts(&r, " RENAME TO ");
		upg_r_ident(&r, table);
		rename = upg_r_take(&r);
		ret = r.ret;
		upg_render_free(&r);
	}
	if (ret != UPGRADE_OK)
		goto done;
	if ((ret = upg_db_exec(conn, created)) != UPGRADE_OK ||
	    (ret = upg_db_exec(conn, copy)) != UPGRADE_OK ||
	    (ret = exec_ident(conn, "DROP TABLE ", table, "")) != UPGRADE_OK ||
	    (ret = upg_db_exec(conn, rename)) != UPGRADE_OK ||
	    (ret = sequence_restore(conn, table, seq, created)) != UPGRADE_OK)
		goto done;
	/* schema_sql holds name, sql pairs. */
	for (i = 0; i + 1 < schema_sql.n; i += 2) {
		if (in_list(&skip, schema_sql.v[i]))
			continue;
		if ((ret = upg_db_exec(conn, schema_sql.v[i + 1])) != UPGRADE_OK)
			goto done;
	}
done:
	free(created);
	free(copy);
	free(rename);
	free(seq);
	upg_buf_free(&create);
	strlist_free(&cols);
	strlist_free(&schema_sql);
	strlist_free(&skip);
	return ret;
}

static int
first_row_seen(void *ud, size_t ncols, char **values)
{
	*(int *)ud = 1;
	return 1;
}

/*
 * The alter_table hook.  Foreign key enforcement must be off while the old
 * table is dropped (else ON DELETE actions would fire), and the pragma
 * cannot change inside a transaction: with enforcement on, the rebuild is
 * possible only outside one, and checks the keys itself afterwards.
 */
static int
sqlite_alter_table(struct upgrade_conn *conn, const char *table,
                   const struct upg_table_change *chg)
{
	struct upg_error keep = {0, NULL, "", 0};
	struct table_row t = {NULL, NULL};
	char *fk = NULL, *legacy = NULL;
	int ret, fk_on, bad = 0;

	if ((ret = table_def(conn, table, &t)) != UPGRADE_OK)
		return ret;
	if (t.sql == NULL) {
		free(t.name);
		return upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "no table %s", table);
	}
	if ((ret = upg_db_query_string(conn, "PRAGMA foreign_keys", &fk)) != UPGRADE_OK ||
	    (ret = upg_db_query_string(conn, "PRAGMA legacy_alter_table", &legacy)) != UPGRADE_OK)
		goto done;
	fk_on = fk != NULL && strcmp(fk, "1") == 0;
	if (fk_on && !conn->autocommit) {
		ret = upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                    "changing table %s needs a rebuild, which cannot run inside a "
		                    "transaction while foreign keys are enforced (PRAGMA foreign_keys)",
		                    table);
		goto done;
	}
	if (fk_on && (ret = upg_db_exec(conn, "PRAGMA foreign_keys = OFF")) != UPGRADE_OK)
		goto done;
	if ((ret = upg_db_exec(conn, "SAVEPOINT upgrade_rebuild")) != UPGRADE_OK)
		goto restore;
	/*
	 * Legacy renaming leaves views and triggers that mention the table
	 * alone; the modern one would check them against the dropped table.
	 */
	ret = upg_db_exec(conn, "PRAGMA legacy_alter_table = ON");
	if (ret == UPGRADE_OK)
		ret = rebuild(conn, t.name, t.sql, chg);
	if (ret == UPGRADE_OK && fk_on) {
		const char *p[1] = {t.name};

		ret = upg_db_query(conn, "SELECT 1 FROM pragma_foreign_key_check(?)", 1, p,
		                   first_row_seen, &bad);
		if (ret > 0)
			ret = UPGRADE_OK;
		if (ret == UPGRADE_OK && bad)
			ret = upg_error_set(&conn->err, UPGRADE_EDB,
			                    "rebuilding table %s would break its foreign keys", table);
	}
	if (ret == UPGRADE_OK) {
		ret = upg_db_exec(conn, "RELEASE upgrade_rebuild");
	} else {
		/* Undo the half-done rebuild, keeping the message of what went wrong. */
		upg_error_copy(&keep, &conn->err);
		upg_db_exec(conn, "ROLLBACK TO upgrade_rebuild");
		upg_db_exec(conn, "RELEASE upgrade_rebuild");
		upg_error_copy(&conn->err, &keep);
		upg_error_clear(&keep);
	}
restore:
	upg_error_copy(&keep, &conn->err);
	upg_db_exec(conn, legacy != NULL && strcmp(legacy, "1") == 0 ? "PRAGMA legacy_alter_table = ON"
	                                                               : "PRAGMA legacy_alter_table = OFF");
	if (fk_on)
		upg_db_exec(conn, "PRAGMA foreign_keys = ON");
	upg_error_copy(&conn->err, &keep);
	upg_error_clear(&keep);
done:
	free(fk);
	free(legacy);
	free(t.name);
	free(t.sql);
	return ret;
}

/* ---- triggers: dropped and recreated, as SQLite cannot switch them off ----------------- */

/*
 * The triggers_switch hook: SQLite cannot disable a trigger, so "off"
 * saves the CREATE TRIGGER statements of table in a temporary table and
 * drops the triggers, and "on" runs the saved statements again and forgets
 * them, all inside the task's transaction.  Returns UPGRADE_OK or the
 * first failing statement's error.
 */
static int
sqlite_triggers_switch(struct upgrade_conn *conn, const char *schema, const char *table, int on)
{
	const char *p[1] = {table};
	struct strlist l = {0};
	size_t i;
	int ret;

	/*
	 * The text of suspended triggers waits in a temporary table of this
	 * connection, so it is undone with the task's transaction and never
	 * outlives the connection.
	 */
	ret = upg_db_exec(conn, "CREATE TEMP TABLE IF NOT EXISTS upgrade_suspended_triggers "
	                        "(tbl TEXT NOT NULL, name TEXT NOT NULL, sql TEXT NOT NULL)");
	if (ret != UPGRADE_OK)
		return ret;
	if (!on) {
		ret = upg_db_query(conn,
		                   "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' "
		                   "AND tbl_name = ? COLLATE NOCASE ORDER BY name",
		                   1, p, strlist_row, &l);
		for (i = 0; ret == UPGRADE_OK && i + 1 < l.n; i += 2) {
			const char *q[3] = {table, l.v[i], l.v[i + 1]};

			ret = upg_db_exec_params(conn,
			                         "INSERT INTO temp.upgrade_suspended_triggers (tbl, name, sql) "
			                         "VALUES (?, ?, ?)",
			                         3, q, NULL);
			if (ret == UPGRADE_OK)
				ret = exec_ident(conn, "DROP TRIGGER main.", l.v[i], "");
		}
	} else {
		ret = upg_db_query(conn,
		                   "SELECT name, sql FROM temp.upgrade_suspended_triggers "
		                   "WHERE tbl = ? COLLATE NOCASE ORDER BY rowid",
		                   1, p, strlist_row, &l);
		for (i = 0; ret == UPGRADE_OK && i + 1 < l.n; i += 2)
			ret = upg_db_exec(conn, l.v[i + 1]);
		if (ret == UPGRADE_OK)
			ret = upg_db_exec_params(conn,
			                         "DELETE FROM temp.upgrade_suspended_triggers "
			                         "WHERE tbl = ? COLLATE NOCASE",
			                         1, p, NULL);
	}
	if (ret == UPGRADE_OK && l.oom)
		ret = upg_error_oom(&conn->err);
	strlist_free(&l);
	return ret;
}

static const char *const sqlite_types[UPG_TYPE_COUNT] = {
	[UPG_TYPE_INTEGER] = "INTEGER",
	[UPG_TYPE_BIGINT] = "BIGINT",
	[UPG_TYPE_TEXT] = "TEXT",
	[UPG_TYPE_VARCHAR] = "VARCHAR",
	[UPG_TYPE_BOOLEAN] = "BOOLEAN",
	[UPG_TYPE_TIMESTAMP] = "TIMESTAMP",
	[UPG_TYPE_DATE] = "DATE",
	[UPG_TYPE_NUMERIC] = "NUMERIC",
	/* "JSON" would get numeric affinity and turn the text '12' into a number. */
	[UPG_TYPE_JSON] = "TEXT",
	[UPG_TYPE_BLOB] = "BLOB",
};

/* ---- errors ------------------------------------------------------------------------ */

/* sqliteodbc reports most engine errors as HY000; only the message tells them apart. */
static enum upg_errclass
sqlite_classify_error(const char *sqlstate, long native, const char *message)
{
	if (message != NULL && strstr(message, "no such table") != NULL)
		return UPG_ERRC_NO_TABLE;
	if (message != NULL && strstr(message, "no such column") != NULL)
		return UPG_ERRC_NO_COLUMN;
	return upg_odbc_classify_error(sqlstate, native, message);
}

/*
 * sqliteodbc counts a ? in a comment as a parameter marker ("parameter
 * marker count incorrect"), and a ? outside quotes is one for SQLite too;
 * neither can be sent as written, so the catalog check names it.
 */
static int
sqlite_as_written(struct upg_buf *buf, const char *sql, enum upg_as_written how)
{
	const char *p = sql, *close;

	(void)how;
	while (*p != '\0') {
		if (*p == '\'' || *p == '"' || *p == '`' || *p == '[') {
			close = strchr(p + 1, *p == '[' ? ']' : *p);
			if (close == NULL)
				return 0;
			p = close + 1;
		} else if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*')) {
			size_t n;

			close = p[0] == '/' ? strstr(p + 2, "*/") : NULL;
			if (p[0] == '-')
				n = strcspn(p, "\n");
			else
				n = close != NULL ? (size_t)(close + 2 - p) : strlen(p);
			if (memchr(p, '?', n) != NULL) {
				upg_buf_puts(buf, "sqliteodbc takes a ? in a comment for a parameter marker; "
				                  "leave it out of the comment");
				return -1;
			}
			p += n;
		} else if (*p == '?') {
			upg_buf_puts(buf, "a ? outside quotes is a parameter marker for SQLite, and a "
			                  "catalog's statement binds none; write the value as a literal");
			return -1;
		} else {
			p++;
		}
	}
	return 0;
}

const struct upg_dialect upg_dialect_sqlite = {
	.name = "sqlite",
	.title = "SQLite 3",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SAVEPOINTS |
	        UPGRADE_CAP_INDEX_IF_NOT_EXISTS | UPGRADE_CAP_DISABLE_TRIGGERS,
	.traits = UPG_TRAIT_ROWID | UPG_TRAIT_NOT_NULL_AFTER_ADD,
	.bid = sqlite_bid,
	.as_written = sqlite_as_written,
	.version_caps = sqlite_version_caps,
	.file_connstr = sqlite_file_connstr,
	/* The library in use, not the one sqliteodbc was built against. */
	.server_version_sql = "SELECT sqlite_version()",
	.quote_open = '"',
	.quote_close = '"',
	.max_ident_len = 0,
	.key_type = "TEXT",
	.json_type = "TEXT",
	.timestamp_type = "TEXT",
	.task_key_type = "TEXT",
	/* One b-tree instead of a table and its key's index: fewer pages written per task. */
	.task_table_options = " WITHOUT ROWID",
	.task_upsert = "ON CONFLICT (module, task) DO UPDATE SET executed_at = excluded.executed_at, "
	               "duration_ms = excluded.duration_ms, checksum = excluded.checksum, how = excluded.how",
	.state_append = "UPDATE %s SET state = json_insert(state, '$.executed_tasks[#]', ?), "
	                "modified = ? WHERE module = ?",
	.quoted_unknown_is_string = 1,
	.reopen_transaction_sql = "BEGIN",
	.state_list_guard = " AND NOT EXISTS (SELECT 1 FROM json_each(state, '$.executed_tasks') "
	                    "WHERE value = ?)",
	.state_length_guard = " AND json_array_length(state, '$.executed_tasks') = CAST(? AS INTEGER)",
	/*
	 * No keep_prepared: SQLite ODBC compiles, steps and finalizes the
	 * statement in every SQLExecute, prepared or not (callgrind: 2,000
	 * sqlite3_prepare_v2 for 2,000 executions of two kept statements).
	 */
	.current_schema_sql = NULL,
	.default_schema = "main",
	.list_schemas_sql = NULL,
	.use_schema_sql = NULL,
	.lock_try = sqlite_lock_try,
	.lock_release = sqlite_lock_release,
	.lock_holder = sqlite_lock_holder,
	.lock_state_size = sizeof(struct sqlite_lock),
	.lock_state_free = sqlite_lock_state_free,
	.classify_error = sqlite_classify_error,
	.exists = sqlite_exists,
	.columns = sqlite_columns,
	.type_names = sqlite_types,
	.bool_true = "1",
	.bool_false = "0",
	.literal_prefix = NULL,
	.literal_backslash = 0,
	.cast_params = 0,
	.limit_syntax = UPG_LIMIT_LIMIT,
	.add_default_fills = 2,
	/* UPDATE ... FROM since SQLite 3.33; VALUES has no column list there. */
	.update_rows = UPG_UPDATE_ROWS_NUMBERED,
	/* RENAME TO and RENAME COLUMN (3.25) are native; everything else is a rebuild. */
	.alter_table = sqlite_alter_table,
	.triggers_switch = sqlite_triggers_switch,
};
