/* SPDX-License-Identifier: MIT */
/*
 * records.h - reading every row of a table in batches by key
 * (records.c), for upgrade_context_records() and the per-row fill of
 * add_column_with_defaults (fill.c).
 */
#ifndef UPG_RECORDS_H
#define UPG_RECORDS_H

#include "context.h"
#include "ops.h"

/* The rows of one batch when the caller asks for no particular number. */
#define UPG_DEFAULT_BATCH_ROWS 1000
/*
 * The most a caller may ask for (upgrade_fill.batch_rows): a batch is held
 * in memory whole, its values too, so a larger one gains nothing but
 * allocations that can overflow or fail.
 */
#define UPG_MAX_BATCH_ROWS 100000

struct upg_table_cols {
	char **names;
	char **types;
	int *pk;
	size_t n, cap;
	int oom;
};

/*
 * A scan of a table: key columns first, then the wanted columns, read
 * LIMIT rows at a time.  rowid is the name of SQLite's row id when the
 * table has no primary key (NULL otherwise).
 */
struct upg_scan {
	struct upgrade_context *ctx;
	const char *table;
	char *schema;
	struct upg_table_cols cols;
	size_t *key; /* indexes into cols, in key order */
	size_t nkey;
	const char *rowid;
	size_t *want; /* indexes into cols of the columns handed out */
	size_t nwant;
	const char **want_names;
	char *first_sql; /* the first batch */
	char *next_sql;  /* the following batches: with the keyset condition */
	size_t limit;
	char **last; /* the last key read */
	int done;
	int use_cursor;  /* a keyless table is read through an SQL cursor */
	char cursor[48]; /* that cursor's name once declared; "" if none */
};

/* One batch of rows: nrows x width cells, each allocated (NULL for SQL NULL). */
struct upg_batch {
	char **cells;
	size_t width, nrows, cap;
	int oom;
};

/*
 * UPGRADE_OK for NULL (all columns) or a list that names one at least;
 * UPGRADE_EINVAL with a message on conn for an empty list, {NULL}, which
 * would hand out nothing.
 */
int upg_scan_check_cols(struct upgrade_conn *conn, const char *const *cols);

/*
 * Sets up a scan of table handing out cols (NULL: all columns), limit rows
 * a batch (0: UPG_DEFAULT_BATCH_ROWS).  keyed_only: fail when there is no
 * key to batch by, instead of reading the table in one query.  An empty
 * list of cols is refused (upg_scan_check_cols()).  Returns UPGRADE_OK or
 * an error on ctx->conn; upg_scan_free() either way.
 */
int upg_scan_open(struct upg_scan *s, struct upgrade_context *ctx, const char *table,
                  const char *const *cols, size_t ncols, size_t limit, int keyed_only);
/* Reads the next batch into b (b->nrows 0: no more rows); UPGRADE_OK or the error. */
int upg_scan_next(struct upg_scan *s, struct upg_batch *b);
void upg_scan_free(struct upg_scan *s);
void upg_batch_free(struct upg_batch *b);
/*
 * Appends key column k's name (SQLite's row id unquoted), or a parameter
 * compared with it ("?", or "CAST(? AS type)" where the dialect wants
 * typed parameters).
 */
void upg_scan_key_name(struct upg_render *r, const struct upg_scan *s, size_t k);
void upg_scan_key_param(struct upg_render *r, const struct upg_scan *s, size_t k);

#endif /* UPG_RECORDS_H */
