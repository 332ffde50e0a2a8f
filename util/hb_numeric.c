#include "hb_numeric.h"

#include <stdlib.h>

static int hb__cmp_double(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

void hb_sort_doubles(double *v, size_t n) {
    /* The fusion sorts its few readings on every one that arrives: an insertion sort, inline,
     * is several times faster than qsort's calls through a comparison pointer there. Both are
     * stable, so the result is the same array (a -0.0 and a 0.0 keep their order). */
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            double x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1] > x; j--) {
                v[j] = v[j - 1];
            }
            v[j] = x;
        }
        return;
    }
    qsort(v, n, sizeof *v, hb__cmp_double);
}

double hb_median(double *v, size_t n) {
    hb_sort_doubles(v, n);
    return (n % 2) ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
