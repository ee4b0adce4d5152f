// Registration as configured: disabled (registration.yaml 403), registration tokens
// (m.login.registration_token, registration_tokens.yaml), and Synapse-compatible shared-secret
// registration (POST /_synapse/admin/v1/register, used by register_new_matrix_user).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { startServer, api, ok, expectStatus, uniqueName, login } from "../lib/server.mjs";

const REGISTER = "/_matrix/client/v3/register";

function sharedSecretMac(secret, nonce, username, password, admin) {
  const mac = createHmac("sha1", secret);
  mac.update(nonce);
  mac.update("\x00");
  mac.update(username);
  mac.update("\x00");
  mac.update(password);
  mac.update("\x00");
  mac.update(admin ? "admin" : "notadmin");
  return mac.digest("hex");
}

async function adminRegister(baseUrl, secret, username, password, { admin = false, mac } = {}) {
  const nonceBody = ok(await api(baseUrl, "GET", "/_synapse/admin/v1/register"));
  assert.equal(typeof nonceBody.nonce, "string");
  return api(baseUrl, "POST", "/_synapse/admin/v1/register", {
    body: { nonce: nonceBody.nonce, username, password, admin, mac: mac ?? sharedSecretMac(secret, nonceBody.nonce, username, password, admin) },
  });
}

describe("registration disabled", () => {
  let server;
  before(async () => {
    server = await startServer({ config: { registration: { enabled: false, shared_secret: "operator-secret" } } });
  });
  after(async () => server?.stop());

  test("POST /register is 403 M_FORBIDDEN, with or without auth", async () => {
    const username = uniqueName("closed");
    expectStatus(await api(server.baseUrl, "POST", REGISTER, { body: { username, password: "pw pw pw" } }), 403, "M_FORBIDDEN");
    expectStatus(await api(server.baseUrl, "POST", REGISTER, {
      body: { username, password: "pw pw pw", auth: { type: "m.login.dummy" } },
    }), 403, "M_FORBIDDEN");
  });

  test("the registration token validity check is 403 M_FORBIDDEN when registration is disabled", async () => {
    const res = await api(server.baseUrl, "GET", "/_matrix/client/v1/register/m.login.registration_token/validity", { query: { token: "abc" } });
    expectStatus(res, 403, "M_FORBIDDEN");
  });

  test("an operator-created account can still log in", async () => {
    const username = uniqueName("op");
    const created = ok(await adminRegister(server.baseUrl, "operator-secret", username, "operator pw 1"));
    assert.equal(created.user_id, `@${username}:localhost`);
    const logged = ok(await login(server.baseUrl, username, "operator pw 1"));
    assert.equal(logged.user_id, created.user_id);
  });
});

describe("registration tokens", () => {
  let server;
  before(async () => {
    server = await startServer({ config: { registration: { tokens: ["abc"] } } });
  });
  after(async () => server?.stop());

  test("the UIA flows require m.login.registration_token, and dummy alone is not enough", async () => {
    const username = uniqueName("tok");
    const first = await api(server.baseUrl, "POST", REGISTER, { body: { username, password: "pw pw pw" } });
    const uia = expectStatus(first, 401);
    assert.ok(uia.flows.length > 0);
    for (const flow of uia.flows)
      assert.ok(flow.stages.includes("m.login.registration_token"), `every flow needs a token: ${first.text}`);
    const dummy = await api(server.baseUrl, "POST", REGISTER, {
      body: { username, password: "pw pw pw", auth: { type: "m.login.dummy", session: uia.session } },
    });
    assert.notEqual(dummy.status, 200, `dummy alone must not register: ${dummy.text}`);
    const avail = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username } }));
    assert.equal(avail.available, true);
  });

  test("a wrong token is refused (401 with the flows again), a right token registers", async () => {
    const username = uniqueName("tok");
    const first = await api(server.baseUrl, "POST", REGISTER, { body: { username, password: "pw pw pw" } });
    const session = expectStatus(first, 401).session;
    const wrong = await api(server.baseUrl, "POST", REGISTER, {
      body: { username, password: "pw pw pw", auth: { type: "m.login.registration_token", token: "nope", session } },
    });
    // UIA: a failed stage answers 401 with the flows and an errcode.
    const failed = expectStatus(wrong, 401);
    assert.equal(typeof failed.errcode, "string", `a failed stage carries an errcode: ${wrong.text}`);
    assert.ok(Array.isArray(failed.flows));

    const right = await api(server.baseUrl, "POST", REGISTER, {
      body: { username, password: "pw pw pw", auth: { type: "m.login.registration_token", token: "abc", session } },
    });
    let body = right.body;
    if (right.status === 401) {
      // The token stage is done; finish whatever stage the chosen flow still needs (dummy).
      assert.ok(body.completed.includes("m.login.registration_token"), right.text);
      body = ok(await api(server.baseUrl, "POST", REGISTER, {
        body: { username, password: "pw pw pw", auth: { type: "m.login.dummy", session } },
      }));
    } else {
      ok(right);
    }
    assert.equal(body.user_id, `@${username}:localhost`);
    assert.equal(typeof body.access_token, "string");
  });

  test("GET /register/m.login.registration_token/validity", async () => {
    const path = "/_matrix/client/v1/register/m.login.registration_token/validity";
    assert.equal(ok(await api(server.baseUrl, "GET", path, { query: { token: "abc" } })).valid, true);
    assert.equal(ok(await api(server.baseUrl, "GET", path, { query: { token: "not-a-token" } })).valid, false);
  });
});

describe("shared-secret registration", () => {
  let server;
  const secret = "s3cret";
  before(async () => {
    server = await startServer({ config: { registration: { shared_secret: secret } } });
  });
  after(async () => server?.stop());

  test("GET nonce, POST with the HMAC-SHA1 registers a user who can log in", async () => {
    const username = uniqueName("shared");
    const res = await adminRegister(server.baseUrl, secret, username, "shared pw 1");
    const body = ok(res);
    assert.equal(body.user_id, `@${username}:localhost`);
    assert.equal(typeof body.access_token, "string");
    const who = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: body.access_token }));
    assert.equal(who.user_id, body.user_id);
    ok(await login(server.baseUrl, username, "shared pw 1"));
  });

  test("an admin registration works with the admin MAC", async () => {
    const username = uniqueName("sadmin");
    const body = ok(await adminRegister(server.baseUrl, secret, username, "shared pw 2", { admin: true }));
    assert.equal(body.user_id, `@${username}:localhost`);
  });

  test("a wrong MAC is 403 and creates nothing", async () => {
    const username = uniqueName("badmac");
    const res = await adminRegister(server.baseUrl, secret, username, "shared pw 3", { mac: "00".repeat(20) });
    expectStatus(res, 403);
    const wrongSecret = await adminRegister(server.baseUrl, "not-the-secret", username, "shared pw 3");
    expectStatus(wrongSecret, 403);
    // MAC computed for notadmin but admin: true requested.
    const nonce = ok(await api(server.baseUrl, "GET", "/_synapse/admin/v1/register")).nonce;
    const flipped = await api(server.baseUrl, "POST", "/_synapse/admin/v1/register", {
      body: { nonce, username, password: "shared pw 3", admin: true, mac: sharedSecretMac(secret, nonce, username, "shared pw 3", false) },
    });
    expectStatus(flipped, 403);
    const avail = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/register/available", { query: { username } }));
    assert.equal(avail.available, true);
  });

  test("a nonce can be used only once", async () => {
    const username = uniqueName("nonce");
    const nonce = ok(await api(server.baseUrl, "GET", "/_synapse/admin/v1/register")).nonce;
    const mac = sharedSecretMac(secret, nonce, username, "shared pw 4", false);
    ok(await api(server.baseUrl, "POST", "/_synapse/admin/v1/register", {
      body: { nonce, username, password: "shared pw 4", admin: false, mac },
    }));
    const other = uniqueName("nonce");
    const again = await api(server.baseUrl, "POST", "/_synapse/admin/v1/register", {
      body: { nonce, username: other, password: "shared pw 4", admin: false, mac: sharedSecretMac(secret, nonce, other, "shared pw 4", false) },
    });
    assert.ok(again.status >= 400 && again.status < 500, `reused nonce must be refused: ${again.status} ${again.text}`);
  });
});
