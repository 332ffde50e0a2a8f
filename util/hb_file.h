/* Reading a whole text file, with the checks every reader of user files needs. */
#ifndef HB_FILE_H
#define HB_FILE_H

#include <stddef.h>

/* Reads PATH (at most MAX bytes) into a NUL-terminated buffer the caller frees; *LEN gets its
 * length. On failure returns NULL with one message in ERR naming PATH and WHAT ("scenario",
 * "weather file"): cannot open, not a regular file (a FIFO would block), cannot read, too large,
 * or a NUL byte (a binary file). */
char *hb_file_read(const char *path, const char *what, size_t max, char *err, size_t errlen,
                   size_t *len);

#endif
