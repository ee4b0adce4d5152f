// Typing (typing.yaml), receipts (receipts.yaml), read markers (read_markers.yaml), account data
// (account-data.yaml), all also observed through /sync.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, registerUser, createRoom, joinRoom, sendText, enc, sync, syncUntil } from "../lib/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const room = (roomId, rest) => `/_matrix/client/v3/rooms/${enc(roomId)}${rest}`;
const ephemeral = (s, roomId, type) => (s.rooms?.join?.[roomId]?.ephemeral?.events || []).filter((e) => e.type === type);

async function pair() {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  return { alice, bob, roomId };
}

test("typing: PUT typing true shows in the other member's sync as m.typing; false clears it", async () => {
  const { alice, bob, roomId } = await pair();
  const start = await sync(alice, { timeout: 0 });
  const res = await api(server.baseUrl, "PUT", room(roomId, `/typing/${enc(bob.user_id)}`), { token: bob.access_token, body: { typing: true, timeout: 30000 } });
  assert.deepEqual(ok(res), {});
  const typing = await syncUntil(alice, (s) => ephemeral(s, roomId, "m.typing").some((e) => e.content.user_ids.includes(bob.user_id)), { since: start.next_batch });
  const ev = ephemeral(typing, roomId, "m.typing").at(-1);
  assert.deepEqual(ev.content.user_ids, [bob.user_id]);

  ok(await api(server.baseUrl, "PUT", room(roomId, `/typing/${enc(bob.user_id)}`), { token: bob.access_token, body: { typing: false } }));
  const stopped = await syncUntil(alice, (s) => ephemeral(s, roomId, "m.typing").some((e) => !e.content.user_ids.includes(bob.user_id)), { since: typing.next_batch });
  assert.deepEqual(ephemeral(stopped, roomId, "m.typing").at(-1).content.user_ids, []);
});

test("typing: cannot set typing for another user (403); non-members cannot type", async () => {
  const { alice, bob, roomId } = await pair();
  expectStatus(await api(server.baseUrl, "PUT", room(roomId, `/typing/${enc(alice.user_id)}`), { token: bob.access_token, body: { typing: true, timeout: 1000 } }), 403, "M_FORBIDDEN");
  const stranger = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "PUT", room(roomId, `/typing/${enc(stranger.user_id)}`), { token: stranger.access_token, body: { typing: true, timeout: 1000 } }), 403, "M_FORBIDDEN");
});

test("receipts: m.read is shared with the room as m.receipt; m.read.private only with the sender", async () => {
  const { alice, bob, roomId } = await pair();
  const e1 = await sendText(alice, roomId, "read me");
  const e2 = await sendText(alice, roomId, "read me privately");
  const aliceStart = await sync(alice, { timeout: 0 });
  const bobStart = await sync(bob, { timeout: 0 });

  const res = await api(server.baseUrl, "POST", room(roomId, `/receipt/m.read/${enc(e1)}`), { token: bob.access_token, body: {} });
  assert.deepEqual(ok(res), {});
  const seen = await syncUntil(alice, (s) => ephemeral(s, roomId, "m.receipt").some((e) => e.content[e1]), { since: aliceStart.next_batch });
  const receipt = ephemeral(seen, roomId, "m.receipt").find((e) => e.content[e1]);
  assert.equal(typeof receipt.content[e1]["m.read"][bob.user_id].ts, "number");

  ok(await api(server.baseUrl, "POST", room(roomId, `/receipt/m.read.private/${enc(e2)}`), { token: bob.access_token, body: {} }));
  // Bob sees his private receipt.
  const own = await syncUntil(bob, (s) => ephemeral(s, roomId, "m.receipt").some((e) => e.content[e2]), { since: bobStart.next_batch });
  const priv = ephemeral(own, roomId, "m.receipt").find((e) => e.content[e2]);
  assert.equal(typeof priv.content[e2]["m.read.private"][bob.user_id].ts, "number");
  // Alice never does: send a marker message afterwards and sync until it arrives.
  const marker = await sendText(bob, roomId, "marker");
  let since = seen.next_batch;
  let found = false;
  for (let i = 0; i < 10 && !found; i++) {
    const s = await sync(alice, { since, timeout: 1000 });
    for (const ev of ephemeral(s, roomId, "m.receipt")) {
      for (const byType of Object.values(ev.content)) assert.equal(byType["m.read.private"], undefined, "private receipts are not shared");
    }
    found = (s.rooms?.join?.[roomId]?.timeline?.events || []).some((e) => e.event_id === marker);
    since = s.next_batch;
  }
  assert.ok(found, "the marker arrived");
  // A full initial sync of alice doesn't show it either.
  const initial = await sync(alice, { timeout: 0 });
  for (const ev of ephemeral(initial, roomId, "m.receipt"))
    for (const byType of Object.values(ev.content)) assert.equal(byType["m.read.private"], undefined);
});

test("receipts: an unknown receipt type is rejected (400)", async () => {
  const { alice, bob, roomId } = await pair();
  const e1 = await sendText(alice, roomId, "x");
  expectStatus(await api(server.baseUrl, "POST", room(roomId, `/receipt/m.bogus/${enc(e1)}`), { token: bob.access_token, body: {} }), 400);
});

test("read_markers: m.fully_read goes to room account data, m.read to receipts", async () => {
  const { alice, bob, roomId } = await pair();
  const e1 = await sendText(alice, roomId, "one");
  const e2 = await sendText(alice, roomId, "two");
  const res = await api(server.baseUrl, "POST", room(roomId, "/read_markers"), { token: bob.access_token, body: { "m.fully_read": e1, "m.read": e2 } });
  assert.deepEqual(ok(res), {});
  const fr = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(bob.user_id)}/rooms/${enc(roomId)}/account_data/m.fully_read`, { token: bob.access_token }));
  assert.equal(fr.event_id, e1);
  const s = await syncUntil(bob, (b) => (b.rooms?.join?.[roomId]?.account_data?.events || []).some((e) => e.type === "m.fully_read"));
  const ad = s.rooms.join[roomId].account_data.events.find((e) => e.type === "m.fully_read");
  assert.equal(ad.content.event_id, e1);
  const aliceView = await syncUntil(alice, (a) => ephemeral(a, roomId, "m.receipt").some((e) => e.content[e2]?.["m.read"]?.[bob.user_id]));
  assert.ok(aliceView);
  // m.fully_read through the receipt endpoint is the same as read_markers.
  ok(await api(server.baseUrl, "POST", room(roomId, `/receipt/m.fully_read/${enc(e2)}`), { token: bob.access_token, body: {} }));
  const fr2 = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(bob.user_id)}/rooms/${enc(roomId)}/account_data/m.fully_read`, { token: bob.access_token }));
  assert.equal(fr2.event_id, e2);
});

test("account data (global): PUT, GET, missing type 404 M_NOT_FOUND, other users 403, in /sync", async () => {
  const { alice, bob } = await pair();
  const path = (u, type) => `/_matrix/client/v3/user/${enc(u.user_id)}/account_data/${enc(type)}`;
  expectStatus(await api(server.baseUrl, "GET", path(alice, "org.example.config"), { token: alice.access_token }), 404, "M_NOT_FOUND");
  const content = { theme: "dark", n: 3, nested: { list: [1, 2] } };
  assert.deepEqual(ok(await api(server.baseUrl, "PUT", path(alice, "org.example.config"), { token: alice.access_token, body: content })), {});
  assert.deepEqual(ok(await api(server.baseUrl, "GET", path(alice, "org.example.config"), { token: alice.access_token })), content);
  ok(await api(server.baseUrl, "PUT", path(alice, "org.example.config"), { token: alice.access_token, body: { theme: "light" } }));
  assert.deepEqual(ok(await api(server.baseUrl, "GET", path(alice, "org.example.config"), { token: alice.access_token })), { theme: "light" });
  expectStatus(await api(server.baseUrl, "GET", path(alice, "org.example.config"), { token: bob.access_token }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "PUT", path(alice, "org.example.config"), { token: bob.access_token, body: { x: 1 } }), 403, "M_FORBIDDEN");
  const s = await sync(alice, { timeout: 0 });
  const ev = s.account_data.events.find((e) => e.type === "org.example.config");
  assert.deepEqual(ev?.content, { theme: "light" });
  // Bob's sync does not carry alice's account data.
  const bs = await sync(bob, { timeout: 0 });
  assert.ok(!(bs.account_data?.events || []).some((e) => e.type === "org.example.config"));
});

test("account data (per room): PUT, GET, missing 404, in the room's /sync account_data; m.fully_read refused", async () => {
  const { alice, roomId } = await pair();
  const path = (type) => `/_matrix/client/v3/user/${enc(alice.user_id)}/rooms/${enc(roomId)}/account_data/${enc(type)}`;
  expectStatus(await api(server.baseUrl, "GET", path("org.example.roomconf"), { token: alice.access_token }), 404, "M_NOT_FOUND");
  ok(await api(server.baseUrl, "PUT", path("org.example.roomconf"), { token: alice.access_token, body: { pinned: true } }));
  assert.deepEqual(ok(await api(server.baseUrl, "GET", path("org.example.roomconf"), { token: alice.access_token })), { pinned: true });
  // Not visible as global account data.
  expectStatus(await api(server.baseUrl, "GET", `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.roomconf`, { token: alice.access_token }), 404, "M_NOT_FOUND");
  const s = await sync(alice, { timeout: 0 });
  const ev = s.rooms.join[roomId].account_data.events.find((e) => e.type === "org.example.roomconf");
  assert.deepEqual(ev?.content, { pinned: true });
  // m.fully_read is controlled by the server: 405 M_BAD_JSON.
  expectStatus(await api(server.baseUrl, "PUT", path("m.fully_read"), { token: alice.access_token, body: { event_id: "$x" } }), 405, "M_BAD_JSON");
  // An invalid room id is 400 M_INVALID_PARAM.
  expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(alice.user_id)}/rooms/not-a-room/account_data/org.example.x`, { token: alice.access_token, body: {} }), 400, "M_INVALID_PARAM");
});

test("account data is plain JSON, not canonical event JSON: floats are stored as given", async () => {
  const { alice, roomId } = await pair();
  const path = `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.floats`;
  ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { ratio: 0.25, big: 1e20 } }));
  assert.deepEqual(ok(await api(server.baseUrl, "GET", path, { token: alice.access_token })), { ratio: 0.25, big: 1e20 });
  const roomPathAd = `/_matrix/client/v3/user/${enc(alice.user_id)}/rooms/${enc(roomId)}/account_data/org.example.floats`;
  ok(await api(server.baseUrl, "PUT", roomPathAd, { token: alice.access_token, body: { x: 1.5 } }));
  assert.deepEqual(ok(await api(server.baseUrl, "GET", roomPathAd, { token: alice.access_token })), { x: 1.5 });
});

test("room tags: PUT with a float order, GET, DELETE, and m.tag in the room's sync account_data", async () => {
  const { alice, roomId } = await pair();
  const base = `/_matrix/client/v3/user/${enc(alice.user_id)}/rooms/${enc(roomId)}/tags`;
  assert.deepEqual(ok(await api(server.baseUrl, "GET", base, { token: alice.access_token })), { tags: {} });
  assert.deepEqual(ok(await api(server.baseUrl, "PUT", `${base}/m.favourite`, { token: alice.access_token, body: { order: 0.25 } })), {});
  ok(await api(server.baseUrl, "PUT", `${base}/u.work`, { token: alice.access_token, body: {} }));
  const tags = ok(await api(server.baseUrl, "GET", base, { token: alice.access_token })).tags;
  assert.deepEqual(tags, { "m.favourite": { order: 0.25 }, "u.work": {} });
  const s = await sync(alice, { timeout: 0 });
  const tagEvent = (s.rooms.join[roomId].account_data?.events || []).find((e) => e.type === "m.tag");
  assert.deepEqual(tagEvent?.content, { tags: { "m.favourite": { order: 0.25 }, "u.work": {} } });
  assert.deepEqual(ok(await api(server.baseUrl, "DELETE", `${base}/u.work`, { token: alice.access_token })), {});
  assert.deepEqual(ok(await api(server.baseUrl, "GET", base, { token: alice.access_token })).tags, { "m.favourite": { order: 0.25 } });
  const other = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", base, { token: other.access_token }), 403, "M_FORBIDDEN");
});
