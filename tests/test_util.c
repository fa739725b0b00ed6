/* SPDX-License-Identifier: MIT */
/*
 * test_util.c - connection string redaction and parsing, UTF-8 checks and
 * growable buffers and arrays.
 */
#include "config.h"

#include <stdint.h>

#include "../src/private.h"
#include "testutil.h"

static void
check_redact(const char *in, const char *want)
{
	char *got = upg_connstr_redact(in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\nredact(%s) = %s, want %s\n", in, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void
test_redact_plain(void)
{
	check_redact("DRIVER=x;UID=u;PWD=secret;Port=1", "DRIVER=x;UID=u;PWD=***;Port=1");
	check_redact("Password=secret", "Password=***");
	check_redact("pwd=secret;", "pwd=***;");
	check_redact("DRIVER=x", "DRIVER=x");
	check_redact("", "");
}

static void
test_redact_braces(void)
{
	/* A braced value may hold ';' and '='; the whole of it must go. */
	check_redact("DRIVER=x;Pwd={s3cr;et=pw};Port=5", "DRIVER=x;Pwd=***;Port=5");
	/* "}}" is an escaped brace inside the value, not its end. */
	check_redact("PWD={a}};PWD=b};UID=u", "PWD=***;UID=u");
	check_redact("  PASSWORD = {x;y} ;UID=u", "  PASSWORD = ***;UID=u");
	/* An unterminated brace runs to the end: nothing after it leaks. */
	check_redact("UID=u;PWD={abc;def", "UID=u;PWD=***");
}

static void
test_redact_keys_only(void)
{
	/* Keys that merely contain "pwd" are not passwords. */
	check_redact("OLDPWD=x;PwdFile=y", "OLDPWD=x;PwdFile=y");
}

static void
test_connstr_get(void)
{
	char *v;

	v = upg_connstr_get("A=1;Pwd={s3cr;et=pw};B=2", "PWD");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "s3cr;et=pw");
	free(v);
	v = upg_connstr_get("PWD={a}}b}", "pwd");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "a}b");
	free(v);
	CU_ASSERT_PTR_NULL(upg_connstr_get("A=1", "PWD"));
	v = upg_connstr_get("PWD=a;PWD=b", "PWD");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(v, "b");
	free(v);
}

static void
test_connstr_append(void)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char *s, *back;

	upg_connstr_append(&buf, "DRIVER", "SQLite3");
	upg_connstr_append(&buf, "Database", "/tmp/a;b}c.db");
	s = upg_buf_detach(&buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_STRING_EQUAL(s, "DRIVER=SQLite3;Database={/tmp/a;b}}c.db}");
	back = upg_connstr_get(s, "Database");
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	CU_ASSERT_STRING_EQUAL(back, "/tmp/a;b}c.db");
	free(back);
	free(s);
}

static void
test_utf8(void)
{
	CU_ASSERT_TRUE(upg_utf8_valid("plain", 5));
	CU_ASSERT_TRUE(upg_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac", 17));
	CU_ASSERT_TRUE(upg_utf8_valid("\xf0\x9f\x98\x80", 4));
	CU_ASSERT_FALSE(upg_utf8_valid("\xc3", 1));           /* truncated */
	CU_ASSERT_FALSE(upg_utf8_valid("\xc0\xaf", 2));       /* overlong '/' */
	CU_ASSERT_FALSE(upg_utf8_valid("\xed\xa0\x80", 3));   /* surrogate */
	CU_ASSERT_FALSE(upg_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CU_ASSERT_FALSE(upg_utf8_valid("\xff", 1));
}

static void
test_buf(void)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char *s;
	int i;

	for (i = 0; i < 1000; i++)
		upg_buf_printf(&buf, "%d,", i);
	CU_ASSERT_FALSE(buf.failed);
	CU_ASSERT_EQUAL(strncmp(upg_buf_str(&buf), "0,1,2,", 6), 0);
	s = upg_buf_detach(&buf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(strlen(s), 3890);
	free(s);
	CU_ASSERT_PTR_NULL(buf.data);
}

/*
 * A formatted piece one byte short of, exactly at and one byte past the
 * 512 bytes formatted on the stack, and of the room left in the buffer,
 * appended to a short and to a long text.
 */
static void
test_buf_printf_edges(void)
{
	static char piece[2100], start[1600];
	static char want[4000];
	int lead, delta;

	memset(start, 's', 1500);
	start[1500] = '\0';
	for (lead = 0; lead < 2; lead++)
		for (delta = -1; delta <= 1; delta++) {
			struct upg_buf buf = UPG_BUF_INIT;
			size_t edge;

			/* lead 0: "abc", 61 bytes of room; lead 1: 1,500 bytes, 548 of room. */
			upg_buf_puts(&buf, lead ? start : "abc");
			CU_ASSERT_FATAL(!buf.failed);
			edge = lead ? buf.cap - buf.len : 512;
			CU_ASSERT_FATAL(edge >= 512 && edge < sizeof piece);
			/* "%s|%d" formats to edge - 1 + delta characters: its NUL takes the last byte. */
			memset(piece, 'x', sizeof piece);
			piece[edge - 1 + delta - 2] = '\0';
			CU_ASSERT_EQUAL(upg_buf_printf(&buf, "%s|%d", piece, 7), 0);
			snprintf(want, sizeof want, "%s%s|7", lead ? start : "abc", piece);
			CU_ASSERT_STRING_EQUAL(upg_buf_str(&buf), want);
			CU_ASSERT_EQUAL(buf.len, strlen(want));
			upg_buf_printf(&buf, "%s", "");
			CU_ASSERT_STRING_EQUAL(upg_buf_str(&buf), want);
			upg_buf_free(&buf);
		}
}

static void
test_error_record(void)
{
	struct upg_error err = {0, NULL, "", 0};

	CU_ASSERT_STRING_EQUAL(upg_error_message(&err), "");
	CU_ASSERT_EQUAL(upg_error_set(&err, UPGRADE_EINVAL, "bad %s", "thing"), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upg_error_message(&err), "bad thing");
	CU_ASSERT_EQUAL(upg_error_oom(&err), UPGRADE_ENOMEM);
	CU_ASSERT_STRING_EQUAL(upg_error_message(&err), "out of memory");
	upg_error_clear(&err);
	CU_ASSERT_EQUAL(err.code, UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(upgrade_strerror(UPGRADE_EDB), "database error");
	CU_ASSERT_STRING_EQUAL(upgrade_strerror(UPGRADE_EREADONLY), "read-only server");
	CU_ASSERT_STRING_EQUAL(upgrade_strerror(12345), "unknown error code");
}

/* The one array-grow helper: doubling from min, and no overflow of the byte size. */
static void
test_grow(void)
{
	long *v = NULL;
	size_t cap = 0, big;

	CU_ASSERT_EQUAL(upg_grow(&v, &cap, 1, sizeof *v, 16), UPGRADE_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(cap, 16);
	v[15] = 15;
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, 16, sizeof *v, 16), UPGRADE_OK);
	CU_ASSERT_EQUAL(cap, 16);
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, 17, sizeof *v, 16), UPGRADE_OK);
	CU_ASSERT_EQUAL(cap, 32);
	CU_ASSERT_EQUAL(v[15], 15);
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, 100, sizeof *v, 16), UPGRADE_OK);
	CU_ASSERT_EQUAL(cap, 128);

	/* Element counts whose byte size wraps around: refused, nothing changed. */
	big = SIZE_MAX / sizeof *v + 1;
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, big, sizeof *v, 16), UPGRADE_ENOMEM);
	CU_ASSERT_EQUAL(cap, 128);
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, SIZE_MAX, sizeof *v, 16), UPGRADE_ENOMEM);
	CU_ASSERT_EQUAL(upg_grow(&v, &cap, 129, SIZE_MAX / 64, 16), UPGRADE_ENOMEM);
	CU_ASSERT_EQUAL(cap, 128);
	CU_ASSERT_EQUAL(v[15], 15);
	free(v);
}

static void
test_version(void)
{
	CU_ASSERT_STRING_EQUAL(upgrade_version(), UPGRADE_VERSION);
	CU_ASSERT_EQUAL(upgrade_version_number(), UPGRADE_VERSION_NUMBER);
}

static void
add_suites(void)
{
	TEST_SUITE("util");
	TEST_ADD(test_redact_plain);
	TEST_ADD(test_redact_braces);
	TEST_ADD(test_redact_keys_only);
	TEST_ADD(test_connstr_get);
	TEST_ADD(test_connstr_append);
	TEST_ADD(test_utf8);
	TEST_ADD(test_buf);
	TEST_ADD(test_buf_printf_edges);
	TEST_ADD(test_error_record);
	TEST_ADD(test_grow);
	TEST_ADD(test_version);
}

int
main(void)
{
	return test_run(add_suites);
}
