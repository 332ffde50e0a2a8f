/* libFuzzer harness: the weather CSV reader (a scenario with "weather": {"model": "csv"}; the
 * file comes from a weather service or a spreadsheet). A file it accepts gives a simulator that
 * starts and an outdoor temperature that is finite at every hour of the run and beyond its
 * ends; a refusal says why. */
#define _POSIX_C_SOURCE 200809L
#include "../models/hb_weather.h"
#include "../scenario/hb_scenario.h"
#include "../util/hb_error.h"
#include "fuzz_file.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) {
        return 0;
    }
    const char *path = hb__fuzz_file(data, size);
    if (!path) {
        return 0;
    }
    char json[512];
    snprintf(json, sizeof json, "{\"weather\": {\"model\": \"csv\", \"csv_file\": \"%s\"}}", path);
    hb_sim_config c;
    char err[1024] = "";
    if (hb_scenario_load_string(json, "fuzz.json", "/", &c, err, sizeof err) == HB_OK) {
        /* Every half hour from two days before the run to two days after. */
        int halves = 2 * (int)fmin(c.duration_h, 24.0 * 366) + 192;
        for (int i = 0; i <= halves; i++) {
            double t = (i * 0.5 - 48) * 3600.0;
            if (!isfinite(hb_weather_t_out(&c.weather, t)) ||
                !isfinite(hb_weather_solar(&c.weather, t))) {
                __builtin_trap();
            }
        }
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
    hb_sim_config_free(&c);
    return 0;
}
