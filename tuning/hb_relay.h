/*
 * Relay feedback (Åström–Hägglund): an on/off controller with hysteresis makes a loop oscillate at
 * its ultimate period Pu; the amplitude a of the oscillation gives the ultimate gain
 *   Ku = 4 d / (π sqrt(a² − ε²))
 * with d the HALF swing of the relay output and ε its hysteresis. (A popular firmware uses the
 * full swing and so reports twice the true Ku; hb_relay_ku is tested against that mistake.)
 *
 * The relay is biased: it switches between bias − d and bias + d, so a room whose steady level is
 * 20 % oscillates around its setpoint instead of far above it. The experiment is a state machine
 * driven by (time, measurement) so the simulated room and a test plant drive the same code.
 */
#ifndef HB_RELAY_H
#define HB_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#define HB_RELAY_MAX_CYCLES 32

typedef struct hb_relay_config {
    double setpoint;
    double bias;       /* output centre, % */
    double d;          /* half swing, % */
    double hysteresis; /* ε, K */
    int cycles;        /* full cycles to record (the first is discarded), <= HB_RELAY_MAX_CYCLES */
    double timeout_s;  /* give up after this long without enough cycles */
} hb_relay_config;

typedef struct hb_relay {
    hb_relay_config cfg;
    bool started, high;
    double t0;
    double t_up[HB_RELAY_MAX_CYCLES + 1]; /* times the output switched high */
    double t_down[HB_RELAY_MAX_CYCLES + 1];
    double y_max[HB_RELAY_MAX_CYCLES + 1]; /* extremes between switches */
    double y_min[HB_RELAY_MAX_CYCLES + 1];
    int n_up, n_down;
    double cur_max, cur_min;
    bool done;
} hb_relay;

typedef struct hb_relay_result {
    bool ok;
    const char *reason; /* why not ok */
    double ku;          /* %/K */
    double pu_s;        /* s */
    double a;           /* K, half peak-to-peak */
    double asymmetry;   /* |t_high − t_low| / Pu */
    double spread;      /* largest relative deviation of a period from the median */
    int cycles;         /* cycles used */
} hb_relay_result;

void hb_relay_init(hb_relay *r, const hb_relay_config *cfg);

/* One step: measurement Y at time T; returns the output level (%). */
double hb_relay_update(hb_relay *r, double t, double y);

/* True once enough cycles were recorded or the timeout passed. */
bool hb_relay_done(const hb_relay *r);

/* Analyses what was recorded. */
hb_relay_result hb_relay_analyse(const hb_relay *r);

/* Ku from the half swing D, half peak-to-peak A and hysteresis EPS; NaN if A <= EPS. */
double hb_relay_ku(double d, double a, double eps);

/* Gains from (Ku, Pu): kp in %/K, ki in %/(K·h), kd in %·h/K. */
typedef struct hb_gains {
    double kp, ki, kd;
} hb_gains;

hb_gains hb_rule_ziegler_nichols_pid(double ku, double pu_s);
hb_gains hb_rule_tyreus_luyben_pi(double ku, double pu_s);
hb_gains hb_rule_no_overshoot_pid(double ku, double pu_s);

/* True when a rule's gains are finite, kp > 0, ki and kd >= 0, and within what a scenario
 * accepts (kp < 10^4, ki < 10^5, kd < 10^4): a rule fed a degenerate experiment can give
 * gains no room should run, nor `check` accept. */
bool hb_gains_usable(hb_gains g);

#endif
