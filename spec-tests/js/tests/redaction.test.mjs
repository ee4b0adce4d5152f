// Redactions (redaction.yaml) and the redaction algorithm of room versions 11 and 12.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServerWithUsers, api, ok, expectStatus, registerUser, createRoom, joinRoom, sendText, enc, sync, syncUntil } from "../lib/server.mjs";

let server, alice, bob;
before(async () => ({ server, users: [alice, bob] } = await startServerWithUsers(2)));
after(() => server?.stop());

const room = (roomId, rest) => `/_matrix/client/v3/rooms/${enc(roomId)}${rest}`;
let txn = 0;
const redact = (user, roomId, eventId, body = {}) =>
  api(server.baseUrl, "PUT", room(roomId, `/redact/${enc(eventId)}/r${Date.now()}-${++txn}`), { token: user.access_token, body });
const getEvent = async (user, roomId, eventId) => ok(await api(server.baseUrl, "GET", room(roomId, `/event/${enc(eventId)}`), { token: user.access_token }));

test("a moderator redacts another user's message: content pruned, unsigned.redacted_because set", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const target = await sendText(bob, roomId, "regrettable");
  const res = ok(await redact(alice, roomId, target, { reason: "off topic" }));
  assert.match(res.event_id, /^\$/);

  const ev = await getEvent(bob, roomId, target);
  assert.equal(ev.event_id, target);
  assert.equal(ev.type, "m.room.message");
  assert.equal(ev.sender, bob.user_id);
  assert.deepEqual(ev.content, {}, "a redacted message keeps no content keys");
  const because = ev.unsigned?.redacted_because;
  assert.ok(because, `unsigned.redacted_because: ${JSON.stringify(ev.unsigned)}`);
  assert.equal(because.type, "m.room.redaction");
  assert.equal(because.event_id, res.event_id);
  assert.equal(because.sender, alice.user_id);
  assert.equal(because.content.reason, "off topic");

  // The redaction event itself (v11+: `redacts` inside content).
  const redaction = await getEvent(alice, roomId, res.event_id);
  assert.equal(redaction.type, "m.room.redaction");
  assert.equal(redaction.content.redacts, target);

  // /messages shows the pruned event too.
  const msgs = ok(await api(server.baseUrl, "GET", room(roomId, "/messages"), { token: bob.access_token, query: { dir: "b", limit: 5 } }));
  const inList = msgs.chunk.find((e) => e.event_id === target);
  assert.deepEqual(inList.content, {});
  assert.ok(msgs.chunk.some((e) => e.event_id === res.event_id && e.type === "m.room.redaction"));
});

test("without the redact power a user may redact only their own events", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const alices = await sendText(alice, roomId, "alice's words");
  const bobs = await sendText(bob, roomId, "bob's words");
  expectStatus(await redact(bob, roomId, alices), 403, "M_FORBIDDEN");
  assert.equal((await getEvent(alice, roomId, alices)).content.body, "alice's words");
  ok(await redact(bob, roomId, bobs));
  assert.deepEqual((await getEvent(alice, roomId, bobs)).content, {});
});

test("redacting state keeps the keys the room version preserves (v11/v12 algorithm)", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat", topic: "secret topic" });
  await joinRoom(bob, roomId);
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/profile/${enc(bob.user_id)}/displayname`, { token: bob.access_token, body: { displayname: "Bob Display" } }));
  const topicId = ok(await api(server.baseUrl, "GET", room(roomId, "/state/m.room.topic/"), { token: alice.access_token, query: { format: "event" } })).event_id;
  const memberEv = ok(await api(server.baseUrl, "GET", room(roomId, `/state/m.room.member/${enc(bob.user_id)}`), { token: alice.access_token, query: { format: "event" } }));
  assert.equal(memberEv.content.displayname, "Bob Display");
  const joinRulesId = ok(await api(server.baseUrl, "GET", room(roomId, "/state/m.room.join_rules/"), { token: alice.access_token, query: { format: "event" } })).event_id;

  ok(await redact(alice, roomId, topicId));
  ok(await redact(alice, roomId, memberEv.event_id));
  ok(await redact(alice, roomId, joinRulesId));

  assert.deepEqual((await getEvent(alice, roomId, topicId)).content, {}, "m.room.topic keeps nothing");
  assert.deepEqual((await getEvent(alice, roomId, memberEv.event_id)).content, { membership: "join" }, "m.room.member keeps membership");
  assert.deepEqual((await getEvent(alice, roomId, joinRulesId)).content, { join_rule: "public" }, "m.room.join_rules keeps join_rule");
  // The current state is the redacted events: every API that serves state serves them pruned.
  const stale = [];
  const topicNow = ok(await api(server.baseUrl, "GET", room(roomId, "/state/m.room.topic/"), { token: alice.access_token }));
  if (JSON.stringify(topicNow) !== "{}") stale.push(`GET /state/m.room.topic/: ${JSON.stringify(topicNow)}`);
  const memberNow = ok(await api(server.baseUrl, "GET", room(roomId, `/state/m.room.member/${enc(bob.user_id)}`), { token: alice.access_token }));
  if (JSON.stringify(memberNow) !== '{"membership":"join"}') stale.push(`GET /state/m.room.member/bob: ${JSON.stringify(memberNow)}`);
  const all = ok(await api(server.baseUrl, "GET", room(roomId, "/state"), { token: alice.access_token }));
  const topicInAll = all.find((e) => e.type === "m.room.topic");
  if (JSON.stringify(topicInAll.content) !== "{}") stale.push(`GET /state (m.room.topic): ${JSON.stringify(topicInAll.content)}`);
  const synced = await sync(alice, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1 } } }) });
  const topicInSync = [...(synced.rooms.join[roomId].state?.events || []), ...synced.rooms.join[roomId].timeline.events].find((e) => e.type === "m.room.topic");
  if (JSON.stringify(topicInSync?.content) !== "{}") stale.push(`/sync state (m.room.topic): ${JSON.stringify(topicInSync?.content)}`);
  assert.deepEqual(stale, [], "redacted state events are served unredacted");
  // Redacting the join rules does not change who may join.
  const carol = await registerUser(server.baseUrl);
  await joinRoom(carol, roomId);
});

test("the redaction reaches other members through /sync", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const target = await sendText(alice, roomId, "to be removed");
  const start = await sync(bob);
  const { event_id: redactionId } = ok(await redact(alice, roomId, target));
  const s = await syncUntil(bob, (x) => (x.rooms?.join?.[roomId]?.timeline?.events || []).some((e) => e.event_id === redactionId), { since: start.next_batch });
  const ev = s.rooms.join[roomId].timeline.events.find((e) => e.event_id === redactionId);
  assert.equal(ev.type, "m.room.redaction");
  assert.equal(ev.content.redacts, target);
  // An initial sync shows the target pruned.
  const initial = await sync(bob, { filter: JSON.stringify({ room: { timeline: { limit: 10 } } }) });
  const pruned = initial.rooms.join[roomId].timeline.events.find((e) => e.event_id === target);
  assert.ok(pruned, "the target is within the last 10 events");
  assert.deepEqual(pruned.content, {});
});

test("redaction transactions are idempotent", async () => {
  const roomId = await createRoom(alice, {});
  const target = await sendText(alice, roomId, "twice");
  const path = room(roomId, `/redact/${enc(target)}/same-txn`);
  const first = ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: {} }));
  const second = ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: {} }));
  assert.equal(second.event_id, first.event_id);
});
