// Sending and reading events: room_send.yaml (transaction ids), rooms.yaml (GET /event),
// event_context.yaml, message_pagination.yaml, filter.yaml.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServerWithUsers, api, ok, expectStatus, registerUser, createRoom, joinRoom, sendText, enc, login } from "../lib/server.mjs";

let server, alice, bob;
before(async () => ({ server, users: [alice, bob] } = await startServerWithUsers(2)));
after(() => server?.stop());

const room = (roomId, rest) => `/_matrix/client/v3/rooms/${enc(roomId)}${rest}`;
const messages = async (user, roomId, query) =>
  ok(await api(server.baseUrl, "GET", room(roomId, "/messages"), { token: user.access_token, query }));

/** A room with messages m0..m(n-1) from alice; returns { roomId, ids }. */
async function roomWithMessages(n, opts = {}) {
  const roomId = await createRoom(alice, { preset: "public_chat", ...opts });
  const ids = [];
  for (let i = 0; i < n; i++) ids.push(await sendText(alice, roomId, `m${i}`));
  return { roomId, ids };
}

test("PUT /send/{eventType}/{txnId} returns an event id; the same txnId twice gives the same event", async () => {
  const roomId = await createRoom(alice, {});
  const path = room(roomId, "/send/m.room.message/txn-idem-1");
  const first = ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "once" } }));
  assert.match(first.event_id, /^\$/);
  const second = ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "once" } }));
  assert.equal(second.event_id, first.event_id, "idempotent retransmission");
  const msgs = await messages(alice, roomId, { dir: "b", limit: 20 });
  assert.equal(msgs.chunk.filter((e) => e.type === "m.room.message").length, 1, "only one event was sent");
  // A different txnId sends a new event.
  const third = ok(await api(server.baseUrl, "PUT", room(roomId, "/send/m.room.message/txn-idem-2"), { token: alice.access_token, body: { msgtype: "m.text", body: "twice" } }));
  assert.notEqual(third.event_id, first.event_id);
});

test("transaction ids are scoped to the device: the same txnId from another device is a new event", async () => {
  const roomId = await createRoom(alice, {});
  const other = ok(await login(server.baseUrl, alice.localpart, alice.password));
  const path = room(roomId, "/send/m.room.message/shared-txn");
  const a = ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { msgtype: "m.text", body: "from device 1" } }));
  const b = ok(await api(server.baseUrl, "PUT", path, { token: other.access_token, body: { msgtype: "m.text", body: "from device 2" } }));
  assert.notEqual(a.event_id, b.event_id);
});

test("GET /event/{eventId} returns the client-format event; unknown id 404 M_NOT_FOUND", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  const content = { msgtype: "m.text", body: "hello event", "org.example.nested": { a: [1, 2, { b: "c" }], t: true, n: null } };
  const { event_id: eventId } = ok(await api(server.baseUrl, "PUT", room(roomId, "/send/m.room.message/ev1"), { token: alice.access_token, body: content }));
  const ev = ok(await api(server.baseUrl, "GET", room(roomId, `/event/${enc(eventId)}`), { token: alice.access_token }));
  assert.equal(ev.event_id, eventId);
  assert.equal(ev.type, "m.room.message");
  assert.equal(ev.sender, alice.user_id);
  assert.equal(ev.room_id, roomId);
  assert.deepEqual(ev.content, content);
  assert.equal(typeof ev.origin_server_ts, "number");
  assert.ok(Math.abs(ev.origin_server_ts - Date.now()) < 60000, "origin_server_ts is a current ms timestamp");
  assert.equal(ev.state_key, undefined, "a message event has no state_key");
  // The sender sees its transaction id in unsigned.
  if (ev.unsigned?.transaction_id !== undefined) assert.equal(ev.unsigned.transaction_id, "ev1");
  // Another member sees it, without the transaction id.
  await joinRoom(bob, roomId);
  const seen = ok(await api(server.baseUrl, "GET", room(roomId, `/event/${enc(eventId)}`), { token: bob.access_token }));
  assert.deepEqual(seen.content, content);
  assert.equal(seen.unsigned?.transaction_id, undefined, "transaction_id is only for the sender's device");
  expectStatus(await api(server.baseUrl, "GET", room(roomId, `/event/${enc("$doesnotexist")}`), { token: alice.access_token }), 404, "M_NOT_FOUND");
});

test("GET /event/{eventId} of a room the user cannot see is refused", async () => {
  const roomId = await createRoom(alice, { preset: "private_chat" });
  const eventId = await sendText(alice, roomId, "private");
  const stranger = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "GET", room(roomId, `/event/${enc(eventId)}`), { token: stranger.access_token });
  assert.ok(res.status === 404 || res.status === 403, `status ${res.status}: ${res.text}`);
  assert.ok(!res.text.includes('"private"'), "the content is not disclosed");
});

test("GET /messages dir=b without from: newest first, limit, end token continues", async () => {
  const { roomId, ids } = await roomWithMessages(10);
  const page1 = await messages(alice, roomId, { dir: "b", limit: 4 });
  assert.deepEqual(page1.chunk.map((e) => e.event_id), [ids[9], ids[8], ids[7], ids[6]]);
  assert.equal(typeof page1.start, "string");
  assert.equal(typeof page1.end, "string");
  const page2 = await messages(alice, roomId, { dir: "b", limit: 4, from: page1.end });
  assert.equal(page2.start, page1.end, "start is the from token");
  assert.deepEqual(page2.chunk.map((e) => e.event_id), [ids[5], ids[4], ids[3], ids[2]]);
  // Forward from page2.end returns to where we were, in chronological order.
  const fwd = await messages(alice, roomId, { dir: "f", limit: 3, from: page2.end });
  assert.deepEqual(fwd.chunk.map((e) => e.event_id), [ids[2], ids[3], ids[4]]);
});

test("GET /messages paginates the whole room both ways; end is omitted at the end", async () => {
  const { roomId, ids } = await roomWithMessages(7);
  const back = [];
  let from;
  let last;
  for (let i = 0; i < 50; i++) {
    last = await messages(alice, roomId, { dir: "b", limit: 3, from });
    back.push(...last.chunk);
    if (!last.end) break;
    if (last.chunk.length === 0) break;
    from = last.end;
  }
  assert.equal(last.end, undefined, "end is omitted when there is nothing more");
  assert.equal(back.at(-1).type, "m.room.create", "backwards pagination ends at the create event");
  const backIds = back.map((e) => e.event_id);
  assert.equal(new Set(backIds).size, backIds.length, "no duplicates");
  for (const id of ids) assert.ok(backIds.includes(id));

  const fwd = [];
  from = undefined;
  for (let i = 0; i < 50; i++) {
    last = await messages(alice, roomId, { dir: "f", limit: 3, from });
    fwd.push(...last.chunk);
    if (!last.end || last.chunk.length === 0) break;
    from = last.end;
  }
  assert.equal(fwd[0].type, "m.room.create", "dir=f without from starts at the beginning of the room");
  assert.deepEqual(fwd.map((e) => e.event_id), [...backIds].reverse(), "forward order is the reverse of backward order");
});

test("GET /messages with to stops at the token", async () => {
  const { roomId, ids } = await roomWithMessages(8);
  const newest = await messages(alice, roomId, { dir: "b", limit: 3 }); // m7 m6 m5
  const rest = await messages(alice, roomId, { dir: "b", limit: 2, from: newest.end }); // m4 m3
  const res = await messages(alice, roomId, { dir: "b", limit: 50, to: newest.end });
  assert.deepEqual(res.chunk.map((e) => e.event_id), [ids[7], ids[6], ids[5]], "only the events between now and `to`");
  const between = await messages(alice, roomId, { dir: "f", limit: 50, from: rest.end, to: newest.end });
  assert.deepEqual(between.chunk.map((e) => e.event_id), [ids[3], ids[4]]);
});

test("GET /messages with a RoomEventFilter (types, not_types, senders)", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const a1 = await sendText(alice, roomId, "from alice");
  const b1 = await sendText(bob, roomId, "from bob");
  const custom = await sendText(alice, roomId, "custom", "org.example.custom");
  const onlyMessages = await messages(alice, roomId, { dir: "b", limit: 50, filter: { types: ["m.room.message"] } });
  assert.deepEqual(onlyMessages.chunk.map((e) => e.event_id), [b1, a1]);
  const notMessages = await messages(alice, roomId, { dir: "b", limit: 50, filter: { not_types: ["m.room.message", "m.room.member"] } });
  assert.ok(notMessages.chunk.every((e) => e.type !== "m.room.message" && e.type !== "m.room.member"));
  assert.equal(notMessages.chunk[0].event_id, custom);
  const bobs = await messages(alice, roomId, { dir: "b", limit: 50, filter: { senders: [bob.user_id] } });
  assert.ok(bobs.chunk.length >= 2, "bob's join and message");
  assert.ok(bobs.chunk.every((e) => e.sender === bob.user_id));
  const wildcard = await messages(alice, roomId, { dir: "b", limit: 50, filter: { types: ["org.example.*"] } });
  assert.deepEqual(wildcard.chunk.map((e) => e.event_id), [custom], "types support * wildcards");
});

test("GET /messages with lazy_load_members returns the senders' membership in state", async () => {
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(carol, roomId);
  await joinRoom(bob, roomId);
  await sendText(bob, roomId, "lazy 1");
  await sendText(bob, roomId, "lazy 2");
  const res = await messages(alice, roomId, { dir: "b", limit: 2, filter: { lazy_load_members: true } });
  assert.ok(res.chunk.every((e) => e.sender === bob.user_id));
  assert.ok(Array.isArray(res.state), `state present with lazy_load_members: ${JSON.stringify(Object.keys(res))}`);
  const members = res.state.filter((e) => e.type === "m.room.member").map((e) => e.state_key);
  assert.ok(members.includes(bob.user_id), `the sender's membership is in state: ${members}`);
  assert.ok(!members.includes(carol.user_id), `carol sent nothing in the chunk: ${members}`);
});

test("GET /messages rejects an invalid dir, and requires membership", async () => {
  const { roomId } = await roomWithMessages(1, { preset: "private_chat" });
  expectStatus(await api(server.baseUrl, "GET", room(roomId, "/messages"), { token: alice.access_token, query: { dir: "sideways" } }), 400);
  const stranger = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", room(roomId, "/messages"), { token: stranger.access_token, query: { dir: "b" } }), 403, "M_FORBIDDEN");
});

test("GET /context/{eventId}: the event, events before (newest first) and after, tokens that continue", async () => {
  const { roomId, ids } = await roomWithMessages(10);
  const ctx = ok(await api(server.baseUrl, "GET", room(roomId, `/context/${enc(ids[5])}`), { token: alice.access_token, query: { limit: 4 } }));
  assert.equal(ctx.event.event_id, ids[5]);
  assert.equal(ctx.event.content.body, "m5");
  const before = ctx.events_before.map((e) => e.event_id);
  const after = ctx.events_after.map((e) => e.event_id);
  assert.ok(before.length + after.length <= 4, "limit applies to the sum");
  assert.ok(before.length >= 1 && after.length >= 1, "some context on both sides");
  assert.deepEqual(before, ids.slice(5 - before.length, 5).reverse(), "events_before in reverse-chronological order");
  assert.deepEqual(after, ids.slice(6, 6 + after.length), "events_after in chronological order");
  assert.equal(typeof ctx.start, "string");
  assert.equal(typeof ctx.end, "string");
  if (ctx.state !== undefined) assert.ok(Array.isArray(ctx.state));
  // Tokens continue the pagination.
  const older = await messages(alice, roomId, { dir: "b", limit: 1, from: ctx.start });
  assert.equal(older.chunk[0].event_id, ids[5 - before.length - 1]);
  const newer = await messages(alice, roomId, { dir: "f", limit: 1, from: ctx.end });
  assert.equal(newer.chunk[0].event_id, ids[6 + after.length]);
  // limit=0 still returns the event.
  const zero = ok(await api(server.baseUrl, "GET", room(roomId, `/context/${enc(ids[2])}`), { token: alice.access_token, query: { limit: 0 } }));
  assert.equal(zero.event.event_id, ids[2]);
  assert.equal(zero.events_before.length + zero.events_after.length, 0);
  expectStatus(await api(server.baseUrl, "GET", room(roomId, `/context/${enc("$nope")}`), { token: alice.access_token }), 404);
});

test("filters: POST /user/{userId}/filter then GET returns it; others' filters and unknown ids are refused", async () => {
  const filter = {
    event_fields: ["type", "content", "sender"],
    event_format: "client",
    presence: { types: ["m.presence"], limit: 5 },
    room: { timeline: { limit: 7, types: ["m.room.message"] }, state: { lazy_load_members: true } },
  };
  const created = ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter`, { token: alice.access_token, body: filter }));
  assert.equal(typeof created.filter_id, "string");
  assert.ok(!created.filter_id.startsWith("{"), "a filter id must not start with {");
  const got = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter/${enc(created.filter_id)}`, { token: alice.access_token }));
  assert.deepEqual(got.room.timeline, filter.room.timeline);
  assert.deepEqual(got.event_fields, filter.event_fields);
  assert.equal(got.room.state.lazy_load_members, true);
  assert.equal(got.presence.limit, 5);

  expectStatus(await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter/999999999`, { token: alice.access_token }), 404, "M_NOT_FOUND");
  const foreign = await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter/${enc(created.filter_id)}`, { token: bob.access_token });
  assert.ok(foreign.status === 403 || foreign.status === 404, `another user's filter: ${foreign.status} ${foreign.text}`);
  expectStatus(await api(server.baseUrl, "POST", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter`, { token: bob.access_token, body: filter }), 403, "M_FORBIDDEN");
});
