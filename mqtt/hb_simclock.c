/* The followed clock of hb_simclock.h. */
#include "hb_simclock.h"
#include "hb_payload.h"

#include <math.h>

void hb_simclock_init(hb_simclock *c, double speed, double restart_s) {
    *c = (hb_simclock){.speed = speed > 0 ? speed : 1.0, .restart_s = restart_s};
}

void hb_simclock_start(hb_simclock *c, double t, double mono) {
    if (c->following) {
        return;
    }
    c->started = true;
    c->t_start = t;
    c->mono_start = mono;
}

bool hb_simclock_started(const hb_simclock *c) {
    return c->started;
}

bool hb_simclock_following(const hb_simclock *c) {
    return c->following;
}

double hb_simclock_rate(const hb_simclock *c) {
    double span = c->mono_last - c->mono_first;
    /* Half a second of ticks: shorter spans are the scheduler's jitter more than the room. */
    return c->following && span > 0.5 ? (c->last - c->first) / span : c->speed;
}

double hb_simclock_silence(const hb_simclock *c, double mono) {
    return c->following ? mono - c->mono_last : NAN;
}

double hb_simclock_now(const hb_simclock *c, double mono) {
    if (!c->started) {
        return NAN;
    }
    if (!c->following) {
        return c->t_start + fmax(mono - c->mono_start, 0.0) * c->speed;
    }
    double ahead = fmax(mono - c->mono_last, 0.0) * hb_simclock_rate(c);
    double t = c->base + (c->last - c->first) + fmin(ahead, HB_SIMCLOCK_TICK_S);
    return fmax(t, c->floor);
}

/* A run of ticks begins at room time T, the clock showing AT: the first tick, or a restart. */
static void hb__simclock_run(hb_simclock *c, double t, double at, double mono) {
    c->base = at;
    c->floor = at;
    c->first = c->last = t;
    c->mono_first = c->mono_last = mono;
    c->started = c->following = true;
    c->ticks++;
}

int hb_simclock_tick(hb_simclock *c, const char *payload, size_t len, bool retained, double mono) {
    double t;
    /* A retained tick is the room's time when it was published, which may be long ago. */
    if (retained || hb_payload_clock(payload, len, &t) != HB_DROP_NONE) {
        c->bad++;
        return HB_SIMCLOCK_BAD;
    }
    if (!c->following) {
        /* A started clock carries on from its own time; one not started takes the room's. */
        hb__simclock_run(c, t, c->started ? hb_simclock_now(c, mono) : t, mono);
        return HB_SIMCLOCK_FIRST;
    }
    if (t > c->last) {
        /* What the clock shows now is its floor: if it ran on past this tick (ticks closer
         * than a minute), it waits there until the room's time catches up. */
        c->floor = hb_simclock_now(c, mono);
        c->last = t;
        c->mono_last = mono;
        c->ticks++;
        return HB_SIMCLOCK_TICK;
    }
    if (!(c->last - t > c->restart_s)) {
        c->back++;
        return HB_SIMCLOCK_BACK;
    }
    hb__simclock_run(c, t, hb_simclock_now(c, mono), mono);
    c->restarts++;
    return HB_SIMCLOCK_RESTART;
}
