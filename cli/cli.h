/* Subcommands of the heatbench command line. Each returns the process exit status:
 * 0 success, 1 a run-time failure (I/O, numerical), 2 bad usage or a bad scenario. */
#ifndef HB_CLI_H
#define HB_CLI_H

#include "../sim/hb_sim.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { HB_EXIT_OK = 0, HB_EXIT_FAIL = 1, HB_EXIT_USAGE = 2 };

int hb_cmd_run(int argc, char **argv);
int hb_cmd_check(int argc, char **argv);
int hb_cmd_scenarios(int argc, char **argv);
int hb_cmd_keys(int argc, char **argv);
int hb_cmd_control(int argc, char **argv);
int hb_cmd_live(int argc, char **argv);
int hb_cmd_serve(int argc, char **argv);

/* KPIs as an aligned table, or as one JSON object (with the scenario's name, seed and
 * controller) on one line. */
void hb_kpi_print_table(FILE *out, const hb_sim_config *cfg, const hb_kpis *k);
int hb_kpi_print_json(FILE *out, const hb_sim_config *cfg, const hb_kpis *k);

/* Sets CFG's algorithm and model-based options from a controller NAME (pid, bangbang, mpc,
 * pid-ff, pid-os, pid-ff-os); 0, or -1 after a usage message on stderr. */
int hb_cli_controller(const char *prog, const char *name, hb_room_ctl_config *cfg);

/* The name of CFG's controller, as hb_cli_controller takes it. */
const char *hb_cli_controller_name(const hb_room_ctl_config *cfg);

/* The KPIs as a cJSON object (rounded to 1e-6, NaN as null); NULL when out of memory. */
struct cJSON;
struct cJSON *hb_kpi_json(const hb_kpis *k);

/* `heatbench tune --controller mpc` once the scenarios are loaded: tunes, prints, writes OUT
 * (FIRST is the first scenario file, NULL for the built-in default). An exit status. */
struct hb_tune_options;
int hb_cli_tune_mpc(const char *prog, const hb_sim_config *scen, int n, const char *names,
                    const struct hb_tune_options *o, const char *out, const char *first, int json);
void hb_json_num(struct cJSON *o, const char *key, double v);

/* ROOT on one line to OUT ("{}" when it cannot be printed), then freed. */
void hb_json_print(FILE *out, struct cJSON *root);

/* The scenario file IN as a JSON document (NULL: an empty one, for the built-in default), or
 * NULL when it cannot be read again. */
struct cJSON *hb_cli_scenario_doc(const char *in);

/* ROOT printed and written atomically to OUT (util/hb_ofile.h), then freed. 0, or -1 with a
 * message in ERR. */
int hb_cli_write_doc(const char *out, struct cJSON *root, char *err, size_t errlen);

/* The input scenario IN (NULL: an empty one, for the built-in default) named "<name>-tuned",
 * with controller.type TYPE and the N KEYS of controller.SECTION set to VALS, written atomically
 * to OUT. 0, or -1 with a message in ERR. */
int hb_cli_write_tuned(const char *out, const char *in, const hb_sim_config *c, const char *type,
                       const char *section, const char *const *keys, const double *vals, int n,
                       char *err, size_t errlen);

int hb_cmd_tune(int argc, char **argv);
int hb_cmd_identify(int argc, char **argv);
int hb_cmd_record(int argc, char **argv);
/* `heatbench tune --live` (hb_cmd_tune hands over when it sees --live). */
int hb_cmd_tune_live(int argc, char **argv);
int hb_cmd_report(int argc, char **argv);
int hb_cmd_sweep(int argc, char **argv);

/* Loads the sweep file PATH and validates its first LIMIT scenario points (0: all); messages
 * on stderr; an exit status. */
struct hb_sweep;
int hb_sweep_cli_load(const char *prog, const char *path, size_t limit, struct hb_sweep **out);

/* Remembers the command line (main does it once) for the provenance of reports. */
void hb_cli_set_invocation(int argc, char **argv);

/* One line for a report: the version, the command line, and (C not NULL) the scenario, seed
 * and controller. */
void hb_cli_provenance(char *out, size_t len, const hb_sim_config *c);

/* The options of a report of runs of C: its comfort band and warm-up, TITLE, FORCE, and the
 * provenance line written into PROVENANCE (LEN bytes, kept by the caller while the report is
 * written). */
struct hb_report_opts;
struct hb_report_opts hb_cli_report_opts(const hb_sim_config *c, const char *title, bool force,
                                         char *provenance, size_t len);

/* The events of a run to mark on its report's plots: the scenario's windows and sensor faults,
 * and the fail-safe spans of the simulation S (may be NULL). Returns how many (at most MAX). */
struct hb_report_event;
size_t hb_cli_report_events(const hb_sim_config *c, const hb_sim *s, struct hb_report_event *ev,
                            size_t max);

#endif
