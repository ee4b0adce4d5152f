// The demo region through matrix-js-sdk, as a newcomer meets it: the embedded default (no
// config) imports the demo registry and writes fresh codes; an owner and a tenant of one
// apartment redeem theirs and getJoinedRooms shows exactly their rooms; a stranger's joinRoom
// is refused; the housing user answers a code in a direct message.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { startServer, registerUser, makeClient, syncUntil } from "../lib/server.mjs";

let server;
let codes;
before(async () => {
  server = await startServer(); // no config: the embedded default with the demo region
  const csv = readFileSync(path.join(server.dataDir, "demo-codes.csv"), "utf8").trim().split("\n");
  assert.equal(csv[0], "building_id,apartment,role,code,expires_at");
  codes = csv.slice(1).map((line) => {
    const [building_id, apartment, role, code, expires_at] = line.split(",");
    return { building_id, apartment, role, code, expires_at };
  });
});
after(async () => {
  await server?.stop();
});

const verify = (client, code) =>
  client.http.authedRequest("POST", "/verify", undefined, { code }, { prefix: "/_domovoy/client/v1" });

test("owner and tenant of one apartment join exactly their rooms; a stranger is refused", async () => {
  const ownerCode = codes.find((c) => c.role === "owner");
  const tenantCode = codes.find((c) => c.role === "tenant" && c.apartment === ownerCode.apartment && c.building_id === ownerCode.building_id);
  assert.ok(ownerCode && tenantCode, "the demo writes an owner's and a tenant's code of one apartment");
  const owner = await makeClient(await registerUser(server.baseUrl));
  const tenant = await makeClient(await registerUser(server.baseUrl));
  const stranger = await makeClient(await registerUser(server.baseUrl));

  const ownerAnswer = await verify(owner, ownerCode.code);
  assert.equal(ownerAnswer.building_id, ownerCode.building_id);
  assert.equal(ownerAnswer.role, "owner");
  const ownerRooms = new Set(Object.values(ownerAnswer.rooms));
  assert.ok(ownerAnswer.rooms.owners && ownerAnswer.rooms.neighbourhood, "owners' and neighbourhood rooms");
  assert.deepEqual(new Set((await owner.getJoinedRooms()).joined_rooms), ownerRooms);

  const tenantAnswer = await verify(tenant, tenantCode.code);
  assert.equal(tenantAnswer.rooms.owners, undefined, "no owners' room for a tenant");
  const tenantJoined = new Set((await tenant.getJoinedRooms()).joined_rooms);
  assert.deepEqual(tenantJoined, new Set([...ownerRooms].filter((r) => r !== ownerAnswer.rooms.owners)));

  const name = await owner.getStateEvent(ownerAnswer.rooms.space, "m.room.name", "");
  assert.match(name.name, /Ленина/);
  const create = await owner.getStateEvent(ownerAnswer.rooms.space, "m.room.create", "");
  assert.equal(create.type, "m.space");

  for (const room of [ownerAnswer.rooms.general, ownerAnswer.rooms.owners]) {
    await assert.rejects(stranger.joinRoom(room), (error) => error.httpStatus === 403 && error.errcode === "M_FORBIDDEN");
  }
  await assert.rejects(tenant.joinRoom(ownerAnswer.rooms.owners), (error) => error.httpStatus === 403);
  await assert.rejects(verify(stranger, ownerCode.code), (error) => error.httpStatus === 403 && error.errcode === "M_FORBIDDEN");
});

test("a code sent to the housing user in a direct message", async () => {
  const code = codes.filter((c) => c.role === "tenant").at(-1);
  const user = await registerUser(server.baseUrl);
  const client = await makeClient(user);
  const { room_id: dm } = await client.createRoom({ invite: ["@domovoy:localhost"], is_direct: true });
  await syncUntil(user, (s) => (s.rooms?.join?.[dm]?.timeline?.events ?? []).some((e) => e.sender === "@domovoy:localhost"));
  await client.sendTextMessage(dm, code.code);
  const synced = await syncUntil(user, (s) =>
    (s.rooms?.join?.[dm]?.timeline?.events ?? []).some((e) => e.sender === "@domovoy:localhost" && /подтверждён/.test(e.content?.body ?? "")),
    { timeoutMs: 15000 });
  assert.ok(synced);
  const joined = (await client.getJoinedRooms()).joined_rooms;
  assert.ok(joined.length >= 5, `the building's rooms besides the DM: ${joined.length}`);
});
