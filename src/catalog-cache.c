/* SPDX-License-Identifier: MIT */
/*
 * catalog-cache.c - the directory where a catalog file that loaded
 * without a diagnostic is remembered, so that a later process loading the
 * same bytes skips the schema, the validation and (catalog-compiled.c)
 * the parsing.
 *
 * An entry is a file named by the SHA-256 of this library's version, the
 * schema's digest, the library's build ID and the catalog's bytes: it says
 * "these exact bytes were valid under this exact schema, and this is what
 * this build made of them".  So a changed catalog, schema or library finds
 * no entry, and an entry cut
 * short, garbled, replaced by something that is not a regular file or
 * written by another user is ignored: the file is then loaded from its
 * bytes and validated, as without a cache.  The directory must belong to
 * the user and be writable by nobody else, as with any file that decides
 * what runs; otherwise it is not used.  Entries no load has used for 30
 * days are removed when a new one is written.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#ifdef HAVE_LINK_H
#include <link.h>
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlversion.h>
#include <nettle/sha2.h>

#include "catalog-load.h"

/* The entry names' prefix: a new layout or meaning gets a new one. */
#define ENTRY_PREFIX "compiled-1-"

/*
 * An entry no load has used for this long is removed when a new one is
 * written: every edit of a catalog leaves one behind, and nothing else
 * would ever clean them up.  A hit renews its entry's time.
 */
#define UNUSED_SECONDS (30L * 24 * 3600)

int
upgrade_catalog_set_cache_dir(struct upgrade_catalog *cat, const char *dir)
{
	char *copy = NULL;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (dir != NULL && *dir != '\0' && (copy = upg_strdup(dir)) == NULL)
		return upg_error_oom(&cat->error);
	free(cat->cache_dir);
	cat->cache_dir = copy;
	cat->cache_state = 0;
	return UPGRADE_OK;
}

size_t
upgrade_catalog_cache_hits(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->cache_hits : 0;
}

size_t
upgrade_catalog_cache_compiled(const struct upgrade_catalog *cat)
{
	return UPG_IS(cat, CATALOG) ? cat->compiled_files : 0;
}

/*
 * Creates dir and its missing parents, each private to the user, but only
 * inside a directory of the user's: a run as root with another user's
 * $HOME must not leave root's directories in that home.
 */
static int
make_dirs(const char *dir)
{
	char *p, *copy = upg_strdup(dir), c;
	struct stat st;
	uid_t parent = (uid_t)-1;
	int rc = 0;

	if (copy == NULL)
		return -1;
	/* A relative path starts in the working directory, whose owner counts as its parent's. */
	if (copy[0] != '/' && stat(".", &st) == 0)
		parent = st.st_uid;
	for (p = copy + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (stat(copy, &st) == 0)
			parent = st.st_uid;
		else if (errno != ENOENT || parent != geteuid() || mkdir(copy, 0700) != 0)
			rc = -1;
		else
			parent = geteuid();
		*p = c;
		if (c == '\0')
			break;
	}
	free(copy);
	return rc;
}

/*
 * Whether the cache may be used: a directory (made if missing) of the
 * user's that nobody else may write to.  Decided once per catalog.
 */
static int
cache_usable(struct upgrade_catalog *cat)
{
	struct stat st;

	if (cat->cache_dir == NULL)
		return 0;
	if (cat->cache_state == 0) {
		if (stat(cat->cache_dir, &st) != 0 && errno == ENOENT)
			(void)make_dirs(cat->cache_dir);
		cat->cache_state = stat(cat->cache_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		                           st.st_uid == geteuid() && (st.st_mode & 022) == 0
		                       ? 1
		                       : -1;
	}
	return cat->cache_state == 1;
}

/*
 * The build ID (ld --build-id) of the object this code is in, in hex: an
 * entry holds what this very build made of a file (node kinds, dialect
 * bits, checksums), which another build of the same version may number
 * or compute otherwise.  Empty when there is none; the cache is then not
 * used.
 */
static char build_id[2 * 64 + 1];
static pthread_once_t build_id_once = PTHREAD_ONCE_INIT;

#if defined(HAVE_LINK_H) && defined(HAVE_DL_ITERATE_PHDR)
/* n rounded up to a multiple of align (a power of two). */
static size_t
align_up(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

static int
find_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t self = (uintptr_t)data;
	int i, ours = 0;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && self >= start && self - start < ph->p_memsz)
			ours = 1;
	}
	for (i = 0; ours && i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const unsigned char *p = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
		size_t left = ph->p_memsz, align = ph->p_align == 8 ? 8 : 4;

		/* Each note: its header, its name and its descriptor, each padded to align. */
		while (ph->p_type == PT_NOTE && left >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const void *)p;
			size_t desc = align_up(sizeof *nh + nh->n_namesz, align), next, k;

			if (desc > left || nh->n_descsz > left - desc)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + sizeof *nh, "GNU", 4) == 0 && nh->n_descsz <= 64) {
				for (k = 0; k < nh->n_descsz; k++)
					snprintf(build_id + 2 * k, 3, "%02x", p[desc + k]);
				return 1;
			}
			next = align_up(desc + nh->n_descsz, align);
			if (next >= left)
				break;
			p += next;
			left -= next;
		}
	}
	return ours;
}
#endif

static void
read_build_id(void)
{
#if defined(HAVE_LINK_H) && defined(HAVE_DL_ITERATE_PHDR)
	(void)dl_iterate_phdr(find_build_id, build_id);
#endif
}

int
upg_cache_key(struct upgrade_catalog *cat, const char *buf, size_t len, char key[65])
{
	char schema[65];
	struct sha256_ctx h;
	uint8_t md[SHA256_DIGEST_SIZE];
	size_t i;

	pthread_once(&build_id_once, read_build_id);
	if (build_id[0] == '\0' || !cache_usable(cat) ||
	    upg_xml_schema_digest(schema, sizeof schema) != 0)
		return -1;
	sha256_init(&h);
	sha256_update(&h, sizeof PACKAGE_VERSION, (const uint8_t *)PACKAGE_VERSION);
	sha256_update(&h, sizeof schema, (const uint8_t *)schema);
	/* libxml2 validates: another release of it may judge the same bytes otherwise. */
	sha256_update(&h, strlen(xmlParserVersion) + 1, (const uint8_t *)xmlParserVersion);
	sha256_update(&h, strlen(build_id) + 1, (const uint8_t *)build_id);
	sha256_update(&h, len, (const uint8_t *)buf);
	sha256_digest(&h, sizeof md, md);
	for (i = 0; i < sizeof md; i++)
		snprintf(key + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The path of key's entry, malloc'ed; tmp for the file it is written as first. */
static char *
entry_path(const struct upgrade_catalog *cat, const char *key, int tmp)
{
	size_t n = strlen(cat->cache_dir) + sizeof ENTRY_PREFIX + 64 + 32;
	char *path = malloc(n);

	if (path == NULL)
		return NULL;
	if (tmp)
		snprintf(path, n, "%s/.%s%s.%ld", cat->cache_dir, ENTRY_PREFIX, key, (long)getpid());
	else
		snprintf(path, n, "%s/%s%s", cat->cache_dir, ENTRY_PREFIX, key);
	return path;
}

int
upg_cache_read(struct upgrade_catalog *cat, const char *key, size_t max, char **data, size_t *len)
{
	char *path = entry_path(cat, key, 0), *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	*data = NULL;
	*len = 0;
	if (path == NULL)
		return -1;
	/* Never follow a link, never wait on a FIFO. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_size <= 0 || (uintmax_t)st.st_size > max ||
	    (buf = malloc((size_t)st.st_size)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size &&
	       ((n = read(fd, buf + got, (size_t)st.st_size - got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += (size_t)n;
	if (got != (size_t)st.st_size) {
		free(buf);
		close(fd);
		return -1;
	}
	/* Used now: kept for another UNUSED_SECONDS (failing to say so costs nothing). */
	(void)futimens(fd, NULL);
	close(fd);
	*data = buf;
	*len = got;
	return 0;
}

/*
 * Removes the entries not used for UNUSED_SECONDS, and files that a writer
 * killed half-way left behind (".compiled-1-*" for more than an hour).  Only
 * our own regular files are touched.
 */
static void
expire(const struct upgrade_catalog *cat)
{
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	DIR *dir = opendir(cat->cache_dir);
	int fd;

	if (dir == NULL)
		return;
	fd = dirfd(dir);
	while ((e = readdir(dir)) != NULL) {
		int entry = strncmp(e->d_name, ENTRY_PREFIX, strlen(ENTRY_PREFIX)) == 0;
		int partial = e->d_name[0] == '.' &&
		              strncmp(e->d_name + 1, ENTRY_PREFIX, strlen(ENTRY_PREFIX)) == 0;

		if ((!entry && !partial) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
		    st.st_uid != geteuid())
			continue;
		if (now - st.st_mtime > (entry ? UNUSED_SECONDS : 3600L))
			(void)unlinkat(fd, e->d_name, 0);
	}
	closedir(dir);
}

void
upg_cache_write(struct upgrade_catalog *cat, const char *key, const char *data, size_t len)
{
	char *tmp = entry_path(cat, key, 1), *path = entry_path(cat, key, 0);
	size_t done = 0;
	ssize_t n;
	int fd = -1, ok;

	/* Written aside and renamed: a reader sees a whole entry or none. */
	if (tmp != NULL && path != NULL &&
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
		while (done < len && ((n = write(fd, data + done, len - done)) > 0 ||
		                      (n < 0 && errno == EINTR)))
			if (n > 0)
				done += (size_t)n;
		ok = done == len;
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) != 0)
			unlink(tmp);
	}
	free(tmp);
	free(path);
	expire(cat);
}
