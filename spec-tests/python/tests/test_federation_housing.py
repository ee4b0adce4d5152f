"""A resident whose account is on another regional server (issue 9, "Policy"): they open a
direct message with spb's @domovoy from omsk, send the code from their paper bill, are invited
to their building's rooms on spb and join them from omsk; the answer that crosses servers names
no address and no apartment, and the building's power stays with spb's users (a chair whose
account is on omsk gets none). Three Domovoy processes over TLS on loopback (federation_net.py);
what is asserted is what the clients see.
"""

import json
import os
from urllib.parse import quote

from federation_net import FederatedTestCase

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DEMO = os.path.join(REPO, "housing", "samples", "demo-region.json")
LENINA5 = "3f6e2a9c-8b1d-4e57-a0c4-7d29b5e81f03"


class TestResidentOfAnotherServer(FederatedTestCase):

    @classmethod
    def start_region(cls, region):
        if region != "spb":
            return super().start_region(region)
        from federation_net import start_federated_server
        data_dir = os.path.join(cls.folder, "spb-data")
        os.makedirs(data_dir, exist_ok=True)
        config = f'admins: ["@operator:{cls.names["spb"]}"]\n'
        return start_federated_server(cls.folder, cls.ca, "spb.localhost", cls.ports["spb"],
                                      allow=cls.allow_list("spb"), data_dir=data_dir, config_yaml=config)

    async def synced_until(self, client, predicate, what, rounds=60):
        for _ in range(rounds):
            resp = await client.sync(timeout=500, full_state=False)
            if predicate(resp):
                return resp
        self.fail(f"not seen within {rounds} syncs: {what}\nspb's log ends:\n{self.servers['spb'].logs()[-3000:]}\nomsk's:\n{self.servers['omsk'].logs()[-3000:]}")

    async def operator(self):
        from nio import AsyncClient
        client = AsyncClient(self.servers["spb"].url, "")
        self.clients.append(client)
        resp = await client.register("operator", "correct horse battery staple")
        if not getattr(resp, "access_token", None):
            await client.login("correct horse battery staple")
        return client

    async def test_verified_by_a_direct_message_and_invited_to_the_building(self):
        spb = self.servers["spb"].server_name
        bot = f"@domovoy:{spb}"
        resident = await self.user_on("omsk")
        chair = await self.user_on("omsk")
        op = await self.operator()
        # The demo region, its people on spb, except the chair of Lenina 5, whose account is on omsk.
        with open(DEMO, encoding="utf-8") as f:
            text = f.read().replace(':localhost"', f':{spb}"')
        registry = json.loads(text)
        building = next(b for b in registry["buildings"] if b["id"] == LENINA5)
        building["chair"] = chair.user_id
        apartment = building["apartments"][0]
        status, body = await self.call(op, "POST", "/_domovoy/admin/v1/registry", registry)
        self.assertEqual(status, 200, body)
        status, body = await self.call(op, "GET", f"/_domovoy/admin/v1/buildings/{LENINA5}")
        self.assertEqual(status, 200, body)
        rooms = body["rooms"] if "rooms" in body else body["building"]["rooms"]
        status, answer = await self.call(op, "POST", f"/_domovoy/admin/v1/buildings/{LENINA5}/codes",
                                         {"apartment": apartment["number"], "role": "owner"})
        self.assertEqual(status, 200, answer)
        code = answer["codes"][0]["code"]

        # A direct message from omsk: spb's bot joins it through omsk and greets.
        created = await resident.room_create(invite=[bot], is_direct=True)
        dm = created.room_id
        self.assertTrue(dm, created)

        def bot_said(resp, needle):
            room = resp.rooms.join.get(dm)
            return room is not None and any(getattr(e, "sender", "") == bot and needle in getattr(e, "body", "")
                                            for e in room.timeline.events)
        await self.synced_until(resident, lambda r: bot_said(r, "код"), "the bot's greeting on omsk")

        await resident.room_send(dm, "m.room.message", {"msgtype": "m.text", "body": code})
        expected = {rooms["space"], rooms["general"], rooms["announcements"],
                    rooms["entrances"][str(apartment["entrance"])], rooms["owners"]}
        if rooms.get("neighbourhood"):
            expected.add(rooms["neighbourhood"])
        invited, answered = set(), []

        def watch(resp):
            if bot_said(resp, "Код принят"):
                answered.append(True)
            invited.update(resp.rooms.invite.keys())
            return answered and expected <= invited
        await self.synced_until(resident, watch, "the bot's answer and the invitations on omsk")

        # The answer that crossed servers names neither the address nor the apartment.
        status, messages = await self.call(resident, "GET", f"/_matrix/client/v3/rooms/{quote(dm)}/messages?dir=b&limit=50")
        self.assertEqual(status, 200, messages)
        said = " ".join(e["content"].get("body", "") for e in messages["chunk"] if e["sender"] == bot)
        for secret in ("Ленина", building["address"], apartment["account"], "кв.", "apartment ", "собственник"):
            self.assertNotIn(secret, said, f"{secret!r} in what the bot told a user of another server")

        # The resident joins from omsk, through spb.
        for room in expected:
            status, body = await self.call(resident, "POST", f"/_matrix/client/v3/join/{quote(room)}?server_name={quote(spb)}", {})
            self.assertEqual(status, 200, (room, body))
        status, members = await self.call(resident, "GET", f"/_matrix/client/v3/rooms/{quote(rooms['general'])}/joined_members")
        self.assertEqual(status, 200, members)
        self.assertIn(resident.user_id, members["joined"])
        self.assertIn(bot, members["joined"])

        # A stranger of omsk is not let in, by id or otherwise.
        stranger = await self.user_on("omsk")
        status, body = await self.call(stranger, "POST", f"/_matrix/client/v3/join/{quote(rooms['general'])}"
                                                         f"?server_name={quote(spb)}", {})
        self.assertEqual(status, 403, body)

        # The chair on omsk is invited as the chair is, but holds no power in the building's rooms.
        await self.synced_until(chair, lambda r: rooms["general"] in r.rooms.invite, "the chair's invitation on omsk")
        status, power = await self.call(resident, "GET",
                                        f"/_matrix/client/v3/rooms/{quote(rooms['general'])}/state/m.room.power_levels/")
        self.assertEqual(status, 200, power)
        self.assertNotIn(chair.user_id, power.get("users", {}))
        self.assertEqual(power.get("users", {}).get(resident.user_id, 0), 0)
        self.assertTrue(all(user.endswith(":" + spb) for user in power.get("users", {})), power)
