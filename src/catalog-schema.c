/* SPDX-License-Identifier: MIT */
/*
 * catalog-schema.c - libxml2's error callbacks turned into diagnostics,
 * and the RelaxNG schema tasks/catalog.rng, read and compiled once.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <nettle/sha2.h>

#include "catalog-load.h"

/* ---- libxml2 callbacks ------------------------------------------------------ */

/* Appends len bytes of s to dst (size bytes, *n used), control characters as spaces. */
static void
put_text(char *dst, size_t size, size_t *n, const char *s, size_t len)
{
	for (; len > 0 && *n + 1 < size; s++, len--)
		dst[(*n)++] = (unsigned char)*s < 0x20 || *s == 0x7F ? ' ' : *s;
	dst[*n] = '\0';
}

/*
 * Copies a libxml2 message as one line, as every diagnostic must be.
 * libxml2 puts details on lines of their own ("Bytes: 0xFF 0xFE ..."):
 * they follow the first line in parentheses, separated by "; ".
 */
static void
error_text(char *dst, size_t size, const char *msg)
{
	size_t n = 0, lines = 0;
	const char *p = msg != NULL ? msg : "";

	dst[0] = '\0';
	while (*p != '\0') {
		const char *end = strchr(p, '\n');
		size_t len;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		len = (size_t)(end - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
			len--;
		if (len > 0) {
			if (lines == 1)
				put_text(dst, size, &n, " (", 2);
			else if (lines > 1)
				put_text(dst, size, &n, "; ", 2);
			put_text(dst, size, &n, p, len);
			lines++;
		}
		p = *end != '\0' ? end + 1 : end;
	}
	if (lines > 1)
		put_text(dst, size, &n, ")", 1);
	if (lines == 0)
		put_text(dst, size, &n, "unknown error", 13);
}

/* Structured parser errors: ctx is the parser context (SAX2 userData). */
void
upg_xml_on_parse_error(void *ctx, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct loader *ld = ctxt->_private;
	char msg[512];

	if (ld == NULL || err == NULL || err->level == XML_ERR_WARNING)
		return;
	/* After a refused DOCTYPE the parser stops; its complaint about the
	 * interruption adds nothing. */
	if (ld->doctype)
		return;
	error_text(msg, sizeof msg, err->message);
	ld_error(ld, err->line > 0 ? (unsigned long)err->line : 0, "", "malformed XML: %s", msg);
}

/*
 * Errors libxml2 raises with no parser at hand, such as a byte sequence
 * its decoder rejects: it would print them on stderr itself.  data is the
 * loader.  The first one is recorded; the others are its consequences
 * ("I/O error: encoder error").
 */
void
upg_xml_on_other_error(void *data, xmlErrorPtr err)
{
	struct loader *ld = data;
	char msg[512];

	if (ld == NULL || err == NULL || err->level == XML_ERR_WARNING || ld->other_error)
		return;
	ld->other_error = 1;
	error_text(msg, sizeof msg, err->message);
	ld_error(ld,
	         ld->ctxt != NULL && ld->ctxt->input != NULL && ld->ctxt->input->line > 0
	             ? (unsigned long)ld->ctxt->input->line
	             : 0,
	         "", "malformed XML: %s", msg);
}

/* Any DOCTYPE is refused and parsing stops right here. */
void
upg_xml_on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                           const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct loader *ld = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (ld != NULL && !ld->doctype) {
		ld_error(ld, (unsigned long)xmlSAX2GetLineNumber(ctx), "",
		         "document type declarations (DOCTYPE) are not allowed in catalogs");
		ld->doctype = 1;
	}
	xmlStopParser(ctxt);
}

void
upg_xml_on_schema_error(void *ctx, xmlErrorPtr err)
{
	struct loader *ld = ctx;
	char msg[512];
	unsigned long line = 0;

	if (err == NULL || err->level == XML_ERR_WARNING)
		return;
	if (++ld->schema_errors > MAX_SCHEMA_ERRORS) {
		if (ld->schema_errors == MAX_SCHEMA_ERRORS + 1)
			ld_error(ld, 0, "", "more schema violations not shown");
		return;
	}
	error_text(msg, sizeof msg, err->message);
	/* libxml2's line stops at 65535 for an element; the loader kept the real one. */
	if (err->node != NULL && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE &&
	    ((xmlNodePtr)err->node)->_private != NULL)
		line = upg_xml_line_of((xmlNodePtr)err->node);
	else if (err->line > 0)
		line = (unsigned long)err->line;
	else if (err->node != NULL)
		line = (unsigned long)xmlGetLineNo((xmlNodePtr)err->node);
	ld_error(ld, line, "", "schema violation: %s", msg);
}

/* Schema-loading errors are reported once, as one diagnostic. */
struct schema_load {
	char msg[512];
	int have;
};

static void
on_schema_parse_error(void *ctx, xmlErrorPtr err)
{
	struct schema_load *sl = ctx;

	if (err == NULL || err->level == XML_ERR_WARNING || sl->have)
		return;
	error_text(sl->msg, sizeof sl->msg, err->message);
	sl->have = 1;
}

/* ---- reading files ----------------------------------------------------------- */

/* Reads a whole (small) regular file; NULL with the reason in *why. */
static char *
slurp(const char *path, size_t max, size_t *len, const char **why)
{
	struct stat st;
	int fd = upg_open_regular(path, &st);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;

	*why = fd == -2 ? upg_file_kind(st.st_mode) : "cannot open";
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		size_t got;

		/* Room for a read of 4096 bytes and the final NUL. */
		if (cap - n <= 4096) {
			if (cap > max) {
				*why = "too large";
				goto fail;
			}
			if (upg_grow(&buf, &cap, n + 4096 + 1, 1, 65536) != UPGRADE_OK) {
				*why = "out of memory";
				goto fail;
			}
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		*why = "read error";
		goto fail;
	}
	if (n > max) {
		*why = "too large";
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

/*
 * Schemas, by path, shared by every catalog of the process: the bytes are
 * read once, their digest kept (the catalog cache's key names the schema
 * by it, see catalog-cache.c), and they are compiled on first use.
 * Compiling costs far more than validating a typical catalog (1.5 ms, more
 * under sanitizers), and a compiled RelaxNG schema is only read during
 * validation, each validation having its own context.  Entries live until
 * the process ends; failures are not kept, so a fixed file is picked up by
 * the next catalog.
 */
struct schema_entry {
	char *path;
	char *bytes; /* until compiled */
	size_t len;
	char digest[2 * SHA256_DIGEST_SIZE + 1];
	xmlRelaxNGPtr schema;
	struct schema_entry *next;
};

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static struct schema_entry *schema_cache;

/* The schema's path: $UPGRADE_SCHEMA when set (tests run from the build tree), else the installed copy. */
static const char *
schema_path(void)
{
	const char *path = getenv("UPGRADE_SCHEMA");

	return path == NULL || *path == '\0' ? UPGRADE_PKGDATADIR "/catalog.rng" : path;
}

/*
 * Whether a RelaxNG schema has an <include> or <externalRef> element, of
 * any prefix, or is in an encoding with NUL bytes, where a byte search
 * cannot tell.  Such a tag in a comment counts too: that only costs the
 * catalog cache, which then remembers nothing validated under the schema.
 */
static int
pulls_in_files(const char *bytes, size_t len)
{
	static const char *const tags[] = {"include", "externalRef"};
	size_t i;

	/* UTF-16 or UTF-32 text hides its tags from a byte search: taken as pulling in. */
	if (memchr(bytes, '\0', len) != NULL)
		return 1;
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		size_t n = strlen(tags[i]);
		const char *p = bytes, *end = bytes + len;

		while ((p = memmem(p, (size_t)(end - p), tags[i], n)) != NULL) {
			char after = p + n < end ? p[n] : '\0';

			if (p > bytes && (p[-1] == '<' || p[-1] == ':') &&
			    (after == ' ' || after == '\t' || after == '\n' || after == '\r' ||
			     after == '/' || after == '>'))
				return 1;
			p += n;
		}
	}
	return 0;
}

/*
 * The entry of path, read (and its digest taken) if it was not; called with
 * schema_lock held.  NULL when the file cannot be read, with the reason
 * recorded on cat when cat is not NULL.
 */
static struct schema_entry *
schema_entry(struct upgrade_catalog *cat, const char *path)
{
	struct schema_entry *e;
	struct sha256_ctx h;
	uint8_t md[SHA256_DIGEST_SIZE];
	const char *why;
	size_t i;

	for (e = schema_cache; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			return e;
	e = calloc(1, sizeof *e);
	if (e == NULL || (e->path = upg_strdup(path)) == NULL) {
		free(e);
		if (cat != NULL)
			upg_diag_add(cat, path, 0, 0, "", "cannot load the catalog schema: out of memory");
		return NULL;
	}
	e->bytes = slurp(path, SCHEMA_MAX_SIZE, &e->len, &why);
	if (e->bytes == NULL) {
		if (cat != NULL)
			upg_diag_add(cat, path, 0, 0, "", "cannot read the catalog schema: %s", why);
		free(e->path);
		free(e);
		return NULL;
	}
	sha256_init(&h);
	sha256_update(&h, e->len, (const uint8_t *)e->bytes);
	sha256_digest(&h, sizeof md, md);
	for (i = 0; i < sizeof md; i++)
		snprintf(e->digest + 2 * i, 3, "%02x", md[i]);
	/* A schema that pulls in other files is not named by its own bytes. */
	if (pulls_in_files(e->bytes, e->len))
		e->digest[0] = '\0';
	e->next = schema_cache;
	schema_cache = e;
	return e;
}

/* Compiles the schema read from path; NULL with the reason recorded. */
static xmlRelaxNGPtr
compile_schema(struct upgrade_catalog *cat, const char *path, const char *buf, size_t len)
{
	xmlRelaxNGParserCtxtPtr pctxt = NULL;
	xmlRelaxNGPtr schema = NULL;
	xmlDocPtr doc = NULL;
	struct schema_load sl;
	xmlStructuredErrorFunc saved_error;
	void *saved_error_ctx;

	memset(&sl, 0, sizeof sl);
	/* Errors without a parser context (encoding) would go to stderr. */
	saved_error = xmlStructuredError;
	saved_error_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&sl, on_schema_parse_error);
	doc = xmlReadMemory(buf, (int)len, path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		upg_diag_add(cat, path, 0, 0, "", "the catalog schema is not well-formed XML");
		goto done;
	}
	pctxt = xmlRelaxNGNewDocParserCtxt(doc);
	if (pctxt == NULL) {
		upg_diag_add(cat, path, 0, 0, "", "cannot load the catalog schema: out of memory");
		goto done;
	}
	xmlRelaxNGSetParserStructuredErrors(pctxt, on_schema_parse_error, &sl);
	schema = xmlRelaxNGParse(pctxt);
	if (schema == NULL)
		upg_diag_add(cat, path, 0, 0, "", "the catalog schema is invalid: %s",
		             sl.have ? sl.msg : "unknown error");
done:
	xmlSetStructuredErrorFunc(saved_error_ctx, saved_error);
	xmlRelaxNGFreeParserCtxt(pctxt);
	xmlFreeDoc(doc);
	return schema;
}

/*
 * The schema for this catalog, compiled on first use.  NULL when it cannot
 * be had; that is reported once per catalog.
 */
xmlRelaxNGPtr
upg_xml_get_schema(struct loader *ld)
{
	struct upgrade_catalog *cat = ld->cat;
	const char *path = schema_path();
	struct schema_entry *e;

	if (cat->schema != NULL || cat->schema_failed)
		return cat->schema;
	pthread_mutex_lock(&schema_lock);
	e = schema_entry(cat, path);
	if (e != NULL && e->schema == NULL) {
		/* libxml2's own one-time set-up is not thread-safe everywhere. */
		xmlInitParser();
		e->schema = compile_schema(cat, path, e->bytes, e->len);
		if (e->schema != NULL) {
			free(e->bytes);
			e->bytes = NULL;
		} else {
			struct schema_entry **pp;

			/* Forgotten, so that a fixed file is read again. */
			for (pp = &schema_cache; *pp != e; pp = &(*pp)->next)
				continue;
			*pp = e->next;
			free(e->path);
			free(e->bytes);
			free(e);
			e = NULL;
		}
	}
	cat->schema = e != NULL ? e->schema : NULL;
	pthread_mutex_unlock(&schema_lock);
	if (cat->schema == NULL)
		cat->schema_failed = 1;
	return cat->schema;
}

int
upg_xml_schema_digest(char *hex, size_t size)
{
	struct schema_entry *e;
	int rc = -1;

	pthread_mutex_lock(&schema_lock);
	e = schema_entry(NULL, schema_path());
	if (e != NULL && e->digest[0] != '\0' && size > strlen(e->digest)) {
		memcpy(hex, e->digest, strlen(e->digest) + 1);
		rc = 0;
	}
	pthread_mutex_unlock(&schema_lock);
	return rc;
}

void
upg_xml_free_schema(struct upgrade_catalog *cat)
{
	/* The schema belongs to the process-wide cache. */
	cat->schema = NULL;
}
