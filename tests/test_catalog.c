/* SPDX-License-Identifier: MIT */
/*
 * test_catalog.c - task catalogs: loading, every validation error one by
 * one, placeholders, checksums, dialect resolution, the order of tasks
 * (the model's test cases included), determinism, limits, and tasks
 * registered in C.
 *
 * Catalog files come from tests/catalogs (found through $top_srcdir); the
 * bad ones are described by tests/catalogs/bad/cases.txt, which the shell
 * test cli-validate.sh reads too.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>

#include <nettle/sha2.h>

#include "../src/catalog-load.h"
#include "testutil.h"

static char path_buf[4096];

/* A path below $top_srcdir. */
static const char *
src_path(const char *rel)
{
	const char *top = getenv("top_srcdir");

	snprintf(path_buf, sizeof path_buf, "%s/%s", top != NULL ? top : ".", rel);
	return path_buf;
}

static struct upgrade_catalog *
new_catalog(void)
{
	struct upgrade_catalog *cat = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cat);
	return cat;
}

/* Prints the diagnostics, to explain a failing assertion. */
static void
dump_diags(const struct upgrade_catalog *cat)
{
	size_t i;

	for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
		const char *f, *o, *m;
		unsigned long l;

		upgrade_catalog_diag(&f, &l, &o, &m, cat, i);
		fprintf(stderr, "\n  %s:%lu: %s: %s", f, l, o, m);
	}
}

/* Loads paths (NULL-terminated) and prepares; expects success. */
static struct upgrade_catalog *
load_ok(const char *const *rels)
{
	struct upgrade_catalog *cat = new_catalog();
	size_t i;

	for (i = 0; rels[i] != NULL; i++)
		CU_ASSERT_EQUAL(upgrade_catalog_load_path(cat, src_path(rels[i])), UPGRADE_OK);
	if (upgrade_catalog_prepare(cat) != UPGRADE_OK) {
		dump_diags(cat);
		CU_FAIL("prepare failed");
	}
	return cat;
}

/* Compares the plan with the ids expected (NULL-terminated). */
static void
expect_plan(const struct upgrade_catalog *cat, const char *const *ids)
{
	size_t n = 0, i;

	while (ids[n] != NULL)
		n++;
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), n);
	for (i = 0; i < n && i < upgrade_catalog_task_count(cat); i++) {
		const char *got = upgrade_task_id(upgrade_catalog_task_at(cat, i));

		if (strcmp(got, ids[i]) != 0)
			fprintf(stderr, "\nplan[%zu] = %s, want %s", i, got, ids[i]);
		CU_ASSERT_STRING_EQUAL(got, ids[i]);
	}
}

/* True when some diagnostic matches (file suffix, line, object, text). */
static int
has_diag(const struct upgrade_catalog *cat, const char *file, unsigned long line, const char *object,
         const char *text)
{
	size_t i;

	for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
		const char *f, *o, *m;
		unsigned long l;
		size_t fl, want;

		upgrade_catalog_diag(&f, &l, &o, &m, cat, i);
		fl = strlen(f);
		want = strlen(file);
		if (fl < want || strcmp(f + fl - want, file) != 0)
			continue;
		if (l == line && strcmp(o, object) == 0 && strstr(m, text) != NULL)
			return 1;
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------------ */

static void
test_examples(void)
{
	static const char *const paths[] = {"tasks/examples", NULL};
	struct upgrade_catalog *cat = load_ok(paths);
	const struct upgrade_task *t;
	const struct upgrade_module *m;

	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 3);
	CU_ASSERT_STRING_EQUAL(upgrade_module_name(upgrade_catalog_module_at(cat, 0)), "demo.accounts");
	CU_ASSERT_STRING_EQUAL(upgrade_module_name(upgrade_catalog_module_at(cat, 1)), "demo.billing");
	CU_ASSERT_STRING_EQUAL(upgrade_module_name(upgrade_catalog_module_at(cat, 2)), "demo.reports");
	m = upgrade_catalog_find_module(cat, "demo.reports");
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(upgrade_module_depends_count(m), 2);
	CU_ASSERT_STRING_EQUAL(upgrade_module_depends_at(m, 1), "demo.billing");
	CU_ASSERT_PTR_NULL(upgrade_module_depends_at(m, 2));
	CU_ASSERT_STRING_EQUAL(upgrade_module_description(m), "Reporting views.");
	CU_ASSERT_EQUAL(upgrade_module_task_count(m), 3);
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 14);

	t = upgrade_catalog_find_task(cat, "demo.billing:Refresh statistics");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(upgrade_task_flags(t),
	                UPGRADE_TASK_RAW | UPGRADE_TASK_ALWAYS_RUN | UPGRADE_TASK_GUARDED);
	CU_ASSERT_STRING_EQUAL(upgrade_task_module(t), "demo.billing");
	CU_ASSERT_STRING_EQUAL(upgrade_task_name(t), "Refresh statistics");
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_task_file(t), "tasks/examples/billing.xml"));

	t = upgrade_catalog_find_task(cat, "demo.billing:Add billing name");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(upgrade_task_requires(t), "demo.accounts:Fill display name");
	CU_ASSERT_EQUAL(upgrade_task_line(t), 42);
	CU_ASSERT_EQUAL(strlen(upgrade_task_checksum(t)), 64);
	CU_ASSERT_EQUAL(strspn(upgrade_task_checksum(t), "0123456789abcdef"), 64);

	/* The install block: a task object outside the plan and the lookups. */
	t = upgrade_module_install(upgrade_catalog_find_module(cat, "demo.accounts"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(upgrade_task_flags(t), UPGRADE_TASK_INSTALL);
	CU_ASSERT_STRING_EQUAL(upgrade_task_id(t), "demo.accounts (install)");
	CU_ASSERT_EQUAL(strlen(upgrade_task_checksum(t)), 64);
	CU_ASSERT_PTR_NULL(upgrade_catalog_find_task(cat, "demo.accounts:(install)"));
	CU_ASSERT_PTR_NULL(upgrade_catalog_find_task(cat, "demo.accounts:nope"));
	CU_ASSERT_PTR_NULL(upgrade_catalog_task_at(cat, 14));
	upgrade_catalog_free(cat);
}

static const char mem_catalog[] =
    "<?xml version=\"1.0\"?>\n"
    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"mem\">\n"
    "  <task name=\"one\"><sql>SELECT 1</sql></task>\n"
    "\n"
    "  <task name=\"two\" requires=\"mem:one\"><sql>SELECT 2</sql></task>\n"
    "</module>\n";

static void
test_memory(void)
{
	struct upgrade_catalog *cat = new_catalog();
	const struct upgrade_task *t;

	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "memory.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	t = upgrade_catalog_task_at(cat, 1);
	CU_ASSERT_STRING_EQUAL(upgrade_task_id(t), "mem:two");
	CU_ASSERT_STRING_EQUAL(upgrade_task_file(t), "memory.xml");
	CU_ASSERT_EQUAL(upgrade_task_line(t), 5);
	CU_ASSERT_STRING_EQUAL(upgrade_module_file(upgrade_catalog_find_module(cat, "mem")), "memory.xml");
	CU_ASSERT_EQUAL(upgrade_module_line(upgrade_catalog_find_module(cat, "mem")), 2);
	/* Nothing more once prepared. */
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "x", mem_catalog, strlen(mem_catalog)), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "a", "b"), UPGRADE_EINVAL);
	upgrade_catalog_free(cat);

	/* Bad arguments and NULL handles. */
	upgrade_catalog_free(NULL);
	CU_ASSERT_EQUAL(upgrade_catalog_new(NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(NULL, "x", "", 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(NULL), 0);
	CU_ASSERT_PTR_NULL(upgrade_task_id(NULL));
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, NULL, "", 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "empty.xml", NULL, 0), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "empty.xml", 1, "", "malformed XML: Document is empty"));
	CU_ASSERT_EQUAL(upgrade_catalog_diag(NULL, NULL, NULL, NULL, cat, 99), UPGRADE_ENOTFOUND);
	/* A read that threads may share writes nothing: the load's error stays. */
	CU_ASSERT_EQUAL(upgrade_catalog_error_code(cat), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "sqlite"), UPGRADE_EINVAL);
	upgrade_catalog_free(cat);
}

static void
test_missing_path(void)
{
	struct upgrade_catalog *cat = new_catalog();

	CU_ASSERT_EQUAL(upgrade_catalog_load_path(cat, "/nonexistent/catalog.xml"), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_load_dir(cat, "/nonexistent/dir"), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 2);
	CU_ASSERT_TRUE(has_diag(cat, "/nonexistent/catalog.xml", 0, "", "cannot open"));
	CU_ASSERT_TRUE(has_diag(cat, "/nonexistent/dir", 0, "", "cannot open directory"));
	CU_ASSERT_STRING_EQUAL(upgrade_catalog_error(cat), "2 errors in the catalogs");
	CU_ASSERT_EQUAL(upgrade_catalog_error_code(cat), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 0);
	upgrade_catalog_free(cat);
}

static void
write_file(const char *dir, const char *name, const char *content)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof p, "%s/%s", dir, name);
	f = fopen(p, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(content, f);
	fclose(f);
}

static void
module_xml(char *buf, size_t size, const char *name, const char *depends, const char *tasks)
{
	snprintf(buf, size,
	         "<module xmlns=\"urn:upgrade:catalog:1\" name=\"%s\">%s%s%s%s</module>\n", name,
	         depends != NULL ? "<depends module=\"" : "", depends != NULL ? depends : "",
	         depends != NULL ? "\"/>" : "", tasks);
}

/* Only "*.xml" files that are not hidden, in strcmp order; not recursive. */
static void
test_directory(void)
{
	char dir[1024], sub[1100], x[512];
	struct upgrade_catalog *cat;

	snprintf(dir, sizeof dir, "%s/dir", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	module_xml(x, sizeof x, "b", NULL, "<task name=\"t\"/>");
	write_file(dir, "B.xml", x);
	module_xml(x, sizeof x, "a", NULL, "<task name=\"t\"/>");
	write_file(dir, "a.xml", x);
	write_file(dir, ".hidden.xml", "not xml at all");
	write_file(dir, "notes.txt", "not xml at all");
	write_file(dir, "old.xml~", "not xml at all");
	snprintf(sub, sizeof sub, "%s/sub.xml", dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	write_file(sub, "deep.xml", "not xml at all");

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_load_dir(cat, dir), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);
	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 2);
	upgrade_catalog_free(cat);

	/* strcmp order: "B.xml" before "a.xml", so "a.xml" is the second
	 * declaration of a module both declare. */
	module_xml(x, sizeof x, "b", NULL, "<task name=\"u\"/>");
	write_file(dir, "a.xml", x);
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_load_path(cat, dir), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "/a.xml", 1, "b", "module is already declared in"));
	upgrade_catalog_free(cat);
}

/* True when some warning's file ends with file and its message holds text. */
static int
has_warning(const struct upgrade_catalog *cat, const char *file, const char *text)
{
	size_t i;

	for (i = 0; i < upgrade_catalog_warning_count(cat); i++) {
		const char *f, *o, *m;
		unsigned long l;
		size_t fl, want = strlen(file);

		CU_ASSERT_EQUAL(upgrade_catalog_warning(&f, &l, &o, &m, cat, i), UPGRADE_OK);
		fl = strlen(f);
		if (fl >= want && strcmp(f + fl - want, file) == 0 && strstr(m, text) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Only regular files are read: a FIFO (which blocked the loader for good),
 * a device, a directory.  In a directory they are skipped with a warning;
 * named on their own they are errors.  The alarm turns a hang into a
 * failure.
 */
static void
test_special_files(void)
{
	char dir[1024], p[1100], x[512];
	const char *f, *o, *m;
	unsigned long l;
	struct upgrade_catalog *cat;

	alarm(60);
	snprintf(dir, sizeof dir, "%s/special", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0700), 0);
	module_xml(x, sizeof x, "a", NULL, "<task name=\"t\"/>");
	write_file(dir, "a.xml", x);
	snprintf(p, sizeof p, "%s/pipe.xml", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0600), 0);
	snprintf(p, sizeof p, "%s/null.xml", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("/dev/null", p), 0);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_load_dir(cat, dir), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);
	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 1);
	CU_ASSERT_EQUAL(upgrade_catalog_warning_count(cat), 2);
	/* In the order of the names, like the files loaded. */
	CU_ASSERT_EQUAL(upgrade_catalog_warning(&f, &l, &o, &m, cat, 0), UPGRADE_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(f, "/null.xml"));
	CU_ASSERT_EQUAL(l, 0);
	CU_ASSERT_STRING_EQUAL(o, "");
	CU_ASSERT_STRING_EQUAL(m, "skipped: a character device, not a regular file");
	CU_ASSERT_TRUE(has_warning(cat, "/pipe.xml", "skipped: a FIFO, not a regular file"));
	CU_ASSERT_EQUAL(upgrade_catalog_warning(&f, &l, &o, &m, cat, 2), UPGRADE_ENOTFOUND);
	CU_ASSERT_NOT_EQUAL(upgrade_catalog_error_code(cat), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_warning(&f, &l, &o, &m, NULL, 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_warning_count(NULL), 0);
	upgrade_catalog_free(cat);

	cat = new_catalog();
	snprintf(p, sizeof p, "%s/pipe.xml", dir);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, p), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(
	    has_diag(cat, "/pipe.xml", 0, "", "cannot load: a FIFO, not a regular file"));
	CU_ASSERT_EQUAL(upgrade_catalog_load_path(cat, p), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, "/dev/zero"), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "/dev/zero", 0, "", "a character device, not a regular file"));
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, dir), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(
	    has_diag(cat, "/special", 0, "", "cannot load: a directory, not a regular file"));
	snprintf(p, sizeof p, "%s/dangling.xml", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("nothing.xml", p), 0);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, p), UPGRADE_ENOTFOUND);
	CU_ASSERT_TRUE(has_diag(cat, "/dangling.xml", 0, "", "(a dangling symbolic link)"));
	snprintf(p, sizeof p, "%s/loop.xml", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("loop.xml", p), 0);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, p), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(
	    has_diag(cat, "/loop.xml", 0, "", "cannot open: Too many levels of symbolic links"));
	CU_ASSERT_EQUAL(upgrade_catalog_warning_count(cat), 0);
	upgrade_catalog_free(cat);
	alarm(0);
}

/*
 * libxml2's messages become one line each: its details in parentheses,
 * the complaints of its decoder (which it would print itself) recorded.
 */
static void
test_one_line_errors(void)
{
	static const char latin[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"x\xff\xfe\"/>";
	static const char surrogate[] = "\xff\xfe<\0m\0 \0n\0=\0\"\0\x00\xd8\"\0/\0>\0";
	const char *f, *o, *m;
	unsigned long l;
	struct upgrade_catalog *cat;
	size_t i;

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "latin.xml", latin, strlen(latin)),
	                UPGRADE_EPARSE);
	CU_ASSERT_TRUE(
	    has_diag(cat, "latin.xml", 1, "",
	             "Input is not proper UTF-8, indicate encoding ! (Bytes: 0xFF 0xFE"));
	CU_ASSERT_EQUAL(
	    upgrade_catalog_load_memory(cat, "utf16.xml", surrogate, sizeof surrogate - 1),
	    UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "utf16.xml", 1, "", "input conversion failed"));
	for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
		CU_ASSERT_EQUAL(upgrade_catalog_diag(&f, &l, &o, &m, cat, i), UPGRADE_OK);
		CU_ASSERT_PTR_NULL(strchr(m, '\n'));
	}
	upgrade_catalog_free(cat);
}

/*
 * Runs one statement with the sqlite3 shell on db; returns its exit status
 * and leaves its error output in errbuf.
 */
static int
sqlite_exec(const char *db, const char *sql, char *errbuf, size_t size)
{
	char sqlfile[1100], errfile[1100], cmd[3400];
	FILE *f;
	int rc;

	snprintf(sqlfile, sizeof sqlfile, "%s/stmt.sql", test_tmpdir());
	snprintf(errfile, sizeof errfile, "%s/stmt.err", test_tmpdir());
	f = fopen(sqlfile, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%s;\n", sql);
	fclose(f);
	snprintf(cmd, sizeof cmd, "sqlite3 -bail '%s' <'%s' >/dev/null 2>'%s'", db, sqlfile, errfile);
	rc = system(cmd);
	errbuf[0] = '\0';
	f = fopen(errfile, "r");
	if (f != NULL) {
		size_t n = fread(errbuf, 1, size - 1, f);

		errbuf[n] = '\0';
		fclose(f);
	}
	return rc;
}

/* Every <sql> and <query> of a resolved task, in order (guards first). */
static size_t
statements_of(const struct upgrade_task *t, const char **out, size_t max)
{
	struct upg_error err = {0, NULL, "", 0};
	struct upg_resolved *res = NULL;
	const struct upg_node *stack[64];
	size_t n = 0, depth = 0, u, i;

	if (upg_task_resolve(&res, t, "sqlite", &err) != UPGRADE_OK) {
		upg_error_clear(&err);
		return 0;
	}
	/* <query> conditions of the task's guard must run on SQLite too. */
	if (res->guard != NULL)
		stack[depth++] = res->guard->child;
	while (depth > 0) {
		const struct upg_node *c = stack[--depth];

		for (; c != NULL; c = c->next) {
			if (c->raw != NULL && strcmp(c->name, "query") == 0 && n < max)
				out[n++] = c->text;
			if (c->child != NULL && depth < 64)
				stack[depth++] = c->child;
		}
	}
	for (u = 0; u < res->nunits; u++)
		for (i = 0; i < res->units[u].nactions; i++)
			if (res->units[u].actions[i]->kind == UPG_NODE_SQL && n < max)
				out[n++] = res->units[u].actions[i]->text;
	upg_resolved_free(res);
	return n;
}

/*
 * The example catalogs' SQL works on SQLite, as the README's demo needs:
 * on a new database the install blocks run, in module order, then the
 * always-run and raw tasks (the rest is recorded by the install), whose
 * guards all hold; their statements must succeed.  Then every other
 * statement must succeed on that database too, or fail only because what
 * it makes is there already (the install block made it).  Operations are
 * rendered by the dialect drivers and tested there; tests/cli-install.sh
 * compares installed and upgraded schemas on every engine.
 */
static void
test_examples_on_sqlite(void)
{
	static const char *const paths[] = {"tasks/examples", NULL};
	struct upgrade_catalog *cat;
	const char *stmts[64];
	char db[1100], errbuf[1024];
	size_t i, j, n, ran = 0;

	if (system("sqlite3 -version >/dev/null 2>&1") != 0) {
		CU_FAIL("the sqlite3 shell is needed (Debian package sqlite3)");
		return;
	}
	cat = load_ok(paths);
	snprintf(db, sizeof db, "%s/examples.db", test_tmpdir());
	for (i = 0; i < upgrade_catalog_module_count(cat); i++) {
		const struct upgrade_task *t = upgrade_module_install(upgrade_catalog_module_at(cat, i));

		CU_ASSERT_PTR_NOT_NULL(t);
		if (t == NULL)
			continue;
		n = statements_of(t, stmts, 64);
		for (j = 0; j < n; j++, ran++) {
			if (sqlite_exec(db, stmts[j], errbuf, sizeof errbuf) != 0) {
				fprintf(stderr, "\n%s: %s\n  %s", upgrade_task_id(t), stmts[j], errbuf);
				CU_FAIL("an example statement fails on SQLite");
			}
		}
	}
	for (i = 0; i < upgrade_catalog_task_count(cat); i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

		if (!(upgrade_task_flags(t) & UPGRADE_TASK_ALWAYS_RUN))
			continue;
		n = statements_of(t, stmts, 64);
		for (j = 0; j < n; j++, ran++) {
			if (sqlite_exec(db, stmts[j], errbuf, sizeof errbuf) != 0) {
				fprintf(stderr, "\n%s: %s\n  %s", upgrade_task_id(t), stmts[j], errbuf);
				CU_FAIL("an example statement fails on SQLite");
			}
		}
	}
	for (i = 0; i < upgrade_catalog_task_count(cat); i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

		if (upgrade_task_flags(t) & UPGRADE_TASK_ALWAYS_RUN)
			continue;
		n = statements_of(t, stmts, 64);
		for (j = 0; j < n; j++, ran++) {
			if (sqlite_exec(db, stmts[j], errbuf, sizeof errbuf) != 0 &&
			    strstr(errbuf, "duplicate column name") == NULL &&
			    strstr(errbuf, "already exists") == NULL &&
			    strstr(errbuf, "UNIQUE constraint failed") == NULL) {
				fprintf(stderr, "\n%s: %s\n  %s", upgrade_task_id(t), stmts[j], errbuf);
				CU_FAIL("an example statement fails on SQLite");
			}
		}
	}
	CU_ASSERT(ran >= 15);
	upgrade_catalog_free(cat);
}

/* ---- the bad catalogs, one by one ------------------------------------------------- */

struct bad_case {
	char name[256], file[256], object[256], text[512];
	unsigned long line;
};

/* Reads the next case from cases.txt; 0 at the end. */
static int
next_case(FILE *f, struct bad_case *c)
{
	char line[2048];

	while (fgets(line, sizeof line, f) != NULL) {
		char *fields[5], *p = line;
		size_t n = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		while (n < 5) {
			fields[n++] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		if (n != 5) {
			fprintf(stderr, "\nbad line in cases.txt: %s", line);
			CU_FAIL("cases.txt format");
			continue;
		}
		snprintf(c->name, sizeof c->name, "%s", fields[0]);
		snprintf(c->file, sizeof c->file, "/%s", fields[1]);
		c->line = strtoul(fields[2], NULL, 10);
		snprintf(c->object, sizeof c->object, "%s", strcmp(fields[3], "-") == 0 ? "" : fields[3]);
		snprintf(c->text, sizeof c->text, "%s", fields[4]);
		return 1;
	}
	return 0;
}

static void
test_bad_one_by_one(void)
{
	struct bad_case c;
	size_t ncases = 0;
	FILE *f = fopen(src_path("tests/catalogs/bad/cases.txt"), "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (next_case(f, &c)) {
		struct upgrade_catalog *cat = new_catalog();
		char rel[600];

		snprintf(rel, sizeof rel, "tests/catalogs/bad/%s", c.name);
		upgrade_catalog_load_path(cat, src_path(rel));
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 0);
		if (!has_diag(cat, c.file, c.line, c.object, c.text)) {
			fprintf(stderr, "\n%s: want %s:%lu: %s: %s; got:", c.name, c.file, c.line, c.object, c.text);
			dump_diags(cat);
			CU_FAIL("expected diagnostic missing");
		}
		ncases++;
		upgrade_catalog_free(cat);
	}
	fclose(f);
	CU_ASSERT(ncases >= 30);
}

/* All bad files at once: every error is collected, in file and line order. */
static void
test_bad_all_together(void)
{
	struct upgrade_catalog *cat = new_catalog();
	unsigned long last_line = 0;
	const char *last_file = "";
	struct bad_case c;
	size_t i, nsingle = 0;
	FILE *f;

	CU_ASSERT_EQUAL(upgrade_catalog_load_dir(cat, src_path("tests/catalogs/bad")), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	f = fopen(src_path("tests/catalogs/bad/cases.txt"), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (next_case(f, &c)) {
		if (strchr(c.name, '/') != NULL)
			continue;
		nsingle++;
		if (!has_diag(cat, c.file, c.line, c.object, c.text)) {
			fprintf(stderr, "\nall together, %s: missing %s:%lu", c.name, c.file, c.line);
			CU_FAIL("diagnostic missing when loaded with the others");
		}
	}
	fclose(f);
	CU_ASSERT(upgrade_catalog_diag_count(cat) >= nsingle);
	for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
		const char *file;
		unsigned long line;

		upgrade_catalog_diag(&file, &line, NULL, NULL, cat, i);
		CU_ASSERT(strcmp(file, last_file) > 0 || (strcmp(file, last_file) == 0 && line >= last_line));
		last_file = file;
		last_line = line;
	}
	upgrade_catalog_free(cat);
}

/* The DOCTYPE file: refused before any entity is declared or expanded. */
static void
test_doctype(void)
{
	struct upgrade_catalog *cat = new_catalog();

	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, src_path("tests/catalogs/bad/doctype.xml")), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 1);
	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 0);
	upgrade_catalog_free(cat);
}

/* A file failing the schema records no follow-up errors of its own. */
static void
test_schema_quiet(void)
{
	static const char doc[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"q\">\n"
	                          "<task name=\"a\" requires=\"q:nothing\"><bogus/></task>\n"
	                          "<task name=\"a\"/>\n"
	                          "</module>\n";
	struct upgrade_catalog *cat = new_catalog();

	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "q.xml", doc, sizeof doc - 1), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "q.xml", 2, "", "schema violation"));
	CU_ASSERT_FALSE(has_diag(cat, "q.xml", 2, "q:a", "requires unknown task"));
	CU_ASSERT_FALSE(has_diag(cat, "q.xml", 3, "q:a", "declared twice"));
	/* The module still exists for others to depend on. */
	CU_ASSERT_PTR_NOT_NULL(upgrade_catalog_find_module(cat, "q"));
	upgrade_catalog_free(cat);
}

/* ---- limits ----------------------------------------------------------------------- */

/*
 * The cache: the second catalog loading the same bytes skips validation,
 * and only a valid file is remembered; without a directory nothing is.
 */
static void
test_cache(void)
{
	static const char bad[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"m\">"
	                          "<task name=\"t\" colour=\"red\"><sql>SELECT 1</sql></task>"
	                          "</module>";
	char dir[512];
	struct upgrade_catalog *cat;
	int round;

	snprintf(dir, sizeof dir, "%s/cache/upgrade", test_tmpdir());
	for (round = 0; round < 2; round++) {
		cat = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, dir), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "bad.xml", bad, strlen(bad)),
		                UPGRADE_EPARSE);
		/* The bad file is refused every time, validated every time. */
		CU_ASSERT_TRUE(has_diag(cat, "bad.xml", 1, "", "schema violation"));
		CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(cat), (size_t)round);
		upgrade_catalog_free(cat);
	}
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, dir), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(cat), 0);
	upgrade_catalog_free(cat);
	CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(NULL, dir), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(NULL), 0);
}

/* The default nesting limit (upgrade-catalog(5)); one less makes entries unusable. */
#define DEPTH_LIMIT 32

/* Two strings both NULL or equal. */
static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Two body node lists equal in every field, children included. */
static int
same_nodes(const struct upg_node *a, const struct upg_node *b)
{
	size_t i;

	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->kind != b->kind || a->elem != b->elem || !same_str(a->name, b->name) ||
		    a->line != b->line || a->dialects != b->dialects || !same_str(a->raw, b->raw) ||
		    !same_str(a->text, b->text) || a->nattrs != b->nattrs ||
		    !same_nodes(a->child, b->child))
			return 0;
		for (i = 0; i < a->nattrs; i++)
			if (!same_str(a->attrs[i].name, b->attrs[i].name) ||
			    !same_str(a->attrs[i].raw, b->attrs[i].raw) ||
			    !same_str(a->attrs[i].value, b->attrs[i].value))
				return 0;
	}
	return a == NULL && b == NULL;
}

static int
same_task(const struct upgrade_task *a, const struct upgrade_task *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return same_str(a->id, b->id) && same_str(a->name, b->name) &&
	       same_str(a->description, b->description) && a->module->file_index == b->module->file_index &&
	       same_str(a->requires, b->requires) && a->line == b->line && a->flags == b->flags &&
	       a->decl == b->decl && same_str(upgrade_task_checksum(a), upgrade_task_checksum(b)) &&
	       same_nodes(a->guard, b->guard) && same_nodes(a->body, b->body);
}

/* Two catalogs holding the same modules and tasks, field by field. */
static int
same_catalog(const struct upgrade_catalog *a, const struct upgrade_catalog *b)
{
	size_t i, j;

	if (a->nmodules != b->nmodules || a->ntasks != b->ntasks || a->ndiags != b->ndiags ||
	    a->nfiles != b->nfiles)
		return 0;
	for (i = 0; i < a->nmodules; i++) {
		const struct upgrade_module *x = a->modules[i], *y = b->modules[i];

		if (!same_str(x->name, y->name) || !same_str(x->description, y->description) ||
		    !same_str(x->file, y->file) || x->file_index != y->file_index ||
		    x->quiet != y->quiet || x->unselected != y->unselected ||
		    x->line != y->line || x->ndepends != y->ndepends || x->nparams != y->nparams ||
		    x->ntasks != y->ntasks || !same_task(x->install, y->install))
			return 0;
		for (j = 0; j < x->ndepends; j++)
			if (!same_str(x->depends[j], y->depends[j]) ||
			    x->depends_line[j] != y->depends_line[j])
				return 0;
		for (j = 0; j < x->nparams; j++)
			if (!same_str(x->params[j].name, y->params[j].name) ||
			    !same_str(x->params[j].def, y->params[j].def) ||
			    x->params[j].line != y->params[j].line)
				return 0;
	}
	for (i = 0; i < a->ntasks; i++)
		if (!same_task(a->tasks[i], b->tasks[i]))
			return 0;
	for (i = 0; i < a->ndiags; i++)
		if (a->diags[i].line != b->diags[i].line || !same_str(a->diags[i].file, b->diags[i].file) ||
		    !same_str(a->diags[i].object, b->diags[i].object) ||
		    !same_str(a->diags[i].message, b->diags[i].message))
			return 0;
	return 1;
}

/* Writes text to the file name in the test's directory; path gets its path. */
static void
write_tmp(char *path, size_t size, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, size, "%s/%s", test_tmpdir(), name);
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

/* Loads files (NULL-terminated) into a new catalog, cached in dir unless dir is NULL. */
static struct upgrade_catalog *
load_files(const char *dir, const char *const *files, size_t depth_limit)
{
	struct upgrade_catalog *cat = new_catalog();
	size_t i;

	if (dir != NULL)
		CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, dir), UPGRADE_OK);
	if (depth_limit > 0)
		CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_DEPTH, depth_limit),
		                UPGRADE_OK);
	for (i = 0; files[i] != NULL; i++)
		upgrade_catalog_load_file(cat, files[i]);
	return cat;
}

/*
 * A file known valid is built while it is parsed, each task as soon as
 * its element is complete, instead of from the whole document: the
 * catalog comes out the same in every field, the example catalogs with
 * their descriptions, dependencies, parameters, installs, guards,
 * choices and steps, a module with its parameters out of order, comments
 * and empty tasks, one past line 65535; and what the cache cannot vouch
 * for (a limit on tasks lowered since, a module declared by two files) is
 * still found, with the same messages.
 */
static void
test_cache_streamed(void)
{
	char dir[512], twin[512], rich[512], ex[3][4096];
	const char *examples[] = {ex[0], ex[1], ex[2], NULL};
	const char *twins[] = {ex[1], twin, NULL};
	struct upgrade_catalog *plain, *warm, *hit, *streamed;

	snprintf(ex[0], sizeof ex[0], "%s", src_path("tasks/examples/accounts.xml"));
	snprintf(ex[1], sizeof ex[1], "%s", src_path("tasks/examples/billing.xml"));
	snprintf(ex[2], sizeof ex[2], "%s", src_path("tasks/examples/reports.xml"));
	snprintf(dir, sizeof dir, "%s/cache-streamed", test_tmpdir());
	warm = load_files(dir, examples, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(warm), 0);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(warm), UPGRADE_OK);
	hit = load_files(dir, examples, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(hit), 3);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(hit), 3);
	CU_ASSERT_EQUAL(hit->streamed_files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(hit), UPGRADE_OK);
	/* A stricter limit than when they were remembered: parsed, not validated. */
	streamed = load_files(dir, examples, DEPTH_LIMIT - 1);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(streamed), 3);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(streamed), 0);
	CU_ASSERT_EQUAL(streamed->streamed_files, 3);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(streamed), UPGRADE_OK);
	plain = load_files(NULL, examples, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(plain), UPGRADE_OK);
	CU_ASSERT_TRUE(plain->ntasks > 10);
	CU_ASSERT_TRUE(same_catalog(plain, hit));
	CU_ASSERT_TRUE(same_catalog(warm, hit));
	CU_ASSERT_TRUE(same_catalog(plain, streamed));
	upgrade_catalog_free(warm);
	upgrade_catalog_free(hit);
	upgrade_catalog_free(streamed);
	/* Written again under the stricter limit, and taken as built under both. */
	hit = load_files(dir, examples, DEPTH_LIMIT - 1);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(hit), 3);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(hit), UPGRADE_OK);
	CU_ASSERT_TRUE(same_catalog(plain, hit));
	upgrade_catalog_free(hit);
	hit = load_files(dir, examples, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(hit), 3);
	upgrade_catalog_free(hit);
	upgrade_catalog_free(plain);

	/* A second file declaring demo.billing, known valid on its own. */
	write_tmp(twin, sizeof twin, "twin.xml",
	          "<module xmlns=\"urn:upgrade:catalog:1\" name=\"demo.billing\">\n"
	          "<task name=\"x\"><sql>SELECT 1</sql></task>\n</module>\n");
	upgrade_catalog_free(load_files(dir, twins + 1, 0));
	hit = load_files(dir, twins, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(hit), 2);
	streamed = load_files(dir, twins, DEPTH_LIMIT - 2);
	CU_ASSERT_EQUAL(streamed->streamed_files, 2);
	plain = load_files(NULL, twins, 0);
	CU_ASSERT_TRUE(plain->ndiags > 0);
	CU_ASSERT_TRUE(same_catalog(plain, hit));
	CU_ASSERT_TRUE(same_catalog(plain, streamed));
	upgrade_catalog_free(hit);
	upgrade_catalog_free(streamed);
	upgrade_catalog_free(plain);

	/*
	 * Parameters out of order, dependencies, comments between tasks, an
	 * empty task, no install, and an empty task past line 65535, whose
	 * line libxml2's node cannot hold.
	 */
	{
		static const char head[] =
		    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"rich\">\n"
		    "<description> Many   parts. </description>\n"
		    "<depends module=\"demo.accounts\"/><param name=\"zeta\" default=\"z\"/>\n"
		    "<param name=\"alpha\" default=\"a\"/><depends module=\"demo.billing\"/>\n"
		    "<param name=\"mid\" default=\"m\"/>\n"
		    "<task name=\"a\"><sql>SELECT '${zeta}'</sql></task><!-- between -->\n"
		    "<task name=\"b\"/>\n";
		static const char tail[] = "<task name=\"far\"/>\n"
		                           "<task name=\"c\"><sql>SELECT 3</sql></task>\n</module>\n";
		char *text = malloc(sizeof head + 70000 + sizeof tail);
		const char *riches[] = {ex[0], ex[1], rich, NULL};
		const struct upgrade_task *far;

		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		memcpy(text, head, sizeof head - 1);
		memset(text + sizeof head - 1, '\n', 70000);
		memcpy(text + sizeof head - 1 + 70000, tail, sizeof tail);
		write_tmp(rich, sizeof rich, "rich.xml", text);
		free(text);
		upgrade_catalog_free(load_files(dir, riches, 0));
		hit = load_files(dir, riches, 0);
		CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(hit), 3);
		streamed = load_files(dir, riches, DEPTH_LIMIT - 3);
		CU_ASSERT_EQUAL(streamed->streamed_files, 3);
		plain = load_files(NULL, riches, 0);
		CU_ASSERT_EQUAL(plain->streamed_files, 0);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(hit), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(streamed), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(plain), UPGRADE_OK);
		CU_ASSERT_TRUE(same_catalog(plain, hit));
		CU_ASSERT_TRUE(same_catalog(plain, streamed));
		far = upgrade_catalog_find_task(hit, "rich:far");
		CU_ASSERT_PTR_NOT_NULL_FATAL(far);
		CU_ASSERT_EQUAL(upgrade_task_line(far), 70008);
		far = upgrade_catalog_find_task(streamed, "rich:far");
		CU_ASSERT_PTR_NOT_NULL_FATAL(far);
		CU_ASSERT_EQUAL(upgrade_task_line(far), 70008);
		far = upgrade_catalog_find_task(plain, "rich:far");
		CU_ASSERT_PTR_NOT_NULL_FATAL(far);
		CU_ASSERT_EQUAL(upgrade_task_line(far), 70008);
		upgrade_catalog_free(hit);
		upgrade_catalog_free(streamed);
		upgrade_catalog_free(plain);

		/* Fewer tasks allowed per file than when it was remembered. */
		hit = load_files(dir, riches, 0);
		upgrade_catalog_free(hit);
		hit = new_catalog();
		plain = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(hit, dir), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_set_limit(hit, UPGRADE_CATALOG_LIMIT_FILE_TASKS, 2),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_set_limit(plain, UPGRADE_CATALOG_LIMIT_FILE_TASKS, 2),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_load_file(hit, rich), UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(upgrade_catalog_load_file(plain, rich), UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(hit->streamed_files, 1);
		CU_ASSERT_TRUE(has_diag(hit, "rich.xml", 70008, "rich", "more than 2 tasks in one file"));
		CU_ASSERT_TRUE(same_catalog(plain, hit));
		upgrade_catalog_free(hit);
		upgrade_catalog_free(plain);

		/* A schema violation past line 65535 is reported at its line. */
		text = malloc(sizeof head + 70000 + sizeof tail);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		memcpy(text, head, sizeof head - 1);
		memset(text + sizeof head - 1, '\n', 70000);
		memcpy(text + sizeof head - 1 + 70000, tail, sizeof tail);
		memcpy(strstr(text, "<task name=\"far\"/>"), "<task namx=\"far\"/>", 18);
		write_tmp(rich, sizeof rich, "rich.xml", text);
		free(text);
		plain = load_files(NULL, riches + 2, 0);
		CU_ASSERT_TRUE(has_diag(plain, "rich.xml", 70008, "", "schema violation"));
		upgrade_catalog_free(plain);
	}
}

/* Writes a module whose one task's guard is nots <not>s deep around a condition. */
static void
write_deep(char *path, size_t size, const char *name, size_t nots)
{
	struct upg_buf doc = UPG_BUF_INIT;
	size_t k;

	upg_buf_puts(&doc, "<module xmlns=\"urn:upgrade:catalog:1\" name=\"deep\">"
	                   "<task name=\"t\"><only-if>");
	for (k = 0; k < nots; k++)
		upg_buf_puts(&doc, "<not>");
	upg_buf_puts(&doc, "<has-table table=\"x\"/>");
	for (k = 0; k < nots; k++)
		upg_buf_puts(&doc, "</not>");
	upg_buf_puts(&doc, "</only-if><sql>SELECT 1</sql></task></module>\n");
	write_tmp(path, size, name, upg_buf_str(&doc));
	upg_buf_free(&doc);
}

/* Where the first compiled entry in dir is; 0 when there is none. */
static int
find_entry(const char *dir, char *path, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;

	if (d == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "compiled-1-", 11) == 0) {
			snprintf(path, size, "%s/%s", dir, e->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

/* Writes len bytes of data to path, first resealing them (their SHA-256) when seal. */
static void
write_entry(const char *path, unsigned char *data, size_t len, int seal)
{
	struct sha256_ctx h;
	FILE *f;

	if (seal && len > 40) {
		sha256_init(&h);
		sha256_update(&h, len - 40, data + 40);
		sha256_digest(&h, SHA256_DIGEST_SIZE, data + 8);
	}
	f = fopen(path, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
	fclose(f);
}

/*
 * A compiled entry that is not whole is never taken as built: a byte
 * changed without its digest makes the bytes unknown (validated again);
 * an entry cut short, with bytes after its end or changed and resealed
 * (as if written wrong) is either whole after all or left for the parser,
 * never read out of bounds (the suite runs under ASan and valgrind), and
 * the catalog then comes out as without a cache.
 */
/*
 * A catalog with every shape of list the compiled form has: an install
 * with a description, a raw task's steps (one for each schema, with a
 * guard), a task guard of nested conditions, an assertion, an operation
 * with parts that hold text, a dialect filter, and a last task of two
 * statements with no install after it; text beyond ASCII.
 */
static const char shapes_catalog[] =
    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"shapes\">\n"
    "<install><description> Install desc </description>\n"
    "<sql>CREATE TABLE s1 (id INTEGER)</sql><sql>CREATE TABLE s2 (id INTEGER)</sql></install>\n"
    "<task name=\"walk\" raw=\"true\">\n"
    "<step for-each-schema=\"true\"><only-if><not><has-table table=\"s1\"/></not></only-if>"
    "<sql>SELECT 1</sql></step>\n"
    "<step><sql dialect=\"sqlite postgresql\">SELECT 2</sql></step></task>\n"
    "<task name=\"guarded\" requires=\"shapes:walk2\"><description>d \xc3\xa9t\xc3\xa9</description>"
    "<only-if><any><has-table table=\"s1\"/><query>SELECT 1</query></any></only-if>\n"
    "<assert message=\"m\"><has-table table=\"s1\"/></assert>\n"
    "<choose><when dialect=\"postgresql\"><create-enum name=\"e\"><value>a</value><value> b </value>"
    "</create-enum></when><otherwise><sql>SELECT 3</sql></otherwise></choose></task>\n"
    "<task name=\"walk2\" always-run=\"true\"><sql>SELECT 4</sql></task>\n"
    "<task name=\"last\"><sql>SELECT 5</sql><sql>SELECT 6</sql></task>\n"
    "</module>\n";

/* Prepares cat and resolves each task for each dialect: what a run would do first. */
static void
prepare_and_resolve(struct upgrade_catalog *cat)
{
	struct upg_resolved *res;
	struct upg_error err;
	size_t i, d;

	if (upgrade_catalog_prepare(cat) != UPGRADE_OK)
		return;
	memset(&err, 0, sizeof err);
	for (i = 0; i < cat->ntasks; i++)
		for (d = 0; upg_dialects[d] != NULL; d++)
			if (upg_task_resolve(&res, cat->tasks[i], upg_dialects[d]->name, &err) == UPGRADE_OK)
				upg_resolved_free(res);
}

static void
test_cache_compiled_damaged(void)
{
	char dir[512], path[1024], ex[1024];
	const char *files[] = {ex, NULL};
	struct upgrade_catalog *plain, *cat;
	unsigned char *good, *bad;
	size_t len, pos, v, compiled = 0, parsed = 0;
	FILE *f;

	write_tmp(ex, sizeof ex, "shapes.xml", shapes_catalog);
	snprintf(dir, sizeof dir, "%s/cache-damaged", test_tmpdir());
	plain = load_files(NULL, files, 0);
	CU_ASSERT_EQUAL(plain->ndiags, 0);
	CU_ASSERT_EQUAL(plain->ntasks, 4);
	upgrade_catalog_free(load_files(dir, files, 0));
	/* Every shape is taken as built, field for field. */
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 1);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	CU_ASSERT_STRING_EQUAL(upgrade_task_description(upgrade_module_install(cat->modules[0])),
	                       "Install desc");
	upgrade_catalog_free(cat);
	CU_ASSERT_FATAL(find_entry(dir, path, sizeof path));
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	good = malloc(len + 16);
	bad = malloc(len + 16);
	CU_ASSERT_FATAL(good != NULL && bad != NULL && len > 200);
	CU_ASSERT_EQUAL_FATAL(fread(good, 1, len, f), len);
	fclose(f);

	/* Changed, not resealed: unknown, so validated and parsed again. */
	memcpy(bad, good, len);
	bad[len / 2] ^= 0x20;
	write_entry(path, bad, len, 0);
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(cat), 0);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);

	/* Cut short, and with bytes after its end, both resealed. */
	memcpy(bad, good, len);
	write_entry(path, bad, len - 1, 1);
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 0);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);
	memcpy(bad, good, len);
	memset(bad + len, 0, 4);
	write_entry(path, bad, len + 4, 1);
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 0);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);

	/* Every few bytes after the key changed and resealed, three ways. */
	for (pos = 8 + 32 + 64; pos < len; pos += 3) {
		for (v = 0; v < 3; v++) {
			memcpy(bad, good, len);
			bad[pos] = v == 0 ? 0xff : v == 1 ? 0x00 : (unsigned char)(bad[pos] + 1);
			if (bad[pos] == good[pos])
				continue;
			write_entry(path, bad, len, 1);
			cat = load_files(dir, files, 0);
			/*
			 * Not taken as built: not known valid either, so validated;
			 * unless a limit it claims went up, when it is whole under it.
			 */
			CU_ASSERT_TRUE(upgrade_catalog_cache_hits(cat) == upgrade_catalog_cache_compiled(cat) ||
			               pos < 8 + 32 + 64 + 64);
			if (upgrade_catalog_cache_compiled(cat) == 1) {
				compiled++;
				prepare_and_resolve(cat);
			} else {
				parsed++;
				CU_ASSERT_TRUE(same_catalog(plain, cat));
			}
			upgrade_catalog_free(cat);
		}
	}
	/* Both happen: a changed line number reads fine, a changed count does not. */
	CU_ASSERT_TRUE(compiled > 0);
	CU_ASSERT_TRUE(parsed > 0);
	write_entry(path, good, len, 0);
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 1);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);
	upgrade_catalog_free(plain);
	free(good);
	free(bad);

	/* A module of empty tasks, each the least record there is, is taken as built. */
	write_tmp(ex, sizeof ex, "empties.xml",
	          "<module xmlns=\"urn:upgrade:catalog:1\" name=\"empties\">\n"
	          "<task name=\"a\"/><task name=\"b\" requires=\"empties:a\"/><task name=\"c\"/>\n"
	          "</module>\n");
	plain = load_files(NULL, files, 0);
	upgrade_catalog_free(load_files(dir, files, 0));
	cat = load_files(dir, files, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 1);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);
	upgrade_catalog_free(plain);

	/* Nested to the limit exactly: taken as built; one deeper: refused alike, never written. */
	for (v = 0; v < 2; v++) {
		write_deep(ex, sizeof ex, v == 0 ? "deep.xml" : "deeper.xml", DEPTH_LIMIT - 4 + v);
		plain = load_files(NULL, files, 0);
		CU_ASSERT_EQUAL(plain->ndiags, v);
		upgrade_catalog_free(load_files(dir, files, 0));
		cat = load_files(dir, files, 0);
		CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), v == 0 ? 1 : 0);
		CU_ASSERT_TRUE(same_catalog(plain, cat));
		upgrade_catalog_free(cat);
		upgrade_catalog_free(plain);
	}
}

/*
 * Entries written wrong on purpose, each sealed as a genuine one (the key
 * of the file's bytes, the SHA-256 over it): a module as loaded, changed
 * in memory into what no parse could build, then written by the
 * library's own writer.  None is taken as built; the file is parsed
 * instead and the catalog comes out as without a cache.
 */
struct forgery {
	const char *what;
	void (*change)(struct upgrade_catalog *cat);
};

static struct upg_node spare_node; /* a node the changes may link in */

static struct upgrade_task *
task_named(struct upgrade_catalog *cat, const char *name)
{
	size_t i;

	for (i = 0; i < cat->ntasks; i++)
		if (strcmp(cat->tasks[i]->name, name) == 0)
			return cat->tasks[i];
	CU_FAIL_FATAL("no such task");
	return NULL;
}

static struct upg_node *
choose_of(struct upgrade_catalog *cat)
{
	return task_named(cat, "guarded")->body->next;
}

static void
no_change(struct upgrade_catalog *cat)
{
	(void)cat;
}

static void
otherwise_first(struct upgrade_catalog *cat)
{
	struct upg_node *ch = choose_of(cat), *w = ch->child, *o = w->next;

	o->next = w;
	w->next = NULL;
	ch->child = o;
}

static void
when_twice(struct upgrade_catalog *cat)
{
	struct upg_node *ch = choose_of(cat);

	spare_node = *ch->child;
	spare_node.next = NULL;
	ch->child->next = &spare_node;
}

static void
empty_not(struct upgrade_catalog *cat)
{
	task_named(cat, "walk")->body->child->child->child = NULL;
}

static void
not_of_two(struct upgrade_catalog *cat)
{
	struct upg_node *has = task_named(cat, "walk")->body->child->child->child;

	spare_node = *has;
	has->next = &spare_node;
}

static void
step_in_step(struct upgrade_catalog *cat)
{
	struct upg_node *step = task_named(cat, "walk")->body;

	spare_node = *step->next;
	step->child->next->next = &spare_node;
}

static void
guard_last_in_step(struct upgrade_catalog *cat)
{
	struct upg_node *step = task_named(cat, "walk")->body, *guard = step->child, *sql = guard->next;

	sql->next = guard;
	guard->next = NULL;
	step->child = sql;
}

static void
raw_not_always(struct upgrade_catalog *cat)
{
	task_named(cat, "walk")->flags &= ~UPGRADE_TASK_ALWAYS_RUN;
}

static void
guarded_without_guard(struct upgrade_catalog *cat)
{
	task_named(cat, "walk2")->flags |= UPGRADE_TASK_GUARDED;
}

static void
requires_no_colon(struct upgrade_catalog *cat)
{
	task_named(cat, "guarded")->requires = "walk2";
}

static void
install_empty(struct upgrade_catalog *cat)
{
	cat->modules[0]->install->body = NULL;
}

static void
enum_of_statements(struct upgrade_catalog *cat)
{
	struct upg_node *create_enum = choose_of(cat)->child->child;

	spare_node = *task_named(cat, "walk2")->body;
	create_enum->child = &spare_node;
}

static void
description_not_utf8(struct upgrade_catalog *cat)
{
	task_named(cat, "guarded")->description = "\xff\xfe";
}

static void
otherwise_with_dialect(struct upgrade_catalog *cat)
{
	static struct upg_attr dialect = {"dialect", "sqlite", "sqlite"};
	struct upg_node *o = choose_of(cat)->child->next;

	o->attrs = &dialect;
	o->nattrs = 1;
}

static void
type_and_sql_type(struct upgrade_catalog *cat)
{
	static struct upg_attr attrs[] = {
	    {"name", "e", "e"}, {"sql-type", "TEXT", "TEXT"}, {"type", "text", "text"}};
	struct upg_node *create_enum = choose_of(cat)->child->child;

	create_enum->attrs = attrs;
	create_enum->nattrs = 3;
}

static void
params_unsorted(struct upgrade_catalog *cat)
{
	struct upgrade_module *m = cat->modules[0];
	struct upg_param p = m->params[0];

	m->params[0] = m->params[1];
	m->params[1] = p;
}

static void
param_twice(struct upgrade_catalog *cat)
{
	cat->modules[0]->params[1].name = cat->modules[0]->params[0].name;
}

static void
param_bad_name(struct upgrade_catalog *cat)
{
	cat->modules[0]->params[0].name = "1st";
}

static void
depends_twice(struct upgrade_catalog *cat)
{
	cat->modules[0]->depends[1] = cat->modules[0]->depends[0];
}

/*
 * Writes path's entry in dir from its module changed by change, loaded
 * under the limits load and written as if under the limits write (NULL:
 * the defaults).
 */
static void
forge_entry(const char *dir, const char *path, void (*change)(struct upgrade_catalog *),
            const struct upg_limits *load, const struct upg_limits *write)
{
	struct upgrade_catalog *cat = new_catalog();
	struct loader ld;
	char key[65], *buf;
	long len;
	FILE *f = fopen(path, "rb");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, dir), UPGRADE_OK);
	if (load != NULL)
		cat->limits = *load;
	upgrade_catalog_load_file(cat, path);
	CU_ASSERT_EQUAL_FATAL(cat->nmodules, 1);
	change(cat);
	CU_ASSERT_EQUAL_FATAL(upg_cache_key(cat, buf, (size_t)len, key), 0);
	if (write != NULL)
		cat->limits = *write;
	memset(&ld, 0, sizeof ld);
	ld.cat = cat;
	ld.module = cat->modules[0];
	upg_compiled_save(&ld, key, 0);
	upgrade_catalog_free(cat);
	free(buf);
}

/*
 * Each forgery of path's entry but the first (which changes nothing) is
 * not taken as built, and the catalog comes out as plain, parsed.
 */
static void
check_forgeries(const char *dir, const char *path, const struct forgery *list, size_t n)
{
	const char *files[] = {path, NULL};
	struct upgrade_catalog *plain = load_files(NULL, files, 0), *cat;
	size_t i;

	CU_ASSERT_EQUAL(plain->ndiags, 0);
	for (i = 0; i < n; i++) {
		forge_entry(dir, path, list[i].change, NULL, NULL);
		cat = load_files(dir, files, 0);
		/* A refused entry vouches for nothing: the file is validated. */
		CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(cat), i == 0 ? 1u : 0u);
		if (upgrade_catalog_cache_compiled(cat) != (i == 0 ? 1u : 0u))
			fprintf(stderr, "forged entry, %s: compiled %zu\n", list[i].what,
			        upgrade_catalog_cache_compiled(cat));
		CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), i == 0 ? 1u : 0u);
		CU_ASSERT_TRUE(same_catalog(plain, cat));
		upgrade_catalog_free(cat);
	}
	upgrade_catalog_free(plain);
}

static void
test_cache_compiled_forged(void)
{
	static const struct forgery shapes[] = {
	    {"nothing changed", no_change},
	    {"<otherwise> before <when>", otherwise_first},
	    {"two <when> for one dialect", when_twice},
	    {"an empty <not>", empty_not},
	    {"a <not> of two conditions", not_of_two},
	    {"a <step> in a <step>", step_in_step},
	    {"<only-if> last in a <step>", guard_last_in_step},
	    {"a raw task not always run", raw_not_always},
	    {"guarded without a guard", guarded_without_guard},
	    {"requires without a module", requires_no_colon},
	    {"an empty <install>", install_empty},
	    {"statements as an enum's values", enum_of_statements},
	    {"a description that is not UTF-8", description_not_utf8},
	    {"a dialect on <otherwise>", otherwise_with_dialect},
	    {"both type and sql-type", type_and_sql_type},
	};
	static const struct forgery mods[] = {
	    {"nothing changed", no_change},
	    {"parameters out of order", params_unsorted},
	    {"a parameter declared twice", param_twice},
	    {"a parameter name that is not one", param_bad_name},
	    {"a dependency listed twice", depends_twice},
	};
	char dir[512], path[1024], deep[1024];
	const char *deeps[] = {deep, NULL};
	struct upgrade_catalog *plain, *cat;
	struct upg_limits loose, strict;

	snprintf(dir, sizeof dir, "%s/cache-forged", test_tmpdir());
	write_tmp(path, sizeof path, "forged.xml", shapes_catalog);
	check_forgeries(dir, path, shapes, sizeof shapes / sizeof shapes[0]);
	write_tmp(path, sizeof path, "forged-mods.xml",
	          "<module xmlns=\"urn:upgrade:catalog:1\" name=\"mods\">\n"
	          "<depends module=\"one\"/><depends module=\"two\"/>\n"
	          "<param name=\"b\" default=\"2\"/><param name=\"a\" default=\"1\"/>\n"
	          "<task name=\"t\"><sql>SELECT '${a}${b}'</sql></task>\n</module>\n");
	check_forgeries(dir, path, mods, sizeof mods / sizeof mods[0]);

	/*
	 * An entry refused does not vouch for the bytes: a file that breaks the
	 * schema, with a sealed entry of nothing under its key, is validated and
	 * refused as without a cache.
	 */
	{
		static const char invalid[] =
		    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"bad\">\n"
		    "<task name=\"a\"><sql>CREATE TABLE boom (i INTEGER)</sql>"
		    "<only-if><has-table table=\"nope\"/></only-if></task>\n</module>\n";
		unsigned char entry[8 + 32 + 64 + 64 + 5];
		char key[65], entry_path[1200];

		write_tmp(deep, sizeof deep, "forged-invalid.xml", invalid);
		cat = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_set_cache_dir(cat, dir), UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upg_cache_key(cat, invalid, strlen(invalid), key), 0);
		upgrade_catalog_free(cat);
		memset(entry, 0, sizeof entry);
		memcpy(entry, "UPGCMP1\n", 8);
		memcpy(entry + 40, key, 64);
		entry[8 + 32 + 64 + 64] = 1; /* one string, "" */
		snprintf(entry_path, sizeof entry_path, "%s/compiled-1-%s", dir, key);
		write_entry(entry_path, entry, sizeof entry, 1);
		cat = load_files(dir, deeps, 0);
		plain = load_files(NULL, deeps, 0);
		CU_ASSERT_EQUAL(upgrade_catalog_cache_hits(cat), 0);
		CU_ASSERT_TRUE(has_diag(cat, "forged-invalid.xml", 2, "", "schema violation"));
		CU_ASSERT_TRUE(same_catalog(plain, cat));
		upgrade_catalog_free(cat);
		upgrade_catalog_free(plain);
	}

	/*
	 * Nested deeper than the limit, in an entry that says it was written
	 * under it: the reader's own depth check refuses it, and the parse
	 * reports the depth as without a cache.
	 */
	write_deep(deep, sizeof deep, "forged-deep.xml", DEPTH_LIMIT);
	plain = load_files(NULL, deeps, 0);
	CU_ASSERT_TRUE(has_diag(plain, "forged-deep.xml", 1, "",
	                        "elements are nested deeper than the limit of 32"));
	cat = new_catalog();
	strict = loose = cat->limits;
	upgrade_catalog_free(cat);
	loose.depth = DEPTH_LIMIT * 2;
	/* Loaded under a loose limit, then written as if under the default one. */
	forge_entry(dir, deep, no_change, &loose, &strict);
	cat = load_files(dir, deeps, 0);
	CU_ASSERT_EQUAL(upgrade_catalog_cache_compiled(cat), 0);
	CU_ASSERT_TRUE(same_catalog(plain, cat));
	upgrade_catalog_free(cat);
	upgrade_catalog_free(plain);
}

/*
 * The arena past the size where its chunks become huge pages: every block
 * zeroed, in bounds and apart from the others, large requests in between
 * (chunks of their own) and strings copied whole.
 */
static void
test_arena(void)
{
	static const unsigned char zero[300000];
	struct upg_arena arena = {0};
	unsigned char **blocks, want[64];
	size_t i, n = 90000, bad = 0;
	char *s;

	blocks = calloc(n, sizeof *blocks);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blocks);
	for (i = 0; i < n; i++) {
		/* One size, a multiple of the alignment: a wrong usable size
		 * of a chunk (too large by the alignment or more) runs the block
		 * at its end past the allocation, which ASan and memcheck see. */
		size_t size = sizeof want;

		if (i % 10000 == 0) {
			unsigned char *big = upg_arena_alloc(&arena, sizeof zero);

			CU_ASSERT_PTR_NOT_NULL_FATAL(big);
			bad += memcmp(big, zero, sizeof zero) != 0;
			memset(big, 0xee, sizeof zero);
		}
		blocks[i] = upg_arena_alloc(&arena, size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blocks[i]);
		CU_ASSERT_EQUAL_FATAL((uintptr_t)blocks[i] % sizeof(void *), 0);
		bad += memcmp(blocks[i], zero, size) != 0;
		memset(blocks[i], (int)(i % 251) + 1, size);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* About 5.8 MB: past the 2 MiB where chunks become huge pages.  Nothing
	 * written later overwrote an earlier block. */
	for (i = 0; i < n; i++) {
		memset(want, (int)(i % 251) + 1, sizeof want);
		bad += memcmp(blocks[i], want, sizeof want) != 0;
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* The chunk in use is a huge one: aligned to 2 MiB, as malloc's are
	 * not. */
	CU_ASSERT_EQUAL((uintptr_t)arena.head % (2u << 20), 0);
	CU_ASSERT_TRUE(arena.total > (2u << 20));
	s = upg_arena_strdup(&arena, "after the huge chunks");
	CU_ASSERT_STRING_EQUAL(s, "after the huge chunks");
	upg_arena_free(&arena);
	CU_ASSERT_PTR_NULL(arena.head);
	free(blocks);
}

/*
 * An arena told it will be large takes huge chunks from its next chunk on,
 * long before 2 MiB; told less, it stays with small ones.  A map reserved
 * for n keys takes them without moving its tables.
 */
static void
test_arena_expect_map_reserve(void)
{
	struct upg_arena small = {0}, large = {0};
	struct upg_map map = {0};
	const char **keys_before;
	char **names;
	size_t i, n = 10000, bad = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(upg_arena_alloc(&small, 100));
	CU_ASSERT_PTR_NOT_NULL_FATAL(upg_arena_alloc(&large, 100));
	upg_arena_expect(&small, (2u << 20) - 1);
	upg_arena_expect(&large, 2u << 20);
	for (i = 0; i < 2000; i++) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(upg_arena_alloc(&small, 64));
		CU_ASSERT_PTR_NOT_NULL_FATAL(upg_arena_alloc(&large, 64));
	}
	/* 128 KB in all: the second chunk of each. */
	CU_ASSERT_EQUAL((uintptr_t)large.head % (2u << 20), 0);
	CU_ASSERT_TRUE(large.size > (1u << 20));
	CU_ASSERT_TRUE(small.size < (1u << 20));
	CU_ASSERT_TRUE(upg_arena_used(&large) >= 2000 * 64 + 100);
	upg_arena_free(&small);
	upg_arena_free(&large);

	names = calloc(n, sizeof *names);
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	CU_ASSERT_EQUAL(upg_map_reserve(&map, n), 0);
	CU_ASSERT_TRUE(map.cap * 3 >= n * 4);
	keys_before = map.keys;
	for (i = 0; i < n; i++) {
		names[i] = malloc(16);
		CU_ASSERT_PTR_NOT_NULL_FATAL(names[i]);
		snprintf(names[i], 16, "m:t%zu", i);
		CU_ASSERT_EQUAL(upg_map_put(&map, names[i], names[i], NULL), 1);
	}
	CU_ASSERT_PTR_EQUAL(map.keys, keys_before);
	/* Reserving less than it holds changes nothing. */
	CU_ASSERT_EQUAL(upg_map_reserve(&map, 10), 0);
	CU_ASSERT_PTR_EQUAL(map.keys, keys_before);
	/* Reserving more keeps every key. */
	CU_ASSERT_EQUAL(upg_map_reserve(&map, 4 * n), 0);
	CU_ASSERT_TRUE(map.cap * 3 >= 4 * n * 4);
	for (i = 0; i < n; i++)
		bad += upg_map_get(&map, names[i]) != names[i];
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(map.count, n);
	CU_ASSERT_PTR_NULL(upg_map_get(&map, "m:nosuch"));
	upg_map_free(&map);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void
test_limits(void)
{
	struct upgrade_catalog *cat;
	char big[4096];
	size_t i, at;

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILE_SIZE, 10), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 0, "", "file is larger than the limit of 10 bytes"));
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, src_path("tasks/examples/billing.xml")), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "billing.xml", 0, "", "file is larger than the limit of 10 bytes"));
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILE_SIZE, 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, 99, 1), UPGRADE_EINVAL);
	upgrade_catalog_free(cat);

	/* No limit at all: one byte past it wrapped to none, and every file read as empty. */
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILE_SIZE, SIZE_MAX), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, src_path("tasks/examples/accounts.xml")), UPGRADE_OK);
	dump_diags(cat);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_TRUE(upgrade_catalog_task_count(cat) > 0);
	upgrade_catalog_free(cat);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_DEPTH, 2), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 3, "", "nested deeper than the limit of 2"));
	upgrade_catalog_free(cat);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILE_TASKS, 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 5, "mem", "more than 1 tasks in one file"));
	upgrade_catalog_free(cat);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_TASKS, 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 5, "mem:two", "more than 1 tasks in the catalogs"));
	/* Preparing after the limit on tasks went through a slot counted past the limit and
	 * never filled, and crashed. */
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 0);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 1);
	upgrade_catalog_free(cat);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILES, 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "n.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "n.xml", 0, "", "more than 1 catalog files"));
	upgrade_catalog_free(cat);

	/* A file that cannot be read counts too, and the limit is still said when a file passes it. */
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_FILES, 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_file(cat, "/nonexistent/x.xml"), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "n.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "n.xml", 0, "", "more than 1 catalog files"));
	upgrade_catalog_free(cat);

	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_NAME, 3), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "long", NULL), UPGRADE_EINVAL);
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "", "module name 'long' is too long"));
	upgrade_catalog_free(cat);

	/* The limits checked before libxml2 parses: each names the line. */
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_ATTRIBUTES, 1),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 2, "", "an element has more than 1 attributes"));
	upgrade_catalog_free(cat);
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_CHILDREN, 1),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 2, "", "an element has more than 1 child elements"));
	upgrade_catalog_free(cat);
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_VALUE, 2), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 2, "",
	                        "an attribute value is longer than the limit of 2 bytes"));
	upgrade_catalog_free(cat);
	cat = new_catalog();
	CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_NODES, 3), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "m.xml", mem_catalog, strlen(mem_catalog)),
	                UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "m.xml", 2, "", "more than 3 nodes"));
	upgrade_catalog_free(cat);

	/* The markup counts however it is spelled: UTF-16 in either byte
	 * order, a '>' in a value, a comment that looks like a tag. */
	{
		static const char *const docs[] = {
		    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"u\"><!-- <a b='' c=''> -->"
		    "<task name=\"a>b\" x='' y=''/></module>",
		};
		char u16[2 * 256 + 2];
		size_t k, j, n = strlen(docs[0]);
		int be;

		for (be = 0; be <= 1; be++) {
			k = 0;
			u16[k++] = (char)(be ? 0xFE : 0xFF);
			u16[k++] = (char)(be ? 0xFF : 0xFE);
			for (j = 0; j < n && k + 2 <= sizeof u16; j++) {
				u16[k++] = be ? 0 : docs[0][j];
				u16[k++] = be ? docs[0][j] : 0;
			}
			cat = new_catalog();
			CU_ASSERT_EQUAL(
			    upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_ATTRIBUTES, 2),
			    UPGRADE_OK);
			CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "u16.xml", u16, k),
			                UPGRADE_EPARSE);
			CU_ASSERT_TRUE(has_diag(cat, "u16.xml", 1, "",
			                        "an element has more than 2 attributes"));
			upgrade_catalog_free(cat);
		}
		cat = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_set_limit(cat, UPGRADE_CATALOG_LIMIT_ATTRIBUTES, 3),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "ok.xml", docs[0], n),
		                UPGRADE_EPARSE);
		/* Within the limits: only the schema complains, of x and y. */
		CU_ASSERT_FALSE(has_diag(cat, "ok.xml", 1, "", "more than"));
		CU_ASSERT_TRUE(has_diag(cat, "ok.xml", 1, "", "schema violation"));
		upgrade_catalog_free(cat);
	}

	/* The pre-scan counts lines as libxml2 2.9 does (at each LF; a lone CR
	 * ends no line there) in text, comments and processing instructions,
	 * in UTF-8 and UTF-16: an element over a limit is named at the line
	 * libxml2 gives it. */
	{
		static const char doc[] =
		    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"u\">\r\n"
		    "<!-- a\r\nb\rc\n -->\n"
		    "\r\r\n\n"
		    "<?pi a\r\nb?>\r\n"
		    "<task name=\"a\" x='' y=''/></module>";
		char u16[2 * sizeof doc + 2] = {(char)0xFF, (char)0xFE};
		size_t j, n = sizeof doc - 1;
		int width, limit;

		for (j = 0; j < n; j++) {
			u16[2 + 2 * j] = doc[j];
			u16[2 + 2 * j + 1] = 0;
		}
		for (width = 1; width <= 2; width++) {
			for (limit = 2; limit <= 3; limit++) {
				cat = new_catalog();
				CU_ASSERT_EQUAL(upgrade_catalog_set_limit(
				                    cat, UPGRADE_CATALOG_LIMIT_ATTRIBUTES, (size_t)limit),
				                UPGRADE_OK);
				CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "l.xml",
				                                            width == 1 ? doc : u16,
				                                            width == 1 ? n : 2 + 2 * n),
				                UPGRADE_EPARSE);
				CU_ASSERT_TRUE(has_diag(cat, "l.xml", 9, "",
				                        limit == 2 ? "an element has more than 2 attributes"
				                                   : "schema violation"));
				upgrade_catalog_free(cat);
			}
		}
	}

	/* Encodings that could hide markup are refused. */
	{
		static const char *const bad[] = {
		    "<?xml version=\"1.0\" encoding=\"UTF-7\"?><module/>",
		    "<?xml version='1.0' encoding='ebcdic-cp-us'?><module/>",
		    "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?><module/>",
		};
		static const char ok[] = "<?xml version=\"1.0\" encoding=\"iso-8859-15\"?>"
		                         "<module xmlns=\"urn:upgrade:catalog:1\" name=\"l\"/>";

		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			cat = new_catalog();
			CU_ASSERT_EQUAL(
			    upgrade_catalog_load_memory(cat, "e.xml", bad[i], strlen(bad[i])),
			    UPGRADE_EPARSE);
			CU_ASSERT_TRUE(
			    has_diag(cat, "e.xml", 1, "", "is not supported in catalogs"));
			upgrade_catalog_free(cat);
		}
		cat = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "l.xml", ok, strlen(ok)),
		                UPGRADE_OK);
		dump_diags(cat);
		upgrade_catalog_free(cat);
		cat = new_catalog();
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "4.xml", "<\0\0\0m\0\0\0", 8),
		                UPGRADE_EPARSE);
		CU_ASSERT_TRUE(has_diag(cat, "4.xml", 1, "", "UCS-4 catalogs are not supported"));
		upgrade_catalog_free(cat);
	}

	/* A file with many faults reports the first thousand, and says so. */
	{
		struct upg_buf many = UPG_BUF_INIT;

		upg_buf_puts(&many, "<module xmlns=\"urn:upgrade:catalog:1\" name=\"many\">\n");
		for (i = 0; i < 1500; i++)
			upg_buf_printf(&many, "<depends module=\"d%zu\"/>\n", i);
		upg_buf_puts(&many, "</module>\n");
		cat = new_catalog();
		CU_ASSERT_EQUAL(
		    upgrade_catalog_load_memory(cat, "many.xml", upg_buf_str(&many), many.len),
		    UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 1001);
		CU_ASSERT_TRUE(
		    has_diag(cat, "many.xml", 0, "", "more than 1000 problems in this file"));
		upg_buf_free(&many);
		upgrade_catalog_free(cat);
	}

	/*
	 * A file whose messages are full still has problems for a later check:
	 * 1,001 tasks for PostgreSQL only, checked for SQLite (its messages
	 * fill the file's thousand), then for MySQL, which found "none".
	 */
	{
		struct upg_buf many = UPG_BUF_INIT;

		upg_buf_puts(&many, "<module xmlns=\"urn:upgrade:catalog:1\" name=\"many\">\n");
		for (i = 0; i < 1001; i++)
			upg_buf_printf(&many, "<task name=\"t%zu\"><choose><when dialect=\"postgresql\">"
			                      "<sql>SELECT 1</sql></when></choose></task>\n", i);
		upg_buf_puts(&many, "</module>\n");
		cat = new_catalog();
		CU_ASSERT_EQUAL(
		    upgrade_catalog_load_memory(cat, "many.xml", upg_buf_str(&many), many.len),
		    UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "sqlite"), UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 1001);
		CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "mysql"), UPGRADE_EPARSE);
		CU_ASSERT_STRING_EQUAL(upgrade_catalog_error(cat), "1001 errors in the catalogs");
		upg_buf_free(&many);
		upgrade_catalog_free(cat);
	}

	/* The default depth limit, with the nesting libxml2 itself allows. */
	cat = new_catalog();
	at = (size_t)snprintf(big, sizeof big, "<module xmlns=\"urn:upgrade:catalog:1\" name=\"d\"><task name=\"t\"><only-if>");
	for (i = 0; i < 100; i++)
		at += (size_t)snprintf(big + at, sizeof big - at, "<not>");
	at += (size_t)snprintf(big + at, sizeof big - at, "<has-table table=\"x\"/>");
	for (i = 0; i < 100; i++)
		at += (size_t)snprintf(big + at, sizeof big - at, "</not>");
	snprintf(big + at, sizeof big - at, "</only-if></task></module>");
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "deep.xml", big, strlen(big)), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "deep.xml", 1, "", "nested deeper than the limit of 32"));
	upgrade_catalog_free(cat);
}

/* ---- placeholders, checksums, dialects --------------------------------------------- */

static const char param_catalog[] =
    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"p\">\n"
    "  <param name=\"schema\" default=\"public\"/>\n"
    "  <param name=\"who\" default=\"nobody\"/>\n"
    "  <param name=\"x.y-z\"/>\n"
    "  <task name=\"t\">\n"
    "    <only-if><has-table table=\"${schema}.t\"/></only-if>\n"
    "    <sql>SELECT '${who}', '$${who}', '$$', '$x', '${x.y-z}'</sql>\n"
    "    <drop-table name=\"${schema}.old\" dialect=\"sqlite\"/>\n"
    "  </task>\n"
    "</module>\n";

/* The resolved actions of a task for a dialect (at most 32). */
static size_t
actions_of(const struct upgrade_task *t, const char *dialect, size_t unit, const struct upg_node **out,
           int *rc)
{
	struct upg_resolved *res = NULL;
	struct upg_error err = {0, NULL, "", 0};
	size_t i, n = 0;

	*rc = upg_task_resolve(&res, t, dialect, &err);
	if (*rc == UPGRADE_OK && unit < res->nunits) {
		n = res->units[unit].nactions;
		for (i = 0; i < n && i < 32; i++)
			out[i] = res->units[unit].actions[i];
	}
	upg_resolved_free(res);
	upg_error_clear(&err);
	return n;
}

/*
 * A body of loose items and steps resolves to a unit per step and per run
 * of items between steps, in order; ${schema} stays for the runner only
 * in the text of a for-each-schema step.
 */
static void
test_steps(void)
{
	static const char doc[] =
	    "<module xmlns=\"urn:upgrade:catalog:1\" name=\"s\">\n"
	    "<param name=\"schema\" default=\"p\"/>\n"
	    "<param name=\"x\" default=\"y\"/>\n"
	    "<task name=\"t\">\n"
	    "  <sql>SELECT 1</sql>\n"
	    "  <step><only-if><has-table table=\"a\"/></only-if><sql>SELECT 2</sql></step>\n"
	    "  <assert message=\"m\"><has-table table=\"b\"/></assert>\n"
	    "  <sql dialect=\"postgresql\">SELECT 3</sql>\n"
	    "  <step><sql>SELECT '${schema}'</sql></step>\n"
	    "</task>\n"
	    "<task name=\"r\" raw=\"true\">\n"
	    "  <assert message=\"n\"><schema-count min=\"1\"/></assert>\n"
	    "  <step for-each-schema=\"true\"><sql>SELECT '${schema}', '$${x}'</sql>"
	    "<drop-table name=\"${x}\" if-exists=\"true\"/></step>\n"
	    "</task>\n"
	    "</module>\n";
	struct upgrade_catalog *cat = new_catalog();
	struct upg_error err = {0, NULL, "", 0};
	struct upg_resolved *res = NULL;
	const struct upgrade_task *t;

	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "s.xml", doc, sizeof doc - 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);
	t = upgrade_catalog_find_task(cat, "s:t");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(upg_task_resolve(&res, t, "sqlite", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(res->nunits, 4);
	CU_ASSERT_EQUAL(res->units[0].nactions, 1);
	CU_ASSERT_PTR_NULL(res->units[0].guard);
	CU_ASSERT_EQUAL(res->units[1].nactions, 1);
	CU_ASSERT_PTR_NOT_NULL(res->units[1].guard);
	/* The assertion is an action of its unit; the PostgreSQL statement is filtered out. */
	CU_ASSERT_EQUAL_FATAL(res->units[2].nactions, 1);
	CU_ASSERT_EQUAL(res->units[2].actions[0]->kind, UPG_NODE_ASSERT);
	CU_ASSERT_EQUAL(res->units[2].line, 7);
	/* Outside a for-each-schema step, ${schema} is the module's parameter. */
	CU_ASSERT_STRING_EQUAL(res->units[3].actions[0]->text, "SELECT 'p'");
	CU_ASSERT_FALSE(res->units[3].each_schema);
	upg_resolved_free(res);
	res = NULL;
	CU_ASSERT_EQUAL_FATAL(upg_task_resolve(&res, t, "postgresql", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(res->units[2].nactions, 2);
	upg_resolved_free(res);
	res = NULL;

	t = upgrade_catalog_find_task(cat, "s:r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(upg_task_resolve(&res, t, "mysql", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(res->nunits, 2);
	CU_ASSERT_EQUAL(res->units[0].actions[0]->kind, UPG_NODE_ASSERT);
	CU_ASSERT_TRUE(res->units[1].each_schema);
	CU_ASSERT_EQUAL_FATAL(res->units[1].nactions, 2);
	/* Left for the runner, escape included; attributes are substituted now. */
	CU_ASSERT_STRING_EQUAL(res->units[1].actions[0]->text, "SELECT '${schema}', '$${x}'");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(res->units[1].actions[1], "name"), "y");
	upg_resolved_free(res);
	upg_error_clear(&err);
	upgrade_catalog_free(cat);
}

static void
test_placeholders(void)
{
	struct upgrade_catalog *cat = new_catalog();
	const struct upg_node *acts[32];
	const struct upgrade_task *t;
	int rc;

	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "p.xml", param_catalog, sizeof param_catalog - 1), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "who", "everyone"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "p:who", "${schema}"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "x.y-z", "1"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "x.y-z", "2"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "bad name", "v"), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, ":x", "v"), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "", "v"), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);
	t = upgrade_catalog_find_task(cat, "p:t");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(actions_of(t, "sqlite", 0, acts, &rc), 2);
	/* module:param wins over param; values are not expanded again;
	 * "$${" is a literal "${"; other dollars stay. */
	CU_ASSERT_STRING_EQUAL(acts[0]->text, "SELECT '${schema}', '${who}', '$$', '$x', '2'");
	CU_ASSERT_STRING_EQUAL(acts[0]->raw, "SELECT '${who}', '$${who}', '$$', '$x', '${x.y-z}'");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[1], "name"), "public.old");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[1], "dialect"), "sqlite");
	CU_ASSERT_PTR_NULL(upg_node_attr(acts[1], "table"));
	CU_ASSERT_STRING_EQUAL(upg_node_attr(t->guard->child, "table"), "public.t");
	/* The drop-table is for SQLite only. */
	CU_ASSERT_EQUAL(actions_of(t, "postgresql", 0, acts, &rc), 1);
	upgrade_catalog_free(cat);

	/* Invalid placeholder names. */
	{
		static const char doc[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"q\">\n"
		                          "<task name=\"t\"><sql>SELECT '${}', '${a b}'</sql></task>\n"
		                          "</module>\n";

		cat = new_catalog();
		upgrade_catalog_load_memory(cat, "q.xml", doc, sizeof doc - 1);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
		CU_ASSERT_TRUE(has_diag(cat, "q.xml", 2, "q:t", "invalid placeholder '${}'"));
		CU_ASSERT_TRUE(has_diag(cat, "q.xml", 2, "q:t", "invalid placeholder '${a b}'"));
		upgrade_catalog_free(cat);
	}
}

static const char *
checksum_of(const char *doc)
{
	static char sum[65];
	struct upgrade_catalog *cat = new_catalog();
	const struct upgrade_task *t;

	sum[0] = '\0';
	upgrade_catalog_load_memory(cat, "c.xml", doc, strlen(doc));
	if (upgrade_catalog_prepare(cat) != UPGRADE_OK)
		dump_diags(cat);
	t = upgrade_catalog_find_task(cat, "c:t");
	if (t != NULL)
		snprintf(sum, sizeof sum, "%s", upgrade_task_checksum(t));
	upgrade_catalog_free(cat);
	return sum;
}

/*
 * A checksum is computed when first asked for and kept with the catalog:
 * the install of a module that selection then leaves out of the catalog's
 * list is freed with it all the same (LeakSanitizer fails the program
 * otherwise), and asking again gives the same string.
 */
static void
test_checksum_lazy(void)
{
	static const char a[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"a\">"
	                        "<task name=\"t\"><sql>SELECT 1</sql></task></module>";
	static const char b[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"b\">"
	                        "<install><sql>SELECT 2</sql></install>"
	                        "<task name=\"t\"><sql>SELECT 3</sql></task></module>";
	struct upgrade_catalog *cat = new_catalog();
	const struct upgrade_task *in;
	const char *first;

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_load_memory(cat, "a.xml", a, strlen(a)), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_load_memory(cat, "b.xml", b, strlen(b)), UPGRADE_OK);
	in = upgrade_module_install(upgrade_catalog_find_module(cat, "b"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	first = upgrade_task_checksum(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	CU_ASSERT_EQUAL(strlen(first), 64);
	CU_ASSERT_PTR_EQUAL(upgrade_task_checksum(in), first);
	CU_ASSERT_EQUAL(upgrade_catalog_select_modules(cat, "a"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 1);
	upgrade_catalog_free(cat);
}

static void
test_checksum(void)
{
	char a[65];

	snprintf(a, sizeof a, "%s",
	         checksum_of("<module xmlns=\"urn:upgrade:catalog:1\" name=\"c\"><param name=\"p\" default=\"1\"/>"
	                     "<task name=\"t\"><sql>UPDATE t SET a = ${p}</sql>"
	                     "<create-index name=\"i\" table=\"t\" columns=\"a\"/></task></module>"));
	CU_ASSERT_EQUAL(strlen(a), 64);
	/* Pinned: checksums are stored, so the canonical form (version 1) is
	 * a contract.  This is SHA-256 of
	 * "upgrade-checksum-1\n(sql #21:UPDATE t SET a = ${p})"
	 * "(create-index columns=1:a name=1:i table=1:t)". */
	CU_ASSERT_STRING_EQUAL(a, "fe8900d57ac2b2574023a5080cbd12ec03be302bafec296b68127f1c2ac63375");
	/* Re-indenting, reflowing, attribute order, comments, descriptions
	 * and placeholder values change nothing. */
	CU_ASSERT_STRING_EQUAL(
	    checksum_of("<module xmlns=\"urn:upgrade:catalog:1\" name=\"c\">\n"
	                "  <param name=\"p\" default=\"2\"/>\n"
	                "  <task name=\"t\" always-run=\"true\">\n"
	                "    <description>Now described.</description>\n"
	                "    <!-- a comment -->\n"
	                "    <sql>\n      UPDATE t\n      SET a = ${p}\n    </sql>\n"
	                "    <create-index columns=\"a\" table=\"t\"  name=\"i\"/>\n"
	                "  </task>\n</module>\n"),
	    a);
	/* What the task does changes it. */
	CU_ASSERT_STRING_NOT_EQUAL(
	    checksum_of("<module xmlns=\"urn:upgrade:catalog:1\" name=\"c\"><param name=\"p\" default=\"1\"/>"
	                "<task name=\"t\"><sql>UPDATE t SET a = ${p} + 1</sql>"
	                "<create-index name=\"i\" table=\"t\" columns=\"a\"/></task></module>"),
	    a);
	CU_ASSERT_STRING_NOT_EQUAL(
	    checksum_of("<module xmlns=\"urn:upgrade:catalog:1\" name=\"c\"><param name=\"p\" default=\"1\"/>"
	                "<task name=\"t\"><sql>UPDATE t SET a = ${p}</sql>"
	                "<create-index name=\"i\" table=\"t\" columns=\"a\" unique=\"true\"/></task></module>"),
	    a);
	CU_ASSERT_STRING_NOT_EQUAL(
	    checksum_of("<module xmlns=\"urn:upgrade:catalog:1\" name=\"c\"><param name=\"p\" default=\"1\"/>"
	                "<task name=\"t\"><only-if><has-table table=\"t\"/></only-if><sql>UPDATE t SET a = ${p}</sql>"
	                "<create-index name=\"i\" table=\"t\" columns=\"a\"/></task></module>"),
	    a);
}

static void
test_dialects(void)
{
	static const char *const paths[] = {"tests/catalogs/good", NULL};
	struct upgrade_catalog *cat = new_catalog();
	const struct upg_node *acts[32];
	const struct upgrade_task *t;
	struct upg_resolved *res = NULL;
	struct upg_error err = {0, NULL, "", 0};
	size_t n;
	int rc;

	(void)paths;
	CU_ASSERT_EQUAL(upgrade_catalog_load_dir(cat, src_path("tests/catalogs/good")), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_param(cat, "suffix", "_x"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);

	t = upgrade_catalog_find_task(cat, "test.features:Everything: sql");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	n = actions_of(t, "sqlite", 0, acts, &rc);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_STRING_EQUAL(acts[0]->text, "UPDATE t SET a = '${literal}' WHERE b = 'public'");
	CU_ASSERT_STRING_EQUAL(acts[1]->text, "PRAGMA foreign_keys = ON");
	CU_ASSERT_EQUAL(acts[2]->kind, UPG_NODE_NATIVE);
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[2], "symbol"), "fix_all");

	n = actions_of(t, "postgresql", 0, acts, &rc);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(acts[1]->text, "DELETE FROM t WHERE a < 0 AND b <> '&'");
	CU_ASSERT_STRING_EQUAL(acts[2]->text, "SET x = 1");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[3], "arg"), "public");
	CU_ASSERT_EQUAL(actions_of(t, "generic", 0, acts, &rc), 2); /* an empty <when> */
	CU_ASSERT_EQUAL(actions_of(t, "mysql", 0, acts, &rc), 4);   /* <otherwise> */
	CU_ASSERT_STRING_EQUAL(acts[2]->text, "SELECT 1");

	/* Raw: one unit per step, with the step's guard. */
	t = upgrade_catalog_find_task(cat, "test.features:Everything: raw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(upg_task_resolve(&res, t, "mysql", &err), UPGRADE_OK);
	CU_ASSERT_PTR_NOT_NULL(res->guard);
	CU_ASSERT_EQUAL(res->nunits, 2);
	CU_ASSERT_PTR_NULL(res->units[0].guard);
	CU_ASSERT_PTR_NOT_NULL(res->units[1].guard);
	CU_ASSERT_EQUAL(res->units[1].nactions, 1);
	upg_resolved_free(res);
	res = NULL;
	/* No alternative for SQLite in the second step's <choose>. */
	CU_ASSERT_EQUAL(upg_task_resolve(&res, t, "sqlite", &err), UPGRADE_EUNSUPPORTED);
	CU_ASSERT_PTR_NULL(res);
	CU_ASSERT_PTR_NOT_NULL(strstr(upg_error_message(&err), "cannot run on dialect 'sqlite'"));
	CU_ASSERT_EQUAL(upg_task_resolve(&res, t, "oracle", &err), UPGRADE_ENOTFOUND);
	upg_error_clear(&err);

	/* Operations: names, parts and attributes are kept generically. */
	t = upgrade_catalog_find_task(cat, "test.features:Everything: ops");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	n = actions_of(t, "sqlite", 0, acts, &rc);
	CU_ASSERT_EQUAL(n, 16); /* create-enum is for PostgreSQL only */
	CU_ASSERT_STRING_EQUAL(acts[0]->name, "create-table");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[0], "name"), "t_x");
	CU_ASSERT_STRING_EQUAL(acts[0]->child->name, "column");
	CU_ASSERT_STRING_EQUAL(upg_node_attr(acts[0]->child, "type"), "bigint");
	CU_ASSERT_EQUAL_FATAL(actions_of(t, "postgresql", 0, acts, &rc), 17);
	CU_ASSERT_STRING_EQUAL(acts[15]->name, "create-enum");
	CU_ASSERT_STRING_EQUAL(acts[15]->child->next->text, "two words");

	/* check_dialect reports the same, as a diagnostic. */
	CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "mysql"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 0);
	CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "nope"), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(cat, "sqlite"), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 2);
	CU_ASSERT_TRUE(has_diag(cat, "features.xml", 74, "test.features:Everything: raw",
	                        "cannot run on dialect 'sqlite': the <choose> at"));
	/* And what SQLite lacks, found without a database (catalog-check.c). */
	CU_ASSERT_TRUE(has_diag(cat, "features.xml", 59, "test.features:Everything: ops",
	                        "<add-enum-value>: sqlite has no enumerations"));
	upgrade_catalog_free(cat);
}

/* ---- order: the model's cases -------------------------------------------------------- */

/* 7.1.1: ids, defaults, declaration order. */
static void
test_model_registration(void)
{
	static const char *const paths[] = {"tests/catalogs/model/1-registration", NULL};
	static const char *const want[] = {"onegov.core:Add new field", "onegov.core:Add another field", NULL};
	struct upgrade_catalog *cat = load_ok(paths);
	const struct upgrade_task *t;

	expect_plan(cat, want);
	t = upgrade_catalog_task_at(cat, 0);
	CU_ASSERT_STRING_EQUAL(upgrade_task_name(t), "Add new field");
	CU_ASSERT_EQUAL(upgrade_task_flags(t), 0);
	CU_ASSERT_PTR_NULL(upgrade_task_requires(t));
	t = upgrade_catalog_task_at(cat, 1);
	CU_ASSERT_EQUAL(upgrade_task_flags(t), UPGRADE_TASK_ALWAYS_RUN);
	CU_ASSERT_PTR_NULL(upgrade_task_requires(t));
	upgrade_catalog_free(cat);
}

/* 7.1.2: a raw task cannot be required. */
static void
test_model_raw_required(void)
{
	struct upgrade_catalog *cat = new_catalog();

	upgrade_catalog_load_path(cat, src_path("tests/catalogs/model/2-raw-required"));
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 1);
	CU_ASSERT_TRUE(has_diag(cat, "one.xml", 7, "one:Add another field", "raw tasks cannot be required"));
	upgrade_catalog_free(cat);
}

/* 7.1.3: requires across modules. */
static void
test_model_requirements(void)
{
	static const char *const paths[] = {"tests/catalogs/model/3-requirements", NULL};
	static const char *const want[] = {"one:Init Database", "two:New Field", "two:Destroy Database", NULL};
	struct upgrade_catalog *cat = load_ok(paths);

	expect_plan(cat, want);
	CU_ASSERT_STRING_EQUAL(upgrade_task_name(upgrade_catalog_task_at(cat, 2)), "Destroy Database");
	upgrade_catalog_free(cat);
}

/* 7.1.4: two tasks with one id. */
static void
test_model_duplicate(void)
{
	struct upgrade_catalog *cat = new_catalog();

	upgrade_catalog_load_path(cat, src_path("tests/catalogs/model/4-duplicate"));
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, "tests.xml", 7, "onegov.core.tests:Add new field", "declared twice"));
	upgrade_catalog_free(cat);
}

/* 7.1.5, a documented deviation: one native function may serve tasks of
 * several modules, since the ids differ. */
static void
test_model_function_names(void)
{
	static const char *const paths[] = {"tests/catalogs/model/5-function-names", NULL};
	static const char *const want[] = {"bar:Bar", "foo:Foo", NULL};
	struct upgrade_catalog *cat = load_ok(paths);

	expect_plan(cat, want);
	upgrade_catalog_free(cat);
}

/* 7.1.8: modules unknown to the levels first, by name; declaration order
 * inside a module; then the levels, as module dependencies. */
static void
test_model_order_key(void)
{
	static const char *const paths[] = {"tests/catalogs/model/8-order-key", NULL};
	static const char *const want[] = {"click:test",       "missing_module:test", "sqlalchemy:bbb",
	                                   "sqlalchemy:aaa",   "onegov.core:test",    "onegov.user:foo",
	                                   "onegov.agency:bar", NULL};
	struct upgrade_catalog *cat = load_ok(paths);

	expect_plan(cat, want);
	upgrade_catalog_free(cat);
}

/* Unlike the model's layered sort, B is not pushed behind org:C. */
static void
test_not_layered(void)
{
	static const char *const paths[] = {"tests/catalogs/order/not-layered", NULL};
	static const char *const want[] = {"core:A", "core:B", "org:C", NULL};
	struct upgrade_catalog *cat = load_ok(paths);

	expect_plan(cat, want);
	upgrade_catalog_free(cat);
}

/*
 * Requires pointing forward, within a module and into a later module.
 * m:first runs as soon as m:third has run (the model's layered sort would
 * push it behind every task of module z); m:fourth waits for z:late; and
 * m:fifth, free from the start, is not held back by m:fourth's wait.
 */
static void
test_forward_requires(void)
{
	static const char *const paths[] = {"tests/catalogs/order/forward", NULL};
	static const char *const want[] = {"m:second", "m:third", "m:first", "m:fifth",
	                                   "z:early",  "z:late",  "m:fourth", NULL};
	struct upgrade_catalog *cat = load_ok(paths);

	expect_plan(cat, want);
	upgrade_catalog_free(cat);
}

/* Module dependencies come first; among modules free to come next, names
 * decide: "a" waits for "z", while "c" does not. */
static void
test_module_priority(void)
{
	struct upgrade_catalog *cat = new_catalog();
	char x[512];
	static const char *const want[] = {"b:1", "c:1", "z:1", "z:2", "a:1", "a:2", NULL};

	module_xml(x, sizeof x, "a", "z", "<task name=\"1\"/><task name=\"2\"/>");
	upgrade_catalog_load_memory(cat, "a.xml", x, strlen(x));
	module_xml(x, sizeof x, "z", NULL, "<task name=\"1\"/><task name=\"2\"/>");
	upgrade_catalog_load_memory(cat, "z.xml", x, strlen(x));
	module_xml(x, sizeof x, "c", NULL, "<task name=\"1\"/>");
	upgrade_catalog_load_memory(cat, "c.xml", x, strlen(x));
	module_xml(x, sizeof x, "b", NULL, "<task name=\"1\"/>");
	upgrade_catalog_load_memory(cat, "b.xml", x, strlen(x));
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	expect_plan(cat, want);
	CU_ASSERT_STRING_EQUAL(upgrade_module_name(upgrade_catalog_module_at(cat, 2)), "z");
	upgrade_catalog_free(cat);
}

/* ---- determinism ---------------------------------------------------------------------- */

static uint32_t rng_state;

static uint32_t
rng(void)
{
	/* xorshift32: a fixed sequence, so the test is repeatable. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

#define DET_MODULES 30
#define DET_TASKS 8

/* Module i's catalog: depends on some lower modules, requires into them. */
static void
det_module(char *buf, size_t size, int i, uint32_t seed)
{
	size_t at = 0;
	int j;

	rng_state = seed * 2654435761u + (uint32_t)i + 1;
	at += (size_t)snprintf(buf + at, size - at, "<module xmlns=\"urn:upgrade:catalog:1\" name=\"m%02d\">", i);
	for (j = 0; j < i; j++)
		if (rng() % 5 == 0)
			at += (size_t)snprintf(buf + at, size - at, "<depends module=\"m%02d\"/>", j);
	for (j = 0; j < DET_TASKS; j++) {
		at += (size_t)snprintf(buf + at, size - at, "<task name=\"t%d\"", j);
		if (i > 0 && rng() % 3 == 0)
			at += (size_t)snprintf(buf + at, size - at, " requires=\"m%02d:t%u\"", (int)(rng() % (uint32_t)i),
			                       rng() % DET_TASKS);
		at += (size_t)snprintf(buf + at, size - at, "/>");
	}
	snprintf(buf + at, size - at, "</module>");
}

/* Loads the modules in the order given; returns the plan joined. */
static char *
det_plan(const int *order, uint32_t seed)
{
	struct upgrade_catalog *cat = new_catalog();
	struct upg_buf out = UPG_BUF_INIT;
	char x[8192], name[32];
	size_t i;

	for (i = 0; i < DET_MODULES; i++) {
		det_module(x, sizeof x, order[i], seed);
		snprintf(name, sizeof name, "f%02zu.xml", i);
		upgrade_catalog_load_memory(cat, name, x, strlen(x));
	}
	if (upgrade_catalog_prepare(cat) != UPGRADE_OK) {
		dump_diags(cat);
		CU_FAIL("random catalog set failed");
	}
	/* Every task after the task it requires. */
	for (i = 0; i < upgrade_catalog_task_count(cat); i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);
		size_t j;

		if (upgrade_task_requires(t) == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(upgrade_task_id(upgrade_catalog_task_at(cat, j)), upgrade_task_requires(t)) == 0)
				break;
		CU_ASSERT(j < i);
	}
	for (i = 0; i < upgrade_catalog_task_count(cat); i++) {
		upg_buf_puts(&out, upgrade_task_id(upgrade_catalog_task_at(cat, i)));
		upg_buf_putc(&out, '\n');
	}
	upgrade_catalog_free(cat);
	return upg_buf_detach(&out);
}

/* The same catalogs loaded in any order give the same plan. */
static void
test_determinism(void)
{
	int order[DET_MODULES];
	uint32_t seed;
	size_t i;

	for (seed = 1; seed <= 5; seed++) {
		char *first;

		for (i = 0; i < DET_MODULES; i++)
			order[i] = (int)i;
		first = det_plan(order, seed);
		CU_ASSERT_PTR_NOT_NULL_FATAL(first);
		CU_ASSERT_EQUAL(strlen(first) > 0, 1);
		for (i = 0; i < 5; i++) {
			uint32_t s = seed * 7919u + (uint32_t)i;
			char *again;
			size_t k;

			/* Fisher-Yates with its own generator state. */
			for (k = DET_MODULES - 1; k > 0; k--) {
				size_t r;
				int tmp;

				s ^= s << 13;
				s ^= s >> 17;
				s ^= s << 5;
				r = s % (k + 1);
				tmp = order[k];
				order[k] = order[r];
				order[r] = tmp;
			}
			again = det_plan(order, seed);
			CU_ASSERT_PTR_NOT_NULL_FATAL(again);
			CU_ASSERT_STRING_EQUAL(again, first);
			free(again);
		}
		free(first);
	}
}

/* ---- tasks registered in C -------------------------------------------------------------- */

static int
c_task(struct upgrade_context *ctx, void *userdata)
{
	(void)ctx;
	(*(int *)userdata)++;
	return UPGRADE_OK;
}

static const char x_requires_raw[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"x\">\n"
                                    "<task name=\"a\" requires=\"mem:one\"/></module>";

static void
test_c_tasks(void)
{
	static const char *const deps[] = {"mem", NULL};
	static const char *const want[] = {"mem:one", "mem:two", "mem:three", "c:first", "c:raw", "c:second", NULL};
	struct upgrade_catalog *cat = new_catalog();
	const struct upgrade_task *t;
	struct upg_resolved *res = NULL;
	struct upg_error err = {0, NULL, "", 0};
	int calls = 0;

	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "mem.xml", mem_catalog, strlen(mem_catalog)), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "c", deps), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "first", c_task, &calls, 0, "mem:one"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "mem", "three", c_task, &calls, UPGRADE_TASK_ALWAYS_RUN, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "raw", c_task, &calls, UPGRADE_TASK_RAW, NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "second", c_task, &calls, 0, NULL), UPGRADE_OK);

	/* Refusals: each also leaves a diagnostic, so prepare fails later. */
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "nope", "x", c_task, NULL, 0, NULL), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "x", NULL, NULL, 0, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "x", c_task, NULL, 0x100, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "c", NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "a:b", NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "first", c_task, NULL, 0, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "", c_task, NULL, 0, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "r2", c_task, NULL, UPGRADE_TASK_RAW, "mem:one"),
	                UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "c", "r3", c_task, NULL, 0, "nocolon"), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "", "unknown module 'nope'"));
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "c", "module is already declared in <C>"));
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "c:first", "task is declared twice"));
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "c:r2", "raw task may not require"));
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "c:r3", "is not a task id"));
	upgrade_catalog_free(cat);

	/* The same without the mistakes: C tasks take part in the order. */
	cat = new_catalog();
	upgrade_catalog_load_memory(cat, "mem.xml", mem_catalog, strlen(mem_catalog));
	upgrade_catalog_add_module(cat, "c", deps);
	upgrade_catalog_add_task(cat, "c", "first", c_task, &calls, 0, "mem:one");
	upgrade_catalog_add_task(cat, "mem", "three", c_task, &calls, UPGRADE_TASK_ALWAYS_RUN, NULL);
	upgrade_catalog_add_task(cat, "c", "raw", c_task, &calls, UPGRADE_TASK_RAW, NULL);
	upgrade_catalog_add_task(cat, "c", "second", c_task, &calls, 0, "mem:three");
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	dump_diags(cat);
	expect_plan(cat, want);
	t = upgrade_catalog_find_task(cat, "c:raw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(upgrade_task_flags(t), UPGRADE_TASK_CODE | UPGRADE_TASK_RAW | UPGRADE_TASK_ALWAYS_RUN);
	CU_ASSERT_PTR_NULL(upgrade_task_checksum(t));
	CU_ASSERT_STRING_EQUAL(upgrade_task_file(t), UPG_C_FILE);
	CU_ASSERT_EQUAL(upgrade_module_task_count(upgrade_catalog_find_module(cat, "mem")), 3);
	/* The runner calls the function; the resolved body is empty. */
	CU_ASSERT_EQUAL(upg_task_resolve(&res, t, "sqlite", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(res->nunits, 0);
	upg_resolved_free(res);
	CU_ASSERT_EQUAL(t->fn(NULL, t->userdata), UPGRADE_OK);
	CU_ASSERT_EQUAL(calls, 1);
	upgrade_catalog_free(cat);

	/* A C module depending on an unknown one, and an XML task requiring a
	 * raw C task. */
	cat = new_catalog();
	upgrade_catalog_add_module(cat, "mem", (const char *const[]){"ghost", "ghost", NULL});
	upgrade_catalog_add_task(cat, "mem", "one", c_task, &calls, UPGRADE_TASK_RAW, NULL);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "x.xml", x_requires_raw, sizeof x_requires_raw - 1),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_EPARSE);
	CU_ASSERT_TRUE(has_diag(cat, UPG_C_FILE, 0, "mem", "depends on unknown module 'ghost'"));
	CU_ASSERT_TRUE(has_diag(cat, "x.xml", 2, "x:a", "requires raw task 'mem:one'"));
	CU_ASSERT_EQUAL(upgrade_catalog_diag_count(cat), 2);
	upgrade_catalog_free(cat);
}

/*
 * The registry of dialects (src/dialect.c) is the one list of their names;
 * tasks/catalog.rng cannot read it and names them in its dialect-list
 * comment.  Adding a dialect without saying so there fails here.
 */
static void
test_schema_names_the_registry(void)
{
	static const char intro[] = "Dialect names are checked by the loader (";
	struct upg_buf known = UPG_BUF_INIT;
	char text[65536], listed[512];
	const char *p, *end;
	size_t n, k = 0;
	FILE *f;

	f = fopen(src_path("tasks/catalog.rng"), "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	p = strstr(text, intro);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p += strlen(intro);
	end = strchr(p, ')');
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	/* The comment wraps: every run of blanks and line breaks is one space. */
	for (; p < end && k < sizeof listed - 1; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\t') {
			if (k > 0 && listed[k - 1] != ' ')
				listed[k++] = ' ';
		} else {
			listed[k++] = *p;
		}
	}
	listed[k] = '\0';
	upg_dialect_names(&known);
	if (strcmp(listed, upg_buf_str(&known)) != 0)
		fprintf(stderr, "\n  catalog.rng lists: %s\n  the registry has: %s\n", listed,
		        upg_buf_str(&known));
	CU_ASSERT_STRING_EQUAL(listed, upg_buf_str(&known));
	upg_buf_free(&known);
}

static void
add_suites(void)
{
	TEST_SUITE("catalog");
	TEST_ADD(test_examples);
	TEST_ADD(test_examples_on_sqlite);
	TEST_ADD(test_memory);
	TEST_ADD(test_missing_path);
	TEST_ADD(test_directory);
	TEST_ADD(test_special_files);
	TEST_ADD(test_bad_one_by_one);
	TEST_ADD(test_bad_all_together);
	TEST_ADD(test_doctype);
	TEST_ADD(test_one_line_errors);
	TEST_ADD(test_schema_quiet);
	TEST_ADD(test_limits);
	TEST_ADD(test_arena);
	TEST_ADD(test_arena_expect_map_reserve);
	TEST_ADD(test_cache);
	TEST_ADD(test_cache_streamed);
	TEST_ADD(test_cache_compiled_damaged);
	TEST_ADD(test_cache_compiled_forged);
	TEST_ADD(test_placeholders);
	TEST_ADD(test_steps);
	TEST_ADD(test_checksum);
	TEST_ADD(test_checksum_lazy);
	TEST_ADD(test_dialects);
	TEST_ADD(test_schema_names_the_registry);
	TEST_ADD(test_model_registration);
	TEST_ADD(test_model_raw_required);
	TEST_ADD(test_model_requirements);
	TEST_ADD(test_model_duplicate);
	TEST_ADD(test_model_function_names);
	TEST_ADD(test_model_order_key);
	TEST_ADD(test_not_layered);
	TEST_ADD(test_forward_requires);
	TEST_ADD(test_module_priority);
	TEST_ADD(test_determinism);
	TEST_ADD(test_c_tasks);
}

int
main(void)
{
	return test_run(add_suites);
}
