/* SPDX-License-Identifier: MIT */
/*
 * catalog-tree.c - what every part of the XML loader uses: recording a
 * diagnostic for the file being loaded, and reading libxml2's tree (our
 * namespace, line numbers, attribute values and text copied into the
 * catalog's arena).  It calls nothing of the loader, so the loader's
 * files (catalog-xml.c, catalog-node.c, catalog-prescan.c,
 * catalog-schema.c) call down into it, never around in a loop.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include <libxml/tree.h>

#include "catalog-load.h"

/*
 * Records a diagnostic for the file being loaded.  Returns UPGRADE_ENOMEM
 * only when the diagnostic itself could not be stored.
 */
int
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

/* ---- tree helpers ----------------------------------------------------------- */

int
upg_xml_is_ours(xmlNodePtr n)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, CATALOG_NS) == 0;
}

unsigned long
upg_xml_line_of(xmlNodePtr n)
{
	long l;

	/* Past line 65535 the loader kept the line itself (catalog-xml.c, start_element). */
	if (n->type == XML_ELEMENT_NODE && n->_private != NULL)
		return (unsigned long)(uintptr_t)n->_private;
	l = xmlGetLineNo(n);

	return l > 0 ? (unsigned long)l : 0;
}

/* The value of attribute a of element n, copied into the arena. */
const char *
upg_xml_attr_value(struct loader *ld, xmlNodePtr n, xmlAttrPtr a)
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

/* The concatenated text and CDATA content of an element, in the arena. */
char *
upg_xml_text_of(struct loader *ld, xmlNodePtr n)
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

/* Trims XML white space from both ends, in place. */
char *
upg_xml_trim(char *s)
{
	size_t n;

	while (upg_xml_is_space(*s))
		s++;
	n = strlen(s);
	while (n > 0 && upg_xml_is_space(s[n - 1]))
		s[--n] = '\0';
	return s;
}
