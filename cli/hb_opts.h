/* Command-line options declared in a table: one line per option (its name, its kind, the range
 * a number must lie in, where its value goes), parsed by one routine that checks every number
 * and names the option, the value and what was expected when one is wrong. A command's own
 * function then only validates what no single option can (options that depend on each other)
 * and runs. */
#ifndef HB_CLI_OPTS_H
#define HB_CLI_OPTS_H

#include <getopt.h> /* optind: where the operands start */
#include <stddef.h>

typedef enum {
    HB_OPT_FLAG,  /* no value: sets the bool at target */
    HB_OPT_STR,   /* the value itself, as const char * at target */
    HB_OPT_NUM,   /* a number in [lo, hi] into the double at target */
    HB_OPT_WNUM,  /* a whole number in [lo, hi] into the double at target (a seed) */
    HB_OPT_INT,   /* a number in [lo, hi] into the int at target (fraction dropped) */
    HB_OPT_WHOLE, /* a whole number in [lo, hi] into the int at target */
    HB_OPT_SIZE,  /* a number in [lo, hi] into the size_t at target (fraction dropped) */
    HB_OPT_ULONG, /* a whole number in [lo, hi] into the unsigned long at target */
    HB_OPT_CALL,  /* call(prog, value, target) stores it: 0, or -1 with the message printed */
    HB_OPT_DO,    /* no value: call(prog, NULL, target) */
    HB_OPT_HELP,  /* no value: prints the entry's help to stdout and stops parsing there */
} hb_opt_kind;

typedef struct {
    const char *name; /* long name, without "--" */
    int key;          /* its short letter, or 0 */
    hb_opt_kind kind;
    void *target;
    double lo, hi; /* numbers only */
    int (*call)(const char *prog, const char *arg, void *target);
    /* HB_OPT_HELP: the help, in up to two parts (a literal may not pass 4,095 characters) */
    const char *help[2];
} hb_opt;

/* The number of entries of a table declared as an array. */
#define HB_NOPTS(t) (sizeof(t) / sizeof((t)[0]))

/* Parses ARGV's options against TABLE (N entries) for PROG, whose --help hint names `heatbench
 * CMD`; ARGV[0] is the subcommand. Returns 0 with optind at the first operand, 1 when --help was
 * given (its help printed, nothing after it parsed), -1 after printing the error of a bad option
 * or value. */
int hb_opts_parse(const char *prog, const char *cmd, const hb_opt *table, size_t n, int argc,
                  char **argv);

/* The exit status of a parse that did not go on (RC non-zero): HB_EXIT_OK after --help, else
 * HB_EXIT_USAGE. */
int hb_opts_status(int rc);

#endif
