// Room state: GET /rooms/{roomId}/state, GET/PUT /state/{eventType}/{stateKey} (rooms.yaml,
// room_state.yaml), authorisation by power levels, and sending after leaving.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServerWithUsers, api, ok, expectStatus, registerUser, createRoom, joinRoom, uniqueName, enc } from "../lib/server.mjs";

let server, alice, bob;
before(async () => ({ server, users: [alice, bob] } = await startServerWithUsers(2)));
after(() => server?.stop());

const statePath = (roomId, type, key) =>
  `/_matrix/client/v3/rooms/${enc(roomId)}/state${type !== undefined ? "/" + enc(type) : ""}${key !== undefined ? "/" + enc(key) : ""}`;

test("GET /state returns every current state event in client format", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat", name: "State room", topic: "t" });
  const events = ok(await api(server.baseUrl, "GET", statePath(roomId), { token: alice.access_token }));
  assert.ok(Array.isArray(events));
  const types = new Set(events.map((e) => e.type));
  for (const t of ["m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules", "m.room.history_visibility", "m.room.name", "m.room.topic"]) {
    assert.ok(types.has(t), `state has ${t}`);
  }
  for (const e of events) {
    assert.equal(typeof e.event_id, "string");
    assert.equal(typeof e.sender, "string");
    assert.equal(typeof e.origin_server_ts, "number");
    assert.equal(typeof e.state_key, "string");
    assert.equal(e.room_id, roomId);
    assert.equal(typeof e.content, "object");
  }
  // One event per (type, state_key).
  const keys = events.map((e) => `${e.type}\u0000${e.state_key}`);
  assert.equal(new Set(keys).size, keys.length);
});

test("GET /state/{type}/{key}: content by default, the event with format=event, 404 M_NOT_FOUND when missing", async () => {
  const roomId = await createRoom(alice, { name: "Named" });
  assert.deepEqual(ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.name", ""), { token: alice.access_token })), { name: "Named" });
  // The trailing state key may be omitted for an empty state key.
  assert.deepEqual(ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.name"), { token: alice.access_token })), { name: "Named" });
  const asEvent = ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.name", ""), { token: alice.access_token, query: { format: "event" } }));
  assert.equal(asEvent.type, "m.room.name");
  assert.equal(asEvent.content.name, "Named");
  assert.equal(typeof asEvent.event_id, "string");
  expectStatus(await api(server.baseUrl, "GET", statePath(roomId, "m.room.topic", ""), { token: alice.access_token }), 404, "M_NOT_FOUND");
  expectStatus(await api(server.baseUrl, "GET", statePath(roomId, "org.example.none", "somekey"), { token: alice.access_token }), 404, "M_NOT_FOUND");
});

test("state of a room is not readable by a non-member (403 M_FORBIDDEN)", async () => {
  const roomId = await createRoom(alice, { preset: "private_chat", name: "Secret" });
  const stranger = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", statePath(roomId), { token: stranger.access_token }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "GET", statePath(roomId, "m.room.name", ""), { token: stranger.access_token }), 403, "M_FORBIDDEN");
});

test("PUT /state/{type}/{key} returns an event id and replaces the previous value", async () => {
  const roomId = await createRoom(alice, {});
  const first = ok(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.topic", ""), { token: alice.access_token, body: { topic: "first" } }));
  assert.match(first.event_id, /^\$/);
  const second = ok(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.topic", ""), { token: alice.access_token, body: { topic: "second" } }));
  assert.notEqual(second.event_id, first.event_id);
  assert.equal(ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.topic", ""), { token: alice.access_token })).topic, "second");
  // Custom state with a non-empty key; the path without key means the empty key.
  ok(await api(server.baseUrl, "PUT", statePath(roomId, "org.example.widget", "w1"), { token: alice.access_token, body: { url: "https://w1" } }));
  ok(await api(server.baseUrl, "PUT", statePath(roomId, "org.example.widget"), { token: alice.access_token, body: { url: "https://empty" } }));
  assert.equal(ok(await api(server.baseUrl, "GET", statePath(roomId, "org.example.widget", "w1"), { token: alice.access_token })).url, "https://w1");
  assert.equal(ok(await api(server.baseUrl, "GET", statePath(roomId, "org.example.widget", ""), { token: alice.access_token })).url, "https://empty");
  const ev = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(second.event_id)}`, { token: alice.access_token }));
  assert.equal(ev.type, "m.room.topic");
  assert.equal(ev.state_key, "");
  assert.equal(ev.content.topic, "second");
});

test("a member without power cannot change power levels or other protected state (403 M_FORBIDDEN)", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const pl = ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.power_levels", ""), { token: bob.access_token }));
  const hijack = { ...pl, users: { ...(pl.users || {}), [bob.user_id]: 100 } };
  expectStatus(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.power_levels", ""), { token: bob.access_token, body: hijack }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.name", ""), { token: bob.access_token, body: { name: "mine" } }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.join_rules", ""), { token: bob.access_token, body: { join_rule: "invite" } }), 403, "M_FORBIDDEN");
  // Nothing changed.
  const now = ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.power_levels", ""), { token: alice.access_token }));
  assert.notEqual(now.users?.[bob.user_id], 100);
  // After alice grants power, bob can set the name.
  const granted = { ...now, users: { ...(now.users || {}), [bob.user_id]: 50 } };
  ok(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.power_levels", ""), { token: alice.access_token, body: granted }));
  ok(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.name", ""), { token: bob.access_token, body: { name: "bob's name" } }));
  assert.equal(ok(await api(server.baseUrl, "GET", statePath(roomId, "m.room.name", ""), { token: alice.access_token })).name, "bob's name");
});

test("a user cannot set another user's m.room.member state to join", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  const carol = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "PUT", statePath(roomId, "m.room.member", carol.user_id), { token: alice.access_token, body: { membership: "join" } });
  expectStatus(res, 403, "M_FORBIDDEN");
});

test("sending into a room you left is 403", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  const dave = await registerUser(server.baseUrl);
  await joinRoom(dave, roomId);
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t1`, { token: dave.access_token, body: { msgtype: "m.text", body: "hi" } }));
  ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: dave.access_token, body: {} }));
  expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t2`, { token: dave.access_token, body: { msgtype: "m.text", body: "still here?" } }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.topic", ""), { token: dave.access_token, body: { topic: "x" } }), 403, "M_FORBIDDEN");
  // And into a room you were never in.
  const erin = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t3`, { token: erin.access_token, body: { msgtype: "m.text", body: "hello?" } }), 403, "M_FORBIDDEN");
});

test("m.room.canonical_alias must point at the room (400 M_BAD_ALIAS) and be valid (400 M_INVALID_PARAM)", async () => {
  const roomId = await createRoom(alice, {});
  const elsewhere = uniqueName("else");
  await createRoom(alice, { room_alias_name: elsewhere });
  const bad = await api(server.baseUrl, "PUT", statePath(roomId, "m.room.canonical_alias", ""), { token: alice.access_token, body: { alias: `#${elsewhere}:localhost` } });
  expectStatus(bad, 400, "M_BAD_ALIAS");
  const invalid = await api(server.baseUrl, "PUT", statePath(roomId, "m.room.canonical_alias", ""), { token: alice.access_token, body: { alias: "not an alias" } });
  expectStatus(invalid, 400, "M_INVALID_PARAM");
  const mine = uniqueName("mine");
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/directory/room/${enc(`#${mine}:localhost`)}`, { token: alice.access_token, body: { room_id: roomId } }));
  ok(await api(server.baseUrl, "PUT", statePath(roomId, "m.room.canonical_alias", ""), { token: alice.access_token, body: { alias: `#${mine}:localhost` } }));
});
