"""Queries between regional servers (server-server-api "Querying for information", "Request
Authentication", issue 9's closed federation): three Domovoy processes, spb.localhost:PORT,
msk.localhost:PORT and omsk.localhost:PORT, over TLS on loopback with a CA this test makes.

A client of one server reads a user's profile and resolves a room alias of another; the servers
find each other by name, fetch and check each other's keys and sign every request. The allow
lists make a closed federation: omsk federates with spb only, so neither its clients' requests to
msk nor a server outside every list get through. A fake server written here (its own ed25519 key
and signer) calls the federation API as another implementation would, and forges what an
attacker would: each forgery is refused with 401 M_UNAUTHORIZED, a server outside the list with
403 M_FORBIDDEN, and the server keeps serving.
"""

import unittest
from urllib.parse import quote, unquote

import base64
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation_net import FederatedTestCase, canonical, https_request
from harness import unique


def b64decode_unpadded(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


class TestFederationQueries(FederatedTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        await self.fake.start()

    async def asyncTearDown(self):
        await super().asyncTearDown()
        await self.fake.stop()

    async def get(self, client, path):
        resp = await client.send("GET", path, headers={"Authorization": f"Bearer {client.access_token}"})
        return resp.status, await resp.json()

    async def test_profile_of_a_user_on_another_server(self):
        alice = await self.user_on("msk", displayname="Алиса из Москвы")
        bob = await self.user_on("spb")
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual(status, 200, body)
        self.assertEqual(body.get("displayname"), "Алиса из Москвы")
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}/displayname")
        self.assertEqual((status, body), (200, {"displayname": "Алиса из Москвы"}))
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}/avatar_url")
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), "no avatar was set")
        nobody = "@nobody-" + unique("x") + ":" + self.servers["msk"].server_name
        status, body = await self.get(bob, f"/_matrix/client/v3/profile/{quote(nobody)}")
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), body)

    async def test_room_alias_of_another_server(self):
        alice = await self.user_on("msk")
        local = unique("hall")
        created = await alice.room_create(alias=local, name="Холл")
        self.assertTrue(getattr(created, "room_id", None), created)
        alias = f"#{local}:{self.servers['msk'].server_name}"
        bob = await self.user_on("spb")
        status, body = await self.get(bob, f"/_matrix/client/v3/directory/room/{quote(alias)}")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["room_id"], created.room_id)
        self.assertIn(self.servers["msk"].server_name, body["servers"])
        missing = f"#no-such-{local}:{self.servers['msk'].server_name}"
        status, body = await self.get(bob, f"/_matrix/client/v3/directory/room/{quote(missing)}")
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), body)

    async def test_closed_federation_refuses_servers_outside_the_list(self):
        alice = await self.user_on("msk", displayname="Алиса")
        carol = await self.user_on("omsk")
        # omsk's list names spb only: its server does not ask msk at all.
        status, body = await self.get(carol, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)
        # msk's list does not name omsk: omsk's signed requests are refused there. spb asks for
        # omsk (allowed both ways) and gets an answer.
        spb_user = await self.user_on("spb", displayname="Борис")
        status, body = await self.get(carol, f"/_matrix/client/v3/profile/{quote(spb_user.user_id)}")
        self.assertEqual((status, body.get("displayname")), (200, "Борис"), body)

    async def signed_get(self, region, uri, **forge):
        server = self.servers[region]
        authorization = self.fake.x_matrix("GET", uri, server.server_name, **forge)
        return await https_request(self.ca, server.federation_port, "msk.localhost" if region == "msk" else
                                   f"{region}.localhost", "GET", uri, authorization=authorization)

    async def test_another_implementation_signs_and_is_answered(self):
        alice = await self.user_on("msk", displayname="Алиса")
        uri = "/_matrix/federation/v1/query/profile?user_id=" + quote(alice.user_id)
        status, body = await self.signed_get("msk", uri)
        self.assertEqual((status, body), (200, {"displayname": "Алиса"}))
        fetches = self.fake.key_fetches
        self.assertGreaterEqual(fetches, 1)
        status, _ = await self.signed_get("msk", uri + "&field=displayname")
        self.assertEqual(status, 200)
        self.assertEqual(self.fake.key_fetches, fetches, "the key is cached, not fetched per request")

    async def test_forged_and_missing_authorisation_is_refused(self):
        alice = await self.user_on("msk", displayname="Алиса")
        uri = "/_matrix/federation/v1/query/profile?user_id=" + quote(alice.user_id)
        msk = self.servers["msk"]
        cases = {
            "no header": None,
            "not X-Matrix": "Bearer abc",
            "for another destination": self.fake.x_matrix("GET", uri, self.servers["spb"].server_name),
            "signed for another uri": self.fake.x_matrix("GET", uri + "&field=avatar_url", msk.server_name),
            "signed for another method": self.fake.x_matrix("PUT", uri, msk.server_name),
            "a key the origin does not have": self.fake.x_matrix("GET", uri, msk.server_name, key_id="ed25519:other"),
            "a garbage signature": self.fake.x_matrix("GET", uri, msk.server_name, signature="AAAA"),
            "claiming to be spb": self.fake.x_matrix("GET", uri, msk.server_name,
                                                     origin=self.servers["spb"].server_name),
        }
        for what, authorization in cases.items():
            status, body = await https_request(self.ca, msk.federation_port, "msk.localhost", "GET", uri,
                                               authorization=authorization)
            self.assertEqual((status, (body or {}).get("errcode")), (401, "M_UNAUTHORIZED"), what)
        # A validly signed request from a server msk does not federate with.
        status, body = await self.signed_get("omsk", "/_matrix/federation/v1/query/profile?user_id=" +
                                             quote(alice.user_id))
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)
        status, body = await self.signed_get("msk", uri)
        self.assertEqual(status, 200, "still serving after the forgeries")

    async def test_public_rooms_of_another_server(self):
        alice = await self.user_on("msk")
        name = unique("Двор на Тверской")
        created = await alice.room_create(name=name, topic="Соседи по двору", preset=None)
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/directory/list/room/{quote(created.room_id)}",
                                    {"visibility": "public"})
        self.assertEqual(status, 200)
        bob = await self.user_on("spb")
        msk = self.servers["msk"].server_name
        status, body = await self.get(bob, f"/_matrix/client/v3/publicRooms?server={quote(msk)}&limit=50")
        self.assertEqual(status, 200, body)
        listed = {room["room_id"]: room for room in body["chunk"]}
        self.assertIn(created.room_id, listed)
        self.assertEqual(listed[created.room_id]["name"], name)
        # The filtered form, through POST.
        resp = await bob.send("POST", f"/_matrix/client/v3/publicRooms?server={quote(msk)}",
                              json.dumps({"limit": 10, "filter": {"generic_search_term": name}}),
                              {"Authorization": f"Bearer {bob.access_token}", "Content-Type": "application/json"})
        body = await resp.json()
        self.assertEqual((resp.status, [room["room_id"] for room in body["chunk"]]), (200, [created.room_id]), body)
        # omsk does not federate with msk.
        carol = await self.user_on("omsk")
        status, body = await self.get(carol, f"/_matrix/client/v3/publicRooms?server={quote(msk)}")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)

    async def test_media_of_another_server_through_the_own_server(self):
        import io
        from PIL import Image
        alice = await self.user_on("msk")
        picture = io.BytesIO()
        Image.new("RGB", (640, 480), (200, 30, 30)).save(picture, "PNG")
        data = picture.getvalue()
        resp = await alice.send("POST", "/_matrix/media/v3/upload?filename=" + quote("двор.png"), data,
                                {"Authorization": f"Bearer {alice.access_token}", "Content-Type": "image/png"})
        self.assertEqual(resp.status, 200, await resp.text())
        mxc = (await resp.json())["content_uri"]
        server, media_id = mxc[len("mxc://"):].split("/", 1)
        bob = await self.user_on("spb")
        path = f"/_matrix/client/v1/media/download/{quote(server)}/{media_id}"
        for attempt in ("fetched over federation", "from spb's cache"):
            resp = await bob.send("GET", path, headers={"Authorization": f"Bearer {bob.access_token}"})
            self.assertEqual(resp.status, 200, attempt)
            self.assertEqual(await resp.read(), data, attempt)
            self.assertEqual(resp.headers["Content-Type"], "image/png")
            self.assertIn("двор.png", unquote(resp.headers.get("Content-Disposition", "")), attempt)
        resp = await bob.send("GET", f"/_matrix/client/v1/media/thumbnail/{quote(server)}/{media_id}"
                                     "?width=64&height=64&method=scale",
                              headers={"Authorization": f"Bearer {bob.access_token}"})
        self.assertEqual(resp.status, 200)
        thumbnail = Image.open(io.BytesIO(await resp.read()))
        self.assertLess(max(thumbnail.size), 640, "made on spb from the fetched original")
        # Unknown media, and a server this one does not federate with.
        resp = await bob.send("GET", f"/_matrix/client/v1/media/download/{quote(server)}/nosuchmedia",
                              headers={"Authorization": f"Bearer {bob.access_token}"})
        self.assertEqual(resp.status, 404)
        carol = await self.user_on("omsk")
        resp = await carol.send("GET", path, headers={"Authorization": f"Bearer {carol.access_token}"})
        self.assertEqual(resp.status, 403)
        # The federation endpoint itself answers in the spec's multipart form.
        uri = f"/_matrix/federation/v1/media/download/{media_id}"
        status, _ = await self.signed_get("msk", uri)
        self.assertEqual(status, 200)

    async def test_notary_answers_keys_signed_by_the_server_and_by_itself(self):
        msk, spb = self.servers["msk"], self.servers["spb"]
        # msk learns spb's keys when spb's server signs a request to it.
        alice = await self.user_on("msk", displayname="Алиса")
        bob = await self.user_on("spb")
        status, _ = await self.get(bob, f"/_matrix/client/v3/profile/{quote(alice.user_id)}")
        self.assertEqual(status, 200)
        keys = {}
        for region in ("msk", "spb"):
            status, own = await https_request(self.ca, self.servers[region].federation_port, f"{region}.localhost",
                                              "GET", "/_matrix/key/v2/server")
            self.assertEqual(status, 200)
            keys[self.servers[region].server_name] = {kid: v["key"] for kid, v in own["verify_keys"].items()}

        def verified_by(entry, server_name):
            signatures = entry["signatures"].get(server_name, {})
            bare = {k: v for k, v in entry.items() if k not in ("signatures", "unsigned")}
            for key_id, signature in signatures.items():
                public = keys[server_name].get(key_id)
                if public:
                    Ed25519PublicKey.from_public_bytes(b64decode_unpadded(public)).verify(
                        b64decode_unpadded(signature), canonical(bare))
                    return True
            return False

        uri = "/_matrix/key/v2/query/" + quote(spb.server_name)
        status, body = await https_request(self.ca, msk.federation_port, "msk.localhost", "GET", uri)
        self.assertEqual(status, 200, body)
        self.assertEqual([entry["server_name"] for entry in body["server_keys"]], [spb.server_name])
        entry = body["server_keys"][0]
        self.assertTrue(verified_by(entry, spb.server_name), "signed by spb itself")
        self.assertTrue(verified_by(entry, msk.server_name), "signed by the notary")
        self.assertEqual(entry["verify_keys"], {kid: {"key": k} for kid, k in keys[spb.server_name].items()})

        # The batch form, asking about the notary itself and a server nobody can reach.
        query = {"server_keys": {msk.server_name: {}, "nowhere.localhost:1": {"ed25519:x": {}}}}
        status, body = await https_request(self.ca, msk.federation_port, "msk.localhost", "POST",
                                           "/_matrix/key/v2/query", body=query)
        self.assertEqual(status, 200, body)
        self.assertEqual([entry["server_name"] for entry in body["server_keys"]], [msk.server_name])
        self.assertTrue(verified_by(body["server_keys"][0], msk.server_name))
        status, body = await https_request(self.ca, msk.federation_port, "msk.localhost", "POST",
                                           "/_matrix/key/v2/query", body={"server_keys": []})
        self.assertEqual((status, body.get("errcode")), (400, "M_BAD_JSON"), body)

    async def test_keys_of_an_unreachable_server_come_through_the_notary(self):
        alice = await self.user_on("msk", displayname="Алиса")
        bob = await self.user_on("spb", displayname="Борис")
        # msk keeps the fake server's keys from a request it answers.
        uri = "/_matrix/federation/v1/query/profile?user_id=" + quote(alice.user_id)
        status, _ = await self.signed_get("msk", uri)
        self.assertEqual(status, 200)
        # Then the fake server's key endpoint goes away; spb, asked for the first time, cannot
        # fetch the key itself and asks its notary, msk.
        await self.fake.stop()
        fetches = self.fake.key_fetches
        uri = "/_matrix/federation/v1/query/profile?user_id=" + quote(bob.user_id)
        status, body = await self.signed_get("spb", uri)
        self.assertEqual((status, body), (200, {"displayname": "Борис"}))
        self.assertEqual(self.fake.key_fetches, fetches)


if __name__ == "__main__":
    unittest.main()
