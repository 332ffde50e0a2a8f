/* libFuzzer harness: the room controller fed with sequences of readings, polls, clock steps and
 * reconfigurations. Invariants: every level is an integer in 0..100, the estimate is finite
 * whenever the algorithm runs, and nothing crashes or reads out of bounds, whatever the sensors
 * say (splits, spikes, forged ids, NaN and infinities).
 *
 * Input: records of 4 bytes [op, a, b, c].
 *   op % 4 == 0: reading from sensor a % 24 ("sensor-0".."sensor-23": the first 5 are expected,
 *                the rest forged) of value (int16)(b << 8 | c) / 100 °C, or NaN / +inf / -inf
 *                for the three largest codes;
 *   op % 4 == 1: the clock moves on by (a << 8 | b) / 4 seconds;
 *   op % 4 == 2: poll;
 *   op % 4 == 3: reconfigure: kp a / 4 %/K, ki b / 2, algorithm c % 2, quorum 1 + c % 5. */
#include "../controllers/hb_room_ctl.h"
#include "../sim/hb_sim.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_room_ctl_config cfg = d.controller;
    hb_room_ctl *k = hb_room_ctl_create(&cfg);
    if (!k) {
        __builtin_trap();
    }
    double t = 0.0;
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint8_t op = data[i], a = data[i + 1], b = data[i + 2], c = data[i + 3];
        switch (op % 4) {
        case 0: {
            char id[16];
            snprintf(id, sizeof id, "sensor-%d", a % 24);
            int code = (int16_t)(uint16_t)((b << 8) | c);
            double v = code == 32767   ? NAN
                       : code == 32766 ? INFINITY
                       : code == 32765 ? -INFINITY
                                       : code / 100.0;
            hb_room_ctl_reading(k, t, id, v);
            break;
        }
        case 1:
            t += ((a << 8) | b) / 4.0;
            break;
        case 2: {
            int level = -1;
            bool sent = hb_room_ctl_poll(k, t, &level);
            int now = hb_room_ctl_level(k);
            if ((sent && (level < 0 || level > 100)) || now < 0 || now > 100) {
                __builtin_trap();
            }
            if (hb_room_ctl_started(k) && !isfinite(hb_room_ctl_estimate(k))) {
                __builtin_trap();
            }
            break;
        }
        default:
            cfg.pid.kp = a / 4.0;
            cfg.pid.ki = b / 2.0;
            cfg.algo = (c % 2) ? HB_ALGO_BANGBANG : HB_ALGO_PID;
            cfg.quorum = 1 + c % 5;
            if (hb_room_ctl_reconfigure(k, &cfg) != 0) {
                __builtin_trap(); /* every configuration made here is valid */
            }
            break;
        }
    }
    hb_room_ctl_destroy(k);
    return 0;
}
