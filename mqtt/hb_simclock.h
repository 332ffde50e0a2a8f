/*
 * A simulated room's clock, followed over MQTT. `heatbench live --clock-topic T` publishes its
 * simulated time as {"t": seconds} every simulated minute (HB_SIMCLOCK_TICK_S); a program that
 * acts on that room (control, record, tune --live) keeps to the room's time with this clock
 * instead of the wall clock × a speed, which runs on while the room stands still (a loaded
 * machine, back-pressure, a stopped process) and so takes a stall for the room's silence.
 *
 * Between two ticks the clock runs on at the ticks' mean pace, but never more than one tick
 * interval past the last tick: the room's next tick is at least that far on, so the clock never
 * outruns a room that has stopped by more than a minute, and it waits for the room instead of
 * running into a silence the room never had. It never runs backwards: it does not go below the
 * time it showed when the last tick came. Ticks that are not a tick (malformed JSON, no finite
 * "t", retained: of unknown age) and ticks at or behind the last one (out of order, a stray
 * publisher) are counted and ignored. A tick more than restart_s behind the last is a room
 * started again (a new `heatbench live`): when restart_s is finite the clock follows it from
 * there, carrying on from its own time; else it too is ignored.
 *
 * Before its first tick the clock runs at `speed` from where hb_simclock_start put it, so a room
 * that publishes no clock (a real one) is paced by the wall clock as before; the first tick then
 * takes over without a jump. A clock that was not started takes the first tick's time itself,
 * for a program that wants the room's own time of day (record).
 *
 * No clock is read here: the caller passes the monotonic time (hb_mono_now) of each call, so the
 * unit tests drive it with made-up times. A small state machine embedded by value (like
 * hb_relay); its fields belong to hb_simclock.c.
 */
#ifndef HB_SIMCLOCK_H
#define HB_SIMCLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* The simulated seconds between two of `heatbench live`'s ticks, and so how far past the last
 * tick the clock may run. */
#define HB_SIMCLOCK_TICK_S 60.0

/* What a message on the clock topic was. */
enum hb_simclock_verdict {
    HB_SIMCLOCK_FIRST,   /* the first tick: the clock follows the room from now on */
    HB_SIMCLOCK_TICK,    /* a tick ahead of the last: followed */
    HB_SIMCLOCK_BAD,     /* not a tick of now: ignored (counted in bad) */
    HB_SIMCLOCK_BACK,    /* at or behind the last tick: ignored (counted in back) */
    HB_SIMCLOCK_RESTART, /* far behind: a restarted room, followed from its time */
};

typedef struct hb_simclock {
    double speed;     /* simulated seconds per wall second before the ticks give their pace */
    double restart_s; /* a tick this far behind the last is a restarted room (INFINITY: never) */
    bool started, following;
    double t_start, mono_start; /* the clock's time and the monotonic time it was started at */
    double base;                /* the clock's time when the current run of ticks began */
    double first, last;         /* that run's first and latest tick, room time */
    double mono_first, mono_last;
    double floor; /* the clock's time when the latest tick came: it never shows less */
    unsigned long ticks, bad, back, restarts;
} hb_simclock;

/* A clock not started yet, pacing SPEED (> 0) before ticks; RESTART_S as above. */
void hb_simclock_init(hb_simclock *c, double speed, double restart_s);

/* Starts the clock at time T at the monotonic time MONO (a later call starts it again; ignored
 * once it follows ticks). */
void hb_simclock_start(hb_simclock *c, double t, double mono);

/* A message on the clock topic (LEN bytes, parsed by hb_payload_clock), received at MONO;
 * RETAINED as the broker flagged it. Returns an enum hb_simclock_verdict. */
int hb_simclock_tick(hb_simclock *c, const char *payload, size_t len, bool retained, double mono);

/* The clock's time at MONO (not before the last call's MONO); NaN before it is started or has
 * a tick. */
double hb_simclock_now(const hb_simclock *c, double mono);

/* Whether it has a time (started, or a tick came) / follows a room's ticks. */
bool hb_simclock_started(const hb_simclock *c);
bool hb_simclock_following(const hb_simclock *c);

/* Simulated seconds per wall second: the ticks' mean pace once they span half a second, else
 * the configured speed. */
double hb_simclock_rate(const hb_simclock *c);

/* Wall seconds at MONO since the latest tick followed; NaN before the first. */
double hb_simclock_silence(const hb_simclock *c, double mono);

#endif
