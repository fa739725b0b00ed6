/* SPDX-License-Identifier: MIT */
/*
 * connection-info.c - what any layer may ask of a connection handle: its
 * error, its class as the dialect sees it, the server and driver it
 * reached, identifiers quoted for its dialect, whether an ODBC driver is
 * installed.  It calls neither connection.c nor the dialect registry, so
 * the drivers and the operations they use call down into it, never
 * around in a loop through the registry.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "connection.h"

enum upg_errclass
upg_conn_error_class(const struct upgrade_conn *conn)
{
	const struct upg_dialect *d = conn->dialect;

	if (d == NULL || d->classify_error == NULL)
		return UPG_ERRC_UNKNOWN;
	return d->classify_error(conn->err.sqlstate, conn->err.native,
	                         upg_error_message(&conn->err));
}

int
upg_odbc_driver_installed(const char *wanted)
{
	SQLHENV env = SQL_NULL_HENV;
	SQLCHAR desc[256], attrs[1024];
	SQLSMALLINT dlen, alen;
	SQLUSMALLINT dir = SQL_FETCH_FIRST;
	int found = 0;

	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)))
		return 0;
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	while (!found && SQL_SUCCEEDED(SQLDrivers(env, dir, desc, sizeof desc, &dlen, attrs,
	                                          sizeof attrs, &alen))) {
		found = strcmp((char *)desc, wanted) == 0;
		dir = SQL_FETCH_NEXT;
	}
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	return found;
}

const char *
upgrade_conn_error(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) ? upg_error_message(&conn->err) : "no connection handle";
}

const char *
upgrade_conn_sqlstate(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) ? conn->err.sqlstate : "";
}

long
upgrade_conn_native_error(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) ? conn->err.native : 0;
}

int
upgrade_conn_error_code(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) ? conn->err.code : UPGRADE_EINVAL;
}

const char *
upgrade_conn_dbms_name(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->dbms_name : NULL;
}

const char *
upgrade_conn_dbms_version(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->dbms_ver : NULL;
}

const char *
upgrade_conn_driver_name(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->driver_name : NULL;
}

const char *
upgrade_conn_driver_version(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->driver_ver : NULL;
}

const char *
upgrade_conn_string(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->connstr_redacted : NULL;
}

const char *
upgrade_conn_dialect(const struct upgrade_conn *conn)
{
	if (!UPG_IS(conn, CONN))
		return NULL;
	if (conn->connected)
		return conn->dialect->name;
	return conn->forced != NULL ? conn->forced->name : NULL;
}

unsigned int
upgrade_conn_capabilities(const struct upgrade_conn *conn)
{
	return UPG_IS(conn, CONN) && conn->connected ? conn->caps : 0;
}

const char *
upgrade_capability_name(enum upgrade_capability capability)
{
	switch (capability) {
	case UPGRADE_CAP_TRANSACTIONAL_DDL: return "transactional-ddl";
	case UPGRADE_CAP_SCHEMAS: return "schemas";
	case UPGRADE_CAP_DATABASE_SCHEMAS: return "database-schemas";
	case UPGRADE_CAP_ADVISORY_LOCK: return "advisory-lock";
	case UPGRADE_CAP_ENUM_TYPES: return "enum-types";
	case UPGRADE_CAP_INLINE_ENUM: return "inline-enum";
	case UPGRADE_CAP_JSON: return "json";
	case UPGRADE_CAP_SAVEPOINTS: return "savepoints";
	case UPGRADE_CAP_ALTER_COLUMN: return "alter-column";
	case UPGRADE_CAP_DROP_COLUMN: return "drop-column";
	case UPGRADE_CAP_INDEX_IF_NOT_EXISTS: return "index-if-not-exists";
	case UPGRADE_CAP_DISABLE_TRIGGERS: return "disable-triggers";
	default: return NULL;
	}
}

int
upgrade_conn_quote_ident(char **out, struct upgrade_conn *conn, const char *name)
{
	const struct upg_dialect *d;
	const char *why;
	char open, close;

	if (out != NULL)
		*out = NULL;
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	if (out == NULL)
		return upg_error_set(&conn->err, UPGRADE_EINVAL, "out is NULL");
	upg_error_clear(&conn->err);
	d = conn->connected ? conn->dialect : conn->forced;
	if (d == NULL)
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "no dialect yet: connect or choose a dialect first");
	open = d->quote_open;
	close = d->quote_close;
	if (open == '\0') {
		if (!conn->connected || conn->driver_quote == '\0')
			return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
			                     "the driver cannot quote identifiers");
		open = close = conn->driver_quote;
	}
	*out = upg_quote_ident(name, open, close, d->max_ident_len, d->ident_unit, &why);
	if (*out == NULL)
		return upg_ident_refused(&conn->err, d, name, why);
	return UPGRADE_OK;
}

/* Why name cannot be an identifier (a static text), or NULL when it can. */
static const char *
ident_fault(const char *name, size_t max_len, enum upg_len_unit unit)
{
	size_t len, i;

	if (name == NULL || name[0] == '\0')
		return "empty identifier";
	len = strlen(name);
	if (!upg_utf8_valid(name, len))
		return "identifier is not valid UTF-8";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return "identifier contains a control character";
	}
	if (max_len > 0 && upg_text_length(name, unit) > max_len)
		return "identifier is longer than the engine allows";
	return NULL;
}

/*
 * The name goes into the message through upg_buf_put_shown(): a line
 * break or a byte that is not UTF-8 in it would break the promise that a
 * message's first line is one line.
 */
int
upg_ident_refused(struct upg_error *err, const struct upg_dialect *d, const char *name,
                  const char *why)
{
	struct upg_buf shown = UPG_BUF_INIT;
	int ret;

	if (why == NULL)
		return upg_error_oom(err);
	upg_buf_put_shown(&shown, name != NULL ? name : "");
	if (shown.failed)
		ret = upg_error_oom(err);
	else if (d->max_ident_len > 0 && name != NULL && upg_utf8_valid(name, strlen(name)) &&
	         upg_text_length(name, d->ident_unit) > d->max_ident_len)
		ret = upg_error_set(err, UPGRADE_EINVAL,
		                    "identifier \"%s\" is %zu %s long; %s keeps at most %zu",
		                    upg_buf_str(&shown), upg_text_length(name, d->ident_unit),
		                    upg_len_unit_name(d->ident_unit), d->title, d->max_ident_len);
	else
		ret = upg_error_set(err, UPGRADE_EINVAL, "bad identifier \"%s\": %s",
		                    upg_buf_str(&shown), why);
	upg_buf_free(&shown);
	return ret;
}

int
upg_ident_check(struct upgrade_conn *conn, const char *name, int any_length)
{
	const struct upg_dialect *d = conn->connected ? conn->dialect : conn->forced;
	const char *why;

	if (d == NULL)
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "no dialect yet: connect or choose a dialect first");
	why = ident_fault(name, any_length ? 0 : d->max_ident_len, d->ident_unit);
	return why != NULL ? upg_ident_refused(&conn->err, d, name, why) : UPGRADE_OK;
}

char *
upg_quote_ident(const char *name, char open, char close, size_t max_len, enum upg_len_unit unit,
                const char **why)
{
	struct upg_buf buf = UPG_BUF_INIT;
	size_t i;

	*why = ident_fault(name, max_len, unit);
	if (*why != NULL)
		return NULL;
	upg_buf_putc(&buf, open);
	for (i = 0; name[i] != '\0'; i++) {
		upg_buf_putc(&buf, name[i]);
		if (name[i] == close)
			upg_buf_putc(&buf, close);
	}
	upg_buf_putc(&buf, close);
	return upg_buf_detach(&buf);
}
