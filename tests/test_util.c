#define _POSIX_C_SOURCE 200809L
#include "../util/hb_error.h"
#include "../util/hb_ofile.h"
#include "../util/hb_strutil.h"
#include "hb_test.h"

#include <dirent.h>
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

int hb_test_util(void) {
    static const CU_TestInfo t[] = {
        {"edit distance, suggestions, strerror", test_distance_and_suggest},
        {"atomic output files", test_ofile_atomic},
        CU_TEST_INFO_NULL};
    return hb_test_register("util", t);
}
