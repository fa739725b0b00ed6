/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON output contract of upgrade(1) (--format json).
 *
 * Every command writes JSON Lines on stdout: one object a line, each with
 * a "type", so that a consumer can read every command's output, and mixed
 * output (a fleet run, a log), with one loop.  Errors are objects too: the
 * text on stderr stays for people, the object on stdout is for programs,
 * and a command that fails without having said why in JSON gets one error
 * object naming its exit status before it exits.  The contract is the
 * schema in tasks/upgrade-output.schema.json; its version is
 * CLI_JSON_SCHEMA_VERSION and changes with every incompatible change.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/*
 * What the final error object needs: the last error message and SQLSTATE,
 * and whether an error object went out already.  Runner threads report
 * through the same functions, hence the lock.
 */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char last_message[1024];
static char last_sqlstate[6];
static int errors_printed;

json_object *
cli_json_object(const char *type)
{
	json_object *o = json_object_new_object();

	if (o != NULL)
		json_object_object_add(o, "type", json_object_new_string(type));
	return o;
}

/*
 * Writes text, each byte sequence that is not UTF-8 replaced by U+FFFD.
 * glibc's iconv judges: into UTF-16 it refuses overlong forms, encoded
 * surrogates and code points past U+10FFFF, which JSON readers refuse.
 * Without a converter the text goes as it is.
 */
static int
put_utf8(const char *text, size_t len, FILE *to)
{
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	int ret = 0;

	if (cd == (iconv_t)-1)
		return fwrite(text, 1, len, to) == len ? 0 : EOF;
	while (len > 0 && ret == 0) {
		char buf[4096], *in = (char *)text, *out = buf;
		size_t in_left = len, out_left = sizeof buf, good;
		int failed = iconv(cd, &in, &in_left, &out, &out_left) == (size_t)-1 && errno != E2BIG;

		good = (size_t)(in - text);
		if (fwrite(text, 1, good, to) != good)
			ret = EOF;
		text += good;
		len -= good;
		if (failed && len > 0) {
			if (fputs("\xef\xbf\xbd", to) == EOF)
				ret = EOF;
			text++;
			len--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	iconv_close(cd);
	return ret;
}

/*
 * json-c copies the bytes of a string as they are, and JSON must be UTF-8:
 * the written text is checked (outside its strings it is ASCII).
 */
int
cli_json_write(json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                                       JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text), i;

	for (i = 0; i < len && (unsigned char)text[i] < 0x80; i++)
		;
	if (i < len ? put_utf8(text, len, stdout) != 0 : fwrite(text, 1, len, stdout) != len)
		return EOF;
	return putchar('\n') == EOF ? EOF : 0;
}

void
cli_json_print(json_object *o)
{
	if (o == NULL)
		return;
	(void)cli_json_write(o);
	json_object_put(o);
	fflush(stdout);
}

void
cli_json_add_time(json_object *o, const char *key)
{
	struct timespec ts;
	struct tm tm;
	char buf[40];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ".%03ldZ", ts.tv_nsec / 1000000);
	json_object_object_add(o, key, json_object_new_string(buf));
}

json_object *
cli_json_sqlstate(const char *sqlstate)
{
	/* "" (no database error) and a missing state are one thing to a reader: null. */
	if (sqlstate == NULL || sqlstate[0] == '\0')
		return NULL;
	return json_object_new_string(sqlstate);
}

const char *
cli_exit_name(int status)
{
	switch (status) {
	case CLI_EXIT_OK: return "ok";
	case CLI_EXIT_PENDING: return "pending";
	case CLI_EXIT_TASK_FAILED: return "task_failed";
	case CLI_EXIT_LOCK_TIMEOUT: return "lock_timeout";
	case CLI_EXIT_CATALOG: return "catalog";
	case CLI_EXIT_CONNECT: return "connect";
	case CLI_EXIT_PARTIAL: return "partial";
	case CLI_EXIT_CHECKSUM: return "checksum";
	case CLI_EXIT_READ_ONLY: return "read_only";
	case CLI_EXIT_REPLICAS: return "replicas";
	case CLI_EXIT_USAGE: return "usage";
	default: return status > CLI_EXIT_SIGNAL ? "signal" : "software";
	}
}

void
cli_note_error(const char *message, const char *sqlstate)
{
	pthread_mutex_lock(&report_lock);
	if (message != NULL)
		snprintf(last_message, sizeof last_message, "%s", message);
	if (sqlstate != NULL)
		snprintf(last_sqlstate, sizeof last_sqlstate, "%s", sqlstate);
	pthread_mutex_unlock(&report_lock);
}

void
cli_json_error(int status, const char *message, const char *sqlstate, const char *file,
               unsigned long line, const char *object)
{
	json_object *o = cli_json_object("error");

	if (o == NULL)
		return;
	json_object_object_add(o, "code", json_object_new_string(cli_exit_name(status)));
	json_object_object_add(o, "status", json_object_new_int(status));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "sqlstate", cli_json_sqlstate(sqlstate));
	if (file != NULL)
		json_object_object_add(o, "file", json_object_new_string(file));
	if (file != NULL && line > 0)
		json_object_object_add(o, "line", json_object_new_int64((int64_t)line));
	if (object != NULL && object[0] != '\0')
		json_object_object_add(o, "object", json_object_new_string(object));
	pthread_mutex_lock(&report_lock);
	errors_printed++;
	cli_json_print(o);
	pthread_mutex_unlock(&report_lock);
}

/* What a status means when no message said it. */
static const char *
status_text(int status)
{
	switch (status) {
	case CLI_EXIT_TASK_FAILED: return "a task failed";
	case CLI_EXIT_LOCK_TIMEOUT: return "the schema lock was not granted in time";
	case CLI_EXIT_CATALOG: return "a catalog is invalid";
	case CLI_EXIT_CONNECT: return "the database cannot be used";
	case CLI_EXIT_PARTIAL: return "some schemas failed, others were upgraded";
	case CLI_EXIT_READ_ONLY: return "the server is read-only";
	case CLI_EXIT_REPLICAS: return "the replicas did not replay the run in time";
	case CLI_EXIT_USAGE: return "bad command line";
	default: return status > CLI_EXIT_SIGNAL ? "killed by a signal" : "internal error";
	}
}

void
cli_json_finish(const struct cli *cli, int status)
{
	int printed;
	char message[sizeof last_message], sqlstate[sizeof last_sqlstate];

	/* 1 and 7 are answers of status --check, not failures. */
	if (cli->format != CLI_FORMAT_JSON || status == CLI_EXIT_OK || status == CLI_EXIT_PENDING ||
	    status == CLI_EXIT_CHECKSUM)
		return;
	pthread_mutex_lock(&report_lock);
	printed = errors_printed;
	memcpy(message, last_message, sizeof message);
	memcpy(sqlstate, last_sqlstate, sizeof sqlstate);
	pthread_mutex_unlock(&report_lock);
	if (printed == 0)
		cli_json_error(status, message[0] != '\0' ? message : status_text(status), sqlstate,
		               NULL, 0, NULL);
}
