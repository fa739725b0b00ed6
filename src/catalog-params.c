/* SPDX-License-Identifier: MIT */
/*
 * catalog-params.c - placeholders: ${name} in attributes and texts,
 * substituted from upgrade_catalog_set_param() values and <param>
 * defaults when the catalog is prepared.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"

/* ---- parameters ----------------------------------------------------------------- */

static int
param_char(char c, int first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && ((c >= '0' && c <= '9') || c == '.' || c == '-');
}

static int
param_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!param_char(s[i], i == 0))
			return 0;
	return 1;
}

int
upgrade_catalog_set_param(struct upgrade_catalog *cat, const char *name, const char *value)
{
	const char *colon, *param;
	struct upg_define *d;
	size_t i;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (name == NULL || value == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a parameter needs a name and a value");
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	/* "module:param" or "param"; module names have no colon, parameter
	 * names neither, so the first colon splits. */
	colon = strchr(name, ':');
	param = colon != NULL ? colon + 1 : name;
	if (!param_name_valid(param, strlen(param)) || colon == name)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "invalid parameter name '%s'", name);
	for (i = 0; i < cat->ndefines; i++) {
		if (strcmp(cat->defines[i].name, name) == 0) {
			const char *v = upg_arena_strdup(&cat->arena, value);

			if (v == NULL)
				return upg_error_oom(&cat->error);
			cat->defines[i].value = v;
			return UPGRADE_OK;
		}
	}
	if (upg_grow(&cat->defines, &cat->capdefines, cat->ndefines + 1, sizeof *cat->defines, 64) != 0)
		return upg_error_oom(&cat->error);
	d = &cat->defines[cat->ndefines];
	d->name = upg_arena_strdup(&cat->arena, name);
	d->value = upg_arena_strdup(&cat->arena, value);
	if (d->name == NULL || d->value == NULL)
		return upg_error_oom(&cat->error);
	cat->ndefines++;
	return UPGRADE_OK;
}

/* A defined value for "module:param", else for "param"; NULL when none. */
static const char *
defined_value(const struct upgrade_catalog *cat, const char *module, const char *param, size_t plen)
{
	size_t mlen = strlen(module), i;
	const char *plain = NULL;

	for (i = 0; i < cat->ndefines; i++) {
		const char *n = cat->defines[i].name;

		if (strncmp(n, module, mlen) == 0 && n[mlen] == ':' && strncmp(n + mlen + 1, param, plen) == 0 &&
		    n[mlen + 1 + plen] == '\0')
			return cat->defines[i].value;
		if (strncmp(n, param, plen) == 0 && n[plen] == '\0')
			plain = cat->defines[i].value;
	}
	return plain;
}

/*
 * The value of placeholder param in module mod.  *declared tells whether the
 * module declares it.  NULL when it has no value.
 */
static const char *
param_value(const struct upgrade_catalog *cat, const struct upgrade_module *mod, const char *param,
            size_t plen, int *declared)
{
	const char *v;

	/* Binary search: the parameters are sorted by name. */
	size_t lo = 0, hi = mod->nparams;

	*declared = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = mod->params[mid].name;
		int c = strncmp(name, param, plen);

		if (c == 0 && name[plen] != '\0')
			c = 1;
		if (c == 0) {
			*declared = 1;
			v = defined_value(cat, mod->name, param, plen);
			return v != NULL ? v : mod->params[mid].def;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* 1 for a <step for-each-schema="true">. */
int
upg_step_each_schema(const struct upg_node *step)
{
	const char *v = upg_node_attr(step, "for-each-schema");

	return v != NULL && strcmp(v, "true") == 0;
}

/*
 * Substitutes the placeholders of s for task t.  Returns s itself when it
 * holds no '$', an arena copy otherwise, or NULL when out of memory (*oom).
 * Problems are recorded against line.  In the text of a for-each-schema
 * step (each 1) ${schema} and the "$${" escape are left for the runner,
 * which knows the schema only when the step runs; in its attributes (each
 * 2) ${schema} is an error, the operations addressing that schema anyway.
 */
static const char *
substitute(struct upgrade_catalog *cat, const struct upgrade_task *t, const char *s, unsigned long line,
           int each, int *oom)
{
	const struct upgrade_module *mod = t->module;
	struct upg_buf out = UPG_BUF_INIT;
	const char *p = s, *res;

	if (strchr(s, '$') == NULL)
		return s;
	while (*p != '\0') {
		const char *end, *v;
		int declared;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			/* "$${" is the escape for a literal "${". */
			upg_buf_append(&out, each == 1 ? "$${" : "${", each == 1 ? 3 : 2);
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			upg_buf_putc(&out, *p++);
			continue;
		}
		end = strchr(p + 2, '}');
		if (end == NULL) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "unterminated placeholder '%.40s'", p) != UPGRADE_OK)
				*oom = 1;
			upg_buf_puts(&out, p);
			break;
		}
		if (!param_name_valid(p + 2, (size_t)(end - p - 2))) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "invalid placeholder '%.*s'", (int)(end - p + 1), p) != UPGRADE_OK)
				*oom = 1;
			p = end + 1;
			continue;
		}
		if (each == 1 && end - p == 8 && memcmp(p, "${schema}", 9) == 0) {
			upg_buf_puts(&out, "${schema}");
			p = end + 1;
			continue;
		}
		v = param_value(cat, mod, p + 2, (size_t)(end - p - 2), &declared);
		if (!declared && end - p == 8 && memcmp(p, "${schema}", 9) == 0) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id, "%s",
			                 each == 2 ? "${schema} is replaced only in <sql> and <query> text; "
			                             "operations address the step's schema by themselves"
			                           : "${schema} is known only in a <step for-each-schema=\"true\"> "
			                             "of a raw task") != UPGRADE_OK)
				*oom = 1;
		} else if (!declared) {
			if (!mod->quiet &&
			    upg_diag_add(cat, mod->file, mod->file_index, line, t->id,
			                 "unknown placeholder '%.*s' (declare it with <param name=\"%.*s\"/>)",
			                 (int)(end - p + 1), p, (int)(end - p - 2), p + 2) != UPGRADE_OK)
				*oom = 1;
		} else if (v != NULL) {
			upg_buf_puts(&out, v);
		}
		/* A declared placeholder without a value is reported once, at
		 * its <param>, by upg_check_params(). */
		p = end + 1;
	}
	if (out.failed) {
		*oom = 1;
		upg_buf_free(&out);
		return NULL;
	}
	res = upg_arena_strndup(&cat->arena, out.data != NULL ? out.data : "", out.len);
	upg_buf_free(&out);
	if (res == NULL)
		*oom = 1;
	return res;
}

static int
c_identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/*
 * Substitutes placeholders in a node tree and checks native references;
 * each: inside a for-each-schema step.
 */
void
upg_substitute_nodes(struct upgrade_catalog *cat, const struct upgrade_task *t,
                     struct upg_node *n, int each, int *oom)
{
	const struct upgrade_module *mod = t->module;

	for (; n != NULL && !*oom; n = n->next) {
		size_t i;

		if (n->raw != NULL)
			n->text = substitute(cat, t, n->raw, n->line, each, oom);
		for (i = 0; i < n->nattrs && !*oom; i++) {
			/* Dialect lists select alternatives; they are part of the
			 * catalog's structure, not of its values. */
			if (strcmp(n->attrs[i].name, "dialect") == 0)
				continue;
			n->attrs[i].value = substitute(cat, t, n->attrs[i].raw, n->line, each ? 2 : 0, oom);
		}
		if (*oom)
			return;
		if (n->kind == UPG_NODE_NATIVE && !mod->quiet) {
			const char *lib = upg_node_attr(n, "library"), *sym = upg_node_attr(n, "symbol");

			/* Libraries are looked up only in the task directories and
			 * the documented library path: no directory parts. */
			if (lib != NULL && (*lib == '\0' || strchr(lib, '/') != NULL || strcmp(lib, "..") == 0 ||
			                    strcmp(lib, ".") == 0) &&
			    upg_diag_add(cat, mod->file, mod->file_index, n->line, t->id,
			                 "native library '%s' must be a file name without a directory", lib) != UPGRADE_OK)
				*oom = 1;
			if (sym != NULL && !c_identifier(sym) &&
			    upg_diag_add(cat, mod->file, mod->file_index, n->line, t->id,
			                 "native symbol '%s' is not a C identifier", sym) != UPGRADE_OK)
				*oom = 1;
		}
		upg_substitute_nodes(cat, t, n->child,
		                     each || (n->kind == UPG_NODE_STEP && upg_step_each_schema(n)), oom);
	}
}

/* Every parameter without a default must be given a value. */
int
upg_check_params(struct upgrade_catalog *cat)
{
	size_t i, j;

	for (i = 0; i < cat->nmodules; i++) {
		const struct upgrade_module *mod = cat->modules[i];

		if (mod->quiet)
			continue;
		for (j = 0; j < mod->nparams; j++) {
			const struct upg_param *p = &mod->params[j];

			if (p->def != NULL ||
			    defined_value(cat, mod->name, p->name, strlen(p->name)) != NULL)
				continue;
			if (upg_diag_add(cat, mod->file, mod->file_index, p->line, mod->name,
			                 "parameter '%s' has no value (give it a default, or a value with -D %s=VALUE)",
			                 p->name, p->name) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
		}
	}
	return UPGRADE_OK;
}
