/* `heatbench tune --live`: options, the experiment (field/hb_tune_live.h), the rules' gains and
 * the tuned scenario. */
#define _GNU_SOURCE /* getopt_long */
#include "../field/hb_tune_live.h"
#include "../mqtt/hb_payload.h"
#include "../mqtt/hb_simclock.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hb__tl_help[] =
    "usage: heatbench tune --live [SCENARIO] [options]\n"
    "\n"
    "Tunes the PID on the real room over MQTT: a warm-up under the scenario's PI at the\n"
    "setpoint, then a relay experiment around the level that held it (the valve switched\n"
    "between bias +- d until the room oscillates for --cycles cycles): the ultimate gain\n"
    "and period give Ziegler-Nichols, Tyreus-Luyben and no-overshoot gains. Then a step\n"
    "test: the PI settles the room again, the valve is held where it settled (the drift\n"
    "is measured), then stepped by --step-du; a first-order-plus-dead-time fit of the\n"
    "response gives SIMC and AMIGO gains. The valve is left at --restore (default: the\n"
    "bias) however it ends; the experiment is aborted the moment the room leaves\n"
    "--min-c..--max-c, and the step is cut short at 3/4 of the way to the limit. Refuses\n"
    "while a heatbench control is online (its status topic), unless --force.\n"
    "\n"
    "The experiment keeps to the room's own clock when it publishes one (`heatbench live`\n"
    "does, on heatbench/live/clock): its times, the freshness of readings and its limits\n"
    "are the room's, so a room (or this process) that stalls is waited for, not taken for\n"
    "a silent room. Before the first tick, and with --clock-topic '', the wall clock\n"
    "times --speed.\n"
    "\n"
    "options:\n"
    "  --room NAME            the room (default room-1)\n"
    "  --setpoint C           the relay's centre (default: the scenario's setpoint_c)\n"
    "  --min-c C, --max-c C   the room's limits (default: setpoint -/+ 2 K)\n"
    "  --warmup-h H           PI warm-up before the relay (default 2; 0 with --bias)\n"
    "  --bias L, --amplitude D  the relay's centre and half swing, % (default: the warm-up's\n"
    "                         level; min(L, 100 - L) within 5..40)\n"
    "  --hysteresis K         the relay's hysteresis (default 0.1)\n"
    "  --cycles N             relay cycles to record (default 6, the first is dropped)\n"
    "  --max-h H              give up after H hours in all (default 24)\n"
    "  --restore L            the level left behind (default: the bias)\n"
    "  --step-du D            the step, % (default 10; the other way when it would pass\n"
    "                         100; 0: no step test)\n"
    "  --settle-h H, --step-base-h H, --step-h H   PI settle, valve held before the\n"
    "                         step, response recorded (defaults 1, 1, 2)\n"
    "  --tau-c S              SIMC closed-loop time constant, s (default: the dead time)\n";

static const char hb__tl_help2[] =
    "  --rule NAME            tl | zn | no-overshoot | simc | amigo: the gains written\n"
    "                         (default tl)\n"
    "  --clock-topic T        the room's clock ({\"t\": s}) to follow (default\n"
    "                         heatbench/live/clock; '' for the wall clock times --speed)\n"
    "  --clock-timeout S      wall seconds without a tick of the followed clock before the\n"
    "                         room is taken for gone (default 30, or 3 ticks at --speed)\n"
    "  --speed X              the experiment's clock runs X times the wall clock where the\n"
    "                         room's clock does not tick (default 1)\n"
    "  --connect-timeout S    give up when the broker is not there within S (default 30)\n"
    "  --force                run even while a controller is online\n"
    "  -o, --output FILE      the scenario with the chosen gains\n"
    "  --json                 the result as one JSON object\n"
    "  --readings-topic T, --actuator-topic T, --status-topic T   as `control`'s\n"
    "  -v, --verbose          log every command\n"
    "\n" HB_MQTT_HELP "\n"
    "exit status: 0 ok, 1 the experiment failed or was aborted (the valve restored), 2 bad\n"
    "usage or a bad scenario.\n";

static void hb__tl_on_stop(int sig) {
    (void)sig;
    hb_tune_live_request_stop();
}

static const char *const hb__rules[] = {"tl", "zn", "no-overshoot", "simc", "amigo"};
#define HB__NRULES 5

/* Rule I's gains from the experiment; false (G untouched) when its experiment failed. */
static bool hb__gains(const hb_tune_live_result *r, int i, double tau_c_s, hb_gains *g) {
    if (i < 3 && !r->relay.ok) {
        return false;
    }
    if (i >= 3 && !r->fopdt_ok) {
        return false;
    }
    switch (i) {
    case 0:
        *g = hb_rule_tyreus_luyben_pi(r->relay.ku, r->relay.pu_s);
        break;
    case 1:
        *g = hb_rule_ziegler_nichols_pid(r->relay.ku, r->relay.pu_s);
        break;
    case 2:
        *g = hb_rule_no_overshoot_pid(r->relay.ku, r->relay.pu_s);
        break;
    case 3:
        *g = hb_rule_simc_pi(&r->fopdt, tau_c_s);
        break;
    default:
        *g = hb_rule_amigo_pi(&r->fopdt);
        break;
    }
    return hb_gains_usable(*g); /* the bounds `tune` applies: never a file `check` rejects */
}

static void hb__print(FILE *out, const hb_tune_live_result *r, int chosen, double tau_c_s,
                      bool json) {
    hb_gains g;
    if (json) {
        cJSON *o = cJSON_CreateObject();
        hb_json_num(o, "setpoint_c", r->setpoint_c);
        hb_json_num(o, "bias", r->bias);
        hb_json_num(o, "d", r->d);
        hb_json_num(o, "hours", r->hours);
        hb_json_num(o, "min_c", r->min_seen_c);
        hb_json_num(o, "max_c", r->max_seen_c);
        hb_json_num(o, "restored", r->restored);
        cJSON_AddBoolToObject(o, "ok", r->relay.ok);
        hb_json_num(o, "ku", r->relay.ku);
        hb_json_num(o, "pu_s", r->relay.pu_s);
        hb_json_num(o, "cycles", r->relay.cycles);
        cJSON *st = cJSON_AddObjectToObject(o, "step");
        cJSON_AddBoolToObject(st, "ok", r->fopdt_ok);
        cJSON_AddStringToObject(st, "reason", r->fopdt_reason ? r->fopdt_reason : "");
        hb_json_num(st, "u0", r->step_ran ? r->step_u0 : NAN);
        hb_json_num(st, "du", r->step_ran ? r->step_du : NAN);
        hb_json_num(st, "hours", r->step_ran ? r->step_h : NAN);
        cJSON_AddBoolToObject(st, "cut", r->step_cut);
        hb_json_num(st, "drift_k_per_h", r->step_ran ? r->step_drift_kph : NAN);
        hb_json_num(st, "k", r->fopdt_ok ? r->fopdt.k : NAN);
        hb_json_num(st, "tau_s", r->fopdt_ok ? r->fopdt.tau_s : NAN);
        hb_json_num(st, "theta_s", r->fopdt_ok ? r->fopdt.theta_s : NAN);
        hb_json_num(st, "rms", r->fopdt_ok ? r->fopdt.rms : NAN);
        cJSON *gs = cJSON_AddObjectToObject(o, "gains");
        for (int i = 0; i < HB__NRULES; i++) {
            if (hb__gains(r, i, tau_c_s, &g)) {
                cJSON *e = cJSON_AddObjectToObject(gs, hb__rules[i]);
                hb_json_num(e, "kp", g.kp);
                hb_json_num(e, "ki", g.ki);
                hb_json_num(e, "kd", g.kd);
            }
        }
        cJSON_AddStringToObject(o, "chosen", hb__rules[chosen]);
        cJSON *ck = cJSON_AddObjectToObject(o, "clock");
        cJSON_AddBoolToObject(ck, "followed", r->clock_followed);
        hb_json_num(ck, "ticks", (double)r->clock_ticks);
        hb_json_num(ck, "ignored", (double)r->clock_ignored);
        hb_json_num(ck, "stalls", (double)r->clock_stalls);
        hb_json_num(ck, "longest_stall_s", r->clock_stall_s);
        hb_json_print(out, o);
        return;
    }
    fprintf(out,
            "relay around %.2f °C at %.1f %% +- %.1f %%: %s; Ku %.2f %%/K, Pu %.0f s over %d "
            "cycles (%.1f h, room %.2f .. %.2f °C; valve left at %.0f %%)\n",
            r->setpoint_c, r->bias, r->d, r->relay.ok ? "ok" : r->relay.reason, r->relay.ku,
            r->relay.pu_s, r->relay.cycles, r->hours, r->min_seen_c, r->max_seen_c, r->restored);
    if (r->fopdt_ok) {
        fprintf(out,
                "step %.0f -> %.0f %% (%.1f h%s, drift before %+.3f K/h): k %.4f +- %.4f K/%%, "
                "tau %.0f +- %.0f s, dead time %.0f +- %.0f s\n",
                r->step_u0, r->step_u0 + r->step_du, r->step_h, r->step_cut ? ", cut" : "",
                r->step_drift_kph, r->fopdt.k, r->fopdt.k_ci, r->fopdt.tau_s, r->fopdt.tau_ci,
                r->fopdt.theta_s, r->fopdt.theta_ci);
    } else {
        fprintf(out, "step: %s\n", r->fopdt_reason ? r->fopdt_reason : "not run");
    }
    if (r->clock_followed) {
        fprintf(out,
                "on the room's clock: %lu ticks followed, %lu ignored; %lu stalls waited for "
                "(longest %.1f wall s)\n",
                r->clock_ticks, r->clock_ignored, r->clock_stalls, r->clock_stall_s);
    } else {
        fprintf(out, "on the wall clock times --speed (no room clock followed)\n");
    }
    for (int i = 0; i < HB__NRULES; i++) {
        if (hb__gains(r, i, tau_c_s, &g)) {
            fprintf(out, "%-13s kp %7.2f  ki %7.2f  kd %6.3f%s\n", hb__rules[i], g.kp, g.ki, g.kd,
                    i == chosen ? "  <- chosen" : "");
        }
    }
}

static int hb__tl_rule(const char *prog, const char *arg, void *target) {
    int *chosen = target;
    *chosen = -1;
    for (int i = 0; i < HB__NRULES; i++) {
        *chosen = strcmp(arg, hb__rules[i]) == 0 ? i : *chosen;
    }
    if (*chosen < 0) {
        fprintf(stderr, "%s: --rule: expected tl, zn, no-overshoot, simc or amigo, got '%s'\n",
                prog, arg);
        return -1;
    }
    return 0;
}

/* What the command line asks beyond the hb_tune_live_config. */
typedef struct {
    double tau_c_s;
    const char *out;
    int chosen;
    bool json, verbose, live;
} hb__tl_args;

/* The options into CFG and A: 0 to go on, else -1 with *STATUS the exit status. */
static int hb__tl_parse(int argc, char **argv, hb_tune_live_config *cfg, hb__tl_args *a,
                        int *status) {
    const char *prog = "heatbench tune --live";
    const hb_opt opts[] = {
        HB_MQTT_OPTS(&cfg->mqtt),
        {"live", 0, HB_OPT_FLAG, &a->live, 0, 0, NULL},
        {"room", 0, HB_OPT_STR, &cfg->room, 0, 0, NULL},
        {"setpoint", 0, HB_OPT_NUM, &cfg->setpoint_c, 5, 35, NULL},
        {"min-c", 0, HB_OPT_NUM, &cfg->min_c, 0, 40, NULL},
        {"max-c", 0, HB_OPT_NUM, &cfg->max_c, 0, 40, NULL},
        {"warmup-h", 0, HB_OPT_NUM, &cfg->warmup_h, 0, 48, NULL},
        {"bias", 0, HB_OPT_NUM, &cfg->bias, 0, 100, NULL},
        {"amplitude", 0, HB_OPT_NUM, &cfg->amplitude, 1, 50, NULL},
        {"hysteresis", 0, HB_OPT_NUM, &cfg->hysteresis_k, 0, 2, NULL},
        {"cycles", 0, HB_OPT_INT, &cfg->cycles, 3, HB_RELAY_MAX_CYCLES, NULL},
        {"max-h", 0, HB_OPT_NUM, &cfg->max_h, 0.1, 168, NULL},
        {"restore", 0, HB_OPT_NUM, &cfg->restore, 0, 100, NULL},
        {"rule", 0, HB_OPT_CALL, &a->chosen, 0, 0, hb__tl_rule},
        {"step-du", 0, HB_OPT_NUM, &cfg->step_du, -50, 50, NULL},
        {"settle-h", 0, HB_OPT_NUM, &cfg->settle_h, 0, 24, NULL},
        {"step-base-h", 0, HB_OPT_NUM, &cfg->step_base_h, 0.1, 24, NULL},
        {"step-h", 0, HB_OPT_NUM, &cfg->step_h, 0.25, 48, NULL},
        {"tau-c", 0, HB_OPT_NUM, &a->tau_c_s, 0, 86400, NULL},
        {"speed", 0, HB_OPT_NUM, &cfg->speed, 1e-3, 1e6, NULL},
        {"clock-topic", 0, HB_OPT_CALL, &cfg->clock_topic, 0, 0, hb_cli_topic_or_none},
        {"clock-timeout", 0, HB_OPT_NUM, &cfg->clock_timeout_s, 0.1, 86400, NULL},
        {"connect-timeout", 0, HB_OPT_NUM, &cfg->connect_timeout_s, 0.1, 86400, NULL},
        {"force", 0, HB_OPT_FLAG, &cfg->force, 0, 0, NULL},
        {"output", 'o', HB_OPT_STR, &a->out, 0, 0, NULL},
        {"json", 0, HB_OPT_FLAG, &a->json, 0, 0, NULL},
        {"readings-topic", 0, HB_OPT_STR, &cfg->readings_topic, 0, 0, NULL},
        {"actuator-topic", 0, HB_OPT_STR, &cfg->actuator_topic, 0, 0, NULL},
        {"status-topic", 0, HB_OPT_STR, &cfg->status_topic, 0, 0, NULL},
        {"verbose", 'v', HB_OPT_FLAG, &a->verbose, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__tl_help, hb__tl_help2}},
    };
    int rc = hb_opts_parse(prog, "tune", opts, HB_NOPTS(opts), argc, argv);
    if (rc != 0) {
        *status = hb_opts_status(rc);
        return -1;
    }
    cfg->verbose = a->verbose ? 1 : cfg->verbose;
    *status = HB_EXIT_USAGE;
    if (argc - optind > 1) {
        fprintf(stderr, "%s: expected at most one scenario file\n", prog);
        return -1;
    }
    if (!hb_room_name_ok(cfg->room) ||
        hb_cli_check_topics(prog, cfg->readings_topic, cfg->actuator_topic, false) != 0) {
        fprintf(stderr, "%s: --room '%s' or the topics are not usable\n", prog, cfg->room);
        return -1;
    }
    return 0;
}

/* The setpoint and band from the scenario SC where not given, then what must hold of them. */
static int hb__tl_validate(const char *prog, hb_tune_live_config *cfg, const hb_sim_config *sc) {
    if (isnan(cfg->setpoint_c)) {
        cfg->setpoint_c = sc->setpoint_c;
    }
    cfg->min_c = isnan(cfg->min_c) ? cfg->setpoint_c - 2.0 : cfg->min_c;
    cfg->max_c = isnan(cfg->max_c) ? cfg->setpoint_c + 2.0 : cfg->max_c;
    if (!(cfg->min_c < cfg->setpoint_c && cfg->setpoint_c < cfg->max_c)) {
        fprintf(stderr, "%s: the setpoint %.1f °C must lie inside --min-c %.1f .. --max-c %.1f\n",
                prog, cfg->setpoint_c, cfg->min_c, cfg->max_c);
        return -1;
    }
    /* A room at speed X ticks every 60/X wall seconds: three of them, and never less than 30 s
     * (a loaded machine stalls a simulated room for seconds). */
    if (isnan(cfg->clock_timeout_s)) {
        cfg->clock_timeout_s = fmax(30.0, 3.0 * HB_SIMCLOCK_TICK_S / cfg->speed);
    }
    if (cfg->warmup_h <= 0 && isnan(cfg->bias)) {
        fprintf(stderr, "%s: without a warm-up the relay needs --bias\n", prog);
        return -1;
    }
    char err[1024];
    if (hb_mqtt_opts_finish(&cfg->mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return -1;
    }
    return 0;
}

/* The chosen rule's gains into the tuned scenario a->out, when asked; the exit status. */
static int hb__tl_write(const char *prog, const hb_tune_live_result *r, const hb__tl_args *a,
                        const char *spath, const hb_sim_config *sc) {
    hb_gains g;
    if (!hb__gains(r, a->chosen, a->tau_c_s, &g)) {
        fprintf(stderr, "%s: no %s gains: %s\n", prog, hb__rules[a->chosen],
                a->chosen < 3 ? (r->relay.ok ? "the rule gave unusable gains" : r->relay.reason)
                              : (r->fopdt_ok ? "the rule gave unusable gains" : r->fopdt_reason));
        return HB_EXIT_FAIL;
    }
    if (a->out) {
        static const char *const keys[3] = {"kp", "ki", "kd"};
        double vals[3] = {round(g.kp * 100) / 100, round(g.ki * 100) / 100,
                          round(g.kd * 1000) / 1000};
        char err[1024];
        if (hb_cli_write_tuned(a->out, spath, sc, "pid", "pid", keys, vals, 3, err, sizeof err) !=
            0) {
            hb_cli_error(prog, err);
            return HB_EXIT_FAIL;
        }
        if (!a->json) {
            printf("tuned scenario (%s gains) written to %s\n", hb__rules[a->chosen], a->out);
        }
    }
    return HB_EXIT_OK;
}

/* Runs the experiment on the room, prints what it found and writes the tuned scenario. */
static int hb__tl_exec(const char *prog, hb_tune_live_config *cfg, const hb__tl_args *a,
                       const char *spath, hb_sim_config *sc) {
    char err[1024];
    cfg->ctl = &sc->controller;
    hb_cli_signals(hb__tl_on_stop, NULL, hb__tl_on_stop);
    mosquitto_lib_init();
    hb_tune_live_result r;
    int rc = hb_tune_live_run(cfg, &r, err, sizeof err);
    mosquitto_lib_cleanup();
    if (rc != 0) {
        hb_cli_error(prog, err);
        if (isfinite(r.restored)) {
            fprintf(stderr, "%s: the valve was left at %.0f %%\n", prog, r.restored);
        }
        return HB_EXIT_FAIL;
    }
    hb__print(stdout, &r, a->chosen, a->tau_c_s, a->json);
    return hb__tl_write(prog, &r, a, spath, sc);
}

int hb_cmd_tune_live(int argc, char **argv) {
    const char *prog = "heatbench tune --live";
    hb_tune_live_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hb_mqtt_opts_init(&cfg.mqtt, "heatbench-tune");
    cfg.readings_topic = "/readings/+/temperature";
    cfg.actuator_topic = "/actuators/+";
    cfg.status_topic = "heatbench/control/status";
    /* Where `heatbench live` publishes its clock by default, as control follows it: a real room
     * publishes none, and the experiment then runs on the wall clock as before. */
    cfg.clock_topic = "heatbench/live/clock";
    cfg.clock_timeout_s = NAN;
    cfg.room = "room-1";
    cfg.speed = 1;
    cfg.setpoint_c = NAN;
    cfg.min_c = cfg.max_c = NAN;
    cfg.warmup_h = 2;
    cfg.bias = cfg.amplitude = cfg.restore = NAN;
    cfg.hysteresis_k = 0.1;
    cfg.cycles = 6;
    cfg.max_h = 24;
    cfg.step_du = 10;
    cfg.settle_h = 1;
    cfg.step_base_h = 1;
    cfg.step_h = 2;
    cfg.connect_timeout_s = 30;
    hb__tl_args a = {.tau_c_s = -1};
    int status = 0;
    if (hb__tl_parse(argc, argv, &cfg, &a, &status) != 0) {
        return status;
    }
    char found[4200];
    const char *spath =
        optind < argc ? hb_cli_scenario_path(argv[optind], found, sizeof found) : NULL;
    hb_sim_config sc;
    status = hb_cli_load_scenario(prog, spath, &sc);
    if (status == HB_EXIT_OK) {
        status = hb__tl_validate(prog, &cfg, &sc) != 0 ? HB_EXIT_USAGE
                                                       : hb__tl_exec(prog, &cfg, &a, spath, &sc);
    }
    hb_sim_config_free(&sc);
    return status;
}
