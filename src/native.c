/* SPDX-License-Identifier: MIT */
/*
 * native.c - <native library="..." symbol="..."/> actions: C functions in
 * shared objects, called with the task's context.
 *
 * Loading code is the one thing a catalog can do that SQL cannot, so the
 * library is looked up only in places an administrator chose, in order:
 *   1. the directory of the catalog file that declares the task,
 *   2. the directories of $UPGRADE_LIBRARY_PATH (colon-separated),
 *   3. UPGRADE_NATIVEDIR, the package's library directory.
 * The catalog gives a bare file name (the loader rejects directory parts
 * and this file checks again), and the dynamic linker's own search
 * (LD_LIBRARY_PATH, the cache) is never used.  A library is trusted only
 * when nobody but root and the user running us could have chosen its
 * bytes: the file, after symbolic links are resolved, is a regular file
 * and every directory from it up to "/", and the directory the name was
 * found in, are owned by root or by our effective uid and writable by
 * neither group nor others.  A sticky bit does not help: in a sticky
 * directory anyone may still create the name we are about to look up.
 * Each library and symbol is resolved once per process and kept: the
 * handles stay open until the process ends.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"

#ifndef UPGRADE_NATIVEDIR
#define UPGRADE_NATIVEDIR "/usr/local/lib/upgrade"
#endif

struct native_entry {
	char *key; /* catalog directory, library, symbol */
	upgrade_native_fn fn;
	struct native_entry *next;
};

/* Several schemas may run at once (runner jobs): the cache is shared. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct native_entry *cache;

static int
name_ok(const char *lib)
{
	const char *p;

	if (lib == NULL || lib[0] == '\0' || strcmp(lib, ".") == 0 || strcmp(lib, "..") == 0)
		return 0;
	for (p = lib; *p != '\0'; p++)
		if (*p == '/' || (unsigned char)*p < 0x20)
			return 0;
	return 1;
}

/* The directory part of a catalog file that exists, allocated; NULL when there is none. */
static char *
catalog_dir(const struct upgrade_context *ctx)
{
	const char *file, *slash;
	struct stat st;

	if (ctx->task == NULL || ctx->task->module == NULL || ctx->task->module->file == NULL)
		return NULL;
	file = ctx->task->module->file;
	/* "<C>" and the names of in-memory catalogs are no files. */
	if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	slash = strrchr(file, '/');
	if (slash == NULL)
		return upg_strdup(".");
	if (slash == file)
		return upg_strdup("/");
	return upg_strndup(file, (size_t)(slash - file));
}

/*
 * Whether st, the status of path (a directory when dir, else the library),
 * is something only root or our effective uid can have chosen: of the
 * right type, owned by one of them, writable by neither group nor others.
 * When not, appends why to why.
 */
static int
trusted(const struct stat *st, int dir, const char *path, struct upg_buf *why)
{
	const char *what = dir ? "directory" : "file";
	uid_t euid = geteuid();

	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode)) {
		upg_buf_printf(why, "%s is not a %s", path, dir ? "directory" : "regular file");
		return 0;
	}
	if (st->st_uid != 0 && st->st_uid != euid) {
		upg_buf_printf(why, "%s %s is owned by uid %lu, not by root or uid %lu", what, path,
		               (unsigned long)st->st_uid, (unsigned long)euid);
		return 0;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		upg_buf_printf(why, "%s %s is writable by %s (mode %04lo)", what, path,
		               (st->st_mode & S_IWOTH) ? "anyone" : "its group",
		               (unsigned long)(st->st_mode & 07777));
		return 0;
	}
	return 1;
}

/*
 * Checks dir, a path without symbolic links, and each directory above it
 * up to "/".  A symbolic link met on the way (the tree changed since the
 * path was resolved) is refused as not being a directory.
 */
static int
trusted_dirs(const char *dir, struct upg_buf *why)
{
	char *p = upg_strdup(dir), *slash;
	struct stat st;
	int ok = 1;

	if (p == NULL) {
		upg_buf_puts(why, "out of memory");
		return 0;
	}
	for (;;) {
		if (lstat(p, &st) != 0) {
			upg_buf_printf(why, "cannot check directory %s: %s", p, strerror(errno));
			ok = 0;
			break;
		}
		if (!trusted(&st, 1, p, why)) {
			ok = 0;
			break;
		}
		slash = strrchr(p, '/');
		if (slash == NULL || (slash == p && p[1] == '\0'))
			break;
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(p);
	return ok;
}

/* Checks the directory part of real, a path without symbolic links. */
static int
trusted_parent(const char *real, struct upg_buf *why)
{
	const char *slash = strrchr(real, '/');
	char *dir;
	int ok;

	if (slash == NULL)
		return trusted_dirs(".", why);
	dir = upg_strndup(real, slash == real ? 1 : (size_t)(slash - real));
	if (dir == NULL) {
		upg_buf_puts(why, "out of memory");
		return 0;
	}
	ok = trusted_dirs(dir, why);
	free(dir);
	return ok;
}

/*
 * Looks for lib in dir (len bytes of it).  Returns the canonical path of
 * a library that may be loaded, or NULL: when there is none, or when one
 * exists but may not be loaded, which is then explained in why (the path
 * tried, the offending file or directory, and the reason).
 */
static char *
try_dir(const char *dir, size_t len, const char *lib, struct upg_buf *why)
{
	struct upg_buf path = UPG_BUF_INIT, reason = UPG_BUF_INIT;
	struct stat st;
	char *p = NULL, *rdir = NULL, *real = NULL;
	int fd = -1, ok = 0;

	if (len == 0)
		return NULL;
	upg_buf_append(&path, dir, len);
	upg_buf_putc(&path, '/');
	upg_buf_puts(&path, lib);
	p = upg_buf_detach(&path);
	if (p == NULL)
		return NULL;
	/* Not here at all (a dangling link is there, and is refused below). */
	if (lstat(p, &st) != 0)
		goto done;
	p[len] = '\0';
	rdir = realpath(p, NULL);
	p[len] = '/';
	if (rdir == NULL) {
		upg_buf_printf(&reason, "cannot resolve directory %.*s: %s", (int)len, dir,
		               strerror(errno));
		goto done;
	}
	/* The directory holding the name decides which file the name means. */
	if (!trusted_dirs(rdir, &reason))
		goto done;
	real = realpath(p, NULL);
	if (real == NULL) {
		upg_buf_printf(&reason, "cannot resolve %s: %s", p, strerror(errno));
		goto done;
	}
	if (!trusted_parent(real, &reason))
		goto done;
	/* The file's own checks are made on the file opened, so that they are
	 * about what is there now; O_NONBLOCK keeps a FIFO from blocking us.
	 * Nobody else can replace it before dlopen() below: every directory
	 * above it has just been found writable by root and us only. */
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		upg_buf_printf(&reason, "cannot open %s: %s", real, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) != 0) {
		upg_buf_printf(&reason, "cannot check %s: %s", real, strerror(errno));
		goto done;
	}
	ok = trusted(&st, 0, real, &reason);
done:
	if (fd >= 0)
		close(fd);
	if (!ok && reason.len > 0 && why->len == 0)
		upg_buf_printf(why, "%s: %s", p, upg_buf_str(&reason));
	upg_buf_free(&reason);
	free(p);
	free(rdir);
	if (!ok) {
		free(real);
		real = NULL;
	}
	return real;
}

/*
 * Searches the directories in their documented order; the first library
 * that may be loaded wins.  A refusal is kept in refused (the first one
 * only) and reported when nothing loadable is found.
 */
static char *
find_library(const struct upgrade_context *ctx, const char *lib, const char *catdir,
             struct upg_buf *searched, struct upg_buf *refused)
{
	const char *env = getenv("UPGRADE_LIBRARY_PATH"), *p, *e;
	char *found = NULL;

	if (catdir != NULL) {
		upg_buf_printf(searched, "%s", catdir);
		found = try_dir(catdir, strlen(catdir), lib, refused);
	}
	for (p = env; found == NULL && p != NULL && *p != '\0'; p = *e != '\0' ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p) {
			upg_buf_printf(searched, "%s%.*s", searched->len > 0 ? ", " : "",
			               (int)(e - p), p);
			found = try_dir(p, (size_t)(e - p), lib, refused);
		}
	}
	if (found == NULL) {
		upg_buf_printf(searched, "%s%s", searched->len > 0 ? ", " : "", UPGRADE_NATIVEDIR);
		found = try_dir(UPGRADE_NATIVEDIR, strlen(UPGRADE_NATIVEDIR), lib, refused);
	}
	return found;
}

/* Finds lib and sym, from the cache or by loading; *fn on success. */
static int
resolve(struct upgrade_context *ctx, const char *lib, const char *sym, upgrade_native_fn *fn)
{
	struct upgrade_conn *conn = ctx->conn;
	struct upg_buf key = UPG_BUF_INIT, searched = UPG_BUF_INIT, refused = UPG_BUF_INIT;
	struct native_entry *e;
	char *catdir = catalog_dir(ctx), *path = NULL, *k;
	void *handle, *addr;
	int ret = UPGRADE_OK;

	*fn = NULL;
	upg_buf_printf(&key, "%s", catdir != NULL ? catdir : "");
	upg_buf_putc(&key, '\n');
	upg_buf_puts(&key, lib);
	upg_buf_putc(&key, '\n');
	upg_buf_puts(&key, sym);
	k = upg_buf_detach(&key);
	if (k == NULL) {
		free(catdir);
		return upg_error_oom(&conn->err);
	}
	pthread_mutex_lock(&cache_lock);
	for (e = cache; e != NULL; e = e->next)
		if (strcmp(e->key, k) == 0) {
			*fn = e->fn;
			break;
		}
	if (*fn != NULL)
		goto done;
	path = find_library(ctx, lib, catdir, &searched, &refused);
	if (path == NULL) {
		if (refused.len > 0)
			ret = upg_error_set(&conn->err, UPGRADE_ENOTFOUND,
			                    "native library %s refused: %s", lib,
			                    upg_buf_str(&refused));
		else
			ret = upg_error_set(
			    &conn->err, UPGRADE_ENOTFOUND,
			    "native library %s not found (searched: %s; set UPGRADE_LIBRARY_PATH "
			    "to add directories)",
			    lib, upg_buf_str(&searched));
		goto done;
	}
	/* RTLD_LOCAL: task libraries do not see each other's symbols. */
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		const char *why = dlerror();

		ret = upg_error_set(&conn->err, UPGRADE_ERROR, "cannot load %s: %s", path,
		                    why != NULL ? why : "unknown error");
		goto done;
	}
	dlerror();
	addr = dlsym(handle, sym);
	if (addr == NULL) {
		const char *why = dlerror();

		ret = upg_error_set(&conn->err, UPGRADE_ENOTFOUND, "%s has no function %s%s%s",
		                    path, sym, why != NULL ? ": " : "", why != NULL ? why : "");
		dlclose(handle);
		goto done;
	}
	/* POSIX guarantees a data pointer from dlsym can hold a function's address. */
	memcpy(fn, &addr, sizeof *fn);
	e = calloc(1, sizeof *e);
	if (e != NULL) {
		e->key = k;
		e->fn = *fn;
		e->next = cache;
		cache = e;
		k = NULL;
	}
done:
	pthread_mutex_unlock(&cache_lock);
	upg_buf_free(&searched);
	upg_buf_free(&refused);
	free(path);
	free(catdir);
	free(k);
	return ret;
}

int
upg_native_call(struct upgrade_context *ctx, const struct upg_node *action)
{
	const char *lib = upg_node_attr(action, "library"), *sym = upg_node_attr(action, "symbol");
	upgrade_native_fn fn;
	int ret;

	upg_error_clear(&ctx->conn->err);
	if (!name_ok(lib))
		return upg_error_set(
		    &ctx->conn->err, UPGRADE_EINVAL,
		    "line %lu: native library '%s' must be a file name without a directory",
		    action->line, lib != NULL ? lib : "");
	if (sym == NULL || sym[0] == '\0')
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "line %lu: native symbol missing", action->line);
	if ((ret = resolve(ctx, lib, sym, &fn)) != UPGRADE_OK)
		return ret;
	ret = fn(ctx, upg_node_attr(action, "arg"));
	if (ret < 0 && ctx->conn->err.code == UPGRADE_OK)
		upg_error_set(&ctx->conn->err, ret, "native %s:%s failed (%s)", lib, sym,
		              upgrade_strerror(ret));
	return ret;
}
