/* Small string helpers shared by the scenario loader and the CLI. */
#ifndef HB_STRUTIL_H
#define HB_STRUTIL_H

#include <stddef.h>

/* Levenshtein edit distance, capped at 255 so long strings cannot cost much. */
unsigned hb_str_distance(const char *a, const char *b);

/* Returns the candidate closest to WORD if it is a plausible typo (distance <= max(2, len/3)),
 * else NULL. CANDIDATES has N entries. Used for "did you mean" hints. */
const char *hb_str_suggest(const char *word, const char *const *candidates, size_t n);

#endif
