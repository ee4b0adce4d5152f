// GET /sync (sync.yaml) with filters (filter.yaml, definitions/sync_filter.yaml).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, api, ok, registerUser, createRoom, joinRoom, invite, sendText, enc, sync, syncUntil,
} from "../lib/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const timeline = (s, roomId) => s.rooms?.join?.[roomId]?.timeline?.events || [];
const bodies = (events) => events.filter((e) => e.type === "m.room.message").map((e) => e.content.body);

test("initial sync: next_batch, the joined room with state and timeline", async () => {
  const alice = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { name: "Sync room" });
  await sendText(alice, roomId, "hello sync");
  const s = await sync(alice);
  assert.equal(typeof s.next_batch, "string");
  const joined = s.rooms.join[roomId];
  assert.ok(joined, "room in rooms.join");
  assert.ok(Array.isArray(joined.timeline.events));
  assert.equal(typeof joined.timeline.limited, "boolean");
  const all = [...(joined.state?.events || []), ...joined.timeline.events];
  assert.ok(all.some((e) => e.type === "m.room.create"), "create event in state or timeline");
  assert.ok(all.some((e) => e.type === "m.room.name" && e.content.name === "Sync room"));
  assert.deepEqual(bodies(joined.timeline.events).slice(-1), ["hello sync"]);
  for (const e of joined.timeline.events) {
    assert.equal(typeof e.event_id, "string");
    assert.equal(typeof e.sender, "string");
    assert.equal(typeof e.origin_server_ts, "number");
    assert.equal(e.room_id, undefined, "sync events are in the room-id-less client format");
  }
  if (joined.summary?.["m.joined_member_count"] !== undefined) assert.equal(joined.summary["m.joined_member_count"], 1);
});

test("incremental sync with since returns only what is new", async () => {
  const alice = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, {});
  await sendText(alice, roomId, "old");
  const first = await sync(alice);
  await sendText(alice, roomId, "new 1");
  await sendText(alice, roomId, "new 2");
  const second = await sync(alice, { since: first.next_batch });
  assert.deepEqual(bodies(timeline(second, roomId)), ["new 1", "new 2"]);
  assert.notEqual(second.next_batch, first.next_batch);
  assert.equal(second.rooms.join[roomId].timeline.limited, false);
  // Nothing new: the room is absent or empty.
  const third = await sync(alice, { since: second.next_batch, timeout: 0 });
  assert.deepEqual(timeline(third, roomId), []);
});

test("long-poll: a message from B wakes A's pending /sync (several rounds)", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  let since = (await sync(alice)).next_batch;
  for (let round = 0; round < 6; round++) {
    // Drain anything pending, so the next sync has to wait.
    for (;;) {
      const s = await sync(alice, { since, timeout: 0 });
      since = s.next_batch;
      if (!s.rooms?.join?.[roomId]) break;
    }
    const pending = sync(alice, { since, timeout: 8000 });
    await new Promise((r) => setTimeout(r, 200));
    const eventId = await sendText(bob, roomId, `wake up ${round}`);
    const woke = await pending;
    const events = timeline(woke, roomId);
    assert.ok(
      events.some((e) => e.event_id === eventId && e.content.body === `wake up ${round}`),
      `round ${round}: the pending long-poll (since=${since}) must return bob's event; got next_batch=${woke.next_batch} rooms=${JSON.stringify(woke.rooms)}`,
    );
    since = woke.next_batch;
  }
});

test("timeout=0 returns at once even with nothing new", async () => {
  const alice = await registerUser(server.baseUrl);
  const first = await sync(alice);
  const second = await sync(alice, { since: first.next_batch, timeout: 0 });
  assert.equal(typeof second.next_batch, "string");
});

test("inline filter with a timeline limit: limited=true and prev_batch works with /messages", async () => {
  const alice = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, {});
  for (let i = 0; i < 6; i++) await sendText(alice, roomId, `msg ${i}`);
  const s = await sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
  const tl = s.rooms.join[roomId].timeline;
  assert.equal(tl.events.length, 2);
  assert.deepEqual(bodies(tl.events), ["msg 4", "msg 5"]);
  assert.equal(tl.limited, true);
  assert.equal(typeof tl.prev_batch, "string");
  // The state section carries the state that the limited timeline skipped.
  assert.ok((s.rooms.join[roomId].state?.events || []).some((e) => e.type === "m.room.create"), "state has the create event");
  const earlier = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
    token: alice.access_token,
    query: { dir: "b", from: tl.prev_batch, limit: 3 },
  }));
  assert.deepEqual(bodies(earlier.chunk), ["msg 3", "msg 2", "msg 1"]);

  // Incremental with a gap: more messages than the limit since the last sync.
  for (let i = 6; i < 10; i++) await sendText(alice, roomId, `msg ${i}`);
  const inc = await sync(alice, { since: s.next_batch, filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
  const incTl = inc.rooms.join[roomId].timeline;
  assert.deepEqual(bodies(incTl.events), ["msg 8", "msg 9"]);
  assert.equal(incTl.limited, true);
  const gap = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
    token: alice.access_token,
    query: { dir: "b", from: incTl.prev_batch, limit: 2 },
  }));
  assert.deepEqual(bodies(gap.chunk), ["msg 7", "msg 6"]);
});

test("filter by id (POST /user/{userId}/filter) applies to /sync", async () => {
  const alice = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, {});
  await sendText(alice, roomId, "plain");
  await sendText(alice, roomId, "custom", "org.example.custom");
  const { filter_id: filterId } = ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/user/${enc(alice.user_id)}/filter`, {
    token: alice.access_token,
    body: { room: { timeline: { types: ["m.room.message"], limit: 10 } } },
  }));
  const s = await sync(alice, { filter: filterId });
  const events = timeline(s, roomId);
  assert.ok(events.length >= 1);
  assert.ok(events.every((e) => e.type === "m.room.message"), `only messages: ${events.map((e) => e.type)}`);
  // Other filter parts: rooms / not_rooms.
  const other = await createRoom(alice, {});
  const only = await sync(alice, { filter: JSON.stringify({ room: { rooms: [other] } }) });
  assert.deepEqual(Object.keys(only.rooms?.join || {}), [other]);
  const not = await sync(alice, { filter: JSON.stringify({ room: { not_rooms: [other] } }) });
  assert.ok(!Object.keys(not.rooms?.join || {}).includes(other));
  assert.ok(Object.keys(not.rooms?.join || {}).includes(roomId));
});

test("lazy_load_members: state carries the members of timeline senders (and the user), not the others", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(carol, roomId);
  await joinRoom(bob, roomId);
  for (let i = 0; i < 3; i++) await sendText(bob, roomId, `bob ${i}`);
  const filter = JSON.stringify({ room: { timeline: { limit: 2 }, state: { lazy_load_members: true } } });
  const s = await sync(alice, { filter });
  const room = s.rooms.join[roomId];
  assert.ok(room.timeline.events.every((e) => e.sender === bob.user_id));
  const memberKeys = [...(room.state?.events || []), ...room.timeline.events]
    .filter((e) => e.type === "m.room.member")
    .map((e) => e.state_key);
  assert.ok(memberKeys.includes(bob.user_id), "the timeline sender's membership is included");
  assert.ok(memberKeys.includes(alice.user_id), "the syncing user's own membership is included");
  assert.ok(!memberKeys.includes(carol.user_id), `carol sent nothing in the timeline: ${memberKeys}`);
  // Without lazy loading all members are there.
  const full = await sync(alice, { filter: JSON.stringify({ room: { timeline: { limit: 2 } } }) });
  const fullKeys = (full.rooms.join[roomId].state?.events || []).filter((e) => e.type === "m.room.member").map((e) => e.state_key);
  assert.ok(fullKeys.includes(carol.user_id));
});

test("full_state=true returns all state on an incremental sync", async () => {
  const alice = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { name: "Full state" });
  const first = await sync(alice);
  await sendText(alice, roomId, "after");
  const partial = await sync(alice, { since: first.next_batch });
  assert.ok(!(partial.rooms.join[roomId].state?.events || []).some((e) => e.type === "m.room.create"), "no unchanged state without full_state");
  const full = await sync(alice, { since: first.next_batch, full_state: "true" });
  const room = full.rooms.join[roomId];
  const state = room.state.events;
  for (const t of ["m.room.create", "m.room.power_levels", "m.room.name", "m.room.join_rules"]) {
    assert.ok(state.some((e) => e.type === t) || room.timeline.events.some((e) => e.type === t), `${t} present with full_state`);
  }
  assert.ok(bodies(room.timeline.events).includes("after"), "the timeline is still limited by since");
});

test("invite, join and leave sections", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { name: "Sections" });
  const start = await sync(bob);
  await invite(alice, roomId, bob.user_id);
  const invited = await syncUntil(bob, (s) => s.rooms?.invite?.[roomId], { since: start.next_batch });
  const inviteState = invited.rooms.invite[roomId].invite_state.events;
  const me = inviteState.find((e) => e.type === "m.room.member" && e.state_key === bob.user_id);
  assert.equal(me.content.membership, "invite");
  assert.equal(me.sender, alice.user_id);
  assert.ok(inviteState.some((e) => e.type === "m.room.name" && e.content.name === "Sections"));
  assert.ok(inviteState.some((e) => e.type === "m.room.create"), "stripped state includes the create event");

  await joinRoom(bob, roomId);
  const joined = await syncUntil(bob, (s) => s.rooms?.join?.[roomId], { since: invited.next_batch });
  assert.equal(joined.rooms.invite?.[roomId], undefined, "no longer in invite");
  const jroom = joined.rooms.join[roomId];
  assert.ok([...(jroom.state?.events || []), ...jroom.timeline.events].some((e) => e.type === "m.room.member" && e.state_key === bob.user_id && e.content.membership === "join"));
  assert.ok([...(jroom.state?.events || []), ...jroom.timeline.events].some((e) => e.type === "m.room.create"), "the newly joined room comes with its full state");

  ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: bob.access_token, body: {} }));
  const left = await syncUntil(bob, (s) => s.rooms?.leave?.[roomId], { since: joined.next_batch });
  const lroom = left.rooms.leave[roomId];
  assert.ok(lroom.timeline.events.some((e) => e.type === "m.room.member" && e.state_key === bob.user_id && e.content.membership === "leave"), "the leave event is in the left room's timeline");
  assert.equal(left.rooms.join?.[roomId], undefined);
  // Left rooms are not in an initial sync unless include_leave.
  const initial = await sync(bob);
  assert.equal(initial.rooms?.leave?.[roomId], undefined);
  const withLeave = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
  assert.ok(withLeave.rooms.leave[roomId], "include_leave shows the left room");
});

test("a rejected invite shows in rooms.leave", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { invite: [bob.user_id] });
  const s1 = await syncUntil(bob, (s) => s.rooms?.invite?.[roomId]);
  ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/leave`, { token: bob.access_token, body: {} }));
  const s2 = await syncUntil(bob, (s) => s.rooms?.leave?.[roomId], { since: s1.next_batch });
  assert.equal(s2.rooms.invite?.[roomId], undefined);
});

test("ephemeral typing and receipts, and account_data, arrive through /sync", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const eventId = await sendText(bob, roomId, "receipt target");
  const start = await sync(alice);
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.user_id)}`, { token: bob.access_token, body: { typing: true, timeout: 20000 } }));
  ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, { token: bob.access_token, body: {} }));
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.sync`, { token: alice.access_token, body: { v: 1 } }));
  let typing = false;
  let receipt = false;
  let accountData = false;
  let since = start.next_batch;
  for (let i = 0; i < 20 && !(typing && receipt && accountData); i++) {
    const s = await sync(alice, { since, timeout: 1000 });
    since = s.next_batch;
    for (const e of s.rooms?.join?.[roomId]?.ephemeral?.events || []) {
      if (e.type === "m.typing" && e.content.user_ids.includes(bob.user_id)) typing = true;
      if (e.type === "m.receipt" && e.content[eventId]?.["m.read"]?.[bob.user_id]) receipt = true;
      assert.equal(e.room_id, undefined, "ephemeral events in sync carry no room_id");
    }
    if ((s.account_data?.events || []).some((e) => e.type === "org.example.sync" && e.content.v === 1)) accountData = true;
  }
  assert.ok(typing, "m.typing arrived");
  assert.ok(receipt, "m.receipt arrived");
  assert.ok(accountData, "account data arrived");
});

test("unread_notifications count messages from others and reset with a read receipt", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  await sendText(bob, roomId, "one");
  await sendText(bob, roomId, "two");
  const mention = ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/mention1`, {
    token: bob.access_token,
    body: { msgtype: "m.text", body: `hey ${alice.user_id}`, "m.mentions": { user_ids: [alice.user_id] } },
  })).event_id;
  const s = await sync(alice);
  const counts = s.rooms.join[roomId].unread_notifications;
  assert.ok(counts, "unread_notifications present");
  assert.equal(counts.notification_count, 3, `3 notifying messages: ${JSON.stringify(counts)}`);
  assert.equal(counts.highlight_count, 1, `the mention highlights: ${JSON.stringify(counts)}`);
  // Alice's own messages do not count.
  await sendText(alice, roomId, "mine");
  ok(await api(server.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(mention)}`, { token: alice.access_token, body: {} }));
  const after = await syncUntil(alice, (x) => x.rooms?.join?.[roomId]?.unread_notifications?.notification_count === 0, { since: s.next_batch });
  assert.equal(after.rooms.join[roomId].unread_notifications.highlight_count, 0);
});

test("room summary: m.joined_member_count, m.invited_member_count and m.heroes", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  await invite(alice, roomId, carol.user_id);
  const s = await sync(alice);
  const summary = s.rooms.join[roomId].summary;
  assert.ok(summary, "summary present for an unnamed room");
  assert.equal(summary["m.joined_member_count"], 2);
  assert.equal(summary["m.invited_member_count"], 1);
  // Heroes: the other members (not the syncing user), for a room without name or alias.
  assert.ok(Array.isArray(summary["m.heroes"]), JSON.stringify(summary));
  assert.ok(!summary["m.heroes"].includes(alice.user_id), "the syncing user is not a hero");
  assert.ok(summary["m.heroes"].includes(bob.user_id), `bob is a hero: ${JSON.stringify(summary)}`);
});

test("filters: timeline not_senders, state types and account_data types", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat", name: "Fields" });
  await joinRoom(bob, roomId);
  await sendText(alice, roomId, "from alice");
  await sendText(bob, roomId, "from bob");
  // (event_fields is not tested: sync_filter.yaml lets a server include more fields than requested.)
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.keep`, { token: alice.access_token, body: { k: 1 } }));
  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.drop`, { token: alice.access_token, body: { d: 1 } }));

  const notBob = await sync(alice, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { not_senders: [bob.user_id], limit: 50 } } }) });
  const tl = timeline(notBob, roomId);
  assert.ok(tl.length > 0);
  assert.ok(tl.every((e) => e.sender !== bob.user_id), "not_senders excludes bob");

  const stateTypes = await sync(alice, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1 }, state: { types: ["m.room.name"] } } }) });
  const stateEvents = stateTypes.rooms.join[roomId].state.events;
  assert.ok(stateEvents.length >= 1);
  assert.ok(stateEvents.every((e) => e.type === "m.room.name"), `state types: ${stateEvents.map((e) => e.type)}`);

  const ad = await sync(alice, { filter: JSON.stringify({ account_data: { types: ["org.example.keep"] } }) });
  const adTypes = (ad.account_data?.events || []).map((e) => e.type);
  assert.deepEqual(adTypes, ["org.example.keep"]);
});
