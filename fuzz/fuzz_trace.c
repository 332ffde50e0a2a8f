/* libFuzzer harness: the trace CSV reader (`heatbench report FILE`, `identify`, the recorder's
 * files), both modes: the report's, which requires its columns, and the any-trace one. A trace it
 * accepts has a header, at least two rows of as many finite-or-empty numbers, and KPIs computed
 * from it never crash; a refusal says why and leaves nothing to free. */
#define _POSIX_C_SOURCE 200809L
#include "../metrics/hb_kpi.h"
#include "../metrics/hb_trace.h"
#include "../util/hb_error.h"
#include "fuzz_file.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 65536) {
        return 0;
    }
    const char *path = hb__fuzz_file(data, size);
    if (!path) {
        return 0;
    }
    for (int check = 0; check < 2; check++) {
        hb_trace t;
        char err[512] = "";
        int rc = check ? hb_trace_read(path, &t, err, sizeof err)
                       : hb_trace_read_any(path, &t, err, sizeof err);
        if (rc != HB_OK) {
            if (err[0] == '\0') {
                __builtin_trap();
            }
            continue;
        }
        if (t.ncol == 0 || t.nrow < 2 || hb_trace_col(&t, "time_s") < 0) {
            __builtin_trap();
        }
        for (size_t i = 0; i < t.nrow * t.ncol; i++) {
            if (isinf(t.data[i])) {
                __builtin_trap();
            }
        }
        (void)hb_trace_sensors(&t);
        if (check) {
            hb_kpis k;
            hb_trace_kpis(&t, 0.5, 0.0, &k);
        }
        hb_trace_free(&t);
    }
    return 0;
}
