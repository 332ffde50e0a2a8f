/* libFuzzer harness: the scenario loader (JSON text, schema binding, cross-field rules). A
 * scenario that loads must also be accepted by the simulator's constructor: `check` saying yes
 * and `run` saying no (or hanging) is the bug this harness hunts. */
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) {
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    hb_sim_config c;
    char err[1024];
    /* No base directory: a fuzzed weather.csv_file is looked up relative to the working
     * directory, where nothing matches. */
    if (hb_scenario_load_string(text, "fuzz.json", "/nonexistent", &c, err, sizeof err) == HB_OK) {
        hb_sim *s;
        if (hb_sim_create(&c, &s) != HB_OK) {
            __builtin_trap();
        }
        hb_sim_destroy(s);
    } else if (err[0] == '\0') {
        __builtin_trap(); /* every rejection comes with a message */
    }
    hb_sim_config_free(&c);
    free(text);
    return 0;
}
