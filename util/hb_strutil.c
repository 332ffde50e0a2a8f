#include "hb_strutil.h"

#include <string.h>

#define HB__DIST_MAXLEN 64

unsigned hb_str_distance(const char *a, const char *b) {
    size_t la = strlen(a);
    size_t lb = strlen(b);
    if (la > HB__DIST_MAXLEN || lb > HB__DIST_MAXLEN) {
        return 255;
    }
    /* Two-row dynamic programme: O(la*lb) time, O(lb) space, no allocation. */
    unsigned prev[HB__DIST_MAXLEN + 1];
    unsigned cur[HB__DIST_MAXLEN + 1];
    for (size_t j = 0; j <= lb; j++) {
        prev[j] = (unsigned)j;
    }
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1;
            unsigned ins = cur[j - 1] + 1;
            unsigned m = sub < del ? sub : del;
            cur[j] = m < ins ? m : ins;
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb] > 255 ? 255 : prev[lb];
}

const char *hb_str_suggest(const char *word, const char *const *candidates, size_t n) {
    const char *best = NULL;
    unsigned best_d = 256;
    for (size_t i = 0; i < n; i++) {
        unsigned d = hb_str_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    size_t len = strlen(word);
    unsigned limit = len / 3 > 2 ? (unsigned)(len / 3) : 2;
    return best_d <= limit ? best : NULL;
}
