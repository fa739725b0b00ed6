/* SPDX-License-Identifier: MIT */
/*
 * private.h - internal helpers shared by the files of libupgrade.
 *
 * Nothing here is installed.  Internal names start with "upg_" so that the
 * export filter (every exported symbol starts with "upgrade_") stays exact.
 */
#ifndef UPG_PRIVATE_H
#define UPG_PRIVATE_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "upgrade.h"

#if defined(__GNUC__)
#define UPG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define UPG_PRINTF(f, a)
#endif

/*
 * Handle kinds.  Every public handle begins with an unsigned int magic
 * number, so that each entry point can tell its own kind of handle from
 * NULL or another kind (a runner passed where a catalog is expected) and
 * refuse it with UPGRADE_EINVAL instead of crashing, in the manner of
 * libarchive's archive_check_magic().  A handle being freed gets
 * UPG_MAGIC_FREED, which catches many uses after free; such a use remains
 * undefined behaviour all the same.
 */
#define UPG_MAGIC_CONN 0x75636f6eu    /* "ucon" */
#define UPG_MAGIC_CATALOG 0x75636174u /* "ucat" */
#define UPG_MAGIC_RUNNER 0x7572756eu  /* "urun" */
#define UPG_MAGIC_CONTEXT 0x75637478u /* "uctx" */
#define UPG_MAGIC_MODULE 0x756d6f64u  /* "umod" */
#define UPG_MAGIC_TASK 0x7574736bu    /* "utsk" */
#define UPG_MAGIC_FREED 0x64656164u   /* "dead" */

/*
 * 1 when h is a live handle whose magic is magic.  h may be NULL or any
 * of the library's handles: all begin with their magic, so reading it is
 * in bounds whatever the kind.
 */
static inline int
upg_magic_ok(const void *h, unsigned int magic)
{
	unsigned int m;

	if (h == NULL)
		return 0;
	memcpy(&m, h, sizeof m);
	return m == magic;
}

/* UPG_IS(conn, CONN), UPG_IS(cat, CATALOG), ... */
#define UPG_IS(h, kind) upg_magic_ok((h), UPG_MAGIC_##kind)

/*
 * The error kept on every handle.  message is NULL when there is no error;
 * the accessors turn that into "".
 */
struct upg_error {
	int code;
	char *message;
	char sqlstate[6];
	long native;
};

void upg_error_clear(struct upg_error *err);
/* Sets code and a formatted message; returns code so callers can "return upg_error_set(...)". */
int upg_error_set(struct upg_error *err, int code, const char *fmt, ...) UPG_PRINTF(3, 4);
int upg_error_vset(struct upg_error *err, int code, const char *fmt, va_list ap) UPG_PRINTF(3, 0);
/* Out of memory: no allocation, a static message. */
int upg_error_oom(struct upg_error *err);
/* Copies src into dst (used when an error moves from an inner handle to an outer one). */
int upg_error_copy(struct upg_error *dst, const struct upg_error *src);
const char *upg_error_message(const struct upg_error *err);
/*
 * Cleanup after a failure (a rollback, an unlock) runs statements, and
 * every statement starts by clearing the handle's error.  Stash the
 * failure before cleanup and restore it after: the first error is the one
 * reported, and a cleanup that fails after a success still reports its own.
 */
#define UPG_ERROR_INIT {0, NULL, "", 0}
void upg_error_stash(struct upg_error *keep, struct upg_error *err);
int upg_error_restore(struct upg_error *err, struct upg_error *keep);

/*
 * A growable string.  After a failed allocation the buffer stays "failed"
 * and every append is a no-op, so callers check once at the end.
 */
struct upg_buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
};

#define UPG_BUF_INIT {NULL, 0, 0, 0}

int upg_buf_append(struct upg_buf *buf, const char *s, size_t n);
int upg_buf_puts(struct upg_buf *buf, const char *s);
int upg_buf_putc(struct upg_buf *buf, char c);
int upg_buf_printf(struct upg_buf *buf, const char *fmt, ...) UPG_PRINTF(2, 3);
/* Returns the NUL-terminated string and resets the buffer; NULL if it failed. */
char *upg_buf_detach(struct upg_buf *buf);
void upg_buf_free(struct upg_buf *buf);
/* The current contents ("" when empty); valid until the next append. */
const char *upg_buf_str(const struct upg_buf *buf);
/*
 * Appends s so that it shows on one line of a message: control characters
 * and bytes that are not part of well-formed UTF-8 become \xNN.
 */
void upg_buf_put_shown(struct upg_buf *buf, const char *s);

/*
 * Makes room for need elements of size (> 0) bytes in the array *arrp
 * points to (a pointer to any object pointer), whose capacity is *cap
 * elements.  The capacity starts at min and doubles until it holds need,
 * so appending stays amortised O(1).  Returns UPGRADE_OK, or UPGRADE_ENOMEM
 * when the byte size would overflow or realloc fails; the array and *cap
 * are then unchanged.
 */
int upg_grow(void *arrp, size_t *cap, size_t need, size_t size, size_t min);

/* A 62-bit FNV-1a hash: stable lock keys from names. */
unsigned long long upg_hash62(const char *s);

/* "host pid N" of this process, for lock holders; per thread. */
const char *upg_lock_owner(void);

/* Now as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: the times the state tables store. */
void upg_utc_now(char *buf, size_t size);

/*
 * A stored time ("YYYY-MM-DD HH:MM:SS[.f]", UTC) in RFC 3339 with six
 * fraction digits and "Z"; other text is copied as it is.
 */
void upg_time_rfc3339(const char *in, char *out, size_t size);

/* Milliseconds on a clock that never goes back, for durations and deadlines. */
long upg_now_ms(void);
/* Sleeps ms milliseconds, resuming after signals. */
void upg_sleep_ms(long ms);

char *upg_strdup(const char *s);
/* qsort() comparator of an array of C strings, by their bytes. */
int upg_cmp_strings(const void *a, const void *b);
char *upg_strndup(const char *s, size_t n);
/* ASCII-only case-insensitive comparison: connection string keywords and SQL keywords. */
int upg_strcaseeq(const char *a, const char *b);
int upg_strncaseeq(const char *a, const char *b, size_t n);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int upg_utf8_valid(const char *s, size_t len);

/* How an engine counts the length of a name: bytes, characters or UTF-16 units. */
enum upg_len_unit { UPG_LEN_BYTES = 0, UPG_LEN_CHARS, UPG_LEN_UTF16 };
/* The length of well-formed UTF-8 text in unit. */
size_t upg_text_length(const char *s, enum upg_len_unit unit);
/* The unit's name in messages: "bytes", "characters", "UTF-16 units". */
const char *upg_len_unit_name(enum upg_len_unit unit);

/*
 * Parses the leading "major.minor" of a version string such as "15.0.18",
 * "10.11.000019" or "3.39.3" into major * 1000 + minor; 0 if unparsable.
 */
long upg_version_parse(const char *ver);

/*
 * Connection strings.  upg_connstr_redact() returns a copy in which the
 * value of every PWD / Password keyword is "***"; upg_connstr_get() returns
 * the (unbraced) value of a keyword, or NULL.  Both allocate.
 */
char *upg_connstr_redact(const char *connstr);
char *upg_connstr_get(const char *connstr, const char *keyword);
/* Appends "key=value" to buf, bracing the value when it needs it. */
void upg_connstr_append(struct upg_buf *buf, const char *key, const char *value);

#endif /* UPG_PRIVATE_H */
