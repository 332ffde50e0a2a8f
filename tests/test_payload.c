#include "../mqtt/hb_payload.h"
#include "hb_test.h"

#include <string.h>

static int reading(const char *s, char *id, double *v) {
    return hb_payload_reading(s, strlen(s), id, v);
}

static void test_reading_accepts_real_peers(void) {
    char id[HB_SENSOR_ID_LEN];
    double v = 0;
    CU_ASSERT_EQUAL(
        reading("{\"sensorID\":\"sensor-1\",\"type\":\"temperature\",\"value\":25.3}", id, &v),
        HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(id, "sensor-1");
    CU_ASSERT_EQUAL(v, 25.3);
    /* pretty-printed, integer value, no type */
    CU_ASSERT_EQUAL(reading("{\n  \"sensorID\": \"a b/c\",\n  \"value\": 21\n}\n", id, &v),
                    HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(id, "a b/c");
    CU_ASSERT_EQUAL(v, 21.0);
    /* numeric string, numeric id */
    CU_ASSERT_EQUAL(reading("{\"sensorID\":17,\"value\":\" 19.5 \"}", id, &v), HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(id, "17");
    CU_ASSERT_EQUAL(v, 19.5);
    /* not NUL-terminated: only LEN bytes count */
    const char *buf = "{\"sensorID\":\"s\",\"value\":20}GARBAGE";
    CU_ASSERT_EQUAL(hb_payload_reading(buf, 27, id, &v), HB_DROP_NONE);
}

static void test_reading_rejects_bad_input(void) {
    char id[HB_SENSOR_ID_LEN];
    double v;
    CU_ASSERT_EQUAL(reading("", id, &v), HB_DROP_JSON);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":20", id, &v), HB_DROP_JSON);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":20} x", id, &v), HB_DROP_JSON);
    CU_ASSERT_EQUAL(reading("[1,2]", id, &v), HB_DROP_NOT_OBJECT);
    CU_ASSERT_EQUAL(reading("25.3", id, &v), HB_DROP_NOT_OBJECT);
    CU_ASSERT_EQUAL(reading("{\"value\":20}", id, &v), HB_DROP_NO_SENSOR);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"\",\"value\":20}", id, &v), HB_DROP_BAD_SENSOR);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":[1],\"value\":20}", id, &v), HB_DROP_BAD_SENSOR);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"type\":\"humidity\",\"value\":20}", id, &v),
                    HB_DROP_WRONG_TYPE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\"}", id, &v), HB_DROP_NO_VALUE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":true}", id, &v), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"warm\"}", id, &v), HB_DROP_BAD_VALUE);
    /* Numeric strings are plain decimals: no "nan", "inf" or hexadecimal ("0x15" was 21). */
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"nan\"}", id, &v), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"-inf\"}", id, &v), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"0x15\"}", id, &v), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"21.5e0\"}", id, &v), HB_DROP_NONE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":\"1e999\"}", id, &v), HB_DROP_BAD_VALUE);
    /* A NUL escape would cut the id short ("s1\u0000evil" read as "s1"); control characters
     * have no place in an id. A literal backslash-u text is fine. */
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s1\\u0000evil\",\"value\":20}", id, &v),
                    HB_DROP_BINARY);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s1\\u001b[2J\",\"value\":20}", id, &v),
                    HB_DROP_BAD_SENSOR);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s1\\u007f\",\"value\":20}", id, &v),
                    HB_DROP_BAD_SENSOR);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"a\\\\u0000\",\"value\":20}", id, &v), HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(id, "a\\u0000");
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":NaN}", id, &v), HB_DROP_JSON);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":1e999}", id, &v), HB_DROP_NON_FINITE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":81}", id, &v), HB_DROP_IMPLAUSIBLE);
    CU_ASSERT_EQUAL(reading("{\"sensorID\":\"s\",\"value\":-41}", id, &v), HB_DROP_IMPLAUSIBLE);
    char big[2000];
    memset(big, ' ', sizeof big);
    const char *small = "{\"sensorID\":\"s\",\"value\":20}";
    for (size_t i = 0; small[i]; i++) { /* valid JSON padded with blanks past the size cap */
        big[i] = small[i];
    }
    CU_ASSERT_EQUAL(hb_payload_reading(big, sizeof big, id, &v), HB_DROP_OVERSIZE);
    const char bin[] = {'{', '"', 0, (char)0xff, 0x01, '}'};
    CU_ASSERT_EQUAL(hb_payload_reading(bin, sizeof bin, id, &v), HB_DROP_BINARY);
    char longid[200];
    snprintf(longid, sizeof longid, "{\"sensorID\":\"%0100d\",\"value\":20}", 0);
    CU_ASSERT_EQUAL(reading(longid, id, &v), HB_DROP_BAD_SENSOR);
}

static void test_level(void) {
    int l = -1;
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":14}", 12, &l), HB_DROP_NONE);
    CU_ASSERT_EQUAL(l, 14);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":14.6}", 14, &l), HB_DROP_NONE);
    CU_ASSERT_EQUAL(l, 15);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":140}", 13, &l), HB_DROP_NONE);
    CU_ASSERT_EQUAL(l, 100);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":-3}", 12, &l), HB_DROP_NONE);
    CU_ASSERT_EQUAL(l, 0);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":\"42\"}", 14, &l), HB_DROP_NONE);
    CU_ASSERT_EQUAL(l, 42);
    CU_ASSERT_EQUAL(hb_payload_level("{\"lvl\":4}", 9, &l), HB_DROP_NO_VALUE);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":null}", 14, &l), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(hb_payload_level("{\"level\":1e300}", 15, &l), HB_DROP_IMPLAUSIBLE);
}

static int clock_t_of(const char *s, double *t) {
    return hb_payload_clock(s, strlen(s), t);
}

static void test_clock(void) {
    double t = -1;
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":86400.5}", &t), HB_DROP_NONE);
    CU_ASSERT_EQUAL(t, 86400.5);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":\"60\"}", &t), HB_DROP_NONE);
    CU_ASSERT_EQUAL(t, 60.0);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":-1e10}", &t), HB_DROP_NONE);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":60", &t), HB_DROP_JSON);
    CU_ASSERT_EQUAL(clock_t_of("60", &t), HB_DROP_NOT_OBJECT);
    CU_ASSERT_EQUAL(clock_t_of("{\"time\":60}", &t), HB_DROP_NO_VALUE);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":true}", &t), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":\"nan\"}", &t), HB_DROP_BAD_VALUE);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":1e999}", &t), HB_DROP_NON_FINITE);
    CU_ASSERT_EQUAL(clock_t_of("{\"t\":1.1e10}", &t), HB_DROP_IMPLAUSIBLE);
    CU_ASSERT_EQUAL(t, -1e10); /* untouched by a rejected tick */
    char buf[64];
    CU_ASSERT_EQUAL(hb_payload_format_clock(buf, sizeof buf, 3600.25), 14);
    CU_ASSERT_STRING_EQUAL(buf, "{\"t\":3600.250}");
    CU_ASSERT_EQUAL(hb_payload_clock(buf, strlen(buf), &t), HB_DROP_NONE);
    CU_ASSERT_EQUAL(t, 3600.25);
    CU_ASSERT_EQUAL(hb_payload_format_clock(buf, 8, 3600.25), -1);
}

static void test_format(void) {
    char buf[128];
    CU_ASSERT(hb_payload_format_reading(buf, sizeof buf, "sensor-1", 25.3) > 0);
    CU_ASSERT_STRING_EQUAL(buf,
                           "{\"sensorID\":\"sensor-1\",\"type\":\"temperature\",\"value\":25.3}");
    hb_payload_format_reading(buf, sizeof buf, "s", 21.900000000000002);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"value\":21.9}"));
    hb_payload_format_reading(buf, sizeof buf, "s", 22.0);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"value\":22}"));
    hb_payload_format_reading(buf, sizeof buf, "s", -0.00001);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"value\":0}"));
    CU_ASSERT(hb_payload_format_level(buf, sizeof buf, 14) > 0);
    CU_ASSERT_STRING_EQUAL(buf, "{\"level\":14}");
    /* What we write, we read back. */
    char id[HB_SENSOR_ID_LEN];
    double v;
    hb_payload_format_reading(buf, sizeof buf, "we\"ird", 19.25);
    CU_ASSERT_EQUAL(hb_payload_reading(buf, strlen(buf), id, &v), HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(id, "we\"ird");
    CU_ASSERT_EQUAL(v, 19.25);
}

static void test_topics(void) {
    char room[HB_ROOM_MAX];
    const char *p = "/readings/+/temperature";
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings/room-1/temperature", "x", room), HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(room, "room-1");
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings/../temperature", "x", room), HB_DROP_BAD_TOPIC);
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings/a b/temperature", "x", room), HB_DROP_BAD_TOPIC);
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings//temperature", "x", room), HB_DROP_BAD_TOPIC);
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings/r/temperature/x", "x", room), HB_DROP_BAD_TOPIC);
    CU_ASSERT_EQUAL(hb_topic_room(p, "/readings/r", "x", room), HB_DROP_BAD_TOPIC);
    CU_ASSERT_EQUAL(hb_topic_room(p, "readings/r/temperature", "x", room), HB_DROP_BAD_TOPIC);
    /* legacy single-room topic, with and without the leading slash */
    CU_ASSERT_EQUAL(hb_topic_room("/readings/temperature", "/readings/temperature", "room-1", room),
                    HB_DROP_NONE);
    CU_ASSERT_STRING_EQUAL(room, "room-1");
    CU_ASSERT_EQUAL(hb_topic_room("readings/temperature", "readings/temperature", "room-1", room),
                    HB_DROP_NONE);
    char t[64];
    CU_ASSERT(hb_topic_format("/actuators/+", "room-7", t, sizeof t) > 0);
    CU_ASSERT_STRING_EQUAL(t, "/actuators/room-7");
    CU_ASSERT(hb_topic_format("/actuators/room-1", "zzz", t, sizeof t) > 0);
    CU_ASSERT_STRING_EQUAL(t, "/actuators/room-1");
    CU_ASSERT(hb_topic_format("a/+/b", "r", t, 4) < 0);
    CU_ASSERT_TRUE(hb_topic_pattern_ok("/readings/+/temperature"));
    CU_ASSERT_FALSE(hb_topic_pattern_ok("/readings/#"));
    CU_ASSERT_FALSE(hb_topic_pattern_ok("/a/+/+"));
    CU_ASSERT_FALSE(hb_topic_pattern_ok("/a/x+/b"));
    CU_ASSERT_FALSE(hb_topic_pattern_ok(""));
}

int hb_test_payload(void) {
    static const CU_TestInfo t[] = {
        {"readings as real peers send them", test_reading_accepts_real_peers},
        {"every bad reading gets its reason", test_reading_rejects_bad_input},
        {"level commands", test_level},
        {"clock ticks", test_clock},
        {"formatting round-trips", test_format},
        {"topics and room names", test_topics},
        CU_TEST_INFO_NULL};
    return hb_test_register("payload", t);
}
