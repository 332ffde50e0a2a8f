#include "hb_bangbang.h"

void hb_bangbang_init(hb_bangbang *b, const hb_bangbang_config *cfg) {
    *b = (hb_bangbang){.cfg = *cfg};
}

double hb_bangbang_update(hb_bangbang *b, double setpoint, double y) {
    double half = 0.5 * b->cfg.hysteresis_k;
    if (!b->started) {
        b->on = y < setpoint;
        b->started = true;
    }
    if (y < setpoint - half) {
        b->on = true;
    } else if (y > setpoint + half) {
        b->on = false;
    }
    return b->on ? b->cfg.on_level : b->cfg.off_level;
}
