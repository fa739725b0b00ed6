/* SPDX-License-Identifier: MIT */
/*
 * catalog-node.c - the elements of a task's body (actions, conditions,
 * steps, choices) read into typed nodes with their attributes sorted, the
 * dialect filters parsed, and placeholders left for the prepare step.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "catalog-load.h"

/* ---- body nodes ----------------------------------------------------------- */

/* The elements of task bodies, sorted by name for bsearch(). */
static const struct {
	const char *name;
	enum upg_node_kind kind;
	enum upg_elem elem;
} node_kinds[] = {
	{"add-check", UPG_NODE_OP, UPG_E_ADD_CHECK},
	{"add-column", UPG_NODE_OP, UPG_E_ADD_COLUMN},
	{"add-enum-value", UPG_NODE_OP, UPG_E_ADD_ENUM_VALUE},
	{"add-foreign-key", UPG_NODE_OP, UPG_E_ADD_FOREIGN_KEY},
	{"add-unique", UPG_NODE_OP, UPG_E_ADD_UNIQUE},
	{"all", UPG_NODE_COND, UPG_E_ALL},
	{"alter-column", UPG_NODE_OP, UPG_E_ALTER_COLUMN},
	{"any", UPG_NODE_COND, UPG_E_ANY},
	{"assert", UPG_NODE_ASSERT, UPG_E_ASSERT},
	{"choose", UPG_NODE_CHOOSE, UPG_E_CHOOSE},
	{"column", UPG_NODE_PART, UPG_E_COLUMN},
	{"create-enum", UPG_NODE_OP, UPG_E_CREATE_ENUM},
	{"create-index", UPG_NODE_OP, UPG_E_CREATE_INDEX},
	{"create-table", UPG_NODE_OP, UPG_E_CREATE_TABLE},
	{"drop-column", UPG_NODE_OP, UPG_E_DROP_COLUMN},
	{"drop-constraint", UPG_NODE_OP, UPG_E_DROP_CONSTRAINT},
	{"drop-index", UPG_NODE_OP, UPG_E_DROP_INDEX},
	{"drop-table", UPG_NODE_OP, UPG_E_DROP_TABLE},
	{"has-column", UPG_NODE_COND, UPG_E_HAS_COLUMN},
	{"has-constraint", UPG_NODE_COND, UPG_E_HAS_CONSTRAINT},
	{"has-enum", UPG_NODE_COND, UPG_E_HAS_ENUM},
	{"has-index", UPG_NODE_COND, UPG_E_HAS_INDEX},
	{"has-table", UPG_NODE_COND, UPG_E_HAS_TABLE},
	{"has-view", UPG_NODE_COND, UPG_E_HAS_VIEW},
	{"is-empty-table", UPG_NODE_COND, UPG_E_IS_EMPTY_TABLE},
	{"native", UPG_NODE_NATIVE, UPG_E_NATIVE},
	{"not", UPG_NODE_COND, UPG_E_NOT},
	{"only-if", UPG_NODE_GUARD, UPG_E_ONLY_IF},
	{"otherwise", UPG_NODE_OTHERWISE, UPG_E_OTHERWISE},
	{"query", UPG_NODE_COND, UPG_E_QUERY},
	{"rename-column", UPG_NODE_OP, UPG_E_RENAME_COLUMN},
	{"rename-table", UPG_NODE_OP, UPG_E_RENAME_TABLE},
	{"schema-count", UPG_NODE_COND, UPG_E_SCHEMA_COUNT},
	{"schemas-include", UPG_NODE_COND, UPG_E_SCHEMAS_INCLUDE},
	{"sql", UPG_NODE_SQL, UPG_E_SQL},
	{"step", UPG_NODE_STEP, UPG_E_STEP},
	{"value", UPG_NODE_PART, UPG_E_VALUE},
	{"when", UPG_NODE_WHEN, UPG_E_WHEN},
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

const char *
upg_node_element(const char *name, enum upg_node_kind *kind, enum upg_elem *elem)
{
	int k = node_kind(name);

	if (k < 0)
		return NULL;
	*kind = node_kinds[k].kind;
	*elem = node_kinds[k].elem;
	return node_kinds[k].name;
}

const char *
upg_dialect_list_next(const char **p, size_t *len)
{
	const char *start;

	while (upg_xml_is_space(**p))
		(*p)++;
	if (**p == '\0')
		return NULL;
	for (start = *p; **p != '\0' && !upg_xml_is_space(**p); (*p)++)
		continue;
	*len = (size_t)(*p - start);
	return start;
}

/*
 * Parses a space-separated dialect list into bits, recording unknown
 * names.  Returns the bits (0 when none was valid).
 */
static unsigned
parse_dialects(struct loader *ld, const char *list, unsigned long line, const char *object)
{
	unsigned bits = 0, bit;
	size_t count = 0, len;
	const char *p = list, *name;

	while ((name = upg_dialect_list_next(&p, &len)) != NULL) {
		count++;
		bit = upg_dialect_bit(name, len);
		if (bit == 0) {
			struct upg_buf known = UPG_BUF_INIT;

			upg_dialect_names(&known);
			ld_error(ld, line, object, "unknown dialect '%.*s' (known: %s)", (int)len, name,
			         upg_buf_str(&known));
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
struct upg_node *
upg_xml_build_node(struct loader *ld, xmlNodePtr el, const char *object)
{
	struct upg_arena *arena = &ld->cat->arena;
	enum upg_node_kind kind;
	struct upg_node *node, **tail;
	xmlAttrPtr a;
	xmlNodePtr c;
	size_t i, n;
	int k;

	k = upg_xml_is_ours(el) ? node_kind((const char *)el->name) : -1;
	if (k < 0) {
		if (ld->cat->schema_failed)
			ld_error(ld, upg_xml_line_of(el), object, "unknown element <%s>", (const char *)el->name);
		return NULL;
	}
	kind = node_kinds[k].kind;
	node = upg_arena_alloc(arena, sizeof *node);
	if (node == NULL)
		goto oom;
	node->kind = kind;
	node->elem = node_kinds[k].elem;
	node->name = node_kinds[k].name; /* static: no copy needed */
	node->line = upg_xml_line_of(el);

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
			at.raw = upg_xml_attr_value(ld, el, a);
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

	if (kind == UPG_NODE_SQL || node->elem == UPG_E_QUERY) {
		char *t = upg_xml_text_of(ld, el);

		if (t == NULL)
			goto oom;
		node->raw = node->text = upg_xml_trim(t);
		if (*node->raw == '\0')
			ld_error(ld, node->line, object, "empty <%s> statement", node->name);
		return node;
	}
	if (node->elem == UPG_E_VALUE) {
		node->raw = node->text = upg_xml_text_of(ld, el);
		if (node->raw == NULL)
			goto oom;
		return node;
	}

	tail = &node->child;
	for (c = el->children; c != NULL; c = c->next) {
		struct upg_node *child;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		child = upg_xml_build_node(ld, c, object);
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

const char *
upg_node_attr(const struct upg_node *node, const char *name)
{
	size_t lo = 0, hi = node->nattrs;

	/* Attributes are sorted by name. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(node->attrs[mid].name, name);

		if (c == 0)
			return node->attrs[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
