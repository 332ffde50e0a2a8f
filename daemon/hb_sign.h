/*
 * Authenticated pair messages: what one instance of a pair tells the other (its heartbeat, each
 * room's retained controller state) carries an HMAC-SHA256 under a key both share, so that a
 * client of the broker without the key cannot make a leader stand down, a standby take over, or
 * a room restore a state nobody saved.
 *
 * A signed message stays the JSON object it was, with two members appended: "n", a counter the
 * sender never repeats, and "mac", the hex HMAC-SHA256 over the topic, a NUL and every byte
 * before ,"mac": (the object with its counter). The topic is in it so a state signed for one
 * room cannot be replayed on another's topic; the counter so a receiver can refuse a replay.
 */
#ifndef HB_SIGN_H
#define HB_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hb_sign hb_sign;

#define HB_SIGN_KEY_MIN 16   /* bytes: a shorter key is guessable */
#define HB_SIGN_KEY_MAX 4096 /* bytes */
#define HB_SIGN_EXTRA 96     /* bytes a signature adds to a message at most */

/* Reads the key from PATH: its bytes, a trailing newline dropped. Refused (HB_ERR_IO, a message
 * naming PATH in ERR) when it cannot be read, is not a regular file, is readable by every user
 * (the pair's key would be anyone's), or holds fewer than HB_SIGN_KEY_MIN or more than
 * HB_SIGN_KEY_MAX bytes. */
int hb_sign_create_from_file(const char *path, hb_sign **out, char *err, size_t errlen);

/* A key given as bytes (tests). */
int hb_sign_create(const void *key, size_t len, hb_sign **out);

void hb_sign_destroy(hb_sign *s);

/* Signs the JSON object BODY (LEN bytes, ending in '}') for TOPIC with COUNTER into OUT; the
 * signed message's length, or -1 when it does not fit. */
int hb_sign_message(const hb_sign *s, const char *topic, const char *body, size_t len,
                    uint64_t counter, char *out, size_t outlen);

/* Whether PAYLOAD (LEN bytes) is a message signed under S's key for TOPIC; its counter into
 * *COUNTER. Compared in constant time. */
bool hb_sign_verify(const hb_sign *s, const char *topic, const void *payload, size_t len,
                    uint64_t *counter);

#endif
