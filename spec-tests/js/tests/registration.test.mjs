// POST /register with user-interactive auth, GET /register/available (registration.yaml).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, uniqueName, registerUser, login } from "../lib/server.mjs";

let server;
const REGISTER = "/_matrix/client/v3/register";
// appendices: user id localparts are [a-z0-9._=\-/+]; the whole id at most 255 bytes.
const USER_ID = /^@[a-z0-9._=\-/+]+:localhost$/;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("register without auth returns 401 with UIA flows and a session, and m.login.dummy completes it", async () => {
  const username = uniqueName("reg");
  const first = await api(server.baseUrl, "POST", REGISTER, { body: { username, password: "correct horse 1" } });
  const uia = expectStatus(first, 401);
  assert.ok(Array.isArray(uia.flows) && uia.flows.length > 0, `flows: ${first.text}`);
  assert.ok(uia.flows.some((f) => Array.isArray(f.stages) && f.stages.includes("m.login.dummy")), "an m.login.dummy flow");
  assert.equal(typeof uia.session, "string");
  assert.ok(uia.session.length > 0);
  assert.equal(typeof uia.params, "object");

  const second = await api(server.baseUrl, "POST", REGISTER, {
    body: { username, password: "correct horse 1", auth: { type: "m.login.dummy", session: uia.session } },
  });
  const body = ok(second);
  assert.equal(body.user_id, `@${username}:localhost`);
  assert.equal(typeof body.access_token, "string");
  assert.equal(typeof body.device_id, "string");
  assert.ok(body.device_id.length > 0);
  // The token works and belongs to the new user and device.
  const who = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: body.access_token }));
  assert.equal(who.user_id, body.user_id);
  assert.equal(who.device_id, body.device_id);
});

test("register with m.login.dummy and no session at all succeeds in one call", async () => {
  const username = uniqueName("nosess");
  const res = await api(server.baseUrl, "POST", REGISTER, {
    body: { username, password: "correct horse 2", auth: { type: "m.login.dummy" } },
  });
  const body = ok(res);
  assert.equal(body.user_id, `@${username}:localhost`);
  assert.equal(typeof body.access_token, "string");
});

test("register honours a client-supplied device_id and initial_device_display_name", async () => {
  const username = uniqueName("dev");
  const res = await api(server.baseUrl, "POST", REGISTER, {
    body: { username, password: "correct horse 3", device_id: "MYDEVICE", initial_device_display_name: "My Phone", auth: { type: "m.login.dummy" } },
  });
  const body = ok(res);
  assert.equal(body.device_id, "MYDEVICE");
  const device = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices/MYDEVICE", { token: body.access_token }));
  assert.equal(device.device_id, "MYDEVICE");
  assert.equal(device.display_name, "My Phone");
});

test("register with inhibit_login returns no access token", async () => {
  const username = uniqueName("inhibit");
  const body = ok(await api(server.baseUrl, "POST", REGISTER, {
    body: { username, password: "correct horse 4", inhibit_login: true, auth: { type: "m.login.dummy" } },
  }));
  assert.equal(body.user_id, `@${username}:localhost`);
  assert.equal(body.access_token, undefined, "inhibit_login: no access_token");
  assert.equal(body.device_id, undefined, "inhibit_login: no device_id");
  // The account exists: logging in works.
  const logged = ok(await login(server.baseUrl, username, "correct horse 4"));
  assert.equal(logged.user_id, body.user_id);
});

test("register without a username gets a server-generated valid user id", async () => {
  const body = ok(await api(server.baseUrl, "POST", REGISTER, {
    body: { password: "correct horse 5", auth: { type: "m.login.dummy" } },
  }));
  assert.match(body.user_id, USER_ID);
  assert.equal(typeof body.access_token, "string");
});

test("GET /register/available: true for a free name, 400 M_USER_IN_USE for a taken one", async () => {
  const free = uniqueName("free");
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username: free } }));
  assert.equal(body.available, true);

  const user = await registerUser(server.baseUrl);
  const taken = await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username: user.localpart } });
  expectStatus(taken, 400, "M_USER_IN_USE");
});

test("GET /register/available: 400 M_INVALID_USERNAME for an invalid name", async () => {
  for (const bad of ["has space", "UPPER!case", "semi;colon", "@elsewhere:other.example"]) {
    const res = await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username: bad } });
    expectStatus(res, 400, "M_INVALID_USERNAME");
  }
});

test("registering a taken username is 400 M_USER_IN_USE", async () => {
  const user = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "POST", REGISTER, {
    body: { username: user.localpart, password: "another pw", auth: { type: "m.login.dummy" } },
  });
  expectStatus(res, 400, "M_USER_IN_USE");
  // The first call (no auth) may be the one to reject: either way the name is not re-registered.
  const noAuth = await api(server.baseUrl, "POST", REGISTER, { body: { username: user.localpart, password: "another pw" } });
  assert.ok(noAuth.status === 400 || noAuth.status === 401, `status ${noAuth.status}`);
  if (noAuth.status === 400) assert.equal(noAuth.body.errcode, "M_USER_IN_USE");
  // The original password still works.
  ok(await login(server.baseUrl, user.localpart, user.password));
});

test("registering an invalid username is rejected with M_INVALID_USERNAME (or mapped to a valid id)", async () => {
  // registration.yaml: the server MUST either map the username onto a valid user id or reject
  // it with M_INVALID_USERNAME.
  for (const bad of ["has space", "semi;colon", "bad:colon"]) {
    const res = await api(server.baseUrl, "POST", REGISTER, {
      body: { username: bad, password: "pw pw pw", auth: { type: "m.login.dummy" } },
    });
    if (res.status === 200) {
      assert.match(res.body.user_id, USER_ID, `mapped user id must follow the grammar: ${res.text}`);
    } else {
      expectStatus(res, 400, "M_INVALID_USERNAME");
    }
  }
  // A localpart longer than the 255-byte user id limit cannot be registered as is.
  const long = "a".repeat(260);
  const res = await api(server.baseUrl, "POST", REGISTER, {
    body: { username: long, password: "pw pw pw", auth: { type: "m.login.dummy" } },
  });
  if (res.status === 200) assert.ok(Buffer.byteLength(res.body.user_id) <= 255, `user id too long: ${res.body.user_id}`);
  else expectStatus(res, 400, "M_INVALID_USERNAME");
});

test("registering with an unknown UIA stage type fails and does not create the account", async () => {
  const username = uniqueName("badstage");
  const first = await api(server.baseUrl, "POST", REGISTER, { body: { username, password: "pw pw pw" } });
  const session = expectStatus(first, 401).session;
  const res = await api(server.baseUrl, "POST", REGISTER, {
    body: { username, password: "pw pw pw", auth: { type: "m.login.nonexistent", session } },
  });
  assert.ok(res.status === 400 || res.status === 401, `status ${res.status}: ${res.text}`);
  const avail = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username } }));
  assert.equal(avail.available, true);
});

test("kind=guest: either a guest account that ignores the requested username, or 403", async () => {
  const username = uniqueName("guestname");
  const res = await api(server.baseUrl, "POST", REGISTER, { query: { kind: "guest" }, body: { username, password: "pw pw pw" } });
  if (res.status === 200) {
    assert.match(res.body.user_id, USER_ID);
    assert.notEqual(res.body.user_id, `@${username}:localhost`, "guest registration ignores the username");
    assert.equal(typeof res.body.access_token, "string");
  } else {
    expectStatus(res, 403);
    assert.ok(["M_FORBIDDEN", "M_GUEST_ACCESS_FORBIDDEN"].includes(res.body.errcode), res.text);
  }
  const avail = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username } }));
  assert.equal(avail.available, true, "no account with the requested name was created");
});
