/*
 * A PID controller for slow, event-driven plants.
 *
 *   u = kp (b r - y) + I + D,  clamped to [out_min, out_max]
 *   I += ki e dt  then  I += (u - v) min(1, dt / Tt)        (back-calculation anti-windup)
 *   D  = Tf/(Tf+dt) D - kd/(Tf+dt) (y - y_prev),  Tf = (kd/kp)/N   (derivative on measurement,
 *                                                  first-order filter, stable for any dt)
 * dt is explicit per update (samples arrive when they arrive), gaps longer than max_dt are
 * clamped so a long silence cannot wind the integrator up. Gains are in the units heating people
 * use: kp in %/K, ki in %/(K h), kd in % h/K. set_gains() keeps the output continuous (the
 * integral stores ki*e*dt, not e*dt).
 *
 * Start: reset(u0) makes u0 the integral, i.e. the bias the loop starts from, and the first
 * update adds the proportional term of the error it sees. The integral is deliberately not
 * primed to make the first output exactly u0: that would bake the first measurement into the
 * integral for good (a first reading 3 K too warm would leave +60 % of bias behind once the room
 * reads right, at kp 20). Here a wrong first reading moves one output and is forgotten with it.
 *
 * Integral band (i_band_k > 0): farther than i_band_k from the setpoint the integral holds while
 * the measurement approaches the setpoint by at least 0.1 K/h (its slope smoothed over a quarter
 * hour), and integrates as usual while it does not (a room the proportional term alone cannot
 * bring closer still gets its integral). Without it a
 * warm-up of hours from a setback winds the integral up while the room is still far away: the
 * valve's heat hardly changes between 60 and 100 %, so the integral reaches 90 % by the time the
 * air arrives, and the PID then overshoots by 1.6 K for hours while it unwinds (night-setback,
 * the 06:30 step). P alone brings the air into the band; the integral does the last kelvin.
 * Nothing about the output changes at a setpoint change (the integral is held, never reset), so
 * the household's setpoint changes stay as bumpless as before.
 *
 * Non-finite setpoints or measurements are refused: the update returns the previous output and
 * the state stays as it was, so a NaN can never enter the integral.
 */
#ifndef HB_PID_H
#define HB_PID_H

typedef struct hb_pid_config {
    double kp;         /* %/K */
    double ki;         /* %/(K h) */
    double kd;         /* % h/K */
    double b;          /* setpoint weight of the proportional term, [0, 1] */
    double d_filter_n; /* N: derivative filter time constant Td/N */
    double tt_h;       /* back-calculation tracking time, h; 0 = Ti (PI) or sqrt(Ti Td) */
    double out_min;    /* % */
    double out_max;    /* % */
    double max_dt_s;   /* longest gap integrated, s */
    double i_band_k;   /* integral band, K (0: the integral acts at any error) */
} hb_pid_config;

typedef struct hb_pid hb_pid;

/* HB_OK when CFG is one hb_pid_create accepts, HB_ERR_INVAL otherwise. */
int hb_pid_check(const hb_pid_config *cfg);

hb_pid *hb_pid_create(const hb_pid_config *cfg);
void hb_pid_destroy(hb_pid *p);

/* Forgets the history and makes U0 (clamped) the integral the next update starts from. */
void hb_pid_reset(hb_pid *p, double u0);

/* One update at time T (seconds) with setpoint R and measurement Y; returns the clamped output.
 * A T not after the previous update, or a non-finite T, R or Y, returns the previous output and
 * changes nothing. */
double hb_pid_update(hb_pid *p, double t, double r, double y);

/* The same with a feed-forward FF (%) added before the clamp: the anti-windup sees the total,
 * so the integral holds only what the feed-forward does not explain. */
double hb_pid_update_ff(hb_pid *p, double t, double r, double y, double ff);

/* Changes gains without a bump in the output. */
void hb_pid_set_gains(hb_pid *p, double kp, double ki, double kd);

/* Changes every setting (CFG must pass hb_pid_check) without a bump in the output. */
void hb_pid_set_config(hb_pid *p, const hb_pid_config *cfg);

/* Current integral term; after a reset, the one the next update starts from. */
double hb_pid_integral(const hb_pid *p);

#endif
