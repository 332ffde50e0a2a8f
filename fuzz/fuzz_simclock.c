/* libFuzzer harness: the followed clock of hb_simclock.h as a state machine, not only its tick
 * parser. One clock takes a sequence of ticks (raw bytes, or well-formed ticks placed around the
 * followed run's last one or a would-be new run's), steps of the caller's monotonic time and looks
 * at the clock; a small model kept here checks, after every event, what the header promises:
 *
 *   - before it is started or has a tick the clock shows NaN; after, a finite time;
 *   - before its first tick it runs at `speed` from where hb_simclock_start put it;
 *   - it never runs backwards while the monotonic time does not (a new hb_simclock_start before
 *     the first tick excepted: that moves it on purpose; once it follows, a start is ignored);
 *   - once it follows, it shows at least the last followed tick's place on it and at most one
 *     tick interval (HB_SIMCLOCK_TICK_S) past it, "a tick's place" being the room's time shifted
 *     by where the clock stood when the current run of ticks began (the first tick or a restart);
 *   - the first tick takes a clock not started to the room's time and a started one on without a
 *     jump; a restart carries on from the clock's own time; a tick judged BAD, BACK or AHEAD
 *     changes nothing that can be seen (time, rate, silence, following);
 *   - each message gets the verdict the header's rules call for: retained, malformed, non-finite
 *     and out-of-range ticks are BAD; a tick within the bound past the run's last (at the pace
 *     and silence the clock reports just before) continues it; any other is BACK (at or behind
 *     the last) or AHEAD, unless, with restarts, it ends HB_SIMCLOCK_RUN_TICKS ticks not of the
 *     run that each continue the one before while the run has been quiet long enough (RESTART);
 *     without restarts there is never one; the counters agree;
 *   - the rate is `speed` until the followed ticks have a gap, and always finite, positive and
 *     within the range of `speed` and the pace of every gap followed since the first tick (the
 *     pace is taken from sums of recent gaps, so it cannot leave that range);
 *   - the silence is the monotonic time since the followed run's latest tick;
 *   - hb_payload_clock reads what hb_payload_format_clock wrote back to the millisecond, and
 *     anything it accepts, from any bytes, is finite and within +-1e10 s.
 *
 * The pace itself (which gaps are a stall, which ticks a burst) is not modelled: the verdicts use
 * the pace the clock reports, and the unit tests (tests/test_simclock.c) pin its exact values.
 *
 * Input: a header of 4 bytes, then events.
 *   header: [flags, speed, t_hi, t_lo]: flags bit 0: started at (int16)(t_hi t_lo) * 100 s; bit
 *           1: no restarts (tune --live), else restarts (control, record); speed is
 *           10^(-3 + 9 * byte / 255), the --speed range 1e-3..1e6.
 *   events: a byte e, its operation e % 8 and argument bytes after it:
 *     0: raw tick of n bytes [n, bytes...] (n capped by what is left), retained if e & 8;
 *     1: well-formed tick [mode, d_hi, d_lo] (below), retained if e & 8;
 *     2: well-formed tick [mode, d_hi, d_lo], not retained;
 *     3, 4: the monotonic time moves on by (u16)(a b) times 1e-4, 1e-2, 1 or 60 s ((e >> 3) % 4);
 *     5: a look at the clock's rate and silence (its time is looked at after every event);
 *     6: hb_simclock_start at (int16)(a b) * 10 s;
 *     7: a room's next minute [a]: the monotonic time on by a / 128 of a tick at the speed, then a
 *        tick one HB_SIMCLOCK_TICK_S after the followed run's last, or, if e & 8 and there is a
 *        would-be new run, after that run's last.
 *   A well-formed tick's time is, by mode % 10, the followed run's last tick plus d ms, d s, d min
 *   or d h; d * 1e6 s (often out of range); a special value by d % 7 (NaN, +-inf, +-1e10, just
 *   past 1e10, just inside); the last plus a minute; d ms around the bound past the last beyond
 *   which a tick is AHEAD; the would-be new run's last tick (else the followed one's) plus d s; or
 *   d ms around that run's bound. */
#include "../mqtt/hb_payload.h"
#include "../mqtt/hb_simclock.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the harness expects of the clock, kept apart from the clock's own fields. */
typedef struct {
    hb_simclock c;
    double speed;
    bool restarts;
    bool started, following;
    double t_start, mono_start; /* where the latest hb_simclock_start put it */
    double at, first, last;     /* clock time and room time of the run's first tick; last tick */
    double mono_last;           /* monotonic time of the run's last tick */
    int cand_n;                 /* ticks of a would-be new run (0: none) */
    double cand_last, cand_mono;
    double pace_lo, pace_hi; /* the range of the speed and of every followed gap's pace */
    bool gapped;             /* whether a followed tick has come after another */
    double mono;             /* the caller's monotonic time: never decreases */
    double shown;            /* the latest time shown, NaN when none counts (a start) */
    unsigned long ticks, bad, back, ahead, restarts_n;
} fuzz_model;

static bool fuzz_same(double a, double b) {
    return (isnan(a) && isnan(b)) || a == b;
}

static void fuzz_check(bool ok) {
    if (!ok) {
        __builtin_trap();
    }
}

/* Anything hb_payload_clock accepts is a plausible room time. */
static int fuzz_parse(const char *buf, size_t len, double *t) {
    double v = NAN;
    int rc = hb_payload_clock(buf, len, &v);
    if (rc == HB_DROP_NONE) {
        fuzz_check(isfinite(v) && fabs(v) <= 1e10);
        *t = v;
    }
    return rc;
}

/* The header's bound: whether a tick at T, at the model's monotonic time, continues ticks whose
 * latest was LAST at MONO_LAST, at the pace PACE. Written as the clock computes it, so a tick on
 * the very edge gets the same answer. */
static bool fuzz_continues(const fuzz_model *m, double last, double mono_last, double t,
                           double pace) {
    double expected = 2.0 * fmax(m->mono - mono_last, 0.0) * pace;
    return t > last && t - last <= expected + HB_SIMCLOCK_JUMP_TICKS * HB_SIMCLOCK_TICK_S;
}

/* Every promise that holds between events, checked at the current monotonic time. */
static void fuzz_invariants(fuzz_model *m) {
    double now = hb_simclock_now(&m->c, m->mono);
    fuzz_check(hb_simclock_started(&m->c) == m->started);
    fuzz_check(hb_simclock_following(&m->c) == m->following);
    fuzz_check(m->c.ticks == m->ticks && m->c.bad == m->bad && m->c.back == m->back &&
               m->c.ahead == m->ahead && m->c.restarts == m->restarts_n);
    fuzz_check(m->restarts || m->restarts_n == 0);
    if (!m->started) {
        fuzz_check(isnan(now));
        return;
    }
    fuzz_check(isfinite(now));
    fuzz_check(isnan(m->shown) || now >= m->shown);
    m->shown = now;
    if (!m->following) {
        /* At the speed from the start (to rounding: the product may be large). */
        double want = m->t_start + (m->mono - m->mono_start) * m->speed;
        fuzz_check(fabs(now - want) <= 1e-9 * fmax(1.0, fabs(want)));
        return;
    }
    /* The last tick's place on the clock, computed as the clock does, so the bounds are exact:
     * rounding is monotonic and the clock adds at most HB_SIMCLOCK_TICK_S to the same sum. */
    double at_last = m->at + (m->last - m->first);
    fuzz_check(now >= at_last);
    fuzz_check(now <= at_last + HB_SIMCLOCK_TICK_S);
}

static void fuzz_look(const fuzz_model *m) {
    double rate = hb_simclock_rate(&m->c);
    double silence = hb_simclock_silence(&m->c, m->mono);
    fuzz_check(isfinite(rate) && rate > 0);
    if (!m->gapped) {
        fuzz_check(rate == m->speed);
    }
    /* A ratio of sums of gaps lies between their own ratios (to the sums' rounding). */
    fuzz_check(rate >= m->pace_lo * (1 - 1e-9) && rate <= m->pace_hi * (1 + 1e-9));
    if (m->following) {
        fuzz_check(silence == m->mono - m->mono_last);
    } else {
        fuzz_check(isnan(silence));
    }
}

/* A run of ticks begins at room time T, the clock showing AT. */
static void fuzz_run(fuzz_model *m, double t, double at) {
    m->at = at;
    m->first = m->last = t;
    m->mono_last = m->mono;
    m->cand_n = 0;
    m->started = m->following = true;
    m->ticks++;
}

/* The verdict on a parsed, unretained tick at T once the clock follows, kept in the model. */
static int fuzz_judge(fuzz_model *m, double t, double pace) {
    if (fuzz_continues(m, m->last, m->mono_last, t, pace)) {
        double wall = fmax(m->mono - m->mono_last, 0.0);
        double q = wall > 0 ? (t - m->last) / wall : INFINITY;
        m->pace_lo = fmin(m->pace_lo, q);
        m->pace_hi = fmax(m->pace_hi, q);
        m->gapped = true;
        m->last = t;
        m->mono_last = m->mono;
        m->ticks++;
        return HB_SIMCLOCK_TICK;
    }
    if (m->restarts) {
        bool steady = m->cand_n > 0 && fuzz_continues(m, m->cand_last, m->cand_mono, t, pace);
        m->cand_n = steady ? m->cand_n + 1 : 1;
        m->cand_last = t;
        m->cand_mono = m->mono;
        double quiet =
            fmax(HB_SIMCLOCK_QUIET_MIN_S, HB_SIMCLOCK_QUIET_TICKS * HB_SIMCLOCK_TICK_S / pace);
        if (m->cand_n >= HB_SIMCLOCK_RUN_TICKS && m->mono - m->mono_last >= quiet) {
            m->restarts_n++;
            return HB_SIMCLOCK_RESTART;
        }
    }
    if (t <= m->last) {
        m->back++;
        return HB_SIMCLOCK_BACK;
    }
    m->ahead++;
    return HB_SIMCLOCK_AHEAD;
}

/* One message on the clock topic, its verdict worked out beforehand. */
static void fuzz_tick(fuzz_model *m, const char *payload, size_t len, bool retained) {
    /* A copy of exactly LEN bytes, so ASan sees any read past the payload. */
    char *buf = malloc(len ? len : 1);
    if (!buf) {
        return;
    }
    memcpy(buf, payload, len);
    double t = NAN;
    int rc = fuzz_parse(buf, len, &t);
    double before = hb_simclock_now(&m->c, m->mono);
    double rate = hb_simclock_rate(&m->c);
    double silence = hb_simclock_silence(&m->c, m->mono);
    int v = hb_simclock_tick(&m->c, buf, len, retained, m->mono);
    free(buf);
    double after = hb_simclock_now(&m->c, m->mono);
    int want;
    if (retained || rc != HB_DROP_NONE) {
        want = HB_SIMCLOCK_BAD;
        m->bad++;
    } else if (!m->following) {
        want = HB_SIMCLOCK_FIRST;
        /* the room's own time for a clock not started, else no jump */
        fuzz_check(fuzz_same(after, m->started ? before : t));
        fuzz_run(m, t, after);
    } else {
        want = fuzz_judge(m, t, rate);
        if (want == HB_SIMCLOCK_RESTART) {
            fuzz_check(after == before); /* on from the clock's own time */
            fuzz_run(m, t, after);
        } else if (want == HB_SIMCLOCK_TICK) {
            fuzz_check(after >= before);
        }
    }
    fuzz_check(v == want);
    if (want == HB_SIMCLOCK_BAD || want == HB_SIMCLOCK_BACK || want == HB_SIMCLOCK_AHEAD) {
        /* ignored: nothing that can be seen moved */
        fuzz_check(fuzz_same(after, before));
        fuzz_check(hb_simclock_rate(&m->c) == rate);
        fuzz_check(fuzz_same(hb_simclock_silence(&m->c, m->mono), silence));
    }
}

/* A well-formed tick (when finite) placed by MODE and D relative to the last one. */
static double fuzz_tick_time(const fuzz_model *m, uint8_t mode, int d) {
    double last = m->following ? m->last : 0.0;
    double cand = m->cand_n > 0 ? m->cand_last : last;
    double cand_mono = m->cand_n > 0 ? m->cand_mono : m->mono_last;
    double pace = hb_simclock_rate(&m->c);
    static const double specials[] = {NAN,   INFINITY,    -INFINITY,  1e10,
                                      -1e10, 1e10 + 0.01, 1e10 - 0.01};
    double jump = HB_SIMCLOCK_JUMP_TICKS * HB_SIMCLOCK_TICK_S;
    switch (mode % 10) {
    case 0:
        return last + d * 1e-3;
    case 1:
        return last + d;
    case 2:
        return last + d * 60.0;
    case 3:
        return last + d * 3600.0;
    case 4:
        return d * 1e6;
    case 5:
        return specials[(unsigned)(d + 32768) % 7];
    case 6:
        return last + HB_SIMCLOCK_TICK_S;
    case 7:
        return last + 2.0 * fmax(m->mono - m->mono_last, 0.0) * pace + jump + d * 1e-3;
    case 8:
        return cand + d;
    default:
        return cand + 2.0 * fmax(m->mono - cand_mono, 0.0) * pace + jump + d * 1e-3;
    }
}

static void fuzz_formatted_tick(fuzz_model *m, double t, bool retained) {
    char buf[64];
    int n = hb_payload_format_clock(buf, sizeof buf, t);
    fuzz_check(n > 0);
    if (isfinite(t) && fabs(t) <= 1e10) {
        /* printed to the millisecond: read back within half of one (and a double's rounding) */
        double back = NAN;
        fuzz_check(fuzz_parse(buf, (size_t)n, &back) == HB_DROP_NONE);
        fuzz_check(fabs(back - t) <= 5e-4 + 1e-15 * fabs(t));
    }
    fuzz_tick(m, buf, (size_t)n, retained);
}

static void fuzz_start(fuzz_model *m, double t) {
    double before = hb_simclock_now(&m->c, m->mono);
    hb_simclock_start(&m->c, t, m->mono);
    if (m->following) {
        fuzz_check(fuzz_same(hb_simclock_now(&m->c, m->mono), before)); /* ignored */
        return;
    }
    m->started = true;
    m->t_start = t;
    m->mono_start = m->mono;
    m->shown = NAN; /* a deliberate move, backwards or not */
}

static void fuzz_init(fuzz_model *m, const uint8_t *h) {
    *m = (fuzz_model){.restarts = !(h[0] & 2), .mono = 12345.678, .shown = NAN};
    m->speed = pow(10.0, -3.0 + 9.0 * h[1] / 255.0);
    m->pace_lo = m->pace_hi = m->speed;
    hb_simclock_init(&m->c, m->speed, m->restarts);
    if (h[0] & 1) {
        fuzz_start(m, (int16_t)(uint16_t)(h[2] << 8 | h[3]) * 100.0);
    }
}

/* Runs the event at DATA[*I] (its operation byte already read as E). */
static void fuzz_event(fuzz_model *m, uint8_t e, const uint8_t *data, size_t size, size_t *i) {
    size_t left = size - *i;
    const uint8_t *a = data + *i;
    int op = e % 8;
    if ((op == 1 || op == 2) && left >= 3) {
        int d = (int16_t)(uint16_t)(a[1] << 8 | a[2]);
        fuzz_formatted_tick(m, fuzz_tick_time(m, a[0], d), op == 1 && (e & 8));
        *i += 3;
    } else if (op == 0 && left >= 1) {
        size_t n = a[0] < left - 1 ? a[0] : left - 1;
        fuzz_tick(m, (const char *)a + 1, n, e & 8);
        *i += 1 + n;
    } else if ((op == 3 || op == 4) && left >= 2) {
        static const double scales[] = {1e-4, 1e-2, 1.0, 60.0};
        m->mono += (a[0] << 8 | a[1]) * scales[(e >> 3) % 4];
        *i += 2;
    } else if (op == 5) {
        fuzz_look(m);
    } else if (op == 6 && left >= 2) {
        fuzz_start(m, (int16_t)(uint16_t)(a[0] << 8 | a[1]) * 10.0);
        *i += 2;
    } else if (op == 7 && left >= 1) {
        m->mono += a[0] / 128.0 * HB_SIMCLOCK_TICK_S / m->speed;
        fuzz_invariants(m);
        double from = (e & 8) && m->cand_n > 0 ? m->cand_last : m->following ? m->last : 0.0;
        fuzz_formatted_tick(m, from + HB_SIMCLOCK_TICK_S, false);
        *i += 1;
    } else {
        *i = size; /* an event cut short ends the input */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The parser alone, on the bytes as they come. */
    double t;
    fuzz_parse((const char *)data, size, &t);
    if (size < 4) {
        return 0;
    }
    fuzz_model m;
    fuzz_init(&m, data);
    fuzz_invariants(&m);
    for (size_t i = 4; i < size;) {
        uint8_t e = data[i++];
        fuzz_event(&m, e, data, size, &i);
        fuzz_invariants(&m);
    }
    return 0;
}
