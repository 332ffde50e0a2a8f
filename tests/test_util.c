#define _POSIX_C_SOURCE 200809L
#include "../util/hb_error.h"
#include "../util/hb_numeric.h"
#include "../util/hb_ofile.h"
#include "../util/hb_strutil.h"
#include "hb_test.h"

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_distance_and_suggest(void) {
    CU_ASSERT_EQUAL(hb_str_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(hb_str_distance("", "abc"), 3);
    CU_ASSERT_EQUAL(hb_str_distance("same", "same"), 0);
    static const char *const keys[] = {"ua_w_per_k", "direct_share", "window_area_m2"};
    CU_ASSERT_STRING_EQUAL(hb_str_suggest("ua_w_per_kk", keys, 3), "ua_w_per_k");
    CU_ASSERT_STRING_EQUAL(hb_str_suggest("direct_shar", keys, 3), "direct_share");
    CU_ASSERT_PTR_NULL(hb_str_suggest("zzzz", keys, 3)); /* no plausible typo: no hint */
    CU_ASSERT_STRING_EQUAL(hb_strerror(HB_ERR_IO), "input/output error");
    CU_ASSERT_STRING_EQUAL(hb_strerror(9999), "unknown error");
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    char *buf = calloc(1, 256);
    if (buf && fread(buf, 1, 255, f) == 0) {
        buf[0] = '\0';
    }
    fclose(f);
    return buf;
}

/* A committed file replaces the old one; an aborted one leaves it untouched and no temporary. */
static void test_ofile_atomic(void) {
    char dir[] = "/tmp/hb_ofile_XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    int err;
    hb_ofile *f = hb_ofile_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("good\n", hb_ofile_stream(f));
    CU_ASSERT_EQUAL(hb_ofile_commit(f), HB_OK);
    f = hb_ofile_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("half", hb_ofile_stream(f));
    hb_ofile_abort(f);
    char *text = slurp(path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_STRING_EQUAL(text, "good\n");
    free(text);
    int files = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        files += e->d_name[0] != '.';
    }
    if (d) {
        closedir(d);
    }
    CU_ASSERT_EQUAL(files, 1); /* no temporary left behind */
    /* A directory is refused; /dev/null is written in place, not replaced. */
    CU_ASSERT_PTR_NULL(hb_ofile_open(dir, &err));
    CU_ASSERT_EQUAL(err, HB_ERR_IO);
    f = hb_ofile_open("/dev/null", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("x", hb_ofile_stream(f));
    CU_ASSERT_EQUAL(hb_ofile_commit(f), HB_OK);
    struct stat st;
    CU_ASSERT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    unlink(path);
    rmdir(dir);
}

/* hb_fmod24 is fmod(h, 24) bit for bit: around every multiple of 24 up to 100 years of hours
 * (one ulp either side, where the rounded quotient lands on the wrong integer), on a spread of
 * ordinary values, and where it hands over to fmod (negative, huge, infinite, NaN). */
/* Bit for bit: -0.0 is not 0.0 here. */
static bool same_bits(double a, double b) {
    uint64_t x;
    uint64_t y;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

static void test_fmod24(void) {
    int bad = 0;
    for (long k = 0; k <= 876000 / 24 + 1; k++) {
        double m = 24.0 * (double)k;
        double around[] = {nextafter(m, -1.0), m, nextafter(m, INFINITY), m + 0.5, m + 23.999};
        for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
            bad += !same_bits(hb_fmod24(around[i]), fmod(around[i], 24.0));
        }
    }
    double h = 1e-300;
    for (long i = 0; i < 8000000 && h < 1e15; i++) {
        bad += !same_bits(hb_fmod24(h), fmod(h, 24.0));
        h *= 1.0001;
    }
    CU_ASSERT_EQUAL(bad, 0);
    double edge[] = {-0.0, 0.0, -5.0, -24.0, -1e-20, 4503599627370496.0, 1e300, INFINITY};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        CU_ASSERT(same_bits(hb_fmod24(edge[i]), fmod(edge[i], 24.0)));
    }
    CU_ASSERT(isnan(hb_fmod24(NAN)));
}

/* The small-array path of the sort (insertion) agrees with qsort's order, stable. */
static void test_sort_small(void) {
    double v[] = {3.0, -1.0, 0.0, -0.0, 2.5, 3.0, -7.0};
    hb_sort_doubles(v, sizeof v / sizeof v[0]);
    double want[] = {-7.0, -1.0, 0.0, -0.0, 2.5, 3.0, 3.0};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        CU_ASSERT(same_bits(v[i], want[i])); /* 0.0 before -0.0: stable */
    }
    double m[] = {5.0, 1.0, 4.0, 2.0};
    HB_ASSERT_NEAR(hb_median(m, 4), 3.0, 0.0);
}

int hb_test_util(void) {
    static const CU_TestInfo t[] = {
        {"edit distance, suggestions, strerror", test_distance_and_suggest},
        {"atomic output files", test_ofile_atomic},
        {"hb_fmod24 is fmod bit for bit", test_fmod24},
        {"small sorts: stable, as qsort", test_sort_small},
        CU_TEST_INFO_NULL};
    return hb_test_register("util", t);
}
