/* The followed clock of hb_simclock.h. */
#include "hb_simclock.h"
#include "hb_payload.h"

#include <math.h>

/* A gap more than this many times slower than the pace is a stall of the room, not its pace. */
#define HB__SIMCLOCK_SLOW 3.0
/* A tick that comes sooner than this fraction of the pace's interval joins the gap before it:
 * ticks that queued up while the follower stood still come in a burst, and their room time
 * belongs to the wall time of that stall, not to the instant they were read in. */
#define HB__SIMCLOCK_BURST 0.25

void hb_simclock_init(hb_simclock *c, double speed, bool restarts) {
    double v = speed > 0 && isfinite(speed) ? speed : 1.0;
    *c = (hb_simclock){.speed = v, .may_restart = restarts, .pace = v};
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
    return c->following ? c->pace : c->speed;
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
    double ahead = fmax(mono - c->mono_last, 0.0) * c->pace;
    double t = c->base + (c->last - c->first) + fmin(ahead, HB_SIMCLOCK_TICK_S);
    return fmax(t, c->floor);
}

/* Whether a tick at room time T, at MONO, continues ticks whose latest was LAST at MONO_LAST:
 * later, and no more than a few ticks past where the room is expected at the pace (twice the
 * way, for a pace that is off while the room speeds up after a stall of its own). */
static bool hb__simclock_continues(const hb_simclock *c, double last, double mono_last, double t,
                                   double mono) {
    double expected = 2.0 * fmax(mono - mono_last, 0.0) * c->pace;
    return t > last && t - last <= expected + HB_SIMCLOCK_JUMP_TICKS * HB_SIMCLOCK_TICK_S;
}

/* The pace from the ring of recent gaps, after one of SIM room seconds in WALL seconds. */
static void hb__simclock_pace(hb_simclock *c, double sim, double wall) {
    if (c->gaps > 0 && wall < HB__SIMCLOCK_BURST * sim / c->pace) {
        int newest = (c->gap_next + HB_SIMCLOCK_GAPS - 1) % HB_SIMCLOCK_GAPS;
        c->gap_sim[newest] += sim;
        c->gap_wall[newest] += wall;
        /* A burst after a stall fills the stall's gap up to the pace: until it is there the
         * pace stands (the gap half filled would pull it down). A gap that runs faster than
         * the pace is a room that sped up: the pace follows. */
        if (c->gap_sim[newest] <= c->pace * c->gap_wall[newest]) {
            return;
        }
    } else {
        c->gap_sim[c->gap_next] = sim;
        c->gap_wall[c->gap_next] = wall;
        c->gap_next = (c->gap_next + 1) % HB_SIMCLOCK_GAPS;
        c->gaps += c->gaps < HB_SIMCLOCK_GAPS;
    }
    /* The gaps at about the pace or faster; a stall's gap is left out. When most are slower,
     * the pace is what changed (a loaded machine, or a wrong --speed to begin with): all of
     * them then. */
    double sim_kept = 0, wall_kept = 0, sim_all = 0, wall_all = 0;
    int kept = 0;
    for (int i = 0; i < c->gaps; i++) {
        sim_all += c->gap_sim[i];
        wall_all += c->gap_wall[i];
        if (c->gap_wall[i] <= HB__SIMCLOCK_SLOW * c->gap_sim[i] / c->pace) {
            sim_kept += c->gap_sim[i];
            wall_kept += c->gap_wall[i];
            kept++;
        }
    }
    if (2 * kept >= c->gaps && wall_kept > 0) {
        c->pace = sim_kept / wall_kept;
    } else if (2 * kept < c->gaps && wall_all > 0) {
        c->pace = sim_all / wall_all;
    }
}

/* A run of ticks begins at room time T, the clock showing AT: the first tick, or a restart. The
 * pace carries over (the configured speed for the first). */
static void hb__simclock_run(hb_simclock *c, double t, double at, double mono) {
    c->base = at;
    c->floor = at;
    c->first = c->last = t;
    c->mono_last = mono;
    c->started = c->following = true;
    c->gaps = c->gap_next = 0;
    c->cand_n = 0;
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
    if (hb__simclock_continues(c, c->last, c->mono_last, t, mono)) {
        /* What the clock shows now is its floor: if it ran on past this tick (ticks closer
         * than a minute), it waits there until the room's time catches up. */
        c->floor = hb_simclock_now(c, mono);
        hb__simclock_pace(c, t - c->last, fmax(mono - c->mono_last, 0.0));
        c->last = t;
        c->mono_last = mono;
        c->ticks++;
        return HB_SIMCLOCK_TICK;
    }
    /* Not of the run: a stray tick, another publisher, or a room started again. The latter
     * ticks steadily on while the run it replaces has gone silent. */
    if (c->may_restart) {
        bool steady =
            c->cand_n > 0 && hb__simclock_continues(c, c->cand_last, c->cand_mono, t, mono);
        c->cand_n = steady ? c->cand_n + 1 : 1;
        c->cand_last = t;
        c->cand_mono = mono;
        double quiet =
            fmax(HB_SIMCLOCK_QUIET_MIN_S, HB_SIMCLOCK_QUIET_TICKS * HB_SIMCLOCK_TICK_S / c->pace);
        if (c->cand_n >= HB_SIMCLOCK_RUN_TICKS && mono - c->mono_last >= quiet) {
            hb__simclock_run(c, t, hb_simclock_now(c, mono), mono);
            c->restarts++;
            return HB_SIMCLOCK_RESTART;
        }
    }
    if (t <= c->last) {
        c->back++;
        return HB_SIMCLOCK_BACK;
    }
    c->ahead++;
    return HB_SIMCLOCK_AHEAD;
}
