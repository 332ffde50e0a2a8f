#define _GNU_SOURCE /* getline, fdatasync */
#include "hb_sweep_exec.h"
#include "../util/hb_error.h"
#include "hb_floor_cache.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glpk.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Plans kept unused: the runs of one scenario point are adjacent in the plan (controllers and
 * seeds vary fastest), so a few per thread cover every point in flight. */
#define HB__FLOOR_KEEP 64

typedef struct hb__done {
    uint64_t id;
    bool error;
} hb__done;

typedef struct hb__exec {
    const hb_sweep *s;
    const hb_sweep_exec_opts *o;
    hb_floor_cache *floors;
    size_t *todo;
    size_t n_todo;
    atomic_size_t next;
    int fd;
    pthread_mutex_t mu; /* counters, progress, sync time, first error */
    size_t ran, failed;
    double t_start, t_sync, t_print;
    int io_error;
    char err[512];
} hb__exec;

static double hb__wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool hb_sweep_in_shard(size_t i, size_t shard, size_t shards) {
    return shards <= 1 || i % shards == shard - 1;
}

bool hb_sweep_line_id(const char *line, size_t len, char *id) {
    static const char pre[] = "{\"id\":\"";
    size_t np = sizeof pre - 1;
    if (len < np + HB_SWEEP_ID_LEN + 1 || memcmp(line, pre, np) != 0 ||
        line[np + HB_SWEEP_ID_LEN] != '"') {
        return false;
    }
    for (size_t i = 0; i < HB_SWEEP_ID_LEN; i++) {
        char c = line[np + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    memcpy(id, line + np, HB_SWEEP_ID_LEN);
    id[HB_SWEEP_ID_LEN] = '\0';
    return true;
}

static int hb__cmp_done(const void *a, const void *b) {
    uint64_t x = ((const hb__done *)a)->id;
    uint64_t y = ((const hb__done *)b)->id;
    return x < y ? -1 : x > y;
}

/* Reads the ids already in the results file PATH into *DONE (sorted) and cuts off a last line
 * without its newline (a write torn by a crash). A missing file is an empty one. */
static int hb__read_done(const char *path, hb__done **done, size_t *n, char *err, size_t errlen) {
    *done = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) {
            return HB_OK;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return HB_ERR_IO;
    }
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    off_t good = 0;
    size_t bad = 0;
    int rc = HB_OK;
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[len - 1] != '\n') {
            break; /* a torn tail: cut below */
        }
        good += len;
        char id[HB_SWEEP_ID_LEN + 1];
        if (!hb_sweep_line_id(line, (size_t)len, id)) {
            bad++;
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            hb__done *nd = realloc(*done, cap * sizeof *nd);
            if (!nd) {
                rc = HB_ERR_NOMEM;
                break;
            }
            *done = nd;
        }
        (*done)[*n].id = strtoull(id, NULL, 16);
        (*done)[*n].error = strstr(line, "\"error\":") != NULL;
        (*n)++;
    }
    free(line);
    struct stat sb;
    if (rc == HB_OK && fstat(fileno(f), &sb) == 0 && sb.st_size > good) {
        fprintf(stderr,
                "heatbench sweep: %s: cutting off an unfinished last line (%lld bytes, a "
                "write torn by a crash); that run runs again\n",
                path, (long long)(sb.st_size - good));
        if (truncate(path, good) != 0) {
            snprintf(err, errlen, "%s: cannot cut the torn last line: %s", path, strerror(errno));
            rc = HB_ERR_IO;
        }
    }
    if (bad) {
        fprintf(stderr, "heatbench sweep: %s: %zu lines that are not sweep results ignored\n", path,
                bad);
    }
    fclose(f);
    if (*n > 1) {
        qsort(*done, *n, sizeof **done, hb__cmp_done);
    }
    return rc;
}

/* Appends the line TEXT (without its closing brace) closed with wall_s: one write(). */
static int hb__sw_emit(hb__exec *x, char *text, double wall_s) {
    size_t n = strlen(text);
    if (n == 0 || text[n - 1] != '}') {
        return HB_ERR_NOMEM;
    }
    char *buf = malloc(n + 48);
    if (!buf) {
        return HB_ERR_NOMEM;
    }
    memcpy(buf, text, n - 1);
    int w = snprintf(buf + n - 1, 48, "%s\"wall_s\":%.6f}\n", n > 2 ? "," : "", wall_s);
    size_t total = n - 1 + (size_t)w;
    ssize_t put = write(x->fd, buf, total);
    int e = errno;
    free(buf);
    if (put != (ssize_t)total) {
        pthread_mutex_lock(&x->mu);
        if (!x->io_error) {
            x->io_error = HB_ERR_IO;
            snprintf(x->err, sizeof x->err, "%s: write failed: %s", x->o->out_path,
                     put < 0 ? strerror(e) : "short write (disk full?)");
        }
        pthread_mutex_unlock(&x->mu);
        return HB_ERR_IO;
    }
    return HB_OK;
}

/* One run: its line, or its error line. Returns true when it failed. */
static bool hb__one(hb__exec *x, size_t index) {
    double t0 = hb__wall();
    hb_sweep_run r;
    if (hb_sweep_resolve(x->s, index, &r) != HB_OK) {
        return true;
    }
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "id", r.id);
    cJSON_AddStringToObject(line, "scenario", r.scenario);
    cJSON_AddStringToObject(line, "controller", r.controller);
    cJSON_AddNumberToObject(line, "seed", (double)r.seed);
    cJSON_AddItemToObject(line, "overrides", r.overrides);
    r.overrides = NULL;
    hb_sim_config cfg;
    char msg[1024] = "";
    int rc = hb_sweep_run_config(x->s, &r, &cfg, msg, sizeof msg);
    const hb_energy_plan *plan = NULL;
    if (rc == HB_OK) {
        plan = hb_floor_cache_get(x->floors, r.floor_key, &cfg);
        cfg.plan = plan; /* NULL (out of memory): the run solves its own */
        hb_sim *sim = NULL;
        rc = hb_sim_create(&cfg, &sim);
        if (rc == HB_OK) {
            rc = hb_sim_run(sim);
        }
        if (rc == HB_OK) {
            cJSON_AddItemToObject(line, "kpis", x->o->kpi_json(hb_sim_kpis(sim)));
        } else {
            snprintf(msg, sizeof msg, "the simulation failed: %s", hb_strerror(rc));
        }
        hb_sim_destroy(sim);
        hb_floor_cache_release(x->floors, plan);
    }
    hb_sim_config_free(&cfg);
    hb_sweep_run_free(&r);
    if (rc != HB_OK) {
        cJSON_AddStringToObject(line, "error", msg);
    }
    cJSON_AddStringToObject(line, "version", x->o->version);
    char *text = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!text || hb__sw_emit(x, text, hb__wall() - t0) != HB_OK) {
        rc = rc == HB_OK ? HB_ERR_IO : rc;
    }
    free(text);
    return rc != HB_OK;
}

static void hb__progress(hb__exec *x, double now, bool last) {
    size_t done = x->ran;
    double el = now - x->t_start;
    double eta = done ? el / (double)done * (double)(x->n_todo - done) : 0.0;
    fprintf(stderr, "\rheatbench sweep: %zu/%zu runs, %zu failed, %.0f s elapsed, ETA %.0f s  %s",
            done, x->n_todo, x->failed, el, eta, last ? "\n" : "");
    fflush(stderr);
}

static void *hb__sw_worker(void *arg) {
    hb__exec *x = arg;
    for (;;) {
        size_t k = atomic_fetch_add(&x->next, 1);
        if (k >= x->n_todo || x->io_error) {
            /* GLPK (the floor, the MPC) keeps an environment per thread: freed before the
             * thread ends, or it leaks with every thread. */
            glp_free_env();
            return NULL;
        }
        bool failed = hb__one(x, x->todo[k]);
        double now = hb__wall();
        pthread_mutex_lock(&x->mu);
        x->ran++;
        x->failed += failed;
        bool sync = now - x->t_sync >= 2.0;
        if (sync) {
            x->t_sync = now;
        }
        if (x->o->progress && now - x->t_print >= 0.5) {
            x->t_print = now;
            hb__progress(x, now, false);
        }
        pthread_mutex_unlock(&x->mu);
        if (sync) {
            (void)fdatasync(x->fd);
        }
    }
}

/* The runs of the shard not yet in the file; counts the old failures among those done. */
static int hb__plan_todo(hb__exec *x, const hb__done *done, size_t n_done, hb_sweep_stats *st,
                         char *err, size_t errlen) {
    size_t total = hb_sweep_count(x->s);
    size_t cap = 0;
    for (size_t i = 0; i < total; i++) {
        if (!hb_sweep_in_shard(i, x->o->shard, x->o->shards)) {
            continue;
        }
        hb_sweep_run r;
        if (hb_sweep_resolve(x->s, i, &r) != HB_OK) {
            snprintf(err, errlen, "out of memory");
            return HB_ERR_NOMEM;
        }
        hb__done key = {.id = strtoull(r.id, NULL, 16)};
        bool only = !x->o->only_id || strcmp(x->o->only_id, r.id) == 0;
        hb_sweep_run_free(&r);
        if (!only) {
            continue;
        }
        st->planned++;
        const hb__done *d = n_done ? bsearch(&key, done, n_done, sizeof key, hb__cmp_done) : NULL;
        if (d) {
            st->skipped++;
            st->failed += d->error;
            continue;
        }
        if (x->n_todo == cap) {
            cap = cap ? 2 * cap : 1024;
            size_t *nt = realloc(x->todo, cap * sizeof *nt);
            if (!nt) {
                snprintf(err, errlen, "out of memory");
                return HB_ERR_NOMEM;
            }
            x->todo = nt;
        }
        x->todo[x->n_todo++] = i;
    }
    if (x->o->only_id && st->planned == 0) {
        snprintf(err, errlen, "%s: no run with id %s in this sweep%s", hb_sweep_path(x->s),
                 x->o->only_id, x->o->shards > 1 ? " and shard" : "");
        return HB_ERR_NOTFOUND;
    }
    return HB_OK;
}

int hb_sweep_exec(const hb_sweep *s, const hb_sweep_exec_opts *o, hb_sweep_stats *st, char *err,
                  size_t errlen) {
    memset(st, 0, sizeof *st);
    hb__exec x = {.s = s, .o = o, .fd = -1};
    atomic_init(&x.next, 0);
    bool to_stdout = strcmp(o->out_path, "-") == 0;
    hb__done *done = NULL;
    size_t n_done = 0;
    int rc = to_stdout ? HB_OK : hb__read_done(o->out_path, &done, &n_done, err, errlen);
    if (rc == HB_OK) {
        rc = hb__plan_todo(&x, done, n_done, st, err, errlen);
    }
    free(done);
    if (rc == HB_OK) {
        x.fd = to_stdout ? STDOUT_FILENO
                         : open(o->out_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (x.fd < 0) {
            snprintf(err, errlen, "%s: %s", o->out_path, strerror(errno));
            rc = HB_ERR_IO;
        }
    }
    if (rc == HB_OK) {
        rc = hb_floor_cache_create(HB__FLOOR_KEEP + 2 * (size_t)o->jobs, &x.floors);
    }
    if (rc != HB_OK) {
        free(x.todo);
        return rc;
    }
    pthread_mutex_init(&x.mu, NULL);
    x.t_start = x.t_sync = x.t_print = hb__wall();
    int jobs = o->jobs < 1 ? 1 : o->jobs;
    if ((size_t)jobs > x.n_todo) {
        jobs = x.n_todo ? (int)x.n_todo : 1;
    }
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    int started = 0;
    for (int i = 0; th && i < jobs; i++) {
        if (pthread_create(&th[i], NULL, hb__sw_worker, &x) != 0) {
            break;
        }
        started++;
    }
    if (started == 0) {
        hb__sw_worker(&x); /* no thread could start: run them here */
    }
    for (int i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
    }
    free(th);
    if (o->progress) {
        hb__progress(&x, hb__wall(), true);
    }
    if (!to_stdout) {
        if (fdatasync(x.fd) != 0 && !x.io_error) {
            x.io_error = HB_ERR_IO;
            snprintf(x.err, sizeof x.err, "%s: %s", o->out_path, strerror(errno));
        }
        close(x.fd);
    }
    st->ran = x.ran;
    st->failed += x.failed;
    st->floors = hb_floor_cache_solved(x.floors);
    hb_floor_cache_destroy(x.floors);
    pthread_mutex_destroy(&x.mu);
    free(x.todo);
    if (x.io_error) {
        snprintf(err, errlen, "%s", x.err);
        return HB_ERR_IO;
    }
    return HB_OK;
}
