/* Subcommands of the heatbench command line. Each returns the process exit status:
 * 0 success, 1 a run-time failure (I/O, numerical), 2 bad usage or a bad scenario. */
#ifndef HB_CLI_H
#define HB_CLI_H

#include "../engine/hb_sim.h"

#include <stdio.h>

enum { HB_EXIT_OK = 0, HB_EXIT_FAIL = 1, HB_EXIT_USAGE = 2 };

int hb_cmd_run(int argc, char **argv);
int hb_cmd_check(int argc, char **argv);
int hb_cmd_keys(int argc, char **argv);
int hb_cmd_control(int argc, char **argv);
int hb_cmd_live(int argc, char **argv);

/* KPIs as an aligned table, or as one JSON object (with the scenario's name, seed and
 * controller) on one line. */
void hb_kpi_print_table(FILE *out, const hb_sim_config *cfg, const hb_kpis *k);
int hb_kpi_print_json(FILE *out, const hb_sim_config *cfg, const hb_kpis *k);

const char *hb_algo_name(int algo);

/* The KPIs as a cJSON object (rounded to 1e-6, NaN as null); NULL when out of memory. */
struct cJSON;
struct cJSON *hb_kpi_json(const hb_kpis *k);
void hb_json_num(struct cJSON *o, const char *key, double v);

int hb_cmd_tune(int argc, char **argv);
int hb_cmd_report(int argc, char **argv);

#endif
