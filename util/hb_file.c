#define _POSIX_C_SOURCE 200809L /* fdopen, O_CLOEXEC */
#include "hb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hb_file_read(const char *path, const char *what, size_t max, char *err, size_t errlen,
                   size_t *len) {
    /* Non-blocking open and a regular-file check: a FIFO or a device named as a scenario or a
     * weather file would otherwise block for ever (or never end) instead of failing. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open %s: %s", path, what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: %s is not a regular file", path, what);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open %s: %s", path, what, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
        if (n + 1 == cap) {
            if (cap >= max) {
                snprintf(err, errlen, "%s: %s is larger than %zu MiB", path, what, max >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        fclose(f);
        return NULL;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read %s: %s", path, what, strerror(errno));
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        snprintf(err, errlen, "%s: %s contains a NUL byte (binary file?)", path, what);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}
