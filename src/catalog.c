/* SPDX-License-Identifier: MIT */
/*
 * catalog.c - the catalog handle: creation and limits, names, modules and
 * tasks registered in C, prepare, and the accessors (diagnostics are
 * catalog-diag.c's, loading catalog-file.c's, placeholders
 * catalog-params.c's, resolution catalog-resolve.c's).
 *
 * Life of a catalog: loads and registrations add modules and tasks and
 * record every problem as a diagnostic instead of stopping;
 * upgrade_catalog_prepare() then substitutes placeholders, lets the planner
 * order everything, and sorts the diagnostics by file and line.  After
 * that the catalog is read-only.  Everything a catalog owns lives in its
 * arena, so handles and strings given out stay valid until it is freed.
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

/* Default limits, documented in upgrade-catalog(5). */
#define DEFAULT_FILE_SIZE (16u * 1024u * 1024u)
#define DEFAULT_DEPTH 32u
#define DEFAULT_NAME 1024u
#define DEFAULT_FILE_TASKS 100000u
#define DEFAULT_FILES 10000u
#define DEFAULT_TASKS 1000000u
#define DEFAULT_ATTRIBUTES 64u
/* Room for the tasks a file may hold, and as many other elements. */
#define DEFAULT_CHILDREN (2u * DEFAULT_FILE_TASKS)
#define DEFAULT_VALUE (1024u * 1024u)
/* Each costs libxml2 and us a hundred bytes or more, whatever its size in
 * the file: a 16 MiB file of bare attributes would need 600 MiB. */
#define DEFAULT_NODES 1000000u

/* Limits start at the documented defaults; everything else starts empty. */

int
upgrade_catalog_new(struct upgrade_catalog **out)
{
	struct upgrade_catalog *cat;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	cat = calloc(1, sizeof *cat);
	if (cat == NULL)
		return UPGRADE_ENOMEM;
	cat->magic = UPG_MAGIC_CATALOG;
	cat->limits.file_size = DEFAULT_FILE_SIZE;
	cat->limits.depth = DEFAULT_DEPTH;
	cat->limits.name = DEFAULT_NAME;
	cat->limits.file_tasks = DEFAULT_FILE_TASKS;
	cat->limits.files = DEFAULT_FILES;
	cat->limits.tasks = DEFAULT_TASKS;
	cat->limits.attributes = DEFAULT_ATTRIBUTES;
	cat->limits.children = DEFAULT_CHILDREN;
	cat->limits.value = DEFAULT_VALUE;
	cat->limits.nodes = DEFAULT_NODES;
	*out = cat;
	return UPGRADE_OK;
}
/* Everything the catalog handed out lives in its arena and dies with it. */

void
upgrade_catalog_free(struct upgrade_catalog *cat)
{
	if (!UPG_IS(cat, CATALOG))
		return;
	upg_xml_free_schema(cat);
	upg_map_free(&cat->module_map);
	upg_map_free(&cat->task_map);
	upg_map_free(&cat->file_ids);
	free(cat->modules);
	free(cat->tasks);
	free(cat->defines);
	free(cat->diags);
	free(cat->file_diags);
	free(cat->warnings);
	free(cat->plan);
	free(cat->select);
	free(cat->cache_dir);
	upg_error_clear(&cat->error);
	upg_arena_free(&cat->arena);
	cat->magic = UPG_MAGIC_FREED;
	free(cat);
}

int
upgrade_catalog_set_limit(struct upgrade_catalog *cat, enum upgrade_catalog_limit limit,
                          size_t value)
{
	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (value == 0)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a limit must be at least 1");
	switch (limit) {
	case UPGRADE_CATALOG_LIMIT_FILE_SIZE:
		cat->limits.file_size = value;
		break;
	case UPGRADE_CATALOG_LIMIT_DEPTH:
		cat->limits.depth = value;
		break;
	case UPGRADE_CATALOG_LIMIT_NAME:
		cat->limits.name = value;
		break;
	case UPGRADE_CATALOG_LIMIT_FILE_TASKS:
		cat->limits.file_tasks = value;
		break;
	case UPGRADE_CATALOG_LIMIT_FILES:
		cat->limits.files = value;
		break;
	case UPGRADE_CATALOG_LIMIT_TASKS:
		/* Declaration indexes are 32-bit. */
		cat->limits.tasks = value > UINT32_MAX ? UINT32_MAX : value;
		break;
	case UPGRADE_CATALOG_LIMIT_ATTRIBUTES: cat->limits.attributes = value; break;
	case UPGRADE_CATALOG_LIMIT_CHILDREN: cat->limits.children = value; break;
	case UPGRADE_CATALOG_LIMIT_VALUE: cat->limits.value = value; break;
	case UPGRADE_CATALOG_LIMIT_NODES: cat->limits.nodes = value; break;
	default:
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "unknown limit %d", limit);
	}
	return UPGRADE_OK;
}

/* ---- names ---------------------------------------------------------------------- */

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

const char *
upg_check_module_name(const char *name, size_t max)
{
	const char *p;

	if (*name == '\0')
		return "is empty";
	if (strlen(name) > max)
		return "is too long";
	if (!upg_utf8_valid(name, strlen(name)))
		return "is not valid UTF-8";
	if (strchr(name, ':') != NULL)
		return "contains a colon";
	for (p = name; *p != '\0'; p++)
		if (*p == ' ' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return "contains white space or control characters";
	return NULL;
}

char *
upg_task_id(struct upg_arena *arena, const char *module, const char *name)
{
	/* Built by hand, not by upg_arena_printf(): it is made for every task loaded. */
	size_t ml = strlen(module), nl = strlen(name);
	char *id = upg_arena_alloc(arena, ml + nl + 2);

	if (id == NULL)
		return NULL;
	memcpy(id, module, ml);
	id[ml] = ':';
	memcpy(id + ml + 1, name, nl + 1);
	return id;
}

int
upg_param_name_ok(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

const char *
upg_check_task_name(const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0)
		return "is empty";
	if (n > max)
		return "is too long";
	if (!upg_utf8_valid(name, n))
		return "is not valid UTF-8";
	if (has_control(name))
		return "contains control characters";
	if (name[0] == ' ' || name[n - 1] == ' ')
		return "has leading or trailing white space";
	if (strcmp(name, UPG_INSTALL_NAME) == 0)
		return "is reserved for the module's install block";
	return NULL;
}

int
upg_catalog_add_module_obj(struct upgrade_catalog *cat, struct upgrade_module *mod)
{
	void *old = NULL;
	int rc;

	mod->magic = UPG_MAGIC_MODULE;
	mod->cat = cat;
	if (upg_grow(&cat->modules, &cat->capmodules, cat->nmodules + 1, sizeof *cat->modules, 64) != 0)
		return UPGRADE_ENOMEM;
	rc = upg_map_put(&cat->module_map, mod->name, mod, &old);
	if (rc < 0)
		return UPGRADE_ENOMEM;
	if (rc == 0) {
		const struct upgrade_module *first = old;

		if (upg_diag_add(cat, mod->file, mod->file_index, mod->line, mod->name,
		                 "module is already declared in %s:%lu", first->file, first->line) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
		return UPGRADE_EPARSE;
	}
	cat->modules[cat->nmodules++] = mod;
	return UPGRADE_OK;
}

int
upg_catalog_add_task_obj(struct upgrade_catalog *cat, struct upgrade_task *t)
{
	struct upgrade_module *mod = t->module;
	void *old = NULL;
	int rc;

	t->magic = UPG_MAGIC_TASK;
	if (cat->ntasks >= cat->limits.tasks) {
		/* Said once; ntasks stays the count of tasks held, which every loop over them trusts. */
		if (!cat->tasks_over_limit) {
			if (upg_diag_add(cat, mod->file, mod->file_index, t->line, t->id,
			                 "more than %zu tasks in the catalogs", cat->limits.tasks) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
			cat->tasks_over_limit = 1;
		}
		return UPGRADE_EPARSE;
	}
	if (upg_grow(&cat->tasks, &cat->captasks, cat->ntasks + 1, sizeof *cat->tasks, 64) != 0)
		return UPGRADE_ENOMEM;
	rc = upg_map_put(&cat->task_map, t->id, t, &old);
	if (rc < 0)
		return UPGRADE_ENOMEM;
	if (rc == 0) {
		const struct upgrade_task *first = old;

		if (mod->quiet)
			return UPGRADE_EPARSE;
		if (upg_diag_add(cat, mod->file, mod->file_index, t->line, t->id,
		                 "task is declared twice (first at %s:%lu)", first->module->file, first->line) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
		return UPGRADE_EPARSE;
	}
	t->decl = mod->ntasks++;
	cat->tasks[cat->ntasks++] = t;
	return UPGRADE_OK;
}

/* ---- registration in C ----------------------------------------------------------- */

int
upgrade_catalog_add_module(struct upgrade_catalog *cat, const char *name, const char *const *depends)
{
	struct upgrade_module *mod;
	size_t n = 0, i;
	const char *why;
	int rc;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (name == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a module needs a name");
	if (upg_catalog_check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	why = upg_check_module_name(name, cat->limits.name);
	if (why != NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, "", "module name '%s' %s", name, why) != 0)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module name '%s' %s", name, why);
	}
	mod = upg_arena_alloc(&cat->arena, sizeof *mod);
	if (mod == NULL || (mod->name = upg_arena_strdup(&cat->arena, name)) == NULL)
		return upg_error_oom(&cat->error);
	mod->file = UPG_C_FILE;
	mod->file_index = C_FILE_INDEX;
	if (depends != NULL)
		while (depends[n] != NULL)
			n++;
	if (n > 0) {
		mod->depends = upg_arena_alloc(&cat->arena, n * sizeof *mod->depends);
		mod->depends_line = upg_arena_alloc(&cat->arena, n * sizeof *mod->depends_line);
		if (mod->depends == NULL || mod->depends_line == NULL)
			return upg_error_oom(&cat->error);
		for (i = 0; i < n; i++) {
			size_t j;

			for (j = 0; j < mod->ndepends; j++)
				if (strcmp(mod->depends[j], depends[i]) == 0)
					break;
			if (j < mod->ndepends)
				continue; /* a repeated name in C is harmless */
			mod->depends[mod->ndepends] = upg_arena_strdup(&cat->arena, depends[i]);
			if (mod->depends[mod->ndepends] == NULL)
				return upg_error_oom(&cat->error);
			mod->ndepends++;
		}
	}
	rc = upg_catalog_add_module_obj(cat, mod);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module '%s' is already declared", name);
	return UPGRADE_OK;
}

int
upgrade_catalog_add_task(struct upgrade_catalog *cat, const char *module, const char *name,
                         upgrade_task_fn fn, void *userdata, unsigned flags, const char *requires)
{
	struct upgrade_module *mod;
	struct upgrade_task *t;
	const char *why;
	int rc;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (module == NULL || name == NULL || fn == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "a task needs a module, a name and a function");
	if ((flags & ~(UPGRADE_TASK_ALWAYS_RUN | UPGRADE_TASK_RAW)) != 0)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "unknown task flags 0x%x", flags);
	if (upg_catalog_check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	mod = upg_map_get(&cat->module_map, module);
	if (mod == NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, "", "task '%s': unknown module '%s'", name, module) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "unknown module '%s'", module);
	}
	why = upg_check_task_name(name, cat->limits.name);
	if (why != NULL) {
		if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, mod->name, "task name '%s' %s", name, why) != UPGRADE_OK)
			return upg_error_oom(&cat->error);
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "task name '%s' %s", name, why);
	}
	t = upg_arena_alloc(&cat->arena, sizeof *t);
	if (t == NULL)
		return upg_error_oom(&cat->error);
	t->name = upg_arena_strdup(&cat->arena, name);
	t->id = upg_task_id(&cat->arena, mod->name, name);
	if (t->name == NULL || t->id == NULL)
		return upg_error_oom(&cat->error);
	t->module = mod;
	t->fn = fn;
	t->userdata = userdata;
	t->flags = UPGRADE_TASK_CODE | flags;
	if (flags & UPGRADE_TASK_RAW)
		t->flags |= UPGRADE_TASK_ALWAYS_RUN;
	if (requires != NULL) {
		const char *colon = strchr(requires, ':');

		if (flags & UPGRADE_TASK_RAW) {
			if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, t->id,
			                 "raw task may not require other tasks (requires '%s')", requires) != UPGRADE_OK)
				return upg_error_oom(&cat->error);
			return upg_error_set(&cat->error, UPGRADE_EINVAL, "raw task '%s' may not require other tasks",
			                     t->id);
		}
		if (colon == NULL || colon == requires || colon[1] == '\0') {
			if (upg_diag_add(cat, UPG_C_FILE, C_FILE_INDEX, 0, t->id,
			                 "requires '%s' is not a task id (module:name)", requires) != UPGRADE_OK)
				return upg_error_oom(&cat->error);
			return upg_error_set(&cat->error, UPGRADE_EINVAL, "requires '%s' is not a task id", requires);
		}
		t->requires = upg_arena_strdup(&cat->arena, requires);
		if (t->requires == NULL)
			return upg_error_oom(&cat->error);
	}
	rc = upg_catalog_add_task_obj(cat, t);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	if (rc != UPGRADE_OK)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "task '%s' cannot be added", t->id);
	return UPGRADE_OK;
}

/* ---- prepare ----------------------------------------------------------------------- */
/*
 * The order matters: parameter values first (a missing one is reported at
 * its <param>), then substitution (which needs them), then the planner,
 * then the diagnostics are sorted so that output does not depend on which
 * check found what.
 */

int
upgrade_catalog_prepare(struct upgrade_catalog *cat)
{
	int oom = 0, rc;
	size_t i;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	cat->prepared = 1;
	upg_error_clear(&cat->error);

	if (upg_check_params(cat) != UPGRADE_OK)
		return upg_error_oom(&cat->error);
	for (i = 0; i < cat->ntasks && !oom; i++) {
		struct upgrade_task *t = cat->tasks[i];

		if (t->guard != NULL)
			upg_substitute_nodes(cat, t, t->guard, 0, &oom);
		if (!oom)
			upg_substitute_nodes(cat, t, t->body, 0, &oom);
	}
	for (i = 0; i < cat->nmodules && !oom; i++)
		if (cat->modules[i]->install != NULL)
			upg_substitute_nodes(cat, cat->modules[i]->install, cat->modules[i]->install->body, 0, &oom);
	/* Attributes as the tasks will read them, placeholders substituted. */
	if (oom || upg_catalog_check(cat, 0, 0) != UPGRADE_OK)
		return upg_error_oom(&cat->error);
	rc = upg_plan_compute(cat);
	if (rc == UPGRADE_ENOMEM)
		return upg_error_oom(&cat->error);
	upg_diag_sort(cat);
	if (cat->ndiags > 0) {
		/* A plan from catalogs with errors must not be run by mistake. */
		free(cat->plan);
		cat->plan = NULL;
		cat->nplan = 0;
		return upg_diag_result(cat, 0);
	}
	rc = upg_plan_select(cat);
	cat->runnable = rc == UPGRADE_OK;
	return rc;
}

/* ---- accessors ------------------------------------------------------------------------ */

size_t
upgrade_catalog_task_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->nplan : 0;
}

const struct upgrade_task *
upgrade_catalog_task_at(const struct upgrade_catalog *cat, size_t index)
{
	return UPG_IS(cat, CATALOG) && index < cat->nplan ? cat->plan[index] : NULL;
}

const struct upgrade_task *
upgrade_catalog_find_task(const struct upgrade_catalog *cat, const char *id)
{
	const struct upgrade_task *t =
	    UPG_IS(cat, CATALOG) && id != NULL ? upg_map_get(&cat->task_map, id) : NULL;

	return t != NULL && !t->module->unselected ? t : NULL;
}

size_t
upgrade_catalog_module_count(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->nmodules : 0;
}

const struct upgrade_module *
upgrade_catalog_module_at(const struct upgrade_catalog *cat, size_t index)
{
	return UPG_IS(cat, CATALOG) && index < cat->nmodules ? cat->modules[index] : NULL;
}

const struct upgrade_module *
upgrade_catalog_find_module(const struct upgrade_catalog *cat, const char *name)
{
	const struct upgrade_module *m =
	    UPG_IS(cat, CATALOG) && name != NULL ? upg_map_get(&cat->module_map, name) : NULL;

	return m != NULL && !m->unselected ? m : NULL;
}

const char *
upgrade_task_id(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->id : NULL;
}

const char *
upgrade_task_module(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->module->name : NULL;
}

const char *
upgrade_task_name(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->name : NULL;
}

const char *
upgrade_task_description(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->description : NULL;
}

unsigned
upgrade_task_flags(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->flags : 0;
}

const char *
upgrade_task_requires(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->requires : NULL;
}

const char *
upgrade_task_file(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->module->file : NULL;
}

unsigned long
upgrade_task_line(const struct upgrade_task *task)
{
	return UPG_IS(task, TASK) ? task->line : 0;
}

const char *
upgrade_task_checksum(const struct upgrade_task *task)
{
	const char *sum = NULL;

	if (UPG_IS(task, TASK))
		upg_task_checksum(task, &sum);
	return sum;
}

const char *
upgrade_module_name(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->name : NULL;
}

const char *
upgrade_module_description(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->description : NULL;
}

const char *
upgrade_module_file(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->file : NULL;
}

unsigned long
upgrade_module_line(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->line : 0;
}

size_t
upgrade_module_depends_count(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->ndepends : 0;
}

const char *
upgrade_module_depends_at(const struct upgrade_module *module, size_t index)
{
	return UPG_IS(module, MODULE) && index < module->ndepends ? module->depends[index] : NULL;
}

size_t
upgrade_module_task_count(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->ntasks : 0;
}

const struct upgrade_task *
upgrade_module_install(const struct upgrade_module *module)
{
	return UPG_IS(module, MODULE) ? module->install : NULL;
}

/* The install block's task object; its id names it in messages. */
struct upgrade_task *
upg_install_new(struct upgrade_catalog *cat, struct upgrade_module *mod)
{
	struct upgrade_task *t = upg_arena_alloc(&cat->arena, sizeof *t);

	if (t == NULL)
		return NULL;
	t->name = UPG_INSTALL_NAME;
	t->id = upg_arena_printf(&cat->arena, "%s %s", mod->name, UPG_INSTALL_NAME);
	if (t->id == NULL)
		return NULL;
	t->module = mod;
	t->flags = UPGRADE_TASK_INSTALL;
	t->magic = UPG_MAGIC_TASK;
	return t;
}

int
upgrade_catalog_set_install(struct upgrade_catalog *cat, const char *module, upgrade_task_fn fn,
                            void *userdata)
{
	struct upgrade_module *mod;
	struct upgrade_task *t;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (module == NULL || fn == NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "an install block needs a module and a function");
	if (upg_catalog_check_loadable(cat) != UPGRADE_OK)
		return UPGRADE_EINVAL;
	mod = upg_map_get(&cat->module_map, module);
	if (mod == NULL)
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "unknown module '%s'", module);
	if (mod->install != NULL)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "module '%s' has an install block already",
		                     module);
	if ((t = upg_install_new(cat, mod)) == NULL)
		return upg_error_oom(&cat->error);
	t->fn = fn;
	t->userdata = userdata;
	t->flags |= UPGRADE_TASK_CODE;
	mod->install = t;
	return UPGRADE_OK;
}

int
upg_catalog_check_loadable(struct upgrade_catalog *cat)
{
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	return UPGRADE_OK;
}
