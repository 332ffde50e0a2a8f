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
    case HB_F_OBJ:
        return "object";
    case HB_F_ARRAY:
        return "array";
    }
    return "?";
}

static void hb__row(const char *path, const hb_field *f, const void *value, void *ud) {
    FILE *out = ud;
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
            int w =
                snprintf(range + used, sizeof range - used, "%s%s", i ? " \\| " : "", f->names[i]);
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
    case HB_F_OBJ:
        break;
    }
    fprintf(out, "| `%s` | %s | %s | %s | %s | %s |\n", path, hb__type_name(f),
            f->unit ? f->unit : "", range, def, f->doc ? f->doc : "");
}

int hb_cmd_keys(int argc, char **argv) {
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
            fputs("usage: heatbench keys\n\nPrints every scenario key with its type, unit, range,"
                  "\ndefault and meaning, as the Markdown table of docs/scenarios.md.\n",
                  stdout);
            return HB_EXIT_OK;
        }
        fprintf(stderr, "heatbench keys: unexpected argument '%s'\n", argv[1]);
        return HB_EXIT_USAGE;
    }
    hb_sim_config def;
    hb_sim_config_default(&def);
    def.plant.t_mass0_c = NAN; /* "derived": steady state */
    fputs("| key | type | unit | range | default | meaning |\n", stdout);
    fputs("|---|---|---|---|---|---|\n", stdout);
    int rc = hb_schema_walk(hb_scenario_schema(), &def, "", hb__row, stdout);
    return rc == HB_OK ? HB_EXIT_OK : HB_EXIT_FAIL;
}
