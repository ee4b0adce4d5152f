// Durability: every event the server acknowledged (200 with an event_id) survives kill -9.
// Several senders write concurrently into several rooms; the server is killed mid-way, restarted
// on the same data directory, and every acknowledged event must be readable with its content.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, api, ok, registerUser, createRoom, joinRoom, enc, sleep } from "../lib/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

test("acknowledged events survive kill -9 and a restart on the same data directory", async (t) => {
  const users = [];
  for (let i = 0; i < 4; i++) users.push(await registerUser(server.baseUrl));
  const rooms = [];
  for (let i = 0; i < 3; i++) {
    const roomId = await createRoom(users[0], { preset: "public_chat", name: `crash ${i}` });
    for (const u of users.slice(1)) await joinRoom(u, roomId);
    rooms.push(roomId);
  }

  const acked = [];
  let stop = false;
  const senders = [];
  for (const user of users) {
    for (const roomId of rooms) {
      senders.push((async () => {
        for (let i = 0; !stop && i < 100000; i++) {
          const body = { msgtype: "m.text", body: `${user.localpart} ${roomId} #${i}`, seq: i };
          let res;
          try {
            res = await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/crash-${i}`, { token: user.access_token, body });
          } catch {
            return; // the server is gone
          }
          if (res.status === 200 && res.body?.event_id) acked.push({ user, roomId, eventId: res.body.event_id, body, seq: i });
        }
      })());
    }
  }
  // Let the writers run until a good number of events is acknowledged, then kill -9 mid-flight.
  const deadline = Date.now() + 15000;
  while (acked.length < 300 && Date.now() < deadline) await sleep(50);
  await server.kill9();
  stop = true;
  await Promise.all(senders);
  assert.ok(acked.length >= 50, `enough events were acknowledged before the kill: ${acked.length}`);

  t.diagnostic(`${acked.length} events acknowledged before kill -9`);
  await server.restart();
  // Every acknowledged event is there, with its content.
  const missing = [];
  for (const a of acked) {
    const res = await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(a.roomId)}/event/${enc(a.eventId)}`, { token: a.user.access_token });
    if (res.status !== 200) {
      missing.push(`${a.eventId} (${a.body.body}): ${res.status} ${res.text}`);
      continue;
    }
    assert.equal(res.body.event_id, a.eventId);
    assert.equal(res.body.sender, a.user.user_id);
    assert.deepEqual(res.body.content, a.body);
  }
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged events were lost`);

  // Each sender's events in each room appear in /messages in the order they were sent.
  for (const roomId of rooms) {
    const seen = [];
    let from;
    for (let page = 0; page < 200; page++) {
      const res = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(roomId)}/messages`, {
        token: users[0].access_token,
        query: { dir: "f", limit: 100, from, filter: JSON.stringify({ types: ["m.room.message"] }) },
      }));
      seen.push(...res.chunk);
      if (!res.end || res.chunk.length === 0) break;
      from = res.end;
    }
    const ids = new Set(seen.map((e) => e.event_id));
    for (const a of acked.filter((x) => x.roomId === roomId)) assert.ok(ids.has(a.eventId), `${a.eventId} in /messages of ${roomId}`);
    for (const user of users) {
      const seqs = seen.filter((e) => e.sender === user.user_id).map((e) => e.content.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `${user.user_id}'s events in ${roomId} are in send order`);
    }
  }

  // The restarted server works: the old tokens are valid and new events can be sent.
  const last = acked.at(-1);
  const who = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/account/whoami", { token: last.user.access_token }));
  assert.equal(who.user_id, last.user.user_id);
  const fresh = ok(await api(server.baseUrl, "PUT", `/_matrix/client/v3/rooms/${enc(last.roomId)}/send/m.room.message/after-restart`, {
    token: last.user.access_token,
    body: { msgtype: "m.text", body: "after restart" },
  }));
  const got = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${enc(last.roomId)}/event/${enc(fresh.event_id)}`, { token: users[1].access_token }));
  assert.equal(got.content.body, "after restart");
});
