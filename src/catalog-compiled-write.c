/* SPDX-License-Identifier: MIT */
/*
 * catalog-compiled-write.c - writes the compiled entry of a catalog file
 * that loaded without a diagnostic: the module it built, in the layout
 * catalog-compiled.c describes and reads back.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha2.h>

#include "catalog-load.h"

struct writer {
	struct upg_buf out;     /* the records */
	struct upg_buf strings; /* the string table */
	struct upg_map seen;    /* string -> offset + 1: names repeat on every element */
	int failed;
};

static void
put_u32(struct writer *w, uint64_t v)
{
	unsigned char b[4];

	if (v > UINT32_MAX) {
		w->failed = 1;
		return;
	}
	b[0] = (unsigned char)v;
	b[1] = (unsigned char)(v >> 8);
	b[2] = (unsigned char)(v >> 16);
	b[3] = (unsigned char)(v >> 24);
	if (upg_buf_append(&w->out, (const char *)b, 4) != 0)
		w->failed = 1;
}

static void
put_str(struct writer *w, const char *s)
{
	void *at;
	size_t off;

	if (s == NULL) {
		put_u32(w, UPG_COMPILED_NO_STRING);
		return;
	}
	at = upg_map_get(&w->seen, s);
	if (at != NULL) {
		put_u32(w, (uintptr_t)at - 1);
		return;
	}
	off = w->strings.len;
	if (off >= UPG_COMPILED_NO_STRING || upg_buf_append(&w->strings, s, strlen(s) + 1) != 0 ||
	    upg_map_put(&w->seen, s, (void *)(uintptr_t)(off + 1), NULL) < 0) {
		w->failed = 1;
		return;
	}
	put_u32(w, off);
}

static void
put_list(struct writer *w, const struct upg_node *list)
{
	const struct upg_node *n;
	size_t count = 0, i;

	for (n = list; n != NULL; n = n->next)
		count++;
	put_u32(w, count);
	for (n = list; n != NULL && !w->failed; n = n->next) {
		put_str(w, n->name);
		put_u32(w, n->line);
		put_str(w, n->raw);
		put_u32(w, n->nattrs);
		for (i = 0; i < n->nattrs; i++) {
			put_str(w, n->attrs[i].name);
			put_str(w, n->attrs[i].raw);
		}
		put_list(w, n->child);
	}
}

static void
put_task(struct writer *w, const struct upgrade_task *t)
{
	put_str(w, t->name);
	put_str(w, t->description);
	put_str(w, t->requires);
	put_u32(w, t->line);
	put_u32(w, t->flags);
	put_list(w, t->guard);
	put_list(w, t->body);
}

void
upg_compiled_save(struct loader *ld, const char *key, size_t first_task)
{
	struct upgrade_catalog *cat = ld->cat;
	const struct upgrade_module *mod = ld->module;
	struct writer w;
	struct upg_buf entry = UPG_BUF_INIT;
	struct sha256_ctx h;
	uint64_t limits[UPG_COMPILED_NLIMITS];
	unsigned char b[8];
	size_t i, j;

	if (mod == NULL || first_task > cat->ntasks)
		return;
	memset(&w, 0, sizeof w);
	put_str(&w, mod->name);
	put_str(&w, mod->description);
	put_u32(&w, mod->line);
	put_u32(&w, mod->ndepends);
	for (i = 0; i < mod->ndepends; i++) {
		put_str(&w, mod->depends[i]);
		put_u32(&w, mod->depends_line[i]);
	}
	put_u32(&w, mod->nparams);
	for (i = 0; i < mod->nparams; i++) {
		put_str(&w, mod->params[i].name);
		put_str(&w, mod->params[i].def);
		put_u32(&w, mod->params[i].line);
	}
	put_u32(&w, cat->ntasks - first_task);
	for (i = first_task; i < cat->ntasks && !w.failed; i++) {
		if (cat->tasks[i]->module != mod)
			w.failed = 1;
		put_task(&w, cat->tasks[i]);
	}
	put_u32(&w, mod->install != NULL);
	if (mod->install != NULL) {
		put_str(&w, mod->install->description);
		put_u32(&w, mod->install->line);
		put_list(&w, mod->install->body);
	}

	if (!w.failed && w.strings.len < UPG_COMPILED_NO_STRING && !w.out.failed && !w.strings.failed) {
		(void)upg_buf_append(&entry, UPG_COMPILED_MAGIC, UPG_COMPILED_MAGIC_LEN);
		(void)upg_buf_append(&entry, (const char[SHA256_DIGEST_SIZE]){0}, SHA256_DIGEST_SIZE);
		(void)upg_buf_append(&entry, key, 64);
		upg_compiled_limits(cat, limits);
		for (i = 0; i < UPG_COMPILED_NLIMITS; i++) {
			for (j = 0; j < 8; j++)
				b[j] = (unsigned char)(limits[i] >> (8 * j));
			(void)upg_buf_append(&entry, (const char *)b, 8);
		}
		for (j = 0; j < 4; j++)
			b[j] = (unsigned char)(w.strings.len >> (8 * j));
		(void)upg_buf_append(&entry, (const char *)b, 4);
		(void)upg_buf_append(&entry, w.strings.data, w.strings.len);
		(void)upg_buf_append(&entry, w.out.data, w.out.len);
		if (!entry.failed && entry.len > UPG_COMPILED_HEAD_LEN && entry.len <= upg_compiled_entry_max(ld->len)) {
			sha256_init(&h);
			sha256_update(&h, entry.len - UPG_COMPILED_MAGIC_LEN - SHA256_DIGEST_SIZE,
			              (const uint8_t *)entry.data + UPG_COMPILED_MAGIC_LEN + SHA256_DIGEST_SIZE);
			sha256_digest(&h, SHA256_DIGEST_SIZE, (uint8_t *)entry.data + UPG_COMPILED_MAGIC_LEN);
			upg_cache_write(cat, key, entry.data, entry.len);
		}
	}
	upg_buf_free(&entry);
	upg_buf_free(&w.out);
	upg_buf_free(&w.strings);
	upg_map_free(&w.seen);
}
