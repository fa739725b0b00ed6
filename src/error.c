/* SPDX-License-Identifier: MIT */
/*
 * error.c - the error record kept on every handle, and the code strings.
 *
 * An error record owns its message.  Setting an error never fails
 * visibly: if the message cannot be allocated, the record falls back to a
 * static "out of memory" text and the code still describes the failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static const char oom_message[] = "out of memory";

void
upg_error_clear(struct upg_error *err)
{
	if (err->message != oom_message)
		free(err->message);
	err->message = NULL;
	err->code = UPGRADE_OK;
	err->sqlstate[0] = '\0';
	err->native = 0;
}

int
upg_error_vset(struct upg_error *err, int code, const char *fmt, va_list ap)
{
	struct upg_buf buf = UPG_BUF_INIT;
	va_list copy;
	int n;

	upg_error_clear(err);
	err->code = code;
	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0 || (buf.data = malloc((size_t)n + 1)) == NULL) {
		err->message = (char *)oom_message;
		return code;
	}
	vsnprintf(buf.data, (size_t)n + 1, fmt, ap);
	err->message = buf.data;
	return code;
}

int
upg_error_set(struct upg_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	upg_error_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int
upg_error_oom(struct upg_error *err)
{
	upg_error_clear(err);
	err->code = UPGRADE_ENOMEM;
	err->message = (char *)oom_message;
	return UPGRADE_ENOMEM;
}

int
upg_error_copy(struct upg_error *dst, const struct upg_error *src)
{
	if (dst == src)
		return src->code;
	upg_error_set(dst, src->code, "%s", upg_error_message(src));
	memcpy(dst->sqlstate, src->sqlstate, sizeof dst->sqlstate);
	dst->native = src->native;
	return dst->code;
}

void
upg_error_stash(struct upg_error *keep, struct upg_error *err)
{
	*keep = *err;
	err->message = NULL;
	upg_error_clear(err);
}

int
upg_error_restore(struct upg_error *err, struct upg_error *keep)
{
	if (keep->code != UPGRADE_OK) {
		upg_error_clear(err);
		*err = *keep;
	} else {
		upg_error_clear(keep);
	}
	keep->message = NULL;
	keep->code = UPGRADE_OK;
	return err->code;
}

const char *
upg_error_message(const struct upg_error *err)
{
	return err->message != NULL ? err->message : "";
}

const char *
upgrade_strerror(int code)
{
	switch (code) {
	case UPGRADE_OK: return "success";
	case UPGRADE_NOTHING_DONE: return "nothing done";
	case UPGRADE_ERROR: return "error";
	case UPGRADE_ENOMEM: return "out of memory";
	case UPGRADE_EINVAL: return "invalid argument";
	case UPGRADE_ENOTFOUND: return "not found";
	case UPGRADE_EPARSE: return "parse error";
	case UPGRADE_EDB: return "database error";
	case UPGRADE_ELOCKED: return "lock not available";
	case UPGRADE_EUNSUPPORTED: return "not supported";
	case UPGRADE_EREADONLY: return "read-only server";
	case UPGRADE_ETIMEOUT: return "timed out";
	default: return "unknown error code";
	}
}

const char *
upgrade_version(void)
{
	return UPGRADE_VERSION;
}

int
upgrade_version_number(void)
{
	return UPGRADE_VERSION_NUMBER;
}

void
upgrade_free(void *ptr)
{
	free(ptr);
}
