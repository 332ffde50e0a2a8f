/* Small string helpers shared by the scenario loader and the CLI. */
#ifndef HB_STRUTIL_H
#define HB_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein edit distance, capped at 255 so long strings cannot cost much. */
unsigned hb_str_distance(const char *a, const char *b);

/* Returns the candidate closest to WORD if it is a plausible typo (distance <= max(2, len/3)),
 * else NULL. CANDIDATES has N entries. Used for "did you mean" hints. */
const char *hb_str_suggest(const char *word, const char *const *candidates, size_t n);

/* Whether S holds a C0 control character or DEL (an id or a name that would go into logs). */
bool hb_str_has_control(const char *s);

/* Copies S into OUT (LEN bytes) for a message: control characters (C0, DEL, and C1 in UTF-8)
 * become '?', so a file or an argument cannot put terminal escape codes into our output, while
 * "°C" stays readable; a string too long is cut and ends in "...". */
void hb_str_printable(const char *s, char *out, size_t len);

/* Parses a plain decimal number at S: optional sign, digits with an optional fraction, an
 * optional exponent ("-3", "21.5", "2.5e1"), as people and devices write numbers. Unlike strtod
 * it refuses hexadecimal ("0x15"), "inf", "nan" and leading blanks: a value that is not plainly
 * a number is a mistake to report, not to guess. *END gets the first character after it (may be
 * NULL). Returns 0 with the value in *OUT, or -1 when S does not start with such a number or it
 * overflows. */
int hb_parse_decimal(const char *s, double *out, const char **end);

/* hb_parse_decimal over the whole string S, with blanks allowed only after the number when
 * TRAILING_BLANKS. Returns 0 or -1. */
int hb_parse_number(const char *s, int trailing_blanks, double *out);

#endif
