// Plays Home Assistant against `heatbench control` with a third-party client (MQTT.js), as the
// hub account of the shipped ACL: connects with HA's last will, publishes HA's birth message
// (QoS 1 over MQTT 5, so a "Not authorized" from the ACL is an error here, not a silent drop),
// expects every room to be announced again afterwards (a live, not a retained, discovery
// message), checks the document, then drives setpoint, preset and mode through the announced
// topics and waits for each to show in the room's retained state.
// usage: node play_ha.js PORT PASSWORD ROOM
'use strict';
const mqtt = require('mqtt');
const [port, password, room] = process.argv.slice(2);
const discTopic = `homeassistant/climate/heatbench_${room}/config`;
const fail = (why) => {
  console.error(`FAIL: ${why}`);
  process.exit(1);
};
setTimeout(() => fail('timed out'), 20000).unref();

const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
  username: 'hub',
  password,
  protocolVersion: 5,
  clean: true,
  will: { topic: 'homeassistant/status', payload: 'offline', qos: 1, retain: false },
});
client.on('error', (e) => fail(`client error: ${e.message}`));

let disc = null;
let state = null;
const waiters = [];
client.on('message', (topic, payload, packet) => {
  const text = payload.toString();
  if (topic === discTopic && !packet.retain && text.length > 0) {
    disc = JSON.parse(text);
  } else if (disc && topic === disc.temperature_state_topic && text.length > 0) {
    state = JSON.parse(text);
  }
  for (const w of waiters.splice(0)) {
    if (!w()) waiters.push(w);
  }
});
const until = (cond, what) =>
  new Promise((resolve) => {
    const t = setTimeout(() => fail(`waiting for ${what}`), 8000);
    const w = () => {
      if (!cond()) return false;
      clearTimeout(t);
      resolve();
      return true;
    };
    if (!w()) waiters.push(w);
  });
const publish = (topic, msg) =>
  client.publishAsync(topic, msg, { qos: 1 }).catch((e) => fail(`publish ${topic}: ${e.message}`));

client.on('connect', async () => {
  try {
    await client.subscribeAsync('homeassistant/#', { qos: 1 });
    await publish('homeassistant/status', 'online');
    console.log('birth message accepted');
    await until(() => disc !== null, 'discovery announced again after the birth message');
    console.log('discovery re-announced');
    if (typeof disc.name !== 'string' || disc.name.length === 0) fail(`entity name ${disc.name}`);
    await client.subscribeAsync(disc.temperature_state_topic, { qos: 1 });
    await until(() => state !== null, 'the room state');
    await publish(disc.temperature_command_topic, '23.5');
    await until(() => state.setpoint_c === 23.5, 'setpoint 23.5 in the state');
    console.log('setpoint acts');
    await publish(disc.preset_mode_command_topic, 'eco');
    await until(() => state.preset === 'eco', 'preset eco in the state');
    console.log('preset acts');
    await publish(disc.mode_command_topic, 'off');
    await until(() => state.mode === 'off' && state.level === 0, 'mode off in the state');
    console.log('mode acts');
    await client.endAsync();
    process.exit(0);
  } catch (e) {
    fail(e.message);
  }
});
