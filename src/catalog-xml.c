/* SPDX-License-Identifier: MIT */
/*
 * catalog-xml.c - reads one XML catalog document into the catalog.
 *
 * The document is parsed by libxml2 with everything that reaches outside
 * the bytes we were given switched off: no network, no DTD loading, no
 * entity substitution, no XInclude, and any document type declaration is
 * refused before its content is looked at (that is where entity bombs and
 * external entities live).  Before that, one linear pass over the bytes
 * enforces the limits on what makes libxml2 slow or large (see "the
 * pre-scan" below).  Then it is checked against the RelaxNG schema
 * tasks/catalog.rng, which owns the structure; this file only builds the
 * in-memory module and checks what a schema cannot express well (names,
 * dialect names, the raw-task rules).
 *
 * Invariants: every message recorded carries the file and a line; a file
 * that failed schema validation is still built as far as possible, so that
 * other files' references to it resolve, but it records no further
 * messages of its own ("quiet"), because they would only repeat the schema's.
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

#include "catalog.h"

#ifndef UPGRADE_PKGDATADIR
#define UPGRADE_PKGDATADIR "/usr/share/upgrade"
#endif

#define CATALOG_NS "urn:upgrade:catalog:1"
#define CATALOG_NS_PREFIX "urn:upgrade:catalog:"

/* A schema file larger than this is certainly not ours. */
#define SCHEMA_MAX_SIZE (1024u * 1024u)

/* Schema violations beyond this many per file add nothing but noise. */
#define MAX_SCHEMA_ERRORS 20

/* Element and attribute names of the format are a few bytes long. */
#define MAX_XML_NAME 1024u

struct loader {
	struct upgrade_catalog *cat;
	const char *file;
	uint32_t file_index;
	struct upgrade_module *module;
	int failed;       /* something was recorded for this file */
	int quiet;        /* schema failed: record nothing more */
	int doctype;      /* a DOCTYPE was seen and refused */
	int schema_errors;
	int oom;
	int other_error;       /* one was recorded by on_other_error() */
	xmlParserCtxtPtr ctxt; /* while parsing, for the line of other errors */
	size_t ntasks;
	int too_many_tasks;
	struct upg_buf canon; /* reused for every task's canonical form */
};

static int
ld_error(struct loader *ld, unsigned long line, const char *object, const char *fmt, ...)
    UPG_PRINTF(4, 5);

/*
 * Records a diagnostic for the file being loaded.  Returns UPGRADE_ENOMEM
 * only when the diagnostic itself could not be stored.
 */
static int
ld_error(struct loader *ld, unsigned long line, const char *object, const char *fmt, ...)
{
	va_list ap;
	int rc;

	ld->failed = 1;
	if (ld->quiet)
		return UPGRADE_OK;
	va_start(ap, fmt);
	rc = upg_diag_vadd(ld->cat, ld->file, ld->file_index, line, object, fmt, ap);
	va_end(ap);
	if (rc != UPGRADE_OK)
		ld->oom = 1;
	return rc;
}

/* ---- the pre-scan ----------------------------------------------------------- */
/*
 * libxml2 compares every attribute of a start tag with every other one, so
 * a million attributes on one element (11 MB, under the size limit) take
 * hours, all inside one call that no callback can interrupt; and our own
 * tree is far larger than the bytes it comes from.  So before libxml2 sees
 * a document, one linear pass over it counts what can blow up: attributes
 * per element, child elements per element, nesting depth, the lengths of
 * element and attribute names and attribute values, and the nodes of the
 * whole file (each costs a hundred bytes or more once parsed).
 *
 * The scan only needs markup characters, which are ASCII, so it reads code
 * units: bytes of UTF-8 (or another encoding whose ASCII bytes are always
 * ASCII) or 16-bit units of UTF-16.  Encodings where that does not hold
 * (UTF-7, EBCDIC, UCS-4, ISO-2022...) could hide markup from it and are
 * refused.  It follows libxml2 where a document is malformed (a '<' in an
 * attribute value starts a tag) and never stops early: libxml2 may go on
 * after an error, so the rest must be checked too.
 */

struct scan {
	const unsigned char *buf;
	size_t n;  /* code units */
	size_t i;  /* current unit */
	int width; /* bytes per unit: 1 or 2 */
	int big;   /* UTF-16BE */
	unsigned long line;
	int cr; /* the last unit was a CR: a following LF ends no line */
};

/* The code unit at i, or 0 past the end. */
static unsigned
sc_at(const struct scan *sc, size_t i)
{
	const unsigned char *p;

	if (i >= sc->n)
		return 0;
	if (sc->width == 1)
		return sc->buf[i];
	p = sc->buf + 2 * i;
	return sc->big ? (unsigned)p[0] << 8 | p[1] : (unsigned)p[1] << 8 | p[0];
}

/* Moves past the current unit, counting lines as libxml2 does (CR, LF, CR LF). */
static unsigned
sc_next(struct scan *sc)
{
	unsigned c = sc_at(sc, sc->i);

	if (sc->i < sc->n)
		sc->i++;
	if (c == '\n' && !sc->cr)
		sc->line++;
	else if (c == '\r')
		sc->line++;
	sc->cr = c == '\r';
	return c;
}

/* Whether the ASCII string s starts at unit i. */
static int
sc_looking_at(const struct scan *sc, size_t i, const char *s)
{
	for (; *s != '\0'; s++, i++)
		if (sc_at(sc, i) != (unsigned char)*s)
			return 0;
	return 1;
}

/* Skips to just past the ASCII string end, or to the end of the document. */
static void
sc_skip_past(struct scan *sc, const char *end)
{
	while (sc->i < sc->n && !sc_looking_at(sc, sc->i, end))
		sc_next(sc);
	for (; *end != '\0' && sc->i < sc->n; end++)
		sc_next(sc);
}

static int
sc_space(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Upper-cases an ASCII letter. */
static unsigned
sc_upper(unsigned c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* Whether name is prefix followed by one or more digits and nothing else. */
static int
numbered(const char *name, const char *prefix)
{
	size_t l = strlen(prefix);

	if (strncmp(name, prefix, l) != 0 || name[l] == '\0')
		return 0;
	for (name += l; *name >= '0' && *name <= '9'; name++)
		continue;
	return *name == '\0';
}

/*
 * Whether the encoding named in an XML declaration (upper-cased) keeps
 * every markup character one ASCII unit at the width found.  libxml2
 * switches to a declared encoding even in the middle of a UTF-16
 * document, except to UTF-8 and UTF-16, which it then ignores.
 */
static int
encoding_ok(const char *name, int width)
{
	static const char *const any[] = {"UTF-8", "UTF8", "UTF-16", "UTF16"};
	static const char *const utf16[] = {"UTF-16LE", "UTF-16BE"};
	static const char *const ascii[] = {"US-ASCII", "ASCII"};
	static const char *const families[] = {"ISO-8859-", "ISO_8859-",   "ISO-LATIN-",
	                                       "LATIN",     "WINDOWS-125", "CP125"};
	size_t k;

	for (k = 0; k < sizeof any / sizeof any[0]; k++)
		if (strcmp(name, any[k]) == 0)
			return 1;
	for (k = 0; width == 2 && k < sizeof utf16 / sizeof utf16[0]; k++)
		if (strcmp(name, utf16[k]) == 0)
			return 1;
	for (k = 0; width == 1 && k < sizeof ascii / sizeof ascii[0]; k++)
		if (strcmp(name, ascii[k]) == 0)
			return 1;
	for (k = 0; width == 1 && k < sizeof families / sizeof families[0]; k++)
		if (numbered(name, families[k]))
			return 1;
	return 0;
}

/*
 * Finds the unit width and byte order as libxml2 does (a byte order mark,
 * or how "<?" is spelled), then checks the encoding declaration.  Returns
 * 0, or -1 after recording why the document is refused.
 */
static int
scan_encoding(struct loader *ld, struct scan *sc, const char *buf, size_t len)
{
	static const unsigned char ucs4[][4] = {
	    {0x3C, 0, 0, 0}, {0, 0, 0, 0x3C}, {0, 0, 0x3C, 0}, {0, 0x3C, 0, 0}};
	const unsigned char *b = (const unsigned char *)buf;
	char name[48];
	size_t k = 0, j, value = 0;
	unsigned q = 0;

	sc->buf = b;
	sc->n = len;
	sc->width = 1;
	sc->line = 1;
	for (j = 0; len >= 4 && j < sizeof ucs4 / sizeof ucs4[0]; j++) {
		if (memcmp(b, ucs4[j], 4) == 0) {
			ld_error(ld, 1, "", "UCS-4 catalogs are not supported: use UTF-8");
			return -1;
		}
	}
	if (len >= 4 && memcmp(b, "\x4C\x6F\xA7\x94", 4) == 0) {
		ld_error(ld, 1, "", "EBCDIC catalogs are not supported: use UTF-8");
		return -1;
	}
	if (len >= 4 && memcmp(b, "\x00<\x00?", 4) == 0) {
		sc->width = 2;
		sc->big = 1;
	} else if (len >= 4 && memcmp(b, "<\x00?\x00", 4) == 0) {
		sc->width = 2;
	} else if (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) {
		sc->i = 3;
	} else if (len >= 2 && (memcmp(b, "\xFE\xFF", 2) == 0 || memcmp(b, "\xFF\xFE", 2) == 0)) {
		sc->width = 2;
		sc->big = b[0] == 0xFE;
		sc->i = 1;
	}
	if (sc->width == 2)
		sc->n = len / 2;
	if (!sc_looking_at(sc, sc->i, "<?xml") || !sc_space(sc_at(sc, sc->i + 5)))
		return 0;
	/* The declaration ends at "?>"; its encoding="..." is all we need. */
	for (j = sc->i + 5; j < sc->n && !sc_looking_at(sc, j, "?>"); j++) {
		if (!sc_looking_at(sc, j, "encoding"))
			continue;
		for (j += 8; sc_space(sc_at(sc, j)); j++)
			continue;
		if (sc_at(sc, j) != '=')
			break;
		for (j++; sc_space(sc_at(sc, j)); j++)
			continue;
		q = sc_at(sc, j);
		if (q == '"' || q == '\'')
			value = j + 1;
		break;
	}
	if (value == 0)
		return 0;
	for (j = value; j < sc->n && sc_at(sc, j) != q && k + 1 < sizeof name; j++) {
		unsigned c = sc_at(sc, j);

		/* Anything but printable ASCII is shown as '?', and refused. */
		name[k++] = (char)(c >= 0x20 && c < 0x7F ? sc_upper(c) : '?');
	}
	name[k] = '\0';
	if (encoding_ok(name, sc->width))
		return 0;
	ld_error(ld, 1, "", "encoding '%s' is not supported in catalogs%s: use UTF-8", name,
	         sc->width == 2 ? " written in UTF-16" : "");
	return -1;
}

/*
 * Scans a name (element or attribute): up to white space, '=', '/', '>',
 * '<', a quote or the end.  Returns its length in bytes.
 */
static size_t
scan_name(struct scan *sc)
{
	size_t start = sc->i;

	for (;;) {
		unsigned c = sc_at(sc, sc->i);

		if (sc->i >= sc->n || sc_space(c) || c == '=' || c == '/' || c == '>' || c == '<' ||
		    c == '"' || c == '\'')
			break;
		sc_next(sc);
	}
	return (sc->i - start) * (size_t)sc->width;
}

/* Counts one more node of the tree libxml2 will build; -1 past the limit. */
static int
count_node(struct loader *ld, size_t *nodes, unsigned long line)
{
	if (++*nodes <= ld->cat->limits.nodes)
		return 0;
	ld_error(ld, line, "",
	         "more than %zu nodes (elements, attributes, comments, CDATA sections, processing "
	         "instructions) in one file",
	         ld->cat->limits.nodes);
	return -1;
}

/*
 * Checks the document against the limits on attributes, children, depth,
 * name and value lengths.  Returns 0, or -1 with the first excess recorded
 * (file and line).  Linear in the size of the document.
 */
static int
prescan(struct loader *ld, const char *buf, size_t len)
{
	/* Beyond libxml2's own depth limit (256) nothing is parsed. */
	enum { MAX_LEVELS = 258 };
	struct {
		size_t children;
		unsigned long line;
	} level[MAX_LEVELS];
	const struct upg_limits *lim = &ld->cat->limits;
	struct scan sc;
	size_t depth = 0, nodes = 0;

	memset(&sc, 0, sizeof sc);
	if (scan_encoding(ld, &sc, buf, len) != 0)
		return -1;
	level[0].children = 0;
	level[0].line = 1;
	while (sc.i < sc.n) {
		unsigned long tag_line;
		size_t attrs = 0, l;
		int empty = 0;

		if (sc_at(&sc, sc.i) != '<') {
			sc_next(&sc);
			continue;
		}
		tag_line = sc.line;
		if (sc_looking_at(&sc, sc.i, "<!--")) {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "-->");
			continue;
		}
		if (sc_looking_at(&sc, sc.i, "<![CDATA[")) {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "]]>");
			continue;
		}
		if (sc_looking_at(&sc, sc.i, "<!DOCTYPE")) {
			/* Its internal subset is parsed before any callback could
			 * refuse it, so it is refused here. */
			ld_error(
			    ld, tag_line, "",
			    "document type declarations (DOCTYPE) are not allowed in catalogs");
			ld->doctype = 1;
			return -1;
		}
		if (sc_looking_at(&sc, sc.i, "<?")) {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "?>");
			continue;
		}
		if (sc_looking_at(&sc, sc.i, "</")) {
			while (sc.i < sc.n && sc_at(&sc, sc.i) != '>')
				sc_next(&sc);
			sc_next(&sc);
			if (depth > 0)
				depth--;
			continue;
		}
		/* A start tag: "<", then "!" other than the above is malformed
		 * and scanned like a tag, which costs nothing. */
		if (count_node(ld, &nodes, tag_line) != 0)
			return -1;
		sc_next(&sc);
		l = scan_name(&sc);
		if (l > MAX_XML_NAME) {
			ld_error(ld, tag_line, "",
			         "an element name is longer than the limit of %u bytes",
			         MAX_XML_NAME);
			return -1;
		}
		for (;;) {
			unsigned c = sc_at(&sc, sc.i);

			if (sc.i >= sc.n || c == '<')
				break; /* malformed: libxml2 starts over at '<' */
			if (c == '>') {
				sc_next(&sc);
				break;
			}
			if (c == '/' && sc_at(&sc, sc.i + 1) == '>') {
				sc_next(&sc);
				sc_next(&sc);
				empty = 1;
				break;
			}
			if (sc_space(c) || c == '/' || c == '=') {
				sc_next(&sc);
				continue;
			}
			if (c != '"' && c != '\'') {
				l = scan_name(&sc);
				if (l > MAX_XML_NAME) {
					ld_error(ld, tag_line, "",
					         "an attribute name is longer than the limit of %u "
					         "bytes",
					         MAX_XML_NAME);
					return -1;
				}
				while (sc_space(sc_at(&sc, sc.i)))
					sc_next(&sc);
				if (sc_at(&sc, sc.i) == '=') {
					sc_next(&sc);
					while (sc_space(sc_at(&sc, sc.i)))
						sc_next(&sc);
				}
			}
			/* A name with or without a value, or a stray value: each
			 * counts, so no spelling makes attributes invisible. */
			if (++attrs > lim->attributes) {
				ld_error(ld, tag_line, "",
				         "an element has more than %zu attributes",
				         lim->attributes);
				return -1;
			}
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			c = sc_at(&sc, sc.i);
			if (c == '"' || c == '\'') {
				size_t start;

				sc_next(&sc);
				start = sc.i;
				while (sc.i < sc.n && sc_at(&sc, sc.i) != c &&
				       sc_at(&sc, sc.i) != '<')
					sc_next(&sc);
				if ((sc.i - start) * (size_t)sc.width > lim->value) {
					ld_error(ld, tag_line, "",
					         "an attribute value is longer than the limit of "
					         "%zu bytes",
					         lim->value);
					return -1;
				}
				if (sc_at(&sc, sc.i) == c)
					sc_next(&sc);
			}
		}
		if (++level[depth].children > lim->children) {
			ld_error(ld, level[depth].line, "",
			         "an element has more than %zu child elements", lim->children);
			return -1;
		}
		if (depth + 1 > lim->depth) {
			ld_error(ld, tag_line, "",
			         "elements are nested deeper than the limit of %zu", lim->depth);
			return -1;
		}
		if (!empty && depth + 1 < MAX_LEVELS) {
			depth++;
			level[depth].children = 0;
			level[depth].line = tag_line;
		}
	}
	return 0;
}

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
static void
on_parse_error(void *ctx, xmlErrorPtr err)
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
static void
on_other_error(void *data, xmlErrorPtr err)
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
static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
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

static void
on_schema_error(void *ctx, xmlErrorPtr err)
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
	if (err->line > 0)
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
 * Compiled schemas, by path, shared by every catalog of the process.
 * Compiling the schema costs far more than validating a typical catalog
 * (a millisecond, more under sanitizers), and a compiled RelaxNG schema
 * is only read during validation, each validation having its own context.
 * Entries live until the process ends; failures are not cached, so a
 * fixed file is picked up by the next catalog.
 */
struct schema_entry {
	char *path;
	xmlRelaxNGPtr schema;
	struct schema_entry *next;
};

static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;
static struct schema_entry *schema_cache;

/* Reads and compiles the schema at path; NULL with the reason recorded. */
static xmlRelaxNGPtr
compile_schema(struct upgrade_catalog *cat, const char *path)
{
	xmlRelaxNGParserCtxtPtr pctxt = NULL;
	xmlRelaxNGPtr schema = NULL;
	xmlDocPtr doc = NULL;
	struct schema_load sl;
	xmlStructuredErrorFunc saved_error = NULL;
	void *saved_error_ctx = NULL;
	const char *why;
	char *buf = NULL;
	size_t len = 0;
	int handler_set = 0;

	memset(&sl, 0, sizeof sl);
	buf = slurp(path, SCHEMA_MAX_SIZE, &len, &why);
	if (buf == NULL) {
		upg_diag_add(cat, path, 0, 0, "", "cannot read the catalog schema: %s", why);
		goto done;
	}
	/* Errors without a parser context (encoding) would go to stderr. */
	saved_error = xmlStructuredError;
	saved_error_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&sl, on_schema_parse_error);
	handler_set = 1;
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
	if (handler_set)
		xmlSetStructuredErrorFunc(saved_error_ctx, saved_error);
	xmlRelaxNGFreeParserCtxt(pctxt);
	xmlFreeDoc(doc);
	free(buf);
	return schema;
}

/*
 * The schema for this catalog, loaded on first use.  The path is
 * $UPGRADE_SCHEMA when set (tests run from the build tree), else the
 * installed copy.  NULL when it cannot be had; that is reported once per
 * catalog.
 */
static xmlRelaxNGPtr
get_schema(struct loader *ld)
{
	struct upgrade_catalog *cat = ld->cat;
	const char *path = getenv("UPGRADE_SCHEMA");
	struct schema_entry *e;

	if (cat->schema != NULL || cat->schema_failed)
		return cat->schema;
	if (path == NULL || *path == '\0')
		path = UPGRADE_PKGDATADIR "/catalog.rng";
	pthread_mutex_lock(&schema_lock);
	for (e = schema_cache; e != NULL; e = e->next)
		if (strcmp(e->path, path) == 0)
			break;
	if (e == NULL) {
		xmlRelaxNGPtr schema;

		/* libxml2's own one-time set-up is not thread-safe everywhere. */
		xmlInitParser();
		schema = compile_schema(cat, path);
		if (schema != NULL) {
			e = calloc(1, sizeof *e);
			if (e != NULL)
				e->path = upg_strdup(path);
			if (e == NULL || e->path == NULL) {
				free(e);
				e = NULL;
				xmlRelaxNGFree(schema);
				upg_diag_add(cat, path, 0, 0, "", "cannot load the catalog schema: out of memory");
			} else {
				e->schema = schema;
				e->next = schema_cache;
				schema_cache = e;
			}
		}
	}
	cat->schema = e != NULL ? e->schema : NULL;
	pthread_mutex_unlock(&schema_lock);
	if (cat->schema == NULL)
		cat->schema_failed = 1;
	return cat->schema;
}

void
upg_xml_free_schema(struct upgrade_catalog *cat)
{
	/* The schema belongs to the process-wide cache. */
	cat->schema = NULL;
}

/* ---- tree helpers ----------------------------------------------------------- */

static int
is_ours(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, CATALOG_NS) == 0;
}

static int
named(xmlNodePtr n, const char *name)
{
	return is_ours(n) && strcmp((const char *)n->name, name) == 0;
}

static unsigned long
line_of(xmlNodePtr n)
{
	long l = xmlGetLineNo(n);

	return l > 0 ? (unsigned long)l : 0;
}

/* The value of attribute a of element n, copied into the arena. */
static const char *
attr_value(struct loader *ld, xmlNodePtr n, xmlAttrPtr a)
{
	if (a->children == NULL)
		return "";
	/* One text child is the common case: no need for libxml2 to
	 * allocate a joined copy. */
	if (a->children->next == NULL && a->children->type == XML_TEXT_NODE) {
		const char *v =
		    upg_arena_strdup(&ld->cat->arena, (const char *)a->children->content);

		if (v == NULL)
			ld->oom = 1;
		return v;
	} else {
		xmlChar *s = xmlNodeListGetString(n->doc, a->children, 1);
		const char *v;

		if (s == NULL)
			return "";
		v = upg_arena_strdup(&ld->cat->arena, (const char *)s);
		xmlFree(s);
		if (v == NULL)
			ld->oom = 1;
		return v;
	}
}

/* The value of an unqualified attribute, copied into the arena; NULL if absent. */
static const char *
attr(struct loader *ld, xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			return attr_value(ld, n, a);
	return NULL;
}

/* The concatenated text and CDATA content of an element, in the arena. */
static char *
text_of(struct loader *ld, xmlNodePtr n)
{
	xmlNodePtr c;
	size_t len = 0, at = 0;
	char *s;

	for (c = n->children; c != NULL; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL)
			len += strlen((const char *)c->content);
	s = upg_arena_alloc(&ld->cat->arena, len + 1);
	if (s == NULL) {
		ld->oom = 1;
		return NULL;
	}
	for (c = n->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content != NULL) {
			size_t l = strlen((const char *)c->content);

			memcpy(s + at, c->content, l);
			at += l;
		}
	}
	s[at] = '\0';
	return s;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims XML white space from both ends, in place. */
static char *
trim(char *s)
{
	size_t n;

	while (is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* The deepest element nesting below n (n itself counts 1); stops at limit+1. */
static size_t
max_depth(xmlNodePtr root, size_t limit, xmlNodePtr *where)
{
	/* Iterative walk: the tree may be as deep as libxml2 allows (256) and
	 * recursion depth should not depend on input. */
	xmlNodePtr n = root;
	size_t depth = 1, max = 1;

	while (n != NULL) {
		xmlNodePtr c = n->children;

		while (c != NULL && c->type != XML_ELEMENT_NODE)
			c = c->next;
		if (c != NULL) {
			n = c;
			depth++;
			if (depth > max) {
				max = depth;
				if (max > limit) {
					*where = n;
					return max;
				}
			}
			continue;
		}
		while (n != NULL && n != root) {
			xmlNodePtr s = n->next;

			while (s != NULL && s->type != XML_ELEMENT_NODE)
				s = s->next;
			if (s != NULL) {
				n = s;
				break;
			}
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
	}
	return max;
}

/* ---- body nodes ----------------------------------------------------------- */

/* The elements of task bodies, sorted by name for bsearch(). */
static const struct {
	const char *name;
	enum upg_node_kind kind;
} node_kinds[] = {
	{"add-check", UPG_NODE_OP},
	{"add-column", UPG_NODE_OP},
	{"add-enum-value", UPG_NODE_OP},
	{"add-foreign-key", UPG_NODE_OP},
	{"add-unique", UPG_NODE_OP},
	{"all", UPG_NODE_COND},
	{"alter-column", UPG_NODE_OP},
	{"any", UPG_NODE_COND},
	{"assert", UPG_NODE_ASSERT},
	{"choose", UPG_NODE_CHOOSE},
	{"column", UPG_NODE_PART},
	{"create-enum", UPG_NODE_OP},
	{"create-index", UPG_NODE_OP},
	{"create-table", UPG_NODE_OP},
	{"drop-column", UPG_NODE_OP},
	{"drop-constraint", UPG_NODE_OP},
	{"drop-index", UPG_NODE_OP},
	{"drop-table", UPG_NODE_OP},
	{"has-column", UPG_NODE_COND},
	{"has-constraint", UPG_NODE_COND},
	{"has-enum", UPG_NODE_COND},
	{"has-index", UPG_NODE_COND},
	{"has-table", UPG_NODE_COND},
	{"has-view", UPG_NODE_COND},
	{"is-empty-table", UPG_NODE_COND},
	{"native", UPG_NODE_NATIVE},
	{"not", UPG_NODE_COND},
	{"only-if", UPG_NODE_GUARD},
	{"otherwise", UPG_NODE_OTHERWISE},
	{"query", UPG_NODE_COND},
	{"rename-column", UPG_NODE_OP},
	{"rename-table", UPG_NODE_OP},
	{"schema-count", UPG_NODE_COND},
	{"schemas-include", UPG_NODE_COND},
	{"sql", UPG_NODE_SQL},
	{"step", UPG_NODE_STEP},
	{"value", UPG_NODE_PART},
	{"when", UPG_NODE_WHEN},
};

/* The index of name in node_kinds, or -1 when it is not part of the format. */
static int
node_kind(const char *name)
{
	size_t lo = 0, hi = sizeof node_kinds / sizeof node_kinds[0];

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(node_kinds[mid].name, name);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Parses a space-separated dialect list into bits, recording unknown
 * names.  Returns the bits (0 when none was valid).
 */
static unsigned
parse_dialects(struct loader *ld, const char *list, unsigned long line, const char *object)
{
	unsigned bits = 0;
	size_t count = 0;
	const char *p = list;

	for (;;) {
		const char *start;
		unsigned bit;

		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		count++;
		bit = upg_dialect_bit(start, (size_t)(p - start));
		if (bit == 0) {
			struct upg_buf known = UPG_BUF_INIT;

			upg_dialect_names(&known);
			ld_error(ld, line, object, "unknown dialect '%.*s' (known: %s)",
			         (int)(p - start), start, upg_buf_str(&known));
			upg_buf_free(&known);
		}
		bits |= bit;
	}
	if (count == 0)
		ld_error(ld, line, object, "empty dialect list");
	return bits;
}

static int
attr_cmp(const struct upg_attr *a, const struct upg_attr *b)
{
	return strcmp(a->name, b->name);
}

/*
 * Builds the node for element el and, recursively, its children.  object
 * is the task id, for messages.  Returns NULL for elements that are not
 * part of the format (the schema has reported them) or when out of memory
 * (ld->oom).
 */
static struct upg_node *
build_node(struct loader *ld, xmlNodePtr el, const char *object)
{
	struct upg_arena *arena = &ld->cat->arena;
	enum upg_node_kind kind;
	struct upg_node *node, **tail;
	xmlAttrPtr a;
	xmlNodePtr c;
	size_t i, n;
	int k;

	k = is_ours(el) ? node_kind((const char *)el->name) : -1;
	if (k < 0) {
		if (ld->cat->schema_failed)
			ld_error(ld, line_of(el), object, "unknown element <%s>", (const char *)el->name);
		return NULL;
	}
	kind = node_kinds[k].kind;
	node = upg_arena_alloc(arena, sizeof *node);
	if (node == NULL)
		goto oom;
	node->kind = kind;
	node->name = node_kinds[k].name; /* static: no copy needed */
	node->line = line_of(el);

	for (n = 0, a = el->properties; a != NULL; a = a->next)
		if (a->ns == NULL)
			n++;
	if (n > 0) {
		node->attrs = upg_arena_alloc(arena, n * sizeof *node->attrs);
		if (node->attrs == NULL)
			goto oom;
		for (a = el->properties; a != NULL; a = a->next) {
			struct upg_attr at;
			size_t j;

			if (a->ns != NULL)
				continue;
			at.name = upg_arena_strdup(arena, (const char *)a->name);
			at.raw = attr_value(ld, el, a);
			if (at.name == NULL || at.raw == NULL)
				goto oom;
			at.value = at.raw;
			/* Insertion sort: a handful of attributes at most. */
			for (j = node->nattrs; j > 0 && attr_cmp(&node->attrs[j - 1], &at) > 0; j--)
				node->attrs[j] = node->attrs[j - 1];
			node->attrs[j] = at;
			node->nattrs++;
		}
	}

	{
		const char *d = upg_node_attr(node, "dialect");

		if (d != NULL)
			node->dialects = parse_dialects(ld, d, node->line, object);
	}

	if (kind == UPG_NODE_SQL || (kind == UPG_NODE_COND && strcmp(node->name, "query") == 0)) {
		char *t = text_of(ld, el);

		if (t == NULL)
			goto oom;
		node->raw = node->text = trim(t);
		if (*node->raw == '\0')
			ld_error(ld, node->line, object, "empty <%s> statement", node->name);
		return node;
	}
	if (kind == UPG_NODE_PART && strcmp(node->name, "value") == 0) {
		node->raw = node->text = text_of(ld, el);
		if (node->raw == NULL)
			goto oom;
		return node;
	}

	tail = &node->child;
	for (c = el->children; c != NULL; c = c->next) {
		struct upg_node *child;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		child = build_node(ld, c, object);
		if (ld->oom)
			return NULL;
		if (child == NULL)
			continue;
		*tail = child;
		tail = &child->next;
	}

	if (kind == UPG_NODE_CHOOSE) {
		/* A dialect named by two <when> of one <choose>: the second could
		 * never be taken, which is surely not what the author meant.  Each
		 * is compared with the first <when> of its dialects only, so that
		 * a choose of many alternatives costs no more than their number. */
		unsigned long first[UPG_DIALECTS_MAX];
		unsigned seen = 0;
		const struct upg_node *w;

		for (w = node->child; w != NULL; w = w->next) {
			if (w->kind != UPG_NODE_WHEN)
				continue;
			for (i = 0; upg_dialects[i] != NULL; i++) {
				if (!(w->dialects & (1u << i)))
					continue;
				if (seen & (1u << i))
					ld_error(ld, w->line, object,
					         "dialect '%s' is already chosen by the <when> at "
					         "line %lu",
					         upg_dialects[i]->name, first[i]);
				else
					first[i] = w->line;
			}
			seen |= w->dialects;
		}
	}
	return node;
oom:
	ld->oom = 1;
	return NULL;
}

/* ---- checksums --------------------------------------------------------------- */

/* Writes "N:" into buf (at least 22 bytes); returns its length.  Called
 * twice per attribute and statement, so no printf. */
static int
decimal_prefix(char *buf, size_t n)
{
	char tmp[24];
	int len = 0, i;

	do {
		tmp[len++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	for (i = 0; i < len; i++)
		buf[i] = tmp[len - 1 - i];
	buf[len] = ':';
	return len + 1;
}

/*
 * Appends s as "LENGTH:TEXT" with white-space runs collapsed to one space
 * and both ends trimmed.  The length prefix means no text can imitate the
 * structure around it.  Called for every attribute and statement, so it
 * writes straight into the buffer's storage instead of char by char.
 */
static void
canon_text(struct upg_buf *out, const char *s)
{
	size_t n = strlen(s), at, len = 0;
	char prefix[24];
	int pending = 0, plen;
	char *d;

	/* Room for the longest prefix and the text: the text is normalised
	 * in place after it, then the real prefix is put in front. */
	plen = decimal_prefix(prefix, n);
	if (upg_buf_append(out, prefix, (size_t)plen) != 0 || upg_buf_append(out, s, n) != 0)
		return;
	at = out->len - n - (size_t)plen;
	d = out->data + at + (size_t)plen;
	while (is_space(*s))
		s++;
	for (; *s != '\0'; s++) {
		if (is_space(*s)) {
			pending = 1;
			continue;
		}
		if (pending)
			d[len++] = ' ';
		pending = 0;
		d[len++] = *s;
	}
	/* The normalised text is never longer, nor is its prefix. */
	plen = decimal_prefix(prefix, len);
	memmove(out->data + at + (size_t)plen, d, len);
	memcpy(out->data + at, prefix, (size_t)plen);
	out->len = at + (size_t)plen + len;
	out->data[out->len] = '\0';
}
/* Appends the canonical form of node n and its children (version 1). */

static void
canon_node(struct upg_buf *out, const struct upg_node *n)
{
	const struct upg_node *c;
	size_t i;

	upg_buf_putc(out, '(');
	upg_buf_puts(out, n->name);
	for (i = 0; i < n->nattrs; i++) {
		upg_buf_putc(out, ' ');
		upg_buf_puts(out, n->attrs[i].name);
		upg_buf_putc(out, '=');
		canon_text(out, n->attrs[i].raw);
	}
	if (n->raw != NULL) {
		upg_buf_puts(out, " #");
		canon_text(out, n->raw);
	}
	for (c = n->child; c != NULL; c = c->next)
		canon_node(out, c);
	upg_buf_putc(out, ')');
}

/*
 * SHA-256 over the canonical form of the task's guard and body (see
 * upgrade-catalog(5), "Checksums"), as 64 hex digits in the arena.
 */
static const char *
task_checksum(struct loader *ld, const struct upgrade_task *t)
{
	static const char hex[] = "0123456789abcdef";
	struct upg_buf *buf = &ld->canon;
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	const struct upg_node *n;
	char *out;
	size_t i;

	buf->len = 0;
	upg_buf_puts(buf, "upgrade-checksum-1\n");
	if (t->guard != NULL)
		canon_node(buf, t->guard);
	for (n = t->body; n != NULL; n = n->next)
		canon_node(buf, n);
	if (buf->failed) {
		ld->oom = 1;
		return NULL;
	}
	sha256_init(&ctx);
	sha256_update(&ctx, buf->len, (const uint8_t *)buf->data);
	sha256_digest(&ctx, sizeof digest, digest);
	out = upg_arena_alloc(&ld->cat->arena, 2 * sizeof digest + 1);
	if (out == NULL) {
		ld->oom = 1;
		return NULL;
	}
	for (i = 0; i < sizeof digest; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	return out;
}

/* ---- module and tasks ------------------------------------------------------ */
/*
 * Reads a boolean attribute into *value; returns whether it was present.
 * Anything but "true" or "false" was already refused by the schema, but a
 * file without a schema still gets a message.
 */

static int
parse_bool(struct loader *ld, xmlNodePtr el, const char *name, int *value, const char *object)
{
	const char *v = attr(ld, el, name);

	if (v == NULL)
		return 0;
	if (strcmp(v, "true") == 0)
		*value = 1;
	else if (strcmp(v, "false") == 0)
		*value = 0;
	else
		ld_error(ld, line_of(el), object, "%s must be true or false, not '%s'", name, v);
	return 1;
}

/*
 * Builds one <task>.  Problems are recorded; a task with a usable name is
 * added even when other parts are wrong, so that references to it do not
 * produce a second, misleading error.
 */
static int
build_task(struct loader *ld, xmlNodePtr el)
{
	struct upgrade_catalog *cat = ld->cat;
	struct upgrade_module *mod = ld->module;
	struct upgrade_task *t;
	struct upg_node **tail;
	const char *name, *why;
	int raw = 0, always = 0, has_always, actions = 0;
	unsigned long line = line_of(el);
	xmlNodePtr c;
	int rc;

	if (ld->ntasks >= cat->limits.file_tasks) {
		if (!ld->too_many_tasks)
			ld_error(ld, line, mod->name, "more than %zu tasks in one file", cat->limits.file_tasks);
		ld->too_many_tasks = 1;
		return UPGRADE_OK;
	}
	ld->ntasks++;
	name = attr(ld, el, "name");
	if (name == NULL)
		name = "";
	why = upg_check_task_name(name, cat->limits.name);
	if (why != NULL) {
		ld_error(ld, line, mod->name, "task name '%s' %s", name, why);
		return ld->oom ? UPGRADE_ENOMEM : UPGRADE_OK;
	}
	t = upg_arena_alloc(&cat->arena, sizeof *t);
	if (t == NULL)
		return UPGRADE_ENOMEM;
	t->name = name;
	{
		/* The id, "module:name"; built by hand, it is made per task. */
		size_t ml = strlen(mod->name), nl = strlen(name);
		char *id = upg_arena_alloc(&cat->arena, ml + nl + 2);

		if (id == NULL)
			return UPGRADE_ENOMEM;
		memcpy(id, mod->name, ml);
		id[ml] = ':';
		memcpy(id + ml + 1, name, nl + 1);
		t->id = id;
	}
	t->module = mod;
	t->line = line;
	t->decl = mod->ntasks;

	parse_bool(ld, el, "raw", &raw, t->id);
	has_always = parse_bool(ld, el, "always-run", &always, t->id);
	if (raw) {
		if (has_always && !always)
			ld_error(ld, line, t->id,
			         "raw task has always-run=\"false\": raw tasks always run");
		t->flags |= UPGRADE_TASK_RAW | UPGRADE_TASK_ALWAYS_RUN;
	} else if (always) {
		t->flags |= UPGRADE_TASK_ALWAYS_RUN;
	}

	t->requires = attr(ld, el, "requires");
	if (t->requires != NULL) {
		const char *colon = strchr(t->requires, ':');

		if (raw) {
			ld_error(ld, line, t->id, "raw task may not require other tasks (requires '%s')",
			         t->requires);
			t->requires = NULL;
		} else if (colon == NULL || colon == t->requires || colon[1] == '\0') {
			ld_error(ld, line, t->id, "requires '%s' is not a task id (module:name)", t->requires);
			t->requires = NULL;
		}
	}

	tail = &t->body;
	for (c = el->children; c != NULL; c = c->next) {
		struct upg_node *n;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (named(c, "description")) {
			char *d = text_of(ld, c);

			if (d == NULL)
				return UPGRADE_ENOMEM;
			t->description = trim(d);
			continue;
		}
		n = build_node(ld, c, t->id);
		if (ld->oom)
			return UPGRADE_ENOMEM;
		if (n == NULL)
			continue;
		if (n->kind == UPG_NODE_GUARD && t->guard == NULL && t->body == NULL) {
			t->guard = n;
			t->flags |= UPGRADE_TASK_GUARDED;
			continue;
		}
		if (n->kind == UPG_NODE_STEP) {
			const char *each = upg_node_attr(n, "for-each-schema");

			/* Other tasks run in one schema: there is no list to go through. */
			if (!raw && each != NULL && strcmp(each, "true") == 0)
				ld_error(ld, n->line, t->id,
				         "<step for-each-schema=\"true\"> in a task that is not raw");
		} else if (n->kind != UPG_NODE_ASSERT) {
			actions++;
		}
		*tail = n;
		tail = &n->next;
	}
	if (raw && actions > 0)
		ld_error(ld, line, t->id, "raw task must consist of <step> elements");

	t->checksum = task_checksum(ld, t);
	if (t->checksum == NULL)
		return UPGRADE_ENOMEM;
	rc = upg_catalog_add_task_obj(cat, t);
	if (rc == UPGRADE_EPARSE) {
		/* Already recorded (a duplicate id or too many tasks). */
		ld->failed = 1;
		return UPGRADE_OK;
	}
	return rc;
}

/* <install>: the actions that create the module's current objects. */
static int
build_install(struct loader *ld, xmlNodePtr el)
{
	struct upgrade_module *mod = ld->module;
	struct upgrade_task *t;
	struct upg_node **tail;
	xmlNodePtr c;

	if (mod->install != NULL)
		return ld_error(ld, line_of(el), mod->name, "more than one <install>");
	if ((t = upg_install_new(ld->cat, mod)) == NULL)
		return UPGRADE_ENOMEM;
	t->line = line_of(el);
	tail = &t->body;
	for (c = el->children; c != NULL; c = c->next) {
		struct upg_node *n;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (named(c, "description")) {
			char *d = text_of(ld, c);

			if (d == NULL)
				return UPGRADE_ENOMEM;
			t->description = trim(d);
			continue;
		}
		n = build_node(ld, c, t->id);
		if (ld->oom)
			return UPGRADE_ENOMEM;
		if (n == NULL)
			continue;
		if (n->kind == UPG_NODE_GUARD || n->kind == UPG_NODE_STEP) {
			ld_error(ld, n->line, t->id, "<%s> in <install>: it runs exactly once, when the module "
			                             "is first seen", n->name);
			continue;
		}
		*tail = n;
		tail = &n->next;
	}
	t->checksum = task_checksum(ld, t);
	if (t->checksum == NULL)
		return UPGRADE_ENOMEM;
	mod->install = t;
	return UPGRADE_OK;
}

static int
param_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

static int
param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct upg_param *)a)->name, ((const struct upg_param *)b)->name);
}

/*
 * Builds the module from the root element and adds it with its tasks.
 * Repeated dependencies and parameters are found through maps, since a
 * file may list a hundred thousand of them; the parameters end up sorted
 * by name, as catalog.h says.
 */
static int
build_module(struct loader *ld, xmlNodePtr root)
{
	struct upgrade_catalog *cat = ld->cat;
	struct upgrade_module *mod;
	struct upg_map deps_seen = {0}, params_seen = {0};
	size_t ndeps = 0, nparams = 0;
	const char *name, *why;
	xmlNodePtr c;
	int rc;

	name = attr(ld, root, "name");
	if (name == NULL)
		name = "";
	why = upg_check_module_name(name, cat->limits.name);
	if (why != NULL)
		return ld_error(ld, line_of(root), "", "module name '%s' %s", name, why);

	mod = upg_arena_alloc(&cat->arena, sizeof *mod);
	if (mod == NULL)
		return UPGRADE_ENOMEM;
	mod->name = name;
	mod->file = ld->file;
	mod->file_index = ld->file_index;
	mod->line = line_of(root);
	mod->quiet = ld->quiet;

	for (c = root->children; c != NULL; c = c->next) {
		if (named(c, "depends"))
			ndeps++;
		else if (named(c, "param"))
			nparams++;
	}
	if (ndeps > 0) {
		mod->depends = upg_arena_alloc(&cat->arena, ndeps * sizeof *mod->depends);
		mod->depends_line = upg_arena_alloc(&cat->arena, ndeps * sizeof *mod->depends_line);
		if (mod->depends == NULL || mod->depends_line == NULL)
			return UPGRADE_ENOMEM;
	}
	if (nparams > 0) {
		mod->params = upg_arena_alloc(&cat->arena, nparams * sizeof *mod->params);
		if (mod->params == NULL)
			return UPGRADE_ENOMEM;
	}

	/* The module must be known before its tasks: a second file declaring
	 * it stops here, naming both files. */
	rc = upg_catalog_add_module_obj(cat, mod);
	if (rc != UPGRADE_OK) {
		ld->failed = 1;
		return rc == UPGRADE_EPARSE ? UPGRADE_OK : rc;
	}
	ld->module = mod;

	for (c = root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (named(c, "description")) {
			char *d = text_of(ld, c);

			if (d == NULL) {
				rc = UPGRADE_ENOMEM;
				goto out;
			}
			mod->description = trim(d);
		} else if (named(c, "depends")) {
			const char *dep = attr(ld, c, "module");
			int put;

			if (dep == NULL)
				continue;
			put = upg_map_put(&deps_seen, dep, (void *)dep, NULL);
			if (put < 0) {
				rc = UPGRADE_ENOMEM;
				goto out;
			}
			if (put == 0) {
				ld_error(ld, line_of(c), mod->name, "dependency '%s' is listed twice", dep);
				continue;
			}
			mod->depends_line[mod->ndepends] = line_of(c);
			mod->depends[mod->ndepends++] = dep;
		} else if (named(c, "param")) {
			struct upg_param p;
			void *first = NULL;
			int put;

			p.name = attr(ld, c, "name");
			p.def = attr(ld, c, "default");
			p.line = line_of(c);
			if (p.name == NULL)
				continue;
			if (!param_name_ok(p.name)) {
				ld_error(ld, p.line, mod->name, "invalid parameter name '%s'", p.name);
				continue;
			}
			/* The array does not move: its size was counted above. */
			put = upg_map_put(&params_seen, p.name, &mod->params[mod->nparams], &first);
			if (put < 0) {
				rc = UPGRADE_ENOMEM;
				goto out;
			}
			if (put == 0) {
				ld_error(ld, p.line, mod->name,
				         "parameter '%s' is declared twice (first at line %lu)",
				         p.name, ((const struct upg_param *)first)->line);
				continue;
			}
			mod->params[mod->nparams++] = p;
		} else if (named(c, "task")) {
			rc = build_task(ld, c);
			if (rc != UPGRADE_OK)
				goto out;
		} else if (named(c, "install")) {
			rc = build_install(ld, c);
			if (rc != UPGRADE_OK)
				goto out;
		} else if (cat->schema_failed) {
			ld_error(ld, line_of(c), mod->name, "unexpected element <%s>", (const char *)c->name);
		}
		if (ld->oom) {
			rc = UPGRADE_ENOMEM;
			goto out;
		}
	}
	rc = UPGRADE_OK;
out:
	if (mod->nparams > 1)
		qsort(mod->params, mod->nparams, sizeof *mod->params, param_cmp);
	upg_map_free(&deps_seen);
	upg_map_free(&params_seen);
	return rc;
}

/* ---- entry point -------------------------------------------------------------- */
/*
 * Steps, each stopping the file on failure: size limit, the pre-scan
 * (encoding, per-element and per-file counts, DOCTYPE refused),
 * well-formedness, root element and format version, depth limit, schema
 * (failure makes the rest quiet), then the module is built.
 */

int
upg_xml_load(struct upgrade_catalog *cat, const char *file, const char *buf, size_t len)
{
	struct loader ld;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, deep = NULL;
	xmlRelaxNGPtr schema;
	xmlStructuredErrorFunc saved_error = NULL;
	void *saved_error_ctx = NULL;
	int rc = UPGRADE_OK, handler_set = 0;

	memset(&ld, 0, sizeof ld);
	ld.cat = cat;
	ld.file_index = cat->nfiles;
	ld.file = upg_arena_strdup(&cat->arena, file);
	if (ld.file == NULL)
		return UPGRADE_ENOMEM;

	if (len > cat->limits.file_size || len > (size_t)INT32_MAX) {
		ld_error(&ld, 0, "", "file is larger than the limit of %zu bytes", cat->limits.file_size);
		goto done;
	}
	if (prescan(&ld, buf, len) != 0)
		goto done;
	schema = get_schema(&ld);

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = UPGRADE_ENOMEM;
		goto done;
	}
	ctxt->_private = &ld;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->serror = on_parse_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	/* Per thread in libxml2; restored when done. */
	saved_error = xmlStructuredError;
	saved_error_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&ld, on_other_error);
	handler_set = 1;
	ld.ctxt = ctxt;
	/* No NOENT, DTDLOAD, DTDATTR or XINCLUDE: nothing is fetched or
	 * expanded.  BIG_LINES keeps line numbers right past 65535.  The
	 * format has no mixed content, so the white space between elements
	 * (NOBLANKS) is dropped instead of being allocated, validated and
	 * freed.  The document gets no URL: messages name the file
	 * themselves, and for a document with a URL libxml2 walks back over
	 * every preceding sibling of the node of each validation error,
	 * looking for XInclude markers, which made a module of many faulty
	 * tasks take time quadratic in their number. */
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	                        XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_COMPACT |
	                            XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	ld.ctxt = NULL;
	if (ld.oom) {
		rc = UPGRADE_ENOMEM;
		goto done;
	}
	if (doc == NULL || !ctxt->wellFormed || ld.doctype) {
		if (!ld.failed)
			ld_error(&ld, 0, "", "malformed XML");
		goto done;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL) {
		ld_error(&ld, 0, "", "malformed XML: no root element");
		goto done;
	}
	if (root->ns != NULL && root->ns->href != NULL &&
	    strncmp((const char *)root->ns->href, CATALOG_NS_PREFIX, strlen(CATALOG_NS_PREFIX)) == 0 &&
	    strcmp((const char *)root->ns->href, CATALOG_NS) != 0) {
		ld_error(&ld, line_of(root), "",
		         "unsupported catalog format '%s' (this version reads " CATALOG_NS ")",
		         (const char *)root->ns->href);
		goto done;
	}
	if (!named(root, "module")) {
		ld_error(&ld, line_of(root), "",
		         "not an upgrade catalog: the root element must be <module xmlns=\"" CATALOG_NS "\">");
		goto done;
	}
	if (max_depth(root, cat->limits.depth, &deep) > cat->limits.depth) {
		ld_error(&ld, line_of(deep), "", "elements are nested deeper than the limit of %zu",
		         cat->limits.depth);
		goto done;
	}
	if (schema != NULL) {
		xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);

		if (vctxt == NULL) {
			rc = UPGRADE_ENOMEM;
			goto done;
		}
		xmlRelaxNGSetValidStructuredErrors(vctxt, on_schema_error, &ld);
		if (xmlRelaxNGValidateDoc(vctxt, doc) != 0) {
			if (!ld.failed)
				ld_error(&ld, line_of(root), "", "schema violation");
			ld.quiet = 1;
		}
		xmlRelaxNGFreeValidCtxt(vctxt);
	}
	rc = build_module(&ld, root);
done:
	if (handler_set)
		xmlSetStructuredErrorFunc(saved_error_ctx, saved_error);
	if (ld.oom && rc == UPGRADE_OK)
		rc = UPGRADE_ENOMEM;
	if (ctxt != NULL)
		ctxt->_private = NULL;
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	upg_buf_free(&ld.canon);
	if (rc == UPGRADE_OK && ld.failed)
		rc = UPGRADE_EPARSE;
	return rc;
}
