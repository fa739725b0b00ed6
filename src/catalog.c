/* SPDX-License-Identifier: MIT */
/*
 * catalog.c - the catalog handle: loading files, directories and buffers,
 * modules and tasks registered in C, placeholders, diagnostics, the
 * checks that need every module at once, and the accessors.
 *
 * Life of a catalog: loads and registrations add modules and tasks and
 * record every problem as a diagnostic instead of stopping;
 * upgrade_catalog_prepare() then substitutes placeholders, lets the planner
 * order everything, and sorts the diagnostics by file and line.  After
 * that the catalog is read-only.  Everything a catalog owns lives in its
 * arena, so handles and strings given out stay valid until it is freed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"

/* Default limits, documented in upgrade-catalog(5). */
#define DEFAULT_FILE_SIZE (16u * 1024u * 1024u)
#define DEFAULT_DEPTH 32u
#define DEFAULT_NAME 1024u
#define DEFAULT_FILE_TASKS 100000u
#define DEFAULT_FILES 10000u
#define DEFAULT_TASKS 1000000u
#define DEFAULT_ATTRIBUTES 64u
/* Room for the tasks a file may hold, and as many other elements. */
#define DEFAULT_CHILDREN (2u * DEFAULT_FILE_TASKS)
#define DEFAULT_VALUE (1024u * 1024u)
/* Each costs libxml2 and us a hundred bytes or more, whatever its size in
 * the file: a 16 MiB file of bare attributes would need 600 MiB. */
#define DEFAULT_NODES 1000000u

/* Diagnostics of things registered in C sort after every file. */
#define C_FILE_INDEX UINT32_MAX
/* Limits start at the documented defaults; everything else starts empty. */

int
upgrade_catalog_new(struct upgrade_catalog **out)
{
	struct upgrade_catalog *cat;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	cat = calloc(1, sizeof *cat);
	if (cat == NULL)
		return UPGRADE_ENOMEM;
	cat->magic = UPG_MAGIC_CATALOG;
	cat->limits.file_size = DEFAULT_FILE_SIZE;
	cat->limits.depth = DEFAULT_DEPTH;
	cat->limits.name = DEFAULT_NAME;
	cat->limits.file_tasks = DEFAULT_FILE_TASKS;
	cat->limits.files = DEFAULT_FILES;
	cat->limits.tasks = DEFAULT_TASKS;
	cat->limits.attributes = DEFAULT_ATTRIBUTES;
	cat->limits.children = DEFAULT_CHILDREN;
	cat->limits.value = DEFAULT_VALUE;
	cat->limits.nodes = DEFAULT_NODES;
	*out = cat;
	return UPGRADE_OK;
}
/* Everything the catalog handed out lives in its arena and dies with it. */

void
upgrade_catalog_free(struct upgrade_catalog *cat)
{
	if (!UPG_IS(cat, CATALOG))
		return;
	upg_xml_free_schema(cat);
	upg_map_free(&cat->module_map);
	upg_map_free(&cat->task_map);
	free(cat->modules);
	free(cat->tasks);
	free(cat->defines);
	free(cat->diags);
	free(cat->file_diags);
	free(cat->warnings);
	free(cat->plan);
	free(cat->select);
	upg_error_clear(&cat->error);
	upg_arena_free(&cat->arena);
	cat->magic = UPG_MAGIC_FREED;
	free(cat);
}

int
upgrade_catalog_set_limit(struct upgrade_catalog *cat, enum upgrade_catalog_limit limit,
                          size_t value)
{
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (value == 0)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a limit must be at least 1");
	switch (limit) {
	case UPGRADE_CATALOG_LIMIT_FILE_SIZE:
		cat->limits.file_size = value;
		break;
	case UPGRADE_CATALOG_LIMIT_DEPTH:
		cat->limits.depth = value;
		break;
	case UPGRADE_CATALOG_LIMIT_NAME:
		cat->limits.name = value;
		break;
	case UPGRADE_CATALOG_LIMIT_FILE_TASKS:
		cat->limits.file_tasks = value;
		break;
	case UPGRADE_CATALOG_LIMIT_FILES:
		cat->limits.files = value;
		break;
	case UPGRADE_CATALOG_LIMIT_TASKS:
		/* Declaration indexes are 32-bit. */
		cat->limits.tasks = value > UINT32_MAX ? UINT32_MAX : value;
		break;
	case UPGRADE_CATALOG_LIMIT_ATTRIBUTES: cat->limits.attributes = value; break;
	case UPGRADE_CATALOG_LIMIT_CHILDREN: cat->limits.children = value; break;
	case UPGRADE_CATALOG_LIMIT_VALUE: cat->limits.value = value; break;
	case UPGRADE_CATALOG_LIMIT_NODES: cat->limits.nodes = value; break;
	default:
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "unknown limit %d", limit);
	}
	return UPGRADE_OK;
}

/* ---- diagnostics ------------------------------------------------------------- */
/*
 * The message is formatted straight into the arena; file and object must
 * already live as long as the catalog (they are arena strings or static).
 *
 * One file may hold hundreds of thousands of faults (every <depends> of a
 * module naming an unknown module): past MAX_FILE_DIAGS of them, one more
 * diagnostic says so and the rest are dropped, so that neither memory nor
 * the time to print them grows with a broken file.
 */

#define MAX_FILE_DIAGS 1000u

int
upg_diag_vadd(struct upgrade_catalog *cat, const char *file, uint32_t file_index, unsigned long line,
              const char *object, const char *fmt, va_list ap)
{
	struct upg_diag *d;
	va_list copy;
	char *msg;
	int n, full = 0;

	if (file_index != C_FILE_INDEX) {
		if (file_index >= cat->nfile_diags) {
			size_t ncap = (size_t)file_index + 16;
			uint32_t *nc = realloc(cat->file_diags, ncap * sizeof *nc);

			if (nc == NULL)
				return UPGRADE_ENOMEM;
			memset(nc + cat->nfile_diags, 0, (ncap - cat->nfile_diags) * sizeof *nc);
			cat->file_diags = nc;
			cat->nfile_diags = ncap;
		}
		if (cat->file_diags[file_index] > MAX_FILE_DIAGS)
			return UPGRADE_OK;
		full = ++cat->file_diags[file_index] > MAX_FILE_DIAGS;
	}
	if (upg_grow(&cat->diags, &cat->capdiags, cat->ndiags + 1, sizeof *cat->diags, 16) !=
	    UPGRADE_OK)
		return UPGRADE_ENOMEM;
	if (full) {
		/* Line 0 sorts it before the file's other messages. */
		msg = upg_arena_printf(
		    &cat->arena, "more than %u problems in this file; the others are not shown",
		    MAX_FILE_DIAGS);
		if (msg == NULL)
			return UPGRADE_ENOMEM;
		line = 0;
		object = "";
	} else {
		va_copy(copy, ap);
		n = vsnprintf(NULL, 0, fmt, copy);
		va_end(copy);
		if (n < 0)
			return UPGRADE_ENOMEM;
		msg = upg_arena_alloc(&cat->arena, (size_t)n + 1);
		if (msg == NULL)
			return UPGRADE_ENOMEM;
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	}
	d = &cat->diags[cat->ndiags];
	d->file = file;
	d->file_index = file_index;
	d->line = line;
	d->object = object != NULL ? object : "";
	d->message = msg;
	d->seq = (uint32_t)cat->ndiags;
	cat->ndiags++;
	return UPGRADE_OK;
}

int
upg_diag_add(struct upgrade_catalog *cat, const char *file, uint32_t file_index, unsigned long line,
             const char *object, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = upg_diag_vadd(cat, file, file_index, line, object, fmt, ap);
	va_end(ap);
	return rc;
}

/* Records a warning about path (copied). */
static int
warn_add(struct upgrade_catalog *cat, const char *path, const char *fmt, ...) UPG_PRINTF(3, 4);

static int
warn_add(struct upgrade_catalog *cat, const char *path, const char *fmt, ...)
{
	struct upg_diag *w;
	va_list ap;
	char *msg;
	int n;

	if (upg_grow(&cat->warnings, &cat->capwarnings, cat->nwarnings + 1, sizeof *cat->warnings,
	             4) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return UPGRADE_ENOMEM;
	msg = upg_arena_alloc(&cat->arena, (size_t)n + 1);
	if (msg == NULL)
		return UPGRADE_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w = &cat->warnings[cat->nwarnings];
	memset(w, 0, sizeof *w);
	w->file = upg_arena_strdup(&cat->arena, path);
	if (w->file == NULL)
		return UPGRADE_ENOMEM;
	w->object = "";
	w->message = msg;
	w->seq = (uint32_t)cat->nwarnings++;
	return UPGRADE_OK;
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct upg_diag *x = a, *y = b;

	if (x->file_index != y->file_index)
		return x->file_index < y->file_index ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts diagnostics by file, then line, keeping the order of equals. */
static void
sort_diags(struct upgrade_catalog *cat)
{
	size_t i;

	if (cat->ndiags > 1)
		qsort(cat->diags, cat->ndiags, sizeof *cat->diags, diag_cmp);
	for (i = 0; i < cat->ndiags; i++)
		cat->diags[i].seq = (uint32_t)i;
}

size_t
upgrade_catalog_diag_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->ndiags : 0;
}

int
upgrade_catalog_diag(const char **file, unsigned long *line, const char **object, const char **message,
                     const struct upgrade_catalog *cat, size_t index)
{
	const struct upg_diag *d;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (index >= cat->ndiags)
		return UPGRADE_ENOTFOUND;
	d = &cat->diags[index];
	if (file != NULL)
		*file = d->file;
	if (line != NULL)
		*line = d->line;
	if (object != NULL)
		*object = d->object;
	if (message != NULL)
		*message = d->message;
	return UPGRADE_OK;
}

size_t
upgrade_catalog_warning_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->nwarnings : 0;
}

int
upgrade_catalog_warning(const char **file, unsigned long *line, const char **object,
                        const char **message, const struct upgrade_catalog *cat, size_t index)
{
	const struct upg_diag *w;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (index >= cat->nwarnings)
		return UPGRADE_ENOTFOUND;
	w = &cat->warnings[index];
	if (file != NULL)
		*file = w->file;
	if (line != NULL)
		*line = w->line;
	if (object != NULL)
		*object = w->object;
	if (message != NULL)
		*message = w->message;
	return UPGRADE_OK;
}

const char *
upgrade_catalog_error(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? upg_error_message(&cat->error) : "";
}

int
upgrade_catalog_error_code(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->error.code : UPGRADE_EINVAL;
}

const char *
upgrade_catalog_sqlstate(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->error.sqlstate : "";
}

long
upgrade_catalog_native_error(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->error.native : 0;
}

/* Sets the handle's error to a summary of the diagnostics, if any. */
static int
diag_result(struct upgrade_catalog *cat, size_t before)
{
	size_t n = cat->ndiags - before;

	if (n == 0)
		return UPGRADE_OK;
	return upg_error_set(&cat->error, UPGRADE_EPARSE, "%zu error%s in the catalogs", n, n == 1 ? "" : "s");
}

/* ---- names ---------------------------------------------------------------------- */

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

const char *
upg_check_module_name(const char *name, size_t max)
{
	const char *p;

	if (*name == '\0')
		return "is empty";
	if (strlen(name) > max)
		return "is too long";
	if (!upg_utf8_valid(name, strlen(name)))
		return "is not valid UTF-8";
	if (strchr(name, ':') != NULL)
		return "contains a colon";
	for (p = name; *p != '\0'; p++)
		if (*p == ' ' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return "contains white space or control characters";
	return NULL;
}

const char *
upg_check_task_name(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0)
		return "is empty";
	if (n > max)
		return "is too long";
	if (!upg_utf8_valid(name, n))
		return "is not valid UTF-8";
	if (has_control(name))
		return "contains control characters";
	if (name[0] == ' ' || name[n - 1] == ' ')
		return "has leading or trailing white space";
	if (strcmp(name, UPG_INSTALL_NAME) == 0)
		return "is reserved for the module's install block";
	return NULL;
}

int
upg_catalog_add_module_obj(struct upgrade_catalog *cat, struct upgrade_module *mod)
{
	void *old = NULL;
	int rc;

	mod->magic = UPG_MAGIC_MODULE;
	if (upg_grow(&cat->modules, &cat->capmodules, cat->nmodules + 1, sizeof *cat->modules, 64) != 0)
		return UPGRADE_ENOMEM;
	rc = upg_map_put(&cat->module_map, mod->name, mod, &old);
	if (rc < 0)
		return UPGRADE_ENOMEM;
	if (rc == 0) {
		const struct upgrade_module *first = old;

		if (upg_diag_add(cat, mod->file, mod->file_index, mod->line, mod->name,
		                 "module is already declared in %s:%lu", first->file, first->line) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
		return UPGRADE_EPARSE;
	}
	cat->modules[cat->nmodules++] = mod;
	return UPGRADE_OK;
}

int
upg_catalog_add_task_obj(struct upgrade_catalog *cat, struct upgrade_task *t)
{
	struct upgrade_module *mod = t->module;
	void *old = NULL;
	int rc;

	t->magic = UPG_MAGIC_TASK;
	if (cat->ntasks >= cat->limits.tasks) {
		if (cat->ntasks == cat->limits.tasks) {
			if (upg_diag_add(cat, mod->file, mod->file_index, t->line, t->id,
			                 "more than %zu tasks in the catalogs", cat->limits.tasks) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
			/* Counted once past the limit so the message is not repeated. */
			cat->ntasks++;
		}
		return UPGRADE_EPARSE;
	}
	if (upg_grow(&cat->tasks, &cat->captasks, cat->ntasks + 1, sizeof *cat->tasks, 64) != 0)
		return UPGRADE_ENOMEM;
	rc = upg_map_put(&cat->task_map, t->id, t, &old);
	if (rc < 0)
		return UPGRADE_ENOMEM;
	if (rc == 0) {
		const struct upgrade_task *first = old;

		if (mod->quiet)
			return UPGRADE_EPARSE;
		if (upg_diag_add(cat, mod->file, mod->file_index, t->line, t->id,
		                 "task is declared twice (first at %s:%lu)", first->module->file, first->line) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
		return UPGRADE_EPARSE;
	}
	t->decl = mod->ntasks++;
	cat->tasks[cat->ntasks++] = t;
	return UPGRADE_OK;
}

/* ---- loading ---------------------------------------------------------------------- */

static int
check_loadable(struct upgrade_catalog *cat)
{
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	return UPGRADE_OK;
}

/* Loads one document; counts it against the file limit. */
static int
load_buffer(struct upgrade_catalog *cat, const char *name, const char *buf, size_t len)
{
	size_t before = cat->ndiags;
	int rc;

	if (cat->nfiles >= cat->limits.files) {
		if (cat->nfiles == cat->limits.files &&
		    upg_diag_add(cat, name, cat->nfiles, 0, "", "more than %zu catalog files",
		                 cat->limits.files) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		cat->nfiles++;
		return upg_error_set(&cat->error, UPGRADE_EPARSE, "too many catalog files");
	}
	rc = upg_xml_load(cat, name, buf, len);
	cat->nfiles++;
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK || cat->ndiags > before)
		return upg_error_set(&cat->error, UPGRADE_EPARSE, "%s: errors in the catalog", name);
	return UPGRADE_OK;
}

int
upgrade_catalog_load_memory(struct upgrade_catalog *cat, const char *name, const void *buf, size_t len)
{
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (name == NULL || (buf == NULL && len > 0))
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a name and a buffer are required");
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	upg_error_clear(&cat->error);
	return load_buffer(cat, name, buf != NULL ? buf : "", len);
}

/*
 * Reads a file, refusing one over the size limit before reading it all,
 * and anything that is not a regular file before reading from it (a FIFO
 * would block forever, /dev/zero never end).  Returns the bytes (malloc'ed,
 * NUL-terminated) or NULL with a diagnostic recorded and *rc set.
 */
static char *
read_catalog_file(struct upgrade_catalog *cat, const char *path, size_t *len, int *rc)
{
	const char *fname;
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	FILE *f;
	int fd;

	fd = upg_open_regular(path, &st);
	f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (f == NULL) {
		int e = errno;
		struct stat lst;
		const char *dangling = "";

		if (fd >= 0)
			close(fd);
		/* ENOENT for a name that is there: a link to nothing. */
		if (fd == -1 && e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
			dangling = " (a dangling symbolic link)";
		fname = upg_arena_strdup(&cat->arena, path);
		*rc = fd == -1 && e == ENOENT ? UPGRADE_ENOTFOUND : UPGRADE_EPARSE;
		if (fname == NULL ||
		    (fd == -2 ? upg_diag_add(cat, fname, cat->nfiles++, 0, "", "cannot load: %s",
		                             upg_file_kind(st.st_mode))
		              : upg_diag_add(cat, fname, cat->nfiles++, 0, "", "cannot open: %s%s",
		                             strerror(e), dangling)) != UPGRADE_OK)
			*rc = UPGRADE_ENOMEM;
		return NULL;
	}
	if ((uintmax_t)st.st_size > (uintmax_t)cat->limits.file_size) {
		fclose(f);
		fname = upg_arena_strdup(&cat->arena, path);
		*rc = UPGRADE_EPARSE;
		if (fname == NULL ||
		    upg_diag_add(cat, fname, cat->nfiles++, 0, "", "file is larger than the limit of %zu bytes",
		                 cat->limits.file_size) != UPGRADE_OK)
			*rc = UPGRADE_ENOMEM;
		return NULL;
	}
	/* Read at most one byte past the limit: enough to know it is exceeded
	 * (the size may have changed since fstat, or it is a file such as
	 * those of /proc that says it is empty). */
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > cat->limits.file_size + 1)
		cap = cat->limits.file_size + 1;
	buf = malloc(cap + 1);
	if (buf == NULL) {
		fclose(f);
		*rc = UPGRADE_ENOMEM;
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			char *nb;

			if (cap > cat->limits.file_size)
				break;
			/* Not upg_grow(): the buffer stops one byte past the limit. */
			cap = cap > (cat->limits.file_size + 1) / 2 ? cat->limits.file_size + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				*rc = UPGRADE_ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		fname = upg_arena_strdup(&cat->arena, path);
		*rc = UPGRADE_EPARSE;
		if (fname == NULL ||
		    upg_diag_add(cat, fname, cat->nfiles++, 0, "", "cannot read: %s", strerror(e)) != UPGRADE_OK)
			*rc = UPGRADE_ENOMEM;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	*rc = UPGRADE_OK;
	return buf;
}

int
upgrade_catalog_load_file(struct upgrade_catalog *cat, const char *path)
{
	size_t len = 0;
	char *buf;
	int rc;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (path == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "no path given");
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	upg_error_clear(&cat->error);
	buf = read_catalog_file(cat, path, &len, &rc);
	if (buf == NULL) {
		if (rc == UPGRADE_ENOMEM)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, rc, "%s: cannot load", path);
	}
	rc = load_buffer(cat, path, buf, len);
	free(buf);
	return rc;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
is_catalog_name(const char *name)
{
	size_t n = strlen(name);

	/* Hidden files are editor and packaging leftovers, not catalogs. */
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".xml") == 0;
}
/*
 * Names are collected first and sorted, because readdir() order depends on
 * the file system and the order files are loaded in shows in diagnostics
 * (never in the plan).  A file that fails does not stop the others.
 */

int
upgrade_catalog_load_dir(struct upgrade_catalog *cat, const char *path)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	int rc = UPGRADE_OK;
	DIR *dir;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (path == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "no path given");
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	upg_error_clear(&cat->error);
	dir = opendir(path);
	if (dir == NULL) {
		int e = errno;
		const char *fname = upg_arena_strdup(&cat->arena, path);

		if (fname == NULL || upg_diag_add(cat, fname, cat->nfiles++, 0, "", "cannot open directory: %s",
		                                  strerror(e)) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, e == ENOENT ? UPGRADE_ENOTFOUND : UPGRADE_EPARSE,
		                     "%s: cannot open directory", path);
	}
	while ((de = readdir(dir)) != NULL) {
		struct upg_buf full = UPG_BUF_INIT;
		char *s;

		if (!is_catalog_name(de->d_name))
			continue;
		upg_buf_puts(&full, path);
		if (full.len > 0 && full.data[full.len - 1] != '/')
			upg_buf_putc(&full, '/');
		upg_buf_puts(&full, de->d_name);
		s = upg_buf_detach(&full);
		if (s == NULL || upg_grow(&names, &cap, n + 1, sizeof *names, 64) != 0) {
			free(s);
			rc = UPGRADE_ENOMEM;
			break;
		}
		names[n++] = s;
	}
	closedir(dir);
	if (rc == UPGRADE_OK && n > 1)
		qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n; i++) {
		/* A directory, FIFO or device named *.xml is no catalog: it is
		 * skipped, with a warning, for it may well be a mistake.  A
		 * dangling link or one that cannot be followed is an error, when
		 * it cannot be opened; so is a file replaced by a FIFO now. */
		if (rc != UPGRADE_ENOMEM && stat(names[i], &st) == 0 && !S_ISREG(st.st_mode)) {
			if (warn_add(cat, names[i], "skipped: %s", upg_file_kind(st.st_mode)) !=
			    UPGRADE_OK)
				rc = UPGRADE_ENOMEM;
		} else if (rc != UPGRADE_ENOMEM) {
			int r = upgrade_catalog_load_file(cat, names[i]);

			if (r == UPGRADE_ENOMEM || rc == UPGRADE_OK)
				rc = r;
		}
		free(names[i]);
	}
	free(names);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK)
		return upg_error_set(&cat->error, rc, "%s: errors in the catalogs", path);
	return UPGRADE_OK;
}

int
upgrade_catalog_load_path(struct upgrade_catalog *cat, const char *path)
{
	struct stat st;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return upgrade_catalog_load_dir(cat, path);
	return upgrade_catalog_load_file(cat, path);
}

/* ---- parameters ----------------------------------------------------------------- */

static int
param_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

static int
param_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!param_char(s[i], i == 0))
			return 0;
	return 1;
}

int
upgrade_catalog_set_param(struct upgrade_catalog *cat, const char *name, const char *value)
{
	const char *colon, *param;
	struct upg_define *d;
	size_t i;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (name == NULL || value == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a parameter needs a name and a value");
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	/* "module:param" or "param"; module names have no colon, parameter
	 * names neither, so the first colon splits. */
	colon = strchr(name, ':');
	param = colon != NULL ? colon + 1 : name;
	if (!param_name_valid(param, strlen(param)) || colon == name)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "invalid parameter name '%s'", name);
	for (i = 0; i < cat->ndefines; i++) {
		if (strcmp(cat->defines[i].name, name) == 0) {
			const char *v = upg_arena_strdup(&cat->arena, value);

			if (v == NULL)
				return upg_error_oom(&cat->error);
			cat->defines[i].value = v;
			return UPGRADE_OK;
		}
	}
	if (upg_grow(&cat->defines, &cat->capdefines, cat->ndefines + 1, sizeof *cat->defines, 64) != 0)
		return upg_error_oom(&cat->error);
	d = &cat->defines[cat->ndefines];
	d->name = upg_arena_strdup(&cat->arena, name);
	d->value = upg_arena_strdup(&cat->arena, value);
	if (d->name == NULL || d->value == NULL)
		return upg_error_oom(&cat->error);
	cat->ndefines++;
	return UPGRADE_OK;
}

/* A defined value for "module:param", else for "param"; NULL when none. */
static const char *
defined_value(const struct upgrade_catalog *cat, const char *module, const char *param, size_t plen)
{
	size_t mlen = strlen(module), i;
	const char *plain = NULL;

	for (i = 0; i < cat->ndefines; i++) {
		const char *n = cat->defines[i].name;

		if (strncmp(n, module, mlen) == 0 && n[mlen] == ':' && strncmp(n + mlen + 1, param, plen) == 0 &&
		    n[mlen + 1 + plen] == '\0')
			return cat->defines[i].value;
		if (strncmp(n, param, plen) == 0 && n[plen] == '\0')
			plain = cat->defines[i].value;
	}
	return plain;
}

/*
 * The value of placeholder param in module mod.  *declared tells whether the
 * module declares it.  NULL when it has no value.
 */
static const char *
param_value(const struct upgrade_catalog *cat, const struct upgrade_module *mod, const char *param,
            size_t plen, int *declared)
{
	const char *v;

	/* Binary search: the parameters are sorted by name. */
	size_t lo = 0, hi = mod->nparams;

	*declared = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = mod->params[mid].name;
		int c = strncmp(name, param, plen);

		if (c == 0 && name[plen] != '\0')
			c = 1;
		if (c == 0) {
			*declared = 1;
			v = defined_value(cat, mod->name, param, plen);
			return v != NULL ? v : mod->params[mid].def;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* 1 for a <step for-each-schema="true">. */
static int
step_each_schema(const struct upg_node *step)
{
	const char *v = upg_node_attr(step, "for-each-schema");

	return v != NULL && strcmp(v, "true") == 0;
}

/*
 * Substitutes the placeholders of s for task t.  Returns s itself when it
 * holds no '$', an arena copy otherwise, or NULL when out of memory (*oom).
 * Problems are recorded against line.  In the text of a for-each-schema
 * step (each 1) ${schema} and the "$${" escape are left for the runner,
 * which knows the schema only when the step runs; in its attributes (each
 * 2) ${schema} is an error, the operations addressing that schema anyway.
 */
static const char *
substitute(struct upgrade_catalog *cat, const struct upgrade_task *t, const char *s, unsigned long line,
           int each, int *oom)
{
	const struct upgrade_module *mod = t->module;
	struct upg_buf out = UPG_BUF_INIT;
	const char *p = s, *res;

	if (strchr(s, '$') == NULL)
		return s;
	while (*p != '\0') {
		const char *end, *v;
		int declared;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			/* "$${" is the escape for a literal "${". */
			upg_buf_append(&out, each == 1 ? "$${" : "${", each == 1 ? 3 : 2);
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			upg_buf_putc(&out, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (end == NULL) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "unterminated placeholder '%.40s'", p) != UPGRADE_OK)
				*oom = 1;
			upg_buf_puts(&out, p);
			break;
		}
		if (!param_name_valid(p + 2, (size_t)(end - p - 2))) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "invalid placeholder '%.*s'", (int)(end - p + 1), p) != UPGRADE_OK)
				*oom = 1;
			p = end + 1;
			continue;
		}
		if (each == 1 && end - p == 8 && memcmp(p, "${schema}", 9) == 0) {
			upg_buf_puts(&out, "${schema}");
			p = end + 1;
			continue;
		}
		v = param_value(cat, mod, p + 2, (size_t)(end - p - 2), &declared);
		if (!declared && end - p == 8 && memcmp(p, "${schema}", 9) == 0) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id, "%s",
			                 each == 2 ? "${schema} is replaced only in <sql> and <query> text; "
			                             "operations address the step's schema by themselves"
			                           : "${schema} is known only in a <step for-each-schema=\"true\"> "
			                             "of a raw task") != UPGRADE_OK)
				*oom = 1;
		} else if (!declared) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "unknown placeholder '%.*s' (declare it with <param name=\"%.*s\"/>)",
			                 (int)(end - p + 1), p, (int)(end - p - 2), p + 2) != UPGRADE_OK)
				*oom = 1;
		} else if (v != NULL) {
			upg_buf_puts(&out, v);
		}
		/* A declared placeholder without a value is reported once, at
		 * its <param>, by check_params(). */
		p = end + 1;
	}
	if (out.failed) {
		*oom = 1;
		upg_buf_free(&out);
		return NULL;
	}
	res = upg_arena_strndup(&cat->arena, out.data != NULL ? out.data : "", out.len);
	upg_buf_free(&out);
	if (res == NULL)
		*oom = 1;
	return res;
}

static int
c_identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/*
 * Substitutes placeholders in a node tree and checks native references;
 * each: inside a for-each-schema step.
 */
static void
substitute_nodes(struct upgrade_catalog *cat, const struct upgrade_task *t, struct upg_node *n, int each,
                 int *oom)
{
	const struct upgrade_module *mod = t->module;

	for (; n != NULL && !*oom; n = n->next) {
		size_t i;

		if (n->raw != NULL)
			n->text = substitute(cat, t, n->raw, n->line, each, oom);
		for (i = 0; i < n->nattrs && !*oom; i++) {
			/* Dialect lists select alternatives; they are part of the
			 * catalog's structure, not of its values. */
			if (strcmp(n->attrs[i].name, "dialect") == 0)
				continue;
			n->attrs[i].value = substitute(cat, t, n->attrs[i].raw, n->line, each ? 2 : 0, oom);
		}
		if (*oom)
			return;
		if (n->kind == UPG_NODE_NATIVE && !mod->quiet) {
			const char *lib = upg_node_attr(n, "library"), *sym = upg_node_attr(n, "symbol");

			/* Libraries are looked up only in the task directories and
			 * the documented library path: no directory parts. */
			if (lib != NULL && (*lib == '\0' || strchr(lib, '/') != NULL || strcmp(lib, "..") == 0 ||
			                    strcmp(lib, ".") == 0) &&
			    upg_diag_add(cat, mod->file, mod->file_index, n->line, t->id,
			                 "native library '%s' must be a file name without a directory", lib) != UPGRADE_OK)
				*oom = 1;
			if (sym != NULL && !c_identifier(sym) &&
			    upg_diag_add(cat, mod->file, mod->file_index, n->line, t->id,
			                 "native symbol '%s' is not a C identifier", sym) != UPGRADE_OK)
				*oom = 1;
		}
		substitute_nodes(cat, t, n->child, each || (n->kind == UPG_NODE_STEP && step_each_schema(n)),
		                 oom);
	}
}

/* Every parameter without a default must be given a value. */
static int
check_params(struct upgrade_catalog *cat)
{
	size_t i, j;

	for (i = 0; i < cat->nmodules; i++) {
		const struct upgrade_module *mod = cat->modules[i];

		if (mod->quiet)
			continue;
		for (j = 0; j < mod->nparams; j++) {
			const struct upg_param *p = &mod->params[j];

			if (p->def != NULL ||
			    defined_value(cat, mod->name, p->name, strlen(p->name)) != NULL)
				continue;
			if (upg_diag_add(cat, mod->file, mod->file_index, p->line, mod->name,
			                 "parameter '%s' has no value (give it a default, or a value with -D %s=VALUE)",
			                 p->name, p->name) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
		}
	}
	return UPGRADE_OK;
}

/* ---- registration in C ----------------------------------------------------------- */

int
upgrade_catalog_add_module(struct upgrade_catalog *cat, const char *name, const char *const *depends)
{
	struct upgrade_module *mod;
	size_t n = 0, i;
	const char *why;
	int rc;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (name == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a module needs a name");
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	why = upg_check_module_name(name, cat->limits.name);
	if (why != NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, "", "module name '%s' %s", name, why) != 0)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module name '%s' %s", name, why);
	}
	mod = upg_arena_alloc(&cat->arena, sizeof *mod);
	if (mod == NULL || (mod->name = upg_arena_strdup(&cat->arena, name)) == NULL)
		return upg_error_oom(&cat->error);
	mod->file = UPG_C_FILE;
	mod->file_index = C_FILE_INDEX;
	if (depends != NULL)
		while (depends[n] != NULL)
			n++;
	if (n > 0) {
		mod->depends = upg_arena_alloc(&cat->arena, n * sizeof *mod->depends);
		mod->depends_line = upg_arena_alloc(&cat->arena, n * sizeof *mod->depends_line);
		if (mod->depends == NULL || mod->depends_line == NULL)
			return upg_error_oom(&cat->error);
		for (i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < mod->ndepends; j++)
				if (strcmp(mod->depends[j], depends[i]) == 0)
					break;
			if (j < mod->ndepends)
				continue; /* a repeated name in C is harmless */
			mod->depends[mod->ndepends] = upg_arena_strdup(&cat->arena, depends[i]);
			if (mod->depends[mod->ndepends] == NULL)
				return upg_error_oom(&cat->error);
			mod->ndepends++;
		}
	}
	rc = upg_catalog_add_module_obj(cat, mod);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module '%s' is already declared", name);
	return UPGRADE_OK;
}

int
upgrade_catalog_add_task(struct upgrade_catalog *cat, const char *module, const char *name,
                         upgrade_task_fn fn, void *userdata, unsigned flags, const char *requires)
{
	struct upgrade_module *mod;
	struct upgrade_task *t;
	const char *why;
	int rc;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (module == NULL || name == NULL || fn == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a task needs a module, a name and a function");
	if ((flags & ~(UPGRADE_TASK_ALWAYS_RUN | UPGRADE_TASK_RAW)) != 0)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "unknown task flags 0x%x", flags);
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	mod = upg_map_get(&cat->module_map, module);
	if (mod == NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, "", "task '%s': unknown module '%s'", name, module) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "unknown module '%s'", module);
	}
	why = upg_check_task_name(name, cat->limits.name);
	if (why != NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, mod->name, "task name '%s' %s", name, why) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "task name '%s' %s", name, why);
	}
	t = upg_arena_alloc(&cat->arena, sizeof *t);
	if (t == NULL)
		return upg_error_oom(&cat->error);
	t->name = upg_arena_strdup(&cat->arena, name);
	t->id = upg_arena_printf(&cat->arena, "%s:%s", mod->name, name);
	if (t->name == NULL || t->id == NULL)
		return upg_error_oom(&cat->error);
	t->module = mod;
	t->fn = fn;
	t->userdata = userdata;
	t->flags = UPGRADE_TASK_CODE | flags;
	if (flags & UPGRADE_TASK_RAW)
		t->flags |= UPGRADE_TASK_ALWAYS_RUN;
	if (requires != NULL) {
		const char *colon = strchr(requires, ':');

		if (flags & UPGRADE_TASK_RAW) {
			if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, t->id,
			                 "raw task may not require other tasks (requires '%s')", requires) != UPGRADE_OK)
				return upg_error_oom(&cat->error);
			return upg_error_set(&cat->error, UPGRADE_EINVAL, "raw task '%s' may not require other tasks",
			                     t->id);
		}
		if (colon == NULL || colon == requires || colon[1] == '\0') {
			if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, t->id,
			                 "requires '%s' is not a task id (module:name)", requires) != UPGRADE_OK)
				return upg_error_oom(&cat->error);
			return upg_error_set(&cat->error, UPGRADE_EINVAL, "requires '%s' is not a task id", requires);
		}
		t->requires = upg_arena_strdup(&cat->arena, requires);
		if (t->requires == NULL)
			return upg_error_oom(&cat->error);
	}
	rc = upg_catalog_add_task_obj(cat, t);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "task '%s' cannot be added", t->id);
	return UPGRADE_OK;
}

/* ---- prepare ----------------------------------------------------------------------- */
/*
 * The order matters: parameter values first (a missing one is reported at
 * its <param>), then substitution (which needs them), then the planner,
 * then the diagnostics are sorted so that output does not depend on which
 * check found what.
 */

int
upgrade_catalog_prepare(struct upgrade_catalog *cat)
{
	int oom = 0, rc;
	size_t i;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	cat->prepared = 1;
	upg_error_clear(&cat->error);

	if (check_params(cat) != UPGRADE_OK)
		return upg_error_oom(&cat->error);
	for (i = 0; i < cat->ntasks && !oom; i++) {
		struct upgrade_task *t = cat->tasks[i];

		if (t->guard != NULL)
			substitute_nodes(cat, t, t->guard, 0, &oom);
		if (!oom)
			substitute_nodes(cat, t, t->body, 0, &oom);
	}
	for (i = 0; i < cat->nmodules && !oom; i++)
		if (cat->modules[i]->install != NULL)
			substitute_nodes(cat, cat->modules[i]->install, cat->modules[i]->install->body, 0, &oom);
	/* Attributes as the tasks will read them, placeholders substituted. */
	if (oom || upg_catalog_check(cat, 0, 0) != UPGRADE_OK)
		return upg_error_oom(&cat->error);
	rc = upg_plan_compute(cat);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	sort_diags(cat);
	if (cat->ndiags > 0) {
		/* A plan from catalogs with errors must not be run by mistake. */
		free(cat->plan);
		cat->plan = NULL;
		cat->nplan = 0;
		return diag_result(cat, 0);
	}
	return upg_plan_select(cat);
}

/* ---- resolution for one dialect ------------------------------------------------------ */

const char *
upg_node_attr(const struct upg_node *node, const char *name)
{
	size_t lo = 0, hi = node->nattrs;

	/* Attributes are sorted by name. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(node->attrs[mid].name, name);

		if (c == 0)
			return node->attrs[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct action_list {
	const struct upg_node **items;
	size_t n, cap;
};

static int
action_push(struct action_list *l, const struct upg_node *n)
{
	if (upg_grow(&l->items, &l->cap, l->n + 1, sizeof *l->items, 64) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	l->items[l->n++] = n;
	return UPGRADE_OK;
}

static int
applies(const struct upg_node *n, unsigned bit)
{
	return n->dialects == 0 || (n->dialects & bit) != 0;
}

/*
 * Appends the actions of the body items from n up to end (exclusive) that
 * apply to the dialect bit, taking one alternative of each <choose>.
 */
static int
collect_actions(struct action_list *l, const struct upg_node *n, const struct upg_node *end,
                unsigned bit, const char *dialect, const struct upgrade_task *t,
                struct upg_error *err)
{
	for (; n != end; n = n->next) {
		const struct upg_node *alt = NULL, *c;

		switch (n->kind) {
		case UPG_NODE_SQL:
		case UPG_NODE_NATIVE:
		case UPG_NODE_OP:
		case UPG_NODE_ASSERT:
			if (applies(n, bit) && action_push(l, n) != UPGRADE_OK)
				return upg_error_oom(err);
			break;
		case UPG_NODE_CHOOSE:
			for (c = n->child; c != NULL && alt == NULL; c = c->next)
				if ((c->kind == UPG_NODE_WHEN && (c->dialects & bit) != 0) ||
				    c->kind == UPG_NODE_OTHERWISE)
					alt = c;
			if (alt == NULL)
				return upg_error_set(err, UPGRADE_EUNSUPPORTED,
				                     "cannot run on dialect '%s': the <choose> at %s:%lu has no <when> "
				                     "for it and no <otherwise>",
				                     dialect, t->module->file, n->line);
			for (c = alt->child; c != NULL; c = c->next)
				if (applies(c, bit) && action_push(l, c) != UPGRADE_OK)
					return upg_error_oom(err);
			break;
		default:
			break;
		}
	}
	return UPGRADE_OK;
}

void
upg_resolved_free(struct upg_resolved *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nunits; i++)
		free(res->units[i].actions);
	free(res->units);
	free(res);
}
/*
 * Two passes: count the units, then fill them; arrays are allocated with
 * malloc (not the arena) because the runner resolves tasks repeatedly and
 * frees each result.
 */

int
upg_task_resolve(struct upg_resolved **out, const struct upgrade_task *task, const char *dialect,
                 struct upg_error *err)
{
	struct upg_resolved *res;
	const struct upg_node *n;
	size_t nunits = 0;
	unsigned bit;
	int rc = UPGRADE_OK;

	*out = NULL;
	bit = dialect != NULL ? upg_dialect_bit(dialect, strlen(dialect)) : 0;
	if (bit == 0)
		return upg_error_set(err, UPGRADE_ENOTFOUND, "no such dialect '%s'", dialect != NULL ? dialect : "");
	res = calloc(1, sizeof *res);
	if (res == NULL)
		return upg_error_oom(err);
	res->guard = task->guard;
	if (task->fn != NULL) {
		*out = res;
		return UPGRADE_OK;
	}
	/* A step is a unit, and so is each run of items between steps. */
	for (n = task->body; n != NULL; n = n->next) {
		if (n->kind == UPG_NODE_STEP)
			nunits++;
		else if (n->next == NULL || n->next->kind == UPG_NODE_STEP)
			nunits++;
	}
	if (nunits == 0)
		nunits = 1;
	res->units = calloc(nunits, sizeof *res->units);
	if (res->units == NULL) {
		free(res);
		return upg_error_oom(err);
	}
	if (task->body == NULL) {
		res->nunits = 1;
		res->units[0].line = task->line;
	}
	for (n = task->body; n != NULL && rc == UPGRADE_OK; n = n->next) {
		struct upg_unit *u;
		struct action_list l = {NULL, 0, 0};
		const struct upg_node *first, *end;

		if (n->kind == UPG_NODE_STEP) {
			u = &res->units[res->nunits++];
			u->line = n->line;
			u->each_schema = step_each_schema(n);
			first = n->child;
			if (first != NULL && first->kind == UPG_NODE_GUARD) {
				u->guard = first;
				first = first->next;
			}
			end = NULL;
		} else {
			u = &res->units[res->nunits++];
			u->line = n == task->body ? task->line : n->line;
			first = n;
			for (end = n; end != NULL && end->kind != UPG_NODE_STEP; end = end->next)
				;
			while (n->next != end)
				n = n->next;
		}
		rc = collect_actions(&l, first, end, bit, dialect, task, err);
		u->actions = l.items;
		u->nactions = l.n;
	}
	if (rc != UPGRADE_OK) {
		upg_resolved_free(res);
		return rc;
	}
	*out = res;
	return UPGRADE_OK;
}
/*
 * Resolves every task of the plan as the runner would, so that a missing
 * alternative is found in CI rather than in production.
 */

static int
check_one_dialect(struct upgrade_catalog *cat, const char *dialect)
{
	size_t i;
	struct upg_error err = {0, NULL, "", 0};

	/* The plan, then the install blocks, which are in no plan. */
	for (i = 0; i < cat->nplan + cat->nmodules; i++) {
		const struct upgrade_task *t =
		    i < cat->nplan ? cat->plan[i] : cat->modules[i - cat->nplan]->install;
		struct upg_resolved *res = NULL;
		int rc;

		if (t == NULL)
			continue;
		rc = upg_task_resolve(&res, t, dialect, &err);
		upg_resolved_free(res);
		if (rc == UPGRADE_ENOMEM) {
			upg_error_clear(&err);
			return upg_error_oom(&cat->error);
		}
		if (rc != UPGRADE_OK &&
		    upg_diag_add(cat, t->module->file, t->module->file_index, t->line, t->id, "%s",
		                 upg_error_message(&err)) != UPGRADE_OK) {
			upg_error_clear(&err);
			return upg_error_oom(&cat->error);
		}
		upg_error_clear(&err);
	}
	/* What the dialect lacks, in the alternatives it takes (catalog-check.c). */
	if (upg_catalog_check_dialect(cat, dialect, upg_dialect_bit(dialect, strlen(dialect))) !=
	    UPGRADE_OK)
		return upg_error_oom(&cat->error);
	return UPGRADE_OK;
}

int
upgrade_catalog_check_dialect(struct upgrade_catalog *cat, const char *dialect)
{
	size_t before, i;
	unsigned named;
	int rc = UPGRADE_OK;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (dialect != NULL && upg_dialect_bit(dialect, strlen(dialect)) == 0)
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "no such dialect '%s'", dialect);
	if (!cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "prepare the catalog first");
	upg_error_clear(&cat->error);
	before = cat->ndiags;
	if (dialect != NULL) {
		rc = check_one_dialect(cat, dialect);
	} else {
		/* NULL: every dialect the catalog names. */
		named = upg_catalog_dialects_named(cat);
		for (i = 0; upg_dialects[i] != NULL && rc == UPGRADE_OK; i++)
			if (named & upg_dialect_bit(upg_dialects[i]->name, strlen(upg_dialects[i]->name)))
				rc = check_one_dialect(cat, upg_dialects[i]->name);
	}
	if (rc != UPGRADE_OK)
		return rc;
	sort_diags(cat);
	return diag_result(cat, before);
}

/* ---- accessors ------------------------------------------------------------------------ */

size_t
upgrade_catalog_task_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->nplan : 0;
}

const struct upgrade_task *
upgrade_catalog_task_at(const struct upgrade_catalog *cat, size_t index)
{
	return UPG_IS(cat, CATALOG) && index < cat->nplan ? cat->plan[index] : NULL;
}

const struct upgrade_task *
upgrade_catalog_find_task(const struct upgrade_catalog *cat, const char *id)
{
	const struct upgrade_task *t =
	    UPG_IS(cat, CATALOG) && id != NULL ? upg_map_get(&cat->task_map, id) : NULL;

	return t != NULL && !t->module->unselected ? t : NULL;
}

size_t
upgrade_catalog_module_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->nmodules : 0;
}

const struct upgrade_module *
upgrade_catalog_module_at(const struct upgrade_catalog *cat, size_t index)
{
	return UPG_IS(cat, CATALOG) && index < cat->nmodules ? cat->modules[index] : NULL;
}

const struct upgrade_module *
upgrade_catalog_find_module(const struct upgrade_catalog *cat, const char *name)
{
	const struct upgrade_module *m =
	    UPG_IS(cat, CATALOG) && name != NULL ? upg_map_get(&cat->module_map, name) : NULL;

	return m != NULL && !m->unselected ? m : NULL;
}

const char *
upgrade_task_id(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->id : NULL;
}

const char *
upgrade_task_module(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->module->name : NULL;
}

const char *
upgrade_task_name(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->name : NULL;
}

const char *
upgrade_task_description(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->description : NULL;
}

unsigned
upgrade_task_flags(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->flags : 0;
}

const char *
upgrade_task_requires(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->requires : NULL;
}

const char *
upgrade_task_file(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->module->file : NULL;
}

unsigned long
upgrade_task_line(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->line : 0;
}

const char *
upgrade_task_checksum(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->checksum : NULL;
}

const char *
upgrade_module_name(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->name : NULL;
}

const char *
upgrade_module_description(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->description : NULL;
}

const char *
upgrade_module_file(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->file : NULL;
}

unsigned long
upgrade_module_line(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->line : 0;
}

size_t
upgrade_module_depends_count(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->ndepends : 0;
}

const char *
upgrade_module_depends_at(const struct upgrade_module *module, size_t index)
{
	return UPG_IS(module, MODULE) && index < module->ndepends ? module->depends[index] : NULL;
}

size_t
upgrade_module_task_count(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->ntasks : 0;
}

const struct upgrade_task *
upgrade_module_install(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->install : NULL;
}

/* The install block's task object; its id names it in messages. */
struct upgrade_task *
upg_install_new(struct upgrade_catalog *cat, struct upgrade_module *mod)
{
	struct upgrade_task *t = upg_arena_alloc(&cat->arena, sizeof *t);

	if (t == NULL)
		return NULL;
	t->name = UPG_INSTALL_NAME;
	t->id = upg_arena_printf(&cat->arena, "%s %s", mod->name, UPG_INSTALL_NAME);
	if (t->id == NULL)
		return NULL;
	t->module = mod;
	t->flags = UPGRADE_TASK_INSTALL;
	t->magic = UPG_MAGIC_TASK;
	return t;
}

int
upgrade_catalog_set_install(struct upgrade_catalog *cat, const char *module, upgrade_task_fn fn,
                            void *userdata)
{
	struct upgrade_module *mod;
	struct upgrade_task *t;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (module == NULL || fn == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "an install block needs a module and a function");
	if (check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	mod = upg_map_get(&cat->module_map, module);
	if (mod == NULL)
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "unknown module '%s'", module);
	if (mod->install != NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module '%s' has an install block already",
		                     module);
	if ((t = upg_install_new(cat, mod)) == NULL)
		return upg_error_oom(&cat->error);
	t->fn = fn;
	t->userdata = userdata;
	t->flags |= UPGRADE_TASK_CODE;
	mod->install = t;
	return UPGRADE_OK;
}
