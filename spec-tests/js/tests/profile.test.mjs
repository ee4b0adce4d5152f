// Profile (profile.yaml) and presence (presence.yaml).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, registerUser, createRoom, joinRoom, enc } from "../lib/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

const profilePath = (userId, key) => `/_matrix/client/v3/profile/${enc(userId)}${key ? "/" + key : ""}`;

test("displayname: PUT then GET /profile/{userId}/displayname and GET /profile/{userId}", async () => {
  const user = await registerUser(server.baseUrl);
  ok(await api(server.baseUrl, "PUT", profilePath(user.user_id, "displayname"), { token: user.access_token, body: { displayname: "Alice Wonderland" } }));
  const dn = ok(await api(server.baseUrl, "GET", profilePath(user.user_id, "displayname"), { token: user.access_token }));
  assert.equal(dn.displayname, "Alice Wonderland");
  // Profile look-ups by other users (and without auth, per the 1.x security list) work.
  const other = await registerUser(server.baseUrl);
  const seen = ok(await api(server.baseUrl, "GET", profilePath(user.user_id), { token: other.access_token }));
  assert.equal(seen.displayname, "Alice Wonderland");
});

test("avatar_url: PUT then GET", async () => {
  const user = await registerUser(server.baseUrl);
  const mxc = "mxc://localhost/AbCdEfGh12345";
  ok(await api(server.baseUrl, "PUT", profilePath(user.user_id, "avatar_url"), { token: user.access_token, body: { avatar_url: mxc } }));
  const av = ok(await api(server.baseUrl, "GET", profilePath(user.user_id, "avatar_url"), { token: user.access_token }));
  assert.equal(av.avatar_url, mxc);
  ok(await api(server.baseUrl, "PUT", profilePath(user.user_id, "displayname"), { token: user.access_token, body: { displayname: "Bob" } }));
  const full = ok(await api(server.baseUrl, "GET", profilePath(user.user_id), { token: user.access_token }));
  assert.equal(full.avatar_url, mxc);
  assert.equal(full.displayname, "Bob");
});

test("setting another user's profile is 403 M_FORBIDDEN", async () => {
  const user = await registerUser(server.baseUrl);
  const other = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "PUT", profilePath(other.user_id, "displayname"), { token: user.access_token, body: { displayname: "Hijacked" } });
  expectStatus(res, 403, "M_FORBIDDEN");
  const dn = await api(server.baseUrl, "GET", profilePath(other.user_id, "displayname"), { token: other.access_token });
  if (dn.status === 200) assert.notEqual(dn.body.displayname, "Hijacked");
});

test("GET /profile of an unknown user is 404 M_NOT_FOUND", async () => {
  const user = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", profilePath("@nobody-zz-unknown:localhost"), { token: user.access_token }), 404, "M_NOT_FOUND");
  expectStatus(await api(server.baseUrl, "GET", profilePath("@nobody-zz-unknown:localhost", "displayname"), { token: user.access_token }), 404, "M_NOT_FOUND");
});

test("setting the displayname produces a new m.room.member event in every joined room", async () => {
  const user = await registerUser(server.baseUrl);
  const other = await registerUser(server.baseUrl);
  const room1 = await createRoom(user, { preset: "public_chat" });
  const room2 = await createRoom(other, { preset: "public_chat" });
  await joinRoom(user, room2);
  await joinRoom(other, room1);
  const memberPath = (roomId) => `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(user.user_id)}`;
  const before1 = ok(await api(server.baseUrl, "GET", memberPath(room1) + "?format=event", { token: user.access_token }));

  ok(await api(server.baseUrl, "PUT", profilePath(user.user_id, "displayname"), { token: user.access_token, body: { displayname: "Carol New" } }));

  for (const roomId of [room1, room2]) {
    const content = ok(await api(server.baseUrl, "GET", memberPath(roomId), { token: other.access_token }));
    assert.equal(content.membership, "join");
    assert.equal(content.displayname, "Carol New", `member event in ${roomId} carries the new name`);
    // A new event in the timeline: the latest m.room.member event of the user, with the new name.
    const messages = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
      token: other.access_token,
      query: { dir: "b", limit: 5 },
    }));
    const latest = messages.chunk.find((e) => e.type === "m.room.member" && e.state_key === user.user_id);
    assert.ok(latest, "a member event in the recent timeline");
    assert.equal(latest.content.displayname, "Carol New");
    assert.equal(latest.sender, user.user_id);
  }
  if (before1.event_id) {
    const after1 = ok(await api(server.baseUrl, "GET", memberPath(room1) + "?format=event", { token: user.access_token }));
    assert.notEqual(after1.event_id, before1.event_id);
  }
  // joined_members reflects it too.
  const joined = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(room2)}/joined_members`, { token: other.access_token }));
  assert.equal(joined.joined[user.user_id].display_name, "Carol New");
});

test("presence: GET /presence/{userId}/status, PUT then GET shows the new state", async () => {
  const user = await registerUser(server.baseUrl);
  const path = `/_matrix/client/v3/presence/${enc(user.user_id)}/status`;
  const initial = ok(await api(server.baseUrl, "GET", path, { token: user.access_token }));
  assert.ok(["online", "offline", "unavailable"].includes(initial.presence), JSON.stringify(initial));

  ok(await api(server.baseUrl, "PUT", path, { token: user.access_token, body: { presence: "unavailable", status_msg: "in a meeting" } }));
  const now = ok(await api(server.baseUrl, "GET", path, { token: user.access_token }));
  assert.equal(now.presence, "unavailable");
  assert.equal(now.status_msg, "in a meeting");

  ok(await api(server.baseUrl, "PUT", path, { token: user.access_token, body: { presence: "online" } }));
  assert.equal(ok(await api(server.baseUrl, "GET", path, { token: user.access_token })).presence, "online");
});

test("presence: setting another user's presence is 403; an invalid state is 400", async () => {
  const user = await registerUser(server.baseUrl);
  const other = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "PUT", `/_matrix/client/v3/presence/${enc(other.user_id)}/status`, { token: user.access_token, body: { presence: "online" } });
  expectStatus(res, 403, "M_FORBIDDEN");
  const bad = await api(server.baseUrl, "PUT", `/_matrix/client/v3/presence/${enc(user.user_id)}/status`, { token: user.access_token, body: { presence: "dancing" } });
  expectStatus(bad, 400);
});
