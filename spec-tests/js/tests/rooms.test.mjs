// Room creation (create_room.yaml), the room directory (directory.yaml), and the published room
// directory (list_public_rooms.yaml).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServerWithUsers, api, ok, expectStatus, registerUser, createRoom, uniqueName, enc, syncUntil } from "../lib/server.mjs";

let server, alice, bob;
before(async () => ({ server, users: [alice, bob] } = await startServerWithUsers(2)));
after(() => server?.stop());

const stateContent = (user, roomId, type, key = "") =>
  api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state/${enc(type)}/${enc(key)}`, { token: user.access_token });
const fullState = async (user, roomId) => ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/state`, { token: user.access_token }));

test("createRoom returns a room id; the creator is joined", async () => {
  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: {} });
  const { room_id: roomId } = ok(res);
  assert.match(roomId, /^!/);
  const joined = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms", { token: alice.access_token }));
  assert.ok(joined.joined_rooms.includes(roomId));
  const member = ok(await stateContent(alice, roomId, "m.room.member", alice.user_id));
  assert.equal(member.membership, "join");
  const create = ok(await stateContent(alice, roomId, "m.room.create"));
  assert.equal(create.room_version, "12", "the default room version is used");
});

test("createRoom applies the events in the order the spec lists", async () => {
  const roomId = await createRoom(alice, {
    preset: "public_chat",
    room_alias_name: uniqueName("order"),
    name: "Ordered",
    topic: "Ordered topic",
    initial_state: [{ type: "m.room.encryption_test", state_key: "", content: { x: 1 } }],
    invite: [bob.user_id],
  });
  const res = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
    token: alice.access_token,
    query: { dir: "f", limit: 50 },
  }));
  const types = res.chunk.map((e) => (e.type === "m.room.member" ? `member:${e.content.membership}` : e.type));
  const idx = (t) => types.indexOf(t);
  assert.equal(types[0], "m.room.create", `create first: ${types}`);
  assert.equal(types[1], "member:join", `creator's join second: ${types}`);
  assert.equal(types[2], "m.room.power_levels", `power levels third: ${types}`);
  assert.ok(idx("m.room.canonical_alias") > 2, `${types}`);
  for (const presetType of ["m.room.join_rules", "m.room.history_visibility"]) {
    assert.ok(idx(presetType) > idx("m.room.canonical_alias"), `${presetType} after the alias: ${types}`);
    assert.ok(idx(presetType) < idx("m.room.encryption_test"), `${presetType} before initial_state: ${types}`);
  }
  assert.ok(idx("m.room.encryption_test") < idx("m.room.name"), `initial_state before name: ${types}`);
  assert.ok(idx("m.room.name") < idx("member:invite"), `name before invites: ${types}`);
  assert.ok(idx("m.room.topic") < idx("member:invite"), `topic before invites: ${types}`);
});

test("preset public_chat: join_rules public, history shared, guest_access forbidden", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.join_rules")).join_rule, "public");
  assert.equal(ok(await stateContent(alice, roomId, "m.room.history_visibility")).history_visibility, "shared");
  // guest_access "forbidden": an absent m.room.guest_access event means the same.
  const guest = await stateContent(alice, roomId, "m.room.guest_access");
  if (guest.status === 404) assert.equal(guest.body.errcode, "M_NOT_FOUND");
  else assert.equal(ok(guest).guest_access, "forbidden");
});

test("preset private_chat: join_rules invite, history shared, guest_access can_join", async () => {
  const roomId = await createRoom(alice, { preset: "private_chat" });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.join_rules")).join_rule, "invite");
  assert.equal(ok(await stateContent(alice, roomId, "m.room.history_visibility")).history_visibility, "shared");
  assert.equal(ok(await stateContent(alice, roomId, "m.room.guest_access")).guest_access, "can_join");
  // Nobody uninvited can join.
  const carol = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomId)}`, { token: carol.access_token, body: {} }), 403, "M_FORBIDDEN");
});

test("no preset: visibility public implies public_chat, private (default) implies private_chat", async () => {
  const pub = await createRoom(alice, { visibility: "public" });
  assert.equal(ok(await stateContent(alice, pub, "m.room.join_rules")).join_rule, "public");
  const priv = await createRoom(alice, {});
  assert.equal(ok(await stateContent(alice, priv, "m.room.join_rules")).join_rule, "invite");
});

test("name and topic become m.room.name / m.room.topic and override initial_state", async () => {
  const roomId = await createRoom(alice, {
    name: "The Grand Duke Pub",
    topic: "All about happy hour",
    initial_state: [
      { type: "m.room.name", state_key: "", content: { name: "overridden" } },
      { type: "m.room.topic", content: { topic: "overridden too" } },
    ],
  });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.name")).name, "The Grand Duke Pub");
  assert.equal(ok(await stateContent(alice, roomId, "m.room.topic")).topic, "All about happy hour");
});

test("the topic is an m.room.topic event whose content follows the event schema", async () => {
  const roomId = await createRoom(alice, { topic: "All about happy hour" });
  const content = ok(await stateContent(alice, roomId, "m.room.topic"));
  assert.equal(content.topic, "All about happy hour");
  // event-schemas/schema/m.room.topic.yaml: `m.topic` (since v1.15) is a TopicContentBlock
  // object, {"m.text": [{"body": ..., "mimetype": ...}]}; create_room.yaml: a text/plain topic.
  if (content["m.topic"] !== undefined) {
    const block = content["m.topic"];
    assert.ok(block !== null && typeof block === "object" && !Array.isArray(block), `m.topic must be an object: ${JSON.stringify(block)}`);
    assert.ok(Array.isArray(block["m.text"]), `m.topic["m.text"] is an array: ${JSON.stringify(block)}`);
    const plain = block["m.text"].find((t) => t.mimetype === undefined || t.mimetype === "text/plain");
    assert.equal(plain?.body, "All about happy hour");
  }
});

test("initial_state sets state and takes precedence over the preset", async () => {
  const roomId = await createRoom(alice, {
    preset: "public_chat",
    initial_state: [
      { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "joined" } },
      { type: "org.example.custom", state_key: "k1", content: { hello: "world" } },
    ],
  });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.history_visibility")).history_visibility, "joined");
  assert.deepEqual(ok(await stateContent(alice, roomId, "org.example.custom", "k1")), { hello: "world" });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.join_rules")).join_rule, "public");
});

test("room_alias_name creates the alias, the canonical alias, and resolves via the directory", async () => {
  const local = uniqueName("alias");
  const alias = `#${local}:localhost`;
  const roomId = await createRoom(alice, { room_alias_name: local });
  assert.equal(ok(await stateContent(alice, roomId, "m.room.canonical_alias")).alias, alias);
  const res = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/room/${enc(alias)}`));
  assert.equal(res.room_id, roomId);
  assert.ok(Array.isArray(res.servers) && res.servers.includes("localhost"), `servers: ${JSON.stringify(res.servers)}`);
  const aliases = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/aliases`, { token: alice.access_token }));
  assert.ok(aliases.aliases.includes(alias));
  // directory.yaml: external users receive M_FORBIDDEN (the room is not world_readable).
  const outsider = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/aliases`, { token: outsider.access_token }), 403, "M_FORBIDDEN");
});

test("a duplicate room_alias_name is 400 M_ROOM_IN_USE", async () => {
  const local = uniqueName("dup");
  await createRoom(alice, { room_alias_name: local });
  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: bob.access_token, body: { room_alias_name: local } });
  expectStatus(res, 400, "M_ROOM_IN_USE");
});

test("invite list: invitees get invite membership, and see the invite in /sync", async () => {
  const carol = await registerUser(server.baseUrl);
  const roomId = await createRoom(alice, { invite: [bob.user_id, carol.user_id], name: "Invited" });
  for (const u of [bob, carol]) {
    const m = ok(await stateContent(alice, roomId, "m.room.member", u.user_id));
    assert.equal(m.membership, "invite");
  }
  const synced = await syncUntil(carol, (s) => s.rooms?.invite?.[roomId]);
  const events = synced.rooms.invite[roomId].invite_state.events;
  assert.ok(events.some((e) => e.type === "m.room.member" && e.state_key === carol.user_id && e.content.membership === "invite"));
  assert.ok(events.some((e) => e.type === "m.room.name" && e.content.name === "Invited"), "stripped state has the name");
});

test("is_direct sets is_direct: true on the invite member event", async () => {
  const roomId = await createRoom(alice, { invite: [bob.user_id], is_direct: true, preset: "trusted_private_chat" });
  const m = ok(await stateContent(alice, roomId, "m.room.member", bob.user_id));
  assert.equal(m.membership, "invite");
  assert.equal(m.is_direct, true);
  // Without is_direct it is not set.
  const other = await createRoom(alice, { invite: [bob.user_id] });
  const m2 = ok(await stateContent(alice, other, "m.room.member", bob.user_id));
  assert.notEqual(m2.is_direct, true);
});

test("trusted_private_chat gives invitees the creator's power (v12: additional_creators)", async () => {
  const roomId = await createRoom(alice, { preset: "trusted_private_chat", invite: [bob.user_id], room_version: "12" });
  const create = ok(await stateContent(alice, roomId, "m.room.create"));
  const pl = ok(await stateContent(alice, roomId, "m.room.power_levels"));
  const viaCreators = Array.isArray(create.additional_creators) && create.additional_creators.includes(bob.user_id);
  const viaPowerLevels = pl.users?.[bob.user_id] !== undefined && pl.users[bob.user_id] >= 100;
  assert.ok(viaCreators || viaPowerLevels, `create: ${JSON.stringify(create)} power_levels: ${JSON.stringify(pl)}`);
});

test("power_level_content_override is applied on top of the defaults", async () => {
  const roomId = await createRoom(alice, {
    room_version: "11",
    power_level_content_override: { events_default: 50, users: { [alice.user_id]: 100, [bob.user_id]: 42 }, events: { "m.room.topic": 75 } },
  });
  const pl = ok(await stateContent(alice, roomId, "m.room.power_levels"));
  assert.equal(pl.events_default, 50);
  assert.equal(pl.users[bob.user_id], 42);
  assert.equal(pl.users[alice.user_id], 100);
  assert.equal(pl.events["m.room.topic"], 75);
  assert.equal(typeof pl.state_default, "number", "the defaults remain");
  assert.equal(typeof pl.ban, "number");
});

test("room v12: creator not listed in power levels users, tombstone above state_default", async () => {
  const roomId = await createRoom(alice, { room_version: "12" });
  const pl = ok(await stateContent(alice, roomId, "m.room.power_levels"));
  assert.equal(pl.users?.[alice.user_id], undefined, `v12 creator is not in users: ${JSON.stringify(pl)}`);
  const stateDefault = pl.state_default ?? 50;
  assert.ok((pl.events?.["m.room.tombstone"] ?? stateDefault) > stateDefault, `tombstone > state_default: ${JSON.stringify(pl)}`);
  // v11 and earlier: the creator is given power explicitly.
  const v11 = await createRoom(alice, { room_version: "11" });
  const pl11 = ok(await stateContent(alice, v11, "m.room.power_levels"));
  assert.equal(pl11.users[alice.user_id], 100);
});

test("room_version 10, 11 and 12 are honoured; room ids have the right form", async () => {
  for (const version of ["10", "11", "12"]) {
    const roomId = await createRoom(alice, { room_version: version });
    const create = ok(await stateContent(alice, roomId, "m.room.create"));
    assert.equal(create.room_version, version);
    const state = await fullState(alice, roomId);
    const createEvent = state.find((e) => e.type === "m.room.create");
    assert.equal(createEvent.sender, alice.user_id);
    if (version === "12") {
      // Room version 12: the room id is the create event's reference hash.
      assert.equal(roomId, "!" + createEvent.event_id.slice(1), "v12 room id derives from the create event id");
    } else {
      assert.match(roomId, /^![^:]+:localhost$/, `v${version} room id has the server name`);
    }
    if (version !== "10") assert.equal(create.creator, undefined, `v${version} m.room.create has no creator key`);
    else assert.equal(create.creator, alice.user_id);
  }
});

test("an unknown room_version is 400 M_UNSUPPORTED_ROOM_VERSION", async () => {
  for (const version of ["999", "1-bogus"]) {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: { room_version: version } });
    expectStatus(res, 400, "M_UNSUPPORTED_ROOM_VERSION");
  }
});

test("creation_content keys are added to m.room.create; creator/room_version are the server's", async () => {
  const roomId = await createRoom(alice, {
    room_version: "11",
    creation_content: { "m.federate": false, "org.example.extra": "yes", room_version: "10", type: "m.space" },
  });
  const create = ok(await stateContent(alice, roomId, "m.room.create"));
  assert.equal(create["m.federate"], false);
  assert.equal(create["org.example.extra"], "yes");
  assert.equal(create.type, "m.space");
  assert.equal(create.room_version, "11", "room_version is overwritten by the server");
});

test("visibility public publishes the room: GET/POST /publicRooms, search term, pagination", async () => {
  const term = uniqueName("zebra");
  const rooms = [];
  for (let i = 0; i < 5; i++) {
    rooms.push(await createRoom(alice, { visibility: "public", preset: "public_chat", name: `Room ${term} ${i}`, topic: `topic ${i}` }));
  }
  const privateRoom = await createRoom(alice, { visibility: "private", name: `Room ${term} hidden` });

  // GET: page through everything with limit 2.
  const seen = [];
  let since;
  for (let page = 0; page < 50; page++) {
    const res = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/publicRooms", { query: { limit: 2, since } }));
    assert.ok(res.chunk.length <= 2, "limit respected");
    seen.push(...res.chunk);
    if (!res.next_batch) break;
    since = res.next_batch;
  }
  const ids = seen.map((r) => r.room_id);
  assert.equal(new Set(ids).size, ids.length, "no room repeated across pages");
  for (const r of rooms) assert.ok(ids.includes(r), `${r} listed`);
  assert.ok(!ids.includes(privateRoom), "a private room is not published");
  const entry = seen.find((r) => r.room_id === rooms[0]);
  assert.equal(entry.name, `Room ${term} 0`);
  assert.equal(entry.topic, "topic 0");
  assert.equal(entry.num_joined_members, 1);
  assert.equal(typeof entry.world_readable, "boolean");
  assert.equal(typeof entry.guest_can_join, "boolean");
  if (entry.join_rule !== undefined) assert.equal(entry.join_rule, "public");

  // POST with a search term and pagination.
  const found = [];
  let pages = 0;
  let nextBatch;
  do {
    const res = ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/publicRooms", {
      token: bob.access_token,
      body: { limit: 2, filter: { generic_search_term: term.toUpperCase() }, ...(nextBatch ? { since: nextBatch } : {}) },
    }));
    assert.ok(res.chunk.length <= 2);
    found.push(...res.chunk.map((r) => r.room_id));
    nextBatch = res.next_batch;
    pages += 1;
  } while (nextBatch && pages < 20);
  assert.deepEqual([...found].sort(), [...rooms].sort(), "exactly the matching published rooms");
  assert.ok(pages >= 3, "5 rooms with limit 2 take 3 pages");
});

test("POST /publicRooms filter.room_types selects by room type (null = no type)", async () => {
  const term = uniqueName("types");
  const space = await createRoom(alice, { visibility: "public", preset: "public_chat", name: `${term} space`, creation_content: { type: "m.space" } });
  const plain = await createRoom(alice, { visibility: "public", preset: "public_chat", name: `${term} plain` });
  const query = async (roomTypes) => ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/publicRooms", {
    token: alice.access_token,
    body: { limit: 50, filter: { generic_search_term: term, room_types: roomTypes } },
  })).chunk;
  const spaces = await query(["m.space"]);
  assert.deepEqual(spaces.map((r) => r.room_id), [space]);
  assert.equal(spaces[0].room_type, "m.space");
  assert.deepEqual((await query([null])).map((r) => r.room_id), [plain]);
  assert.deepEqual((await query([null, "m.space"])).map((r) => r.room_id).sort(), [space, plain].sort());
});

test("the directory visibility of a room: GET/PUT /directory/list/room/{roomId}", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat", name: uniqueName("listed") });
  const path = `/_matrix/client/v3/directory/list/room/${enc(roomId)}`;
  assert.equal(ok(await api(server.baseUrl, "GET", path)).visibility, "private");
  ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { visibility: "public" } }));
  assert.equal(ok(await api(server.baseUrl, "GET", path)).visibility, "public");
  const listed = ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/publicRooms", { token: alice.access_token, body: { limit: 500 } }));
  assert.ok(listed.chunk.some((r) => r.room_id === roomId));
  ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { visibility: "private" } }));
  assert.equal(ok(await api(server.baseUrl, "GET", path)).visibility, "private");
  const unlisted = ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/publicRooms", { token: alice.access_token, body: { limit: 500 } }));
  assert.ok(!unlisted.chunk.some((r) => r.room_id === roomId));
  expectStatus(await api(server.baseUrl, "GET", `/_matrix/client/v3/directory/list/room/${enc("!nope:localhost")}`), 404, "M_NOT_FOUND");
});

test("room aliases: PUT, GET, DELETE /directory/room/{roomAlias}", async () => {
  const roomId = await createRoom(alice, { preset: "public_chat" });
  const alias = `#${uniqueName("dir")}:localhost`;
  const path = `/_matrix/client/v3/directory/room/${enc(alias)}`;
  expectStatus(await api(server.baseUrl, "GET", path), 404, "M_NOT_FOUND");
  ok(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { room_id: roomId } }));
  assert.equal(ok(await api(server.baseUrl, "GET", path)).room_id, roomId);
  // An alias that exists already: 409 M_UNKNOWN (directory.yaml).
  const other = await createRoom(alice, {});
  expectStatus(await api(server.baseUrl, "PUT", path, { token: alice.access_token, body: { room_id: other } }), 409);
  // Aliases on another server cannot be created here.
  expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/directory/room/${enc("#x:elsewhere.example")}`, { token: alice.access_token, body: { room_id: roomId } }), 400);
  ok(await api(server.baseUrl, "DELETE", path, { token: alice.access_token }));
  expectStatus(await api(server.baseUrl, "GET", path), 404, "M_NOT_FOUND");
  expectStatus(await api(server.baseUrl, "DELETE", path, { token: alice.access_token }), 404, "M_NOT_FOUND");
});
