/* SPDX-License-Identifier: MIT */
/*
 * catalog-bench.c - how long loading, validating and ordering task
 * catalogs takes, and how much memory it needs.
 *
 *   catalog-bench gen DIR TASKS MODULES REQUIRES
 *       writes MODULES catalog files holding TASKS tasks in all, REQUIRES
 *       of which require another task (of the same or an earlier module),
 *       with module dependencies, guards, per-dialect alternatives and
 *       placeholders in the mix;
 *   catalog-bench run DIR [REPEAT]
 *       loads DIR, prepares it, and prints the first (cold) time, the
 *       median and best of REPEAT runs, and the peak resident memory of
 *       the process.
 *
 * The two steps are separate processes so that the generator's memory
 * does not count.  bench/README.md has the figures and how to reproduce
 * them ("make bench").
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "upgrade.h"

#include "benchutil.h"

static uint64_t rng_state = 88172645463325252ull;

static uint64_t
rng(void)
{
	/* xorshift64: the same catalogs on every run. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int
parse_count(const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	return *end == '\0' && *out > 0 ? 0 : -1;
}

static int
generate(const char *dir, long tasks, long modules, long requires)
{
	long per = tasks / modules, extra = tasks % modules, m, t, made = 0;
	long *first = calloc((size_t)modules + 1, sizeof *first);
	char *req_flag = calloc((size_t)tasks, 1);

	if (first == NULL || req_flag == NULL)
		return 1;
	/* Which tasks get a requires: REQUIRES distinct ones, none in module 0. */
	for (m = 0; m < modules; m++)
		first[m + 1] = first[m] + per + (m < extra);
	while (made < requires && made < tasks - first[1]) {
		long k = first[1] + (long)(rng() % (uint64_t)(tasks - first[1]));

		if (!req_flag[k]) {
			req_flag[k] = 1;
			made++;
		}
	}
	for (m = 0; m < modules; m++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof path, "%s/m%04ld.xml", dir, m);
		f = fopen(path, "w");
		if (f == NULL) {
			perror(path);
			return 1;
		}
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		           "<module xmlns=\"urn:upgrade:catalog:1\" name=\"bench.m%04ld\">\n"
		           "  <description>Benchmark module %ld.</description>\n",
		        m, m);
		if (m > 0)
			fprintf(f, "  <depends module=\"bench.m%04ld\"/>\n", m - 1);
		if (m > 1)
			fprintf(f, "  <depends module=\"bench.m%04ld\"/>\n", (long)(rng() % (uint64_t)(m - 1)));
		fprintf(f, "  <param name=\"schema\" default=\"public\"/>\n");
		for (t = first[m]; t < first[m + 1]; t++) {
			long local = t - first[m];

			fprintf(f, "  <task name=\"Task %ld of module %ld\"", local, m);
			if (req_flag[t]) {
				/* A task declared before this one, in this or an earlier
				 * module: edges may point anywhere backwards, never in a
				 * cycle. */
				long target = (long)(rng() % (uint64_t)t);
				long tm;

				for (tm = 0; first[tm + 1] <= target; tm++)
					;
				fprintf(f, " requires=\"bench.m%04ld:Task %ld of module %ld\"", tm, target - first[tm], tm);
			}
			if (local % 10 == 0)
				fprintf(f, " always-run=\"true\"");
			fprintf(f, ">\n");
			if (local % 4 == 0)
				fprintf(f, "    <only-if><not><has-column table=\"t%ld\" column=\"c%ld\"/></not></only-if>\n", m,
				        local);
			if (local % 5 == 0)
				fprintf(f, "    <choose>\n"
				           "      <when dialect=\"postgresql\"><sql>ALTER TABLE ${schema}.t%ld ADD COLUMN c%ld JSONB</sql></when>\n"
				           "      <otherwise><sql>ALTER TABLE t%ld ADD COLUMN c%ld TEXT</sql></otherwise>\n"
				           "    </choose>\n",
				        m, local, m, local);
			else
				fprintf(f, "    <sql>UPDATE t%ld SET c%ld = c%ld + 1 WHERE id &gt; %ld</sql>\n", m, local, local,
				        local);
			fprintf(f, "  </task>\n");
		}
		fprintf(f, "</module>\n");
		if (fclose(f) != 0) {
			perror(path);
			return 1;
		}
	}
	free(first);
	free(req_flag);
	return 0;
}

static int
run(const char *dir, long repeat)
{
	double *times = calloc((size_t)repeat, sizeof *times);
	size_t ntasks = 0;
	struct rusage ru;
	long i;

	if (times == NULL)
		return 1;
	for (i = 0; i < repeat; i++) {
		struct upgrade_catalog *cat = NULL;
		double t0 = now_ms();

		if (upgrade_catalog_new(&cat) != UPGRADE_OK || upgrade_catalog_load_dir(cat, dir) != UPGRADE_OK ||
		    upgrade_catalog_prepare(cat) != UPGRADE_OK) {
			fprintf(stderr, "catalog-bench: %s (%zu diagnostics)\n", upgrade_catalog_error(cat),
			        upgrade_catalog_diag_count(cat));
			upgrade_catalog_free(cat);
			return 1;
		}
		times[i] = now_ms() - t0;
		ntasks = upgrade_catalog_task_count(cat);
		upgrade_catalog_free(cat);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("tasks %zu  first %.1f ms", ntasks, times[0]);
	qsort(times, (size_t)repeat, sizeof *times, cmp_double);
	printf("  median %.1f ms  best %.1f ms  peak RSS %.1f MiB\n", times[repeat / 2], times[0],
	       (double)ru.ru_maxrss / 1024.0);
	free(times);
	return 0;
}

int
main(int argc, char **argv)
{
	long a, b, c, repeat = 5;

	if (argc == 6 && strcmp(argv[1], "gen") == 0 && parse_count(argv[3], &a) == 0 &&
	    parse_count(argv[4], &b) == 0 && (parse_count(argv[5], &c) == 0 || strcmp(argv[5], "0") == 0)) {
		if (strcmp(argv[5], "0") == 0)
			c = 0;
		return generate(argv[2], a, b, c);
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "run") == 0 &&
	    (argc == 3 || parse_count(argv[3], &repeat) == 0))
		return run(argv[2], repeat);
	fprintf(stderr, "usage: catalog-bench gen DIR TASKS MODULES REQUIRES\n"
	                "       catalog-bench run DIR [REPEAT]\n");
	return 2;
}
