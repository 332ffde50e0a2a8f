/* `heatbench record`: options, then field/hb_record.h. */
#define _GNU_SOURCE /* getopt_long */
#include "../field/hb_record.h"
#include "../util/hb_error.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char hb__record_help[] =
    "usage: heatbench record -o TRACE.csv [options]\n"
    "\n"
    "Records a room from the broker: its readings, its valve commands and (with\n"
    "--outdoor-topic) the outdoor temperature, one row per interval with the trace columns\n"
    "of `heatbench run` (time_s, t_out, sensor_1.., level_cmd), for `heatbench identify`.\n"
    "The file is rewritten whole every --flush-s and at the end (SIGINT included): never\n"
    "half written. Sensor columns: the --sensors ids in order, then others in natural order.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE      the trace (required)\n"
    "  --room NAME            the room ('+' of the topics; default room-1)\n"
    "  --hours H              recording hours, then stop (default: until SIGINT)\n"
    "  --speed X              recording time runs X times the wall clock, to record an\n"
    "                         accelerated `heatbench live` on its own time (default 1)\n"
    "  --interval S           seconds of recording time between rows (default 60)\n"
    "  --start-s S            time_s of the first message (default: at speed 1 the local\n"
    "                         time of day, so the sun lines up; else 0, as `live` starts)\n"
    "  --outdoor-topic T      outdoor temperature: a number or {\"value\": N}\n"
    "  --clock-topic T        the room's time ({\"t\": s}, `live --clock-topic`): rows keep\n"
    "                         to a simulated room even when it falls behind the wall clock\n"
    "  --sensors ID[,ID..]    the first sensor columns, in this order\n"
    "  --flush-s S            wall seconds between rewrites of the file (default 60)\n"
    "  --connect-timeout S    give up when the broker is not there within S (default 30)\n"
    "  --excite prbs          drive the valve with a pseudo-random binary sequence while\n"
    "                         recording (rooms whose normal operation does not excite their\n"
    "                         dynamics); the level in force is restored at the end\n"
    "  --prbs-amplitude A     +- A % around the centre (default 20)\n"
    "  --prbs-period S        seconds of recording time per bit (default 1800)\n"
    "  --prbs-min L, --prbs-max L  bounds of the levels (default 0, 100)\n"
    "  --excite-center L      the centre (default: the last command seen, else 30)\n"
    "  --force                excite even while a controller is online (its status topic)\n"
    "  --status-topic T       default heatbench/control/status\n"
    "  --readings-topic T     default /readings/+/temperature\n"
    "  --actuator-topic T     default /actuators/+\n"
    "  -h, --help             this text\n"
    "\n" HB_MQTT_HELP "\n"
    "exit status: 0 ok, 1 connection or write failure (or nothing recorded), 2 bad usage.\n";

static void hb__record_on_stop(int sig) {
    (void)sig;
    hb_record_request_stop();
}

enum {
    OPT_ROOM = 2000,
    OPT_HOURS,
    OPT_SPEED,
    OPT_INTERVAL,
    OPT_START,
    OPT_OUTDOOR,
    OPT_SENSORS,
    OPT_FLUSH,
    OPT_TIMEOUT,
    OPT_READINGS,
    OPT_ACTUATOR,
    OPT_EXCITE,
    OPT_PRBS_A,
    OPT_PRBS_P,
    OPT_PRBS_MIN,
    OPT_PRBS_MAX,
    OPT_CENTER,
    OPT_FORCE,
    OPT_STATUS,
    OPT_CLOCK,
};

/* Splits the comma list S (modified) into at most MAX ids; -1 when there are more. */
static int hb__split_ids(char *s, const char **ids, size_t max, size_t *n) {
    char *save = NULL;
    *n = 0;
    for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == max) {
            return -1;
        }
        ids[(*n)++] = t;
    }
    return 0;
}

int hb_cmd_record(int argc, char **argv) {
    static const struct option opts[] = {HB_MQTT_LONG_OPTIONS,
                                         {"output", required_argument, NULL, 'o'},
                                         {"room", required_argument, NULL, OPT_ROOM},
                                         {"hours", required_argument, NULL, OPT_HOURS},
                                         {"speed", required_argument, NULL, OPT_SPEED},
                                         {"interval", required_argument, NULL, OPT_INTERVAL},
                                         {"start-s", required_argument, NULL, OPT_START},
                                         {"outdoor-topic", required_argument, NULL, OPT_OUTDOOR},
                                         {"sensors", required_argument, NULL, OPT_SENSORS},
                                         {"flush-s", required_argument, NULL, OPT_FLUSH},
                                         {"connect-timeout", required_argument, NULL, OPT_TIMEOUT},
                                         {"readings-topic", required_argument, NULL, OPT_READINGS},
                                         {"actuator-topic", required_argument, NULL, OPT_ACTUATOR},
                                         {"excite", required_argument, NULL, OPT_EXCITE},
                                         {"prbs-amplitude", required_argument, NULL, OPT_PRBS_A},
                                         {"prbs-period", required_argument, NULL, OPT_PRBS_P},
                                         {"prbs-min", required_argument, NULL, OPT_PRBS_MIN},
                                         {"prbs-max", required_argument, NULL, OPT_PRBS_MAX},
                                         {"excite-center", required_argument, NULL, OPT_CENTER},
                                         {"force", no_argument, NULL, OPT_FORCE},
                                         {"status-topic", required_argument, NULL, OPT_STATUS},
                                         {"clock-topic", required_argument, NULL, OPT_CLOCK},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *prog = "heatbench record";
    hb_record_config cfg;
    memset(&cfg, 0, sizeof cfg);
    hb_mqtt_opts_init(&cfg.mqtt, "heatbench-record");
    cfg.readings_topic = "/readings/+/temperature";
    cfg.actuator_topic = "/actuators/+";
    cfg.room = "room-1";
    cfg.interval_s = 60;
    cfg.speed = 1;
    cfg.hours = NAN;
    cfg.start_s = NAN;
    cfg.flush_s = 60;
    cfg.connect_timeout_s = 30;
    cfg.prbs_amplitude = 20;
    cfg.prbs_period_s = 1800;
    cfg.prbs_min = 0;
    cfg.prbs_max = 100;
    cfg.center = NAN;
    cfg.status_topic = "heatbench/control/status";
    char ids_buf[1024] = "";
    const char *ids[16];
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        int m = hb_mqtt_opt(&cfg.mqtt, c, optarg, prog);
        if (m < 0) {
            return HB_EXIT_USAGE;
        }
        if (m > 0) {
            continue;
        }
        int bad = 0;
        switch (c) {
        case 'o':
            cfg.output = optarg;
            break;
        case OPT_ROOM:
            cfg.room = optarg;
            break;
        case OPT_HOURS:
            bad = hb_cli_number(prog, "--hours", optarg, 1.0 / 60, 876000, &cfg.hours);
            break;
        case OPT_SPEED:
            bad = hb_cli_number(prog, "--speed", optarg, 1e-3, 1e6, &cfg.speed);
            break;
        case OPT_INTERVAL:
            bad = hb_cli_number(prog, "--interval", optarg, 1, 3600, &cfg.interval_s);
            break;
        case OPT_START:
            bad = hb_cli_number(prog, "--start-s", optarg, 0, 1e9, &cfg.start_s);
            break;
        case OPT_OUTDOOR:
            cfg.outdoor_topic = optarg;
            break;
        case OPT_SENSORS:
            snprintf(ids_buf, sizeof ids_buf, "%s", optarg);
            if (hb__split_ids(ids_buf, ids, 16, &cfg.n_ids) != 0) {
                fprintf(stderr, "%s: --sensors: at most 16 ids\n", prog);
                return HB_EXIT_USAGE;
            }
            cfg.ids = ids;
            break;
        case OPT_FLUSH:
            bad = hb_cli_number(prog, "--flush-s", optarg, 0.1, 86400, &cfg.flush_s);
            break;
        case OPT_TIMEOUT:
            bad = hb_cli_number(prog, "--connect-timeout", optarg, 0.1, 86400,
                                &cfg.connect_timeout_s);
            break;
        case OPT_READINGS:
            cfg.readings_topic = optarg;
            break;
        case OPT_ACTUATOR:
            cfg.actuator_topic = optarg;
            break;
        case OPT_EXCITE:
            if (strcmp(optarg, "prbs") != 0) {
                fprintf(stderr, "%s: --excite: expected prbs, got '%s'\n", prog, optarg);
                return HB_EXIT_USAGE;
            }
            cfg.excite = true;
            break;
        case OPT_PRBS_A:
            bad = hb_cli_number(prog, "--prbs-amplitude", optarg, 1, 50, &cfg.prbs_amplitude);
            break;
        case OPT_PRBS_P:
            bad = hb_cli_number(prog, "--prbs-period", optarg, 10, 86400, &cfg.prbs_period_s);
            break;
        case OPT_PRBS_MIN:
            bad = hb_cli_number(prog, "--prbs-min", optarg, 0, 100, &cfg.prbs_min);
            break;
        case OPT_PRBS_MAX:
            bad = hb_cli_number(prog, "--prbs-max", optarg, 0, 100, &cfg.prbs_max);
            break;
        case OPT_CENTER:
            bad = hb_cli_number(prog, "--excite-center", optarg, 0, 100, &cfg.center);
            break;
        case OPT_FORCE:
            cfg.force = true;
            break;
        case OPT_STATUS:
            cfg.status_topic = optarg;
            break;
        case OPT_CLOCK:
            cfg.clock_topic = optarg;
            break;
        case 'h':
            fputs(hb__record_help, stdout);
            return HB_EXIT_OK;
        default:
            return hb_cli_bad_option(prog, "record", c, argv);
        }
        if (bad) {
            return HB_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        return HB_EXIT_USAGE;
    }
    if (!cfg.output) {
        fprintf(stderr, "%s: -o FILE is required (where the trace goes)\n", prog);
        return HB_EXIT_USAGE;
    }
    if (!(cfg.prbs_min < cfg.prbs_max)) {
        fprintf(stderr, "%s: --prbs-min must be below --prbs-max\n", prog);
        return HB_EXIT_USAGE;
    }
    if (!hb_room_name_ok(cfg.room)) {
        fprintf(stderr, "%s: --room: '%s' is not a plain room name\n", prog, cfg.room);
        return HB_EXIT_USAGE;
    }
    if (hb_cli_check_topics(prog, cfg.readings_topic, cfg.actuator_topic, false) != 0) {
        return HB_EXIT_USAGE;
    }
    char err[1024];
    if (hb_mqtt_opts_finish(&cfg.mqtt, err, sizeof err) != 0) {
        hb_cli_error(prog, err);
        return HB_EXIT_USAGE;
    }
    hb_cli_signals(hb__record_on_stop, NULL, hb__record_on_stop);
    mosquitto_lib_init();
    hb_record_stats st;
    int status = hb_record_run(&cfg, &st, err, sizeof err);
    mosquitto_lib_cleanup();
    if (status != 0) {
        hb_cli_error(prog, err);
    }
    unsigned long dropped = st.sensor_cap;
    for (int i = 0; i < HB_DROP__COUNT; i++) {
        dropped += st.dropped[i];
    }
    fprintf(stderr,
            "%s: %zu rows (%.2f h) of %zu sensors to %s; %lu readings, %lu commands, %lu outdoor "
            "temperatures received, %lu dropped\n",
            prog, st.rows, st.hours, st.sensors, cfg.output, st.readings, st.commands, st.outdoor,
            dropped);
    if (cfg.excite) {
        fprintf(stderr, "%s: %lu excitation levels commanded; the valve was left at %.0f %%\n",
                prog, st.excitations, st.restored);
    }
    return status ? HB_EXIT_FAIL : HB_EXIT_OK;
}
