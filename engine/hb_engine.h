/*
 * The discrete-event engine: a simulation clock, the event queue, and the hook that advances the
 * continuous plant between events.
 *
 * The engine knows nothing about rooms or controllers. Before it dispatches an event at time t
 * (and once more at the end time) it calls the advance hook with t, so continuous state is always
 * brought up to the instant an event observes it. Simulated time only ever comes from here.
 */
#ifndef HB_ENGINE_H
#define HB_ENGINE_H

#include "hb_evq.h"

#include <stdint.h>

typedef struct hb_engine hb_engine;

/* Brings continuous state to time T (non-decreasing across calls). Returns HB_OK or an error,
 * which stops the run. */
typedef int (*hb_advance_fn)(void *ctx, double t);

hb_engine *hb_engine_create(double t_start);
void hb_engine_destroy(hb_engine *e);

void hb_engine_set_advance(hb_engine *e, hb_advance_fn fn, void *ctx);

double hb_engine_now(const hb_engine *e);
/* Time of the earliest queued event (+INFINITY when none): a handler that can prove nothing
 * comes between may act at a later instant without queueing (see hb_sim's readings). */
double hb_engine_next_time(const hb_engine *e);

/* Schedules at absolute time T >= now (HB_ERR_INVAL otherwise). */
int hb_engine_at(hb_engine *e, double t, hb_event_fn fn, void *ctx, intptr_t arg, hb_event_id *id);

/* Schedules DT >= 0 seconds from now. */
int hb_engine_after(hb_engine *e, double dt, hb_event_fn fn, void *ctx, intptr_t arg,
                    hb_event_id *id);

int hb_engine_cancel(hb_engine *e, hb_event_id id);

/* Dispatches every event with time <= T_END in (time, sequence) order, then advances to T_END.
 * Events scheduled for later stay queued, so a run can be continued. Returns HB_OK, or the first
 * error of the advance hook or of hb_engine_fail(). */
int hb_engine_run(hb_engine *e, double t_end);

/* Lets a handler stop the run with an error code (first one wins). */
void hb_engine_fail(hb_engine *e, int err);

/* The error that stops the run (from the hook or hb_engine_fail), HB_OK while there is none. */
int hb_engine_error(const hb_engine *e);

uint64_t hb_engine_dispatched(const hb_engine *e);

#endif
