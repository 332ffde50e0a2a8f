/* libFuzzer harness: the daemon's state file read at start (--state-file), a whole document of
 * rooms. Whatever is in the file (a half-written one from an old version, a hand edit), the
 * reader either refuses it with a message or returns rooms each of which a controller takes. */
#define _POSIX_C_SOURCE 200809L
#include "../controllers/hb_room_ctl.h"
#include "../daemon/hb_statefile.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "fuzz_file.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = hb__fuzz_file(data, size);
    if (!path) {
        return 0;
    }
    hb_saved_room *rooms = NULL;
    size_t n = 0;
    size_t skipped = 0;
    char err[512] = "";
    int rc = hb_statefile_read(path, &rooms, &n, &skipped, err, sizeof err);
    if (rc != HB_OK) {
        if (rooms || n || err[0] == '\0') {
            __builtin_trap(); /* a refusal returns nothing and says why */
        }
        return 0;
    }
    hb_sim_config d;
    hb_sim_config_default(&d);
    for (size_t i = 0; i < n; i++) {
        hb_room_ctl *k = hb_room_ctl_create(&d.controller);
        if (!k) {
            break;
        }
        if (memchr(rooms[i].name, '\0', sizeof rooms[i].name) == NULL ||
            hb_room_ctl_restore(k, &rooms[i].ctl) != HB_OK) {
            __builtin_trap();
        }
        hb_room_ctl_destroy(k);
    }
    free(rooms);
    return 0;
}
