#define _POSIX_C_SOURCE 200809L
#include "hb_ofile.h"
#include "hb_error.h"
#include "hb_sigclean.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum hb_ofile_kind { HB_OFILE_STDOUT, HB_OFILE_DIRECT, HB_OFILE_ATOMIC };

struct hb_ofile {
    FILE *fp;
    enum hb_ofile_kind kind;
    char *path;     /* final name (ATOMIC only) */
    char *tmp_path; /* temporary name (ATOMIC only) */
};

static void hb__ofile_free(hb_ofile *f) {
    free(f->path);
    free(f->tmp_path);
    free(f);
}

hb_ofile *hb_ofile_open(const char *path, int *err) {
    int dummy;
    if (!err) {
        err = &dummy;
    }
    if (!path || !*path) {
        *err = HB_ERR_INVAL;
        return NULL;
    }
    hb_ofile *f = calloc(1, sizeof *f);
    if (!f) {
        *err = HB_ERR_NOMEM;
        return NULL;
    }
    if (strcmp(path, "-") == 0) {
        f->kind = HB_OFILE_STDOUT;
        f->fp = stdout;
        return f;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            free(f);
            errno = EISDIR;
            *err = HB_ERR_IO;
            return NULL;
        }
        f->kind = HB_OFILE_DIRECT;
        f->fp = fopen(path, "w");
        if (!f->fp) {
            free(f);
            *err = HB_ERR_IO;
            return NULL;
        }
        return f;
    }
    f->kind = HB_OFILE_ATOMIC;
    size_t n = strlen(path);
    f->path = strdup(path);
    f->tmp_path = malloc(n + sizeof ".tmp.XXXXXX");
    if (!f->path || !f->tmp_path) {
        hb__ofile_free(f);
        *err = HB_ERR_NOMEM;
        return NULL;
    }
    /* Same directory as the target, so the final rename cannot cross file systems. */
    snprintf(f->tmp_path, n + sizeof ".tmp.XXXXXX", "%s.tmp.XXXXXX", path);
    int fd = mkstemp(f->tmp_path);
    if (fd < 0) {
        int e = errno;
        hb__ofile_free(f);
        errno = e;
        *err = HB_ERR_IO;
        return NULL;
    }
    hb_sigclean_add(f->tmp_path);
    /* mkstemp creates 0600; an output file should get the usual umask-governed mode. */
    mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, 0666 & ~mask);
    f->fp = fdopen(fd, "w");
    if (!f->fp) {
        int e = errno;
        close(fd);
        unlink(f->tmp_path);
        hb_sigclean_drop(f->tmp_path);
        hb__ofile_free(f);
        errno = e;
        *err = HB_ERR_IO;
        return NULL;
    }
    return f;
}

FILE *hb_ofile_stream(hb_ofile *f) {
    return f->fp;
}

int hb_ofile_commit(hb_ofile *f) {
    int rc = HB_OK;
    switch (f->kind) {
    case HB_OFILE_STDOUT:
        if (fflush(stdout) != 0 || ferror(stdout)) {
            rc = HB_ERR_IO;
        }
        break;
    case HB_OFILE_DIRECT:
        if (ferror(f->fp) | fclose(f->fp)) {
            rc = HB_ERR_IO;
        }
        break;
    case HB_OFILE_ATOMIC: {
        int bad = ferror(f->fp) || fflush(f->fp) != 0 || fsync(fileno(f->fp)) != 0;
        int e = errno;
        if (fclose(f->fp) != 0) {
            bad = 1;
            e = errno;
        }
        if (!bad && rename(f->tmp_path, f->path) != 0) {
            bad = 1;
            e = errno;
        }
        if (bad) {
            unlink(f->tmp_path);
            errno = e;
            rc = HB_ERR_IO;
        }
        hb_sigclean_drop(f->tmp_path);
        break;
    }
    }
    hb__ofile_free(f);
    return rc;
}

void hb_ofile_abort(hb_ofile *f) {
    if (!f) {
        return;
    }
    if (f->kind == HB_OFILE_ATOMIC) {
        fclose(f->fp);
        unlink(f->tmp_path);
        hb_sigclean_drop(f->tmp_path);
    } else if (f->kind == HB_OFILE_DIRECT) {
        fclose(f->fp);
    } else {
        fflush(stdout);
    }
    hb__ofile_free(f);
}
