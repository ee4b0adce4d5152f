// Error handling: the client-server API's standard error codes (M_NOT_JSON, M_BAD_JSON,
// M_MISSING_TOKEN, M_UNKNOWN_TOKEN, M_TOO_LARGE, M_LIMIT_EXCEEDED), canonical-JSON limits on event
// content (floats, out-of-range integers), and resilience to hostile bodies.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, expectStatus, registerUser, createRoom, enc } from "../lib/server.mjs";

describe("errors (rate limits off)", () => {
  let server;
  let alice;
  let roomId;
  before(async () => {
    server = await startServer();
    alice = await registerUser(server.baseUrl);
    roomId = await createRoom(alice, {});
  });
  after(async () => server?.stop());

  const send = (body, txn, opts = {}) =>
    api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, { token: alice.access_token, ...opts, ...(body !== undefined ? { body } : {}) });

  test("a malformed JSON body is 400 M_NOT_JSON", async () => {
    for (const raw of ["{not json", '{"a": 1,}', "\u0000\u0001", "{'single': 'quotes'}"]) {
      const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, raw });
      expectStatus(res, 400, "M_NOT_JSON");
    }
    expectStatus(await send(undefined, "nj1", { raw: "{\"msgtype\": \"m.text\", " }), 400, "M_NOT_JSON");
    expectStatus(await api(server.baseUrl, "POST", "/_matrix/client/v3/login", { raw: "nope" }), 400, "M_NOT_JSON");
  });

  test("a JSON array (or scalar) where an object is required is 400 M_BAD_JSON", async () => {
    for (const raw of ["[]", "[1, 2]", '"string"', "42", "null"]) {
      const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, raw });
      expectStatus(res, 400, "M_BAD_JSON");
    }
    expectStatus(await send(undefined, "arr1", { raw: "[]" }), 400, "M_BAD_JSON");
    expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/user/${enc(alice.user_id)}/account_data/org.example.a`, { token: alice.access_token, raw: "[1]" }), 400, "M_BAD_JSON");
  });

  test("a field of the wrong type is 400 M_BAD_JSON (or M_INVALID_PARAM)", async () => {
    const res = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, body: { name: 42, invite: "not-a-list" } });
    expectStatus(res, 400);
    assert.ok(["M_BAD_JSON", "M_INVALID_PARAM"].includes(res.body.errcode), res.text);
  });

  test("no access token is 401 M_MISSING_TOKEN; a bad one 401 M_UNKNOWN_TOKEN", async () => {
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami"), 401, "M_MISSING_TOKEN");
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/joined_rooms"), 401, "M_MISSING_TOKEN");
    expectStatus(await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { body: {} }), 401, "M_MISSING_TOKEN");
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: "syt_definitely_not_valid" }), 401, "M_UNKNOWN_TOKEN");
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/sync", { token: "garbage" }), 401, "M_UNKNOWN_TOKEN");
    const unknown = await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: "nope" });
    if (unknown.body.soft_logout !== undefined) assert.equal(typeof unknown.body.soft_logout, "boolean");
    // A malformed Authorization header is not a token.
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { headers: { Authorization: "Basic dXNlcjpwYXNz" } }), 401, "M_MISSING_TOKEN");
  });

  test("the deprecated access_token query parameter still authenticates", async () => {
    const who = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { query: { access_token: alice.access_token } }));
    assert.equal(who.user_id, alice.user_id);
    expectStatus(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { query: { access_token: "bogus" } }), 401, "M_UNKNOWN_TOKEN");
  });

  test("a body over 65536 bytes is 413 M_TOO_LARGE", async () => {
    const big = JSON.stringify({ msgtype: "m.text", body: "x".repeat(70000) });
    expectStatus(await send(undefined, "big1", { raw: big }), 413, "M_TOO_LARGE");
    const huge = JSON.stringify({ name: "y".repeat(200000) });
    expectStatus(await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, raw: huge }), 413, "M_TOO_LARGE");
    // The server is still fine.
    ok(await send({ msgtype: "m.text", body: "small" }, "big2"));
  });

  test("an event whose content is too large for a PDU (65536 bytes) is refused", async () => {
    // Just under the body limit but, with the event envelope, over the 65536-byte PDU limit.
    const body = JSON.stringify({ msgtype: "m.text", body: "z".repeat(65400) });
    assert.ok(Buffer.byteLength(body) < 65536);
    const res = await send(undefined, "pdu1", { raw: body });
    assert.ok(res.status === 413 || res.status === 400, `status ${res.status}: ${res.text.slice(0, 200)}`);
    assert.ok(["M_TOO_LARGE", "M_BAD_JSON"].includes(res.body?.errcode), res.text.slice(0, 200));
  });

  test("event content with a float is 400 M_BAD_JSON (canonical JSON has integers only)", async () => {
    expectStatus(await send({ msgtype: "m.text", body: "f", x: 1.5 }, "float1"), 400, "M_BAD_JSON");
    expectStatus(await send(undefined, "float2", { raw: '{"msgtype":"m.text","body":"f","nested":{"y":[1,2.25]}}' }), 400, "M_BAD_JSON");
    expectStatus(await send(undefined, "float3", { raw: '{"msgtype":"m.text","body":"f","e":1e3}' }), 400, "M_BAD_JSON");
    expectStatus(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/state/org.example.f/`, { token: alice.access_token, raw: '{"v": 0.1}' }), 400, "M_BAD_JSON");
  });

  test("event content with an integer outside [-(2^53)+1, 2^53-1] is 400 M_BAD_JSON", async () => {
    expectStatus(await send(undefined, "int1", { raw: '{"msgtype":"m.text","body":"i","n":9007199254740992}' }), 400, "M_BAD_JSON");
    expectStatus(await send(undefined, "int2", { raw: '{"msgtype":"m.text","body":"i","n":-9007199254740992}' }), 400, "M_BAD_JSON");
    const okRes = ok(await send(undefined, "int3", { raw: '{"msgtype":"m.text","body":"i","n":9007199254740991,"m":-9007199254740991}' }));
    const ev = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(okRes.event_id)}`, { token: alice.access_token }));
    assert.equal(ev.content.n, 9007199254740991);
    assert.equal(ev.content.m, -9007199254740991);
  });

  test("deeply nested JSON (10000 levels) is 400 and the server keeps serving", async () => {
    const deep = "[".repeat(10000) + "]".repeat(10000);
    const deepObj = '{"a":'.repeat(10000) + "1" + "}".repeat(10000);
    const r1 = await api(server.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: alice.access_token, raw: deepObj });
    expectStatus(r1, 400);
    assert.ok(["M_NOT_JSON", "M_BAD_JSON", "M_TOO_LARGE"].includes(r1.body?.errcode), r1.text.slice(0, 200));
    const r2 = await send(undefined, "deep2", { raw: `{"msgtype":"m.text","body":"d","x":${deep}}` });
    expectStatus(r2, 400);
    const r3 = await api(server.baseUrl, "POST", "/_matrix/client/v3/login", { raw: deepObj });
    expectStatus(r3, 400);
    // Still alive and correct.
    assert.ok(server.alive(), "the server process is still running");
    ok(await api(server.baseUrl, "GET", "/_matrix/client/versions"));
    ok(await send({ msgtype: "m.text", body: "after the deep ones" }, "deep3"));
  });

  test("moderately nested content within limits is accepted and returned intact", async () => {
    let nested = { leaf: "ok" };
    for (let i = 0; i < 20; i++) nested = { n: nested };
    const res = ok(await send({ msgtype: "m.text", body: "nested", nested }, "nest1"));
    const ev = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(res.event_id)}`, { token: alice.access_token }));
    assert.deepEqual(ev.content.nested, nested);
  });

  test("unicode and escapes in content round-trip", async () => {
    const content = { msgtype: "m.text", body: "Привет, мир! 🏠 \u00e9\u0301 \"quoted\" \\ / \n\t", "org.example.ctrl": "\u0001\u001f" };
    const res = ok(await send(content, "uni1"));
    const ev = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(res.event_id)}`, { token: alice.access_token }));
    assert.deepEqual(ev.content, content);
  });
});

describe("rate limits", () => {
  let server;
  before(async () => {
    server = await startServer({ rateLimits: true, config: { rate_limits: { per_user: { per_second: 1, burst: 3 } } } });
  });
  after(async () => server?.stop());

  test("a burst of sends gets 429 M_LIMIT_EXCEEDED with retry_after_ms", async () => {
    const user = await registerUser(server.baseUrl);
    const roomId = await createRoom(user, {});
    const results = [];
    for (let i = 0; i < 12; i++) {
      results.push(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/rl${i}`, {
        token: user.access_token,
        body: { msgtype: "m.text", body: `burst ${i}` },
      }));
    }
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length > 0, `some requests were limited: ${results.map((r) => r.status)}`);
    assert.ok(results.some((r) => r.status === 200), "the first requests pass");
    for (const r of limited) {
      assert.equal(r.body.errcode, "M_LIMIT_EXCEEDED");
      assert.equal(typeof r.body.retry_after_ms, "number");
      assert.ok(Number.isInteger(r.body.retry_after_ms) && r.body.retry_after_ms > 0, `retry_after_ms: ${r.body.retry_after_ms}`);
    }
    // After waiting as told, the request goes through.
    const wait = limited.at(-1).body.retry_after_ms;
    await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5000) + 100));
    ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/after-wait`, {
      token: user.access_token,
      body: { msgtype: "m.text", body: "after waiting" },
    }));
    // Other users are not affected by this user's limit.
    const other = await registerUser(server.baseUrl);
    ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: other.access_token }));
  });
});
