#include "hb_strutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

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

static int hb__digits(const char **p) {
    int n = 0;
    while (**p >= '0' && **p <= '9') {
        (*p)++;
        n++;
    }
    return n;
}

int hb_parse_decimal(const char *s, double *out, const char **end) {
    const char *p = s;
    if (*p == '+' || *p == '-') {
        p++;
    }
    int mant = hb__digits(&p);
    if (*p == '.') {
        p++;
        mant += hb__digits(&p);
    }
    if (mant == 0) {
        return -1;
    }
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        if (*q == '+' || *q == '-') {
            q++;
        }
        if (hb__digits(&q) > 0) {
            p = q;
        }
    }
    /* The syntax is checked; strtod converts exactly the same characters (the "C" locale). */
    char *stop;
    errno = 0;
    double v = strtod(s, &stop);
    if (stop != p || errno == ERANGE || !isfinite(v)) {
        return -1;
    }
    *out = v;
    if (end) {
        *end = p;
    }
    return 0;
}

int hb_parse_number(const char *s, int trailing_blanks, double *out) {
    const char *end;
    if (hb_parse_decimal(s, out, &end) != 0) {
        return -1;
    }
    while (trailing_blanks && (*end == ' ' || *end == '\t')) {
        end++;
    }
    return *end == '\0' ? 0 : -1;
}

bool hb_str_has_control(const char *s) {
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return true;
        }
    }
    return false;
}

void hb_str_printable(const char *s, char *out, size_t len) {
    if (len == 0) {
        return;
    }
    size_t k = 0;
    for (; s[k] && k + 1 < len; k++) {
        unsigned char c = (unsigned char)s[k];
        unsigned char next = (unsigned char)s[k + 1];
        if (c < 0x20 || c == 0x7f) {
            out[k] = '?';
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f && k + 2 < len) {
            out[k] = out[k + 1] = '?'; /* a C1 control (CSI and friends) in UTF-8 */
            k++;
        } else {
            out[k] = (char)c;
        }
    }
    out[k] = '\0';
    if (s[k] && len >= 4) {
        memcpy(out + len - 4, "...", 4);
    }
}
