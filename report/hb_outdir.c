#define _XOPEN_SOURCE 700 /* mkdtemp */
#include "hb_outdir.h"
#include "../util/hb_error.h"
#include "../util/hb_sigclean.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HB__MAX_FILES 256
#define HB__NAME_MAX 256

typedef struct hb__names {
    size_t n;
    char name[HB__MAX_FILES][HB__NAME_MAX];
} hb__names;

/* DIR without trailing slashes into OUT; -1 for "", "/" or a path too long. */
static int hb__normalize(const char *dir, char *out, size_t len) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') {
        n--;
    }
    if (n == 0 || n >= len || (n == 1 && dir[0] == '/')) {
        return -1;
    }
    memcpy(out, dir, n);
    out[n] = '\0';
    return 0;
}

/* A name a manifest may list: a plain file name inside the directory, nothing that points out of
 * it, so a doctored manifest cannot make heatbench delete elsewhere. */
static int hb__plain(const char *name) {
    return *name && !strchr(name, '/') && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           strcmp(name, HB_OUTDIR_MANIFEST) != 0 && strlen(name) < HB__NAME_MAX;
}

static int hb__has(const hb__names *s, const char *name) {
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->name[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int hb__name_add(hb__names *s, const char *name) {
    if (s->n >= HB__MAX_FILES || !hb__plain(name)) {
        return -1;
    }
    snprintf(s->name[s->n++], HB__NAME_MAX, "%s", name);
    return 0;
}

/* The manifest of DIR into *M: 1 when DIR has one, 0 when not. */
static int hb__read_manifest(const char *dir, hb__names *m) {
    m->n = 0;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, HB_OUTDIR_MANIFEST);
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    char line[HB__NAME_MAX + 2];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] != '#') {
            hb__name_add(m, line); /* a name that is not plain is ignored, never acted on */
        }
    }
    fclose(f);
    return 1;
}

/* Whether DIR holds anything at all (-1 when it cannot be read). */
static int hb__nonempty(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int any = 0;
    const struct dirent *e;
    while (!any && (e = readdir(d))) {
        any = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return any;
}

int hb_outdir_check(const char *dir_in, bool force, char *err, size_t errlen) {
    char dir[4096];
    if (hb__normalize(dir_in, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "'%s' cannot be a report directory", dir_in);
        return HB_ERR_INVAL;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        return HB_OK; /* created when the report is complete */
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a directory", dir);
        return HB_ERR_INVAL;
    }
    hb__names m;
    if (hb__read_manifest(dir, &m) || force) {
        return HB_OK;
    }
    int any = hb__nonempty(dir);
    if (any < 0) {
        snprintf(err, errlen, "cannot read %s: %s", dir, strerror(errno));
        return HB_ERR_INVAL;
    }
    if (any) {
        snprintf(err, errlen,
                 "%s already holds files that are not a heatbench report; choose another "
                 "directory, or add --force to write the report's files beside them (nothing "
                 "else is touched)",
                 dir);
        return HB_ERR_EXISTS;
    }
    return HB_OK;
}

/* mkdir -p of the directory that will hold PATH. */
static int hb__mkparents(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return 0;
}

int hb_outdir_stage(const char *dir_in, char *tmp, size_t len, char *err, size_t errlen) {
    char dir[4096];
    if (hb__normalize(dir_in, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "'%s' cannot be a report directory", dir_in);
        return HB_ERR_INVAL;
    }
    int n = snprintf(tmp, len, "%s.tmp.XXXXXX", dir);
    if (n < 0 || (size_t)n >= len || hb__mkparents(dir) != 0 || !mkdtemp(tmp)) {
        snprintf(err, errlen, "cannot create a directory next to %s: %s", dir, strerror(errno));
        tmp[0] = '\0';
        return HB_ERR_IO;
    }
    chmod(tmp, 0755);
    /* A signal from here on is deferred until the report is committed or discarded: the handler
     * cannot empty a directory safely, hb_outdir_discard can. */
    hb_sigclean_add(tmp);
    hb_sigclean_hold();
    return HB_OK;
}

void hb_outdir_discard(char *tmp) {
    if (!tmp[0]) {
        return;
    }
    DIR *d = opendir(tmp);
    if (d) {
        const struct dirent *e;
        while ((e = readdir(d))) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
            unlink(path); /* staging holds regular files only; "." and ".." fail harmlessly */
        }
        closedir(d);
    }
    rmdir(tmp);
    hb_sigclean_drop(tmp);
    tmp[0] = '\0';
    hb_sigclean_release();
}

bool hb_outdir_interrupted(void) {
    return hb_sigclean_pending() != 0;
}

/* The regular files staged in TMP. */
static int hb__list(const char *tmp, hb__names *s) {
    s->n = 0;
    DIR *d = opendir(tmp);
    if (!d) {
        return -1;
    }
    const struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", tmp, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            strcmp(e->d_name, HB_OUTDIR_MANIFEST) != 0 && hb__name_add(s, e->d_name) != 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

static int hb__write_manifest(const char *tmp, const hb__names *s) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", tmp, HB_OUTDIR_MANIFEST);
    FILE *f = fopen(path, "w");
    if (!f) {
        return -1;
    }
    fputs("# heatbench report: the files below were written by heatbench and are replaced by the "
          "next report written here; nothing else in this directory is touched.\n",
          f);
    for (size_t i = 0; i < s->n; i++) {
        fprintf(f, "%s\n", s->name[i]);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int hb_outdir_commit(const char *tmp, const char *dir_in, bool force, char *err, size_t errlen) {
    char dir[4096];
    if (hb__normalize(dir_in, dir, sizeof dir) != 0) {
        snprintf(err, errlen, "'%s' cannot be a report directory", dir_in);
        return HB_ERR_INVAL;
    }
    if (hb_outdir_interrupted()) { /* stopped while staging: the target is not touched */
        snprintf(err, errlen, "interrupted");
        return HB_ERR_IO;
    }
    hb__names *now = malloc(sizeof *now);
    hb__names *old = malloc(sizeof *old);
    int rc = HB_ERR_IO;
    if (!now || !old) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (hb__list(tmp, now) != 0 || hb__write_manifest(tmp, now) != 0) {
        snprintf(err, errlen, "cannot prepare the report in %s: %s", tmp, strerror(errno));
        goto out;
    }
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (rename(tmp, dir) != 0) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            goto out;
        }
        rc = HB_OK;
        goto out;
    }
    /* The directory may have changed since the check: look again, then for name clashes, before
     * anything in it is touched. */
    rc = hb_outdir_check(dir, force, err, errlen);
    if (rc != HB_OK) {
        goto out;
    }
    hb__read_manifest(dir, old);
    for (size_t i = 0; i < now->n; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, now->name[i]);
        if (lstat(path, &st) == 0 && !hb__has(old, now->name[i])) {
            snprintf(err, errlen,
                     "%s exists and was not written by heatbench: it is not overwritten, and "
                     "nothing in %s was changed",
                     path, dir);
            rc = HB_ERR_EXISTS;
            goto out;
        }
    }
    rc = HB_ERR_IO;
    for (size_t i = 0; i < now->n; i++) {
        char from[4400];
        char to[4400];
        snprintf(from, sizeof from, "%s/%s", tmp, now->name[i]);
        snprintf(to, sizeof to, "%s/%s", dir, now->name[i]);
        if (rename(from, to) != 0) {
            snprintf(err, errlen, "cannot write %s: %s", to, strerror(errno));
            goto out;
        }
    }
    for (size_t i = 0; i < old->n; i++) {
        if (!hb__has(now, old->name[i])) { /* a file of the previous report only */
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, old->name[i]);
            unlink(path);
        }
    }
    char from[4400];
    char to[4400];
    snprintf(from, sizeof from, "%s/%s", tmp, HB_OUTDIR_MANIFEST);
    snprintf(to, sizeof to, "%s/%s", dir, HB_OUTDIR_MANIFEST);
    if (rename(from, to) != 0 || rmdir(tmp) != 0) {
        snprintf(err, errlen, "cannot finish %s: %s", dir, strerror(errno));
        goto out;
    }
    rc = HB_OK;
out:
    free(now);
    free(old);
    if (rc == HB_OK) {
        hb_sigclean_drop(tmp);
        hb_sigclean_release(); /* a signal during the renames takes effect now */
    }
    return rc;
}
