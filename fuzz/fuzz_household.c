/* libFuzzer harness: a household's command (<prefix>/<room>/{setpoint,mode,preset}/set, as Home
 * Assistant or anyone on the broker sends it), through the steps the daemon takes: the payload
 * read as one word, then a number for a setpoint or a name for a mode or preset, then applied
 * to the room's thermostat. Invariants: a word fits its buffer and has no blank or control
 * byte; an accepted setpoint lies within the room's limits; the setpoint in force is always one
 * of the room's (never NaN, never outside min_c..max_c).
 *
 * Input: the first byte picks the command (% 3: setpoint, mode, preset) and the hour of the
 * week it arrives; the rest is the payload. */
#include "../daemon/hb_thermostat.h"
#include "../mqtt/hb_payload.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "../util/hb_strutil.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    int which = data[0] % 3;
    int hour = data[0] / 3; /* the hours of the week 0..85 */
    double t = hour * 3600.0;
    char word[32];
    memset(word, 0x5a, sizeof word);
    if (hb_payload_word((const char *)data + 1, size - 1, word, sizeof word) != 0) {
        return 0;
    }
    const char *nul = memchr(word, '\0', sizeof word);
    size_t wlen = nul ? (size_t)(nul - word) : sizeof word;
    if (wlen == 0 || wlen >= sizeof word) {
        __builtin_trap();
    }
    for (size_t i = 0; i < wlen; i++) {
        unsigned char ch = (unsigned char)word[i];
        if (ch <= ' ' || ch == 0x7f) {
            __builtin_trap();
        }
    }
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_room_prefs p;
    hb_room_prefs_default(&p, 21.0, &d.controller);
    char err[256];
    if (hb_room_prefs_finish(&p, err, sizeof err) != HB_OK) {
        __builtin_trap(); /* the defaults must pass their own check */
    }
    hb_thermostat th;
    hb_thermostat_init(&th);
    int rc;
    double v = 0;
    if (which == 0) {
        rc = hb_parse_number(word, 0, &v) == 0 ? hb_thermostat_set_setpoint(&th, &p, t, v)
                                               : HB_ERR_PARSE;
        if (rc == HB_OK && !(v >= p.min_c && v <= p.max_c)) {
            __builtin_trap();
        }
    } else if (which == 1) {
        rc = hb_thermostat_set_mode(&th, hb_mode_parse(word));
    } else {
        rc = hb_thermostat_set_preset(&th, &p, t, hb_preset_parse(word));
    }
    (void)rc;
    double sp = hb_thermostat_setpoint(&th, &p, t);
    if (!(sp >= p.min_c && sp <= p.max_c) || th.mode >= HB_MODE__COUNT ||
        th.preset >= HB_PRESET__COUNT) {
        __builtin_trap();
    }
    return 0;
}
