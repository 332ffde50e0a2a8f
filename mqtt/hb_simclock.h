/*
 * A simulated room's clock, followed over MQTT. `heatbench live --clock-topic T` publishes its
 * simulated time as {"t": seconds} every simulated minute (HB_SIMCLOCK_TICK_S); a program that
 * acts on that room (control, record, tune --live) keeps to the room's time with this clock
 * instead of the wall clock × a speed, which runs on while the room stands still (a loaded
 * machine, back-pressure, a stopped process) and so takes a stall for the room's silence.
 *
 * What it promises (mqtt/hb_simclock.c says how, fuzz/fuzz_simclock.c checks it):
 *
 * Time. Before its first tick the clock runs at `speed` from where hb_simclock_start put it, so
 * a room that publishes no clock (a real one) is paced by the wall clock as before; the first
 * tick then takes over without a jump. A clock that was not started takes the first tick's
 * time itself, for a program that wants the room's own time of day (record). Once it follows,
 * it shows, at a monotonic time not before that of the last accepted tick, at least where it
 * stood at that tick and at most one tick interval (HB_SIMCLOCK_TICK_S) past the last tick's
 * place on it (the room's time shifted by where the clock stood when the current run of ticks
 * began): between ticks it runs on at hb_simclock_rate, and waits for a room that stopped
 * instead of running into a silence the room never had. It never runs backwards while the
 * monotonic time does not.
 *
 * Ticks. A message that is no tick (malformed, no finite "t" within +-1e10 s, or retained: of
 * unknown age) is BAD. The ticks followed form a run, begun by the first tick; a tick at room
 * time t, with the run's last at l, s wall seconds of silence since it (hb_simclock_silence)
 * and the pace r (hb_simclock_rate) before it, continues the run when
 *     l < t <= l + 2 * s * r + HB_SIMCLOCK_JUMP_TICKS * HB_SIMCLOCK_TICK_S,
 * that is when it is no more than a few ticks past where the room is expected. Any other tick
 * is not the room's followed run: one at or behind l is BACK, one beyond the bound AHEAD, both
 * counted and ignored. So a stray publisher, or a second `heatbench live` on the same topic,
 * neither moves the clock back nor throws it ahead.
 *
 * New runs. With restarts (hb_simclock_init's RESTARTS: control and record), the ticks that are
 * not of the run may be a room started again (a new `heatbench live`, ahead of or behind the old
 * one, at any distance). Such a tick is followed, as a RESTART, when (a) it and the
 * HB_SIMCLOCK_RUN_TICKS - 1 ticks of that kind before it (BAD ones aside; the ticks of the run
 * in between do not count) each continue the one before it by the bound above (s measured
 * between the two, r the pace) and (b) the followed run has been silent for at least
 * max(HB_SIMCLOCK_QUIET_MIN_S, HB_SIMCLOCK_QUIET_TICKS tick intervals at the pace r) at it. The
 * clock then carries on from its own time (no jump) at the new run's ticks; the pace carries
 * over. Two publishers that tick side by side so never trade places: the run followed never
 * goes silent, and the other's ticks stay ignored. Without restarts (tune --live, whose
 * experiment a restarted room would spoil) the clock follows its first run only, and a room
 * that stops stops it.
 *
 * Pace. hb_simclock_rate is `speed` until the followed run has a gap between two ticks; then
 * the pace of its recent gaps (the last HB_SIMCLOCK_GAPS), leaving out a gap more than three
 * times slower than the pace (a stall of the room) while most are not, and taking ticks that
 * come in a burst (far sooner than the pace says: they queued while this process stood still)
 * together with the gap before them. It is always finite and positive.
 *
 * No clock is read here: the caller passes the monotonic time (hb_mono_now) of each call, so the
 * unit tests drive it with made-up times. A small state machine embedded by value (like
 * hb_relay); its fields belong to hb_simclock.c (callers read the counters and `last`).
 */
#ifndef HB_SIMCLOCK_H
#define HB_SIMCLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* The simulated seconds between two of `heatbench live`'s ticks, and so how far past the last
 * tick the clock may run. */
#define HB_SIMCLOCK_TICK_S 60.0
/* How many ticks past where the room is expected a tick may be and still continue a run. */
#define HB_SIMCLOCK_JUMP_TICKS 5
/* The steadily increasing ticks a new run needs before it is followed. */
#define HB_SIMCLOCK_RUN_TICKS 3
/* The followed run's silence that lets a new run take over: this many tick intervals at the
 * pace, and at least HB_SIMCLOCK_QUIET_MIN_S wall seconds (a loaded machine delays a fast
 * room's ticks by more than a tick interval at 1440x). */
#define HB_SIMCLOCK_QUIET_TICKS 3
#define HB_SIMCLOCK_QUIET_MIN_S 1.0
/* The recent gaps between ticks the pace is taken from. */
#define HB_SIMCLOCK_GAPS 8

/* What a message on the clock topic was. */
enum hb_simclock_verdict {
    HB_SIMCLOCK_FIRST,   /* the first tick: the clock follows the room from now on */
    HB_SIMCLOCK_TICK,    /* a tick of the followed run: followed */
    HB_SIMCLOCK_BAD,     /* not a tick of now: ignored (counted in bad) */
    HB_SIMCLOCK_BACK,    /* at or behind the run's last tick: ignored (counted in back) */
    HB_SIMCLOCK_RESTART, /* a new run (a restarted room), followed from the clock's own time */
    HB_SIMCLOCK_AHEAD,   /* too far past where the room is expected: ignored (counted in ahead) */
};

typedef struct hb_simclock {
    double speed;     /* simulated seconds per wall second before the ticks give their pace */
    bool may_restart; /* whether a new run may take over (hb_simclock_init's RESTARTS) */
    bool started, following;
    double t_start, mono_start; /* the clock's time and the monotonic time it was started at */
    double base;                /* the clock's time when the current run of ticks began */
    double first, last;         /* that run's first and latest tick, room time */
    double mono_last;           /* the monotonic time of the latest */
    double floor; /* the clock's time when the latest tick came: it never shows less */
    double pace;  /* the ticks' recent pace (speed until the run has a gap) */
    double gap_sim[HB_SIMCLOCK_GAPS], gap_wall[HB_SIMCLOCK_GAPS]; /* recent gaps, a ring */
    int gaps, gap_next;                                           /* how many; the next slot */
    int cand_n;                  /* ticks of a would-be new run (0: none) */
    double cand_last, cand_mono; /* its latest tick and when it came */
    unsigned long ticks, bad, back, ahead, restarts;
} hb_simclock;

/* A clock not started yet, pacing SPEED (> 0) before ticks; RESTARTS: whether a new run of
 * ticks (a restarted room) may take over, as above. */
void hb_simclock_init(hb_simclock *c, double speed, bool restarts);

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

/* Simulated seconds per wall second: the followed ticks' recent pace, else the configured speed
 * (see Pace above). */
double hb_simclock_rate(const hb_simclock *c);

/* Wall seconds at MONO since the latest tick of the followed run; NaN before the first. */
double hb_simclock_silence(const hb_simclock *c, double mono);

#endif
