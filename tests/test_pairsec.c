#define _POSIX_C_SOURCE 200809L
/*
 * The pair's defences as units: signed messages (hb_sign), household changes coalesced per room
 * (hb_coalesce), Home Assistant ids that never merge two rooms (hb_ha_id), and a state file
 * that cannot be turned against the daemon (hb_statefile: mode, size, count, the topic's room).
 */
#include "../daemon/hb_coalesce.h"
#include "../daemon/hb_ha.h"
#include "../daemon/hb_sign.h"
#include "../daemon/hb_statefile.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char key16[] = "0123456789abcdef";

static void test_sign_roundtrip_and_forgeries(void) {
    hb_sign *s = NULL;
    hb_sign *other = NULL;
    CU_ASSERT_EQUAL_FATAL(hb_sign_create(key16, 16, &s), HB_OK);
    CU_ASSERT_EQUAL_FATAL(hb_sign_create("fedcba9876543210", 16, &other), HB_OK);
    CU_ASSERT_EQUAL(hb_sign_create("short", 5, &(hb_sign *){NULL}), HB_ERR_INVAL);
    const char *body = "{\"id\":\"a\",\"term\":3,\"at\":1.5}";
    char msg[256];
    int n = hb_sign_message(s, "t/leader", body, strlen(body), 42, msg, sizeof msg);
    CU_ASSERT_FATAL(n > 0);
    uint64_t c = 0;
    CU_ASSERT(hb_sign_verify(s, "t/leader", msg, (size_t)n, &c));
    CU_ASSERT_EQUAL(c, 42);
    /* still JSON, the body's members kept */
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "\"term\":3"));
    /* another key, another topic, any flipped byte, truncated, empty: refused */
    CU_ASSERT_FALSE(hb_sign_verify(other, "t/leader", msg, (size_t)n, &c));
    CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader2", msg, (size_t)n, &c));
    for (int i = 0; i < n; i++) {
        char bad[256];
        memcpy(bad, msg, (size_t)n);
        bad[i] ^= 1;
        CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader", bad, (size_t)n, &c));
    }
    CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader", msg, (size_t)n - 1, &c));
    CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader", "", 0, &c));
    CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader", body, strlen(body), &c));
    CU_ASSERT_FALSE(hb_sign_verify(NULL, "t/leader", msg, (size_t)n, &c));
    /* a forged term with the old mac */
    char forged[256];
    snprintf(forged, sizeof forged, "%s", msg);
    char *t = strstr(forged, "\"term\":3");
    t[7] = '9';
    CU_ASSERT_FALSE(hb_sign_verify(s, "t/leader", forged, (size_t)n, &c));
    /* too small a buffer */
    CU_ASSERT_EQUAL(hb_sign_message(s, "t", body, strlen(body), 1, msg, 40), -1);
    hb_sign_destroy(s);
    hb_sign_destroy(other);
}

static void test_sign_key_file(void) {
    char path[] = "/tmp/hb-key-XXXXXX";
    int fd = mkstemp(path); /* 0600 */
    CU_ASSERT_FATAL(fd >= 0);
    char err[512];
    hb_sign *s = NULL;
    /* empty: refused */
    CU_ASSERT_EQUAL(hb_sign_create_from_file(path, &s, err, sizeof err), HB_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_EQUAL(write(fd, "0123456789abcdef0123\n", 21), 21);
    close(fd);
    CU_ASSERT_EQUAL(hb_sign_create_from_file(path, &s, err, sizeof err), HB_OK);
    CU_ASSERT_PTR_NOT_NULL(s);
    /* the newline is not part of the key */
    hb_sign *same = NULL;
    hb_sign_create("0123456789abcdef0123", 20, &same);
    char msg[256];
    int n = hb_sign_message(s, "x", "{\"a\":1}", 7, 1, msg, sizeof msg);
    uint64_t c;
    CU_ASSERT(n > 0 && hb_sign_verify(same, "x", msg, (size_t)n, &c));
    hb_sign_destroy(s);
    hb_sign_destroy(same);
    /* readable by every user: refused */
    chmod(path, 0644);
    s = NULL;
    CU_ASSERT_EQUAL(hb_sign_create_from_file(path, &s, err, sizeof err), HB_ERR_IO);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "every user"));
    CU_ASSERT_PTR_NULL(s);
    unlink(path);
    CU_ASSERT_EQUAL(hb_sign_create_from_file(path, &s, err, sizeof err), HB_ERR_IO);
    CU_ASSERT_EQUAL(hb_sign_create_from_file("/tmp", &s, err, sizeof err), HB_ERR_IO);
}

static void test_coalesce(void) {
    hb_coalesce c;
    hb_coalesce_init(&c);
    const double iv = 60;
    /* 2000 toggles in 0.3 s: the first acts, the rest wait for the interval's end */
    int acted = 0;
    for (int i = 0; i < 2000; i++) {
        acted += hb_coalesce_change(&c, 100.0 + 0.3 * i / 2000.0, iv);
        acted += hb_coalesce_due(&c, 100.0 + 0.3 * i / 2000.0, iv);
    }
    CU_ASSERT_EQUAL(acted, 1);
    CU_ASSERT_FALSE(hb_coalesce_due(&c, 159.9, iv));
    CU_ASSERT(hb_coalesce_due(&c, 160.0, iv));
    CU_ASSERT_FALSE(hb_coalesce_due(&c, 170.0, iv)); /* nothing left */
    /* a change right after the coalesced one acted waits a whole interval again */
    CU_ASSERT_FALSE(hb_coalesce_change(&c, 161.0, iv));
    CU_ASSERT_FALSE(hb_coalesce_due(&c, 219.0, iv));
    CU_ASSERT(hb_coalesce_due(&c, 220.0, iv));
    /* a quiet room's change acts at once */
    CU_ASSERT(hb_coalesce_change(&c, 400.0, iv));
    /* over any window of one interval, at most two act */
    hb_coalesce_init(&c);
    double times[4000];
    int k = 0;
    for (int i = 0; i < 40000 && k < 4000; i++) {
        double t = i * 0.05;
        if ((i % 7 == 0 && hb_coalesce_change(&c, t, iv)) || hb_coalesce_due(&c, t, iv)) {
            times[k++] = t;
        }
    }
    for (int i = 2; i < k; i++) {
        CU_ASSERT(times[i] - times[i - 2] >= iv);
    }
}

/* Decodes an id of hb_ha_id back (the proof's decoder): the name, or "" when it is none. */
static void decode_id(const char *id, char *out, size_t len) {
    if (strncmp(id, "x__", 3) != 0) {
        snprintf(out, len, "%s", id);
        return;
    }
    size_t n = 0;
    for (const char *c = id + 3; *c && n + 1 < len; c++) {
        if (*c == '_') {
            c++;
            out[n++] = *c == '1' ? '_' : *c == '2' ? '.' : (char)(*c - 'a' + 'A');
        } else {
            out[n++] = *c;
        }
    }
    out[n] = '\0';
}

static void test_ha_ids_injective(void) {
    const char *names[] = {
        "a.b",         "a_b",         "a__b",        "x__a_2b", "A.b",   "a.B",   "A_B",
        "a_B",         "ab",          "AB",          "Ab",      "bed.1", "bed_1", "bed_1_6fb761f5",
        "bed-1",       "x__bed_21",   "x__bed_1",    "x__",     "_",     "__",    "___",
        "x___",        "x__x",        "-",           "a..b",    "a._b",  "a_.b",  "Living.Room",
        "living.room", "living_room", "LIVING_ROOM", "room-1",  "z9",    "x__z9", "x_9",
        "x__a_1",      "x__a_u"};
    size_t n = sizeof names / sizeof names[0];
    char ids[64][160];
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_FATAL(hb_ha_id(ids[i], sizeof ids[i], names[i]) > 0);
        for (const char *c = ids[i]; *c; c++) {
            CU_ASSERT((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' ||
                      *c == '-');
        }
        char back[160];
        decode_id(ids[i], back, sizeof back);
        CU_ASSERT_STRING_EQUAL(back, names[i]);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            CU_ASSERT(strcmp(ids[i], ids[j]) != 0);
        }
    }
    /* plain names keep their ids */
    char id[160];
    hb_ha_id(id, sizeof id, "living_room");
    CU_ASSERT_STRING_EQUAL(id, "living_room");
    hb_ha_id(id, sizeof id, "room-1");
    CU_ASSERT_STRING_EQUAL(id, "room-1");
    /* the longest name fits */
    char longest[HB_ROOM_MAX];
    memset(longest, '.', sizeof longest - 1);
    longest[0] = 'A';
    longest[sizeof longest - 1] = '\0';
    CU_ASSERT(hb_ha_id(id, sizeof id, longest) > 0);
    CU_ASSERT_EQUAL(hb_ha_id(id, 8, longest), -1);
    /* exhaustively, every name of up to three characters from an alphabet with every class */
    const char alpha[] = "aAzZ0_.-x";
    size_t k = sizeof alpha - 1;
    size_t total = k + k * k + k * k * k;
    char(*all)[16] = calloc(total, 16);
    size_t m = 0;
    for (size_t len = 1; len <= 3; len++) {
        size_t combos = len == 1 ? k : len == 2 ? k * k : k * k * k;
        for (size_t v = 0; v < combos; v++) {
            char name[4] = {0};
            size_t x = v;
            for (size_t p = 0; p < len; p++, x /= k) {
                name[p] = alpha[x % k];
            }
            CU_ASSERT_FATAL(hb_ha_id(all[m], 16, name) > 0);
            m++;
        }
    }
    int dup = 0;
    for (size_t i = 0; i < m; i++) {
        for (size_t j = i + 1; j < m; j++) {
            dup += strcmp(all[i], all[j]) == 0;
        }
    }
    CU_ASSERT_EQUAL(dup, 0);
    free(all);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

static void test_statefile_bounds(void) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_rooms *rooms = hb_rooms_create(8, 3600, &d.controller);
    hb_room_prefs p;
    hb_room_prefs_default(&p, 20.0, &d.controller);
    char perr[256];
    CU_ASSERT_EQUAL_FATAL(hb_room_prefs_finish(&p, perr, sizeof perr), HB_OK);
    hb_room *a = hb_rooms_get(rooms, "room-a", 0);
    if (!a) {
        CU_FAIL("no room");
        hb_rooms_destroy(rooms);
        return;
    }
    a->prefs = &p;
    char path[] = "/tmp/hb-state-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    chmod(path, 0644);
    mode_t old = umask(0);
    char err[512];
    CU_ASSERT_EQUAL(hb_statefile_write(path, rooms, 1.8e9, err, sizeof err), HB_OK);
    umask(old);
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    /* more entries than --max-rooms: the most recent kept */
    write_text(path, "{\"version\":1,\"rooms\":["
                     "{\"room\":\"r1\",\"level\":1,\"integral\":1,\"mode\":\"heat\",\"preset\":"
                     "\"none\",\"period\":-1,\"at\":100},"
                     "{\"room\":\"r2\",\"level\":2,\"integral\":1,\"mode\":\"heat\",\"preset\":"
                     "\"none\",\"period\":-1,\"at\":300},"
                     "{\"room\":\"r3\",\"level\":3,\"integral\":500,\"mode\":\"heat\",\"preset\":"
                     "\"none\",\"period\":-1,\"at\":200}]}");
    hb_saved_room *s = NULL;
    size_t n = 0, skipped = 0, over = 0;
    CU_ASSERT_EQUAL(hb_statefile_load(path, 2, NULL, &s, &n, &skipped, &over, err, sizeof err),
                    HB_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(over, 1);
    CU_ASSERT_EQUAL(skipped, 0);
    if (n == 2) {
        CU_ASSERT_STRING_EQUAL(s[0].name, "r2");
        CU_ASSERT_STRING_EQUAL(s[1].name, "r3");
        HB_ASSERT_NEAR(s[1].ctl.integral, 100.0, 0); /* clamped to the valve's range */
    }
    free(s);
    /* a file larger than max_rooms entries could need: not parsed */
    FILE *f = fopen(path, "w");
    fputs("{\"version\":1,\"rooms\":[", f);
    for (int i = 0; i < 2000; i++) {
        fprintf(f,
                "%s{\"room\":\"r%d\",\"level\":1,\"integral\":1,\"mode\":\"heat\",\"preset\":"
                "\"none\",\"period\":-1,\"at\":100}",
                i ? "," : "", i);
    }
    fputs("]}", f);
    fclose(f);
    s = NULL;
    CU_ASSERT_EQUAL(hb_statefile_load(path, 100, NULL, &s, &n, &skipped, &over, err, sizeof err),
                    HB_ERR_FULL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--max-rooms"));
    CU_ASSERT_EQUAL(hb_statefile_load(path, 2000, NULL, &s, &n, &skipped, &over, err, sizeof err),
                    HB_OK);
    CU_ASSERT_EQUAL(n, 2000);
    free(s);
    unlink(path);
    hb_rooms_destroy(rooms);
}

static void test_statefile_topic_room_and_age(void) {
    const char *e = "{\"room\":\"kitchen\",\"level\":0,\"integral\":0,\"mode\":\"off\",\"preset\":"
                    "\"none\",\"period\":-1,\"at\":1000}";
    hb_saved_room s;
    CU_ASSERT_EQUAL(hb_statefile_parse_for(e, strlen(e), "kitchen", &s), HB_OK);
    CU_ASSERT_STRING_EQUAL(s.name, "kitchen");
    /* on another room's topic: refused, never the payload's room */
    CU_ASSERT_EQUAL(hb_statefile_parse_for(e, strlen(e), "anything", &s), HB_ERR_PARSE);
    const char *nameless = "{\"level\":10,\"integral\":0,\"mode\":\"heat\",\"preset\":\"none\","
                           "\"period\":-1,\"at\":1000}";
    CU_ASSERT_EQUAL(hb_statefile_parse_for(nameless, strlen(nameless), "bed", &s), HB_OK);
    CU_ASSERT_STRING_EQUAL(s.name, "bed");
    CU_ASSERT_EQUAL(hb_statefile_parse_for(nameless, strlen(nameless), "../x", &s), HB_ERR_PARSE);
    CU_ASSERT(hb_saved_room_fresh(&s, 1000 + 86400, 86400));
    CU_ASSERT_FALSE(hb_saved_room_fresh(&s, 1001 + 86400, 86400));
    CU_ASSERT_FALSE(hb_saved_room_fresh(&s, 1000 - 301, 86400)); /* from the future */
    s.at = NAN;
    CU_ASSERT_FALSE(hb_saved_room_fresh(&s, 1000, 86400));
}

int hb_test_pairsec(void) {
    static const CU_TestInfo t[] = {
        {"signed messages: round trip, every forgery refused", test_sign_roundtrip_and_forgeries},
        {"pair key file: private, not empty", test_sign_key_file},
        {"household changes coalesced", test_coalesce},
        {"Home Assistant ids are injective", test_ha_ids_injective},
        {"state file: 0600, size and count bounds", test_statefile_bounds},
        {"saved state: the topic's room, its age", test_statefile_topic_room_and_age},
        CU_TEST_INFO_NULL};
    return hb_test_register("pairsec", t);
}
