/* SPDX-License-Identifier: MIT */
/*
 * dialect.c - the registry of dialect drivers, detection by bidding, and
 * identifier quoting.
 *
 * Quoting is the one defence that matters for names taken from catalogs
 * and command lines, so it rejects what it cannot quote faithfully (empty
 * names, malformed UTF-8, control characters, names the engine would
 * truncate) instead of guessing.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "private.h"

const struct upg_dialect *const upg_dialects[] = {
	&upg_dialect_sqlite,
	&upg_dialect_postgresql,
	&upg_dialect_mysql,
	&upg_dialect_mssql,
	&upg_dialect_generic,
	NULL
};

/* A dialect set is an unsigned mask (upg_dialect_bit). */
typedef char upg_registry_fits[sizeof upg_dialects / sizeof upg_dialects[0] - 1 <= UPG_DIALECTS_MAX
                                   ? 1
                                   : -1];

const struct upg_dialect *
upg_dialect_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; upg_dialects[i] != NULL; i++)
		if (strcmp(upg_dialects[i]->name, name) == 0)
			return upg_dialects[i];
	return NULL;
}

unsigned
upg_dialect_bit(const char *name, size_t len)
{
	size_t i;

	for (i = 0; upg_dialects[i] != NULL; i++)
		if (strlen(upg_dialects[i]->name) == len && memcmp(upg_dialects[i]->name, name, len) == 0)
			return 1u << i;
	return 0;
}

void
upg_dialect_names(struct upg_buf *buf)
{
	size_t i;

	for (i = 0; upg_dialects[i] != NULL; i++)
		upg_buf_printf(buf, "%s%s", i ? ", " : "", upg_dialects[i]->name);
}

const struct upg_dialect *
upg_dialect_detect(const char *dbms_name, const char *dbms_ver)
{
	const struct upg_dialect *best = &upg_dialect_generic;
	int best_bid = 0;
	size_t i;

	for (i = 0; upg_dialects[i] != NULL; i++) {
		int bid = upg_dialects[i]->bid(dbms_name != NULL ? dbms_name : "",
		                               dbms_ver != NULL ? dbms_ver : "");
		if (bid > best_bid) {
			best_bid = bid;
			best = upg_dialects[i];
		}
	}
	return best;
}

static int
contains_nocase(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack != '\0'; haystack++)
		if (upg_strncaseeq(haystack, needle, n))
			return 1;
	return 0;
}

const struct upg_dialect *
upg_dialect_for_files(void)
{
	size_t i;

	for (i = 0; upg_dialects[i] != NULL; i++)
		if (upg_dialects[i]->file_connstr != NULL)
			return upg_dialects[i];
	return NULL;
}

const struct upg_dialect *
upg_dialect_for_driver(const char *library)
{
	const char *base;
	size_t i, j;

	if (library == NULL)
		return NULL;
	/* Only the file name: a directory may be named anything. */
	base = strrchr(library, '/') != NULL ? strrchr(library, '/') + 1 : library;
	for (i = 0; upg_dialects[i] != NULL; i++)
		for (j = 0; upg_dialects[i]->driver_files != NULL &&
		            upg_dialects[i]->driver_files[j] != NULL;
		     j++)
			if (contains_nocase(base, upg_dialects[i]->driver_files[j]))
				return upg_dialects[i];
	return NULL;
}

