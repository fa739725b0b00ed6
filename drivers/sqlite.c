/*
 * sqlite.c - the SQLite dialect (sqliteodbc).
 *
 * SQLite has transactional DDL but no schemas, no named locks and a narrow
 * ALTER TABLE: DROP COLUMN arrived in 3.35, changing a column needs a table
 * rebuild.  sqliteodbc reports the SQLite version it was built with.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/connection.h"

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
 * SQLite has no named locks, so the lock is a kernel file lock on a file
 * beside the database ("<db>.upgrade-lock"), holding the holder's name.
 */
static int
sqlite_lock_try(struct upg_lock *lock, int *acquired)
{
	struct flock fl;
	char *db = NULL;
	int ret;

	*acquired = 0;
	if (lock->fd < 0) {
		struct upg_buf path = UPG_BUF_INIT;

		ret = upg_db_query(lock->conn, "PRAGMA database_list", 0, NULL, main_file, &db);
		if (ret < 0)
			return ret;
		if (db == NULL || db[0] == '\0') {
			/* An in-memory or temporary database: no other process can see it. */
			free(db);
			*acquired = 1;
			return UPGRADE_OK;
		}
		upg_buf_printf(&path, "%s.upgrade-lock", db);
		free(db);
		lock->path = upg_buf_detach(&path);
		if (lock->path == NULL)
			return upg_error_oom(&lock->conn->err);
		lock->fd = open(lock->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (lock->fd < 0)
			return upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot open lock file %s: %s",
			                     lock->path, strerror(errno));
	}
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(lock->fd, LOCK_CMD, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return UPGRADE_OK;
		return upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot lock %s: %s", lock->path,
		                     strerror(errno));
	}
	*acquired = 1;
	{
		char who[160], since[32];
		time_t now = time(NULL);
		struct tm tm;
		int n;

		gmtime_r(&now, &tm);
		strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(who, sizeof who, "upgrade %s since %s\n", upg_lock_owner(), since);
		/* Who holds it is information only; failing to write it must not fail the lock. */
		if (ftruncate(lock->fd, 0) == 0 && n > 0 && pwrite(lock->fd, who, (size_t)n, 0) < 0)
			n = 0;
	}
	return UPGRADE_OK;
}

static int
sqlite_lock_release(struct upg_lock *lock)
{
	struct flock fl;

	if (lock->fd < 0)
		return UPGRADE_OK;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	if (ftruncate(lock->fd, 0) != 0 || fcntl(lock->fd, LOCK_CMD, &fl) < 0)
		return upg_error_set(&lock->conn->err, UPGRADE_ERROR, "cannot unlock %s: %s", lock->path,
		                     strerror(errno));
	return UPGRADE_OK;
}

static int
sqlite_lock_holder(struct upg_lock *lock, char **who)
{
	char text[200];
	ssize_t n;

	*who = NULL;
	if (lock->fd < 0)
		return UPGRADE_OK;
	n = pread(lock->fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return UPGRADE_OK;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	*who = upg_strdup(text);
	return UPGRADE_OK;
}

const struct upg_dialect upg_dialect_sqlite = {
	.name = "sqlite",
	.title = "SQLite 3",
	.caps = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SAVEPOINTS |
	        UPGRADE_CAP_INDEX_IF_NOT_EXISTS,
	.bid = sqlite_bid,
	.version_caps = sqlite_version_caps,
	.quote_open = '"',
	.quote_close = '"',
	.max_ident_len = 0,
	.key_type = "TEXT",
	.json_type = "TEXT",
	.timestamp_type = "TEXT",
	.current_schema_sql = NULL,
	.default_schema = "main",
	.list_schemas_sql = NULL,
	.use_schema_sql = NULL,
	.lock_try = sqlite_lock_try,
	.lock_release = sqlite_lock_release,
	.lock_holder = sqlite_lock_holder,
};
