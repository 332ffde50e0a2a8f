#include "hb_numeric.h"

#include <stdlib.h>

static int hb__cmp_double(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

void hb_sort_doubles(double *v, size_t n) {
    qsort(v, n, sizeof *v, hb__cmp_double);
}

double hb_median(double *v, size_t n) {
    hb_sort_doubles(v, n);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
