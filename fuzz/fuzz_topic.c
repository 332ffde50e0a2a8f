/* libFuzzer harness: topic parsing (the room level must come out a plain name) and topic
 * formatting, against the default and a legacy pattern. */
#include "../mqtt/hb_payload.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) {
        return 0;
    }
    char *topic = malloc(size + 1);
    if (!topic) {
        return 0;
    }
    memcpy(topic, data, size);
    topic[size] = '\0'; /* MQTT topics are strings; an embedded NUL ends them */
    static const char *const patterns[] = {"/readings/+/temperature", "readings/temperature", "+",
                                           "a/+"};
    for (size_t p = 0; p < 4; p++) {
        char room[HB_ROOM_MAX];
        if (hb_topic_room(patterns[p], topic, "room-1", room) == HB_DROP_NONE) {
            if (strchr(room, '/') || strchr(room, '+') || strchr(room, '#') || !room[0]) {
                __builtin_trap();
            }
            char out[256];
            (void)hb_topic_format("/actuators/+", room, out, sizeof out);
        }
    }
    (void)hb_topic_pattern_ok(topic);
    free(topic);
    return 0;
}
