// End to end with matrix-js-sdk: two clients, startClient, invite, join, messages both ways.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, registerUser, loadSdk, makeClient } from "../lib/server.mjs";

let server;
let sdk;
const clients = [];
before(async () => {
  server = await startServer();
  sdk = await loadSdk();
});
after(async () => {
  for (const client of clients) client.stopClient();
  await server?.stop();
});

/** A fetch that records every request the SDK makes and its status. */
function recordingFetch(log) {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method || "GET";
    const response = await fetch(input, init);
    log.push({ method, path: new URL(url).pathname, status: response.status });
    return response;
  };
}

function waitFor(emitter, event, predicate, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.removeListener(event, listener);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    function listener(...args) {
      let result;
      try {
        result = predicate(...args);
      } catch (error) {
        clearTimeout(timer);
        emitter.removeListener(event, listener);
        reject(error);
        return;
      }
      if (result) {
        clearTimeout(timer);
        emitter.removeListener(event, listener);
        resolve(result);
      }
    }
    emitter.on(event, listener);
  });
}

async function startSdkClient(user, log) {
  const client = await makeClient(user, { fetchFn: recordingFetch(log) });
  clients.push(client);
  const prepared = waitFor(client, sdk.ClientEvent.Sync, (state, _prev, data) => {
    if (state === "ERROR") throw new Error(`sync error: ${data?.error?.message || JSON.stringify(data)}`);
    return state === "PREPARED" || state === "SYNCING";
  }, 20000, `${user.user_id} first sync`);
  await client.startClient({ initialSyncLimit: 10 });
  await prepared;
  return client;
}

test("two matrix-js-sdk clients: invite, join, message and reply", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const aliceLog = [];
  const bobLog = [];
  const a = await startSdkClient(alice, aliceLog);
  const b = await startSdkClient(bob, bobLog);

  // startClient's own requests succeeded: versions, capabilities, push rules, filter, sync.
  for (const [who, log] of [["alice", aliceLog], ["bob", bobLog]]) {
    const find = (re, method = "GET") => log.find((r) => r.method === method && re.test(r.path));
    for (const [re, method] of [
      [/\/_matrix\/client\/versions$/, "GET"],
      [/\/capabilities$/, "GET"],
      [/\/pushrules\/?$/, "GET"],
      [/\/user\/[^/]+\/filter$/, "POST"],
      [/\/sync$/, "GET"],
    ]) {
      const hit = find(re, method);
      assert.ok(hit, `${who}: the SDK called ${method} ${re} (calls: ${log.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")})`);
      assert.equal(hit.status, 200, `${who}: ${method} ${hit.path} answered ${hit.status}`);
    }
    const failures = log.filter((r) => r.status >= 400);
    assert.deepEqual(failures, [], `${who}: every startup request succeeded`);
  }
  assert.ok(a.getPushActionsForEvent !== undefined && a.pushRules?.global?.override?.length > 0, "the SDK loaded the push rules");

  // Bob joins as soon as his client sees the invite.
  const bobJoined = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("bob never saw the invite")), 20000);
    b.on(sdk.RoomMemberEvent.Membership, async (_event, member) => {
      if (member.userId === bob.user_id && member.membership === "invite") {
        try {
          await b.joinRoom(member.roomId);
          clearTimeout(timer);
          resolve(member.roomId);
        } catch (error) {
          clearTimeout(timer);
          reject(error);
        }
      }
    });
  });

  // Alice's client sees bob join (listening from before the room exists: no race).
  const aliceSawJoin = waitFor(a, sdk.RoomMemberEvent.Membership, (_e, member) => member.userId === bob.user_id && member.membership === "join" && member.roomId, 20000, "bob's join at alice");

  const { room_id: roomId } = await a.createRoom({ name: "SDK room", invite: [bob.user_id] });
  assert.equal(await bobJoined, roomId);
  assert.equal(await aliceSawJoin, roomId);

  const bobGot = waitFor(b, sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (toStartOfTimeline || room?.roomId !== roomId) return false;
    return event.getType() === "m.room.message" && event.getContent().body === "hello from alice" ? event : false;
  }, 20000, "alice's message at bob");
  const sent = await a.sendMessage(roomId, { msgtype: "m.text", body: "hello from alice" });
  const received = await bobGot;
  assert.equal(received.getId(), sent.event_id);
  assert.equal(received.getSender(), alice.user_id);

  const aliceGot = waitFor(a, sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
    if (toStartOfTimeline || room?.roomId !== roomId) return false;
    return event.getType() === "m.room.message" && event.getContent().body === "hi alice, bob here" && event.getSender() === bob.user_id ? event : false;
  }, 20000, "bob's reply at alice");
  const reply = await b.sendMessage(roomId, {
    msgtype: "m.text",
    body: "hi alice, bob here",
    "m.relates_to": { "m.in_reply_to": { event_id: sent.event_id } },
  });
  const replyAtAlice = await aliceGot;
  assert.equal(replyAtAlice.getId(), reply.event_id);
  assert.equal(replyAtAlice.getContent()["m.relates_to"]["m.in_reply_to"].event_id, sent.event_id);

  // Both clients' room models agree.
  const roomAtBob = b.getRoom(roomId);
  assert.equal(roomAtBob.name, "SDK room");
  assert.deepEqual(roomAtBob.getJoinedMembers().map((m) => m.userId).sort(), [alice.user_id, bob.user_id].sort());
  const bodiesAtAlice = a.getRoom(roomId).getLiveTimeline().getEvents()
    .filter((e) => e.getType() === "m.room.message").map((e) => e.getContent().body);
  assert.deepEqual(bodiesAtAlice, ["hello from alice", "hi alice, bob here"]);
});

test("matrix-js-sdk: login, profile and room history through the SDK's own calls", async () => {
  const carol = await registerUser(server.baseUrl);
  const client = sdk.createClient({ baseUrl: server.baseUrl });
  clients.push(client);
  const res = await client.loginRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: carol.localpart }, password: carol.password });
  assert.equal(res.user_id, carol.user_id);
  const authed = sdk.createClient({ baseUrl: server.baseUrl, accessToken: res.access_token, userId: res.user_id, deviceId: res.device_id });
  clients.push(authed);
  await authed.setDisplayName("Carol via SDK");
  const profile = await authed.getProfileInfo(carol.user_id);
  assert.equal(profile.displayname, "Carol via SDK");
  const { room_id: roomId } = await authed.createRoom({ name: "history" });
  for (let i = 0; i < 3; i++) await authed.sendTextMessage(roomId, `h${i}`);
  const page = await authed.createMessagesRequest(roomId, null, 2, sdk.Direction.Backward);
  assert.deepEqual(page.chunk.map((e) => e.content.body), ["h2", "h1"]);
  const whoami = await authed.whoami();
  assert.equal(whoami.user_id, carol.user_id);
  await authed.logout(true);
  await assert.rejects(() => authed.whoami(), (error) => error.errcode === "M_UNKNOWN_TOKEN" && error.httpStatus === 401);
});
