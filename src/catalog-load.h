/* SPDX-License-Identifier: MIT */
/*
 * catalog-load.h - what the files that read an XML catalog share: the
 * loader of one document (catalog-xml.c), its pre-scan
 * (catalog-prescan.c), libxml2's callbacks and the schema
 * (catalog-schema.c), and the tasks' checksums (catalog-checksum.c).
 */
#ifndef UPG_CATALOG_LOAD_H
#define UPG_CATALOG_LOAD_H

#include <stdint.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

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

struct module_build;

struct loader {
	struct upgrade_catalog *cat;
	const char *file;
	size_t len; /* the file's bytes */
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
	/*
	 * Bytes known valid are built while they are parsed (catalog-xml.c,
	 * stream_end_element): 0 the module has not begun, 1 it has, -1 the
	 * rest is left to the whole document.
	 */
	int streaming;
	struct module_build *build;
};

/*
 * Records a diagnostic for the file being loaded.  Returns UPGRADE_ENOMEM
 * only when the diagnostic itself could not be stored.
 */
int ld_error(struct loader *ld, unsigned long line, const char *object, const char *fmt, ...)
    UPG_PRINTF(4, 5);

/* XML white space. */
static inline int
upg_xml_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Tree helpers (catalog-xml.c): an element of the catalog namespace; its line. */
int upg_xml_is_ours(xmlNodePtr n);
unsigned long upg_xml_line_of(xmlNodePtr n);
/* The value of attribute a of element n, copied into the arena. */
const char *upg_xml_attr_value(struct loader *ld, xmlNodePtr n, xmlAttrPtr a);
/* The concatenated text and CDATA content of an element, in the arena. */
char *upg_xml_text_of(struct loader *ld, xmlNodePtr n);
/* Trims XML white space from both ends, in place. */
char *upg_xml_trim(char *s);

/*
 * Reads a body element el, and its children, into a typed node
 * (catalog-node.c); object is the task id, for messages.  NULL for
 * elements that are not part of the format (the schema has reported them)
 * or when out of memory (ld->oom).
 */
struct upg_node *upg_xml_build_node(struct loader *ld, xmlNodePtr el, const char *object);

/*
 * The kind and element of the body element called name, and that name as
 * a static string; NULL when no such element is part of the format.
 */
const char *upg_node_element(const char *name, enum upg_node_kind *kind, enum upg_elem *elem);
/*
 * The next name of a space-separated dialect list at *p, moving *p past
 * it, its length in *len; NULL at the end of the list (catalog-node.c).
 */
const char *upg_dialect_list_next(const char **p, size_t *len);

/*
 * The pre-scan (catalog-prescan.c): one pass over the bytes that enforces
 * the document limits before libxml2 parses them.  Returns 0, or -1 with
 * the first excess recorded (file and line).
 */
int upg_xml_prescan(struct loader *ld, const char *buf, size_t len);

/* libxml2's callbacks (catalog-schema.c); ctx/data is the parser context or the loader. */
void upg_xml_on_parse_error(void *ctx, xmlErrorPtr err);
void upg_xml_on_other_error(void *data, xmlErrorPtr err);
/* Any DOCTYPE is refused and parsing stops right here. */
void upg_xml_on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                                const xmlChar *system_id);
void upg_xml_on_schema_error(void *ctx, xmlErrorPtr err);
/*
 * The compiled RelaxNG schema, read once per catalog; NULL when it cannot
 * be had, which is reported once per catalog.
 */
xmlRelaxNGPtr upg_xml_get_schema(struct loader *ld);
/*
 * The SHA-256 of the schema's bytes as the loader reads them, in hex
 * (65 bytes with the NUL), into hex of size bytes: 0, or -1 when the schema
 * cannot be read (upg_xml_get_schema() then says why) or pulls in other
 * files (<include>, <externalRef>), which its bytes do not name.
 */
int upg_xml_schema_digest(char *hex, size_t size);

/*
 * The catalog cache (catalog-cache.c).  upg_cache_key() writes the key of
 * the bytes buf (64 hex digits and a NUL) and returns 0, or -1 when the
 * catalog has no usable cache.  upg_cache_read() reads key's entry, a
 * regular file of the user's of at most max bytes, into *data (malloc'ed)
 * and returns 0, or -1 when there is none.  upg_cache_write() writes one,
 * silently doing nothing when it cannot.
 */
int upg_cache_key(struct upgrade_catalog *cat, const char *buf, size_t len, char key[65]);
int upg_cache_read(struct upgrade_catalog *cat, const char *key, size_t max, char **data, size_t *len);
void upg_cache_write(struct upgrade_catalog *cat, const char *key, const char *data, size_t len);

/*
 * Compiled entries (catalog-compiled.c).  upg_compiled_load() adds the
 * module of the file being loaded (ld) from key's entry: 1 when it did
 * (problems such as a module declared twice recorded as when parsing),
 * 0 when there is no usable entry, with *known set when there is an
 * intact one all the same (the bytes are valid; a limit is stricter now),
 * -1 when out of memory.  upg_compiled_save() writes the entry of the
 * module just built, whose tasks are the catalog's from first_task on.
 */
int upg_compiled_load(struct loader *ld, const char *key, int *known);
void upg_compiled_save(struct loader *ld, const char *key, size_t first_task);

/*
 * The entries' layout, shared by the reader (catalog-compiled.c, where it
 * is described) and the writer (catalog-compiled-write.c): the magic, the
 * header's length (magic, SHA-256, key), the per-file limits written,
 * "no string"; the largest entry either handles for cat; cat's limits in
 * the entry's order.
 */
#define UPG_COMPILED_MAGIC "UPGCMP1\n"
#define UPG_COMPILED_MAGIC_LEN 8u
#define UPG_COMPILED_HEAD_LEN (UPG_COMPILED_MAGIC_LEN + 32u + 64u)
#define UPG_COMPILED_NLIMITS 8u
#define UPG_COMPILED_NO_STRING UINT32_MAX
size_t upg_compiled_entry_max(size_t xml_len);
void upg_compiled_limits(const struct upgrade_catalog *cat, uint64_t out[UPG_COMPILED_NLIMITS]);

#endif /* UPG_CATALOG_LOAD_H */
