/* SPDX-License-Identifier: MIT */
/*
 * fuzz_catalog.c - libFuzzer target for the catalog loader and planner.
 *
 * Each input is loaded as one catalog document next to a fixed, valid
 * module (so cross-module references get exercised), prepared, checked
 * for every dialect, and every task is resolved for every dialect as the
 * runner would.  Sanitizers catch memory errors; the invariants below
 * catch logic errors: a successful prepare yields a plan holding every
 * task once, each after the task it requires.
 *
 * Built and run by tests/fuzz-catalog.sh; needs $UPGRADE_SCHEMA.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char base_module[] =
    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"test.base\">"
    "<param name=\"p\" default=\"v\"/>"
    "<task name=\"Init\"><sql>SELECT 1</sql></task>"
    "<task name=\"Raw\" raw=\"true\"><step><sql>SELECT 2</sql></step></task>"
    "</module>";

static const char *const dialects[] = {"sqlite", "postgresql", "mysql", "mssql", "generic"};

static void
check_plan(const struct upgrade_catalog *cat)
{
	size_t n = upgrade_catalog_task_count(cat), i, d;

	if (n != cat->ntasks)
		abort();
	for (i = 0; i < n; i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);
		struct upg_error err = {0, NULL, "", 0};

		if (t->req != NULL) {
			size_t j;

			for (j = 0; j < i; j++)
				if (upgrade_catalog_task_at(cat, j) == t->req)
					break;
			if (j == i)
				abort();
		}
		for (d = 0; d < sizeof dialects / sizeof dialects[0]; d++) {
			struct upg_resolved *res = NULL;

			if (upg_task_resolve(&res, t, dialects[d], &err) == UPGRADE_OK && res == NULL)
				abort();
			upg_resolved_free(res);
			upg_error_clear(&err);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct upgrade_catalog *cat = NULL;
	size_t i;

	if (upgrade_catalog_new(&cat) != UPGRADE_OK)
		return 0;
	upgrade_catalog_set_param(cat, "suffix", "_s");
	upgrade_catalog_load_memory(cat, "base.xml", base_module, sizeof base_module - 1);
	upgrade_catalog_load_memory(cat, "fuzz.xml", data, size);
	if (upgrade_catalog_prepare(cat) == UPGRADE_OK) {
		check_plan(cat);
		for (i = 0; i < sizeof dialects / sizeof dialects[0]; i++)
			upgrade_catalog_check_dialect(cat, dialects[i]);
	} else if (upgrade_catalog_diag_count(cat) == 0 && upgrade_catalog_error_code(cat) != UPGRADE_ENOMEM) {
		/* A failed prepare always says why. */
		abort();
	}
	for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
		const char *f, *o, *m;
		unsigned long l;

		if (upgrade_catalog_diag(&f, &l, &o, &m, cat, i) != UPGRADE_OK || f == NULL || o == NULL || m == NULL)
			abort();
	}
	upgrade_catalog_free(cat);
	return 0;
}
