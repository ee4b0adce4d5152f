"""An encrypted room across two regional servers (issue 9, "Queries": user/devices,
user/keys/query and user/keys/claim; EDUs: m.direct_to_device, m.device_list_update): two
matrix-nio clients with libolm, alice on msk and bob on spb, in a room of msk with
m.room.encryption. Each client queries the other's device keys and claims a one-time key
through its own server, which asks the other over federation; the megolm session travels as
olm-encrypted to-device messages over federation; each decrypts what the other sent. A new
device of alice's reaches bob's client as a device-list change. Device display names never
leave their server.
"""

import json
import shutil
import tempfile
from urllib.parse import quote

from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageText

from federation_net import FederatedTestCase
from harness import unique

PASSWORD = "correct horse battery staple"

try:
    import olm  # noqa: F401  python3-olm: nio's encryption
except ImportError:  # pragma: no cover - install-deps installs it
    olm = None


class TestFederatedEncryption(FederatedTestCase):

    async def encrypted_client(self, region, device_name="nio e2ee"):
        plain = await self.user_on(region)
        store = tempfile.mkdtemp(prefix="domovoy-nio-fed-store-")
        self.addCleanup(shutil.rmtree, store, True)
        config = AsyncClientConfig(encryption_enabled=True, max_timeouts=0, max_limit_exceeded=0, request_timeout=45)
        client = AsyncClient(self.servers[region].url, plain.user_id, store_path=store, config=config)
        self.clients.append(client)
        resp = await client.login(PASSWORD, device_name=device_name)
        self.assertTrue(getattr(resp, "access_token", None), resp)
        return client

    async def settle(self, client):
        await client.sync(timeout=200)
        if client.should_upload_keys:
            resp = await client.keys_upload()
            self.assertEqual(type(resp).__name__, "KeysUploadResponse", resp)
        if client.should_query_keys:
            resp = await client.keys_query()
            self.assertEqual(type(resp).__name__, "KeysQueryResponse", resp)

    async def decrypted_by(self, client, room_id, body):
        for _ in range(30):
            resp = await client.sync(timeout=1000)
            room = resp.rooms.join.get(room_id) if hasattr(resp, "rooms") else None
            for event in room.timeline.events if room else []:
                if isinstance(event, MegolmEvent):
                    self.fail(f"{client.user_id} could not decrypt {event.session_id}")
                if isinstance(event, RoomMessageText) and event.body == body:
                    return event
            if client.should_query_keys:
                await client.keys_query()
        self.fail(f"{client.user_id} never saw {body!r}")

    async def test_an_encrypted_room_across_servers(self):
        if olm is None:
            self.skipTest("python3-olm is missing")
        alice = await self.encrypted_client("msk", device_name="Телефон Алисы")
        bob = await self.encrypted_client("spb")
        for client in (alice, bob):
            await self.settle(client)
        created = await alice.room_create(alias=unique("podezd"), initial_state=[
            {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        room_id = created.room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                                    {"join_rule": "public"})
        self.assertEqual(status, 200)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}"
                                                    f"?server_name={quote(self.servers['msk'].server_name)}", {})
        self.assertEqual(status, 200, body)

        # Bob's server asks msk for alice's keys: her device, without its display name.
        status, body = await self.call(bob, "POST", "/_matrix/client/v3/keys/query",
                                       {"device_keys": {alice.user_id: []}})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["failures"], {})
        device = body["device_keys"][alice.user_id][alice.device_id]
        self.assertEqual(device["user_id"], alice.user_id)
        self.assertIn(f"ed25519:{alice.device_id}", device["keys"])
        self.assertNotIn("Телефон", json.dumps(body, ensure_ascii=False), "display names stay on their server")

        for client in (alice, bob, alice, bob):
            await self.settle(client)
        self.assertIn(bob.device_id, alice.device_store[bob.user_id], "alice knows bob's device over federation")
        resp = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "лифт сломан"},
                                     ignore_unverified_devices=True)
        self.assertEqual(type(resp).__name__, "RoomSendResponse", resp)
        event = await self.decrypted_by(bob, room_id, "лифт сломан")
        self.assertTrue(event.decrypted)
        status, stored = await self.call(bob, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/event/"
                                                     f"{quote(event.event_id)}")
        self.assertEqual((status, stored["type"]), (200, "m.room.encrypted"))
        self.assertNotIn("лифт", json.dumps(stored, ensure_ascii=False))

        await self.settle(bob)
        resp = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "вызвал мастера"},
                                   ignore_unverified_devices=True)
        self.assertEqual(type(resp).__name__, "RoomSendResponse", resp)
        event = await self.decrypted_by(alice, room_id, "вызвал мастера")
        self.assertTrue(event.decrypted)

        # Alice's new device reaches bob's /sync as a device-list change, and his server then
        # finds it on msk.
        since = (await bob.sync(timeout=0)).next_batch
        second = await self.encrypted_client_for(alice.user_id, "msk")
        await self.settle(second)
        changed = False
        for _ in range(20):
            status, body = await self.call(bob, "GET", f"/_matrix/client/v3/sync?since={quote(since)}&timeout=1000")
            self.assertEqual(status, 200)
            since = body["next_batch"]
            if alice.user_id in body.get("device_lists", {}).get("changed", []):
                changed = True
                break
        self.assertTrue(changed, "bob's client is told alice's devices changed")
        status, body = await self.call(bob, "POST", "/_matrix/client/v3/keys/query",
                                       {"device_keys": {alice.user_id: []}})
        self.assertIn(second.device_id, body["device_keys"][alice.user_id])

    async def encrypted_client_for(self, user_id, region):
        store = tempfile.mkdtemp(prefix="domovoy-nio-fed-store-")
        self.addCleanup(shutil.rmtree, store, True)
        config = AsyncClientConfig(encryption_enabled=True, max_timeouts=0, max_limit_exceeded=0, request_timeout=45)
        client = AsyncClient(self.servers[region].url, user_id, store_path=store, config=config)
        self.clients.append(client)
        resp = await client.login(PASSWORD, device_name="второе устройство")
        self.assertTrue(getattr(resp, "access_token", None), resp)
        return client

    async def test_claims_across_servers_and_failures_of_servers_out_of_reach(self):
        alice = await self.user_on("msk")
        bob = await self.user_on("spb")
        carol = await self.user_on("omsk")
        keys = {"user_id": alice.user_id, "device_id": alice.device_id,
                "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                "keys": {f"curve25519:{alice.device_id}": "curve", f"ed25519:{alice.device_id}": "ed"},
                "signatures": {}}
        status, body = await self.call(alice, "POST", "/_matrix/client/v3/keys/upload", {
            "device_keys": keys, "one_time_keys": {"signed_curve25519:AAAA1": {"key": "otk1", "signatures": {}}}})
        self.assertEqual(status, 200, body)
        claim = {"one_time_keys": {alice.user_id: {alice.device_id: "signed_curve25519"}}}
        status, body = await self.call(bob, "POST", "/_matrix/client/v3/keys/claim", claim)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["one_time_keys"][alice.user_id][alice.device_id],
                         {"signed_curve25519:AAAA1": {"key": "otk1", "signatures": {}}})
        self.assertEqual(body["failures"], {})
        # The key is gone from msk: a second claim gets nothing.
        status, body = await self.call(bob, "POST", "/_matrix/client/v3/keys/claim", claim)
        self.assertEqual((status, body["one_time_keys"]), (200, {}))
        # omsk does not federate with msk: the failure is msk's, and the query still answers.
        status, body = await self.call(carol, "POST", "/_matrix/client/v3/keys/query",
                                       {"device_keys": {alice.user_id: [], carol.user_id: []}})
        self.assertEqual(status, 200, body)
        msk = self.servers["msk"].server_name
        self.assertEqual(body["failures"][msk]["status"], 403, body)
        self.assertIn(carol.user_id, body["device_keys"])
        self.assertNotIn(alice.user_id, body["device_keys"])


if __name__ == "__main__":
    import unittest
    unittest.main()
