/* heatbench: a workbench for room-heating control. Dispatches to the subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void hb__usage(FILE *out) {
    fputs("usage: heatbench <command> [options]\n"
          "\n"
          "commands:\n"
          "  run [SCENARIO]      simulate a day (the built-in default without a file), print KPIs\n"
          "  tune [SCENARIO...]  tune the PID: relay, step test + SIMC/AMIGO, optimisation\n"
          "  record -o TRACE     record a room's readings and commands from MQTT as a trace\n"
          "  identify TRACE      fit the room's model (a digital twin) to a trace of the room\n"
          "  report TRACE... -o DIR  gnuplot plots and an HTML report of traces\n"
          "  check SCENARIO...   validate scenario (or sweep) files without running them\n"
          "  sweep SWEEP -o OUT  run a sweep of many runs (resumable, shardable); sweep merge\n"
          "  scenarios           list the shipped scenarios, usable by name\n"
          "  keys                print the scenario key reference (Markdown)\n"
          "  control             the MQTT controller daemon (the production backend)\n"
          "  live [SCENARIO]     the scenario's room on MQTT, for any controller to drive\n"
          "  serve               the BOPTEST REST API: any BOPTEST client tests its controller\n"
          "\n"
          "  heatbench <command> --help   options of one command\n"
          "  heatbench --version\n",
          out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        hb__usage(stderr);
        return HB_EXIT_USAGE;
    }
    hb_cli_set_invocation(argc, argv);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        hb__usage(stdout);
        return HB_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("heatbench %s\n", HEATBENCH_VERSION);
        return HB_EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0) {
        return hb_cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "report") == 0) {
        return hb_cmd_report(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "tune") == 0) {
        return hb_cmd_tune(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "record") == 0) {
        return hb_cmd_record(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "identify") == 0) {
        return hb_cmd_identify(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "control") == 0) {
        return hb_cmd_control(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "live") == 0) {
        return hb_cmd_live(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "serve") == 0) {
        return hb_cmd_serve(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "keys") == 0) {
        return hb_cmd_keys(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "sweep") == 0) {
        return hb_cmd_sweep(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "check") == 0) {
        return hb_cmd_check(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "scenarios") == 0) {
        return hb_cmd_scenarios(argc - 1, argv + 1);
    }
    fprintf(stderr, "heatbench: unknown command '%s'\n", cmd);
    hb__usage(stderr);
    return HB_EXIT_USAGE;
}
