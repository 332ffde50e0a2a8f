/* Log lines of the long-running commands (the daemon) on stderr, in one of two forms: for a
 * terminal or a file, each line starts with its UTC time; under systemd's journal (stderr is the
 * stream named by $JOURNAL_STREAM, or --log-format journal) the journal stamps the time itself,
 * so a line starts with its sd-daemon priority "<N>" instead and `journalctl -p warning` can
 * filter on it. */
#ifndef HB_LOG_H
#define HB_LOG_H

#include <stdarg.h>

/* sd-daemon(3)'s levels, the syslog ones. */
enum { HB_LOG_ERR = 3, HB_LOG_WARNING = 4, HB_LOG_NOTICE = 5, HB_LOG_INFO = 6, HB_LOG_DEBUG = 7 };

/* How lines look. */
enum { HB_LOG_AUTO = 0, HB_LOG_TEXT, HB_LOG_JOURNAL };

/* Sets the form; HB_LOG_AUTO picks HB_LOG_JOURNAL when stderr is $JOURNAL_STREAM. */
void hb_log_set_format(int format);

/* Parses "auto", "text" or "journal"; -1 for anything else. */
int hb_log_format_parse(const char *s);

/* Whether lines carry priority prefixes instead of times. */
int hb_log_journal(void);

/* One line "WHO: message" at LEVEL. */
void hb_log_v(int level, const char *who, const char *fmt, va_list ap);
void hb_log(int level, const char *who, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
