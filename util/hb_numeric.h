/* Small numeric helpers shared by the controllers, the tuner and the benchmarks. */
#ifndef HB_NUMERIC_H
#define HB_NUMERIC_H

#include <stddef.h>

/* Sorts V[0..N-1] ascending, stably; V holds no NaN. */
void hb_sort_doubles(double *v, size_t n);

/* Median of V[0..N-1] (N >= 1); sorts V in place. */
double hb_median(double *v, size_t n);

#endif
