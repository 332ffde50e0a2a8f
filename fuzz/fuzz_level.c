/* libFuzzer harness: the actuator payload parser of `heatbench live`. */
#include "../mqtt/hb_payload.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int level = -1;
    if (hb_payload_level((const char *)data, size, &level) == HB_DROP_NONE &&
        (level < 0 || level > 100)) {
        __builtin_trap();
    }
    return 0;
}
