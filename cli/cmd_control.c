#define _GNU_SOURCE /* getopt_long */
#include "../daemon/hb_control.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <math.h>
#include <string.h>

static const char hb__control_help[] =
    "usage: heatbench control [options]\n"
    "\n"
    "The production backend: subscribes to the readings of every room, runs one room controller\n"
    "per room (the same code `heatbench run` simulates) and publishes {\"level\":N} commands.\n"
    "Runs until SIGINT or SIGTERM (exit 0); SIGUSR1 prints the counters to stderr as JSON;\n"
    "SIGHUP reads the --scenario file again and applies its controller settings to every room\n"
    "without a bump (a bad file is logged and changes nothing).\n"
    "\n"
    "control:\n"
    "  --scenario FILE        take the controller settings and setpoint from a scenario file\n"
    "  --controller NAME      pid | bangbang (default: the scenario's)\n"
    "  --setpoint C           setpoint in °C (default: the scenario's, 22)\n"
    "  --speed X              controller time runs X times the wall clock (default 1; for tests\n"
    "                         against `heatbench live --speed X`)\n"
    "topics:\n"
    "  --readings-topic T     readings to subscribe to; '+' is the room (default\n"
    "                         /readings/+/temperature)\n"
    "  --actuator-topic T     where commands go; '+' becomes the room (default /actuators/+)\n"
    "  --room NAME            room of a readings topic without '+' (default room-1), for\n"
    "                         single-room set-ups such as /readings/temperature\n"
    "  --status-topic T       retained online/offline status (default heatbench/control/status)\n"
    "limits:\n"
    "  --max-rooms N          rooms kept at once (default 1000)\n"
    "  --room-idle S          a room silent this long may be evicted (default 86400 s)\n"
    "  --log-interval S       at most one log line per kind of dropped message per S (default 10)\n"
    "  --run-for S            stop after S wall seconds (default: run until a signal)\n"
    "  -v, --verbose          log every command\n" HB_MQTT_HELP "\n"
    "exit status: 0 stopped by a signal (or --run-for), 1 fatal connection error (bad\n"
    "credentials, TLS), 2 bad usage.\n";

static void hb__control_on_stop(int sig) {
    (void)sig;
    hb_control_request_stop();
}

static void hb__on_stats(int sig) {
    (void)sig;
    hb_control_request_stats();
}

static void hb__on_hup(int sig) {
    (void)sig;
    hb_control_request_reload();
}

/* What SIGHUP reloads: the scenario file, with the command line's overrides on top. */
typedef struct {
    const char *scenario;
    double setpoint;        /* NaN: the scenario's */
    const char *controller; /* NULL: the scenario's */
} hb__reload_src;

static int hb__controller_settings(const hb__reload_src *src, hb_room_ctl_config *ctl, char *err,
                                   size_t errlen) {
    hb_sim_config sc;
    int rc = src->scenario ? hb_scenario_load_file(src->scenario, &sc, err, errlen) : HB_OK;
    if (!src->scenario) {
        hb_sim_config_default(&sc);
    }
    if (rc == HB_OK) {
        *ctl = sc.controller;
        ctl->setpoint_c = isnan(src->setpoint) ? sc.setpoint_c : src->setpoint;
        if (src->controller) {
            (void)hb_cli_controller("heatbench control", src->controller, ctl); /* checked */
        }
        /* The daemon has no room model and no weather forecast yet: what needs them would run
         * as a plain PID, which is not what the user asked for. */
        if (ctl->algo == HB_ALGO_MPC || ctl->feed_forward || ctl->optimal_start) {
            snprintf(err, errlen,
                     "controller %s needs a room model and a weather forecast, which heatbench "
                     "control does not have yet; use pid or bangbang (controller.type, "
                     "controller.feed_forward, controller.optimal_start)",
                     hb_cli_controller_name(ctl));
            rc = HB_ERR_RANGE;
        }
    }
    hb_sim_config_free(&sc);
    return rc == HB_OK ? 0 : -1;
}

static int hb__reload_scenario(void *ud, hb_room_ctl_config *ctl, char *err, size_t errlen) {
    return hb__controller_settings(ud, ctl, err, errlen);
}

enum {
    OPT_SCENARIO = 2000,
    OPT_CONTROLLER,
    OPT_SETPOINT,
    OPT_SPEED,
    OPT_READINGS,
    OPT_ACTUATOR,
    OPT_ROOM,
    OPT_STATUS,
    OPT_MAX_ROOMS,
    OPT_ROOM_IDLE,
    OPT_LOG_INTERVAL,
    OPT_RUN_FOR,
};

int hb_cmd_control(int argc, char **argv) {
    static const struct option opts[] = {
        HB_MQTT_LONG_OPTIONS,
        {"scenario", required_argument, NULL, OPT_SCENARIO},
        {"controller", required_argument, NULL, OPT_CONTROLLER},
        {"setpoint", required_argument, NULL, OPT_SETPOINT},
        {"speed", required_argument, NULL, OPT_SPEED},
        {"readings-topic", required_argument, NULL, OPT_READINGS},
        {"actuator-topic", required_argument, NULL, OPT_ACTUATOR},
        {"room", required_argument, NULL, OPT_ROOM},
        {"status-topic", required_argument, NULL, OPT_STATUS},
        {"max-rooms", required_argument, NULL, OPT_MAX_ROOMS},
        {"room-idle", required_argument, NULL, OPT_ROOM_IDLE},
        {"log-interval", required_argument, NULL, OPT_LOG_INTERVAL},
        {"run-for", required_argument, NULL, OPT_RUN_FOR},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *prog = "heatbench control";
    hb_control_config cfg;
    hb_control_config_default(&cfg);
    const char *scenario = NULL;
    const char *algo = NULL;
    double setpoint = NAN;
    double v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        int m = hb_mqtt_opt(&cfg.mqtt, c, optarg, prog);
        if (m < 0) {
            return HB_EXIT_USAGE;
        }
        if (m > 0) {
            continue;
        }
        switch (c) {
        case OPT_SCENARIO:
            scenario = optarg;
            break;
        case OPT_CONTROLLER:
            algo = optarg;
            break;
        case OPT_SETPOINT:
            if (hb_cli_number(prog, "--setpoint", optarg, 5, 35, &setpoint) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_SPEED:
            if (hb_cli_number(prog, "--speed", optarg, 1e-3, 1e6, &cfg.speed) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_READINGS:
            cfg.readings_topic = optarg;
            break;
        case OPT_ACTUATOR:
            cfg.actuator_topic = optarg;
            break;
        case OPT_ROOM:
            cfg.default_room = optarg;
            break;
        case OPT_STATUS:
            cfg.status_topic = optarg;
            break;
        case OPT_MAX_ROOMS:
            if (hb_cli_number(prog, "--max-rooms", optarg, 1, 1 << 24, &v) != 0) {
                return HB_EXIT_USAGE;
            }
            cfg.max_rooms = (size_t)v;
            break;
        case OPT_ROOM_IDLE:
            if (hb_cli_number(prog, "--room-idle", optarg, 1, 1e9, &cfg.room_idle_s) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_LOG_INTERVAL:
            if (hb_cli_number(prog, "--log-interval", optarg, 0, 1e6, &cfg.log_interval_s) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_RUN_FOR:
            if (hb_cli_number(prog, "--run-for", optarg, 0, 1e9, &cfg.run_for_s) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case 'v':
            cfg.verbose = 1;
            break;
        case 'h':
            fputs(hb__control_help, stdout);
            return HB_EXIT_OK;
        default:
            return hb_cli_bad_option(prog, "control", c, argv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        return HB_EXIT_USAGE;
    }
    if (hb_cli_check_topics(prog, cfg.readings_topic, cfg.actuator_topic, false) != 0) {
        return HB_EXIT_USAGE;
    }
    if (!hb_room_name_ok(cfg.default_room)) {
        fprintf(stderr, "%s: --room: expected 1 to %d letters, digits, '-', '_' or '.'\n", prog,
                HB_ROOM_MAX - 1);
        return HB_EXIT_USAGE;
    }
    char found[4200];
    if (scenario) {
        scenario = hb_cli_scenario_path(scenario, found, sizeof found);
    }
    hb__reload_src src = {.scenario = scenario, .setpoint = setpoint, .controller = algo};
    hb_room_ctl_config probe = {0};
    if (algo && hb_cli_controller(prog, algo, &probe) != 0) {
        return HB_EXIT_USAGE;
    }
    char err[1024];
    if (hb__controller_settings(&src, &cfg.ctl, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    if (scenario) {
        cfg.reload = hb__reload_scenario;
        cfg.reload_ud = &src;
    }
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    hb_cli_signals(hb__control_on_stop, hb__on_stats, hb__on_hup);
    mosquitto_lib_init();
    hb_control_stats st;
    int status = hb_control_run(&cfg, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    if (status != 0) {
        hb_cli_error(prog, err);
    }
    fputs("heatbench control: stopped; counters: ", stderr);
    hb_control_print_stats(stderr, &st);
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}
