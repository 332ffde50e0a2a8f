/* heatbench scenarios: the shipped scenarios, one line each (name and the first sentence of its
 * description), and the "did you mean" of a scenario name that is not one of them. */
#define _POSIX_C_SOURCE 200809L
#include "../util/hb_datadir.h"
#include "../util/hb_error.h"
#include "../util/hb_file.h"
#include "cli.h"
#include "mqtt_opts.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names (without .json) in the shipped scenarios folder, sorted; *N of them. */
static char **hb__shipped(size_t *n) {
    *n = 0;
    char dir[4096];
    if (hb_datadir("scenarios", dir, sizeof dir) != HB_OK) {
        return NULL;
    }
    struct dirent **list = NULL;
    int k = scandir(dir, &list, NULL, alphasort);
    if (k < 0) {
        return NULL;
    }
    char **names = calloc((size_t)k + 1, sizeof *names);
    for (int i = 0; i < k; i++) {
        size_t len = strlen(list[i]->d_name);
        if (names && len > 5 && strcmp(list[i]->d_name + len - 5, ".json") == 0) {
            names[*n] = strndup(list[i]->d_name, len - 5);
            *n += names[*n] != NULL;
        }
        free(list[i]);
    }
    free(list);
    return names;
}

static void hb__free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

/* Levenshtein distance of two short names (longer ones count as far apart). */
static size_t hb__distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) {
        return 99;
    }
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void hb_cli_scenario_suggest(const char *arg) {
    size_t n;
    char **names = hb__shipped(&n);
    const char *best = NULL;
    size_t bd = 3; /* at most two edits away */
    for (size_t i = 0; i < n; i++) {
        size_t d = hb__distance(arg, names[i]);
        if (d < bd) {
            bd = d;
            best = names[i];
        }
    }
    if (best) {
        fprintf(stderr, "heatbench: no scenario '%s'; did you mean '%s'?\n", arg, best);
    } else {
        fprintf(stderr, "heatbench: no scenario '%s' (`heatbench scenarios` lists them)\n", arg);
    }
    hb__free_names(names, n);
}

int hb_cmd_scenarios(int argc, char **argv) {
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        puts("usage: heatbench scenarios\n\n"
             "Lists the shipped scenarios, usable by name (heatbench run cold-snap): each name\n"
             "and the first sentence of its description.");
        return HB_EXIT_OK;
    }
    if (argc > 1) {
        fprintf(stderr, "heatbench scenarios: unexpected argument '%s'\n", argv[1]);
        return HB_EXIT_USAGE;
    }
    size_t n;
    char **names = hb__shipped(&n);
    if (n == 0) {
        fputs("heatbench scenarios: no shipped scenarios found (HEATBENCH_SCENARIOS?)\n", stderr);
        hb__free_names(names, n);
        return HB_EXIT_FAIL;
    }
    char dir[4096];
    hb_datadir("scenarios", dir, sizeof dir);
    for (size_t i = 0; i < n; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.json", dir, names[i]);
        char line[200] = "";
        size_t len = 0;
        char err[256];
        char *text = hb_file_read(path, "scenario", 1 << 20, err, sizeof err, &len);
        cJSON *doc = text ? cJSON_Parse(text) : NULL;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(doc, "description");
        if (cJSON_IsString(d)) {
            snprintf(line, sizeof line, "%s", d->valuestring);
            char *stop = strstr(line, ". ");
            if (stop) {
                stop[1] = '\0';
            }
            /* one terminal line: 25 columns of name, at most 75 of text, cut at a word */
            if (strlen(line) > 75) {
                char *sp = line + 72;
                while (sp > line && *sp != ' ') {
                    sp--;
                }
                memcpy(sp, "...", 4); /* sp + 4 <= line + 76: within the buffer */
            }
        }
        printf("%-24s %s\n", names[i], line);
        cJSON_Delete(doc);
        free(text);
    }
    hb__free_names(names, n);
    return HB_EXIT_OK;
}
