#define _POSIX_C_SOURCE 200809L /* mkstemp */
/* The household's side of the daemon: thermostat rules, the configuration file, Home Assistant
 * discovery documents, the state file, and the room controller's "off" and restore. */
#include "../daemon/hb_home_load.h"
#include "../daemon/hb_ha.h"
#include "../daemon/hb_statefile.h"
#include "../scenario/hb_scenario.h"
#include "../sim/hb_sim.h"
#include "../util/hb_error.h"
#include "hb_test.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void prefs(hb_room_prefs *p) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_room_prefs_default(p, 21.0, &d.controller);
    char err[256];
    CU_ASSERT_EQUAL(hb_room_prefs_finish(p, err, sizeof err), HB_OK);
}

#define H(h) ((h)*3600.0)
#define DAY 86400.0

/* comfort 22 °C 06:30-22:00 every day, else the base 17 °C */
static void scheduled(hb_room_prefs *p) {
    prefs(p);
    p->setpoint_c = 17.0;
    p->schedule.n_periods = 1;
    hb_schedule_period *q = &p->schedule.periods[0];
    snprintf(q->days, sizeof q->days, "all");
    q->from_h = 6.5;
    q->to_h = 22.0;
    q->setpoint_c = 22.0;
    q->below_k = q->above_k = NAN;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_room_prefs_finish(p, err, sizeof err), HB_OK);
}

static void test_schedule_and_overrides(void) {
    hb_room_prefs p;
    scheduled(&p);
    hb_thermostat th;
    hb_thermostat_init(&th);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, H(5)), 17.0, 0);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, H(7)), 22.0, 0);
    /* a setpoint by hand holds until the next period begins */
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, H(8), 20.5), HB_OK);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, H(21.9)), 20.5, 0);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, H(22.1)), 17.0, 0); /* eco period: expired */
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, DAY + H(7)), 22.0, 0);
    /* eco preset: the same rule; "none" goes back to the schedule at once */
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, DAY + H(8), HB_PRESET_ECO), HB_OK);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, DAY + H(9)), p.eco_c, 0);
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, DAY + H(9), HB_PRESET_NONE), HB_OK);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, DAY + H(9)), 22.0, 0);
    /* away holds across periods and days until changed */
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, DAY + H(9), HB_PRESET_AWAY), HB_OK);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, 3 * DAY + H(7)), p.away_c, 0);
    /* a setpoint by hand clears the preset */
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, 3 * DAY + H(7), 21.0), HB_OK);
    CU_ASSERT_EQUAL(th.preset, HB_PRESET_NONE);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, 3 * DAY + H(8)), 21.0, 0);
}

static void period(hb_room_prefs *p, int i, double from_h, double to_h, double c) {
    hb_schedule_period *q = &p->schedule.periods[i];
    snprintf(q->days, sizeof q->days, "all");
    q->from_h = from_h;
    q->to_h = to_h;
    q->setpoint_c = c;
    q->below_k = q->above_k = NAN;
}

/* A reload that changes the schedule: a setpoint by hand made under the old one holds until the
 * next period of the new one (the new schedule's period numbers name other times). */
static void test_override_across_reload(void) {
    hb_room_prefs old, neu;
    scheduled(&old); /* period 0: 06:30-22:00 */
    prefs(&neu);
    neu.setpoint_c = 17.0;
    neu.schedule.n_periods = 2;
    period(&neu, 0, 5.0, 7.0, 20.0);
    period(&neu, 1, 7.0, 22.0, 22.5);
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_room_prefs_finish(&neu, err, sizeof err), HB_OK);
    hb_thermostat th;
    hb_thermostat_init(&th);
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &old, H(8), 20.5), HB_OK);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &old, H(9)), 20.5, 0);
    hb_thermostat_rebind(&th, &neu, H(9));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, H(9)), 20.5, 0);    /* held */
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, H(21.9)), 20.5, 0); /* to the period's end */
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, H(22.1)), 17.0, 0);
    /* no override: rebinding changes nothing, the new schedule rules */
    hb_thermostat_rebind(&th, &old, H(23));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, DAY + H(6)), 20.0, 0);
    /* limits lowered under a setpoint by hand: it comes down to the new max_c */
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &old, DAY + H(8), 27.0), HB_OK);
    neu.max_c = 24.0;
    hb_thermostat_rebind(&th, &neu, DAY + H(8));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, DAY + H(9)), 24.0, 0);
    /* away is no period's: held across a reload as across periods */
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &old, H(8), HB_PRESET_AWAY), HB_OK);
    hb_thermostat_rebind(&th, &neu, H(9));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &neu, 2 * DAY + H(8)), neu.away_c, 0);
}

/* A period boundary between two times, and an override restored after a time away. */
static void test_override_after_time_away(void) {
    hb_room_prefs p;
    scheduled(&p); /* 06:30-22:00 every day (period 0), else the base 17 °C (-1) */
    CU_ASSERT_FALSE(hb_schedule_changes(&p.schedule, H(8), H(21.9)));
    CU_ASSERT_TRUE(hb_schedule_changes(&p.schedule, H(8), H(22)));       /* (t0, t1]: its end */
    CU_ASSERT_FALSE(hb_schedule_changes(&p.schedule, H(22), H(23)));     /* not again */
    CU_ASSERT_TRUE(hb_schedule_changes(&p.schedule, H(23), DAY + H(7))); /* next morning */
    CU_ASSERT_TRUE(hb_schedule_changes(&p.schedule, H(8), DAY + H(9)));  /* same number later */
    CU_ASSERT_TRUE(hb_schedule_changes(&p.schedule, 6 * DAY + H(21), 7 * DAY + H(7))); /* wrap */
    CU_ASSERT_FALSE(hb_schedule_changes(&p.schedule, -H(1), H(6)));         /* Sunday 23:00 on */
    CU_ASSERT_TRUE(hb_schedule_changes(&p.schedule, H(8), H(8) + 7 * DAY)); /* a week */
    CU_ASSERT_FALSE(hb_schedule_changes(&p.schedule, H(9), H(8)));          /* backwards: none */
    hb_room_prefs plain;
    prefs(&plain);
    CU_ASSERT_FALSE(hb_schedule_changes(&plain.schedule, 0, 30 * DAY)); /* no schedule */
    /* a period wrapping over midnight, Fridays only: 23:00 Fri - 02:00 Sat */
    hb_room_prefs w;
    prefs(&w);
    w.schedule.n_periods = 1;
    period(&w, 0, 23.0, 2.0, 20.0);
    snprintf(w.schedule.periods[0].days, sizeof w.schedule.periods[0].days, "fri");
    char err[256];
    CU_ASSERT_EQUAL_FATAL(hb_room_prefs_finish(&w, err, sizeof err), HB_OK);
    CU_ASSERT_TRUE(hb_schedule_changes(&w.schedule, 4 * DAY + H(22), 4 * DAY + H(23.5)));
    CU_ASSERT_TRUE(hb_schedule_changes(&w.schedule, 5 * DAY + H(1), 5 * DAY + H(3)));
    CU_ASSERT_FALSE(hb_schedule_changes(&w.schedule, 5 * DAY + H(3), 6 * DAY + H(22)));

    /* a setpoint by hand at 08:00, the daemon down until 09:00 the next day: gone */
    hb_thermostat th;
    hb_thermostat_init(&th);
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, H(8), 20.5), HB_OK);
    hb_thermostat_resume(&th, &p, H(8.5), DAY + H(9));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, DAY + H(9)), 22.0, 0);
    /* down for ten minutes within the period: held */
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, H(8), 20.5), HB_OK);
    hb_thermostat_resume(&th, &p, H(8.5), H(8.7));
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, H(8.7)), 20.5, 0);
    /* away is held whatever the time away */
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, H(8), HB_PRESET_AWAY), HB_OK);
    hb_thermostat_resume(&th, &p, H(8.5), 9 * DAY);
    CU_ASSERT_EQUAL(th.preset, HB_PRESET_AWAY);
    /* eco ends like a setpoint by hand */
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, H(8), HB_PRESET_ECO), HB_OK);
    hb_thermostat_resume(&th, &p, H(8.5), DAY + H(9));
    CU_ASSERT_EQUAL(th.preset, HB_PRESET_NONE);
}

static void test_limits_and_names(void) {
    hb_room_prefs p;
    prefs(&p);
    hb_thermostat th;
    hb_thermostat_init(&th);
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, 0, 30.0), HB_OK); /* the end of range */
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, 0, 30.01), HB_ERR_RANGE);
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, 0, 4.9), HB_ERR_RANGE);
    CU_ASSERT_EQUAL(hb_thermostat_set_setpoint(&th, &p, 0, NAN), HB_ERR_RANGE);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, 0), 30.0, 0); /* refused ones changed nothing */
    CU_ASSERT_EQUAL(hb_mode_parse("off"), HB_MODE_OFF);
    CU_ASSERT_EQUAL(hb_mode_parse("cool"), -1);
    CU_ASSERT_EQUAL(hb_preset_parse("away"), HB_PRESET_AWAY);
    CU_ASSERT_EQUAL(hb_preset_parse("Away"), -1);
    CU_ASSERT_EQUAL(hb_thermostat_set_mode(&th, -1), HB_ERR_INVAL);
    CU_ASSERT_EQUAL(hb_thermostat_set_preset(&th, &p, 0, 9), HB_ERR_INVAL);
    /* without a schedule, a setpoint by hand holds for ever */
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, &p, 30 * DAY), 30.0, 0);
}

static const char home_doc[] =
    "{\"defaults\": {\"setpoint_c\": 18, \"max_c\": 26,\n"
    "  \"presets\": {\"comfort_c\": 21.5, \"eco_c\": 16},\n"
    "  \"schedule\": {\"periods\": [{\"days\": \"mon-fri\", \"from_h\": 6.5, \"to_h\": 22,"
    " \"setpoint_c\": 21.5}]},\n"
    "  \"controller\": {\"pid\": {\"kp\": 25}}},\n"
    " \"rooms\": [{\"name\": \"bath\", \"setpoint_c\": 20,\n"
    "            \"controller\": {\"pid\": {\"ki\": 9}}, \"sensors\": [\"bath-1\", \"bath-2\"]},\n"
    "           {\"name\": \"study\", \"schedule\": {\"periods\": []}}]}";

static int load(const char *text, hb_home *h, char *err, size_t len) {
    hb_room_prefs base;
    prefs(&base);
    return hb_home_load_string(text, "home.json", &base, hb_scenario_section, h, err, len);
}

static void test_config_file(void) {
    hb_home h;
    char err[1024];
    CU_ASSERT_EQUAL_FATAL(load(home_doc, &h, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(h.n_rooms, 2);
    const hb_room_prefs *bath = hb_home_room(&h, "bath");
    const hb_room_prefs *other = hb_home_room(&h, "kitchen");
    CU_ASSERT_PTR_EQUAL(other, &h.defaults);
    CU_ASSERT_TRUE(hb_home_lists(&h, "bath")); /* a command may make it */
    CU_ASSERT_FALSE(hb_home_lists(&h, "kitchen"));
    HB_ASSERT_NEAR(bath->setpoint_c, 20, 0);
    HB_ASSERT_NEAR(bath->ctl.pid.kp, 25, 0); /* inherited */
    HB_ASSERT_NEAR(bath->ctl.pid.ki, 9, 0);  /* its own */
    HB_ASSERT_NEAR(bath->max_c, 26, 0);
    HB_ASSERT_NEAR(bath->eco_c, 16, 0);
    CU_ASSERT_EQUAL(bath->schedule.n_periods, 1);
    CU_ASSERT_EQUAL(hb_home_room(&h, "study")->schedule.n_periods, 0); /* replaced, not merged */
    CU_ASSERT_TRUE(hb_room_prefs_sensor_ok(bath, "bath-2"));
    CU_ASSERT_FALSE(hb_room_prefs_sensor_ok(bath, "sensor-1"));
    CU_ASSERT_TRUE(hb_room_prefs_sensor_ok(other, "sensor-1")); /* none listed: any */
    CU_ASSERT_EQUAL(bath->ctl.fusion.expected_sensors, 2);      /* a slot for each listed */
    hb_thermostat th;
    hb_thermostat_init(&th);
    /* Saturday 08:00: the mon-fri period is not in force */
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, other, 5 * DAY + H(8)), 18, 0);
    HB_ASSERT_NEAR(hb_thermostat_setpoint(&th, other, 4 * DAY + H(8)), 21.5, 0);
    hb_home_free(&h);
}

/* Each mistake names the file, the key and what was expected. */
static void test_config_errors(void) {
    static const struct {
        const char *doc, *want;
    } cases[] = {
        {"{\"defaults\": {\"setpont_c\": 20}}", "setpont_c"},
        {"{\"rooms\": [{\"setpoint_c\": 20}]}", "rooms[0].name: missing"},
        {"{\"rooms\": [{\"name\": \"a b\"}]}", "rooms[0].name"},
        {"{\"rooms\": [{\"name\": \"x\"}, {\"name\": \"x\"}]}", "already rooms[0]"},
        {"{\"defaults\": {\"schedule\": {\"start_day\": \"tue\"}}}", "start_day"},
        {"{\"defaults\": {\"max_c\": 20}}", "setpoint_c (21 °C) is outside"},
        {"{\"defaults\": {\"presets\": {\"away_c\": 3}}}", "away_c"},
        {"{\"default\": {}}", "unknown key \"default\""},
        {"{\"rooms\": {\"name\": \"x\"}}", "rooms: expected an array"},
        {"{\"defaults\": {\"controller\": {\"pid\": {\"kp\": -1}}}}", "controller.pid.kp"},
        {"{\"defaults\": {\n \"min_c\": 5,,}}", "line 2"},
        {"{\"rooms\": [{\"name\": \"x\", \"sensors\": [\"a\", \"a\"]}]}", "rooms[0].sensors[1]"},
        {"{\"rooms\": [{\"name\": \"x\", \"sensors\": \"a\"}]}", "rooms[0].sensors: expected"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hb_home h = {0};
        char err[1024] = "";
        int rc = load(cases[i].doc, &h, err, sizeof err);
        CU_ASSERT_NOT_EQUAL(rc, HB_OK);
        bool named = strstr(err, "home.json") && strstr(err, cases[i].want);
        if (!named) {
            fprintf(stderr, "case %zu: '%s'\n", i, err);
        }
        CU_ASSERT(named);
        CU_ASSERT_PTR_NULL(h.rooms); /* nothing half loaded */
    }
}

/* Home Assistant's documented MQTT climate and sensor keys (and the device's), from
 * https://www.home-assistant.io/integrations/climate.mqtt/ and .../sensor.mqtt/. */
static const char *const climate_keys[] = {"action_template",
                                           "action_topic",
                                           "availability",
                                           "availability_mode",
                                           "availability_template",
                                           "availability_topic",
                                           "current_humidity_template",
                                           "current_humidity_topic",
                                           "current_temperature_template",
                                           "current_temperature_topic",
                                           "device",
                                           "enabled_by_default",
                                           "encoding",
                                           "entity_category",
                                           "entity_picture",
                                           "fan_mode_command_template",
                                           "fan_mode_command_topic",
                                           "fan_mode_state_template",
                                           "fan_mode_state_topic",
                                           "fan_modes",
                                           "icon",
                                           "initial",
                                           "json_attributes_template",
                                           "json_attributes_topic",
                                           "max_humidity",
                                           "max_temp",
                                           "min_humidity",
                                           "min_temp",
                                           "mode_command_template",
                                           "mode_command_topic",
                                           "mode_state_template",
                                           "mode_state_topic",
                                           "modes",
                                           "name",
                                           "object_id",
                                           "optimistic",
                                           "payload_available",
                                           "payload_not_available",
                                           "payload_off",
                                           "payload_on",
                                           "power_command_template",
                                           "power_command_topic",
                                           "precision",
                                           "preset_mode_command_template",
                                           "preset_mode_command_topic",
                                           "preset_mode_state_topic",
                                           "preset_mode_value_template",
                                           "preset_modes",
                                           "qos",
                                           "retain",
                                           "swing_mode_command_template",
                                           "swing_mode_command_topic",
                                           "swing_mode_state_template",
                                           "swing_mode_state_topic",
                                           "swing_modes",
                                           "target_humidity_command_template",
                                           "target_humidity_command_topic",
                                           "target_humidity_state_template",
                                           "target_humidity_state_topic",
                                           "temperature_command_template",
                                           "temperature_command_topic",
                                           "temperature_high_command_template",
                                           "temperature_high_command_topic",
                                           "temperature_high_state_template",
                                           "temperature_high_state_topic",
                                           "temperature_low_command_template",
                                           "temperature_low_command_topic",
                                           "temperature_low_state_template",
                                           "temperature_low_state_topic",
                                           "temperature_state_template",
                                           "temperature_state_topic",
                                           "temperature_unit",
                                           "temp_step",
                                           "unique_id",
                                           "value_template",
                                           NULL};
static const char *const sensor_keys[] = {"availability",
                                          "availability_mode",
                                          "availability_template",
                                          "availability_topic",
                                          "device",
                                          "device_class",
                                          "enabled_by_default",
                                          "encoding",
                                          "entity_category",
                                          "entity_picture",
                                          "expire_after",
                                          "force_update",
                                          "icon",
                                          "json_attributes_template",
                                          "json_attributes_topic",
                                          "last_reset_value_template",
                                          "name",
                                          "object_id",
                                          "options",
                                          "payload_available",
                                          "payload_not_available",
                                          "suggested_display_precision",
                                          "qos",
                                          "state_class",
                                          "state_topic",
                                          "unique_id",
                                          "unit_of_measurement",
                                          "value_template",
                                          NULL};
static const char *const device_keys[] = {"configuration_url",
                                          "connections",
                                          "hw_version",
                                          "identifiers",
                                          "manufacturer",
                                          "model",
                                          "model_id",
                                          "name",
                                          "serial_number",
                                          "suggested_area",
                                          "sw_version",
                                          "via_device",
                                          NULL};
static const char *const hvac_modes[] = {"auto", "off", "cool", "heat", "dry", "fan_only", NULL};

static bool listed(const char *const *keys, const char *k) {
    for (; *keys; keys++) {
        if (strcmp(*keys, k) == 0) {
            return true;
        }
    }
    return false;
}

static bool keys_ok(const cJSON *o, const char *const *keys) {
    if (!o) {
        return false;
    }
    bool ok = true;
    for (const cJSON *k = o->child; k; k = k->next) {
        if (!listed(keys, k->string)) {
            fprintf(stderr, "undocumented key '%s'\n", k->string);
            ok = false;
        }
    }
    return ok;
}

static const char *str(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Whether TOPIC is KIND<id>/config with an id of [a-zA-Z0-9_-] only. */
static bool id_ok(const char *topic, const char *kind) {
    size_t k = strlen(kind);
    size_t n = strlen(topic);
    if (strncmp(topic, kind, k) != 0 || n < k + 8 || strcmp(topic + n - 7, "/config") != 0) {
        return false;
    }
    for (size_t i = k; i < n - 7; i++) {
        char c = topic[i];
        if (!isalnum((unsigned char)c) && c != '_' && c != '-') {
            return false;
        }
    }
    return true;
}

static void test_discovery_documents(void) {
    hb_room_prefs p;
    prefs(&p);
    hb_ha_ctx ctx = {.prefix = "heatbench",
                     .discovery_prefix = "homeassistant",
                     .status_topic = "heatbench/control/status",
                     .version = "1.2.3"};
    char topic[320];
    char *doc = hb_ha_discovery(&ctx, "living.room", &p, 0, topic, sizeof topic);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    /* node ids allow [a-zA-Z0-9_-] only: a name with a '.' is encoded (hb_ha_id), which keeps
     * "living.room" apart from "living_room" */
    CU_ASSERT(id_ok(topic, "homeassistant/climate/"));
    CU_ASSERT_STRING_EQUAL(topic, "homeassistant/climate/heatbench_x__living_2room/config");
    char plain[320];
    char *other = hb_ha_discovery(&ctx, "living_room", &p, 0, plain, sizeof plain);
    CU_ASSERT_STRING_EQUAL(plain, "homeassistant/climate/heatbench_living_room/config");
    CU_ASSERT_STRING_NOT_EQUAL(plain, topic);
    free(other);
    cJSON *o = cJSON_Parse(doc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(keys_ok(o, climate_keys));
    CU_ASSERT(keys_ok(cJSON_GetObjectItemCaseSensitive(o, "device"), device_keys));
    CU_ASSERT_STRING_EQUAL(str(o, "temperature_command_topic"),
                           "heatbench/living.room/setpoint/set");
    CU_ASSERT_STRING_EQUAL(str(o, "mode_command_topic"), "heatbench/living.room/mode/set");
    CU_ASSERT_STRING_EQUAL(str(o, "preset_mode_command_topic"), "heatbench/living.room/preset/set");
    CU_ASSERT_STRING_EQUAL(str(o, "current_temperature_topic"), "heatbench/living.room/state");
    CU_ASSERT_STRING_EQUAL(str(o, "availability_topic"), "heatbench/control/status");
    CU_ASSERT_STRING_NOT_EQUAL(str(o, "unique_id"), "");
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "modes")) {
        CU_ASSERT(listed(hvac_modes, m->valuestring));
    }
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(o, "preset_modes")) {
        CU_ASSERT_STRING_NOT_EQUAL(m->valuestring, "none"); /* Home Assistant refuses it */
        CU_ASSERT(hb_preset_parse(m->valuestring) > 0);     /* and the daemon takes each */
    }
    HB_ASSERT_NEAR(cJSON_GetObjectItemCaseSensitive(o, "max_temp")->valuedouble, p.max_c, 0);
    cJSON_Delete(o);
    free(doc);
    doc = hb_ha_discovery(&ctx, "living.room", &p, 1, topic, sizeof topic);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT(id_ok(topic, "homeassistant/sensor/"));
    CU_ASSERT_EQUAL(strncmp(topic, "homeassistant/sensor/heatbench_x__living_2room_", 47), 0);
    CU_ASSERT_EQUAL(strcmp(topic + strlen(topic) - 13, "_valve/config"), 0);
    o = cJSON_Parse(doc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(keys_ok(o, sensor_keys));
    cJSON_Delete(o);
    free(doc);
}

static void test_state_document(void) {
    hb_room_view v = {.estimate_c = NAN,
                      .setpoint_c = 21.5,
                      .mode = HB_MODE_HEAT,
                      .preset = HB_PRESET_ECO,
                      .level = 0,
                      .sensors_total = 5};
    char buf[512];
    CU_ASSERT_FATAL(hb_ha_state(buf, sizeof buf, &v) > 0);
    cJSON *o = cJSON_Parse(buf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "estimate_c")));
    CU_ASSERT_STRING_EQUAL(str(o, "action"), "idle");
    CU_ASSERT_STRING_EQUAL(str(o, "preset"), "eco");
    cJSON_Delete(o);
    v.mode = HB_MODE_OFF;
    CU_ASSERT_STRING_EQUAL(hb_room_action(&v), "off");
    v.mode = HB_MODE_HEAT;
    v.level = 3;
    CU_ASSERT_STRING_EQUAL(hb_room_action(&v), "heating");
    CU_ASSERT_EQUAL(hb_ha_state(buf, 20, &v), -1); /* too small: refused, not cut */
}

static hb_room_ctl *ctl_at(double level) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    d.controller.initial_level = level;
    return hb_room_ctl_create(&d.controller);
}

/* Feeds three agreeing sensors at T and polls. */
static int step(hb_room_ctl *c, double t, double temp) {
    hb_room_ctl_reading(c, t, "a", temp);
    hb_room_ctl_reading(c, t, "b", temp);
    hb_room_ctl_reading(c, t, "c", temp);
    int level = -1;
    hb_room_ctl_poll(c, t, &level);
    return hb_room_ctl_level(c);
}

static void test_off_and_restore(void) {
    hb_room_ctl *c = ctl_at(30);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    double t = 0;
    for (int i = 0; i < 120; i++) {
        t = 60.0 * i;
        step(c, t, 20.0 + t / 7200.0);
    }
    t = 7200;
    int before = hb_room_ctl_level(c);
    CU_ASSERT(before > 0);
    /* off: closed whatever the readings, and through a silence (no fail-safe level) */
    hb_room_ctl_set_heating(c, false);
    hb_room_ctl_resync(c);
    CU_ASSERT_EQUAL(step(c, t, 18.0), 0);
    int level;
    hb_room_ctl_poll(c, t + 7200, &level);
    CU_ASSERT_EQUAL(hb_room_ctl_level(c), 0);
    hb_room_ctl_set_heating(c, true);
    CU_ASSERT(step(c, t + 7260, 20.9) > 0);
    /* save, then a new controller restored from it continues where this one is */
    hb_room_ctl_state s;
    t += 7320;
    for (int i = 0; i < 30; i++, t += 60) {
        step(c, t, 20.9);
    }
    hb_room_ctl_save(c, &s);
    int last = hb_room_ctl_level(c);
    hb_room_ctl *r = ctl_at(0);
    CU_ASSERT_EQUAL(hb_room_ctl_restore(r, &s), HB_OK);
    CU_ASSERT_TRUE(hb_room_ctl_poll(r, 0, &level)); /* the first command, before any reading */
    CU_ASSERT_EQUAL(level, last);
    int next = step(r, 60, 20.9);
    int ref = step(c, t, 20.9);
    CU_ASSERT(abs(next - ref) <= 2); /* continues from the integral, not from the level */
    CU_ASSERT(abs(next - last) <= 2);
    /* a running controller cannot be restored; nor a state out of range */
    CU_ASSERT_EQUAL(hb_room_ctl_restore(r, &s), HB_ERR_INVAL);
    hb_room_ctl *z = ctl_at(0);
    s.level = 101;
    CU_ASSERT_EQUAL(hb_room_ctl_restore(z, &s), HB_ERR_INVAL);
    hb_room_ctl_destroy(z);
    hb_room_ctl_destroy(r);
    hb_room_ctl_destroy(c);
}

static void test_state_file(void) {
    hb_sim_config d;
    hb_sim_config_default(&d);
    hb_rooms *rooms = hb_rooms_create(8, 3600, &d.controller);
    hb_room_prefs p;
    prefs(&p);
    hb_room *a = hb_rooms_get(rooms, "room-a", 0);
    hb_room *b = hb_rooms_get(rooms, "room-b", 0);
    CU_ASSERT_FATAL(a && b);
    a->prefs = b->prefs = &p;
    hb_thermostat_set_setpoint(&b->th, &p, 0, 23.5);
    hb_thermostat_set_mode(&a->th, HB_MODE_OFF);
    char path[] = "/tmp/hb-state-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char err[512];
    CU_ASSERT_EQUAL(hb_statefile_write(path, rooms, 1.8e9, err, sizeof err), HB_OK);
    hb_saved_room *s = NULL;
    size_t n = 0;
    size_t skipped = 0;
    CU_ASSERT_EQUAL(hb_statefile_read(path, &s, &n, &skipped, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(skipped, 0);
    for (size_t i = 0; i < n; i++) {
        bool is_b = strcmp(s[i].name, "room-b") == 0;
        CU_ASSERT_EQUAL(s[i].th.mode, is_b ? HB_MODE_HEAT : HB_MODE_OFF);
        CU_ASSERT(is_b ? s[i].th.manual_c == 23.5 : isnan(s[i].th.manual_c));
        HB_ASSERT_NEAR(s[i].at, 1.8e9, 1e-3);
    }
    free(s);
    /* an entry that lies is skipped; a file that is not a state file is an error */
    FILE *f = fopen(path, "w");
    fputs("{\"version\":1,\"rooms\":[{\"room\":\"../x\",\"level\":5,\"integral\":1,\"mode\":"
          "\"heat\",\"preset\":\"none\",\"period\":-1},{\"room\":\"ok\",\"level\":500}]}",
          f);
    fclose(f);
    CU_ASSERT_EQUAL(hb_statefile_read(path, &s, &n, &skipped, err, sizeof err), HB_OK);
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_EQUAL(skipped, 2);
    free(s);
    f = fopen(path, "w");
    fputs("{\"rooms\":", f);
    fclose(f);
    CU_ASSERT_EQUAL(hb_statefile_read(path, &s, &n, &skipped, err, sizeof err), HB_ERR_PARSE);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
    unlink(path);
    CU_ASSERT_EQUAL(hb_statefile_read(path, &s, &n, &skipped, err, sizeof err), HB_ERR_NOTFOUND);
    hb_rooms_destroy(rooms);
}

int hb_test_household(void) {
    static const CU_TestInfo t[] = {
        {"schedule, setpoint by hand, presets", test_schedule_and_overrides},
        {"a setpoint by hand across a reload", test_override_across_reload},
        {"an override after a time away", test_override_after_time_away},
        {"limits and names", test_limits_and_names},
        {"configuration file", test_config_file},
        {"configuration errors name file and key", test_config_errors},
        {"Home Assistant discovery documents", test_discovery_documents},
        {"state document", test_state_document},
        {"room controller: off, save and restore", test_off_and_restore},
        {"state file", test_state_file},
        CU_TEST_INFO_NULL};
    return hb_test_register("household", t);
}
