/*
 * On/off control with hysteresis: full on below setpoint - band/2, off above setpoint + band/2,
 * unchanged in between. The classic thermostat and the baseline every better controller must beat.
 */
#ifndef HB_BANGBANG_H
#define HB_BANGBANG_H

#include <stdbool.h>

typedef struct hb_bangbang_config {
    double hysteresis_k; /* total band width, K (default 0.5) */
    double on_level;     /* % (default 100) */
    double off_level;    /* % (default 0) */
} hb_bangbang_config;

typedef struct hb_bangbang {
    hb_bangbang_config cfg;
    bool on;
    bool started;
} hb_bangbang;

void hb_bangbang_init(hb_bangbang *b, const hb_bangbang_config *cfg);
double hb_bangbang_update(hb_bangbang *b, double setpoint, double y);

#endif
