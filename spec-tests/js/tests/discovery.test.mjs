// Server discovery and static endpoints: versions.yaml, wellknown.yaml, capabilities.yaml,
// pushrules.yaml, third_party_lookup.yaml, voip.yaml, and unknown paths / wrong methods.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, registerUser } from "../lib/server.mjs";

let server;
let alice;

before(async () => {
  server = await startServer();
  alice = await registerUser(server.baseUrl);
});
after(async () => {
  await server?.stop();
});

test("GET /_matrix/client/versions lists spec versions without authentication", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/versions"));
  assert.ok(Array.isArray(body.versions) && body.versions.length > 0, "versions is a non-empty array");
  for (const version of body.versions) assert.match(version, /^(v\d+\.\d+|r\d+\.\d+\.\d+)$/, `version form: ${version}`);
  assert.ok(body.versions.includes("v1.1"), "advertises at least v1.1");
  if (body.unstable_features !== undefined) {
    assert.equal(typeof body.unstable_features, "object");
    for (const value of Object.values(body.unstable_features)) assert.equal(typeof value, "boolean");
  }
  // With authentication it must work as well (the endpoint accepts optional auth).
  const authed = ok(await api(server.baseUrl, "GET", "/_matrix/client/versions", { token: alice.access_token }));
  assert.ok(Array.isArray(authed.versions));
});

test("GET /.well-known/matrix/client points at a working homeserver base URL", async () => {
  const res = await api(server.baseUrl, "GET", "/.well-known/matrix/client");
  const body = ok(res);
  assert.equal(typeof body["m.homeserver"]?.base_url, "string", `m.homeserver.base_url: ${res.text}`);
  const baseUrl = body["m.homeserver"].base_url;
  assert.match(baseUrl, /^https?:\/\//);
  // wellknown.yaml: base_url is "The base URL for the homeserver for client-server
  // connections"; the client discovery steps then GET <base_url>/_matrix/client/versions.
  // The server under test listens on server.baseUrl, so the advertised URL must reach it.
  const versions = await fetch(baseUrl.replace(/\/$/, "") + "/_matrix/client/versions").then(
    (r) => r.status,
    (error) => `fetch failed: ${error.cause?.code || error.message}`,
  );
  assert.equal(versions, 200, `advertised base_url ${baseUrl} must serve /_matrix/client/versions (server is at ${server.baseUrl})`);
});

test("GET /capabilities: m.room_versions default 12, available 10/11/12 stable", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/capabilities", { token: alice.access_token }));
  assert.equal(typeof body.capabilities, "object");
  const versions = body.capabilities["m.room_versions"];
  assert.ok(versions, "m.room_versions present");
  assert.equal(versions.default, "12");
  for (const v of ["10", "11", "12"]) assert.equal(versions.available[v], "stable", `room version ${v} is stable`);
  for (const stability of Object.values(versions.available)) assert.ok(["stable", "unstable"].includes(stability));
  assert.ok(versions.available[versions.default], "the default version is among the available ones");
  if (body.capabilities["m.change_password"] !== undefined)
    assert.equal(typeof body.capabilities["m.change_password"].enabled, "boolean");
});

test("GET /capabilities requires authentication", async () => {
  expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/capabilities"), 401, "M_MISSING_TOKEN");
});

test("GET /login lists m.login.password", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/login"));
  assert.ok(Array.isArray(body.flows));
  assert.ok(body.flows.some((f) => f.type === "m.login.password"), JSON.stringify(body));
});

test("GET /pushrules/ returns the default ruleset", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/pushrules/", { token: alice.access_token }));
  const global = body.global;
  assert.ok(global, "global ruleset");
  for (const kind of ["override", "content", "room", "sender", "underride"]) {
    if (global[kind] !== undefined) assert.ok(Array.isArray(global[kind]), `${kind} is an array`);
  }
  const overrideIds = global.override.map((r) => r.rule_id);
  const underrideIds = global.underride.map((r) => r.rule_id);
  assert.equal(overrideIds[0], ".m.rule.master", "the master rule comes first");
  for (const id of [".m.rule.master", ".m.rule.suppress_notices", ".m.rule.invite_for_me", ".m.rule.member_event",
    ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.tombstone"]) {
    assert.ok(overrideIds.includes(id), `override contains ${id}: ${overrideIds}`);
  }
  for (const id of [".m.rule.call", ".m.rule.room_one_to_one", ".m.rule.message", ".m.rule.encrypted"]) {
    assert.ok(underrideIds.includes(id), `underride contains ${id}: ${underrideIds}`);
  }
  const master = global.override.find((r) => r.rule_id === ".m.rule.master");
  assert.equal(master.default, true);
  assert.equal(master.enabled, false, "the master rule is disabled by default");
  const message = global.underride.find((r) => r.rule_id === ".m.rule.message");
  assert.equal(message.default, true);
  assert.equal(message.enabled, true);
  assert.ok(Array.isArray(message.actions));
  assert.ok(message.actions.includes("notify"), `.m.rule.message notifies: ${JSON.stringify(message.actions)}`);
  for (const rule of [...global.override, ...global.underride]) {
    assert.equal(typeof rule.rule_id, "string");
    assert.equal(typeof rule.enabled, "boolean");
    assert.ok(Array.isArray(rule.actions), `${rule.rule_id} has actions`);
  }
});

test("GET /pushrules/global/ returns the same global ruleset", async () => {
  const all = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/pushrules/", { token: alice.access_token }));
  const global = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/pushrules/global/", { token: alice.access_token }));
  assert.deepEqual(global, all.global);
});

test("GET /thirdparty/protocols returns an empty object when no bridge is configured", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/thirdparty/protocols", { token: alice.access_token }));
  assert.deepEqual(body, {});
});

test("GET /voip/turnServer returns {} when no TURN server is configured", async () => {
  const body = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/voip/turnServer", { token: alice.access_token }));
  assert.deepEqual(body, {});
});

test("an unknown endpoint is 404 M_UNRECOGNIZED", async () => {
  const res = await api(server.baseUrl, "GET", "/_matrix/client/v3/this/does/not/exist", { token: alice.access_token });
  expectStatus(res, 404, "M_UNRECOGNIZED");
  const res2 = await api(server.baseUrl, "POST", "/_matrix/client/v3/no_such_endpoint", { token: alice.access_token, body: {} });
  expectStatus(res2, 404, "M_UNRECOGNIZED");
});

test("a known endpoint with the wrong method is 405 M_UNRECOGNIZED", async () => {
  expectStatus(await api(server.baseUrl, "DELETE", "/_matrix/client/v3/account/whoami", { token: alice.access_token }), 405, "M_UNRECOGNIZED");
  expectStatus(await api(server.baseUrl, "PUT", "/_matrix/client/versions", { body: {} }), 405, "M_UNRECOGNIZED");
  expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/createRoom", { token: alice.access_token }), 405, "M_UNRECOGNIZED");
});

test("CORS: responses carry Access-Control-Allow-Origin and OPTIONS preflight succeeds", async () => {
  // Client-server API intro: servers MUST expect clients to approach them with OPTIONS requests
  // and respond with the CORS headers (Access-Control-Allow-Origin: *, methods, headers).
  const res = await fetch(server.baseUrl + "/_matrix/client/versions", { headers: { Origin: "https://app.example" } });
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const pre = await fetch(server.baseUrl + "/_matrix/client/v3/createRoom", {
    method: "OPTIONS",
    headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
  });
  assert.ok(pre.status === 200 || pre.status === 204, `OPTIONS status ${pre.status}`);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.match(pre.headers.get("access-control-allow-methods") || "", /POST/);
  assert.match((pre.headers.get("access-control-allow-headers") || "").toLowerCase(), /authorization/);
});
