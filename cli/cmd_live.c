#define _GNU_SOURCE /* getopt_long */
#include "../live/hb_live.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "../util/hb_ofile.h"
#include "cli.h"
#include "hb_opts.h"
#include "mqtt_opts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
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

/* What the command line asks beyond the hb_live_config. */
typedef struct {
    double hours, seed; /* NaN: the scenario's */
    const char *out_path;
    bool json, verbose;
} hb__live_args;

/* The options into CFG and A: 0 to go on, else -1 with *STATUS the exit status. */
static int hb__live_parse(int argc, char **argv, hb_live_config *cfg, hb__live_args *a,
                          int *status) {
    const char *prog = "heatbench live";
    const hb_opt opts[] = {
        HB_MQTT_OPTS(&cfg->mqtt),
        {"speed", 0, HB_OPT_NUM, &cfg->speed, 1e-3, 1e6, NULL},
        {"hours", 0, HB_OPT_NUM, &a->hours, 1.0 / 3600, 8760, NULL},
        {"seed", 0, HB_OPT_WNUM, &a->seed, 0, 9007199254740992.0, NULL},
        {"rooms", 0, HB_OPT_WHOLE, &cfg->rooms, 1, 100000, NULL},
        {"max-queue", 0, HB_OPT_ULONG, &cfg->max_queue, 0, 1e8, NULL},
        {"output", 'o', HB_OPT_STR, &a->out_path, 0, 0, NULL},
        {"json", 0, HB_OPT_FLAG, &a->json, 0, 0, NULL},
        {"connect-timeout", 0, HB_OPT_NUM, &cfg->connect_timeout_s, 0.1, 86400, NULL},
        {"readings-topic", 0, HB_OPT_STR, &cfg->readings_topic, 0, 0, NULL},
        {"actuator-topic", 0, HB_OPT_STR, &cfg->actuator_topic, 0, 0, NULL},
        {"clock-topic", 0, HB_OPT_CALL, &cfg->clock_topic, 0, 0, hb_cli_topic_or_none},
        {"verbose", 'v', HB_OPT_FLAG, &a->verbose, 0, 0, NULL},
        {"help", 'h', HB_OPT_HELP, NULL, 0, 0, NULL, {hb__live_help}},
    };
    int rc = hb_opts_parse(prog, "live", opts, HB_NOPTS(opts), argc, argv);
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
    if (hb_cli_check_topics(prog, cfg->readings_topic, cfg->actuator_topic, cfg->rooms > 1) != 0) {
        return -1;
    }
    return 0;
}

/* The KPIs of room-1 and the run's counters. */
static void hb__live_print(const char *prog, const hb_live_config *cfg, const hb__live_args *a,
                           hb_sim_config *sc, const hb_kpis *k, const hb_live_stats *st) {
    FILE *kout = (a->out_path && strcmp(a->out_path, "-") == 0) ? stderr : stdout;
    sc->duration_h = st->sim_h; /* what ran: less than asked when interrupted */
    if (a->json) {
        hb_kpi_print_json(kout, sc, k);
    } else {
        hb_kpi_print_table(kout, sc, k);
    }
    fprintf(stderr,
            "%s: %d room%s, %.2f simulated h in %.1f s wall; %lu readings published (%lu "
            "written to the broker, %lu lost with a connection, %lu refused; queue at most "
            "%lu, simulated time held %.1f s for back-pressure), %lu "
            "commands received (%lu dropped); discomfort mean %.3f, worst %.3f K·h\n",
            prog, cfg->rooms, cfg->rooms == 1 ? "" : "s", st->sim_h, st->wall_s, st->published,
            st->written, st->lost, st->publish_errors, st->max_queued, st->stalled_s, st->commands,
            st->dropped[HB_DROP_JSON] + st->dropped[HB_DROP_BAD_VALUE] +
                st->dropped[HB_DROP_NO_VALUE] + st->dropped[HB_DROP_BAD_TOPIC] +
                st->dropped[HB_DROP_BINARY] + st->dropped[HB_DROP_OVERSIZE] +
                st->dropped[HB_DROP_NOT_OBJECT] + st->dropped[HB_DROP_NON_FINITE] +
                st->dropped[HB_DROP_IMPLAUSIBLE],
            st->mean_discomfort_kh, st->worst_discomfort_kh);
}

/* Runs the room with the trace written to a->out_path; the exit status. */
static int hb__live_exec(const char *prog, hb_live_config *cfg, const hb__live_args *a,
                         hb_sim_config *sc) {
    char err[1024];
    int rc;
    hb_ofile *of = NULL;
    if (a->out_path) {
        of = hb_ofile_open(a->out_path, &rc);
        if (!of) {
            fprintf(stderr, "%s: cannot write %s: %s\n", prog, a->out_path, strerror(errno));
            return HB_EXIT_FAIL;
        }
        cfg->trace = hb_ofile_stream(of);
    }
    hb_cli_signals(hb__live_on_stop, NULL, hb__live_on_stop); /* a closed terminal: stop cleanly */
    mosquitto_lib_init();
    hb_kpis k;
    hb_live_stats st;
    int status = hb_live_run(cfg, &k, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    if (status == 0 && of) {
        hb_ofile *f = of;
        of = NULL;
        if (hb_ofile_commit(f) != HB_OK) {
            snprintf(err, sizeof err, "cannot write %s: %s", a->out_path, strerror(errno));
            status = 1;
        }
    }
    hb_ofile_abort(of);
    if (status != 0) {
        hb_cli_error(prog, err);
    } else {
        hb__live_print(prog, cfg, a, sc, &k, &st);
    }
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}

int hb_cmd_live(int argc, char **argv) {
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
    hb__live_args a = {.hours = NAN, .seed = NAN};
    int status = 0;
    if (hb__live_parse(argc, argv, &cfg, &a, &status) != 0) {
        return status;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    hb_sim_config sc;
    char err[1024];
    if (hb_cli_load_scenario(prog, path, &sc) != 0) {
        hb_sim_config_free(&sc);
        return HB_EXIT_USAGE;
    }
    if (!isnan(a.hours)) {
        sc.duration_h = a.hours;
    }
    if (!isnan(a.seed)) {
        sc.seed = (uint64_t)a.seed;
    }
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        hb_sim_config_free(&sc);
        return HB_EXIT_USAGE;
    }
    cfg.scenario = &sc;
    status = hb__live_exec(prog, &cfg, &a, &sc);
    hb_sim_config_free(&sc);
    return status;
}
