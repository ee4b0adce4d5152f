// Membership: joining.yaml, inviting.yaml, leaving.yaml, kicking.yaml, banning.yaml,
// list_joined_rooms.yaml, rooms.yaml (/members, /joined_members).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  startServer, api, ok, expectStatus, registerUser, createRoom, joinRoom, invite, sendText, uniqueName, enc, sync,
} from "../lib/server.mjs";

let server;
let alice;
before(async () => {
  server = await startServer();
  alice = await registerUser(server.baseUrl);
});
after(async () => {
  await server?.stop();
});

const v3 = (p) => `/_matrix/client/v3${p}`;
const roomPath = (roomId, rest) => v3(`/rooms/${enc(roomId)}${rest}`);
const membership = async (viewer, roomId, userId) =>
  ok(await api(server.baseUrl, "GET", roomPath(roomId, `/state/m.room.member/${enc(userId)}`), { token: viewer.access_token })).membership;
const joinedRooms = async (user) => ok(await api(server.baseUrl, "GET", v3("/joined_rooms"), { token: user.access_token })).joined_rooms;

test("join by room id (POST /rooms/{roomId}/join) and by alias (POST /join/{alias})", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const local = uniqueName("joinme");
  const roomId = await createRoom(alice, { preset: "public_chat", room_alias_name: local });

  const res = ok(await api(server.baseUrl, "POST", roomPath(roomId, "/join"), { token: bob.access_token, body: {} }));
  assert.equal(res.room_id, roomId);
  assert.equal(await membership(alice, roomId, bob.user_id), "join");

  const viaAlias = ok(await api(server.baseUrl, "POST", v3(`/join/${enc(`#${local}:localhost`)}`), { token: carol.access_token, body: {} }));
  assert.equal(viaAlias.room_id, roomId);
  assert.equal(await membership(alice, roomId, carol.user_id), "join");

  // Joining twice is idempotent.
  assert.equal(ok(await api(server.baseUrl, "POST", v3(`/join/${enc(roomId)}`), { token: carol.access_token, body: {} })).room_id, roomId);
  assert.ok((await joinedRooms(bob)).includes(roomId));
});

test("joining an unknown alias is 404 M_NOT_FOUND; an unknown room is 403 or 404", async () => {
  const bob = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "POST", v3(`/join/${enc("#no-such-alias-here:localhost")}`), { token: bob.access_token, body: {} }), 404, "M_NOT_FOUND");
  const res = await api(server.baseUrl, "POST", v3(`/join/${enc("!doesnotexist:localhost")}`), { token: bob.access_token, body: {} });
  assert.ok(res.status === 403 || res.status === 404, `status ${res.status}: ${res.text}`);
});

test("invite lets a user join an invite-only room; uninvited users get 403", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "private_chat" });
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/join"), { token: bob.access_token, body: {} }), 403, "M_FORBIDDEN");
  const inv = await api(server.baseUrl, "POST", roomPath(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id, reason: "welcome" } });
  assert.deepEqual(ok(inv), {});
  const member = ok(await api(server.baseUrl, "GET", roomPath(roomId, `/state/m.room.member/${enc(bob.user_id)}`), { token: alice.access_token }));
  assert.equal(member.membership, "invite");
  assert.equal(member.reason, "welcome");
  await joinRoom(bob, roomId);
  assert.equal(await membership(alice, roomId, bob.user_id), "join");
  // A non-member cannot invite.
  const dave = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/invite"), { token: carol.access_token, body: { user_id: dave.user_id } }), 403, "M_FORBIDDEN");
  // Inviting someone already joined is refused.
  const again = await api(server.baseUrl, "POST", roomPath(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } });
  assert.ok(again.status === 400 || again.status === 403, `invite of a joined member: ${again.status} ${again.text}`);
});

test("an invitee can reject the invite with /leave", async () => {
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "private_chat", invite: [bob.user_id] });
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: bob.access_token, body: {} }));
  assert.equal(await membership(alice, roomId, bob.user_id), "leave");
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/join"), { token: bob.access_token, body: {} }), 403, "M_FORBIDDEN");
});

test("leave: membership leave, room gone from joined_rooms, no new events visible, old history still readable", async () => {
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const before = await sendText(alice, roomId, "before bob leaves");
  const res = await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: bob.access_token, body: { reason: "bye" } });
  assert.deepEqual(ok(res), {});
  assert.equal(await membership(alice, roomId, bob.user_id), "leave");
  assert.ok(!(await joinedRooms(bob)).includes(roomId));
  const after = await sendText(alice, roomId, "after bob left");

  const caps = ok(await api(server.baseUrl, "GET", v3("/capabilities"), { token: bob.access_token })).capabilities;
  if (caps["m.forget_forced_upon_leave"]?.enabled !== true) {
    const seen = ok(await api(server.baseUrl, "GET", roomPath(roomId, `/event/${enc(before)}`), { token: bob.access_token }));
    assert.equal(seen.content.body, "before bob leaves");
  }
  const notSeen = await api(server.baseUrl, "GET", roomPath(roomId, `/event/${enc(after)}`), { token: bob.access_token });
  assert.ok(notSeen.status === 404 || notSeen.status === 403, `an event after leaving must not be visible: ${notSeen.status} ${notSeen.text}`);
  const messages = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/messages"), { token: bob.access_token, query: { dir: "b", limit: 20 } }));
  assert.ok(!messages.chunk.some((e) => e.event_id === after), "/messages does not show events after the leave");
});

test("forget: refused while joined (400 M_UNKNOWN); after leave+forget the history is gone", async () => {
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  const eventId = await sendText(alice, roomId, "something to forget");
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/forget"), { token: bob.access_token, body: {} }), 400, "M_UNKNOWN");
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: bob.access_token, body: {} }));
  const res = await api(server.baseUrl, "POST", roomPath(roomId, "/forget"), { token: bob.access_token, body: {} });
  assert.deepEqual(ok(res), {});
  const read = await api(server.baseUrl, "GET", roomPath(roomId, `/event/${enc(eventId)}`), { token: bob.access_token });
  assert.ok(read.status === 403 || read.status === 404, `history is not retrievable after forget: ${read.status} ${read.text}`);
  // A forgotten room is not in the leave section of an initial sync that includes left rooms.
  const s = await sync(bob, { filter: JSON.stringify({ room: { include_leave: true } }) });
  assert.equal(s.rooms?.leave?.[roomId], undefined, "forgotten room not in rooms.leave");
  // Bob can still rejoin the public room.
  await joinRoom(bob, roomId);
});

test("kick: target's membership becomes leave with the reason; needs power", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  await joinRoom(carol, roomId);
  // Bob (power 0) cannot kick.
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/kick"), { token: bob.access_token, body: { user_id: carol.user_id } }), 403, "M_FORBIDDEN");
  assert.equal(await membership(alice, roomId, carol.user_id), "join");
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/kick"), { token: alice.access_token, body: { user_id: bob.user_id, reason: "Telling unfunny jokes" } }));
  const state = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/state"), { token: alice.access_token }));
  const ev = state.find((e) => e.type === "m.room.member" && e.state_key === bob.user_id);
  assert.equal(ev.content.membership, "leave");
  assert.equal(ev.content.reason, "Telling unfunny jokes");
  assert.equal(ev.sender, alice.user_id);
  assert.ok(!(await joinedRooms(bob)).includes(roomId));
  // A kicked user may rejoin a public room.
  await joinRoom(bob, roomId);
});

test("ban: banned user cannot join (403 M_FORBIDDEN) nor be invited; unban allows joining again", async () => {
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/ban"), { token: alice.access_token, body: { user_id: bob.user_id, reason: "spam" } }));
  const member = ok(await api(server.baseUrl, "GET", roomPath(roomId, `/state/m.room.member/${enc(bob.user_id)}`), { token: alice.access_token }));
  assert.equal(member.membership, "ban");
  assert.equal(member.reason, "spam");
  assert.ok(!(await joinedRooms(bob)).includes(roomId), "ban kicks");
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/join"), { token: bob.access_token, body: {} }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "POST", v3(`/join/${enc(roomId)}`), { token: bob.access_token, body: {} }), 403, "M_FORBIDDEN");
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/invite"), { token: alice.access_token, body: { user_id: bob.user_id } }), 403, "M_FORBIDDEN");

  // Unbanning needs power too.
  const carol = await registerUser(server.baseUrl);
  await joinRoom(carol, roomId);
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/unban"), { token: carol.access_token, body: { user_id: bob.user_id } }), 403, "M_FORBIDDEN");
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/unban"), { token: alice.access_token, body: { user_id: bob.user_id, reason: "second chance" } }));
  assert.equal(await membership(alice, roomId, bob.user_id), "leave");
  await joinRoom(bob, roomId);
  assert.equal(await membership(alice, roomId, bob.user_id), "join");
});

test("a user who was never in the room can be banned pre-emptively", async () => {
  const bob = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/ban"), { token: alice.access_token, body: { user_id: bob.user_id } }));
  expectStatus(await api(server.baseUrl, "POST", roomPath(roomId, "/join"), { token: bob.access_token, body: {} }), 403, "M_FORBIDDEN");
});

test("GET /joined_rooms lists exactly the joined rooms", async () => {
  const bob = await registerUser(server.baseUrl);
  assert.deepEqual(await joinedRooms(bob), []);
  const r1 = await createRoom(bob, {});
  const r2 = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, r2);
  const r3 = await createRoom(alice, { invite: [bob.user_id] });
  assert.deepEqual((await joinedRooms(bob)).sort(), [r1, r2].sort(), "invited room r3 is not joined");
  ok(await api(server.baseUrl, "POST", roomPath(r1, "/leave"), { token: bob.access_token, body: {} }));
  assert.deepEqual(await joinedRooms(bob), [r2]);
  assert.ok(r3);
});

test("GET /joined_members maps joined users to display_name/avatar_url; non-members 403", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  ok(await api(server.baseUrl, "PUT", v3(`/profile/${enc(bob.user_id)}/displayname`), { token: bob.access_token, body: { displayname: "Bobby" } }));
  const roomId = await createRoom(alice, { preset: "public_chat", invite: [carol.user_id] });
  await joinRoom(bob, roomId);
  const res = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/joined_members"), { token: bob.access_token }));
  assert.deepEqual(Object.keys(res.joined).sort(), [alice.user_id, bob.user_id].sort(), "invited carol is not joined");
  assert.equal(res.joined[bob.user_id].display_name, "Bobby");
  const dave = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", roomPath(roomId, "/joined_members"), { token: dave.access_token }), 403, "M_FORBIDDEN");
});

test("GET /members with membership / not_membership filters", async () => {
  const [bob, carol, dave, erin] = await Promise.all([1, 2, 3, 4].map(() => registerUser(server.baseUrl)));
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId); // join
  await invite(alice, roomId, carol.user_id); // invite
  await joinRoom(dave, roomId);
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: dave.access_token, body: {} })); // leave
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/ban"), { token: alice.access_token, body: { user_id: erin.user_id } })); // ban

  const members = async (query) => {
    const res = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/members"), { token: alice.access_token, query }));
    for (const ev of res.chunk) {
      assert.equal(ev.type, "m.room.member");
      assert.equal(typeof ev.event_id, "string");
      assert.equal(ev.room_id, roomId);
    }
    return Object.fromEntries(res.chunk.map((e) => [e.state_key, e.content.membership]));
  };
  const all = await members({});
  assert.deepEqual(all, {
    [alice.user_id]: "join", [bob.user_id]: "join", [carol.user_id]: "invite", [dave.user_id]: "leave", [erin.user_id]: "ban",
  });
  assert.deepEqual(Object.keys(await members({ membership: "join" })).sort(), [alice.user_id, bob.user_id].sort());
  assert.deepEqual(Object.keys(await members({ membership: "invite" })), [carol.user_id]);
  assert.deepEqual(Object.keys(await members({ not_membership: "leave" })).sort(), [alice.user_id, bob.user_id, carol.user_id, erin.user_id].sort());
  // Both: "either the membership is `membership` or is not `not_membership`".
  assert.deepEqual(Object.keys(await members({ membership: "leave", not_membership: "join" })).sort(), [carol.user_id, dave.user_id, erin.user_id].sort());
});

test("GET /members?at=<prev_batch> returns the membership at that point", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  await sendText(alice, roomId, "marker");
  const s = await sync(alice, { filter: JSON.stringify({ room: { rooms: [roomId], timeline: { limit: 1 } } }) });
  const room = s.rooms.join[roomId];
  assert.equal(room.timeline.events.at(-1).content.body, "marker");
  const at = room.timeline.prev_batch;
  assert.equal(typeof at, "string", "prev_batch present with a limited timeline");

  await joinRoom(carol, roomId);
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: bob.access_token, body: {} }));

  const now = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/members"), { token: alice.access_token }));
  const nowMap = Object.fromEntries(now.chunk.map((e) => [e.state_key, e.content.membership]));
  assert.equal(nowMap[carol.user_id], "join");
  assert.equal(nowMap[bob.user_id], "leave");

  const then = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/members"), { token: alice.access_token, query: { at } }));
  const thenMap = Object.fromEntries(then.chunk.map((e) => [e.state_key, e.content.membership]));
  assert.equal(thenMap[bob.user_id], "join", `bob was joined at the token: ${JSON.stringify(thenMap)}`);
  assert.equal(thenMap[carol.user_id], undefined, `carol had not joined yet: ${JSON.stringify(thenMap)}`);
  assert.equal(thenMap[alice.user_id], "join");
});

test("GET /members for a user who left shows the members as of the leave", async () => {
  const bob = await registerUser(server.baseUrl);
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { preset: "public_chat" });
  await joinRoom(bob, roomId);
  ok(await api(server.baseUrl, "POST", roomPath(roomId, "/leave"), { token: bob.access_token, body: {} }));
  await joinRoom(carol, roomId);
  const res = ok(await api(server.baseUrl, "GET", roomPath(roomId, "/members"), { token: bob.access_token }));
  const map = Object.fromEntries(res.chunk.map((e) => [e.state_key, e.content.membership]));
  assert.equal(map[bob.user_id], "leave");
  assert.equal(map[carol.user_id], undefined, "carol joined after bob left");
  const stranger = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", roomPath(roomId, "/members"), { token: stranger.access_token }), 403, "M_FORBIDDEN");
});
