#define _GNU_SOURCE /* strdup */
#include "hb_sweep.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "../util/hb_rng.h"
#include "../util/hb_strutil.h"

#include <cjson/cJSON.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HB__MAX_SWEEP_FILE (16u << 20)
#define HB__MAX_LIST 100000 /* entries of one list (scenarios, controllers, a grid axis) */

enum { HB__DIST_UNIFORM, HB__DIST_NORMAL, HB__DIST_LOGNORMAL };
static const char *const hb__dists[] = {"uniform", "normal", "log-normal", NULL};

typedef struct hb__sparam {
    const char *key;
    int dist;
    double a, b; /* uniform: min, max; normal: mean, sd; log-normal: mu, sigma of the log */
} hb__sparam;

typedef struct hb__axis {
    const char *key;
    size_t n;
    const cJSON **values;
} hb__axis;

struct hb_sweep {
    char *path;
    char *dir;
    char *text;
    cJSON *root;
    hb_sweep_options o;
    size_t n_scen;
    const char **scen_names;
    cJSON **scen_docs;
    char **scen_dirs;
    char (*scen_digest)[HB_SWEEP_ID_LEN + 1]; /* of the data files a scenario reads (CSV) */
    size_t n_ctl;
    const char **ctls;
    size_t n_seeds;
    uint64_t seed_from; /* a range: seed_from + k */
    uint64_t *seeds;    /* a list, or NULL */
    bool has_hours;
    double hours;
    size_t n_axes;
    hb__axis *axes;
    size_t n_samples; /* 0: no samples */
    uint64_t sample_seed;
    size_t n_params;
    hb__sparam *params;
    size_t n_keys; /* every scenario key an override may name */
    char **keys;
};

/* ---- messages ------------------------------------------------------------------------------ */

/* Line and column of the key path K1 (then K2 after it) in the sweep text: cJSON keeps no
 * positions, so the quoted keys are looked up in order, which finds them in any file a person
 * writes (a key quoted inside an earlier string value could mislead it; the message stays
 * right, only its position would be early). */
static void hb__locate(const hb_sweep *s, const char *k1, const char *k2, int *line, int *col) {
    const char *p = s->text;
    const char *keys[2] = {k1, k2};
    for (int i = 0; i < 2 && keys[i]; i++) {
        char q[300];
        snprintf(q, sizeof q, "\"%s\"", keys[i]);
        const char *f = strstr(p, q);
        if (f) {
            p = f;
        }
    }
    *line = 1;
    *col = 1;
    for (const char *c = s->text; c < p; c++) {
        if (*c == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int hb__err(const hb_sweep *s, char *err, size_t errlen, int rc, const char *k1,
                   const char *k2, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static int hb__err(const hb_sweep *s, char *err, size_t errlen, int rc, const char *k1,
                   const char *k2, const char *fmt, ...) {
    int line;
    int col;
    hb__locate(s, k1, k2, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    int off = snprintf(err, errlen, "%s:%d:%d: ", s->path, line, col);
    if (off > 0 && (size_t)off < errlen) {
        /* clang-tidy 14's analyzer misses the va_start above (a known false positive). */
        // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
        vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
    }
    va_end(ap);
    return rc;
}

/* ---- hashing and canonical documents ------------------------------------------------------- */

/* SHA-256 (libcrypto) rather than a home-made 64-bit hash: ids must not collide across a
 * million runs and must be the same on every machine; a standard digest settles both, and its
 * cost (a microsecond per run) is nothing beside a simulation. */
void hb_sweep_hash_hex(const void *data, size_t len, char *out) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) != 1 || n < HB_SWEEP_ID_LEN / 2) {
        memset(md, 0, sizeof md);
    }
    for (int i = 0; i < HB_SWEEP_ID_LEN / 2; i++) {
        snprintf(out + (size_t)2 * i, 3, "%02x", md[i]);
    }
    out[HB_SWEEP_ID_LEN] = '\0';
}

static int hb__cmp_child(const void *a, const void *b) {
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Sorts the keys of every object in V, so that the printed document depends on its content
 * only, not on the order keys were written or overrides applied. */
static int hb__canon(cJSON *v) {
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
        return HB_OK;
    }
    size_t n = 0;
    for (cJSON *c = v->child; c; c = c->next) {
        if (hb__canon(c) != HB_OK) {
            return HB_ERR_NOMEM;
        }
        n++;
    }
    if (!cJSON_IsObject(v) || n < 2) {
        return HB_OK;
    }
    cJSON **a = malloc(n * sizeof(cJSON *));
    if (!a) {
        return HB_ERR_NOMEM;
    }
    size_t i = 0;
    for (cJSON *c = v->child; c; c = c->next) {
        a[i++] = c;
    }
    qsort(a, n, sizeof(cJSON *), hb__cmp_child);
    for (i = 0; i < n; i++) {
        a[i]->prev = i ? a[i - 1] : a[n - 1]; /* cJSON: the head's prev is the tail */
        a[i]->next = i + 1 < n ? a[i + 1] : NULL;
    }
    v->child = a[0];
    free(a);
    return HB_OK;
}

/* Sets the dotted scenario key PATH ("room.ua_w_per_k") in DOC to a copy of V. */
static int hb__set_path(cJSON *doc, const char *path, const cJSON *v) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    cJSON *o = doc;
    char *seg = buf;
    for (char *dot = strchr(seg, '.'); dot; seg = dot + 1, dot = strchr(seg, '.')) {
        *dot = '\0';
        cJSON *sub = cJSON_GetObjectItemCaseSensitive(o, seg);
        if (!cJSON_IsObject(sub)) {
            cJSON_DeleteItemFromObjectCaseSensitive(o, seg);
            sub = cJSON_AddObjectToObject(o, seg);
            if (!sub) {
                return HB_ERR_NOMEM;
            }
        }
        o = sub;
    }
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!copy) {
        return HB_ERR_NOMEM;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, seg);
    cJSON_AddItemToObject(o, seg, copy);
    return HB_OK;
}

/* ---- the scenario keys an override may name ------------------------------------------------ */

static void hb__collect_key(const char *path, const hb_field *f, const void *value, void *ud) {
    (void)value;
    hb_sweep *s = ud;
    if (f->type == HB_F_OBJ || f->type == HB_F_ARRAY || strstr(path, "[]")) {
        return;
    }
    char **k = realloc(s->keys, (s->n_keys + 1) * sizeof *k);
    if (!k) {
        return;
    }
    s->keys = k;
    char *d = strdup(path);
    if (d) {
        s->keys[s->n_keys++] = d;
    }
}

static int hb__check_key(const hb_sweep *s, const char *section, const char *key, char *err,
                         size_t errlen) {
    for (size_t i = 0; i < s->n_keys; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            return HB_OK;
        }
    }
    const char *hint = hb_str_suggest(key, (const char *const *)s->keys, s->n_keys);
    if (hint) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, section, key,
                       "%s.\"%s\": unknown scenario key (did you mean \"%s\"?)", section, key,
                       hint);
    }
    return hb__err(s, err, errlen, HB_ERR_PARSE, section, key,
                   "%s.\"%s\": unknown scenario key (an override names a key of a scenario "
                   "section, e.g. \"room.ua_w_per_k\"; `heatbench keys` lists them)",
                   section, key);
}

/* ---- parsing ------------------------------------------------------------------------------- */

static const char *const hb__top_keys[] = {"name",  "description", "scenarios", "controllers",
                                           "seeds", "hours",       "grid",      "samples"};
#define HB__N_TOP (sizeof hb__top_keys / sizeof hb__top_keys[0])

static int hb__strings(hb_sweep *s, const char *key, const char **out[], size_t *n, char *err,
                       size_t errlen) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(s->root, key);
    if (!a) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, NULL, NULL, "%s: required (a list of names)",
                       key);
    }
    if (!cJSON_IsArray(a)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, key, NULL, "%s: expected an array of strings",
                       key);
    }
    *n = (size_t)cJSON_GetArraySize(a);
    if (*n == 0 || *n > HB__MAX_LIST) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, key, NULL,
                       "%s: expected 1 to %d names, got %zu", key, HB__MAX_LIST, *n);
    }
    *out = calloc(*n, sizeof **out);
    if (!*out) {
        return HB_ERR_NOMEM;
    }
    size_t i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a) {
        if (!cJSON_IsString(e) || !*e->valuestring) {
            return hb__err(s, err, errlen, HB_ERR_PARSE, key, NULL,
                           "%s[%zu]: expected a non-empty string", key, i);
        }
        (*out)[i++] = e->valuestring;
    }
    return HB_OK;
}

static int hb__sw_controllers(hb_sweep *s, char *err, size_t errlen) {
    int rc = hb__strings(s, "controllers", &s->ctls, &s->n_ctl, err, errlen);
    for (size_t i = 0; rc == HB_OK && i < s->n_ctl; i++) {
        hb_room_ctl_config probe;
        memset(&probe, 0, sizeof probe);
        if (s->o.controller(s->ctls[i], &probe) != 0) {
            size_t nn = 0;
            while (s->o.ctl_names && s->o.ctl_names[nn]) {
                nn++;
            }
            const char *hint = hb_str_suggest(s->ctls[i], s->o.ctl_names, nn);
            return hb__err(s, err, errlen, HB_ERR_RANGE, "controllers", s->ctls[i],
                           "controllers[%zu]: unknown controller \"%s\"%s%s%s", i, s->ctls[i],
                           hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
        }
    }
    return rc;
}

static bool hb__u64(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) || v->valuedouble > 9007199254740992.0 ||
        v->valuedouble != floor(v->valuedouble)) {
        return false;
    }
    *out = (uint64_t)v->valuedouble;
    return true;
}

static int hb__seeds(hb_sweep *s, char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->root, "seeds");
    if (!v) { /* the scenarios' own seeds would differ per scenario; one explicit default */
        s->n_seeds = 1;
        s->seed_from = 1;
        return HB_OK;
    }
    if (cJSON_IsArray(v)) {
        s->n_seeds = (size_t)cJSON_GetArraySize(v);
        if (s->n_seeds == 0) {
            return hb__err(s, err, errlen, HB_ERR_RANGE, "seeds", NULL,
                           "seeds: expected at least one seed, got an empty list");
        }
        s->seeds = calloc(s->n_seeds, sizeof *s->seeds);
        if (!s->seeds) {
            return HB_ERR_NOMEM;
        }
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!hb__u64(e, &s->seeds[i])) {
                return hb__err(s, err, errlen, HB_ERR_RANGE, "seeds", NULL,
                               "seeds[%zu]: expected an integer in [0, 2^53]", i);
            }
            i++;
        }
        return HB_OK;
    }
    if (!cJSON_IsObject(v)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, "seeds", NULL,
                       "seeds: expected a list of integers or {\"from\": A, \"to\": B}");
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (strcmp(e->string, "from") != 0 && strcmp(e->string, "to") != 0) {
            const char *const ft[] = {"from", "to"};
            const char *hint = hb_str_suggest(e->string, ft, 2);
            return hb__err(s, err, errlen, HB_ERR_PARSE, "seeds", e->string,
                           "seeds.%s: unknown key%s%s%s; expected \"from\" and \"to\"", e->string,
                           hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
        }
    }
    uint64_t from;
    uint64_t to;
    if (!hb__u64(cJSON_GetObjectItemCaseSensitive(v, "from"), &from) ||
        !hb__u64(cJSON_GetObjectItemCaseSensitive(v, "to"), &to)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, "seeds", NULL,
                       "seeds: \"from\" and \"to\" must both be integers in [0, 2^53]");
    }
    if (to < from) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, "seeds", "to",
                       "seeds: the range %llu..%llu has no values (\"to\" is below \"from\")",
                       (unsigned long long)from, (unsigned long long)to);
    }
    if (to - from >= 100000000u) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, "seeds", "to",
                       "seeds: at most 100000000 seeds, got %" PRIu64, to - from + 1);
    }
    s->seed_from = from;
    s->n_seeds = (size_t)(to - from + 1);
    return HB_OK;
}

static int hb__sw_grid(hb_sweep *s, char *err, size_t errlen) {
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(s->root, "grid");
    if (!g) {
        return HB_OK;
    }
    if (!cJSON_IsObject(g)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, "grid", NULL,
                       "grid: expected an object {\"room.ua_w_per_k\": [80, 100, 120], ...}");
    }
    s->n_axes = (size_t)cJSON_GetArraySize(g);
    s->axes = calloc(s->n_axes ? s->n_axes : 1, sizeof *s->axes);
    if (!s->axes) {
        return HB_ERR_NOMEM;
    }
    size_t i = 0;
    const cJSON *a;
    cJSON_ArrayForEach(a, g) {
        int rc = hb__check_key(s, "grid", a->string, err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
        if (!cJSON_IsArray(a)) {
            return hb__err(s, err, errlen, HB_ERR_PARSE, "grid", a->string,
                           "grid.\"%s\": expected an array of values", a->string);
        }
        hb__axis *x = &s->axes[i++];
        x->key = a->string;
        x->n = (size_t)cJSON_GetArraySize(a);
        if (x->n == 0 || x->n > HB__MAX_LIST) {
            return hb__err(s, err, errlen, HB_ERR_RANGE, "grid", a->string,
                           "grid.\"%s\": expected 1 to %d values, got %zu", a->string, HB__MAX_LIST,
                           x->n);
        }
        x->values = calloc(x->n, sizeof(const cJSON *));
        if (!x->values) {
            return HB_ERR_NOMEM;
        }
        size_t k = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, a) {
            x->values[k++] = e;
        }
    }
    return HB_OK;
}

static int hb__sw_num(const hb_sweep *s, const cJSON *p, const char *pk, const char *name,
                      double *out, char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, name);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, "samples", pk,
                       "samples.params.\"%s\".%s: expected a number", pk, name);
    }
    *out = v->valuedouble;
    return HB_OK;
}

static int hb__sweep_param(hb_sweep *s, const cJSON *p, hb__sparam *x, char *err, size_t errlen) {
    const char *pk = p->string;
    int rc = hb__check_key(s, "samples.params", pk, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    x->key = pk;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(p, "dist");
    if (!cJSON_IsObject(p) || !cJSON_IsString(d)) {
        return hb__err(s, err, errlen, HB_ERR_PARSE, "samples", pk,
                       "samples.params.\"%s\": expected {\"dist\": \"uniform\", \"min\": A, "
                       "\"max\": B}, {\"dist\": \"normal\", \"mean\": M, \"sd\": S} or "
                       "{\"dist\": \"log-normal\", \"mu\": M, \"sigma\": S}",
                       pk);
    }
    x->dist = -1;
    for (int i = 0; hb__dists[i]; i++) {
        if (strcmp(hb__dists[i], d->valuestring) == 0) {
            x->dist = i;
        }
    }
    if (x->dist < 0) {
        const char *hint = hb_str_suggest(d->valuestring, hb__dists, 3);
        return hb__err(s, err, errlen, HB_ERR_RANGE, "samples", pk,
                       "samples.params.\"%s\".dist: unknown distribution \"%s\"%s%s%s; expected "
                       "\"uniform\", \"normal\" or \"log-normal\"",
                       pk, d->valuestring, hint ? " (did you mean \"" : "", hint ? hint : "",
                       hint ? "\"?)" : "");
    }
    static const char *const names[3][2] = {{"min", "max"}, {"mean", "sd"}, {"mu", "sigma"}};
    const cJSON *e;
    cJSON_ArrayForEach(e, p) {
        if (strcmp(e->string, "dist") != 0 && strcmp(e->string, names[x->dist][0]) != 0 &&
            strcmp(e->string, names[x->dist][1]) != 0) {
            return hb__err(s, err, errlen, HB_ERR_PARSE, pk, e->string,
                           "samples.params.\"%s\".%s: unknown key for %s; expected \"%s\" and "
                           "\"%s\"",
                           pk, e->string, hb__dists[x->dist], names[x->dist][0], names[x->dist][1]);
        }
    }
    if ((rc = hb__sw_num(s, p, pk, names[x->dist][0], &x->a, err, errlen)) != HB_OK ||
        (rc = hb__sw_num(s, p, pk, names[x->dist][1], &x->b, err, errlen)) != HB_OK) {
        return rc;
    }
    if (x->dist == HB__DIST_UNIFORM ? !(x->b > x->a) : !(x->b > 0)) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, "samples", pk,
                       "samples.params.\"%s\": the range is empty (%s %g, %s %g): expected %s", pk,
                       names[x->dist][0], x->a, names[x->dist][1], x->b,
                       x->dist == HB__DIST_UNIFORM ? "max above min" : "a spread above 0");
    }
    return HB_OK;
}

static int hb__samples(hb_sweep *s, char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s->root, "samples");
    if (!v) {
        return HB_OK;
    }
    const cJSON *e;
    static const char *const sk[] = {"n", "seed", "params"};
    cJSON_ArrayForEach(e, v) {
        if (strcmp(e->string, "n") != 0 && strcmp(e->string, "seed") != 0 &&
            strcmp(e->string, "params") != 0) {
            const char *hint = hb_str_suggest(e->string, sk, 3);
            return hb__err(s, err, errlen, HB_ERR_PARSE, "samples", e->string,
                           "samples.%s: unknown key%s%s%s; expected \"n\", \"seed\", \"params\"",
                           e->string, hint ? " (did you mean \"" : "", hint ? hint : "",
                           hint ? "\"?)" : "");
        }
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(v, "params");
    uint64_t n;
    if (!hb__u64(cJSON_GetObjectItemCaseSensitive(v, "n"), &n) || n < 1 || n > 10000000 ||
        !cJSON_IsObject(params) || cJSON_GetArraySize(params) < 1) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, "samples", NULL,
                       "samples: expected {\"n\": 1 to 10000000, \"seed\": S, \"params\": "
                       "{\"room.ua_w_per_k\": {\"dist\": \"uniform\", \"min\": 80, \"max\": "
                       "120}, ...}}");
    }
    s->n_samples = (size_t)n;
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(v, "seed");
    if (sd && !hb__u64(sd, &s->sample_seed)) {
        return hb__err(s, err, errlen, HB_ERR_RANGE, "samples", "seed",
                       "samples.seed: expected an integer in [0, 2^53]");
    }
    s->n_params = (size_t)cJSON_GetArraySize(params);
    s->params = calloc(s->n_params, sizeof *s->params);
    if (!s->params) {
        return HB_ERR_NOMEM;
    }
    size_t i = 0;
    cJSON_ArrayForEach(e, params) {
        int rc = hb__sweep_param(s, e, &s->params[i++], err, errlen);
        if (rc != HB_OK) {
            return rc;
        }
    }
    return HB_OK;
}

/* Finds a scenario named in the sweep: a path relative to the sweep file, then to the current
 * directory, then a shipped scenario by name ("cold-snap"). */
static char *hb__scenario_path(const hb_sweep *s, const char *name) {
    char buf[8400];
    if (!name) {
        return NULL;
    }
    if (name[0] != '/') {
        snprintf(buf, sizeof buf, "%s/%s", s->dir, name);
        if (access(buf, R_OK) == 0) {
            return strdup(buf);
        }
    }
    if (access(name, R_OK) == 0) {
        return strdup(name);
    }
    char dir[4096];
    if (!strchr(name, '/') && hb_datadir("scenarios", dir, sizeof dir) == HB_OK) {
        size_t n = strlen(name);
        bool ext = n > 5 && strcmp(name + n - 5, ".json") == 0;
        snprintf(buf, sizeof buf, "%s/%s%s", dir, name, ext ? "" : ".json");
        if (access(buf, R_OK) == 0) {
            return strdup(buf);
        }
    }
    return NULL;
}

/* Reads each base scenario once: its document (the runs' starting point), its directory, and a
 * digest of the weather series it loads from CSV (content a run depends on outside the
 * document). */
static int hb__scenarios(hb_sweep *s, char *err, size_t errlen) {
    int rc = hb__strings(s, "scenarios", &s->scen_names, &s->n_scen, err, errlen);
    if (rc != HB_OK) {
        return rc;
    }
    s->scen_docs = calloc(s->n_scen, sizeof(cJSON *));
    s->scen_dirs = calloc(s->n_scen, sizeof *s->scen_dirs);
    s->scen_digest = calloc(s->n_scen, sizeof *s->scen_digest);
    if (!s->scen_docs || !s->scen_dirs || !s->scen_digest) {
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->n_scen; i++) {
        char *path = hb__scenario_path(s, s->scen_names[i]);
        if (!path) {
            return hb__err(s, err, errlen, HB_ERR_IO, "scenarios", s->scen_names[i],
                           "scenarios[%zu]: no scenario \"%s\" (neither a file beside the sweep, "
                           "nor in the current directory, nor a shipped scenario)",
                           i, s->scen_names[i]);
        }
        char msg[1024];
        hb_sim_config cfg;
        rc = hb_scenario_load_file(path, &cfg, msg, sizeof msg);
        if (rc == HB_OK) {
            const hb_weather_config *w = &cfg.weather;
            size_t n = w->csv_n;
            size_t cols = w->csv_solar ? 3 : 2;
            double *buf = n ? calloc(n * cols + 1, sizeof *buf) : NULL;
            if (buf) {
                memcpy(buf, w->csv_h, n * sizeof *buf);
                memcpy(buf + n, w->csv_t_c, n * sizeof *buf);
                if (w->csv_solar) {
                    memcpy(buf + 2 * n, w->csv_solar, n * sizeof *buf);
                }
            }
            hb_sweep_hash_hex(buf ? (const void *)buf : "", buf ? n * cols * sizeof *buf : 0,
                              s->scen_digest[i]);
            free(buf);
        }
        hb_sim_config_free(&cfg);
        size_t len = 0;
        char *text = rc == HB_OK
                         ? hb_file_read(path, "scenario", HB__MAX_SWEEP_FILE, msg, sizeof msg, &len)
                         : NULL;
        s->scen_docs[i] = text ? cJSON_Parse(text) : NULL;
        free(text);
        char *slash = strrchr(path, '/');
        if (slash) {
            *slash = '\0';
            s->scen_dirs[i] = path;
        } else {
            free(path);
            s->scen_dirs[i] = strdup(".");
        }
        if (rc != HB_OK || !s->scen_docs[i]) {
            return hb__err(s, err, errlen, rc != HB_OK ? rc : HB_ERR_PARSE, "scenarios",
                           s->scen_names[i], "scenarios[%zu]: %s", i, msg);
        }
    }
    return HB_OK;
}

static int hb__sw_parse(hb_sweep *s, char *err, size_t errlen) {
    const char *end = NULL;
    s->root = cJSON_ParseWithOpts(s->text, &end, 1);
    if (!s->root) {
        const char *at = end ? end : s->text;
        while (at > s->text && (*at == '\0' || *at == ' ' || *at == '\n' || *at == '\t')) {
            at--;
        }
        int line = 1;
        int col = 1;
        for (const char *c = s->text; c < at; c++) {
            line += *c == '\n';
            col = *c == '\n' ? 1 : col + 1;
        }
        snprintf(err, errlen, "%s:%d:%d: JSON syntax error", s->path, line, col);
        return HB_ERR_PARSE;
    }
    if (!cJSON_IsObject(s->root)) {
        snprintf(err, errlen, "%s:1:1: expected a JSON object at the top level", s->path);
        return HB_ERR_PARSE;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, s->root) {
        bool known = false;
        for (size_t i = 0; i < HB__N_TOP; i++) {
            known = known || strcmp(e->string, hb__top_keys[i]) == 0;
        }
        for (const cJSON *w = s->root->child; w != e; w = w->next) {
            if (strcmp(w->string, e->string) == 0) {
                return hb__err(s, err, errlen, HB_ERR_PARSE, e->string, NULL, "%s: key given twice",
                               e->string);
            }
        }
        if (!known) {
            const char *hint = hb_str_suggest(e->string, hb__top_keys, HB__N_TOP);
            return hb__err(s, err, errlen, HB_ERR_PARSE, e->string, NULL,
                           "%s: unknown key%s%s%s; a sweep accepts: name, description, "
                           "scenarios, controllers, seeds, hours, grid, samples",
                           e->string, hint ? " (did you mean \"" : "", hint ? hint : "",
                           hint ? "\"?)" : "");
        }
    }
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(s->root, "hours");
    if (h) {
        if (!cJSON_IsNumber(h) || !(h->valuedouble > 0) || h->valuedouble > 876000) {
            return hb__err(s, err, errlen, HB_ERR_RANGE, "hours", NULL,
                           "hours: expected a number in (0, 876000] h");
        }
        s->has_hours = true;
        s->hours = h->valuedouble;
    }
    int rc;
    if ((rc = hb__sw_controllers(s, err, errlen)) != HB_OK || (rc = hb__seeds(s, err, errlen)) ||
        (rc = hb__sw_grid(s, err, errlen)) != HB_OK || (rc = hb__samples(s, err, errlen)) ||
        (rc = hb__scenarios(s, err, errlen)) != HB_OK) {
        return rc;
    }
    return HB_OK;
}

int hb_sweep_load(const char *path, const hb_sweep_options *o, hb_sweep **out, char *err,
                  size_t errlen) {
    *out = NULL;
    hb_sweep *s = calloc(1, sizeof *s);
    if (!s) {
        return HB_ERR_NOMEM;
    }
    s->o = *o;
    s->path = strdup(path);
    s->dir = strdup(path);
    if (!s->path || !s->dir) {
        hb_sweep_destroy(s);
        return HB_ERR_NOMEM;
    }
    char *slash = strrchr(s->dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        snprintf(s->dir, 2, ".");
    }
    size_t len;
    s->text = hb_file_read(path, "sweep", HB__MAX_SWEEP_FILE, err, errlen, &len);
    if (!s->text) {
        hb_sweep_destroy(s);
        return HB_ERR_IO;
    }
    hb_sim_config def;
    hb_sim_config_default(&def);
    int rc = hb_schema_walk(hb_scenario_schema(), &def, "", hb__collect_key, s);
    hb_sim_config_free(&def);
    if (rc == HB_OK) {
        rc = hb__sw_parse(s, err, errlen);
    }
    if (rc == HB_OK && hb_sweep_points(s) * s->n_ctl > SIZE_MAX / 2 / s->n_seeds) {
        rc = hb__err(s, err, errlen, HB_ERR_RANGE, NULL, NULL, "the sweep has too many runs");
    }
    if (rc != HB_OK) {
        if (rc == HB_ERR_NOMEM) {
            snprintf(err, errlen, "%s: out of memory", path);
        }
        hb_sweep_destroy(s);
        return rc;
    }
    *out = s;
    return HB_OK;
}

void hb_sweep_destroy(hb_sweep *s) {
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n_scen; i++) {
        if (s->scen_docs) {
            cJSON_Delete(s->scen_docs[i]);
        }
        if (s->scen_dirs) {
            free(s->scen_dirs[i]);
        }
    }
    for (size_t i = 0; i < s->n_axes; i++) {
        free(s->axes[i].values);
    }
    for (size_t i = 0; i < s->n_keys; i++) {
        free(s->keys[i]);
    }
    free(s->keys);
    free(s->axes);
    free(s->params);
    free(s->seeds);
    free(s->ctls);
    free(s->scen_names);
    free(s->scen_docs);
    free(s->scen_dirs);
    free(s->scen_digest);
    cJSON_Delete(s->root);
    free(s->text);
    free(s->dir);
    free(s->path);
    free(s);
}

bool hb_sweep_is_sweep_file(const char *path) {
    char err[256];
    size_t len;
    char *text = hb_file_read(path, "sweep", HB__MAX_SWEEP_FILE, err, sizeof err, &len);
    if (!text) {
        return false;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    bool yes = cJSON_IsObject(root) && (cJSON_GetObjectItemCaseSensitive(root, "scenarios") ||
                                        cJSON_GetObjectItemCaseSensitive(root, "controllers"));
    cJSON_Delete(root);
    return yes;
}

size_t hb_sweep_points(const hb_sweep *s) {
    size_t n = s->n_scen * (s->n_samples ? s->n_samples : 1);
    for (size_t i = 0; i < s->n_axes; i++) {
        n *= s->axes[i].n;
    }
    return n;
}

size_t hb_sweep_count(const hb_sweep *s) {
    return hb_sweep_points(s) * s->n_ctl * s->n_seeds;
}

const char *hb_sweep_path(const hb_sweep *s) {
    return s->path;
}

/* ---- runs ---------------------------------------------------------------------------------- */

/* Sets the overrides of scenario point POINT (grid, then sample) in DOC and OVR. */
static int hb__apply_point(const hb_sweep *s, size_t point, cJSON *doc, cJSON *ovr) {
    size_t sample = s->n_samples ? point % s->n_samples : 0;
    point /= s->n_samples ? s->n_samples : 1;
    size_t *pick = calloc(s->n_axes + 1, sizeof *pick);
    if (!pick) {
        return HB_ERR_NOMEM;
    }
    for (size_t a = s->n_axes; a-- > 0;) { /* the last axis varies fastest */
        pick[a] = point % s->axes[a].n;
        point /= s->axes[a].n;
    }
    int rc = HB_OK;
    for (size_t a = 0; a < s->n_axes && rc == HB_OK; a++) {
        const cJSON *v = s->axes[a].values[pick[a]];
        rc = hb__set_path(doc, s->axes[a].key, v);
        if (rc == HB_OK && !cJSON_AddItemToObject(ovr, s->axes[a].key, cJSON_Duplicate(v, 1))) {
            rc = HB_ERR_NOMEM;
        }
    }
    free(pick);
    if (rc != HB_OK || !s->n_samples) {
        return rc;
    }
    /* Sample K draws every parameter, in the file's order, from its own named stream: adding
     * samples never moves the values of the earlier ones. */
    char name[64];
    snprintf(name, sizeof name, "sweep/sample/%zu", sample);
    gsl_rng *r = hb_rng_stream(s->sample_seed, name);
    if (!r) {
        return HB_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->n_params && rc == HB_OK; i++) {
        const hb__sparam *p = &s->params[i];
        double x = p->dist == HB__DIST_UNIFORM  ? p->a + (p->b - p->a) * gsl_rng_uniform(r)
                   : p->dist == HB__DIST_NORMAL ? p->a + gsl_ran_gaussian(r, p->b)
                                                : gsl_ran_lognormal(r, p->a, p->b);
        cJSON *num = cJSON_CreateNumber(x);
        rc = num ? hb__set_path(doc, p->key, num) : HB_ERR_NOMEM;
        if (rc == HB_OK) {
            cJSON_AddItemToObject(ovr, p->key, num);
        } else {
            cJSON_Delete(num);
        }
    }
    gsl_rng_free(r);
    return rc;
}

/* The id text: version, controller, data digest and the canonical document. */
static int hb__digest(const hb_sweep *s, size_t scen, cJSON *doc, const char *ctl, char *out) {
    if (hb__canon(doc) != HB_OK) {
        return HB_ERR_NOMEM;
    }
    char *text = cJSON_PrintUnformatted(doc);
    if (!text) {
        return HB_ERR_NOMEM;
    }
    size_t n = strlen(text) + strlen(ctl) + 128;
    char *buf = malloc(n);
    if (!buf) {
        free(text);
        return HB_ERR_NOMEM;
    }
    int len = snprintf(buf, n, "heatbench %s\n%s\n%s\n%s", s->o.version ? s->o.version : "", ctl,
                       s->scen_digest[scen], text);
    hb_sweep_hash_hex(buf, (size_t)len, out);
    free(buf);
    free(text);
    return HB_OK;
}

int hb_sweep_resolve(const hb_sweep *s, size_t index, hb_sweep_run *r) {
    memset(r, 0, sizeof *r);
    r->index = index;
    size_t i = index;
    size_t k_seed = i % s->n_seeds;
    i /= s->n_seeds;
    size_t k_ctl = i % s->n_ctl;
    i /= s->n_ctl;
    size_t per_scen = hb_sweep_points(s) / s->n_scen;
    size_t scen = i / per_scen;
    r->seed = s->seeds ? s->seeds[k_seed] : s->seed_from + k_seed;
    r->controller = s->ctls[k_ctl];
    r->scenario = s->scen_names[scen];
    r->base_dir = s->scen_dirs[scen];
    r->doc = cJSON_Duplicate(s->scen_docs[scen], 1);
    r->overrides = cJSON_CreateObject();
    int rc = r->doc && r->overrides ? hb__apply_point(s, i % per_scen, r->doc, r->overrides)
                                    : HB_ERR_NOMEM;
    if (rc == HB_OK && s->has_hours) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->doc, "duration_h");
        rc = cJSON_AddNumberToObject(r->doc, "duration_h", s->hours) ? HB_OK : HB_ERR_NOMEM;
    }
    /* The floor's key leaves out what the floor does not read (hb_energy.h: it is computed
     * from the scenario alone), so runs that differ in controller or seed share one. */
    cJSON *fdoc = rc == HB_OK ? cJSON_Duplicate(r->doc, 1) : NULL;
    if (fdoc) {
        static const char *const skip[] = {"controller",  "seed",    "name",
                                           "description", "sensors", "network"};
        for (size_t k = 0; k < sizeof skip / sizeof skip[0]; k++) {
            cJSON_DeleteItemFromObjectCaseSensitive(fdoc, skip[k]);
        }
        rc = hb__digest(s, scen, fdoc, "", r->floor_key);
        cJSON_Delete(fdoc);
    } else if (rc == HB_OK) {
        rc = HB_ERR_NOMEM;
    }
    if (rc == HB_OK) {
        cJSON_DeleteItemFromObjectCaseSensitive(r->doc, "seed");
        rc = cJSON_AddNumberToObject(r->doc, "seed", (double)r->seed) ? HB_OK : HB_ERR_NOMEM;
    }
    if (rc == HB_OK) {
        rc = hb__digest(s, scen, r->doc, r->controller, r->id);
    }
    if (rc != HB_OK) {
        hb_sweep_run_free(r);
    }
    return rc;
}

void hb_sweep_run_free(hb_sweep_run *r) {
    cJSON_Delete(r->doc);
    cJSON_Delete(r->overrides);
    r->doc = r->overrides = NULL;
}

int hb_sweep_run_config(const hb_sweep *s, const hb_sweep_run *r, hb_sim_config *cfg, char *err,
                        size_t errlen) {
    char *text = cJSON_PrintUnformatted(r->doc);
    if (!text) {
        hb_sim_config_default(cfg);
        snprintf(err, errlen, "out of memory");
        return HB_ERR_NOMEM;
    }
    int rc = hb_scenario_load_string(text, r->scenario, r->base_dir, cfg, err, errlen);
    free(text);
    if (rc == HB_OK && s->o.controller(r->controller, &cfg->controller) != 0) {
        snprintf(err, errlen, "unknown controller \"%s\"", r->controller);
        rc = HB_ERR_INVAL;
    }
    return rc;
}

int hb_sweep_validate(const hb_sweep *s, size_t limit, char *err, size_t errlen) {
    size_t per_point = s->n_ctl * s->n_seeds;
    size_t n = hb_sweep_points(s);
    for (size_t p = 0; p < n && (limit == 0 || p < limit); p++) {
        hb_sweep_run r;
        int rc = hb_sweep_resolve(s, p * per_point, &r);
        if (rc != HB_OK) {
            snprintf(err, errlen, "%s: out of memory", s->path);
            return rc;
        }
        hb_sim_config cfg;
        char msg[1024];
        rc = hb_sweep_run_config(s, &r, &cfg, msg, sizeof msg);
        hb_sim_config_free(&cfg);
        if (rc != HB_OK) {
            /* Point at the override the message names, when it names one. */
            const char *sec = NULL;
            const char *key = NULL;
            for (size_t a = 0; a < s->n_axes && !key; a++) {
                if (strstr(msg, s->axes[a].key)) {
                    sec = "grid";
                    key = s->axes[a].key;
                }
            }
            for (size_t a = 0; a < s->n_params && !key; a++) {
                if (strstr(msg, s->params[a].key)) {
                    sec = "samples";
                    key = s->params[a].key;
                }
            }
            int line;
            int col;
            hb__locate(s, key ? sec : "scenarios", key, &line, &col);
            char *ov = cJSON_PrintUnformatted(r.overrides);
            snprintf(err, errlen, "%s:%d:%d: run %zu (%s, overrides %s): %s", s->path, line, col,
                     p * per_point, r.scenario, ov ? ov : "?", msg);
            free(ov);
            hb_sweep_run_free(&r);
            return rc;
        }
        hb_sweep_run_free(&r);
    }
    return HB_OK;
}
