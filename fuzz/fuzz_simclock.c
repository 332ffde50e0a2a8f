/* libFuzzer harness: the followed clock of hb_simclock.h as a state machine, not only its tick
 * parser. One clock takes a sequence of ticks (raw bytes, or well-formed ticks placed around its
 * last one), steps of the caller's monotonic time and looks at the clock; a small model kept
 * here checks, after every event, what the header promises:
 *
 *   - before it is started or has a tick the clock shows NaN; after, a finite time;
 *   - before its first tick it runs at `speed` from where hb_simclock_start put it;
 *   - it never runs backwards while the monotonic time does not (a new hb_simclock_start before
 *     the first tick excepted: that moves it on purpose; once it follows, a start is ignored);
 *   - once it follows, it shows at least its time of the last accepted tick and at most one tick
 *     interval (HB_SIMCLOCK_TICK_S) past it, "its time of a tick" being the room's time shifted
 *     by where the clock stood when the current run of ticks began (the first tick or a restart);
 *   - the first tick takes a clock not started to the room's time and a started one on without a
 *     jump; a restart carries on from the clock's own time; an ignored tick changes nothing;
 *   - each message gets the verdict its payload calls for: retained, malformed, non-finite and
 *     out-of-range ticks are BAD, a tick at or behind the last is BACK unless more than
 *     restart_s behind (RESTART), and the counters agree;
 *   - hb_payload_clock reads what hb_payload_format_clock wrote back to the millisecond, and
 *     anything it accepts, from any bytes, is finite and within +-1e10 s.
 *
 * Input: a header of 4 bytes, then events.
 *   header: [flags, speed, t_hi, t_lo]: flags bit 0: started at (int16)(t_hi t_lo) * 100 s;
 *           (flags >> 1) % 6 picks restart_s (INFINITY, 3600, 0, 60, 86400, 1e9); speed is
 *           10^(-3 + 9 * byte / 255), the --speed range 1e-3..1e6.
 *   events: a byte e, its operation e % 8 and argument bytes after it:
 *     0: raw tick of n bytes [n, bytes...] (n capped by what is left), retained if e & 8;
 *     1: well-formed tick [mode, d_hi, d_lo] (below), retained if e & 8;
 *     2: well-formed tick [mode, d_hi, d_lo], not retained;
 *     3, 4: the monotonic time moves on by (u16)(a b) times 1e-4, 1e-2, 1 or 60 s ((e >> 3) % 4);
 *     5: a look at the clock's rate and silence (its time is looked at after every event);
 *     6: hb_simclock_start at (int16)(a b) * 10 s;
 *     7: the room's next minute: the monotonic time on by a / 128 of a tick at the speed, then a
 *        tick one HB_SIMCLOCK_TICK_S after the last [a].
 *   A well-formed tick's time is, by mode % 8, the last tick plus d ms, d s, d min or d h; d *
 *   1e6 s (often out of range); a special value by d % 7 (NaN, +-inf, +-1e10, just past 1e10,
 *   just inside); the last plus a minute; or just around the restart threshold behind it. */
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
    double speed, restart_s;
    bool started, following;
    double t_start, mono_start;   /* where the latest hb_simclock_start put it */
    double at, first, last;       /* clock time and room time of the run's first tick; last tick */
    double mono_first, mono_last; /* monotonic times of the run's first and last tick */
    double mono;                  /* the caller's monotonic time: never decreases */
    double shown;                 /* the latest time shown, NaN when none counts (a start) */
    unsigned long ticks, bad, back, restarts;
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

/* Every promise that holds between events, checked at the current monotonic time. */
static void fuzz_invariants(fuzz_model *m) {
    double now = hb_simclock_now(&m->c, m->mono);
    fuzz_check(hb_simclock_started(&m->c) == m->started);
    fuzz_check(hb_simclock_following(&m->c) == m->following);
    fuzz_check(m->c.ticks == m->ticks && m->c.bad == m->bad && m->c.back == m->back &&
               m->c.restarts == m->restarts);
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
    /* the ticks' mean pace once they span half a second, else the configured speed */
    double span = m->mono_last - m->mono_first;
    double pace = (m->last - m->first) / span;
    fuzz_check(m->following && span > 0.5 ? fabs(rate - pace) <= 1e-12 * pace : rate == m->speed);
    if (m->following) {
        fuzz_check(silence == m->mono - m->mono_last);
    } else {
        fuzz_check(isnan(silence));
    }
}

/* One message on the clock topic, its verdict worked out from its payload beforehand. */
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
    } else if (t > m->last) {
        want = HB_SIMCLOCK_TICK;
    } else if (m->last - t > m->restart_s) {
        want = HB_SIMCLOCK_RESTART;
        m->restarts++;
        fuzz_check(fuzz_same(after, before)); /* on from the clock's own time */
    } else {
        want = HB_SIMCLOCK_BACK;
        m->back++;
    }
    fuzz_check(v == want);
    if (want == HB_SIMCLOCK_BAD || want == HB_SIMCLOCK_BACK) {
        fuzz_check(fuzz_same(after, before)); /* ignored: nothing moved */
        return;
    }
    m->ticks++;
    if (want != HB_SIMCLOCK_TICK) {
        m->at = after;
        m->first = t;
        m->mono_first = m->mono;
    }
    m->last = t;
    m->mono_last = m->mono;
    m->started = m->following = true;
}

/* A well-formed tick (when finite) placed by MODE and D relative to the last one. */
static double fuzz_tick_time(const fuzz_model *m, uint8_t mode, int d) {
    double last = m->following ? m->last : 0.0;
    static const double specials[] = {NAN,   INFINITY,    -INFINITY,  1e10,
                                      -1e10, 1e10 + 0.01, 1e10 - 0.01};
    switch (mode % 8) {
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
    default:
        /* just either side of "more than restart_s behind" (or far behind when it is never) */
        return last - (isfinite(m->restart_s) ? m->restart_s : 1e9) + d * 1e-3;
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
    static const double restarts[] = {INFINITY, 3600.0, 0.0, 60.0, 86400.0, 1e9};
    *m = (fuzz_model){.restart_s = restarts[(h[0] >> 1) % 6], .mono = 12345.678, .shown = NAN};
    m->speed = pow(10.0, -3.0 + 9.0 * h[1] / 255.0);
    hb_simclock_init(&m->c, m->speed, m->restart_s);
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
        fuzz_formatted_tick(m, (m->following ? m->last : 0.0) + HB_SIMCLOCK_TICK_S, false);
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
