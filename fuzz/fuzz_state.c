/* libFuzzer harness: one room's retained controller state (<prefix>/<room>/ctl, the JSON entry
 * a standby takes over from, also one entry of the state file). Anyone on the broker can retain
 * one. An entry the parser accepts must be one a fresh controller takes (hb_room_ctl_restore says
 * yes) and whose household state, taken over as the daemon does, gives a setpoint within the
 * room's limits; a restored controller then only ever asks for a level in 0..100. */
#include "../controllers/hb_room_ctl.h"
#include "../daemon/hb_statefile.h"
#include "../daemon/hb_thermostat.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hb_saved_room s;
    memset(&s, 0xa5, sizeof s); /* the parser must set what it says it read */
    if (hb_statefile_parse_room((const char *)data, size, &s) != HB_OK) {
        return 0;
    }
    if (memchr(s.name, '\0', sizeof s.name) == NULL || s.th.mode >= HB_MODE__COUNT ||
        s.th.preset >= HB_PRESET__COUNT) {
        __builtin_trap();
    }
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_room_ctl *k = hb_room_ctl_create(&d.controller);
    if (!k) {
        return 0;
    }
    if (hb_room_ctl_restore(k, &s.ctl) != HB_OK) {
        __builtin_trap(); /* accepted by the parser, refused by the controller */
    }
    hb_room_prefs p;
    hb_room_prefs_default(&p, 21.0, &d.controller);
    char err[256];
    if (hb_room_prefs_finish(&p, err, sizeof err) == HB_OK) {
        /* As the daemon takes it over: brought within the limits, then aged. */
        hb_thermostat_fit(&s.th, &p);
        hb_thermostat_resume(&s.th, &p, 0.0, 3600.0);
        double sp = hb_thermostat_setpoint(&s.th, &p, 3600.0);
        if (!(sp >= p.min_c && sp <= p.max_c)) {
            __builtin_trap();
        }
    }
    int level = -1;
    if (hb_room_ctl_poll(k, 1.0, &level) && (level < 0 || level > 100)) {
        __builtin_trap();
    }
    hb_room_ctl_destroy(k);
    return 0;
}
