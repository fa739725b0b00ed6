/* SPDX-License-Identifier: MIT */
/*
 * catalog-checksum.c - a task's checksum: SHA-256 of a canonical form of
 * its body, so that reformatting a file does not change it.
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
	while (upg_xml_is_space(*s))
		s++;
	for (; *s != '\0'; s++) {
		if (upg_xml_is_space(*s)) {
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

/* The -j workers share the catalog, and may ask for one task's checksum at once. */
static pthread_mutex_t checksum_lock = PTHREAD_MUTEX_INITIALIZER;

/* SHA-256 over the canonical form of t's guard and body, as 64 hex digits; -1 without memory. */
static int
task_digest(const struct upgrade_task *t, char out[2 * SHA256_DIGEST_SIZE + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct upg_buf buf = UPG_BUF_INIT;
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	const struct upg_node *n;
	size_t i;

	upg_buf_puts(&buf, "upgrade-checksum-1\n");
	if (t->guard != NULL)
		canon_node(&buf, t->guard);
	for (n = t->body; n != NULL; n = n->next)
		canon_node(&buf, n);
	if (buf.failed) {
		upg_buf_free(&buf);
		return -1;
	}
	sha256_init(&ctx);
	sha256_update(&ctx, buf.len, (const uint8_t *)buf.data);
	sha256_digest(&ctx, sizeof digest, digest);
	upg_buf_free(&buf);
	for (i = 0; i < sizeof digest; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[2 * sizeof digest] = '\0';
	return 0;
}

/*
 * Computed when first asked for, not at load: a run with nothing to do,
 * validate and list never need most of them, and computing them all cost
 * 0.3 ms and 65 KB per 1,000 tasks (see bench/README.md).  The string goes
 * to the arena of the task's catalog, which nothing else allocates from
 * once a run has started, so it lives and dies with the catalog.
 */
int
upg_task_checksum(const struct upgrade_task *t, const char **out)
{
	struct upgrade_task *task = (struct upgrade_task *)t;
	char sum[2 * SHA256_DIGEST_SIZE + 1];
	int ret = UPGRADE_OK;

	*out = NULL;
	if (t->fn != NULL)
		return UPGRADE_OK;
	pthread_mutex_lock(&checksum_lock);
	if (task->checksum == NULL) {
		if (t->module == NULL || t->module->cat == NULL || task_digest(t, sum) != 0 ||
		    (task->checksum = upg_arena_strdup(&t->module->cat->arena, sum)) == NULL)
			ret = UPGRADE_ENOMEM;
	}
	*out = task->checksum;
	pthread_mutex_unlock(&checksum_lock);
	return ret;
}
