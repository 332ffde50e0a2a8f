/* Small numeric helpers shared by the controllers, the tuner and the benchmarks. */
#ifndef HB_NUMERIC_H
#define HB_NUMERIC_H

#include <math.h>
#include <stddef.h>

/* Sorts V[0..N-1] ascending, stably; V holds no NaN. */
void hb_sort_doubles(double *v, size_t n);

/* Median of V[0..N-1] (N >= 1); sorts V in place. */
double hb_median(double *v, size_t n);

/* fmod(H, 24.0), bit for bit, for the hour of the day the plant and the weather take on every
 * step: libm's fmod walks the quotient bit by bit, which over a long run is a loop per call.
 * For 0 < H < 2^52 the floor of the rounded quotient is the true one or one more, and both
 * H - 24 q and the correction by 24 are exact (the true results are multiples of H's ulp no
 * larger than H), so the result is fmod's exact remainder. Elsewhere it is fmod. */
static inline double hb_fmod24(double h) {
    if (!(h > 0.0 && h < 4503599627370496.0)) { /* zeros too: fmod keeps -0.0 */
        return fmod(h, 24.0);
    }
    double r = h - 24.0 * floor(h / 24.0);
    return r < 0.0 ? r + 24.0 : r;
}

#endif
