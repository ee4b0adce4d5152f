// Federation seen by matrix-js-sdk clients: three Domovoy processes (spb.localhost:PORT,
// msk.localhost:PORT, omsk.localhost:PORT) federating over TLS on loopback (lib/federation.mjs),
// each driven by SDK clients over its plain-HTTP client listener. What is asserted is what the
// clients see through their own sync (startClient), as the Python suite does with matrix-nio
// (spec-tests/python/tests/test_federation_rooms.py, test_federation_queries.py).
//
// Client-server spec (v1.19): joining.yaml (POST /join/{roomIdOrAlias} with `via`), inviting.yaml,
// leaving.yaml, typing.yaml, receipts.yaml, profile.yaml, directory.yaml; server-server spec:
// "Joining Rooms", "Inviting to a room", "Leaving Rooms", "Transactions", "EDUs", "Querying for
// information". The closed federation: spb federates with msk and omsk, msk and omsk only with
// spb (as spec-tests/python/tests/federation_net.py).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, enc, loadSdk, uniqueName } from "../lib/server.mjs";
import { startFederation, startSdkUser, until } from "../lib/federation.mjs";

let federation;
let sdk;
const clients = [];

before(async () => {
  sdk = await loadSdk();
  // Besides spb asking msk for keys (as in the Python suite), msk and omsk ask spb: they do not
  // federate, so in a room they share (the three-server test) each can verify the other's
  // signatures only with keys spb vouches for (server-server "Querying Keys Through Another
  // Server"). It changes nothing for the allow lists.
  federation = await startFederation({ trustedKeyServers: { spb: ["msk"], msk: ["spb"], omsk: ["spb"] } });
});

after(async () => {
  for (const client of clients) client.stopClient();
  await federation?.stop();
});

// Cross-server delivery goes through three processes sharing two cores: generous deadlines, but
// every wait polls what the client has seen and ends as soon as it is there.
const WAIT = { timeoutMs: 45000 };

async function userOn(region, options = {}) {
  const started = await startSdkUser(federation.servers[region], options);
  clients.push(started.client);
  return started;
}

const nameOf = (region) => federation.names[region];

/** The SDK's live timeline of a room (empty when the client does not have the room). */
function timeline(client, roomId) {
  return client.getRoom(roomId)?.getLiveTimeline().getEvents() ?? [];
}

/** Waits until `who`'s client has an m.room.message with this body in the room's timeline. */
function messageSeen(who, roomId, body, what) {
  return until(() => timeline(who.client, roomId).find((e) => e.getType() === "m.room.message" && e.getContent().body === body),
    what ?? `"${body}" at ${who.user.user_id}`, WAIT);
}

/** The membership of userId in the room, as `who`'s client knows it (current state). */
function membershipAt(who, roomId, userId) {
  return who.client.getRoom(roomId)?.currentState.getMember(userId)?.membership;
}

function membershipSeen(who, roomId, userId, membership) {
  return until(() => membershipAt(who, roomId, userId) === membership,
    `${userId} ${membership} in ${roomId} at ${who.user.user_id} (now ${membershipAt(who, roomId, userId)})`, WAIT);
}

/** Raw client-server call with the user's token; returns { status, body, text }. */
function call(who, method, path, body, query) {
  return api(who.user.baseUrl, method, path, { token: who.user.access_token, body, query });
}

/** A room of `owner` that anyone may join (join_rules public set after creation, as in Python). */
async function publicRoom(owner, options = {}) {
  const { room_id: roomId } = await owner.client.createRoom({ preset: "private_chat", ...options });
  await owner.client.sendStateEvent(roomId, "m.room.join_rules", { join_rule: "public" }, "");
  return roomId;
}

/** The matrix-js-sdk error of a rejected call: { httpStatus, errcode }. */
async function failure(promise) {
  try {
    const value = await promise;
    return { httpStatus: 200, errcode: undefined, value };
  } catch (error) {
    return { httpStatus: error.httpStatus, errcode: error.errcode, message: error.message };
  }
}

test("join a room of another server by its alias; messages both ways and a topic change arrive through sync", async () => {
  const alice = await userOn("msk", { displayName: "Алиса" });
  const bob = await userOn("spb", { displayName: "Борис" });
  const local = uniqueName("yard");
  const roomId = await publicRoom(alice, { room_alias_name: local, name: "Двор" });
  const alias = `#${local}:${nameOf("msk")}`;

  const joined = await bob.client.joinRoom(alias);
  assert.equal(joined.roomId, roomId, "the alias of msk resolved to alice's room");

  // spb now has the room: its name and both members, in bob's client.
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "join", "bob joined at spb", WAIT);
  await until(() => bob.client.getRoom(roomId)?.name === "Двор", "the room name at spb", WAIT);
  await membershipSeen(bob, roomId, alice.user.user_id, "join");
  assert.equal(bob.client.getRoom(roomId).getMember(alice.user.user_id).name, "Алиса", "alice's display name came with the room state");
  // msk sees bob join.
  await membershipSeen(alice, roomId, bob.user.user_id, "join");

  // spb -> msk.
  const fromSpb = await bob.client.sendTextMessage(roomId, "Привет из Питера");
  const atMsk = await messageSeen(alice, roomId, "Привет из Питера", "bob's message at msk");
  assert.equal(atMsk.getId(), fromSpb.event_id);
  assert.equal(atMsk.getSender(), bob.user.user_id);
  // msk -> spb.
  const fromMsk = await alice.client.sendTextMessage(roomId, "Привет из Москвы");
  const atSpb = await messageSeen(bob, roomId, "Привет из Москвы", "alice's message at spb");
  assert.equal(atSpb.getId(), fromMsk.event_id);
  assert.equal(atSpb.getSender(), alice.user.user_id);

  // A state change on msk reaches spb: in the timeline and in the room's current state.
  const topic = await alice.client.setRoomTopic(roomId, "Уборка в субботу");
  const topicAtSpb = await until(() => timeline(bob.client, roomId).find((e) => e.getType() === "m.room.topic" && e.getId() === topic.event_id),
    "the topic event at spb", WAIT);
  assert.equal(topicAtSpb.getContent().topic, "Уборка в субботу");
  assert.equal(bob.client.getRoom(roomId).currentState.getStateEvents("m.room.topic", "")?.getContent().topic, "Уборка в субботу");
  // spb's server has it as state too (not only in the client's model).
  const state = await call(bob, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.topic/`);
  assert.equal(state.status, 200, state.text);
  assert.equal(state.body.topic, "Уборка в субботу");
  // Both timelines hold the two messages in the same order.
  const bodies = (who) => timeline(who.client, roomId).filter((e) => e.getType() === "m.room.message").map((e) => e.getContent().body);
  assert.deepEqual(bodies(alice), ["Привет из Питера", "Привет из Москвы"]);
  assert.deepEqual(bodies(bob), ["Привет из Питера", "Привет из Москвы"]);
});

test("join a room of another server by its id with via / server_name; an invite-only room refuses", async () => {
  const alice = await userOn("msk");
  const roomId = await publicRoom(alice, { name: "Подъезд 2" });

  // matrix-js-sdk's viaServers (it sends both `via` and the legacy `server_name`).
  const bob = await userOn("spb");
  const joined = await bob.client.joinRoom(roomId, { viaServers: [nameOf("msk")] });
  assert.equal(joined.roomId, roomId);
  // The legacy ?server_name= alone, and ?via= alone (joining.yaml, v1.12).
  const carol = await userOn("spb");
  const byServerName = await call(carol, "POST", `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(nameOf("msk"))}`, {});
  assert.equal(byServerName.status, 200, byServerName.text);
  assert.equal(byServerName.body.room_id, roomId);
  const dave = await userOn("spb");
  const byVia = await call(dave, "POST", `/_matrix/client/v3/join/${enc(roomId)}?via=${enc(nameOf("msk"))}`, {});
  assert.equal(byVia.status, 200, byVia.text);
  assert.equal(byVia.body.room_id, roomId);

  const everyone = [alice, bob, carol, dave].map((who) => who.user.user_id).sort();
  const joinedAt = (who) => (who.client.getRoom(roomId)?.getJoinedMembers() ?? []).map((m) => m.userId).sort();
  await until(() => JSON.stringify(joinedAt(alice)) === JSON.stringify(everyone), `all four joined at msk (now ${joinedAt(alice)})`, WAIT);
  await until(() => JSON.stringify(joinedAt(dave)) === JSON.stringify(everyone), `all four joined at spb (now ${joinedAt(dave)})`, WAIT);
  const members = await call(carol, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
  assert.equal(members.status, 200, members.text);
  assert.deepEqual(Object.keys(members.body.joined).sort(), everyone);

  // An invite-only room of msk: the join is refused and nothing of the room stays on spb.
  const { room_id: closed } = await alice.client.createRoom({ preset: "private_chat", name: "Совет дома" });
  const refused = await failure(bob.client.joinRoom(closed, { viaServers: [nameOf("msk")] }));
  assert.deepEqual([refused.httpStatus, refused.errcode], [403, "M_FORBIDDEN"], refused.message);
  const joinedRooms = await bob.client.getJoinedRooms();
  assert.ok(joinedRooms.joined_rooms.includes(roomId));
  assert.ok(!joinedRooms.joined_rooms.includes(closed), "the refused room is not among bob's rooms");
});

test("typing notifications and read receipts cross servers both ways", async () => {
  const alice = await userOn("msk");
  const bob = await userOn("spb");
  const roomId = await publicRoom(alice, { name: "Чат подъезда" });
  await bob.client.joinRoom(roomId, { viaServers: [nameOf("msk")] });
  await membershipSeen(alice, roomId, bob.user.user_id, "join");
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "join", "bob's room at spb", WAIT);

  const typingEvents = (who) => who.seen.filter((e) => e.roomId === roomId && e.type === "m.typing");
  const typingAt = (who, userId) => who.client.getRoom(roomId)?.getMember(userId)?.typing;

  // spb -> msk: bob types, alice's client shows it; bob stops, it clears.
  assert.equal(typingAt(alice, bob.user.user_id), false);
  await bob.client.sendTyping(roomId, true, 30000);
  await until(() => typingAt(alice, bob.user.user_id) === true &&
    typingEvents(alice).some((e) => e.content.user_ids.includes(bob.user.user_id)), "bob typing at msk (an m.typing naming him)", WAIT);
  await bob.client.sendTyping(roomId, false);
  await until(() => typingAt(alice, bob.user.user_id) === false && typingEvents(alice).at(-1).content.user_ids.length === 0,
    "bob stopped typing at msk (an m.typing without him)", WAIT);
  // msk -> spb.
  await alice.client.sendTyping(roomId, true, 30000);
  await until(() => typingAt(bob, alice.user.user_id) === true &&
    typingEvents(bob).some((e) => e.content.user_ids.includes(alice.user.user_id)), "alice typing at spb", WAIT);

  // Read receipts: alice reads bob's message, bob's client sees the m.read; and back.
  const receiptOf = (who, eventId, userId) => who.seen.find((e) => e.roomId === roomId && e.type === "m.receipt" &&
    e.content[eventId]?.["m.read"]?.[userId]);
  const sent = await bob.client.sendTextMessage(roomId, "Кто взял ключ от крыши?");
  const atAlice = await messageSeen(alice, roomId, "Кто взял ключ от крыши?");
  assert.equal(receiptOf(bob, sent.event_id, alice.user.user_id), undefined, "no receipt of alice before she reads");
  await alice.client.sendReadReceipt(atAlice, sdk.ReceiptType.Read);
  const receipt = await until(() => receiptOf(bob, sent.event_id, alice.user.user_id), "alice's m.read at spb", WAIT);
  assert.equal(typeof receipt.content[sent.event_id]["m.read"][alice.user.user_id].ts, "number");
  assert.equal(bob.client.getRoom(roomId).getEventReadUpTo(alice.user.user_id, true), sent.event_id);

  const reply = await alice.client.sendTextMessage(roomId, "Я взяла, верну вечером");
  const atBob = await messageSeen(bob, roomId, "Я взяла, верну вечером");
  await bob.client.sendReadReceipt(atBob, sdk.ReceiptType.Read);
  await until(() => receiptOf(alice, reply.event_id, bob.user.user_id), "bob's m.read at msk", WAIT);
  assert.equal(alice.client.getRoom(roomId).getEventReadUpTo(bob.user.user_id, true), reply.event_id);
});

test("an invite across servers: the invitee's client sees it and joins through the inviter's server", async () => {
  const alice = await userOn("msk");
  const bob = await userOn("spb");
  // Invite only (private_chat).
  const { room_id: roomId } = await alice.client.createRoom({ preset: "private_chat", name: "Совет дома" });
  await alice.client.invite(roomId, bob.user.user_id);

  // Bob's client has the invite, from alice, with the room's stripped state.
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "invite", "the invite at spb", WAIT);
  const invited = bob.client.getRoom(roomId);
  assert.equal(invited.getMember(bob.user.user_id).events.member.getSender(), alice.user.user_id);
  assert.equal(invited.name, "Совет дома", "the stripped state names the room");
  await membershipSeen(alice, roomId, bob.user.user_id, "invite");

  // He joins without via: the inviter's server is the way in.
  const joined = await bob.client.joinRoom(roomId);
  assert.equal(joined.roomId, roomId);
  await membershipSeen(alice, roomId, bob.user.user_id, "join");
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "join", "bob joined at spb", WAIT);
  const sent = await bob.client.sendTextMessage(roomId, "Спасибо за приглашение");
  const atAlice = await messageSeen(alice, roomId, "Спасибо за приглашение");
  assert.equal(atAlice.getId(), sent.event_id);
});

test("an invite across servers refused (leave): msk sees the leave, the invitee's sync shows it", async () => {
  const alice = await userOn("msk");
  const carol = await userOn("spb");
  const { room_id: lift } = await alice.client.createRoom({ preset: "private_chat", name: "Ремонт лифта" });
  await alice.client.invite(lift, carol.user.user_id);
  await until(() => carol.client.getRoom(lift)?.getMyMembership() === "invite", "the invite at spb", WAIT);
  const before = await call(carol, "GET", "/_matrix/client/v3/sync", undefined, { timeout: 0 });
  assert.ok(before.body.rooms?.invite?.[lift], "the invite is in carol's sync before she refuses it");

  await carol.client.leave(lift);
  // The inviter's server has the leave (through make_leave / send_leave).
  await membershipSeen(alice, lift, carol.user.user_id, "leave");
  const member = await call(alice, "GET", `/_matrix/client/v3/rooms/${enc(lift)}/state/m.room.member/${enc(carol.user.user_id)}`);
  assert.equal(member.status, 200, member.text);
  assert.equal(member.body.membership, "leave");
  // A fresh initial sync on spb lists no invite any more.
  const fresh = await call(carol, "GET", "/_matrix/client/v3/sync", undefined, { timeout: 0 });
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal(fresh.body.rooms?.invite?.[lift], undefined, "no invite left in a fresh initial sync");

  // The incremental sync from before the refusal has the room under `leave`, its timeline
  // holding carol's leave (sync.yaml, Left Room: "The timeline of messages and state changes in
  // the room up to the point when the user left"), as for an invite of this server's own rooms.
  const after = await call(carol, "GET", "/_matrix/client/v3/sync", undefined, { since: before.body.next_batch, timeout: 0 });
  assert.equal(after.status, 200, after.text);
  const left = after.body.rooms?.leave?.[lift];
  assert.ok(left, `the refused room is under rooms.leave: ${after.text}`);
  const leaveEvent = (left.timeline?.events ?? []).find((e) => e.type === "m.room.member" && e.state_key === carol.user.user_id);
  assert.equal(leaveEvent?.content?.membership, "leave", `carol's leave in the left room's timeline: ${JSON.stringify(left)}`);
  // So matrix-js-sdk, which takes the membership from that event, drops the invite.
  await until(() => carol.client.getRoom(lift)?.getMyMembership() !== "invite",
    `the refused invite gone from carol's client (still ${carol.client.getRoom(lift)?.getMyMembership()})`, WAIT);
});

test("profile and alias queries of another server; a server outside the federation is refused (403)", async () => {
  const alice = await userOn("msk", { displayName: "Алиса из Москвы" });
  const bob = await userOn("spb", { displayName: "Борис" });
  const local = uniqueName("hall");
  const { room_id: roomId } = await alice.client.createRoom({ room_alias_name: local, name: "Холл" });
  const alias = `#${local}:${nameOf("msk")}`;

  // spb asks msk.
  const profile = await bob.client.getProfileInfo(alice.user.user_id);
  assert.equal(profile.displayname, "Алиса из Москвы");
  const nobody = `@${uniqueName("nobody")}:${nameOf("msk")}`;
  const missingProfile = await failure(bob.client.getProfileInfo(nobody));
  assert.deepEqual([missingProfile.httpStatus, missingProfile.errcode], [404, "M_NOT_FOUND"], missingProfile.message);
  const resolved = await bob.client.getRoomIdForAlias(alias);
  assert.equal(resolved.room_id, roomId);
  assert.ok(resolved.servers.includes(nameOf("msk")), `servers ${JSON.stringify(resolved.servers)} name msk`);
  const missingAlias = await failure(bob.client.getRoomIdForAlias(`#no-such-${local}:${nameOf("msk")}`));
  assert.deepEqual([missingAlias.httpStatus, missingAlias.errcode], [404, "M_NOT_FOUND"], missingAlias.message);

  // omsk does not federate with msk: its server refuses to ask.
  const carol = await userOn("omsk");
  const refusedProfile = await failure(carol.client.getProfileInfo(alice.user.user_id));
  assert.deepEqual([refusedProfile.httpStatus, refusedProfile.errcode], [403, "M_FORBIDDEN"], refusedProfile.message);
  const refusedAlias = await failure(carol.client.getRoomIdForAlias(alias));
  assert.deepEqual([refusedAlias.httpStatus, refusedAlias.errcode], [403, "M_FORBIDDEN"], refusedAlias.message);
  // ... but it does federate with spb.
  const spbProfile = await carol.client.getProfileInfo(bob.user.user_id);
  assert.equal(spbProfile.displayname, "Борис");
});

test("a user of spb leaves a room of msk; msk's client sees the leave", async () => {
  const alice = await userOn("msk");
  const bob = await userOn("spb");
  const roomId = await publicRoom(alice, { name: "Общий чат" });
  await bob.client.joinRoom(roomId, { viaServers: [nameOf("msk")] });
  await membershipSeen(alice, roomId, bob.user.user_id, "join");
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "join", "bob joined at spb", WAIT);

  await bob.client.leave(roomId);
  const leave = await until(() => timeline(alice.client, roomId).find((e) => e.getType() === "m.room.member" &&
    e.getStateKey() === bob.user.user_id && e.getContent().membership === "leave"), "bob's leave in alice's timeline", WAIT);
  assert.equal(leave.getSender(), bob.user.user_id);
  assert.equal(membershipAt(alice, roomId, bob.user.user_id), "leave");
  assert.deepEqual(alice.client.getRoom(roomId).getJoinedMembers().map((m) => m.userId), [alice.user.user_id]);
  await until(() => bob.client.getRoom(roomId)?.getMyMembership() === "leave", "bob's own client shows the leave", WAIT);
  const joinedRooms = await bob.client.getJoinedRooms();
  assert.ok(!joinedRooms.joined_rooms.includes(roomId));
});

/** A public room of spb with a user of msk and one of omsk joined through spb. */
async function threeServerRoom(name) {
  const sasha = await userOn("spb");
  const alice = await userOn("msk");
  const carol = await userOn("omsk");
  const roomId = await publicRoom(sasha, { name });
  await alice.client.joinRoom(roomId, { viaServers: [nameOf("spb")] });
  await carol.client.joinRoom(roomId, { viaServers: [nameOf("spb")] });
  // spb, the room's server, has all three; each joiner's client has the room.
  const everyone = [sasha, alice, carol].map((who) => who.user.user_id).sort();
  const joinedAt = (who) => (who.client.getRoom(roomId)?.getJoinedMembers() ?? []).map((m) => m.userId).sort();
  await until(() => JSON.stringify(joinedAt(sasha)) === JSON.stringify(everyone), `all three joined at spb (now ${joinedAt(sasha)})`, WAIT);
  await membershipSeen(alice, roomId, sasha.user.user_id, "join");
  await membershipSeen(carol, roomId, alice.user.user_id, "join");
  return { sasha, alice, carol, roomId, everyone, joinedAt };
}

test("three servers in one room of spb: omsk's and msk's messages reach each other's clients through spb", async () => {
  const { sasha, alice, carol, roomId, everyone, joinedAt } = await threeServerRoom("Три города");

  // spb's own message reaches both.
  await sasha.client.sendTextMessage(roomId, "Привет обоим");
  await messageSeen(alice, roomId, "Привет обоим");
  await messageSeen(carol, roomId, "Привет обоим");

  // omsk's message reaches spb. omsk does not send to msk (not on its list) and spb forwards only
  // the events it originates (and the joins and leaves it took in): msk gets omsk's message as
  // the missing prev event of spb's next one (get_missing_events), with omsk's key through its
  // notary, and shows it to alice.
  const fromOmsk = await carol.client.sendTextMessage(roomId, "Привет из Омска");
  await messageSeen(sasha, roomId, "Привет из Омска", "carol's message at spb");
  const reply = await sasha.client.sendTextMessage(roomId, "Омск на связи");
  await messageSeen(alice, roomId, "Омск на связи", "spb's reply at msk");
  const atMsk = await messageSeen(alice, roomId, "Привет из Омска", "carol's message at msk");
  assert.equal(atMsk.getId(), fromOmsk.event_id);
  assert.equal(atMsk.getSender(), carol.user.user_id);
  const bodiesAtMsk = timeline(alice.client, roomId).filter((e) => e.getType() === "m.room.message").map((e) => e.getId());
  assert.ok(bodiesAtMsk.indexOf(fromOmsk.event_id) < bodiesAtMsk.indexOf(reply.event_id), "omsk's message before spb's reply at msk");
  await until(() => JSON.stringify(joinedAt(alice)) === JSON.stringify(everyone), `all three joined at msk (now ${joinedAt(alice)})`, WAIT);

  // And msk's message reaches omsk the same way.
  const fromMsk = await alice.client.sendTextMessage(roomId, "Привет из Москвы");
  await messageSeen(sasha, roomId, "Привет из Москвы", "alice's message at spb");
  await sasha.client.sendTextMessage(roomId, "Москва тоже");
  await messageSeen(carol, roomId, "Москва тоже", "spb's second reply at omsk");
  const atOmsk = await messageSeen(carol, roomId, "Привет из Москвы", "alice's message at omsk");
  assert.equal(atOmsk.getId(), fromMsk.event_id);
  assert.equal(atOmsk.getSender(), alice.user.user_id);
});

test("three servers in one room of spb: the join of omsk that spb relays reaches msk's client", async () => {
  const { alice, carol, roomId } = await threeServerRoom("Три города, вход");
  // joins-v2.yaml (send_join): the resident server sends the join to the room's other servers
  // (spb relays omsk's join to msk in its own transaction); nobody else speaks in between.
  // Delivery takes well under a second here: 30 s is generous.
  await until(() => membershipAt(alice, roomId, carol.user.user_id) === "join",
    `omsk's join at msk (now ${membershipAt(alice, roomId, carol.user.user_id)})`, { timeoutMs: 30000 });
});
