/*
 * A room temperature sensor: where it hangs (a placement offset from the mean air temperature),
 * what it gets wrong (bias, Gaussian noise, first-order lag, quantisation) and how it reports
 * (a period with jitter, optionally only on change), plus scheduled faults.
 */
#ifndef HB_SENSOR_H
#define HB_SENSOR_H

#include <gsl/gsl_rng.h>
#include <stdbool.h>
#include <stddef.h>

#define HB_SENSOR_ID_MAX 32
#define HB_MAX_FAULTS 8

enum hb_fault_kind {
    HB_FAULT_DROPOUT, /* no reports during the window */
    HB_FAULT_STUCK,   /* reports value_c during the window */
    HB_FAULT_SPIKE,   /* adds value_c (K) to the reading during the window */
    HB_FAULT_DRIFT    /* adds value_c (K/h) times the hours since the window opened */
};

typedef struct hb_sensor_fault {
    enum hb_fault_kind kind;
    double at_h;       /* h since start */
    double duration_h; /* h; the window is [at_h, at_h + duration_h) */
    double value;      /* °C for stuck, K for spike, K/h for drift */
} hb_sensor_fault;

typedef struct hb_sensor_config {
    char id[HB_SENSOR_ID_MAX];
    double offset_k;        /* placement: true local temperature minus mean air temperature */
    double bias_k;          /* calibration error */
    double noise_k;         /* standard deviation of white noise */
    double lag_s;           /* first-order time constant of the sensor housing */
    double quant_k;         /* resolution; 0 = none */
    double period_s;        /* sampling period */
    double jitter_s;        /* each period varies uniformly by +- jitter */
    double report_change_k; /* 0 = report every sample; else only on a change this large... */
    double max_silence_s;   /* ...or when this long has passed since the last report */
    hb_sensor_fault faults[HB_MAX_FAULTS];
    size_t n_faults;
} hb_sensor_config;

typedef struct hb_sensor {
    const hb_sensor_config *cfg;
    gsl_rng *noise;  /* stream "<id>/noise" */
    gsl_rng *jitter; /* stream "<id>/jitter" */
    double y;        /* lagged temperature */
    double inv_lag;  /* 1 / lag_s (0 without lag) */
    double x_last;   /* true local temperature at the last sample */
    double t_last;   /* time of the last sample */
    double last_value;
    double t_last_report; /* -inf before the first */
    bool started;
} hb_sensor;

/* Sets up S (with its own streams derived from SEED and the id). HB_ERR_NOMEM on failure. */
int hb_sensor_init(hb_sensor *s, const hb_sensor_config *cfg, unsigned long long seed);
void hb_sensor_free(hb_sensor *s);

/* Samples at time T, where the mean air temperature is T_AIR. Returns true and sets *VALUE when
 * the sensor publishes a reading now. Draws the same random numbers whether or not it reports,
 * so a fault window does not change the noise after it. */
bool hb_sensor_sample(hb_sensor *s, double t, double t_air, double *value);

/* Seconds until the next sample (period plus jitter, at least 1 ms). */
double hb_sensor_next_delay(hb_sensor *s);

#endif
