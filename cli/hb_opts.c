#define _GNU_SOURCE /* getopt_long */
#include "hb_opts.h"
#include "cli.h"
#include "mqtt_opts.h"
#include "../util/hb_strutil.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum { HB__OPTS_MAX = 64, HB__OPTS_LONG = 256 };

static bool hb__opt_has_arg(const hb_opt *o) {
    return o->kind != HB_OPT_FLAG && o->kind != HB_OPT_DO && o->kind != HB_OPT_HELP;
}

/* The value ARG of option O into its target; -1 after the message. */
static int hb__opt_store(const char *prog, const hb_opt *o, const char *arg) {
    char name[80];
    snprintf(name, sizeof name, "--%s", o->name);
    double v = 0;
    bool number = o->kind != HB_OPT_FLAG && o->kind != HB_OPT_HELP && o->kind != HB_OPT_STR &&
                  o->kind != HB_OPT_CALL && o->kind != HB_OPT_DO;
    if (number && hb_cli_number(prog, name, arg, o->lo, o->hi, &v) != 0) {
        return -1;
    }
    bool whole = o->kind == HB_OPT_WNUM || o->kind == HB_OPT_WHOLE || o->kind == HB_OPT_ULONG;
    if (whole && v != floor(v)) {
        char safe[64];
        hb_str_printable(arg, safe, sizeof safe);
        fprintf(stderr, "%s: %s: expected a whole number in [%g, %g], got '%s'\n", prog, name,
                o->lo, o->hi, safe);
        return -1;
    }
    switch (o->kind) {
    case HB_OPT_FLAG:
        *(bool *)o->target = true;
        return 0;
    case HB_OPT_HELP:
        for (int i = 0; i < 2 && o->help[i]; i++) {
            fputs(o->help[i], stdout);
        }
        return 0;
    case HB_OPT_STR:
        *(const char **)o->target = arg;
        return 0;
    case HB_OPT_NUM:
        *(double *)o->target = v;
        return 0;
    case HB_OPT_INT:
        *(int *)o->target = (int)v;
        return 0;
    case HB_OPT_WNUM:
        *(double *)o->target = v;
        return 0;
    case HB_OPT_WHOLE:
        *(int *)o->target = (int)v;
        return 0;
    case HB_OPT_ULONG:
        *(unsigned long *)o->target = (unsigned long)v;
        return 0;
    case HB_OPT_SIZE:
        *(size_t *)o->target = (size_t)v;
        return 0;
    case HB_OPT_CALL:
    case HB_OPT_DO:
        return o->call(prog, arg, o->target);
    }
    return -1;
}

int hb_opts_parse(const char *prog, const char *cmd, const hb_opt *table, size_t n, int argc,
                  char **argv) {
    struct option lo[HB__OPTS_MAX + 1];
    char shorts[2 * HB__OPTS_MAX + 2] = ":";
    size_t ns = 1;
    if (n > HB__OPTS_MAX) {
        fprintf(stderr, "%s: too many options in the table (%zu)\n", prog, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int arg = hb__opt_has_arg(&table[i]) ? required_argument : no_argument;
        lo[i] = (struct option){table[i].name, arg, NULL, HB__OPTS_LONG + (int)i};
        if (table[i].key) {
            shorts[ns++] = (char)table[i].key;
            if (arg == required_argument) {
                shorts[ns++] = ':';
            }
        }
    }
    lo[n] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        const hb_opt *o = NULL;
        for (size_t i = 0; i < n && !o; i++) {
            o = (c == HB__OPTS_LONG + (int)i || (c < HB__OPTS_LONG && c == table[i].key))
                    ? &table[i]
                    : NULL;
        }
        if (!o || c == ':' || c == '?') {
            (void)hb_cli_bad_option(prog, cmd, c, argv);
            return -1;
        }
        if (hb__opt_store(prog, o, optarg) != 0) {
            return -1;
        }
        if (o->kind == HB_OPT_HELP) {
            return 1;
        }
    }
    return 0;
}

int hb_opts_status(int rc) {
    return rc > 0 ? HB_EXIT_OK : HB_EXIT_USAGE;
}
