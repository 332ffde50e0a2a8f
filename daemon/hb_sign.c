#define _POSIX_C_SOURCE 200809L
#include "hb_sign.h"
#include "../util/hb_error.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct hb_sign {
    size_t len;
    unsigned char key[HB_SIGN_KEY_MAX];
};

#define HB__MAC_HEX 64
#define HB__MAC_TAG ",\"mac\":\""
#define HB__MAC_TAG_LEN 8
#define HB__SIGNED_MAX 4096 /* topic, NUL and message: heartbeats and states are far smaller */

int hb_sign_create(const void *key, size_t len, hb_sign **out) {
    *out = NULL;
    if (len < HB_SIGN_KEY_MIN || len > HB_SIGN_KEY_MAX) {
        return HB_ERR_INVAL;
    }
    hb_sign *s = calloc(1, sizeof *s);
    if (!s) {
        return HB_ERR_NOMEM;
    }
    memcpy(s->key, key, len);
    s->len = len;
    *out = s;
    return HB_OK;
}

int hb_sign_create_from_file(const char *path, hb_sign **out, char *err, size_t errlen) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "pair key file %s: cannot read: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return HB_ERR_IO;
    }
    const char *why = !S_ISREG(st.st_mode)     ? "not a regular file"
                      : (st.st_mode & S_IROTH) ? "readable by every user (chmod 600 it)"
                                               : NULL;
    unsigned char buf[HB_SIGN_KEY_MAX + 2];
    ssize_t n = why ? 0 : read(fd, buf, sizeof buf);
    close(fd);
    if (!why && n < 0) {
        why = strerror(errno);
    }
    if (!why) {
        size_t len = (size_t)n;
        len -= len > 0 && buf[len - 1] == '\n';
        len -= len > 0 && buf[len - 1] == '\r';
        if (len < HB_SIGN_KEY_MIN || len > HB_SIGN_KEY_MAX) {
            snprintf(err, errlen, "pair key file %s: expected %d to %d bytes of key, got %zu%s",
                     path, HB_SIGN_KEY_MIN, HB_SIGN_KEY_MAX, len, len > HB_SIGN_KEY_MAX ? "+" : "");
            OPENSSL_cleanse(buf, sizeof buf);
            return HB_ERR_IO;
        }
        int rc = hb_sign_create(buf, len, out);
        OPENSSL_cleanse(buf, sizeof buf);
        return rc;
    }
    snprintf(err, errlen, "pair key file %s: %s", path, why);
    return HB_ERR_IO;
}

void hb_sign_destroy(hb_sign *s) {
    if (s) {
        OPENSSL_cleanse(s, sizeof *s);
        free(s);
    }
}

/* HMAC-SHA256 over TOPIC, a NUL and the LEN bytes of MSG, into MAC (32 bytes). */
static int hb__mac(const hb_sign *s, const char *topic, const char *msg, size_t len,
                   unsigned char mac[32]) {
    size_t tl = strlen(topic);
    if (tl + 1 + len > HB__SIGNED_MAX) {
        return -1;
    }
    unsigned char data[HB__SIGNED_MAX];
    memcpy(data, topic, tl + 1);
    memcpy(data + tl + 1, msg, len);
    unsigned int ml = 0;
    if (!HMAC(EVP_sha256(), s->key, (int)s->len, data, tl + 1 + len, mac, &ml) || ml != 32) {
        return -1;
    }
    return 0;
}

int hb_sign_message(const hb_sign *s, const char *topic, const char *body, size_t len,
                    uint64_t counter, char *out, size_t outlen) {
    if (len < 2 || body[len - 1] != '}' || len + HB_SIGN_EXTRA > outlen) {
        return -1;
    }
    memcpy(out, body, len - 1);
    int k = snprintf(out + len - 1, outlen - (len - 1), ",\"n\":%llu", (unsigned long long)counter);
    if (k < 0) {
        return -1;
    }
    size_t n = len - 1 + (size_t)k;
    unsigned char mac[32];
    if (hb__mac(s, topic, out, n, mac) != 0) {
        return -1;
    }
    memcpy(out + n, HB__MAC_TAG, HB__MAC_TAG_LEN);
    n += HB__MAC_TAG_LEN;
    for (int i = 0; i < 32; i++) {
        snprintf(out + n + 2 * (size_t)i, 3, "%02x", mac[i]);
    }
    n += HB__MAC_HEX;
    memcpy(out + n, "\"}", 3);
    return (int)(n + 2);
}

static int hb__hexval(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool hb_sign_verify(const hb_sign *s, const char *topic, const void *payload, size_t len,
                    uint64_t *counter) {
    const char *p = payload;
    size_t tail = HB__MAC_TAG_LEN + HB__MAC_HEX + 2;
    if (!s || !p || len < tail + 2 || memcmp(p + len - 2, "\"}", 2) != 0) {
        return false;
    }
    size_t at = len - tail; /* where ,"mac":" starts */
    if (memcmp(p + at, HB__MAC_TAG, HB__MAC_TAG_LEN) != 0) {
        return false;
    }
    unsigned char given[32];
    for (int i = 0; i < 32; i++) {
        int hi = hb__hexval(p[at + HB__MAC_TAG_LEN + 2 * (size_t)i]);
        int lo = hb__hexval(p[at + HB__MAC_TAG_LEN + 2 * (size_t)i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        given[i] = (unsigned char)(hi * 16 + lo);
    }
    unsigned char mac[32];
    if (hb__mac(s, topic, p, at, mac) != 0 || CRYPTO_memcmp(mac, given, 32) != 0) {
        return false;
    }
    /* Authentic: its counter is the digits after the last ,"n": (the signer put it there). */
    size_t d = at;
    while (d > 0 && p[d - 1] >= '0' && p[d - 1] <= '9') {
        d--;
    }
    if (d == at || d < 5 || memcmp(p + d - 5, ",\"n\":", 5) != 0 || at - d > 20) {
        return false;
    }
    uint64_t c = 0;
    for (size_t i = d; i < at; i++) {
        c = c * 10 + (uint64_t)(p[i] - '0');
    }
    *counter = c;
    return true;
}
