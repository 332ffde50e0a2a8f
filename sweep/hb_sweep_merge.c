#define _GNU_SOURCE /* getline, qsort_r */
#include "hb_sweep_merge.h"
#include "../util/hb_error.h"
#include "../util/hb_ofile.h"
#include "hb_sweep_exec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HB__MERGE_IOBUF ((size_t)1 << 20)

typedef struct hb__merge_line {
    size_t off, len; /* in the chunk buffer; OFF also orders equal ids by arrival */
} hb__merge_line;

/* A bounded-memory sorter of lines by a 16-character key at KEY_OFF. */
typedef struct hb__sorter {
    size_t key_off;
    const char *tmpdir;
    char *buf;
    size_t used, cap;
    hb__merge_line *lines;
    size_t n, ncap;
    FILE **runs; /* sorted spills, oldest first */
    size_t nruns;
    /* reading */
    size_t pos;       /* in-memory: the next line */
    char **head;      /* per run: its current line (NULL: exhausted) */
    size_t *head_len; /* its length */
    size_t *head_cap; /* getline's buffer size */
} hb__sorter;

static int hb__cmp_line(const void *a, const void *b, void *ud) {
    const hb__sorter *s = ud;
    const hb__merge_line *x = a;
    const hb__merge_line *y = b;
    int c = memcmp(s->buf + x->off + s->key_off, s->buf + y->off + s->key_off, HB_SWEEP_ID_LEN);
    return c ? c : (x->off > y->off) - (x->off < y->off);
}

static int hb__sorter_init(hb__sorter *s, size_t key_off, size_t chunk, const char *tmpdir) {
    memset(s, 0, sizeof *s);
    s->key_off = key_off;
    s->tmpdir = tmpdir;
    s->cap = chunk;
    s->ncap = chunk / 64 + 16;
    s->buf = malloc(s->cap);
    s->lines = malloc(s->ncap * sizeof *s->lines);
    return s->buf && s->lines ? HB_OK : HB_ERR_NOMEM;
}

static void hb__sorter_free(hb__sorter *s) {
    for (size_t i = 0; i < s->nruns; i++) {
        fclose(s->runs[i]);
        if (s->head) {
            free(s->head[i]);
        }
    }
    free(s->runs);
    free(s->head);
    free(s->head_len);
    free(s->head_cap);
    free(s->buf);
    free(s->lines);
}

/* Sorts the chunk and spills it to an unlinked temporary file. */
static int hb__spill(hb__sorter *s, char *err, size_t errlen) {
    qsort_r(s->lines, s->n, sizeof *s->lines, hb__cmp_line, s);
    char path[4200];
    snprintf(path, sizeof path, "%s/.heatbench-merge-XXXXXX", s->tmpdir);
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: cannot create a temporary file: %s", s->tmpdir, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return HB_ERR_IO;
    }
    unlink(path); /* gone when closed, whatever happens to this process */
    /* Large stdio buffers: a merge moves every byte three times (in, spill, out), and with the
     * default 4 KB each would cost a system call per few lines. Freed with the stream. */
    (void)setvbuf(f, NULL, _IOFBF, HB__MERGE_IOBUF);
    FILE **nr = realloc(s->runs, (s->nruns + 1) * sizeof(FILE *));
    if (!nr) {
        fclose(f);
        return HB_ERR_NOMEM;
    }
    s->runs = nr;
    s->runs[s->nruns++] = f;
    for (size_t i = 0; i < s->n; i++) {
        fwrite(s->buf + s->lines[i].off, 1, s->lines[i].len, f);
    }
    if (fflush(f) != 0 || ferror(f) || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot write a temporary file: %s", s->tmpdir, strerror(errno));
        return HB_ERR_IO;
    }
    s->n = s->used = 0;
    return HB_OK;
}

/* Adds LINE (with its newline). */
static int hb__sorter_add(hb__sorter *s, const char *line, size_t len, char *err, size_t errlen) {
    if (len > s->cap) {
        snprintf(err, errlen, "a line of %zu bytes: longer than the merge buffer", len);
        return HB_ERR_RANGE;
    }
    if (s->used + len > s->cap || s->n == s->ncap) {
        int rc = hb__spill(s, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    memcpy(s->buf + s->used, line, len);
    s->lines[s->n++] = (hb__merge_line){.off = s->used, .len = len};
    s->used += len;
    return HB_OK;
}

static int hb__sorter_finish(hb__sorter *s, char *err, size_t errlen) {
    if (s->nruns == 0) {
        qsort_r(s->lines, s->n, sizeof *s->lines, hb__cmp_line, s);
        return HB_OK;
    }
    if (s->n > 0) {
        int rc = hb__spill(s, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    s->head = calloc(s->nruns, sizeof *s->head);
    s->head_len = calloc(s->nruns, sizeof *s->head_len);
    s->head_cap = calloc(s->nruns, sizeof *s->head_cap);
    if (!s->head || !s->head_len || !s->head_cap) {
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->nruns; i++) {
        ssize_t n = getline(&s->head[i], &s->head_cap[i], s->runs[i]);
        s->head_len[i] = n > 0 ? (size_t)n : 0;
    }
    return HB_OK;
}

/* The next line in key order (the earliest added among equal keys), or NULL at the end. The
 * pointer is valid until the next call. */
static const char *hb__sorter_next(hb__sorter *s, size_t *len) {
    if (s->nruns == 0) {
        if (s->pos == s->n) {
            return NULL;
        }
        const hb__merge_line *l = &s->lines[s->pos++];
        *len = l->len;
        return s->buf + l->off;
    }
    size_t best = s->nruns;
    for (size_t i = 0; i < s->nruns; i++) { /* few runs: a linear scan beats a heap */
        if (s->head_len[i] &&
            (best == s->nruns ||
             memcmp(s->head[i] + s->key_off, s->head[best] + s->key_off, HB_SWEEP_ID_LEN) < 0)) {
            best = i;
        }
    }
    if (best == s->nruns) {
        return NULL;
    }
    /* Hand out a copy in the chunk buffer (free now), then advance that run. */
    memcpy(s->buf, s->head[best], s->head_len[best]);
    *len = s->head_len[best];
    ssize_t n = getline(&s->head[best], &s->head_cap[best], s->runs[best]);
    s->head_len[best] = n > 0 ? (size_t)n : 0;
    return s->buf;
}

/* ---- the merge ----------------------------------------------------------------------------- */

static int hb__read_parts(hb__sorter *s, const char *const *parts, size_t n,
                          hb_sweep_merge_stats *st, char *err, size_t errlen) {
    char *line = NULL;
    size_t cap = 0;
    int rc = HB_OK;
    for (size_t i = 0; i < n && rc == HB_OK; i++) {
        FILE *f = strcmp(parts[i], "-") == 0 ? stdin : fopen(parts[i], "r");
        if (!f) {
            snprintf(err, errlen, "%s: %s", parts[i], strerror(errno));
            rc = HB_ERR_IO;
            break;
        }
        (void)setvbuf(f, NULL, _IOFBF, HB__MERGE_IOBUF);
        ssize_t len;
        char id[HB_SWEEP_ID_LEN + 1];
        while (rc == HB_OK && (len = getline(&line, &cap, f)) > 0) {
            if (line[len - 1] != '\n' || !hb_sweep_line_id(line, (size_t)len, id)) {
                st->bad++;
                continue;
            }
            st->lines++;
            rc = hb__sorter_add(s, line, (size_t)len, err, errlen);
        }
        if (rc == HB_OK && ferror(f)) {
            snprintf(err, errlen, "%s: read error", parts[i]);
            rc = HB_ERR_IO;
        }
        if (f != stdin) {
            fclose(f);
        }
    }
    free(line);
    return rc;
}

static int hb__plan_ids(hb__sorter *s, const hb_sweep *plan, char *err, size_t errlen) {
    size_t total = hb_sweep_count(plan);
    for (size_t i = 0; i < total; i++) {
        hb_sweep_run r;
        if (hb_sweep_resolve(plan, i, &r) != HB_OK) {
            return HB_ERR_NOMEM;
        }
        char line[HB_SWEEP_ID_LEN + 2];
        snprintf(line, sizeof line, "%s\n", r.id);
        hb_sweep_run_free(&r);
        int rc = hb__sorter_add(s, line, HB_SWEEP_ID_LEN + 1, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    return hb__sorter_finish(s, err, errlen);
}

/* Walks the plan's sorted ids up to KEY: ids before it are missing; returns whether KEY is one
 * of the plan's. */
static bool hb__plan_advance(hb__sorter *p, const char **cur, size_t *clen, const char *key,
                             FILE *missing, hb_sweep_merge_stats *st) {
    while (*cur && memcmp(*cur, key, HB_SWEEP_ID_LEN) < 0) {
        if (missing) {
            fprintf(missing, "%.*s\n", HB_SWEEP_ID_LEN, *cur);
        }
        st->missing++;
        *cur = hb__sorter_next(p, clen);
    }
    if (*cur && memcmp(*cur, key, HB_SWEEP_ID_LEN) == 0) {
        *cur = hb__sorter_next(p, clen);
        return true;
    }
    return false;
}

static int hb__write_merged(hb__sorter *s, hb__sorter *p, FILE *out, FILE *missing,
                            hb_sweep_merge_stats *st) {
    const char *pcur = NULL;
    size_t plen = 0;
    if (p) {
        pcur = hb__sorter_next(p, &plen);
    }
    char *keep = NULL; /* the chosen line of the current id */
    size_t keep_len = 0, keep_cap = 0;
    bool keep_err = false;
    const char *line;
    size_t len;
    for (;;) {
        line = hb__sorter_next(s, &len);
        bool same = line && keep && memcmp(line + 7, keep + 7, HB_SWEEP_ID_LEN) == 0;
        if (same) {
            st->duplicates++;
            bool is_err = memmem(line, len, "\"error\":", 8) != NULL;
            if (!(keep_err && !is_err)) {
                continue;
            }
        } else if (keep) {
            fwrite(keep, 1, keep_len, out);
            st->written++;
            st->failed += keep_err;
            if (p && !hb__plan_advance(p, &pcur, &plen, keep + 7, missing, st)) {
                st->extra++;
            }
        }
        if (!line) {
            break;
        }
        if (len > keep_cap || !keep) {
            char *nk = realloc(keep, len + 1); /* + 1: never a request of 0 bytes */
            if (!nk) {
                free(keep);
                return HB_ERR_NOMEM;
            }
            keep = nk;
            keep_cap = len;
        }
        memcpy(keep, line, len);
        keep_len = len;
        keep_err = memmem(line, len, "\"error\":", 8) != NULL;
    }
    free(keep);
    if (p) {
        static const char end[HB_SWEEP_ID_LEN] = "gggggggggggggggg"; /* after every hex id */
        hb__plan_advance(p, &pcur, &plen, end, missing, st);
    }
    return HB_OK;
}

int hb_sweep_merge(const char *const *parts, size_t n, const char *out, const hb_sweep *plan,
                   size_t chunk, FILE *missing, hb_sweep_merge_stats *st, char *err,
                   size_t errlen) {
    memset(st, 0, sizeof *st);
    char tmpdir[4096];
    snprintf(tmpdir, sizeof tmpdir, "%s", out);
    char *slash = strrchr(tmpdir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        snprintf(tmpdir, sizeof tmpdir, ".");
    }
    chunk = chunk ? chunk : HB_SWEEP_MERGE_CHUNK;
    hb__sorter s;
    hb__sorter p;
    memset(&p, 0, sizeof p);
    int rc = hb__sorter_init(&s, 7, chunk, tmpdir);
    if (rc == HB_OK && plan) {
        rc = hb__sorter_init(&p, 0, chunk / 8 + 4096, tmpdir);
    }
    if (rc == HB_OK) {
        rc = hb__read_parts(&s, parts, n, st, err, errlen);
    }
    if (rc == HB_OK) {
        rc = hb__sorter_finish(&s, err, errlen);
    }
    if (rc == HB_OK && plan) {
        rc = hb__plan_ids(&p, plan, err, errlen);
    }
    hb_ofile *of = NULL;
    if (rc == HB_OK) {
        int e = HB_OK;
        of = hb_ofile_open(out, &e);
        if (!of) {
            snprintf(err, errlen, "%s: %s", out, strerror(errno));
            rc = HB_ERR_IO;
        }
    }
    if (rc == HB_OK) {
        (void)setvbuf(hb_ofile_stream(of), NULL, _IOFBF, HB__MERGE_IOBUF);
        rc = hb__write_merged(&s, plan ? &p : NULL, hb_ofile_stream(of), missing, st);
        if (rc == HB_OK) {
            rc = hb_ofile_commit(of);
            if (rc != HB_OK) {
                snprintf(err, errlen, "%s: cannot write: %s", out, strerror(errno));
            }
        } else {
            hb_ofile_abort(of);
        }
    }
    if (rc == HB_ERR_NOMEM) {
        snprintf(err, errlen, "out of memory");
    }
    hb__sorter_free(&s);
    hb__sorter_free(&p);
    return rc;
}
