/* SPDX-License-Identifier: MIT */
/*
 * catalog-diag.c - a catalog's diagnostics and warnings: recorded with file,
 * line and object instead of stopping the load, sorted by file and line,
 * handed out by the accessors of upgrade_catalog_new(3).
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

	/* Counted even when not kept: a later check must not find "no problems" in a full file. */
	cat->nproblems++;
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
int
upg_warn_add(struct upgrade_catalog *cat, const char *path, const char *fmt, ...)
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
void
upg_diag_sort(struct upgrade_catalog *cat)
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

/* Hands out entry index of list (n entries). */
static int
hand_out(const char **file, unsigned long *line, const char **object, const char **message,
         const struct upg_diag *list, size_t n, size_t index)
{
	const struct upg_diag *d;

	/*
	 * Nothing is written, not even the catalog's error: threads sharing a
	 * prepared catalog call this at once, and one's message would be
	 * freed under another's eyes.
	 */
	if (index >= n)
		return UPGRADE_ENOTFOUND;
	d = &list[index];
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

int
upgrade_catalog_diag(const char **file, unsigned long *line, const char **object, const char **message,
                     const struct upgrade_catalog *cat, size_t index)
{
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	return hand_out(file, line, object, message, cat->diags, cat->ndiags, index);
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
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	return hand_out(file, line, object, message, cat->warnings, cat->nwarnings, index);
}

const char *
upgrade_catalog_error(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? upg_error_message(&cat->error) : "no catalog";
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

/* See catalog.h. */
int
upg_diag_result(struct upgrade_catalog *cat, size_t before)
{
	size_t n = cat->nproblems - before;

	if (n == 0)
		return UPGRADE_OK;
	return upg_error_set(&cat->error, UPGRADE_EPARSE, "%zu error%s in the catalogs", n, n == 1 ? "" : "s");
}
