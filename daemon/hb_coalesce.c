#include "hb_coalesce.h"

#include <math.h>

void hb_coalesce_init(hb_coalesce *c) {
    c->last = -INFINITY;
    c->pending = false;
}

bool hb_coalesce_change(hb_coalesce *c, double now, double interval_s) {
    if (!c->pending && now - c->last >= interval_s) {
        c->last = now;
        return true;
    }
    c->pending = true;
    return false;
}

bool hb_coalesce_due(hb_coalesce *c, double now, double interval_s) {
    if (!c->pending || now - c->last < interval_s) {
        return false;
    }
    c->pending = false;
    c->last = now;
    return true;
}
