/* SPDX-License-Identifier: MIT */
/*
 * upgrade/common.h - return codes, export macros and version queries shared
 * by every part of libupgrade.
 *
 * Every failable function returns one of the codes below; the detailed
 * message (and, for database errors, the SQLSTATE and native code) stays on
 * the handle the function was called with.
 */
#ifndef UPGRADE_COMMON_H
#define UPGRADE_COMMON_H

#include <stddef.h>

#include "upgrade/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UPGRADE_BUILDING_LIBRARY) && defined(__GNUC__)
#define UPGRADE_EXTERN __attribute__((visibility("default")))
#else
#define UPGRADE_EXTERN
#endif

/*
 * Return codes.  Append only: a value, once published, never changes
 * meaning.  Success is 0, a positive value is a successful outcome with a
 * nuance (see UPGRADE_NOTHING_DONE), errors are negative.
 */
enum upgrade_code {
	UPGRADE_OK = 0,
	/* A task or guard ran and found nothing to do. */
	UPGRADE_NOTHING_DONE = 1,
	UPGRADE_ERROR = -1,       /* generic failure; see the message */
	UPGRADE_ENOMEM = -2,      /* out of memory */
	UPGRADE_EINVAL = -3,      /* invalid argument */
	UPGRADE_ENOTFOUND = -4,   /* no such object */
	UPGRADE_EPARSE = -5,      /* malformed input (catalog, JSON, option) */
	UPGRADE_EDB = -6,         /* the database reported an error; see SQLSTATE */
	UPGRADE_ELOCKED = -7,     /* a lock could not be taken in time */
	UPGRADE_EUNSUPPORTED = -8, /* the engine or dialect cannot do this */
	UPGRADE_EREADONLY = -9,    /* the server takes no writes (a standby, a read-only replica) */
	UPGRADE_ETIMEOUT = -10     /* a wait (for replicas) ran out of time */
};

/* Run-time version of the library, e.g. "0.1.0". */
UPGRADE_EXTERN const char *upgrade_version(void);

/* Run-time version as UPGRADE_VERSION_NUMBER encodes it. */
UPGRADE_EXTERN int upgrade_version_number(void);

/*
 * A short, static English description of a return code
 * ("out of memory", "database error", ...); never NULL.
 */
UPGRADE_EXTERN const char *upgrade_strerror(int code);

/*
 * Releases memory the library allocated for the caller (a quoted
 * identifier, a list of enum labels, ...); NULL is a no-op.
 */
UPGRADE_EXTERN void upgrade_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* UPGRADE_COMMON_H */
