// End-to-end encryption with matrix-js-sdk's Rust crypto (initRustCrypto, the WebAssembly build
// from npm): two residents exchange messages in an encrypted room and both decrypt them; a
// second device of one of them is verified by cross-signing from the first; room keys backed up
// on the server by the first device are restored by the second. The server only stores and
// routes what the clients' crypto produces.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, registerUser, login, loadSdk, makeClient, api, ok } from "../lib/server.mjs";

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

function waitFor(check, what, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = async () => {
      try {
        const value = await check();
        if (value) return resolve(value);
      } catch (error) {
        return reject(error);
      }
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

async function cryptoClient(user) {
  const client = await makeClient(user);
  clients.push(client);
  await client.initRustCrypto({ useIndexedDB: false });
  const synced = new Promise((resolve, reject) => {
    client.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
      if (state === "ERROR") reject(new Error(`sync error: ${data?.error?.message}`));
      if (state === "PREPARED" || state === "SYNCING") resolve();
    });
  });
  await client.startClient({ initialSyncLimit: 20 });
  await synced;
  return client;
}

/** The decrypted body of the event with this id, once the client has it and could decrypt it. */
async function decryptedBody(client, roomId, eventId) {
  return waitFor(async () => {
    const room = client.getRoom(roomId);
    const event = room?.getLiveTimeline().getEvents().find((e) => e.getId() === eventId);
    if (!event) return null;
    await client.decryptEventIfNeeded(event);
    if (event.isDecryptionFailure()) return null;
    return event.getType() === "m.room.message" ? event.getContent().body : null;
  }, `${client.getUserId()} decrypting ${eventId}`);
}

/** Once the client's crypto has taken the room's m.room.encryption event: sending before then
 * fails in the SDK ("Cannot encrypt event in unconfigured room"), whatever the server did. */
async function encryptionConfigured(client, roomId) {
  await waitFor(async () => client.getRoom(roomId)?.hasEncryptionStateEvent() && (await client.getCrypto().isEncryptionEnabledInRoom(roomId)),
    `${client.getUserId()}'s crypto configured for ${roomId}`);
  // The SDK sets the room's encryptor just after the settings that the check above reads.
  await new Promise((resolve) => setTimeout(resolve, 50));
}

test("two Rust-crypto clients decrypt each other's messages in an encrypted room", async () => {
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const aliceClient = await cryptoClient(alice);
  const bobClient = await cryptoClient(bob);
  const created = await aliceClient.createRoom({
    invite: [bob.user_id],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  const roomId = created.room_id;
  await waitFor(() => bobClient.getRoom(roomId), "bob's invite");
  await bobClient.joinRoom(roomId);
  await waitFor(() => aliceClient.getRoom(roomId)?.getMember(bob.user_id)?.membership === "join", "bob joined");
  await encryptionConfigured(aliceClient, roomId);
  await encryptionConfigured(bobClient, roomId);
  assert.equal(aliceClient.isRoomEncrypted?.(roomId) ?? true, true);

  const sent = await aliceClient.sendMessage(roomId, { msgtype: "m.text", body: "Собрание в четверг" });
  assert.equal(await decryptedBody(bobClient, roomId, sent.event_id), "Собрание в четверг");
  const reply = await bobClient.sendMessage(roomId, { msgtype: "m.text", body: "Приду" });
  assert.equal(await decryptedBody(aliceClient, roomId, reply.event_id), "Приду");

  // The server holds ciphertext only.
  const stored = ok(await api(server.baseUrl, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(sent.event_id)}`, { token: bob.access_token }));
  assert.equal(stored.type, "m.room.encrypted");
  assert.ok(!JSON.stringify(stored).includes("Собрание"));
});

test("a new device is verified by cross-signing, and restores the room keys from the server's backup", async () => {
  const alice = await registerUser(server.baseUrl);
  const first = await cryptoClient(alice);
  const crypto = first.getCrypto();
  const authUploadDeviceSigningKeys = async (makeRequest) => {
    await makeRequest({ type: "m.login.password", identifier: { type: "m.id.user", user: alice.user_id }, password: alice.password });
  };
  await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys, setupNewCrossSigning: true });
  assert.equal((await crypto.getCrossSigningStatus()).publicKeysOnDevice, true);
  await crypto.resetKeyBackup();
  const backup = await waitFor(() => crypto.getActiveSessionBackupVersion(), "an active key backup");

  // A neighbour's message in an encrypted room: the room key reaches the first device, which
  // backs it up on the server.
  const bob = await registerUser(server.baseUrl);
  const bobClient = await cryptoClient(bob);
  const created = await first.createRoom({
    invite: [bob.user_id],
    initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
  });
  const roomId = created.room_id;
  await waitFor(() => bobClient.getRoom(roomId), "bob's invite");
  await bobClient.joinRoom(roomId);
  await waitFor(() => first.getRoom(roomId)?.getMember(bob.user_id)?.membership === "join", "bob joined");
  await encryptionConfigured(bobClient, roomId);
  const sent = await bobClient.sendMessage(roomId, { msgtype: "m.text", body: "Код домофона у председателя" });
  assert.equal(await decryptedBody(first, roomId, sent.event_id), "Код домофона у председателя");
  await waitFor(async () => {
    const res = ok(await api(server.baseUrl, "GET", "/_matrix/client/v3/room_keys/version", { token: alice.access_token }));
    return res.version === backup && res.count >= 1;
  }, "the room key in the server-side backup", 30000);

  // The second device logs in: unverified until the first cross-signs it.
  const second = ok(await login(server.baseUrl, alice.user_id, alice.password, { device_id: "SECONDDEV" }));
  const secondClient = await cryptoClient({ ...alice, ...second, baseUrl: server.baseUrl });
  await waitFor(async () => (await crypto.getUserDeviceInfo([alice.user_id], true)).get(alice.user_id)?.has("SECONDDEV"),
    "the first device seeing the second's keys");
  const before = await crypto.getDeviceVerificationStatus(alice.user_id, "SECONDDEV");
  assert.equal(before.crossSigningVerified, false);
  await crypto.crossSignDevice("SECONDDEV");
  // The signature went through the server: its keys/query shows the self-signing key's signature,
  // and the first device, told of the change by /sync, fetches it and trusts the second device.
  const selfSigning = Object.keys((await api(server.baseUrl, "POST", "/_matrix/client/v3/keys/query", {
    token: bob.access_token, body: { device_keys: { [alice.user_id]: [] } },
  })).body.self_signing_keys[alice.user_id].keys)[0];
  await waitFor(async () => {
    const res = ok(await api(server.baseUrl, "POST", "/_matrix/client/v3/keys/query", {
      token: bob.access_token, body: { device_keys: { [alice.user_id]: ["SECONDDEV"] } },
    }));
    return res.device_keys[alice.user_id].SECONDDEV?.signatures?.[alice.user_id]?.[selfSigning];
  }, "the self-signing key's signature on the second device in keys/query");
  await waitFor(async () => (await crypto.getDeviceVerificationStatus(alice.user_id, "SECONDDEV"))?.crossSigningVerified,
    "the second device verified by cross-signing");
  assert.ok(secondClient.getCrypto());

  // The backup key reaches the second device out of band (as secret storage would carry it);
  // the room keys come from the server.
  const backupKey = await crypto.getSessionBackupPrivateKey();
  assert.ok(backupKey);
  await secondClient.getCrypto().storeSessionBackupPrivateKey(backupKey, backup);
  const restored = await secondClient.getCrypto().restoreKeyBackup();
  assert.ok(restored.imported >= 1, `imported ${restored.imported} of ${restored.total}`);
  assert.equal(await decryptedBody(secondClient, roomId, sent.event_id), "Код домофона у председателя");
});
