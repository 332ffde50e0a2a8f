/* For harnesses of readers that take a path (the trace and weather CSV readers, the state
 * file): the input is written to one temporary file per process, rewritten for each input and
 * removed at exit, so the reader under test runs exactly as the program runs it. A harness that
 * includes it defines _POSIX_C_SOURCE 200809L (mkstemp) before its first include. */
#ifndef HB_FUZZ_FILE_H
#define HB_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char hb__fuzz_path[64];

static void hb__fuzz_unlink(void) {
    unlink(hb__fuzz_path);
}

/* The input as a file; its path, or NULL when no temporary file can be made. */
static const char *hb__fuzz_file(const uint8_t *data, size_t size) {
    if (!hb__fuzz_path[0]) {
        /* Memory first: truncating a file on a disk costs milliseconds, a hundredfold slower
         * fuzzing (measured: 270 rewrites/s in /tmp on the CI disk, 30,000/s in /dev/shm). */
        int fd = -1;
        const char *dirs[] = {"/dev/shm", "/tmp"};
        for (size_t i = 0; i < 2 && fd < 0; i++) {
            snprintf(hb__fuzz_path, sizeof hb__fuzz_path, "%s/hb-fuzz-XXXXXX", dirs[i]);
            fd = mkstemp(hb__fuzz_path);
        }
        if (fd < 0) {
            hb__fuzz_path[0] = '\0';
            return NULL;
        }
        close(fd);
        atexit(hb__fuzz_unlink);
    }
    FILE *f = fopen(hb__fuzz_path, "wb");
    if (!f) {
        return NULL;
    }
    size_t w = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || w != size) {
        return NULL;
    }
    return hb__fuzz_path;
}

#endif
