/*
 * FNV-1a, the one string hash of heatbench: sensor ids in the fusion (32 bits, computed while the
 * id's length is checked), room names in the daemon's table and stream names of the random
 * generators (64 bits), and the host part of the default MQTT client id. Small, fast on short
 * strings, and stable across platforms, which seeding needs.
 */
#ifndef HB_HASH_H
#define HB_HASH_H

#include <stdint.h>

#define HB_FNV32_BASIS 2166136261u
#define HB_FNV64_BASIS 0xcbf29ce484222325ULL

/* One byte into a running 32-bit hash (start from HB_FNV32_BASIS). */
static inline uint32_t hb_fnv1a32_step(uint32_t h, unsigned char c) {
    return (h ^ c) * 16777619u;
}

static inline uint32_t hb_fnv1a32(const char *s) {
    uint32_t h = HB_FNV32_BASIS;
    for (; *s; s++) {
        h = hb_fnv1a32_step(h, (unsigned char)*s);
    }
    return h;
}

static inline uint64_t hb_fnv1a64(const char *s) {
    uint64_t h = HB_FNV64_BASIS;
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
    return h;
}

#endif
