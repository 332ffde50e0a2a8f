#define _POSIX_C_SOURCE 200809L /* readlink */
#include "hb_datadir.h"
#include "hb_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int hb__isdir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The directory of the running binary (from /proc/self/exe), or "" when it cannot be told. */
static void hb__exe_dir(char *out, size_t len) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    out[0] = '\0';
    if (n <= 0) {
        return;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash) {
        *slash = '\0';
        snprintf(out, len, "%s", buf);
    }
}

int hb_datadir(const char *name, char *out, size_t len) {
    char var[64];
    snprintf(var, sizeof var, "HEATBENCH_%s", name);
    for (char *p = var; *p; p++) {
        *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
    }
    const char *e = getenv(var);
    if (e && *e) {
        snprintf(out, len, "%s", e);
        return hb__isdir(out) ? HB_OK : HB_ERR_NOTFOUND;
    }
    e = getenv("HEATBENCH_DATADIR");
    if (e && *e) {
        snprintf(out, len, "%s/%s", e, name);
        return hb__isdir(out) ? HB_OK : HB_ERR_NOTFOUND;
    }
    char exe[4096];
    hb__exe_dir(exe, sizeof exe);
    char build[4200];
    snprintf(build, sizeof build, "%s/../%s", exe, name);
    snprintf(out, len, "%s/../share/heatbench/%s", exe, name);
    if (hb__isdir(out)) {
        return HB_OK;
    }
    if (exe[0] && hb__isdir(build)) {
        snprintf(out, len, "%s", build);
        return HB_OK;
    }
#ifdef HB_DATADIR_SOURCE
    /* Last, so an installed copy and a build inside the tree never reach for it. */
    snprintf(out, len, "%s/%s", HB_DATADIR_SOURCE, name);
    if (hb__isdir(out)) {
        return HB_OK;
    }
#endif
    snprintf(out, len, "%s/../share/heatbench/%s", exe, name);
    return HB_ERR_NOTFOUND;
}
