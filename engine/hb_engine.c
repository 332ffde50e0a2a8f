#include "hb_engine.h"
#include "../util/hb_error.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

struct hb_engine {
    hb_evq *q;
    double now;
    hb_advance_fn advance;
    void *advance_ctx;
    int error;
    uint64_t dispatched;
};

hb_engine *hb_engine_create(double t_start) {
    hb_engine *e = calloc(1, sizeof *e);
    if (!e) {
        return NULL;
    }
    e->q = hb_evq_create(64);
    if (!e->q) {
        free(e);
        return NULL;
    }
    e->now = t_start;
    return e;
}

void hb_engine_destroy(hb_engine *e) {
    if (e) {
        hb_evq_destroy(e->q);
        free(e);
    }
}

void hb_engine_set_advance(hb_engine *e, hb_advance_fn fn, void *ctx) {
    e->advance = fn;
    e->advance_ctx = ctx;
}

double hb_engine_now(const hb_engine *e) {
    return e->now;
}

double hb_engine_next_time(const hb_engine *e) {
    return hb_evq_peek_time(e->q);
}

int hb_engine_at(hb_engine *e, double t, hb_event_fn fn, void *ctx, intptr_t arg, hb_event_id *id) {
    if (!(t >= e->now)) { /* also rejects NaN */
        return HB_ERR_INVAL;
    }
    return hb_evq_push(e->q, t, fn, ctx, arg, id);
}

int hb_engine_after(hb_engine *e, double dt, hb_event_fn fn, void *ctx, intptr_t arg,
                    hb_event_id *id) {
    if (!(dt >= 0.0)) {
        return HB_ERR_INVAL;
    }
    return hb_engine_at(e, e->now + dt, fn, ctx, arg, id);
}

int hb_engine_cancel(hb_engine *e, hb_event_id id) {
    return hb_evq_cancel(e->q, id);
}

void hb_engine_fail(hb_engine *e, int err) {
    if (e->error == HB_OK) {
        e->error = err;
    }
}

static int hb__engine_advance(hb_engine *e, double t) {
    if (e->advance && t > e->now) {
        int rc = e->advance(e->advance_ctx, t);
        if (rc != HB_OK) {
            hb_engine_fail(e, rc);
            return rc;
        }
    }
    e->now = t;
    return HB_OK;
}

int hb_engine_run(hb_engine *e, double t_end) {
    if (!isfinite(t_end) || t_end < e->now) {
        return HB_ERR_INVAL;
    }
    while (e->error == HB_OK && hb_evq_peek_time(e->q) <= t_end) {
        hb_event_rec ev;
        hb_evq_pop(e->q, &ev);
        assert(ev.t >= e->now); /* simulated time never runs backwards */
        if (hb__engine_advance(e, ev.t) != HB_OK) {
            break;
        }
        e->dispatched++;
        ev.fn(ev.ctx, ev.t, ev.arg);
    }
    if (e->error == HB_OK) {
        hb__engine_advance(e, t_end);
    }
    return e->error;
}

int hb_engine_error(const hb_engine *e) {
    return e->error;
}

uint64_t hb_engine_dispatched(const hb_engine *e) {
    return e->dispatched;
}
