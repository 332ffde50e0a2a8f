#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The controllers by name: the algorithms, and the PID with its model-based options. */
static const struct {
    const char *name;
    enum hb_algo algo;
    bool ff, os;
} hb__controllers[] = {
    {"pid", HB_ALGO_PID, false, false},   {"bangbang", HB_ALGO_BANGBANG, false, false},
    {"mpc", HB_ALGO_MPC, false, false},   {"pid-ff", HB_ALGO_PID, true, false},
    {"pid-os", HB_ALGO_PID, false, true}, {"pid-ff-os", HB_ALGO_PID, true, true}};
#define HB__N_CONTROLLERS (sizeof hb__controllers / sizeof hb__controllers[0])

int hb_cli_controller(const char *prog, const char *name, hb_room_ctl_config *cfg) {
    for (size_t i = 0; i < HB__N_CONTROLLERS; i++) {
        if (strcmp(name, hb__controllers[i].name) == 0) {
            cfg->algo = hb__controllers[i].algo;
            cfg->feed_forward = hb__controllers[i].ff;
            cfg->optimal_start = hb__controllers[i].os;
            return 0;
        }
    }
    fprintf(stderr,
            "%s: --controller: expected pid, bangbang, mpc, pid-ff, pid-os or pid-ff-os, got "
            "'%s'\n",
            prog, name);
    return -1;
}

const char *hb_cli_controller_name(const hb_room_ctl_config *cfg) {
    for (size_t i = 0; i < HB__N_CONTROLLERS; i++) {
        if (cfg->algo == hb__controllers[i].algo &&
            (cfg->algo != HB_ALGO_PID || (cfg->feed_forward == hb__controllers[i].ff &&
                                          cfg->optimal_start == hb__controllers[i].os))) {
            return hb__controllers[i].name;
        }
    }
    return "pid";
}
