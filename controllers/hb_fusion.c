#include "hb_fusion.h"
#include "../util/hb_hash.h"
#include "../util/hb_error.h"
#include "../util/hb_numeric.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct hb__entry {
    uint32_t hash; /* FNV-1a of id: most lookups are settled without a strcmp */
    char id[HB_FUSION_ID_MAX];
    uint32_t gen; /* changes whenever the slot gets another id: a caller's hb_fusion_ref */
    double t;
    double value;
} hb__entry;

/* Entries are allocated for five sensors (the seed's room) on the first reading and doubled when
 * a room expects more, up to expected_sensors: a daemon holding thousands of rooms should not pay
 * for sixteen slots each, nor fragment its heap with a realloc per new sensor. */
#define HB__FUSION_FIRST 5

struct hb_fusion {
    hb_fusion_config cfg;
    size_t n, cap;
    hb__entry *e;
    uint32_t gen; /* the last generation handed out */
};

int hb_fusion_check(const hb_fusion_config *cfg) {
    bool ok = cfg && cfg->expected_sensors >= 1 && cfg->expected_sensors <= HB_FUSION_MAX_SENSORS &&
              cfg->stale_s > 0 && cfg->outlier_k > 0 && isfinite(cfg->stale_s) &&
              isfinite(cfg->outlier_k);
    return ok ? HB_OK : HB_ERR_INVAL;
}

hb_fusion *hb_fusion_create(const hb_fusion_config *cfg) {
    if (hb_fusion_check(cfg) != HB_OK) {
        return NULL;
    }
    hb_fusion *f = calloc(1, sizeof *f);
    if (f) {
        f->cfg = *cfg;
    }
    return f;
}

void hb_fusion_set_config(hb_fusion *f, const hb_fusion_config *cfg) {
    assert(hb_fusion_check(cfg) == HB_OK);
    f->cfg = *cfg;
    if (f->n > cfg->expected_sensors) {
        f->n = cfg->expected_sensors;
    }
}

void hb_fusion_destroy(hb_fusion *f) {
    if (f) {
        free(f->e);
        free(f);
    }
}

/* The slow path: finds (or makes) the slot of ID. */
static int hb__add(hb_fusion *f, double t, const char *id, double value, size_t *at) {
    if (!id || !isfinite(value)) {
        return HB_ERR_RANGE;
    }
    uint32_t hash = HB_FNV32_BASIS;
    size_t len = 0;
    for (; len < HB_FUSION_ID_MAX && id[len]; len++) {
        hash = hb_fnv1a32_step(hash, (unsigned char)id[len]);
    }
    if (len == 0 || len >= HB_FUSION_ID_MAX) {
        return HB_ERR_RANGE;
    }
    hb__entry *slot = NULL;
    for (size_t i = 0; i < f->n; i++) {
        if (f->e[i].hash == hash && memcmp(f->e[i].id, id, len + 1) == 0) {
            slot = &f->e[i];
            break;
        }
    }
    if (!slot) {
        if (f->n < f->cfg.expected_sensors) {
            if (f->n == f->cap) {
                size_t cap = f->cap ? 2 * f->cap : HB__FUSION_FIRST;
                cap = cap > f->cfg.expected_sensors ? f->cfg.expected_sensors : cap;
                hb__entry *grown = realloc(f->e, cap * sizeof *grown);
                if (!grown) {
                    return HB_ERR_NOMEM;
                }
                f->e = grown;
                f->cap = cap;
            }
            slot = &f->e[f->n++];
        } else {
            for (size_t i = 0; i < f->n; i++) {
                if (t - f->e[i].t > f->cfg.stale_s && (!slot || f->e[i].t < slot->t)) {
                    slot = &f->e[i];
                }
            }
            if (!slot) {
                return HB_ERR_FULL;
            }
        }
        memcpy(slot->id, id, len + 1);
        slot->hash = hash;
        slot->gen = ++f->gen; /* references to its old id are stale now */
    }
    slot->t = t;
    slot->value = value;
    *at = (size_t)(slot - f->e);
    return HB_OK;
}

int hb_fusion_add(hb_fusion *f, double t, const char *id, double value) {
    size_t at;
    return hb__add(f, t, id, value, &at);
}

int hb_fusion_add_ref(hb_fusion *f, double t, const char *id, double value, hb_fusion_ref *ref) {
    /* A caller that sends the same ids again and again (the simulation) skips the hashing:
     * the slot it was given is still that id's while its generation is unchanged. */
    if (ref->slot < f->n && f->e[ref->slot].gen == ref->gen && ref->gen != 0 && isfinite(value)) {
        hb__entry *e = &f->e[ref->slot];
        assert(strcmp(e->id, id) == 0);
        e->t = t;
        e->value = value;
        return HB_OK;
    }
    size_t at;
    int rc = hb__add(f, t, id, value, &at);
    if (rc == HB_OK) {
        ref->slot = at;
        ref->gen = f->e[at].gen;
    }
    return rc;
}

int hb_fusion_estimate(const hb_fusion *f, double t, double *estimate, int *n_used,
                       int *n_rejected) {
    double v[HB_FUSION_MAX_SENSORS];
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (t - f->e[i].t <= f->cfg.stale_s) {
            v[n++] = f->e[i].value;
        }
    }
    if (n_used) {
        *n_used = 0;
    }
    if (n_rejected) {
        *n_rejected = 0;
    }
    if (n == 0) {
        return HB_ERR_NOTFOUND;
    }
    double median = hb_median(v, n); /* sorts v */
    double sum = 0.0;
    int used = 0;
    for (size_t i = 0; i < n; i++) {
        if (n < 3 || fabs(v[i] - median) <= f->cfg.outlier_k) {
            sum += v[i];
            used++;
        }
    }
    /* With an odd count the median is a reading, so used >= 1. With an even count the two
     * middle readings can both lie further than outlier_k from their mean: a split, where the
     * median is the estimate (see the header). */
    *estimate = used > 0 ? sum / used : median;
    assert(isfinite(*estimate));
    if (n_used) {
        *n_used = used;
    }
    if (n_rejected) {
        *n_rejected = (int)n - used;
    }
    return HB_OK;
}

size_t hb_fusion_count(const hb_fusion *f) {
    return f->n;
}

double hb_fusion_next_stale(const hb_fusion *f, double t) {
    double next = INFINITY;
    for (size_t i = 0; i < f->n; i++) {
        double until = f->e[i].t + f->cfg.stale_s;
        if (t - f->e[i].t <= f->cfg.stale_s && until < next) {
            next = until;
        }
    }
    return next;
}
