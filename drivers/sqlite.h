/* SPDX-License-Identifier: MIT */
/*
 * sqlite.h - what the SQLite driver offers besides its dialect table, for
 * its tests: reading the CREATE TABLE text SQLite keeps.
 */
#ifndef UPG_DRIVER_SQLITE_H
#define UPG_DRIVER_SQLITE_H

/*
 * Whether the CREATE TABLE statement sql declares a constraint called name
 * (ASCII case-insensitive, as SQLite compares names) of type ctype
 * (UPG_CT_ANY for any).  UPGRADE_EPARSE when sql cannot be read.
 */
int upg_sqlite_has_constraint(const char *sql, const char *name, int ctype, int *found);

#endif /* UPG_DRIVER_SQLITE_H */
