/* SPDX-License-Identifier: MIT */
/*
 * benchutil.h - the timing shared by the benchmark programs.
 */
#ifndef UPGRADE_BENCHUTIL_H
#define UPGRADE_BENCHUTIL_H

#include <stdlib.h>
#include <time.h>

/* Monotonic milliseconds: wall time, immune to clock changes during a run. */
static inline double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v (n > 0) and returns its median. */
static inline double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
