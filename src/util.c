/* SPDX-License-Identifier: MIT */
/*
 * util.c - strings, growable buffers, UTF-8 checks and ODBC connection
 * string handling shared by the library.
 *
 * Connection strings follow the ODBC grammar: "key=value" pairs separated
 * by ';', keys case-insensitive, a value in braces may contain ';' and '=',
 * and "}}" inside braces stands for one '}'.  Redaction must understand
 * braces, or a password such as "{a;PWD=b}" would leak its tail.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

long
upg_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
upg_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	/* A signal handled elsewhere in the host must not cut a wait short. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
upg_grow(void *arrp, size_t *cap, size_t need, size_t size, size_t min)
{
	size_t ncap;
	void *arr, *p;

	if (need <= *cap)
		return UPGRADE_OK;
	ncap = *cap > 0 ? *cap : (min > 0 ? min : 1);
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (size == 0 || ncap > SIZE_MAX / size)
		return UPGRADE_ENOMEM;
	/* arrp is a T **: go through memcpy rather than a void ** cast. */
	memcpy(&arr, arrp, sizeof arr);
	p = realloc(arr, ncap * size);
	if (p == NULL)
		return UPGRADE_ENOMEM;
	memcpy(arrp, &p, sizeof p);
	*cap = ncap;
	return UPGRADE_OK;
}

static int
buf_grow(struct upg_buf *buf, size_t extra)
{
	size_t want, cap;
	char *data;

	if (buf->failed)
		return -1;
	if (extra > (size_t)-1 - buf->len - 1)
		goto fail;
	want = buf->len + extra + 1;
	if (want <= buf->cap)
		return 0;
	cap = buf->cap ? buf->cap : 64;
	while (cap < want)
		cap = cap > (size_t)-1 / 2 ? want : cap * 2;
	data = realloc(buf->data, cap);
	if (data == NULL)
		goto fail;
	buf->data = data;
	buf->cap = cap;
	return 0;
fail:
	buf->failed = 1;
	return -1;
}

int
upg_buf_append(struct upg_buf *buf, const char *s, size_t n)
{
	if (buf_grow(buf, n) < 0)
		return -1;
	memcpy(buf->data + buf->len, s, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
	return 0;
}

int
upg_buf_puts(struct upg_buf *buf, const char *s)
{
	return upg_buf_append(buf, s, strlen(s));
}

int
upg_buf_putc(struct upg_buf *buf, char c)
{
	return upg_buf_append(buf, &c, 1);
}

int
upg_buf_printf(struct upg_buf *buf, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	int n;

	if (buf->failed)
		return -1;
	/*
	 * Formatted once when it fits a buffer on the stack, instead of
	 * measured first and formatted again: the SQL of every task's state
	 * write goes through here.
	 */
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf->failed = 1;
		return -1;
	}
	if ((size_t)n < sizeof small)
		return upg_buf_append(buf, small, (size_t)n);
	if (buf_grow(buf, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return 0;
}

char *
upg_buf_detach(struct upg_buf *buf)
{
	char *s;

	if (buf->failed) {
		upg_buf_free(buf);
		return NULL;
	}
	s = buf->data != NULL ? buf->data : upg_strdup("");
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return s;
}

void
upg_buf_free(struct upg_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
	buf->failed = 0;
}

const char *
upg_buf_str(const struct upg_buf *buf)
{
	return buf->data != NULL ? buf->data : "";
}

char *
upg_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

int
upg_cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
upg_strdup(const char *s)
{
	return s != NULL ? upg_strndup(s, strlen(s)) : NULL;
}

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int
upg_strncaseeq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return 0;
		if (a[i] == '\0')
			return 1;
	}
	return 1;
}

int
upg_strcaseeq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && upg_strncaseeq(a, b, la);
}

size_t
upg_text_length(const char *s, enum upg_len_unit unit)
{
	size_t n = 0;

	if (unit == UPG_LEN_BYTES)
		return strlen(s);
	/* A character is its lead byte; one beyond the BMP (a 4-byte form) takes two UTF-16 units. */
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		n += (c & 0xc0) != 0x80;
		n += unit == UPG_LEN_UTF16 && c >= 0xf0;
	}
	return n;
}

const char *
upg_len_unit_name(enum upg_len_unit unit)
{
	return unit == UPG_LEN_CHARS ? "characters" : unit == UPG_LEN_UTF16 ? "UTF-16 units" : "bytes";
}

int
upg_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Reject overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += n + 1;
	}
	return 1;
}

/* The bytes of the well-formed UTF-8 character s starts with (1 to 4), or 0. */
static size_t
utf8_char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : 4;
	size_t k;

	/* Never past the terminator, which no continuation byte can be. */
	for (k = 1; k < n; k++)
		if (s[k] == '\0')
			return 0;
	return n > 0 && upg_utf8_valid(s, n) ? n : 0;
}

void
upg_buf_put_shown(struct upg_buf *buf, const char *s)
{
	while (*s != '\0') {
		unsigned char c = (unsigned char)*s;
		size_t n = utf8_char_len(s);

		if (n == 0 || c < 0x20 || c == 0x7f) {
			upg_buf_printf(buf, "\\x%02X", c);
			s++;
		} else {
			upg_buf_append(buf, s, n);
			s += n;
		}
	}
}

long
upg_version_parse(const char *ver)
{
	long major = 0, minor = 0;
	const char *p = ver;

	if (p == NULL)
		return 0;
	while (*p != '\0' && (*p < '0' || *p > '9'))
		p++;
	if (*p == '\0')
		return 0;
	while (*p >= '0' && *p <= '9' && major < 100000)
		major = major * 10 + (*p++ - '0');
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9' && minor < 1000)
			minor = minor * 10 + (*p++ - '0');
	}
	if (minor > 999)
		minor = 999;
	return major * 1000 + minor;
}

/*
 * One "key=value" pair of a connection string.  Offsets point into the
 * string; the value span includes its braces.
 */
struct connstr_pair {
	size_t start;     /* first byte of the pair */
	size_t key, key_len;
	size_t value, value_len; /* value_len 0 and value == end when there is no '=' */
	size_t end;       /* the ';' or the terminating NUL */
	int has_value;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses the pair starting at pos; returns 0 at the end of the string. */
static int
connstr_next(const char *s, size_t pos, struct connstr_pair *p)
{
	size_t i = pos;

	if (s[pos] == '\0')
		return 0;
	memset(p, 0, sizeof *p);
	p->start = pos;
	while (is_space(s[i]))
		i++;
	p->key = i;
	while (s[i] != '\0' && s[i] != '=' && s[i] != ';')
		i++;
	p->key_len = i - p->key;
	while (p->key_len > 0 && is_space(s[p->key + p->key_len - 1]))
		p->key_len--;
	if (s[i] != '=') {
		p->value = p->end = i;
		return 1;
	}
	p->has_value = 1;
	i++;
	while (is_space(s[i]))
		i++;
	p->value = i;
	if (s[i] == '{') {
		i++;
		while (s[i] != '\0') {
			if (s[i] == '}') {
				if (s[i + 1] == '}') {
					i += 2;
					continue;
				}
				i++;
				break;
			}
			i++;
		}
		p->value_len = i - p->value;
		/* Anything between the closing brace and ';' is not part of the value. */
		while (s[i] != '\0' && s[i] != ';')
			i++;
	} else {
		while (s[i] != '\0' && s[i] != ';')
			i++;
		p->value_len = i - p->value;
		while (p->value_len > 0 && is_space(s[p->value + p->value_len - 1]))
			p->value_len--;
	}
	p->end = i;
	return 1;
}

static int
is_password_key(const char *s, size_t len)
{
	return (len == 3 && upg_strncaseeq(s, "pwd", 3)) ||
	       (len == 8 && upg_strncaseeq(s, "password", 8));
}

char *
upg_connstr_redact(const char *connstr)
{
	struct upg_buf out = UPG_BUF_INIT;
	struct connstr_pair p;
	size_t pos = 0;

	if (connstr == NULL)
		return NULL;
	while (connstr_next(connstr, pos, &p)) {
		if (p.has_value && is_password_key(connstr + p.key, p.key_len)) {
			upg_buf_append(&out, connstr + p.start, p.value - p.start);
			upg_buf_puts(&out, "***");
		} else {
			upg_buf_append(&out, connstr + p.start, p.end - p.start);
		}
		if (connstr[p.end] == ';')
			upg_buf_putc(&out, ';');
		pos = connstr[p.end] == ';' ? p.end + 1 : p.end;
	}
	if (out.data == NULL && !out.failed)
		return upg_strdup("");
	return upg_buf_detach(&out);
}

char *
upg_connstr_get(const char *connstr, const char *keyword)
{
	struct connstr_pair p;
	size_t pos = 0, klen = strlen(keyword);
	char *found = NULL;

	while (connstr_next(connstr, pos, &p)) {
		if (p.has_value && p.key_len == klen && upg_strncaseeq(connstr + p.key, keyword, klen)) {
			struct upg_buf v = UPG_BUF_INIT;
			const char *val = connstr + p.value;
			size_t i, n = p.value_len;

			if (n >= 2 && val[0] == '{' && val[n - 1] == '}') {
				for (i = 1; i + 1 < n; i++) {
					upg_buf_putc(&v, val[i]);
					if (val[i] == '}' && val[i + 1] == '}')
						i++;
				}
			} else {
				upg_buf_append(&v, val, n);
			}
			free(found);
			/* The last occurrence wins, as in the driver manager. */
			found = v.data != NULL || v.failed ? upg_buf_detach(&v) : upg_strdup("");
		}
		pos = connstr[p.end] == ';' ? p.end + 1 : p.end;
	}
	return found;
}

void
upg_connstr_append(struct upg_buf *buf, const char *key, const char *value)
{
	const char *c;
	int brace = value[0] == '\0' || is_space(value[0]) ||
	            strpbrk(value, ";{}=") != NULL;

	if (buf->len > 0 && buf->data[buf->len - 1] != ';')
		upg_buf_putc(buf, ';');
	upg_buf_puts(buf, key);
	upg_buf_putc(buf, '=');
	if (!brace) {
		upg_buf_puts(buf, value);
		return;
	}
	upg_buf_putc(buf, '{');
	for (c = value; *c != '\0'; c++) {
		upg_buf_putc(buf, *c);
		if (*c == '}')
			upg_buf_putc(buf, '}');
	}
	upg_buf_putc(buf, '}');
}

void
upg_utc_now(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ld", base, (long)tv.tv_usec);
}

/*
 * Writes a stored time ("YYYY-MM-DD HH:MM:SS[.f...]", UTC, as upg_utc_now()
 * writes it and as the engines give back a TIMESTAMP) in RFC 3339 with six
 * fraction digits and "Z", so that the times sort as text.  Text that is
 * no such time is kept as it is.
 */
void
upg_time_rfc3339(const char *in, char *out, size_t size)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	char frac[7] = "000000";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (in[i] == '\0' ||
		    (shape[i] == 'd' ? !(in[i] >= '0' && in[i] <= '9')
		                     : in[i] != shape[i] && !(i == 10 && in[i] == 'T'))) {
			snprintf(out, size, "%s", in);
			return;
		}
	}
	if (in[i] == '.')
		for (i++; i < sizeof shape + 6 && in[i] >= '0' && in[i] <= '9'; i++)
			frac[i - sizeof shape] = in[i];
	snprintf(out, size, "%.10sT%.8s.%sZ", in, in + 11, frac);
}

unsigned long long
upg_hash62(const char *s)
{
	unsigned long long h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h & 0x3fffffffffffffffULL;
}

const char *
upg_lock_owner(void)
{
	/* Per thread (parallel runs) and computed each time (a forked child has its own pid). */
	static __thread char owner[128];
	char host[64];

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "unknown");
	host[sizeof host - 1] = '\0';
	snprintf(owner, sizeof owner, "%s pid %ld", host, (long)getpid());
	return owner;
}
