#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "cli.h"

#include <math.h>
#include <string.h>

static const char *hb__type_name(const hb_field *f) {
    switch (f->type) {
    case HB_F_NUM:
        return "number";
    case HB_F_INT:
    case HB_F_SIZE:
    case HB_F_U64:
        return "integer";
    case HB_F_STR:
        return "string";
    case HB_F_ENUM:
        return "enum";
    case HB_F_BOOL:
        return "boolean";
    case HB_F_OBJ:
        return "object";
    case HB_F_ARRAY:
        return "array";
    }
    return "?";
}

typedef struct {
    FILE *out;
    int man; /* troff for heatbench-scenario(5) instead of Markdown */
} hb__keys_out;

/* Text for troff: backslashes escaped, and a line never starts with a control character. */
static void hb__troff(FILE *out, const char *s) {
    if (*s == '.' || *s == '\'') {
        fputs("\\&", out);
    }
    for (; *s; s++) {
        if (*s == '\\') {
            fputs("\\e", out);
        } else if (*s == '-') {
            fputs("\\-", out);
        } else {
            fputc(*s, out);
        }
    }
}

static void hb__key_row(const char *path, const hb_field *f, const void *value, void *ud) {
    const hb__keys_out *ko = ud;
    FILE *out = ko->out;
    const char *bar = ko->man ? " | " : " \\| ";
    char range[160] = "";
    char def[96];
    hb_schema_format(f, value, def, sizeof def);
    switch (f->type) {
    case HB_F_NUM:
    case HB_F_INT:
    case HB_F_SIZE:
    case HB_F_U64:
        snprintf(range, sizeof range, "%c%.16g, %.16g%c", f->min_open ? '(' : '[', f->min, f->max,
                 f->max_open ? ')' : ']');
        break;
    case HB_F_ENUM: {
        size_t used = 0;
        for (size_t i = 0; f->names[i] && used < sizeof range; i++) {
            int w = snprintf(range + used, sizeof range - used, "%s%s", i ? bar : "", f->names[i]);
            if (w < 0) {
                break;
            }
            used += (size_t)w;
        }
        break;
    }
    case HB_F_STR:
        snprintf(range, sizeof range, "%g..%zu chars", f->min, f->str_size - 1);
        break;
    case HB_F_ARRAY:
        snprintf(range, sizeof range, "%g..%zu entries", f->min, f->max_count);
        break;
    case HB_F_BOOL:
        snprintf(range, sizeof range, "true%sfalse", bar);
        break;
    case HB_F_OBJ:
        break;
    }
    if (!ko->man) {
        fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", path, hb__type_name(f),
                f->unit ? f->unit : "", range, def, f->doc ? f->doc : "");
        return;
    }
    fputs(".TP\n.B ", out);
    hb__troff(out, path);
    fputc('\n', out);
    char line[600];
    snprintf(line, sizeof line, "%s%s%s%s%s%s%s. %s%s", hb__type_name(f),
             f->unit && *f->unit ? ", " : "", f->unit ? f->unit : "", *range ? ", " : "", range,
             *def ? "; default " : "", def, f->doc ? f->doc : "", f->doc && *f->doc ? "." : "");
    hb__troff(out, line);
    fputc('\n', out);
}

static const char hb__man_head[] =
    ".TH HEATBENCH-SCENARIO 5 \"\" \"heatbench " HEATBENCH_VERSION "\" \"File Formats\"\n"
    ".SH NAME\n"
    "heatbench\\-scenario \\- the scenario files of heatbench run, tune, live and control\n"
    ".SH DESCRIPTION\n"
    "A scenario is one JSON object. Every key is optional: a missing key keeps the built\\-in\n"
    "default (the seed's room on a winter design day), so a scenario states only what differs.\n"
    "An unknown key is an error that names the file and suggests the key meant; a value out of\n"
    "range names the key path, the expected type and the range with its unit.\n"
    "Shipped scenarios are in\n"
    ".IR /usr/share/heatbench/scenarios\n"
    "and can be named without their path\n"
    "(\\fBheatbench run cold\\-snap\\fR).\n"
    ".SH KEYS\n";

static const char hb__man_tail[] =
    ".SH EXAMPLE\n"
    ".nf\n"
    "{\n"
    "  \"name\": \"window\\-open\",\n"
    "  \"room\": {\"windows\": [{\"at_h\": 10, \"duration_min\": 15, \"ua_w_per_k\": 170}]}\n"
    "}\n"
    ".fi\n"
    ".SH SEE ALSO\n"
    ".BR heatbench (1)\n";

int hb_cmd_keys(int argc, char **argv) {
    hb__keys_out ko = {.out = stdout, .man = 0};
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            fputs("usage: heatbench keys [--man]\n\nPrints every scenario key with its type, unit,"
                  "\nrange, default and meaning, as the Markdown table of docs/scenarios.md, or\n"
                  "with --man as the manual page heatbench-scenario(5).\n",
                  stdout);
            return HB_EXIT_OK;
        }
        if (strcmp(argv[1], "--man") != 0 || argc > 2) {
            fprintf(stderr, "heatbench keys: unexpected argument '%s'\n", argv[argc > 2 ? 2 : 1]);
            return HB_EXIT_USAGE;
        }
        ko.man = 1;
    }
    hb_sim_config def;
    hb_sim_config_default(&def);
    def.plant.t_mass0_c = NAN; /* "derived": steady state */
    if (ko.man) {
        fputs(hb__man_head, stdout);
    } else {
        fputs("| key | type | unit | range | default | meaning |\n", stdout);
        fputs("|---|---|---|---|---|---|\n", stdout);
    }
    int rc = hb_schema_walk(hb_scenario_schema(), &def, "", hb__key_row, &ko);
    if (ko.man) {
        fputs(hb__man_tail, stdout);
    }
    return rc == HB_OK ? HB_EXIT_OK : HB_EXIT_FAIL;
}
