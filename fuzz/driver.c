/* Replays inputs through a fuzz harness without libFuzzer: every file named on the command line
 * (or found in a named directory) is one input. Used by ctest to run the corpora and the
 * regression inputs of crashes found, in the normal and the sanitizer builds. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!buf) {
        return 1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int inputs = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            continue; /* an absent regression folder simply has no inputs yet */
        }
        if (!S_ISDIR(st.st_mode)) {
            rc |= run_file(argv[i]);
            inputs++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.') {
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            rc |= run_file(path);
            inputs++;
        }
        if (d) {
            closedir(d);
        }
    }
    printf("replayed %d inputs\n", inputs);
    if (inputs == 0) {
        fprintf(stderr, "no input found: a replay of nothing proves nothing\n");
        return 1;
    }
    return rc;
}
