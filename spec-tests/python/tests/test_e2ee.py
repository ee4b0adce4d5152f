"""End-to-end encryption plumbing: keys/upload, query, claim, changes, to-device messages,
device lists in /sync, cross-signing, key backup; and an encrypted room between two real
matrix-nio clients with libolm (python3-olm), each decrypting what the other sent.

The server stores and routes; it never decrypts. Spec: client-server-api "End-to-End
Encryption", keys.yaml, cross_signing.yaml, to_device.yaml, key_backup.yaml.
"""

import asyncio
import base64
import json
import shutil
import tempfile

from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageText

from harness import DomovoyTestCase, unique

try:
    import olm  # python3-olm, for signing cross-signing keys as a client would
except ImportError:  # pragma: no cover - install-deps installs it
    olm = None


def canonical(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(pk_signing, user_id, key_id, obj):
    """Signs obj as the spec's "Signing JSON" does (without signatures and unsigned)."""
    bare = {k: v for k, v in obj.items() if k not in ("signatures", "unsigned")}
    signature = pk_signing.sign(canonical(bare))
    obj.setdefault("signatures", {}).setdefault(user_id, {})[key_id] = signature
    return obj


def cross_signing_key(pk_signing, user_id, usage):
    public = pk_signing.public_key
    return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}


def fake_device_keys(user_id, device_id, curve="curve-key", ed="ed-key"):
    return {"user_id": user_id, "device_id": device_id,
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": {f"curve25519:{device_id}": curve, f"ed25519:{device_id}": ed},
            "signatures": {user_id: {f"ed25519:{device_id}": "sig"}}}


class TestKeysEndpoints(DomovoyTestCase):
    """keys/upload, query, claim with errors (raw requests: exact shapes)."""

    async def test_upload_counts_claim_and_fallback(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        keys = fake_device_keys(alice.user_id, alice.device_id)
        otks = {f"signed_curve25519:AAAA{i}": {"key": f"k{i}", "signatures": {}} for i in range(3)}
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload",
                                      {"device_keys": keys, "one_time_keys": otks,
                                       "fallback_keys": {"signed_curve25519:FB1": {"key": "fb", "fallback": True}}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["one_time_key_counts"]["signed_curve25519"], 3)
        # The same upload again is a retry: accepted, nothing doubled.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload", {"one_time_keys": otks})
        self.assertEqual((status, body["one_time_key_counts"]["signed_curve25519"]), (200, 3))
        # A reused key id with another key is refused.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload",
                                      {"one_time_keys": {"signed_curve25519:AAAA0": {"key": "other"}}})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "reused one-time key id")
        # Keys of another device are refused.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload",
                                      {"device_keys": fake_device_keys(alice.user_id, "OTHERDEVICE")})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "device keys of another device")
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload", {"device_keys": "nope"})
        self.assertEqual(status, 400, body)

        # Query: bob sees alice's device with its display name.
        await self.raw(alice, "PUT", f"/_matrix/client/v3/devices/{alice.device_id}", {"display_name": "Alice's phone"})
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query",
                                      {"device_keys": {alice.user_id: []}})
        self.assertEqual(status, 200, body)
        device = body["device_keys"][alice.user_id][alice.device_id]
        self.assertEqual(device["keys"], keys["keys"])
        self.assertEqual(device["unsigned"]["device_display_name"], "Alice's phone")
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query",
                                      {"device_keys": {alice.user_id: ["NOSUCH"]}})
        self.assertEqual(body["device_keys"][alice.user_id], {})
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query", {})
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "query without device_keys")

        # Claim: three one-time keys, each once, then the fallback key (kept, marked used).
        claimed = set()
        for _ in range(3):
            status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/claim",
                                          {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}})
            self.assertEqual(status, 200, body)
            ((key_id, _),) = body["one_time_keys"][alice.user_id][alice.device_id].items()
            claimed.add(key_id)
        self.assertEqual(claimed, set(otks))
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload", {})
        self.assertEqual(body["one_time_key_counts"]["signed_curve25519"], 0)
        resp = await self.sync(alice)
        raw_sync = resp.transport_response
        self.assertIsNotNone(raw_sync)
        status, sync_body = await self.raw(alice, "GET", "/_matrix/client/v3/sync")
        self.assertEqual(sync_body["device_unused_fallback_key_types"], ["signed_curve25519"])
        for _ in range(2):
            status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/claim",
                                          {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}})
            self.assertEqual(body["one_time_keys"][alice.user_id][alice.device_id],
                             {"signed_curve25519:FB1": {"key": "fb", "fallback": True}})
        status, sync_body = await self.raw(alice, "GET", "/_matrix/client/v3/sync")
        self.assertEqual(sync_body["device_unused_fallback_key_types"], [])
        self.assertEqual(sync_body["device_one_time_keys_count"]["signed_curve25519"], 0)
        # An unknown algorithm or device claims nothing.
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/claim",
                                      {"one_time_keys": {alice.user_id: {"NOSUCH": "signed_curve25519",
                                                                         alice.device_id: "other_alg"}}})
        self.assertEqual((status, body["one_time_keys"]), (200, {}))

    async def test_deleted_device_takes_its_keys_and_tells_room_mates(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, invite=[bob.user_id])
        await self.join(bob, room)
        phone = await self.login_again(alice)
        await self.raw(phone, "POST", "/_matrix/client/v3/keys/upload",
                       {"device_keys": fake_device_keys(alice.user_id, phone.device_id),
                        "one_time_keys": {"signed_curve25519:X": "k"}})
        await self.sync(bob)
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {alice.user_id: []}})
        self.assertIn(phone.device_id, body["device_keys"][alice.user_id])
        status, body = await self.raw(phone, "POST", "/_matrix/client/v3/logout")
        self.assertEqual(status, 200, body)
        resp, _ = await self.sync_until(bob, lambda r: alice.user_id in (r.device_list.changed or []),
                                        "alice in device_lists.changed after her device was deleted")
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {alice.user_id: []}})
        self.assertNotIn(phone.device_id, body["device_keys"][alice.user_id])
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/claim",
                                      {"one_time_keys": {alice.user_id: {phone.device_id: "signed_curve25519"}}})
        self.assertEqual(body["one_time_keys"], {})

    async def test_device_lists_changed_and_left(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, invite=[bob.user_id])
        await self.sync(alice)
        await self.join(bob, room)
        # Bob began to share a room with alice: she should fetch his keys.
        await self.sync_until(alice, lambda r: bob.user_id in (r.device_list.changed or []),
                              "bob in alice's device_lists.changed after he joined")
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/upload",
                                      {"device_keys": fake_device_keys(bob.user_id, bob.device_id)})
        await self.sync_until(alice, lambda r: bob.user_id in (r.device_list.changed or []),
                              "bob in device_lists.changed after a key upload")
        before = alice.next_batch
        # keys/changes gives the same between two tokens.
        await self.raw(bob, "POST", "/_matrix/client/v3/keys/upload",
                       {"device_keys": fake_device_keys(bob.user_id, bob.device_id, curve="new")})
        await self.sync_until(alice, lambda r: bob.user_id in (r.device_list.changed or []), "second change")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/keys/changes",
                                      query={"from": before, "to": alice.next_batch})
        self.assertEqual(status, 200, body)
        self.assertIn(bob.user_id, body["changed"])
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/keys/changes", query={"from": before})
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "keys/changes without to")
        # Bob leaves the only room they share: he is in "left", in sync and in keys/changes.
        before_leave = alice.next_batch
        await bob.room_leave(room)
        await self.sync_until(alice, lambda r: bob.user_id in (r.device_list.left or []),
                              "bob in device_lists.left after he left the only shared room")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/keys/changes",
                                      query={"from": before_leave, "to": alice.next_batch})
        self.assertEqual((status, body["left"], body["changed"]), (200, [bob.user_id], []), body)
        # And joining again makes him "changed" (alice must fetch his devices anew).
        before_rejoin = alice.next_batch
        await self.raw(alice, "POST", f"/_matrix/client/v3/rooms/{room}/invite", {"user_id": bob.user_id})
        await self.join(bob, room)
        await self.sync_until(alice, lambda r: bob.user_id in (r.device_list.changed or []), "bob back")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/keys/changes",
                                      query={"from": before_rejoin, "to": alice.next_batch})
        self.assertEqual((status, body["changed"], body["left"]), (200, [bob.user_id], []), body)
        await bob.room_leave(room)
        # A stranger's key change is not told to alice.
        carol = await self.register("carol")
        await self.raw(carol, "POST", "/_matrix/client/v3/keys/upload",
                       {"device_keys": fake_device_keys(carol.user_id, carol.device_id)})
        resp = await self.sync(alice, timeout=500)
        self.assertNotIn(carol.user_id, resp.device_list.changed or [])


class TestToDevice(DomovoyTestCase):

    async def test_delivery_idempotency_wildcard_and_acknowledgement(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        bob_phone = await self.login_again(bob)
        for client in (bob, bob_phone):
            await self.sync(client)
        path = f"/_matrix/client/v3/sendToDevice/m.test/{unique('txn')}"
        body = {"messages": {bob.user_id: {bob.device_id: {"n": 1}}}}
        status, resp = await self.raw(alice, "PUT", path, body)
        self.assertEqual((status, resp), (200, {}))
        status, resp = await self.raw(alice, "PUT", path, body)  # a retry delivers nothing twice
        self.assertEqual(status, 200, resp)
        status, first = await self.raw(bob, "GET", "/_matrix/client/v3/sync",
                                       query={"since": bob.next_batch, "timeout": 5000})
        events = first["to_device"]["events"]
        self.assertEqual(events, [{"type": "m.test", "sender": alice.user_id, "content": {"n": 1}}])
        # Not acknowledged yet: the same token gives it again; the next token does not.
        status, again = await self.raw(bob, "GET", "/_matrix/client/v3/sync", query={"since": bob.next_batch})
        self.assertEqual(again["to_device"]["events"], events)
        status, after = await self.raw(bob, "GET", "/_matrix/client/v3/sync",
                                       query={"since": first["next_batch"], "timeout": 0})
        self.assertEqual(after["to_device"]["events"], [])
        status, after = await self.raw(bob, "GET", "/_matrix/client/v3/sync", query={"since": bob.next_batch})
        self.assertEqual(after["to_device"]["events"], [], "acknowledged messages are deleted")
        # "*" reaches every device of the user; the other device never saw the first message.
        status, resp = await self.raw(alice, "PUT", f"/_matrix/client/v3/sendToDevice/m.test/{unique('txn')}",
                                      {"messages": {bob.user_id: {"*": {"n": 2}}}})
        self.assertEqual(status, 200, resp)
        for client in (bob, bob_phone):
            status, body = await self.raw(client, "GET", "/_matrix/client/v3/sync",
                                          query={"since": client.next_batch, "timeout": 5000})
            contents = [e["content"] for e in body["to_device"]["events"]]
            if client is bob:
                contents = contents[-1:]  # bob's token from before still has the first one
            self.assertEqual(contents, [{"n": 2}], f"to-device message for every device ({client.device_id})")
        status, resp = await self.raw(alice, "PUT", f"/_matrix/client/v3/sendToDevice/m.test/{unique('txn')}",
                                      {"messages": "no"})
        self.assertRawError(status, resp, "M_BAD_JSON", 400, "messages not an object")

    async def test_a_big_inbox_comes_in_parts_and_nothing_is_lost(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        await self.sync(bob)
        for i in range(0, 250, 50):
            messages = {bob.user_id: {bob.device_id: {"n": i}}}
            for j in range(50):
                status, _ = await self.raw(alice, "PUT", f"/_matrix/client/v3/sendToDevice/m.test/t{i}-{j}",
                                           {"messages": {bob.user_id: {bob.device_id: {"n": i + j}}}})
                self.assertEqual(status, 200)
        seen = []
        since = bob.next_batch
        for _ in range(10):
            status, body = await self.raw(bob, "GET", "/_matrix/client/v3/sync", query={"since": since, "timeout": 0})
            self.assertEqual(status, 200)
            seen += [e["content"]["n"] for e in body["to_device"]["events"]]
            self.assertLessEqual(len(body["to_device"]["events"]), 100)
            since = body["next_batch"]
            if len(seen) >= 250:
                break
        self.assertEqual(seen, list(range(250)))


class TestEncryptedRoom(DomovoyTestCase):
    """Two nio clients with libolm: keys uploaded, claimed and queried through the server, a
    megolm session shared over to-device olm messages, and each decrypts the other's message."""

    async def encrypted_client(self, registered):
        store = tempfile.mkdtemp(prefix="domovoy-nio-store-")
        self.addCleanup(shutil.rmtree, store, True)
        config = AsyncClientConfig(encryption_enabled=True, max_timeouts=0, max_limit_exceeded=0, request_timeout=45)
        client = AsyncClient(self.server.url, registered.user_id, store_path=store, config=config)
        self._clients.append(client)
        resp = await client.login(self.password, device_name="nio e2ee")
        self.assertOk(resp, "LoginResponse", "login with encryption")
        self.assertTrue(client.olm is not None, "nio loaded its olm account")
        return client

    async def settle(self, client):
        await self.sync(client, timeout=200)
        if client.should_upload_keys:
            self.assertOk(await client.keys_upload(), "KeysUploadResponse", "keys_upload")
        if client.should_query_keys:
            self.assertOk(await client.keys_query(), "KeysQueryResponse", "keys_query")

    async def test_two_clients_decrypt_each_other(self):
        if olm is None:
            self.skipTest("python3-olm is missing")
        alice = await self.encrypted_client(await self.register("alice"))
        bob = await self.encrypted_client(await self.register("bob"))
        for client in (alice, bob):
            await self.settle(client)
        room = await self.create_room(
            alice, invite=[bob.user_id],
            initial_state=[{"type": "m.room.encryption", "state_key": "",
                            "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        await self.sync(bob)
        await self.join(bob, room)
        for client in (alice, bob, alice):
            await self.settle(client)
        self.assertTrue(alice.rooms[room].encrypted)
        self.assertIn(bob.device_id, alice.device_store[bob.user_id], "alice knows bob's device from keys/query")

        resp = await alice.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "лифт сломан"},
                                     ignore_unverified_devices=True)
        self.assertOk(resp, "RoomSendResponse", "encrypted send")

        async def decrypted_by(client, body):
            for _ in range(20):
                resp = await self.sync(client, timeout=1000)
                for event in resp.rooms.join.get(room, None).timeline.events if room in resp.rooms.join else []:
                    if isinstance(event, MegolmEvent):
                        self.fail(f"{client.user_id} could not decrypt {event.session_id}")
                    if isinstance(event, RoomMessageText) and event.body == body:
                        return event
                if client.should_query_keys:
                    await client.keys_query()
            self.fail(f"{client.user_id} never saw {body!r}")

        event = await decrypted_by(bob, "лифт сломан")
        self.assertTrue(event.decrypted)
        # What the server stored is ciphertext only.
        status, stored = await self.raw(bob, "GET", f"/_matrix/client/v3/rooms/{room}/event/{event.event_id}")
        self.assertEqual(stored["type"], "m.room.encrypted")
        self.assertNotIn("лифт", json.dumps(stored, ensure_ascii=False))

        await self.settle(bob)
        resp = await bob.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "вызвал мастера"},
                                   ignore_unverified_devices=True)
        self.assertOk(resp, "RoomSendResponse", "bob's encrypted send")
        event = await decrypted_by(alice, "вызвал мастера")
        self.assertTrue(event.decrypted)


class TestCrossSigning(DomovoyTestCase):

    async def test_upload_uia_signatures_and_visibility(self):
        if olm is None:
            self.skipTest("python3-olm is missing")
        alice = await self.register("alice")
        bob = await self.register("bob")
        master, self_signing, user_signing = olm.PkSigning(olm.PkSigning.generate_seed()), \
            olm.PkSigning(olm.PkSigning.generate_seed()), olm.PkSigning(olm.PkSigning.generate_seed())
        uid = alice.user_id
        master_key = cross_signing_key(master, uid, "master")
        master_id = f"ed25519:{master.public_key}"
        ssk = sign(master, uid, master_id, cross_signing_key(self_signing, uid, "self_signing"))
        usk = sign(master, uid, master_id, cross_signing_key(user_signing, uid, "user_signing"))
        # A self-signing key not signed by the master key is refused.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                                      {"master_key": master_key,
                                       "self_signing_key": cross_signing_key(self_signing, uid, "self_signing")})
        self.assertRawError(status, body, "M_INVALID_SIGNATURE", 400, "unsigned self-signing key")
        # The first upload needs no UIA.
        upload = {"master_key": master_key, "self_signing_key": ssk, "user_signing_key": usk}
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/device_signing/upload", upload)
        self.assertEqual((status, body), (200, {}))
        # The same keys again (a retry) need none either; new keys do.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/device_signing/upload", upload)
        self.assertEqual((status, body), (200, {}))
        other_master = olm.PkSigning(olm.PkSigning.generate_seed())
        replacement = {"master_key": cross_signing_key(other_master, uid, "master")}
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/device_signing/upload", replacement)
        self.assertEqual(status, 401, body)
        self.assertIn("session", body)
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                                      dict(replacement, auth={"type": "m.login.password", "session": body["session"],
                                                              "identifier": {"type": "m.id.user", "user": uid},
                                                              "password": "wrong"}))
        self.assertEqual(status, 401, body)
        self.assertEqual(body.get("errcode"), "M_FORBIDDEN")

        # Alice's self-signing key signs her device; a bad signature is a failure.
        device_keys = fake_device_keys(uid, alice.device_id)
        await self.raw(alice, "POST", "/_matrix/client/v3/keys/upload", {"device_keys": device_keys})
        signed = sign(self_signing, uid, f"ed25519:{self_signing.public_key}", json.loads(json.dumps(device_keys)))
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/signatures/upload",
                                      {uid: {alice.device_id: signed}})
        self.assertEqual((status, body["failures"]), (200, {}))
        forged = json.loads(json.dumps(device_keys))
        forged["signatures"][uid][f"ed25519:{self_signing.public_key}"] = base64.b64encode(b"x" * 64).decode().rstrip("=")
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/signatures/upload",
                                      {uid: {alice.device_id: forged}})
        self.assertEqual(body["failures"][uid][alice.device_id]["errcode"], "M_INVALID_SIGNATURE")

        # Bob sees alice's master and self-signing keys and her signed device, not her user-signing key.
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {uid: []}})
        self.assertEqual(body["master_keys"][uid]["keys"], master_key["keys"])
        self.assertIn(uid, body["self_signing_keys"])
        self.assertNotIn(uid, body["user_signing_keys"])
        self.assertIn(f"ed25519:{self_signing.public_key}",
                      body["device_keys"][uid][alice.device_id]["signatures"][uid])
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {uid: []}})
        self.assertEqual(body["user_signing_keys"][uid]["keys"], usk["keys"])

        # Alice's user-signing key signs bob's master key: visible to alice, not to others.
        bob_master = olm.PkSigning(olm.PkSigning.generate_seed())
        status, body = await self.raw(bob, "POST", "/_matrix/client/v3/keys/device_signing/upload",
                                      {"master_key": cross_signing_key(bob_master, bob.user_id, "master")})
        self.assertEqual(status, 200, body)
        bob_master_key = cross_signing_key(bob_master, bob.user_id, "master")
        signed_master = sign(user_signing, uid, f"ed25519:{user_signing.public_key}", bob_master_key)
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/signatures/upload",
                                      {bob.user_id: {bob_master.public_key: signed_master}})
        self.assertEqual((status, body["failures"]), (200, {}))
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bob.user_id: []}})
        self.assertIn(uid, body["master_keys"][bob.user_id]["signatures"])
        carol = await self.register("carol")
        status, body = await self.raw(carol, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bob.user_id: []}})
        self.assertNotIn(uid, body["master_keys"][bob.user_id].get("signatures", {}))
        # Signing another user's device directly is forbidden.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/keys/signatures/upload",
                                      {bob.user_id: {bob.device_id: {"user_id": bob.user_id}}})
        self.assertIn(bob.device_id, body["failures"][bob.user_id])


class TestKeyBackup(DomovoyTestCase):

    def key(self, index, forwarded=0, verified=False, data="x"):
        return {"first_message_index": index, "forwarded_count": forwarded, "is_verified": verified,
                "session_data": {"ciphertext": data, "ephemeral": "e", "mac": "m"}}

    async def test_versions_keys_and_errors(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/room_keys/version")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "no backup yet")
        algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/room_keys/version",
                                      {"algorithm": algorithm, "auth_data": {"public_key": "pk"}})
        self.assertEqual(status, 200, body)
        first = body["version"]
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/room_keys/version", {"algorithm": algorithm})
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "version without auth_data")
        keys_path = "/_matrix/client/v3/room_keys/keys"
        room = "!room:localhost"
        status, body = await self.raw(alice, "PUT", f"{keys_path}/{room}/s1", self.key(5), query={"version": first})
        self.assertEqual((status, body["count"]), (200, 1), body)
        etag = body["etag"]
        self.assertIsInstance(etag, str)
        # A worse copy (later first index) is not stored; a better one replaces.
        status, body = await self.raw(alice, "PUT", f"{keys_path}/{room}/s1", self.key(9, data="worse"),
                                      query={"version": first})
        self.assertEqual(body["etag"], etag)
        status, body = await self.raw(alice, "PUT", f"{keys_path}/{room}", {"sessions": {"s1": self.key(2, data="better"),
                                                                                        "s2": self.key(0)}},
                                      query={"version": first})
        self.assertEqual(body["count"], 2)
        self.assertNotEqual(body["etag"], etag)
        status, body = await self.raw(alice, "GET", f"{keys_path}/{room}/s1", query={"version": first})
        self.assertEqual(body["session_data"]["ciphertext"], "better")
        status, body = await self.raw(alice, "GET", keys_path, query={"version": first})
        self.assertEqual(set(body["rooms"][room]["sessions"]), {"s1", "s2"})
        status, body = await self.raw(alice, "GET", f"{keys_path}/{room}/nosuch", query={"version": first})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "unknown session")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/room_keys/version")
        self.assertEqual((body["version"], body["count"], body["algorithm"]), (first, 2, algorithm))
        status, body = await self.raw(alice, "PUT", f"{keys_path}/{room}/s3", {"first_message_index": "x"},
                                      query={"version": first})
        self.assertEqual(status, 400, body)

        # A new version: writes into the old one are refused with the current version.
        status, body = await self.raw(alice, "POST", "/_matrix/client/v3/room_keys/version",
                                      {"algorithm": algorithm, "auth_data": {"public_key": "pk2"}})
        second = body["version"]
        self.assertNotEqual(first, second)
        status, body = await self.raw(alice, "PUT", f"{keys_path}/{room}/s9", self.key(0), query={"version": first})
        self.assertRawError(status, body, "M_WRONG_ROOM_KEYS_VERSION", 403, "old version")
        self.assertEqual(body["current_version"], second)
        status, body = await self.raw(alice, "PUT", f"/_matrix/client/v3/room_keys/version/{second}",
                                      {"algorithm": "other", "auth_data": {}})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "algorithm change")
        status, body = await self.raw(alice, "PUT", f"/_matrix/client/v3/room_keys/version/{second}",
                                      {"algorithm": algorithm, "auth_data": {"public_key": "pk3"}, "version": second})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", f"/_matrix/client/v3/room_keys/version/{second}")
        self.assertEqual(body["auth_data"], {"public_key": "pk3"})
        # Delete keys, then versions.
        status, body = await self.raw(alice, "DELETE", f"{keys_path}/{room}/s1", query={"version": first})
        self.assertEqual((status, body["count"]), (200, 1))
        status, body = await self.raw(alice, "DELETE", f"/_matrix/client/v3/room_keys/version/{second}")
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/room_keys/version")
        self.assertEqual(body["version"], first)
        status, body = await self.raw(alice, "DELETE", f"/_matrix/client/v3/room_keys/version/{second}")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "deleted twice")
        status, body = await self.raw(alice, "GET", keys_path, query={"version": "999"})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "unknown version")
        # Another user sees none of it.
        bob = await self.register("bob")
        status, body = await self.raw(bob, "GET", f"/_matrix/client/v3/room_keys/version/{first}")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "someone else's backup")
