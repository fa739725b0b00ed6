/* SPDX-License-Identifier: MIT */
/*
 * catalog-prescan.c - one linear pass over a catalog's bytes before
 * libxml2 sees them: the limits on what makes parsing slow or large, a
 * DOCTYPE refused, the encoding checked.
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

/*
 * Moves past the current unit, counting lines as libxml2 2.9 does in the
 * line numbers it reports: at each LF only (a lone CR ends no line there,
 * whatever the XML specification says), so that both name the same line.
 */
static unsigned
sc_next(struct scan *sc)
{
	unsigned c = sc_at(sc, sc->i);

	if (sc->i < sc->n)
		sc->i++;
	if (c == '\n')
		sc->line++;
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

/* Moves to unit j (at most the end), counting the lines passed as sc_next() does. */
static void
sc_move(struct scan *sc, size_t j)
{
	const unsigned char *p, *end;
	unsigned long lf = 0;

	if (j > sc->n)
		j = sc->n;
	if (sc->width != 1) {
		while (sc->i < j)
			sc_next(sc);
		return;
	}
	if (j <= sc->i)
		return;
	/* Lines are tens of bytes long: memchr() steps over each in a few
	 * vector loads, where a test per byte was a tenth of the scan. */
	for (p = sc->buf + sc->i, end = sc->buf + j; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		lf++;
	sc->line += lf;
	sc->i = j;
}

/* The first unit at or after i that is c, or the end. */
static size_t
sc_find(const struct scan *sc, size_t i, unsigned c)
{
	const unsigned char *hit;

	if (i >= sc->n)
		return sc->n;
	if (sc->width != 1) {
		while (i < sc->n && sc_at(sc, i) != c)
			i++;
		return i;
	}
	hit = memchr(sc->buf + i, (int)c, sc->n - i);
	return hit == NULL ? sc->n : (size_t)(hit - sc->buf);
}

/* Skips to just past the ASCII string end, or to the end of the document. */
static void
sc_skip_past(struct scan *sc, const char *end)
{
	size_t j = sc->i, l = strlen(end);

	for (;;) {
		j = sc_find(sc, j, (unsigned char)end[0]);
		if (j >= sc->n || sc_looking_at(sc, j, end))
			break;
		j++;
	}
	sc_move(sc, j >= sc->n ? sc->n : j + l);
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
	size_t start = sc->i, j;

	/* A name holds no line break, so no line is passed. */
	for (j = sc->i; j < sc->n; j++) {
		unsigned c = sc_at(sc, j);

		if (sc_space(c) || c == '=' || c == '/' || c == '>' || c == '<' || c == '"' ||
		    c == '\'')
			break;
	}
	sc->i = j;
	return (j - start) * (size_t)sc->width;
}

/* Where an attribute value quoted by q ends: at q, at a '<' or at the end. */
static size_t
value_end(const struct scan *sc, unsigned q)
{
	size_t j = sc->i;

	if (sc->width == 1) {
		const unsigned char *p = sc->buf + j, *end = sc->buf + sc->n;

		while (p < end && *p != q && *p != '<')
			p++;
		return (size_t)(p - sc->buf);
	}
	while (j < sc->n && sc_at(sc, j) != q && sc_at(sc, j) != '<')
		j++;
	return j;
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
int
upg_xml_prescan(struct loader *ld, const char *buf, size_t len)
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
		unsigned next;
		int empty = 0;

		if (sc_at(&sc, sc.i) != '<') {
			sc_move(&sc, sc_find(&sc, sc.i, '<'));
			continue;
		}
		tag_line = sc.line;
		next = sc_at(&sc, sc.i + 1);
		if (next == '!' && sc_looking_at(&sc, sc.i, "<!--")) {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "-->");
			continue;
		}
		if (next == '!' && sc_looking_at(&sc, sc.i, "<![CDATA[")) {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "]]>");
			continue;
		}
		if (next == '!' && sc_looking_at(&sc, sc.i, "<!DOCTYPE")) {
			/* Its internal subset is parsed before any callback could
			 * refuse it, so it is refused here. */
			ld_error(
			    ld, tag_line, "",
			    "document type declarations (DOCTYPE) are not allowed in catalogs");
			ld->doctype = 1;
			return -1;
		}
		if (next == '?') {
			if (count_node(ld, &nodes, tag_line) != 0)
				return -1;
			sc_skip_past(&sc, "?>");
			continue;
		}
		if (next == '/') {
			sc_move(&sc, sc_find(&sc, sc.i, '>'));
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
				sc_move(&sc, value_end(&sc, c));
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
