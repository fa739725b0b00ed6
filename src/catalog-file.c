/* SPDX-License-Identifier: MIT */
/*
 * catalog-file.c - loading catalogs: buffers, regular files only (never a
 * FIFO, device or directory by mistake), and drop-in directories read in
 * name order.
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

/* ---- loading ---------------------------------------------------------------------- */

/* What every load of a path starts with: the handle, a path, not prepared yet. */
static int
load_start(struct upgrade_catalog *cat, const char *path)
{
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (path == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "no path given");
	if (upg_catalog_check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	upg_error_clear(&cat->error);
	return UPGRADE_OK;
}

/* Loads one document; counts it against the file limit. */
static int
load_buffer(struct upgrade_catalog *cat, const char *name, const char *buf, size_t len)
{
	size_t before = cat->ndiags;
	int rc;

	if (cat->nfiles >= cat->limits.files) {
		/* Said once, though files that cannot be read count past the limit too. */
		if (!cat->files_over_limit &&
		    upg_diag_add(cat, name, cat->nfiles, 0, "", "more than %zu catalog files",
		                 cat->limits.files) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		cat->files_over_limit = 1;
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
	if (upg_catalog_check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	upg_error_clear(&cat->error);
	return load_buffer(cat, name, buf != NULL ? buf : "", len);
}

/*
 * Whether the file open as st was opened before, under this name or
 * another (a second -T, a hard or symbolic link, a directory that holds
 * it): 1 if so, 0 if not (and now it was), -1 without memory.
 */
static int
opened_before(struct upgrade_catalog *cat, const struct stat *st)
{
	char *key = upg_arena_printf(&cat->arena, "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
	int rc;

	if (key == NULL || (rc = upg_map_put(&cat->file_ids, key, cat, NULL)) < 0)
		return -1;
	return rc == 0;
}

/*
 * Reads a file, refusing one over the size limit before reading it all,
 * and anything that is not a regular file before reading from it (a FIFO
 * would block forever, /dev/zero never end).  Returns the bytes (malloc'ed,
 * NUL-terminated) or NULL with a diagnostic recorded and *rc set; NULL
 * with *rc UPGRADE_OK for a file loaded before, which loads once.
 */
static char *
read_catalog_file(struct upgrade_catalog *cat, const char *path, size_t *len, int *rc)
{
	const char *fname;
	struct stat st;
	size_t cap, stop, n = 0;
	char *buf;
	FILE *f;
	int fd;

	fd = upg_open_regular(path, &st);
	if (fd >= 0) {
		int before = opened_before(cat, &st);

		if (before != 0) {
			close(fd);
			*rc = before < 0 ? UPGRADE_ENOMEM : UPGRADE_OK;
			return NULL;
		}
	}
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
	/* That byte's place must not wrap, nor the terminator's after it (a limit of SIZE_MAX). */
	stop = cat->limits.file_size < SIZE_MAX - 2 ? cat->limits.file_size + 1 : SIZE_MAX - 1;
	cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 65536;
	if (cap > stop)
		cap = stop;
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

			if (cap >= stop)
				break;
			/* Not upg_grow(): the buffer stops one byte past the limit. */
			cap = cap > stop / 2 ? stop : cap * 2;
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

	if ((rc = load_start(cat, path)) != UPGRADE_OK)
		return rc;
	buf = read_catalog_file(cat, path, &len, &rc);
	if (buf == NULL) {
		if (rc == UPGRADE_OK)
			return UPGRADE_OK;
		if (rc == UPGRADE_ENOMEM)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, rc, "%s: cannot load", path);
	}
	rc = load_buffer(cat, path, buf, len);
	free(buf);
	return rc;
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

/*
 * After done of total files, a directory that looks like a large catalog
 * (its arena's bytes and tasks so far, scaled to all its files) gets its
 * arena in huge pages and its task map at its final size now: growing
 * into them touches thousands of fresh pages one by one, each a page fault
 * that costs 10-20 us in a virtual machine (bench/README.md).  The guess
 * waits for 128 KiB so that a small catalog keeps its compact memory; a
 * wrong one costs at most a huge page of memory, or a larger map.
 */
static void
expect_rest(struct upgrade_catalog *cat, size_t done, size_t total)
{
	size_t used = upg_arena_used(&cat->arena), tasks;

	if (done == 0 || done >= total || used < 128u * 1024u || total > SIZE_MAX / used)
		return;
	upg_arena_expect(&cat->arena, used / done * total);
	if (cat->ntasks <= SIZE_MAX / total) {
		tasks = cat->ntasks / done * total;
		/* A failed reservation leaves the map as it was, growing as needed. */
		(void)upg_map_reserve(&cat->task_map, tasks < cat->limits.tasks ? tasks : cat->limits.tasks);
	}
}

int
upgrade_catalog_load_dir(struct upgrade_catalog *cat, const char *path)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	int rc = UPGRADE_OK;
	DIR *dir;

	if ((rc = load_start(cat, path)) != UPGRADE_OK)
		return rc;
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
		qsort(names, n, sizeof *names, upg_cmp_strings);
	for (i = 0; i < n; i++) {
		/* A directory, FIFO or device named *.xml is no catalog: it is
		 * skipped, with a warning, for it may well be a mistake.  A
		 * dangling link or one that cannot be followed is an error, when
		 * it cannot be opened; so is a file replaced by a FIFO now. */
		if (rc != UPGRADE_ENOMEM && stat(names[i], &st) == 0 && !S_ISREG(st.st_mode)) {
			if (upg_warn_add(cat, names[i], "skipped: %s", upg_file_kind(st.st_mode)) !=
			    UPGRADE_OK)
				rc = UPGRADE_ENOMEM;
		} else if (rc != UPGRADE_ENOMEM) {
			int r = upgrade_catalog_load_file(cat, names[i]);

			if (r == UPGRADE_ENOMEM || rc == UPGRADE_OK)
				rc = r;
			expect_rest(cat, i + 1, n);
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
