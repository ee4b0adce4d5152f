// Login, logout, whoami, password change, deactivation, devices
// (login.yaml, logout.yaml, whoami.yaml, password_management.yaml, account_deactivation.yaml,
// device_management.yaml).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, registerUser, login, enc } from "../lib/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

// UIA: a failed attempt at a stage answers 401 with the flows plus the standard errcode/error.
function expectFailedStage(res) {
  const body = expectStatus(res, 401);
  assert.equal(typeof body.errcode, "string", `a failed stage carries an errcode: ${res.text}`);
  assert.ok(Array.isArray(body.flows), `a failed stage repeats the flows: ${res.text}`);
}

const whoami = (token) => api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token });
const passwordAuth = (user, password, session) => ({
  type: "m.login.password",
  identifier: { type: "m.id.user", user: user.user_id },
  password,
  ...(session ? { session } : {}),
});

test("login with m.login.password and an m.id.user identifier (localpart and full user id)", async () => {
  const user = await registerUser(server.baseUrl);
  const byLocalpart = ok(await login(server.baseUrl, user.localpart, user.password));
  assert.equal(byLocalpart.user_id, user.user_id);
  assert.equal(typeof byLocalpart.access_token, "string");
  assert.equal(typeof byLocalpart.device_id, "string");
  assert.notEqual(byLocalpart.access_token, user.access_token, "a new login gets a new token");
  assert.notEqual(byLocalpart.device_id, user.device_id, "a new login without device_id gets a new device");

  const byMxid = ok(await login(server.baseUrl, user.user_id, user.password));
  assert.equal(byMxid.user_id, user.user_id);
  assert.notEqual(byMxid.access_token, byLocalpart.access_token);

  const who = ok(await whoami(byMxid.access_token));
  assert.equal(who.user_id, user.user_id);
  assert.equal(who.device_id, byMxid.device_id);
});

test("login with the deprecated top-level `user` field still works", async () => {
  const user = await registerUser(server.baseUrl);
  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", { body: { type: "m.login.password", user: user.localpart, password: user.password } });
  assert.equal(ok(res).user_id, user.user_id);
});

test("login with a chosen device_id and display name", async () => {
  const user = await registerUser(server.baseUrl);
  const body = ok(await login(server.baseUrl, user.localpart, user.password, { device_id: "LAPTOP1", initial_device_display_name: "Laptop" }));
  assert.equal(body.device_id, "LAPTOP1");
  const device = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices/LAPTOP1", { token: body.access_token }));
  assert.equal(device.display_name, "Laptop");
});

test("login with a wrong password or an unknown user is 403 M_FORBIDDEN", async () => {
  const user = await registerUser(server.baseUrl);
  expectStatus(await login(server.baseUrl, user.localpart, "wrong password"), 403, "M_FORBIDDEN");
  expectStatus(await login(server.baseUrl, "nobody-here-at-all", "whatever"), 403, "M_FORBIDDEN");
});

test("login with an unknown login type is 400", async () => {
  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", { body: { type: "m.login.bogus", user: "x" } });
  expectStatus(res, 400);
  assert.equal(typeof res.body.errcode, "string");
});

test("GET /account/whoami returns the user and device", async () => {
  const user = await registerUser(server.baseUrl);
  const who = ok(await whoami(user.access_token));
  assert.equal(who.user_id, user.user_id);
  assert.equal(who.device_id, user.device_id);
  if (who.is_guest !== undefined) assert.equal(who.is_guest, false);
});

test("logout invalidates the token (then 401 M_UNKNOWN_TOKEN) but not the user's other tokens", async () => {
  const user = await registerUser(server.baseUrl);
  const second = ok(await login(server.baseUrl, user.localpart, user.password));
  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/logout", { token: second.access_token, body: {} });
  ok(res);
  expectStatus(await whoami(second.access_token), 401, "M_UNKNOWN_TOKEN");
  ok(await whoami(user.access_token));
  // The logged-out device is gone.
  const devices = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices", { token: user.access_token })).devices;
  assert.ok(!devices.some((d) => d.device_id === second.device_id), "logout deletes the device");
});

test("logout/all invalidates every token of the user", async () => {
  const user = await registerUser(server.baseUrl);
  const second = ok(await login(server.baseUrl, user.localpart, user.password));
  const other = await registerUser(server.baseUrl);
  ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/logout/all", { token: user.access_token, body: {} }));
  expectStatus(await whoami(user.access_token), 401, "M_UNKNOWN_TOKEN");
  expectStatus(await whoami(second.access_token), 401, "M_UNKNOWN_TOKEN");
  ok(await whoami(other.access_token));
  // The user can log in again.
  const again = ok(await login(server.baseUrl, user.localpart, user.password));
  ok(await whoami(again.access_token));
});

test("POST /account/password: UIA with m.login.password; old password stops working; other sessions are logged out", async () => {
  const user = await registerUser(server.baseUrl);
  const otherSession = ok(await login(server.baseUrl, user.localpart, user.password));
  const newPassword = "brand new password 42";

  const first = await api(server.baseUrl, "POST", "/_matrix/client/v3/account/password", {
    token: user.access_token,
    body: { new_password: newPassword },
  });
  const uia = expectStatus(first, 401);
  assert.ok(uia.flows.some((f) => f.stages.includes("m.login.password")), first.text);

  const wrong = await api(server.baseUrl, "POST", "/_matrix/client/v3/account/password", {
    token: user.access_token,
    body: { new_password: newPassword, auth: passwordAuth(user, "not my password", uia.session) },
  });
  expectFailedStage(wrong);

  ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/account/password", {
    token: user.access_token,
    body: { new_password: newPassword, auth: passwordAuth(user, user.password, uia.session) },
  }));
  expectStatus(await login(server.baseUrl, user.localpart, user.password), 403, "M_FORBIDDEN");
  ok(await login(server.baseUrl, user.localpart, newPassword));
  // logout_devices defaults to true: other tokens are revoked, the requesting one is kept.
  ok(await whoami(user.access_token));
  expectStatus(await whoami(otherSession.access_token), 401, "M_UNKNOWN_TOKEN");
});

test("POST /account/password with logout_devices: false keeps the other sessions", async () => {
  const user = await registerUser(server.baseUrl);
  const otherSession = ok(await login(server.baseUrl, user.localpart, user.password));
  ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/account/password", {
    token: user.access_token,
    body: { new_password: "kept sessions pw", logout_devices: false, auth: passwordAuth(user, user.password) },
  }));
  ok(await whoami(otherSession.access_token));
  ok(await login(server.baseUrl, user.localpart, "kept sessions pw"));
});

test("POST /account/deactivate: UIA, then login fails and the token is dead", async () => {
  const user = await registerUser(server.baseUrl);
  const first = await api(server.baseUrl, "POST", "/_matrix/client/v3/account/deactivate", { token: user.access_token, body: {} });
  const uia = expectStatus(first, 401);
  assert.ok(uia.flows.some((f) => f.stages.includes("m.login.password")), first.text);
  // Still active after the unauthenticated attempt.
  ok(await whoami(user.access_token));

  const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/account/deactivate", {
    token: user.access_token,
    body: { auth: passwordAuth(user, user.password, uia.session) },
  });
  const body = ok(res);
  assert.ok(["success", "no-support"].includes(body.id_server_unbind_result), `id_server_unbind_result: ${res.text}`);

  const again = await login(server.baseUrl, user.localpart, user.password);
  assert.equal(again.status, 403, again.text);
  assert.ok(["M_USER_DEACTIVATED", "M_FORBIDDEN"].includes(again.body.errcode), again.text);
  expectStatus(await whoami(user.access_token), 401, "M_UNKNOWN_TOKEN");
  // The user id cannot be registered again.
  const reg = await api(server.baseUrl, "POST", "/_matrix/client/v3/register", {
    body: { username: user.localpart, password: "pw pw pw", auth: { type: "m.login.dummy" } },
  });
  expectStatus(reg, 400, "M_USER_IN_USE");
});

test("devices: GET list and one, PUT display_name, unknown device 404", async () => {
  const user = await registerUser(server.baseUrl, { displayName: "First device" });
  const second = ok(await login(server.baseUrl, user.localpart, user.password, { initial_device_display_name: "Second" }));
  const list = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices", { token: user.access_token })).devices;
  const ids = list.map((d) => d.device_id).sort();
  assert.deepEqual(ids, [user.device_id, second.device_id].sort());
  for (const d of list) assert.equal(typeof d.device_id, "string");

  ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/devices/${enc(second.device_id)}`, {
    token: user.access_token,
    body: { display_name: "Renamed" },
  }));
  const one = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/devices/${enc(second.device_id)}`, { token: user.access_token }));
  assert.equal(one.device_id, second.device_id);
  assert.equal(one.display_name, "Renamed");

  expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices/NOSUCHDEVICE", { token: user.access_token }), 404, "M_NOT_FOUND");
  // Another user's device is not visible.
  const other = await registerUser(server.baseUrl);
  expectStatus(await api(server.baseUrl, "GET", `/_matrix/client/v3/devices/${enc(user.device_id)}`, { token: other.access_token }), 404, "M_NOT_FOUND");
});

test("DELETE /devices/{deviceId} needs UIA with the password; the device's token dies", async () => {
  const user = await registerUser(server.baseUrl);
  const second = ok(await login(server.baseUrl, user.localpart, user.password));
  const path = `/_matrix/client/v3/devices/${enc(second.device_id)}`;
  const first = await api(server.baseUrl, "DELETE", path, { token: user.access_token, body: {} });
  const uia = expectStatus(first, 401);
  assert.ok(uia.flows.some((f) => f.stages.includes("m.login.password")), first.text);
  ok(await whoami(second.access_token));

  const wrong = await api(server.baseUrl, "DELETE", path, { token: user.access_token, body: { auth: passwordAuth(user, "bad", uia.session) } });
  expectFailedStage(wrong);
  ok(await whoami(second.access_token));

  ok(await api(server.baseUrl, "DELETE", path, { token: user.access_token, body: { auth: passwordAuth(user, user.password, uia.session) } }));
  expectStatus(await whoami(second.access_token), 401, "M_UNKNOWN_TOKEN");
  expectStatus(await api(server.baseUrl, "GET", path, { token: user.access_token }), 404, "M_NOT_FOUND");
});

test("POST /delete_devices removes several devices after UIA", async () => {
  const user = await registerUser(server.baseUrl);
  const a = ok(await login(server.baseUrl, user.localpart, user.password));
  const b = ok(await login(server.baseUrl, user.localpart, user.password));
  const body = { devices: [a.device_id, b.device_id] };
  const first = await api(server.baseUrl, "POST", "/_matrix/client/v3/delete_devices", { token: user.access_token, body });
  const uia = expectStatus(first, 401);
  ok(await whoami(a.access_token));
  ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/delete_devices", {
    token: user.access_token,
    body: { ...body, auth: passwordAuth(user, user.password, uia.session) },
  }));
  expectStatus(await whoami(a.access_token), 401, "M_UNKNOWN_TOKEN");
  expectStatus(await whoami(b.access_token), 401, "M_UNKNOWN_TOKEN");
  const list = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/devices", { token: user.access_token })).devices;
  assert.deepEqual(list.map((d) => d.device_id), [user.device_id]);
});
