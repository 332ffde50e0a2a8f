#define _GNU_SOURCE /* getopt_long */
#include "../live/hb_live.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "../util/hb_ofile.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hb__live_help[] =
    "usage: heatbench live [SCENARIO] [options]\n"
    "\n"
    "The scenario's room on MQTT: publishes every sensor reading in the seed's format to\n"
    "/readings/<room>/temperature and applies every {\"level\":N} from /actuators/<room> to the\n"
    "simulated valve. Works with any controller that speaks these topics. At the end (or on\n"
    "SIGINT) writes the trace of room-1 and prints its KPIs like `heatbench run`.\n"
    "\n"
    "room:\n"
    "  --speed X              simulated time runs X times the wall clock (default 1)\n"
    "  --hours H              simulated hours (default: the scenario's)\n"
    "  --seed N               seed (default: the scenario's)\n"
    "  --rooms N              room-1 .. room-N, independent rooms for load tests (default 1)\n"
    "  --max-queue N          readings waiting for the connection at most; beyond, simulated\n"
    "                         time stands still until it drains (default 10000; 0: no bound)\n"
    "  -o, --output FILE      CSV trace of room-1 ('-' = stdout)\n"
    "  --json                 KPIs of room-1 as one JSON object\n"
    "  --connect-timeout S    give up when the broker is not there within S (default 30)\n"
    "topics:\n"
    "  --readings-topic T     where readings go; '+' becomes the room\n"
    "                         (default /readings/+/temperature)\n"
    "  --actuator-topic T     commands to subscribe to; '+' is the room (default "
    "/actuators/+)\n"
    "  --clock-topic T        publish room-1's simulated time there every simulated minute\n"
    "                         ({\"t\": s}; default heatbench/live/clock, '' for none): a\n"
    "                         `heatbench control` without --speed follows it, and so does\n"
    "                         `heatbench record --clock-topic`\n" HB_MQTT_HELP "\n"
    "exit status: 0 ok, 1 connection or run-time failure, 2 bad usage or a bad scenario.\n";

static void hb__live_on_stop(int sig) {
    (void)sig;
    hb_live_request_stop();
}

enum {
    OPT_SPEED = 2000,
    OPT_HOURS,
    OPT_SEED,
    OPT_ROOMS,
    OPT_MAX_QUEUE,
    OPT_JSON,
    OPT_TIMEOUT,
    OPT_READINGS,
    OPT_ACTUATOR,
    OPT_CLOCK,
};

int hb_cmd_live(int argc, char **argv) {
    static const struct option opts[] = {HB_MQTT_LONG_OPTIONS,
                                         {"speed", required_argument, NULL, OPT_SPEED},
                                         {"hours", required_argument, NULL, OPT_HOURS},
                                         {"seed", required_argument, NULL, OPT_SEED},
                                         {"rooms", required_argument, NULL, OPT_ROOMS},
                                         {"max-queue", required_argument, NULL, OPT_MAX_QUEUE},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, OPT_JSON},
                                         {"connect-timeout", required_argument, NULL, OPT_TIMEOUT},
                                         {"readings-topic", required_argument, NULL, OPT_READINGS},
                                         {"actuator-topic", required_argument, NULL, OPT_ACTUATOR},
                                         {"clock-topic", required_argument, NULL, OPT_CLOCK},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *prog = "heatbench live";
    /* The clock is published by default: `heatbench control` follows it (hb_control.h). */
    hb_live_config cfg = {.readings_topic = "/readings/+/temperature",
                          .actuator_topic = "/actuators/+",
                          .clock_topic = "heatbench/live/clock",
                          .rooms = 1,
                          .max_queue = 10000,
                          .speed = 1.0,
                          .connect_timeout_s = 30.0};
    hb_mqtt_opts_init(&cfg.mqtt, "heatbench-live");
    double hours = NAN;
    double seed = NAN;
    double v;
    const char *out_path = NULL;
    int json = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:vh", opts, NULL)) != -1) {
        int m = hb_mqtt_opt(&cfg.mqtt, c, optarg, prog);
        if (m < 0) {
            return HB_EXIT_USAGE;
        }
        if (m > 0) {
            continue;
        }
        switch (c) {
        case OPT_SPEED:
            if (hb_cli_number(prog, "--speed", optarg, 1e-3, 1e6, &cfg.speed) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_HOURS:
            if (hb_cli_number(prog, "--hours", optarg, 1.0 / 3600, 8760, &hours) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_SEED:
            if (hb_cli_number(prog, "--seed", optarg, 0, 9007199254740992.0, &seed) != 0 ||
                seed != floor(seed)) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_ROOMS:
            if (hb_cli_number(prog, "--rooms", optarg, 1, 100000, &v) != 0 || v != floor(v)) {
                return HB_EXIT_USAGE;
            }
            cfg.rooms = (int)v;
            break;
        case 'o':
            out_path = optarg;
            break;
        case OPT_MAX_QUEUE:
            if (hb_cli_number(prog, "--max-queue", optarg, 0, 1e8, &v) != 0 || v != floor(v)) {
                return HB_EXIT_USAGE;
            }
            cfg.max_queue = (unsigned long)v;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_TIMEOUT:
            if (hb_cli_number(prog, "--connect-timeout", optarg, 0.1, 86400,
                              &cfg.connect_timeout_s) != 0) {
                return HB_EXIT_USAGE;
            }
            break;
        case OPT_READINGS:
            cfg.readings_topic = optarg;
            break;
        case OPT_ACTUATOR:
            cfg.actuator_topic = optarg;
            break;
        case OPT_CLOCK:
            cfg.clock_topic = *optarg ? optarg : NULL; /* '': none */
            break;
        case 'v':
            cfg.verbose = 1;
            break;
        case 'h':
            fputs(hb__live_help, stdout);
            return HB_EXIT_OK;
        default:
            return hb_cli_bad_option(prog, "live", c, argv);
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "%s: expected at most one scenario file\n", prog);
        return HB_EXIT_USAGE;
    }
    if (hb_cli_check_topics(prog, cfg.readings_topic, cfg.actuator_topic, cfg.rooms > 1) != 0) {
        return HB_EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    hb_sim_config sc;
    char err[1024];
    if (hb_cli_load_scenario(prog, path, &sc) != 0) {
        hb_sim_config_free(&sc);
        return HB_EXIT_USAGE;
    }
    if (!isnan(hours)) {
        sc.duration_h = hours;
    }
    if (!isnan(seed)) {
        sc.seed = (uint64_t)seed;
    }
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        hb_sim_config_free(&sc);
        return HB_EXIT_USAGE;
    }
    cfg.scenario = &sc;
    int rc;
    hb_ofile *of = NULL;
    if (out_path) {
        of = hb_ofile_open(out_path, &rc);
        if (!of) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, out_path, strerror(errno));
            hb_sim_config_free(&sc);
            return HB_EXIT_FAIL;
        }
        cfg.trace = hb_ofile_stream(of);
    }
    hb_cli_signals(hb__live_on_stop, NULL, hb__live_on_stop); /* a closed terminal: stop cleanly */
    mosquitto_lib_init();
    hb_kpis k;
    hb_live_stats st;
    int status = hb_live_run(&cfg, &k, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    if (status == 0 && of) {
        hb_ofile *f = of;
        of = NULL;
        if (hb_ofile_commit(f) != HB_OK) {
            snprintf(err, sizeof err, "cannot write %s: %s", out_path, strerror(errno));
            status = 1;
        }
    }
    hb_ofile_abort(of);
    if (status != 0) {
        hb_cli_error(prog, err);
    } else {
        FILE *kout = (out_path && strcmp(out_path, "-") == 0) ? stderr : stdout;
        sc.duration_h = st.sim_h; /* what ran: less than asked when interrupted */
        if (json) {
            hb_kpi_print_json(kout, &sc, &k);
        } else {
            hb_kpi_print_table(kout, &sc, &k);
        }
        fprintf(stderr,
                "%s: %d room%s, %.2f simulated h in %.1f s wall; %lu readings published (%lu "
                "written to the broker, %lu lost with a connection, %lu refused; queue at most "
                "%lu, simulated time held %.1f s for back-pressure), %lu "
                "commands received (%lu dropped); discomfort mean %.3f, worst %.3f K·h\n",
                prog, cfg.rooms, cfg.rooms == 1 ? "" : "s", st.sim_h, st.wall_s, st.published,
                st.written, st.lost, st.publish_errors, st.max_queued, st.stalled_s, st.commands,
                st.dropped[HB_DROP_JSON] + st.dropped[HB_DROP_BAD_VALUE] +
                    st.dropped[HB_DROP_NO_VALUE] + st.dropped[HB_DROP_BAD_TOPIC] +
                    st.dropped[HB_DROP_BINARY] + st.dropped[HB_DROP_OVERSIZE] +
                    st.dropped[HB_DROP_NOT_OBJECT] + st.dropped[HB_DROP_NON_FINITE] +
                    st.dropped[HB_DROP_IMPLAUSIBLE],
                st.mean_discomfort_kh, st.worst_discomfort_kh);
    }
    hb_sim_config_free(&sc);
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}
