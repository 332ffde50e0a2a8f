#include "hb_floor_cache.h"
#include "../util/hb_error.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct hb__floor_entry {
    char key[32];
    hb_energy_plan plan;
    int refs;
    bool ready;
    unsigned long long used; /* a tick of the last request: the least recent unused goes first */
} hb__floor_entry;

struct hb_floor_cache {
    pthread_mutex_t mu;
    pthread_cond_t done;
    size_t capacity;
    size_t n, cap_alloc;
    hb__floor_entry **e;
    unsigned long long tick;
    size_t solved;
};

int hb_floor_cache_create(size_t capacity, hb_floor_cache **out) {
    hb_floor_cache *c = calloc(1, sizeof *c);
    if (!c) {
        return HB_ERR_NOMEM;
    }
    c->capacity = capacity ? capacity : 1;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->done, NULL);
    *out = c;
    return HB_OK;
}

void hb_floor_cache_destroy(hb_floor_cache *c) {
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        hb_energy_plan_free(&c->e[i]->plan);
        free(c->e[i]);
    }
    free(c->e);
    pthread_cond_destroy(&c->done);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* Drops unused plans, least recently used first, while more than the capacity are kept. */
static void hb__floor_evict(hb_floor_cache *c) {
    while (c->n > c->capacity) {
        size_t victim = c->n;
        for (size_t i = 0; i < c->n; i++) {
            if (c->e[i]->refs == 0 && c->e[i]->ready &&
                (victim == c->n || c->e[i]->used < c->e[victim]->used)) {
                victim = i;
            }
        }
        if (victim == c->n) {
            return; /* all in use: kept until released */
        }
        hb_energy_plan_free(&c->e[victim]->plan);
        free(c->e[victim]);
        c->e[victim] = c->e[--c->n];
    }
}

const hb_energy_plan *hb_floor_cache_get(hb_floor_cache *c, const char *key,
                                         const hb_sim_config *cfg) {
    pthread_mutex_lock(&c->mu);
    hb__floor_entry *e = NULL;
    for (size_t i = 0; i < c->n && !e; i++) {
        if (strcmp(c->e[i]->key, key) == 0) {
            e = c->e[i];
        }
    }
    if (e) {
        e->refs++;
        e->used = ++c->tick;
        while (!e->ready) {
            pthread_cond_wait(&c->done, &c->mu);
        }
        pthread_mutex_unlock(&c->mu);
        return &e->plan;
    }
    if (c->n == c->cap_alloc) {
        size_t na = c->cap_alloc ? 2 * c->cap_alloc : 16;
        hb__floor_entry **ne = realloc(c->e, na * sizeof(hb__floor_entry *));
        if (!ne) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        c->e = ne;
        c->cap_alloc = na;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        pthread_mutex_unlock(&c->mu);
        return NULL;
    }
    strncpy(e->key, key, sizeof e->key - 1);
    e->refs = 1;
    e->used = ++c->tick;
    c->e[c->n++] = e;
    c->solved++;
    pthread_mutex_unlock(&c->mu);
    /* Solved outside the lock: other keys go on in parallel; this key's waiters sleep. */
    (void)hb_energy_plan_solve(cfg, &e->plan);
    pthread_mutex_lock(&c->mu);
    e->ready = true;
    pthread_cond_broadcast(&c->done);
    pthread_mutex_unlock(&c->mu);
    return &e->plan;
}

void hb_floor_cache_release(hb_floor_cache *c, const hb_energy_plan *plan) {
    if (!plan) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++) {
        if (&c->e[i]->plan == plan) {
            c->e[i]->refs--;
            break;
        }
    }
    hb__floor_evict(c);
    pthread_mutex_unlock(&c->mu);
}

size_t hb_floor_cache_solved(const hb_floor_cache *c) {
    return c->solved;
}
