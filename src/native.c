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
 * and this file checks again), the dynamic linker's own search
 * (LD_LIBRARY_PATH, the cache) is never used, and a file or directory that
 * anyone may write is refused.  Each library and symbol is resolved once
 * per process and kept: the handles stay open until the process ends.
 */
#include "config.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
 * Looks for lib in dir (len bytes of it).  Returns the canonical path, or
 * NULL; *refused explains a file that exists but may not be loaded.
 */
static char *
try_dir(const char *dir, size_t len, const char *lib, const char **refused)
{
	struct upg_buf path = UPG_BUF_INIT;
	struct stat st, dst;
	char *p, *real = NULL;

	if (len == 0)
		return NULL;
	upg_buf_append(&path, dir, len);
	if (stat(upg_buf_str(&path), &dst) != 0 || !S_ISDIR(dst.st_mode)) {
		upg_buf_free(&path);
		return NULL;
	}
	upg_buf_putc(&path, '/');
	upg_buf_puts(&path, lib);
	p = upg_buf_detach(&path);
	if (p == NULL)
		return NULL;
	if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
		/* Writable by anyone: anyone could choose the code we run. */
		if ((st.st_mode & S_IWOTH) || ((dst.st_mode & S_IWOTH) && !(dst.st_mode & S_ISVTX)))
			*refused = "it, or its directory, is writable by anyone";
		else
			real = realpath(p, NULL);
	}
	free(p);
	return real;
}

static char *
find_library(const struct upgrade_context *ctx, const char *lib, const char *catdir,
             struct upg_buf *searched, const char **refused)
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
	struct upg_buf key = UPG_BUF_INIT, searched = UPG_BUF_INIT;
	struct native_entry *e;
	const char *refused = NULL;
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
		if (refused != NULL)
			ret = upg_error_set(&conn->err, UPGRADE_ENOTFOUND,
			                    "native library %s: refused, %s", lib, refused);
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
