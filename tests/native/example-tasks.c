/* SPDX-License-Identifier: MIT */
/*
 * example-tasks.c - a task library as a package would ship it: C functions
 * for <native library="example-tasks.so" symbol="..."/> actions, using
 * only the public API of <upgrade.h>.
 *
 * Build it as a shared object that leaves the upgrade_* symbols to the
 * program that loads it (upgrade(1) links libupgrade):
 *
 *   cc -shared -fPIC -o example-tasks.so example-tasks.c
 *
 * A catalog then says
 *
 *   <task name="Add slugs">
 *     <only-if><not><has-column table="notes" column="slug"/></not></only-if>
 *     <native library="example-tasks.so" symbol="example_add_slug" arg="notes"/>
 *   </task>
 */
#include <stdio.h>
#include <string.h>

#include <upgrade.h>

/* Exported names of the library; the others stay inside. */
#if defined(__GNUC__)
#define EXAMPLE_EXPORT __attribute__((visibility("default")))
#else
#define EXAMPLE_EXPORT
#endif

EXAMPLE_EXPORT int example_create_notes(struct upgrade_context *ctx, const char *arg);
EXAMPLE_EXPORT int example_add_slug(struct upgrade_context *ctx, const char *arg);
EXAMPLE_EXPORT int example_fail(struct upgrade_context *ctx, const char *arg);
EXAMPLE_EXPORT int example_noop(struct upgrade_context *ctx, const char *arg);

/*
 * Creates the table named arg (id, title) unless it exists, and adds two
 * notes with bound parameters.
 */
int
example_create_notes(struct upgrade_context *ctx, const char *arg)
{
	struct upgrade_column cols[2] = {UPGRADE_COLUMN_INIT, UPGRADE_COLUMN_INIT};
	const char *first[2] = {"1", "Hello World"};
	const char *second[2] = {"2", "Gr\xc3\xbc\xc3\x9f"
	                              "e aus Z\xc3\xbcrich"};
	struct upgrade_conn *conn = upgrade_context_conn(ctx);
	char *table = NULL, sql[256];
	int ret;

	cols[0].name = "id";
	cols[0].type = "integer";
	cols[0].primary_key = 1;
	cols[1].name = "title";
	cols[1].type = "varchar(100)";
	cols[1].not_null = 1;
	ret = upgrade_context_create_table(ctx, arg, cols, 2, UPGRADE_IF_NOT_EXISTS);
	if (ret != UPGRADE_OK)
		return ret;
	/* Hand-written SQL quotes names through the connection. */
	ret = upgrade_conn_quote_ident(&table, conn, arg);
	if (ret != UPGRADE_OK)
		return ret;
	ret = snprintf(sql, sizeof sql, "INSERT INTO %s (id, title) VALUES (?, ?)", table) <
	              (int)sizeof sql
	          ? UPGRADE_OK
	          : UPGRADE_EINVAL;
	upgrade_free(table);
	if (ret != UPGRADE_OK)
		return ret;
	ret = upgrade_context_exec(NULL, ctx, sql, 2, first);
	if (ret == UPGRADE_OK)
		ret = upgrade_context_exec(NULL, ctx, sql, 2, second);
	if (ret == UPGRADE_OK)
		upgrade_context_changed(ctx);
	return ret;
}

/* Lower-case ASCII letters and digits of the title, other runs become '-'. */
static int
slug(const char **value, const struct upgrade_row *row, void *userdata)
{
	char *buf = userdata;
	const char *t = row->values[0];
	size_t n = 0;
	int dash = 0;

	if (t == NULL) {
		*value = NULL;
		return 0;
	}
	for (; *t != '\0' && n < 62; t++) {
		char c = *t;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n > 0)
				buf[n++] = '-';
			buf[n++] = c;
			dash = 0;
		} else {
			dash = 1;
		}
	}
	buf[n] = '\0';
	/* The buffer is reused for the next row: the library copies the value first. */
	*value = buf;
	return 0;
}

/* Adds notes.slug, computed per row from the title, then NOT NULL. */
int
example_add_slug(struct upgrade_context *ctx, const char *arg)
{
	static const char *const wanted[] = {"title", NULL};
	struct upgrade_column col = UPGRADE_COLUMN_INIT;
	struct upgrade_fill fill = UPGRADE_FILL_INIT;
	char buf[64];

	col.name = "slug";
	col.type = "varchar(64)";
	col.not_null = 1;
	fill.fn = slug;
	fill.userdata = buf;
	fill.columns = wanted;
	return upgrade_context_add_column_with_defaults(ctx, arg, &col, &fill);
}

/* Fails without a message: the library names the function for it. */
int
example_fail(struct upgrade_context *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	return UPGRADE_EINVAL;
}

int
example_noop(struct upgrade_context *ctx, const char *arg)
{
	(void)ctx;
	(void)arg;
	return UPGRADE_NOTHING_DONE;
}
