/* See hb_log.h. The journal check follows systemd.exec(5): $JOURNAL_STREAM is "DEV:INODE" of
 * the stream the service manager connected, and only counts when stderr still is that stream
 * (a child with redirected stderr must not take it for the journal). */
#define _POSIX_C_SOURCE 200809L
#include "hb_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int hb__log_format = HB_LOG_AUTO;
static int hb__log_is_journal = -1; /* -1: not decided yet */

static int hb__log_stderr_is_journal(void) {
    const char *js = getenv("JOURNAL_STREAM");
    if (!js || !*js) {
        return 0;
    }
    /* "DEVICE:INODE", both decimal */
    char *end;
    errno = 0;
    unsigned long long dev = strtoull(js, &end, 10);
    if (errno != 0 || end == js || *end != ':') {
        return 0;
    }
    const char *rest = end + 1;
    unsigned long long ino = strtoull(rest, &end, 10);
    if (errno != 0 || end == rest || *end != '\0') {
        return 0;
    }
    struct stat st;
    if (fstat(STDERR_FILENO, &st) != 0) {
        return 0;
    }
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void hb_log_set_format(int format) {
    hb__log_format = format;
    hb__log_is_journal = format == HB_LOG_AUTO ? -1 : format == HB_LOG_JOURNAL;
}

int hb_log_format_parse(const char *s) {
    static const char *const names[] = {"auto", "text", "journal"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

int hb_log_journal(void) {
    if (hb__log_is_journal < 0) {
        hb__log_is_journal = hb__log_stderr_is_journal();
    }
    return hb__log_is_journal;
}

void hb_log_v(int level, const char *who, const char *fmt, va_list ap) {
    /* One buffer and one write: lines of two threads or processes do not interleave. */
    char line[2048];
    int n;
    if (hb_log_journal()) {
        n = snprintf(line, sizeof line, "<%d>%s: ", level, who);
    } else {
        char ts[32];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        n = snprintf(line, sizeof line, "%s %s: ", ts, who);
    }
    if (n < 0 || (size_t)n >= sizeof line) {
        return;
    }
    /* clang-tidy 14's analyzer does not see the caller's va_start initialise ap (a known false
     * positive). */
    // NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized)
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = m < 0 ? (size_t)n : (size_t)n + (size_t)m;
    if (len > sizeof line - 2) {
        len = sizeof line - 2;
    }
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

void hb_log(int level, const char *who, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    hb_log_v(level, who, fmt, ap);
    va_end(ap);
}
