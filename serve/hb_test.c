/*
 * A running test: BOPTEST's test-case methods (testcase.py) over a heatbench test case. The
 * samples are stored on BOPTEST's result grid (every 30 s for steps of 30 s or more, else once
 * per step), the KPIs integrate the samples from the test's start time on, warm-up excluded.
 *
 * The samples are kept as they were computed (doubles, the bytes cJSON prints from), so /results
 * answers the same bytes wherever a sample is: the latest chunk in memory, older chunks in the
 * test's spill file. A chunk is written whole, once, and read back with pread; each spilled
 * chunk's earliest and latest time stay in memory so that /results reads only the chunks its
 * range touches.
 */
#define _GNU_SOURCE /* O_TMPFILE, mkostemp */
#include "hb_test.h"

#include "../util/hb_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest step or warm-up one request may ask for: a year, so that no request runs for long. */
#define HB_TEST_MAX_SPAN_S (366.0 * 86400.0)

struct hb_test {
    hb_tcase *tc;
    double step_s;
    double now_s;     /* the test's time */
    double initial_s; /* the start time asked at initialisation */
    double end_s;     /* INFINITY unless a time period ends the test */
    int act[HB_TC_MAX_IN];
    double u[HB_TC_MAX_IN];
    size_t width;    /* doubles per stored row: time, outputs, inputs, activations */
    double *rows;    /* the rows not spilled: n_disk .. n_rows - 1 */
    long n_rows;     /* rows stored since the test was initialised, spilled ones included */
    long cap_rows;   /* rows ROWS has room for */
    long chunk_rows; /* rows per chunk: ROWS never holds more */
    long n_disk;     /* rows in the spill file: whole chunks */
    double *span;    /* each spilled chunk's earliest and latest time */
    long cap_span;   /* chunks SPAN has room for */
    int fd;          /* the spill file, unlinked; -1 until the first chunk spills */
    int store_errno; /* why a sample could not be stored (0: every one was); cleared by init */
    const char *spill_dir;
    hb_bkpi kpi;
    bool has_tic;
    double tic_s;
    char price[32];
    char period[32];
    long seed;
    bool has_seed;
};

static void hb__test_msg(hb_test_reply *r, int status, const char *fmt, const char *a) {
    r->status = status;
    snprintf(r->message, sizeof r->message, fmt, a);
}

static const char *hb__test_dir(const hb_test *s) {
    const char *d = s->spill_dir ? s->spill_dir : getenv("TMPDIR");
    return d && d[0] ? d : "/tmp";
}

/* A file for the spilled samples that no name leads to: O_TMPFILE where the file system has it,
 * else mkostemp and unlink at once. Either way the file goes with its descriptor. */
static int hb__test_open_spill(const char *dir) {
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    /* EISDIR: a kernel without O_TMPFILE; EOPNOTSUPP: a file system without it. */
    if (fd >= 0 || (errno != EISDIR && errno != EOPNOTSUPP && errno != EINVAL)) {
        return fd;
    }
#endif
    char path[4096];
    if (snprintf(path, sizeof path, "%s/heatbench-serve-XXXXXX", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int f = mkostemp(path, O_CLOEXEC);
    if (f >= 0 && unlink(path) != 0) {
        int e = errno;
        close(f);
        errno = e;
        return -1;
    }
    return f;
}

/* Writes the full chunk in memory to the end of the spill file (opened for the first one); false
 * with store_errno set when it cannot (no space, no directory, no descriptor left...). */
static bool hb__test_spill(hb_test *s) {
    long k = s->n_disk / s->chunk_rows;
    if (k == s->cap_span) {
        long cap = s->cap_span ? s->cap_span * 2 : 16;
        double *n = realloc(s->span, (size_t)cap * 2 * sizeof *n);
        if (!n) {
            s->store_errno = ENOMEM;
            return false;
        }
        s->span = n;
        s->cap_span = cap;
    }
    if (s->fd < 0 && (s->fd = hb__test_open_spill(hb__test_dir(s))) < 0) {
        s->store_errno = errno ? errno : EIO;
        return false;
    }
    size_t bytes = (size_t)s->chunk_rows * s->width * sizeof *s->rows;
    off_t off = (off_t)s->n_disk * (off_t)(s->width * sizeof *s->rows);
    for (size_t done = 0; done < bytes;) {
        ssize_t w = pwrite(s->fd, (const char *)s->rows + done, bytes - done, off + (off_t)done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            s->store_errno = w < 0 ? errno : ENOSPC;
            return false;
        }
        done += (size_t)w;
    }
    double lo = s->rows[0], hi = s->rows[0];
    for (long i = 1; i < s->chunk_rows; i++) {
        double t = s->rows[(size_t)i * s->width];
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    s->span[2 * k] = lo;
    s->span[2 * k + 1] = hi;
    s->n_disk += s->chunk_rows;
    return true;
}

static void hb__test_sample(void *ud, double t, const double *y, const double *u, const int *act,
                            const hb_bkpi_sample *k) {
    hb_test *s = ud;
    if (s->store_errno) {
        return; /* the results have a hole: the test answers an error until initialised again */
    }
    if (s->n_rows - s->n_disk == s->chunk_rows && !hb__test_spill(s)) {
        return;
    }
    long tail = s->n_rows - s->n_disk;
    if (tail == s->cap_rows) {
        long cap = s->cap_rows ? s->cap_rows * 2 : 256;
        cap = cap < s->chunk_rows ? cap : s->chunk_rows;
        size_t bytes = (size_t)cap * s->width * sizeof *s->rows; /* never 0: a row, a column */
        double *n = bytes ? realloc(s->rows, bytes) : NULL;
        if (!n) {
            s->store_errno = ENOMEM;
            return;
        }
        s->rows = n;
        s->cap_rows = cap;
    }
    double *row = s->rows + (size_t)tail * s->width;
    size_t no = s->tc->n_out, ni = s->tc->n_in;
    row[0] = t;
    memcpy(row + 1, y, no * sizeof *y);
    memcpy(row + 1 + no, u, ni * sizeof *u);
    for (size_t i = 0; i < ni; i++) {
        row[1 + no + ni + i] = act[i];
    }
    s->n_rows++;
    if (t >= s->initial_s) {
        hb_bkpi_add(&s->kpi, k);
    }
}

/* R as the answer of a test whose samples could not all be stored. */
static void hb__test_store_msg(const hb_test *s, int status, hb_test_reply *r) {
    r->status = status;
    snprintf(r->message, sizeof r->message,
             "Failed to store the results of this test: %s (spill file in %.100s); initialize it "
             "again.",
             strerror(s->store_errno), hb__test_dir(s));
}

/* The number of samples BOPTEST stores for a step of DT seconds (its `ncp`). */
static int hb__test_ncp(double dt) {
    return dt >= 30.0 ? (int)(dt / 30.0) : 1;
}

/* The last stored row as BOPTEST's "full current state": time, measurements, inputs. */
static cJSON *hb__test_state(const hb_test *s) {
    cJSON *o = cJSON_CreateObject();
    if (!o || s->n_rows == 0) {
        return o;
    }
    /* The last row is always in memory: a full chunk spills before the next row, not after. */
    const double *row = s->rows + (size_t)(s->n_rows - 1 - s->n_disk) * s->width;
    const hb_tcase *tc = s->tc;
    cJSON_AddNumberToObject(o, "time", row[0]);
    for (size_t i = 0; i < tc->n_out; i++) {
        cJSON_AddNumberToObject(o, tc->out[i].name, row[1 + i]);
    }
    for (size_t i = 0; i < tc->n_in; i++) {
        char act[64];
        snprintf(act, sizeof act, "%.*s_activate", (int)strlen(tc->in[i].name) - 2, tc->in[i].name);
        cJSON_AddNumberToObject(o, act, row[1 + tc->n_out + tc->n_in + i]);
        cJSON_AddNumberToObject(o, tc->in[i].name, row[1 + tc->n_out + i]);
    }
    return o;
}

static int hb__test_init(hb_test *s, double start, double warmup, double end) {
    hb_tcase *tc = s->tc;
    double t0 = start - warmup > tc->start_s ? start - warmup : tc->start_s;
    s->n_rows = 0;
    s->n_disk = 0;
    s->store_errno = 0;
    if (s->fd >= 0) { /* the old samples go with their file */
        close(s->fd);
        s->fd = -1;
    }
    s->initial_s = start;
    s->end_s = end < tc->end_s ? end : tc->end_s;
    s->has_tic = false;
    hb_bkpi_init(&s->kpi, tc->area_m2, tc->has_co2, tc->has_src);
    int rc = tc->reset(tc, t0);
    if (rc != HB_OK) {
        return rc;
    }
    int act[HB_TC_MAX_IN] = {0};
    double u[HB_TC_MAX_IN] = {0};
    rc = start > t0 ? tc->simulate(tc, t0, start, u, act, hb__test_ncp(start - t0), true,
                                   hb__test_sample, s)
                    : tc->simulate(tc, t0, t0, u, act, 0, true, hb__test_sample, s);
    s->now_s = start;
    if (rc == HB_OK && s->store_errno) {
        rc = HB_ERR_IO;
    }
    if (rc == HB_OK && tc->kpi_restart) {
        tc->kpi_restart(tc);
    }
    return rc;
}

int hb_test_create(hb_tcase *tc, const hb_test_spill *spill, hb_test **out) {
    hb_test *s = calloc(1, sizeof *s);
    if (!s) {
        hb_tcase_destroy(tc);
        return HB_ERR_NOMEM;
    }
    s->tc = tc;
    s->fd = -1;
    s->width = 1 + tc->n_out + 2 * tc->n_in;
    size_t mem = spill && spill->mem_bytes ? spill->mem_bytes : HB_TEST_MEM_BYTES;
    size_t chunk = mem / (s->width * sizeof *s->rows);
    s->chunk_rows =
        chunk < 1 ? 1 : (chunk > (size_t)HB_TEST_MAX_ROWS ? HB_TEST_MAX_ROWS : (long)chunk);
    s->spill_dir = spill ? spill->dir : NULL;
    s->step_s = tc->default_step_s;
    snprintf(s->price, sizeof s->price, "constant");
    int rc = hb__test_init(s, tc->start_s, 0.0, INFINITY);
    if (rc != HB_OK) {
        hb_test_destroy(s);
        return rc;
    }
    *out = s;
    return HB_OK;
}

void hb_test_destroy(hb_test *t) {
    if (!t) {
        return;
    }
    hb_tcase_destroy(t->tc);
    if (t->fd >= 0) {
        close(t->fd);
    }
    free(t->rows);
    free(t->span);
    free(t);
}

const hb_tcase *hb_test_case(const hb_test *t) {
    return t->tc;
}

double hb_test_step(const hb_test *t) {
    return t->step_s;
}

size_t hb_test_memory(const hb_test *t) {
    return sizeof *t + sizeof *t->tc + (size_t)t->cap_rows * t->width * sizeof(double) +
           (size_t)t->cap_span * 2 * sizeof(double);
}

/* A number from a JSON value: a number, or a string holding one (BOPTEST takes both). */
static bool hb__test_num(const cJSON *v, double *out) {
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
    } else if (cJSON_IsString(v)) {
        char *end;
        *out = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end != '\0') {
            return false;
        }
    } else {
        return false;
    }
    return isfinite(*out);
}

/* Reads KEY of BODY as a finite, non-negative number into OUT, or fills R with BOPTEST's 400. */
static bool hb__test_param(const cJSON *body, const char *key, double *out, hb_test_reply *r) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v) {
        hb__test_msg(r, 400, "Missing parameter %s.", key);
        return false;
    }
    if (!hb__test_num(v, out)) {
        hb__test_msg(r, 400,
                     "Invalid value for parameter %s. Value must be a float, integer, or string "
                     "able to be converted to a float.",
                     key);
        return false;
    }
    if (*out < 0.0) {
        hb__test_msg(r, 400, "Invalid value for parameter %s. Value must not be negative.", key);
        return false;
    }
    if (*out > 100.0 * HB_TEST_MAX_SPAN_S) {
        hb__test_msg(r, 400, "Invalid value for parameter %s. Value is too large.", key);
        return false;
    }
    return true;
}

void hb_test_initialize(hb_test *t, const cJSON *body, hb_test_reply *r) {
    double start, warmup;
    r->payload = NULL;
    if (!hb__test_param(body, "start_time", &start, r) ||
        !hb__test_param(body, "warmup_period", &warmup, r)) {
        return;
    }
    if (warmup > HB_TEST_MAX_SPAN_S) {
        hb__test_msg(r, 400, "Invalid value for parameter %s. At most a year.", "warmup_period");
        return;
    }
    if (hb__test_init(t, start, warmup, INFINITY) != HB_OK) {
        if (t->store_errno) {
            hb__test_store_msg(t, 500, r);
        } else {
            hb__test_msg(r, 500, "Failed to initialize test simulation: %s.", "model error");
        }
        return;
    }
    r->status = 200;
    snprintf(r->message, sizeof r->message,
             "Test simulation initialized successfully to %gs with warmup period of %gs.", start,
             warmup);
    r->payload = hb__test_state(t);
}

void hb_test_get_step(hb_test *t, hb_test_reply *r) {
    hb__test_msg(r, 200, "%s", "Queried the control step successfully.");
    r->payload = cJSON_CreateNumber(t->step_s);
}

void hb_test_set_step(hb_test *t, const cJSON *body, hb_test_reply *r) {
    double step;
    r->payload = NULL;
    if (!hb__test_param(body, "step", &step, r)) {
        return;
    }
    if (step > HB_TEST_MAX_SPAN_S) {
        hb__test_msg(r, 400, "Invalid value for parameter %s. At most a year.", "step");
        return;
    }
    t->step_s = step;
    hb__test_msg(r, 200, "%s", "Control step set successfully.");
    r->payload = cJSON_CreateObject();
    cJSON_AddNumberToObject(r->payload, "step", step);
}

/* The input KEY names: its index, and whether it is the activation; -1 when unknown. */
static int hb__test_input(const hb_tcase *tc, const char *key, bool *is_act) {
    size_t len = strlen(key);
    for (size_t i = 0; i < tc->n_in; i++) {
        const char *n = tc->in[i].name;
        size_t base = strlen(n) - 2; /* without "_u" */
        if (strcmp(key, n) == 0) {
            *is_act = false;
            return (int)i;
        }
        if (len == base + 9 && strncmp(key, n, base) == 0 && strcmp(key + base, "_activate") == 0) {
            *is_act = true;
            return (int)i;
        }
    }
    return -1;
}

/* An activation value as BOPTEST reads it: 1/0, true/false, "1"/"0", "True"/"false"... */
static int hb__test_flag(const cJSON *v) {
    double d;
    if (cJSON_IsBool(v)) {
        return cJSON_IsTrue(v) ? 1 : 0;
    }
    if (hb__test_num(v, &d)) {
        return d == 1.0 ? 1 : (d == 0.0 ? 0 : -1);
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (strcmp(s, "True") == 0 || strcmp(s, "true") == 0) {
            return 1;
        }
        if (strcmp(s, "False") == 0 || strcmp(s, "false") == 0) {
            return 0;
        }
    }
    return -1;
}

/* Reads the inputs of BODY into ACT/U; false with R filled (400) on a bad key or value. Values out
 * of the input's range are clamped with a warning in WARN, as BOPTEST does. */
static bool hb__test_read_inputs(const hb_test *t, const cJSON *body, int *act, double *u,
                                 char *warn, size_t wlen, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    const cJSON *v;
    cJSON_ArrayForEach(v, body) {
        bool is_act = false;
        int i = hb__test_input(tc, v->string, &is_act);
        if (i < 0) {
            if (strcmp(v->string, "time") == 0) {
                continue;
            }
            hb__test_msg(r, 400, "Unexpected input variable: %.200s.", v->string);
            return false;
        }
        if (cJSON_IsNull(v)) {
            continue;
        }
        if (is_act) {
            int f = hb__test_flag(v);
            if (f < 0) {
                hb__test_msg(r, 400,
                             "Invalid value for input %.100s. Input must be a boolean, float, "
                             "integer or string able to be converted to a 1 or 0.",
                             v->string);
                return false;
            }
            act[i] = f;
            continue;
        }
        double d;
        if (!hb__test_num(v, &d)) {
            hb__test_msg(r, 400,
                         "Invalid value for input %.100s. Value must be a float, integer, or "
                         "string able to be converted to a float.",
                         v->string);
            return false;
        }
        const hb_tc_point *p = &tc->in[i];
        double c = d < p->min ? p->min : (d > p->max ? p->max : d);
        if (c != d) {
            size_t n = strlen(warn);
            snprintf(warn + n, wlen - n, "WARNING: value of %g for %s is %s of %g. Using %g.;", d,
                     p->name, d < p->min ? "below minimum" : "above maximum", c, c);
        }
        u[i] = c;
    }
    return true;
}

void hb_test_advance(hb_test *t, const cJSON *body, double wall_s, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    int act[HB_TC_MAX_IN] = {0};
    double u[HB_TC_MAX_IN] = {0};
    char warn[sizeof r->message] = "";
    r->payload = NULL;
    if (body && !cJSON_IsObject(body)) {
        hb__test_msg(r, 400, "%s", "The inputs must be a JSON object.");
        return;
    }
    if (body && !hb__test_read_inputs(t, body, act, u, warn, sizeof warn, r)) {
        return;
    }
    if (t->store_errno) {
        hb__test_store_msg(t, 500, r);
        return;
    }
    if (t->has_tic && t->step_s > 0.0) {
        hb_bkpi_add_ratio(&t->kpi, (wall_s - t->tic_s) / t->step_s);
    }
    if (t->now_s >= t->end_s) {
        hb__test_msg(r, 200, "%s", "End of test case scenario time period reached.");
        r->payload = cJSON_CreateObject();
        return;
    }
    double t1 = t->now_s + t->step_s;
    t1 = t1 > t->end_s ? t->end_s : t1;
    int n = hb__test_ncp(t1 - t->now_s);
    if (t->n_rows + n > HB_TEST_MAX_ROWS) {
        hb__test_msg(r, 400, "%s", "This test holds the most results it can; initialize it again.");
        return;
    }
    long before = t->n_rows;
    if (t1 > t->now_s) {
        int rc = tc->simulate(t->tc, t->now_s, t1, u, act, n, false, hb__test_sample, t);
        if (t->store_errno) {
            hb__test_store_msg(t, 500, r);
            return;
        }
        if (rc != HB_OK || t->n_rows != before + n) {
            hb__test_msg(r, 500, "Failed to advance simulation: %s.", hb_strerror(rc));
            return;
        }
    }
    r->status = 200;
    if (warn[0]) {
        snprintf(r->message, sizeof r->message, "%s", warn);
    } else {
        snprintf(r->message, sizeof r->message, "Advanced simulation successfully from %gs to %gs.",
                 t->now_s, t1);
    }
    t->now_s = t1;
    t->has_tic = true;
    t->tic_s = wall_s;
    r->payload = hb__test_state(t);
}

static cJSON *hb__test_meta(const hb_tc_point *p, bool bounded) {
    cJSON *m = cJSON_CreateObject();
    cJSON_AddItemToObject(m, "Unit", p->unit[0] ? cJSON_CreateString(p->unit) : cJSON_CreateNull());
    cJSON_AddStringToObject(m, "Description", p->desc);
    if (bounded) {
        cJSON_AddItemToObject(m, "Minimum",
                              isnan(p->min) ? cJSON_CreateNull() : cJSON_CreateNumber(p->min));
        cJSON_AddItemToObject(m, "Maximum",
                              isnan(p->max) ? cJSON_CreateNull() : cJSON_CreateNumber(p->max));
    }
    return m;
}

void hb_test_inputs(hb_test *t, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < tc->n_in; i++) {
        hb_tc_point a = tc->in[i];
        snprintf(a.name, sizeof a.name, "%.*s_activate", (int)strlen(tc->in[i].name) - 2,
                 tc->in[i].name);
        a.unit[0] = '\0';
        snprintf(a.desc, sizeof a.desc, "Activation for %.80s", tc->in[i].desc);
        a.min = NAN;
        a.max = NAN;
        cJSON_AddItemToObject(o, a.name, hb__test_meta(&a, true));
        cJSON_AddItemToObject(o, tc->in[i].name, hb__test_meta(&tc->in[i], true));
    }
    hb__test_msg(r, 200, "%s", "Queried the inputs successfully.");
    r->payload = o;
}

void hb_test_measurements(hb_test *t, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < tc->n_out; i++) {
        cJSON_AddItemToObject(o, tc->out[i].name, hb__test_meta(&tc->out[i], true));
    }
    hb__test_msg(r, 200, "%s", "Queried the measurements successfully.");
    r->payload = o;
}

/* The stored column of point NAME, or -1. */
static int hb__test_column(const hb_tcase *tc, const char *name) {
    for (size_t i = 0; i < tc->n_out; i++) {
        if (strcmp(name, tc->out[i].name) == 0) {
            return (int)(1 + i);
        }
    }
    bool is_act = false;
    int i = hb__test_input(tc, name, &is_act);
    return i < 0 ? -1 : (int)(1 + tc->n_out + (is_act ? tc->n_in : 0) + (size_t)i);
}

/* Adds the N rows of ROWS whose time is within [T0, T1] to the arrays ARR (time, then the
 * columns COLS; an array NULL is skipped). */
static void hb__test_emit(const hb_test *s, const double *rows, long n, double t0, double t1,
                          cJSON **arr, const int *cols, int n_cols) {
    for (long i = 0; i < n; i++) {
        const double *row = rows + (size_t)i * s->width;
        if (row[0] < t0 || row[0] > t1) {
            continue;
        }
        cJSON_AddItemToArray(arr[0], cJSON_CreateNumber(row[0]));
        for (int k = 0; k < n_cols; k++) {
            if (arr[k + 1]) {
                cJSON_AddItemToArray(arr[k + 1], cJSON_CreateNumber(row[cols[k]]));
            }
        }
    }
}

/* Reads spilled chunk K into BUF (a chunk's bytes); false with errno set when it cannot. */
static bool hb__test_read_chunk(const hb_test *s, long k, double *buf) {
    size_t bytes = (size_t)s->chunk_rows * s->width * sizeof *buf;
    off_t off = (off_t)k * (off_t)bytes;
    for (size_t done = 0; done < bytes;) {
        ssize_t got = pread(s->fd, (char *)buf + done, bytes - done, off + (off_t)done);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            errno = got < 0 ? errno : EIO; /* the file is shorter than what was written */
            return false;
        }
        done += (size_t)got;
    }
    return true;
}

/* The rows within [T0, T1] into ARR, from the spill file (the chunks the range touches) then
 * memory; false with R filled when the file cannot be read. */
static bool hb__test_collect(const hb_test *s, double t0, double t1, cJSON **arr, const int *cols,
                             int n_cols, hb_test_reply *r) {
    double *buf = NULL;
    for (long k = 0; k < s->n_disk / s->chunk_rows; k++) {
        if (s->span[2 * k + 1] < t0 || s->span[2 * k] > t1) {
            continue;
        }
        if (!buf) {
            buf = malloc((size_t)s->chunk_rows * s->width * sizeof *buf);
        }
        if (!buf || !hb__test_read_chunk(s, k, buf)) {
            r->status = 500;
            snprintf(r->message, sizeof r->message,
                     "Failed to read the stored results of this test: %s (spill file in %.100s).",
                     strerror(buf ? errno : ENOMEM), hb__test_dir(s));
            free(buf);
            return false;
        }
        hb__test_emit(s, buf, s->chunk_rows, t0, t1, arr, cols, n_cols);
    }
    free(buf);
    hb__test_emit(s, s->rows, s->n_rows - s->n_disk, t0, t1, arr, cols, n_cols);
    return true;
}

void hb_test_results(hb_test *t, const cJSON *body, hb_test_reply *r) {
    double t0, t1;
    r->payload = NULL;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(body, "point_names");
    if (!cJSON_IsArray(names)) {
        hb__test_msg(r, 400, "%s", "Missing parameter point_names (a list of point names).");
        return;
    }
    if (!hb__test_num(cJSON_GetObjectItemCaseSensitive(body, "start_time"), &t0) ||
        !hb__test_num(cJSON_GetObjectItemCaseSensitive(body, "final_time"), &t1)) {
        hb__test_msg(r, 400, "%s",
                     "Invalid value for parameter start_time or final_time. Value must be a "
                     "float, integer, or string able to be converted to a float.");
        return;
    }
    int cols[HB_TC_MAX_OUT + 2 * HB_TC_MAX_IN];
    const char *keys[HB_TC_MAX_OUT + 2 * HB_TC_MAX_IN];
    int n = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, names) {
        int c = cJSON_IsString(v) ? hb__test_column(t->tc, v->valuestring) : -1;
        if (c < 0) {
            hb__test_msg(r, 400,
                         "Invalid point name %.100s in parameter point_names.  Check lists of "
                         "available inputs and measurements.",
                         cJSON_IsString(v) ? v->valuestring : "(not a string)");
            return;
        }
        if (n < (int)(sizeof cols / sizeof cols[0])) {
            cols[n] = c;
            keys[n++] = v->valuestring;
        }
    }
    if (t->store_errno) {
        hb__test_store_msg(t, 500, r);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *arr[HB_TC_MAX_OUT + 2 * HB_TC_MAX_IN + 1];
    arr[0] = cJSON_AddArrayToObject(o, "time");
    for (int k = 0; k < n; k++) {
        arr[k + 1] = cJSON_GetObjectItemCaseSensitive(o, keys[k]);
        if (!arr[k + 1]) {
            arr[k + 1] = cJSON_AddArrayToObject(o, keys[k]);
        } else {
            arr[k + 1] = NULL; /* a name asked twice is answered once */
        }
    }
    if (!hb__test_collect(t, t0, t1, arr, cols, n, r)) {
        cJSON_Delete(o);
        return;
    }
    r->status = 200;
    snprintf(r->message, sizeof r->message, "Queried results data successfully for %d point names.",
             n);
    r->payload = o;
}

static void hb__test_kpi_num(cJSON *o, const char *key, double v) {
    cJSON_AddItemToObject(o, key, isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull());
}

void hb_test_kpi(hb_test *t, hb_test_reply *r) {
    hb_bkpi_out k;
    hb_bkpi_result(&t->kpi, &k);
    cJSON *o = cJSON_CreateObject();
    hb__test_kpi_num(o, "tdis_tot", k.tdis_tot);
    hb__test_kpi_num(o, "idis_tot", k.idis_tot);
    hb__test_kpi_num(o, "ener_tot", k.ener_tot);
    hb__test_kpi_num(o, "cost_tot", k.cost_tot);
    hb__test_kpi_num(o, "emis_tot", k.emis_tot);
    hb__test_kpi_num(o, "pele_tot", k.pele_tot);
    hb__test_kpi_num(o, "pgas_tot", k.pgas_tot);
    hb__test_kpi_num(o, "pdih_tot", k.pdih_tot);
    hb__test_kpi_num(o, "time_rat", k.time_rat);
    if (t->tc->extra_kpis) {
        t->tc->extra_kpis(t->tc, o);
    }
    hb__test_msg(r, 200, "%s", "Queried KPIs successfully.");
    r->payload = o;
}

static cJSON *hb__test_str_or_null(const char *s) {
    return s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

void hb_test_get_scenario(hb_test *t, hb_test_reply *r) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "electricity_price", hb__test_str_or_null(t->price));
    cJSON_AddItemToObject(o, "time_period", hb__test_str_or_null(t->period));
    cJSON_AddNullToObject(o, "temperature_uncertainty");
    cJSON_AddNullToObject(o, "solar_uncertainty");
    cJSON_AddItemToObject(o, "seed",
                          t->has_seed ? cJSON_CreateNumber((double)t->seed) : cJSON_CreateNull());
    hb__test_msg(r, 200, "%s", "Queried scenario successfully.");
    r->payload = o;
}

void hb_test_set_scenario(hb_test *t, const cJSON *body, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    r->payload = NULL;
    if (!cJSON_IsObject(body)) {
        hb__test_msg(r, 400, "%s", "The scenario must be a JSON object.");
        return;
    }
    const cJSON *price = cJSON_GetObjectItemCaseSensitive(body, "electricity_price");
    const cJSON *period = cJSON_GetObjectItemCaseSensitive(body, "time_period");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(body, "seed");
    if (price && !cJSON_IsNull(price) &&
        (!cJSON_IsString(price) || (strcmp(price->valuestring, "constant") != 0 &&
                                    strcmp(price->valuestring, "dynamic") != 0 &&
                                    strcmp(price->valuestring, "highly_dynamic") != 0))) {
        hb__test_msg(r, 400, "%s",
                     "Scenario parameter electricity_price must be one of constant, dynamic, "
                     "highly_dynamic.");
        return;
    }
    int pi = -1;
    if (period && !cJSON_IsNull(period)) {
        for (size_t i = 0; cJSON_IsString(period) && i < tc->n_periods; i++) {
            if (strcmp(period->valuestring, tc->period_name[i]) == 0) {
                pi = (int)i;
            }
        }
        if (pi < 0) {
            hb__test_msg(r, 400,
                         "Scenario parameter time_period is not one of this test case's: %s.",
                         tc->n_periods ? tc->period_name[0] : "(none)");
            return;
        }
    }
    const char *unc[] = {"temperature_uncertainty", "solar_uncertainty"};
    for (int i = 0; i < 2; i++) {
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, unc[i]);
        if (u && !cJSON_IsNull(u)) {
            hb__test_msg(r, 400, "Scenario parameter %s is not supported by heatbench yet.",
                         unc[i]);
            return;
        }
    }
    double sd = 0.0;
    if (seed && !cJSON_IsNull(seed) && (!hb__test_num(seed, &sd) || sd < 0 || sd > 4e9)) {
        hb__test_msg(r, 400, "%s", "Scenario parameter seed must be a non-negative integer.");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    if (price && cJSON_IsString(price)) {
        snprintf(t->price, sizeof t->price, "%s", price->valuestring);
        cJSON_AddStringToObject(o, "electricity_price", t->price);
    }
    if (seed && !cJSON_IsNull(seed)) {
        t->seed = (long)sd;
        t->has_seed = true;
    }
    if (pi >= 0) {
        /* BOPTEST's periods: two weeks centred on the declared day, a week of warm-up before. */
        double start = tc->period_day[pi] * 86400.0 - 7.0 * 86400.0;
        start = start < 0.0 ? 0.0 : start;
        if (hb__test_init(t, start, 7.0 * 86400.0, start + 14.0 * 86400.0) != HB_OK) {
            cJSON_Delete(o);
            if (t->store_errno) {
                hb__test_store_msg(t, 500, r);
            } else {
                hb__test_msg(r, 500, "%s", "Failed to initialize the time period.");
            }
            return;
        }
        snprintf(t->period, sizeof t->period, "%s", tc->period_name[pi]);
        cJSON_AddItemToObject(o, "time_period", hb__test_state(t));
    } else {
        cJSON_AddNullToObject(o, "time_period");
    }
    hb__test_msg(r, 200, "%s", "Test case scenario was set successfully.");
    r->payload = o;
}

void hb_test_forecast_points(hb_test *t, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < tc->n_fc; i++) {
        cJSON_AddItemToObject(o, tc->fc[i].name, hb__test_meta(&tc->fc[i], false));
    }
    hb__test_msg(r, 200, "%s", "Queried the forecast points successfully.");
    r->payload = o;
}

void hb_test_forecast(hb_test *t, const cJSON *body, hb_test_reply *r) {
    const hb_tcase *tc = t->tc;
    double horizon, interval;
    r->payload = NULL;
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(body, "point_names");
    if (!cJSON_IsArray(names) || !hb__test_param(body, "horizon", &horizon, r) ||
        !hb__test_param(body, "interval", &interval, r)) {
        if (!cJSON_IsArray(names)) {
            hb__test_msg(r, 400, "%s", "Missing parameter point_names (a list of point names).");
        }
        return;
    }
    if (interval <= 0.0 || horizon / interval > 1e5) {
        hb__test_msg(r, 400, "%s",
                     "The forecast must have a positive interval and at most 100000 points.");
        return;
    }
    long n = (long)floor(horizon / interval + 1e-9) + 1;
    cJSON *o = cJSON_CreateObject();
    cJSON *time = cJSON_AddArrayToObject(o, "time");
    for (long k = 0; k < n; k++) {
        cJSON_AddItemToArray(time, cJSON_CreateNumber(t->now_s + (double)k * interval));
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, names) {
        size_t i = 0;
        while (cJSON_IsString(v) && i < tc->n_fc && strcmp(tc->fc[i].name, v->valuestring) != 0) {
            i++;
        }
        if (!cJSON_IsString(v) || i == tc->n_fc) {
            cJSON_Delete(o);
            hb__test_msg(r, 400, "Invalid point name %.100s in parameter point_names.",
                         cJSON_IsString(v) ? v->valuestring : "(not a string)");
            return;
        }
        cJSON *a = cJSON_AddArrayToObject(o, v->valuestring);
        for (long k = 0; a && k < n; k++) {
            cJSON_AddItemToArray(
                a, cJSON_CreateNumber(tc->forecast(tc, i, t->now_s + (double)k * interval)));
        }
    }
    hb__test_msg(r, 200, "%s", "Queried the forecast data successfully.");
    r->payload = o;
}
