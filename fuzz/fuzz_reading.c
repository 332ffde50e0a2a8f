/* libFuzzer harness: the MQTT reading payload parser (bytes straight off the wire). */
#include "../mqtt/hb_payload.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char id[HB_SENSOR_ID_LEN];
    double v;
    if (hb_payload_reading((const char *)data, size, id, &v) == HB_DROP_NONE) {
        /* An accepted reading is a plausible temperature from a named sensor, whose id has no
         * control character (it goes into logs and traces). */
        if (!(v >= -40.0 && v <= 80.0) || id[0] == '\0') {
            __builtin_trap();
        }
        for (const char *p = id; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                __builtin_trap();
            }
        }
    }
    return 0;
}
