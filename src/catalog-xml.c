/* SPDX-License-Identifier: MIT */
/*
 * catalog-xml.c - reads one XML catalog document into the catalog.
 *
 * The document is parsed by libxml2 with everything that reaches outside
 * the bytes we were given switched off: no network, no DTD loading, no
 * entity substitution, no XInclude, and any document type declaration is
 * refused before its content is looked at (that is where entity bombs and
 * external entities live).  Before that, one linear pass over the bytes
 * enforces the limits on what makes libxml2 slow or large
 * (catalog-prescan.c).  Then it is checked against the RelaxNG schema
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

#include "catalog-load.h"

static int
named(xmlNodePtr n, const char *name)
{
	return upg_xml_is_ours(n) && strcmp((const char *)n->name, name) == 0;
}

/* The value of an unqualified attribute, copied into the arena; NULL if absent. */
static const char *
attr(struct loader *ld, xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			return upg_xml_attr_value(ld, n, a);
	return NULL;
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
		ld_error(ld, upg_xml_line_of(el), object, "%s must be true or false, not '%s'", name, v);
	return 1;
}

/*
 * Reads child c of a task or install block t: a <description> into
 * t->description (*n NULL), anything else into the node *n (NULL when it
 * is not part of the format).  Returns UPGRADE_OK or UPGRADE_ENOMEM.
 */
static int
body_child(struct loader *ld, xmlNodePtr c, struct upgrade_task *t, struct upg_node **n)
{
	*n = NULL;
	if (named(c, "description")) {
		char *d = upg_xml_text_of(ld, c);

		if (d == NULL)
			return UPGRADE_ENOMEM;
		t->description = upg_xml_trim(d);
		return UPGRADE_OK;
	}
	*n = upg_xml_build_node(ld, c, t->id);
	return ld->oom ? UPGRADE_ENOMEM : UPGRADE_OK;
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
	unsigned long line = upg_xml_line_of(el);
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
	if ((t->id = upg_task_id(&cat->arena, mod->name, name)) == NULL)
		return UPGRADE_ENOMEM;
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
		if (body_child(ld, c, t, &n) != UPGRADE_OK)
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
		return ld_error(ld, upg_xml_line_of(el), mod->name, "more than one <install>");
	if ((t = upg_install_new(ld->cat, mod)) == NULL)
		return UPGRADE_ENOMEM;
	t->line = upg_xml_line_of(el);
	tail = &t->body;
	for (c = el->children; c != NULL; c = c->next) {
		struct upg_node *n;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (body_child(ld, c, t, &n) != UPGRADE_OK)
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
	mod->install = t;
	return UPGRADE_OK;
}

static int
param_cmp(const void *a, const void *b)
{
	return strcmp(((const struct upg_param *)a)->name, ((const struct upg_param *)b)->name);
}

/* What building one module keeps between its children. */
struct module_build {
	struct upg_map deps_seen, params_seen;
	size_t cap_deps, cap_params; /* the arrays' sizes, counted when the module began */
};

/*
 * Starts the module of root: checks its name, counts the <depends> and
 * <param> children root has so far (all of them: the schema puts them
 * before the first task) and adds the module to the catalog, which must
 * know it before its tasks (a second file declaring it stops here, naming
 * both files).  ld->module is NULL afterwards when it cannot be built.
 */
static int
module_begin(struct loader *ld, struct module_build *mb, xmlNodePtr root)
{
	struct upgrade_catalog *cat = ld->cat;
	struct upgrade_module *mod;
	const char *name, *why;
	xmlNodePtr c;
	int rc;

	ld->module = NULL;
	name = attr(ld, root, "name");
	if (name == NULL)
		name = "";
	why = upg_check_module_name(name, cat->limits.name);
	if (why != NULL)
		return ld_error(ld, upg_xml_line_of(root), "", "module name '%s' %s", name, why);

	mod = upg_arena_alloc(&cat->arena, sizeof *mod);
	if (mod == NULL)
		return UPGRADE_ENOMEM;
	mod->name = name;
	mod->file = ld->file;
	mod->file_index = ld->file_index;
	mod->line = upg_xml_line_of(root);
	mod->quiet = ld->quiet;

	for (c = root->children; c != NULL; c = c->next) {
		if (named(c, "depends"))
			mb->cap_deps++;
		else if (named(c, "param"))
			mb->cap_params++;
	}
	if (mb->cap_deps > 0) {
		mod->depends = upg_arena_alloc(&cat->arena, mb->cap_deps * sizeof *mod->depends);
		mod->depends_line =
		    upg_arena_alloc(&cat->arena, mb->cap_deps * sizeof *mod->depends_line);
		if (mod->depends == NULL || mod->depends_line == NULL)
			return UPGRADE_ENOMEM;
	}
	if (mb->cap_params > 0) {
		mod->params = upg_arena_alloc(&cat->arena, mb->cap_params * sizeof *mod->params);
		if (mod->params == NULL)
			return UPGRADE_ENOMEM;
	}
	rc = upg_catalog_add_module_obj(cat, mod);
	if (rc != UPGRADE_OK) {
		ld->failed = 1;
		return rc == UPGRADE_EPARSE ? UPGRADE_OK : rc;
	}
	ld->module = mod;
	return UPGRADE_OK;
}

/*
 * Adds child c of the module's root element to the module (ld->module):
 * its description, a dependency, a parameter, a task or its install.
 * Repeated dependencies and parameters are found through maps, since a
 * file may list a hundred thousand of them.
 */
static int
module_child(struct loader *ld, struct module_build *mb, xmlNodePtr c)
{
	struct upgrade_catalog *cat = ld->cat;
	struct upgrade_module *mod = ld->module;

	if (c->type != XML_ELEMENT_NODE)
		return UPGRADE_OK;
	if (named(c, "description")) {
		char *d = upg_xml_text_of(ld, c);

		if (d == NULL)
			return UPGRADE_ENOMEM;
		mod->description = upg_xml_trim(d);
	} else if (named(c, "depends")) {
		const char *dep = attr(ld, c, "module");
		int put;

		if (dep == NULL)
			return UPGRADE_OK;
		/* Counted when the module began; one after its first task was not. */
		if (mod->ndepends == mb->cap_deps)
			return ld_error(ld, upg_xml_line_of(c), mod->name,
			                "<depends> after the first task or install");
		put = upg_map_put(&mb->deps_seen, dep, (void *)dep, NULL);
		if (put < 0)
			return UPGRADE_ENOMEM;
		if (put == 0)
			return ld_error(ld, upg_xml_line_of(c), mod->name,
			                "dependency '%s' is listed twice", dep);
		mod->depends_line[mod->ndepends] = upg_xml_line_of(c);
		mod->depends[mod->ndepends++] = dep;
	} else if (named(c, "param")) {
		struct upg_param p;
		void *first = NULL;
		int put;

		p.name = attr(ld, c, "name");
		p.def = attr(ld, c, "default");
		p.line = upg_xml_line_of(c);
		if (p.name == NULL)
			return UPGRADE_OK;
		if (!upg_param_name_ok(p.name))
			return ld_error(ld, p.line, mod->name, "invalid parameter name '%s'", p.name);
		if (mod->nparams == mb->cap_params)
			return ld_error(ld, p.line, mod->name, "<param> after the first task or install");
		/* The array does not move: its size was counted when the module began. */
		put = upg_map_put(&mb->params_seen, p.name, &mod->params[mod->nparams], &first);
		if (put < 0)
			return UPGRADE_ENOMEM;
		if (put == 0)
			return ld_error(ld, p.line, mod->name,
			                "parameter '%s' is declared twice (first at line %lu)", p.name,
			                ((const struct upg_param *)first)->line);
		mod->params[mod->nparams++] = p;
	} else if (named(c, "task")) {
		return build_task(ld, c);
	} else if (named(c, "install")) {
		return build_install(ld, c);
	} else if (cat->schema_failed) {
		return ld_error(ld, upg_xml_line_of(c), mod->name, "unexpected element <%s>",
		                (const char *)c->name);
	}
	return ld->oom ? UPGRADE_ENOMEM : UPGRADE_OK;
}

/* Ends the module: its parameters sorted by name, as catalog.h says. */
static void
module_end(struct loader *ld, struct module_build *mb)
{
	struct upgrade_module *mod = ld->module;

	if (mod != NULL && mod->nparams > 1)
		qsort(mod->params, mod->nparams, sizeof *mod->params, param_cmp);
	upg_map_free(&mb->deps_seen);
	upg_map_free(&mb->params_seen);
}

/*
 * Adds root's children from first on to the module, each freed once
 * built: a task holds copies of all it needs from its element, so the
 * document shrinks while the catalog grows (peak RSS applying 5,000 tasks:
 * 13.1 -> 11.5 MiB).
 */
static int
module_children(struct loader *ld, struct module_build *mb, xmlNodePtr first)
{
	xmlNodePtr c, next;
	int rc = UPGRADE_OK;

	for (c = first; c != NULL && rc == UPGRADE_OK; c = next) {
		next = c->next;
		rc = module_child(ld, mb, c);
		if (ld->oom)
			rc = UPGRADE_ENOMEM;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	return rc;
}

/*
 * Builds the module from root's children, or, when it began while the
 * document was parsed (ld->streaming), from what came after its last task.
 */
static int
build_module(struct loader *ld, struct module_build *mb, xmlNodePtr root)
{
	int rc = UPGRADE_OK;

	if (ld->streaming != 1)
		rc = module_begin(ld, mb, root);
	if (rc == UPGRADE_OK && ld->module != NULL)
		rc = module_children(ld, mb, root->children);
	module_end(ld, mb);
	return rc;
}

/*
 * SAX start of an element: one that starts past line 65535 keeps its line
 * in _private, since libxml2's node has room for 16 bits and otherwise
 * borrows a child's or the next sibling's line (an empty <task/>, built
 * while parsing, has neither yet).  upg_xml_line_of() reads it.
 */
static void
start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
              int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
              const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	int depth = ctxt->nodeNr;

	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes,
	                      nb_defaulted, attributes);
	if (ctxt->nodeNr > depth && ctxt->node != NULL && ctxt->input != NULL &&
	    ctxt->input->line >= 65535)
		ctxt->node->_private = (void *)(uintptr_t)ctxt->input->line;
}

/*
 * SAX end of an element, for bytes known valid (no schema to check the
 * whole document against): each <task> and <install> is built as soon as
 * it is complete and its element freed, so the document never exists
 * whole (peak heap loading 5,000 tasks: the tree was 3.6 MB beside a
 * catalog of 1.9 MB).  The module begins at the first of them, when all
 * that precedes it (description, dependencies, parameters) is there.
 * Anything unusual (not our root, an error so far) leaves the rest to the
 * checks and the build after parsing, which then find the same elements
 * and say what is wrong; the pre-scan has already held the bytes to the
 * limits on nesting, attributes and children.
 */
static void
stream_end_element(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct loader *ld = ctxt->_private;
	xmlNodePtr el = ctxt->node, root;
	int rc;

	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
	if (ld->streaming < 0 || el == NULL || (root = el->parent) == NULL ||
	    root->type != XML_ELEMENT_NODE || root->parent == NULL ||
	    root->parent->type != XML_DOCUMENT_NODE || (!named(el, "task") && !named(el, "install")))
		return;
	if (!ctxt->wellFormed || ld->doctype || ld->failed || !named(root, "module")) {
		if (ld->streaming == 0)
			ld->streaming = -1;
		return;
	}
	if (ld->streaming == 0) {
		ld->streaming = 1;
		ld->cat->streamed_files++;
		rc = module_begin(ld, ld->build, root);
		if (rc == UPGRADE_OK && ld->module != NULL)
			rc = module_children(ld, ld->build, root->children);
	} else if (ld->module != NULL) {
		rc = module_children(ld, ld->build, el);
	} else {
		return;
	}
	if (rc == UPGRADE_ENOMEM || ld->oom) {
		ld->oom = 1;
		xmlStopParser(ctxt);
	} else if (rc != UPGRADE_OK) {
		ld->failed = 1;
		xmlStopParser(ctxt);
	}
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
	struct module_build mb;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, deep = NULL;
	xmlRelaxNGPtr schema;
	xmlStructuredErrorFunc saved_error = NULL;
	void *saved_error_ctx = NULL;
	size_t diags_before = cat->ndiags, first_task = cat->ntasks;
	char key[65];
	int rc = UPGRADE_OK, handler_set = 0, keyed = 0, known = 0;

	memset(&ld, 0, sizeof ld);
	memset(&mb, 0, sizeof mb);
	ld.cat = cat;
	ld.file_index = cat->nfiles;
	ld.file = upg_arena_strdup(&cat->arena, file);
	ld.len = len;
	if (ld.file == NULL)
		return UPGRADE_ENOMEM;

	if (len > cat->limits.file_size || len > (size_t)INT32_MAX) {
		ld_error(&ld, 0, "", "file is larger than the limit of %zu bytes", cat->limits.file_size);
		goto done;
	}
	/* Bytes built before need no parsing; bytes known valid, no validation. */
	keyed = upg_cache_key(cat, buf, len, key) == 0;
	if (keyed) {
		int got = upg_compiled_load(&ld, key, &known);

		if (got != 0) {
			rc = got < 0 ? UPGRADE_ENOMEM : UPGRADE_OK;
			goto done;
		}
	}
	if (upg_xml_prescan(&ld, buf, len) != 0)
		goto done;
	schema = known ? NULL : upg_xml_get_schema(&ld);

	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		rc = UPGRADE_ENOMEM;
		goto done;
	}
	ctxt->_private = &ld;
	ctxt->sax->internalSubset = upg_xml_on_internal_subset;
	ctxt->sax->serror = upg_xml_on_parse_error;
	ctxt->sax->startElementNs = start_element;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	ld.build = &mb;
	if (known)
		ctxt->sax->endElementNs = stream_end_element;
	else
		ld.streaming = -1;
	/* Per thread in libxml2; restored when done. */
	saved_error = xmlStructuredError;
	saved_error_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&ld, upg_xml_on_other_error);
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
		ld_error(&ld, upg_xml_line_of(root), "",
		         "unsupported catalog format '%s' (this version reads " CATALOG_NS ")",
		         (const char *)root->ns->href);
		goto done;
	}
	if (!named(root, "module")) {
		ld_error(&ld, upg_xml_line_of(root), "",
		         "not an upgrade catalog: the root element must be <module xmlns=\"" CATALOG_NS "\">");
		goto done;
	}
	if (max_depth(root, cat->limits.depth, &deep) > cat->limits.depth) {
		ld_error(&ld, upg_xml_line_of(deep), "", "elements are nested deeper than the limit of %zu",
		         cat->limits.depth);
		goto done;
	}
	if (schema != NULL) {
		xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);

		if (vctxt == NULL) {
			rc = UPGRADE_ENOMEM;
			goto done;
		}
		xmlRelaxNGSetValidStructuredErrors(vctxt, upg_xml_on_schema_error, &ld);
		if (xmlRelaxNGValidateDoc(vctxt, doc) != 0) {
			if (!ld.failed)
				ld_error(&ld, upg_xml_line_of(root), "", "schema violation");
			ld.quiet = 1;
		}
		xmlRelaxNGFreeValidCtxt(vctxt);
	}
	rc = build_module(&ld, &mb, root);
	if (known)
		cat->cache_hits++;
	if (keyed && (known || schema != NULL) && rc == UPGRADE_OK && !ld.failed && !ld.oom &&
	    cat->ndiags == diags_before)
		upg_compiled_save(&ld, key, first_task);
done:
	/* A module begun while parsing a document found wrong later. */
	upg_map_free(&mb.deps_seen);
	upg_map_free(&mb.params_seen);
	if (handler_set)
		xmlSetStructuredErrorFunc(saved_error_ctx, saved_error);
	if (ld.oom && rc == UPGRADE_OK)
		rc = UPGRADE_ENOMEM;
	if (ctxt != NULL)
		ctxt->_private = NULL;
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (rc == UPGRADE_OK && ld.failed)
		rc = UPGRADE_EPARSE;
	return rc;
}
