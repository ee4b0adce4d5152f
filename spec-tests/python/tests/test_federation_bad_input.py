"""Bad input from another server (issue 9, "Bad input from other servers"; server-server-api
"Transactions", "Checks performed on receipt of a PDU"). A fake server written here (its own
key, its own event hashing and signing, federation_net.py) joins a public room of msk through
make_join/send_join, as another implementation would, and then sends what an attacker or a
broken server would: a transaction of 51 PDUs, a PDU over 65,536 bytes, forged signatures, a
wrong content hash, an event claiming another server's user, an event its sender may not send,
and a replayed transaction id. Each is refused as the spec says; what a member of the room on
msk sees through the client API is what is asserted, and msk keeps serving.
"""

import time
import unittest
from urllib.parse import quote

from federation_net import FederatedTestCase, https_request
from harness import unique


class TestFederationBadInput(FederatedTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        await self.fake.start()

    async def asyncTearDown(self):
        await super().asyncTearDown()
        await self.fake.stop()

    async def signed(self, method, uri, body=None):
        msk = self.servers["msk"]
        authorization = self.fake.x_matrix(method, uri, msk.server_name, content=body)
        return await https_request(self.ca, msk.federation_port, "msk.localhost", method, uri,
                                   authorization=authorization, body=body)

    async def joined_room(self):
        """A public room of msk with alice in it, and the fake server's user joined to it."""
        alice = await self.user_on("msk")
        created = await alice.room_create(alias=unique("yard"), room_version="11")
        room_id = created.room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                                    {"join_rule": "public"})
        self.assertEqual(status, 200)
        user = f"@{unique('kzn')}:{self.fake.server_name}"
        status, made = await self.signed("GET", f"/_matrix/federation/v1/make_join/{quote(room_id)}/{quote(user)}"
                                                f"?ver=11")
        self.assertEqual(status, 200, made)
        self.assertEqual(made["room_version"], "11")
        template = made["event"]
        template["origin_server_ts"] = int(time.time() * 1000)
        join_id, join = self.fake.sign_event(template)
        status, answer = await self.signed("PUT", f"/_matrix/federation/v2/send_join/{quote(room_id)}/{quote(join_id)}",
                                           join)
        self.assertEqual(status, 200, answer)
        state = {(e["type"], e.get("state_key")): e for e in answer["state"]}
        self.room = {
            "room_id": room_id, "user": user, "depth": join["depth"], "prev": [join_id],
            "auth": [self.fake_event_id(state[("m.room.create", "")]),
                     self.fake_event_id(state[("m.room.power_levels", "")]), join_id],
        }
        return alice, room_id

    @staticmethod
    def fake_event_id(event):
        from federation_net import event_id_of
        return event_id_of(event)

    def event(self, content, event_type="m.room.message", sender=None, state_key=None):
        self.room["depth"] += 1
        event = {"type": event_type, "room_id": self.room["room_id"], "sender": sender or self.room["user"],
                 "content": content, "depth": self.room["depth"], "prev_events": list(self.room["prev"]),
                 "auth_events": list(self.room["auth"]), "origin_server_ts": int(time.time() * 1000)}
        if state_key is not None:
            event["state_key"] = state_key
        return event

    async def send(self, txn_id, pdus):
        body = {"origin": self.fake.server_name, "origin_server_ts": int(time.time() * 1000), "pdus": pdus}
        return await self.signed("PUT", f"/_matrix/federation/v1/send/{txn_id}", body)

    async def seen_by(self, client, room_id):
        status, body = await self.call(client, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/messages?dir=b&limit=100")
        self.assertEqual(status, 200, body)
        return body["chunk"]

    async def test_a_good_pdu_arrives_and_a_replayed_transaction_does_nothing_twice(self):
        alice, room_id = await self.joined_room()
        event_id, pdu = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "Здравствуйте, соседи"}))
        txn = unique("txn")
        status, answer = await self.send(txn, [pdu])
        self.assertEqual((status, answer), (200, {"pdus": {event_id: {}}}))
        # The same transaction id again, with another PDU in it: the stored answer, nothing new.
        other_id, other = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "Повтор"}))
        status, replayed = await self.send(txn, [other])
        self.assertEqual((status, replayed), (200, answer))
        bodies = [e["content"].get("body") for e in await self.seen_by(alice, room_id)]
        self.assertEqual(bodies.count("Здравствуйте, соседи"), 1, bodies)
        self.assertNotIn("Повтор", bodies)
        status, _ = await self.signed("GET", f"/_matrix/federation/v1/event/{quote(other_id)}")
        self.assertEqual(status, 404)

    async def test_a_restricted_join_claiming_an_authoriser_is_not_co_signed(self):
        alice = await self.user_on("msk")
        space = (await alice.room_create(preset=None, space=True)).room_id
        room = (await alice.room_create(preset=None, room_version="11")).room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.join_rules/",
                                    {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": space}]})
        self.assertEqual(status, 200)
        user = f"@{unique('kzn')}:{self.fake.server_name}"
        # make_join refuses one who is in no allowed room.
        status, body = await self.signed("GET", f"/_matrix/federation/v1/make_join/{quote(room)}/{quote(user)}?ver=11")
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)
        # A join built by hand, naming alice as its authoriser, is not co-signed either.
        status, public = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room)}/state")
        by_type = {(e["type"], e.get("state_key")): e["event_id"] for e in public}
        event = {"type": "m.room.member", "room_id": room, "sender": user, "state_key": user,
                 "content": {"membership": "join", "join_authorised_via_users_server": alice.user_id},
                 "depth": 100, "prev_events": [by_type[("m.room.join_rules", "")]],
                 "auth_events": [by_type[("m.room.create", "")], by_type[("m.room.power_levels", "")],
                                 by_type[("m.room.join_rules", "")], by_type[("m.room.member", alice.user_id)]],
                 "origin_server_ts": int(time.time() * 1000)}
        event_id, signed = self.fake.sign_event(event)
        status, body = await self.signed("PUT", f"/_matrix/federation/v2/send_join/{quote(room)}/{quote(event_id)}",
                                         signed)
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)
        status, members = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room)}/joined_members")
        self.assertNotIn(user, members["joined"])

    async def test_make_join_of_a_room_allowing_only_rooms_this_server_does_not_know(self):
        # joins-v1.yaml, 400: M_UNABLE_TO_AUTHORISE_JOIN tells the joining server that another
        # resident server (one in the allowed room) may be able to decide.
        alice = await self.user_on("msk")
        room = (await alice.room_create(preset=None, room_version="11")).room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.join_rules/",
                                    {"join_rule": "restricted",
                                     "allow": [{"type": "m.room_membership", "room_id": f"!elsewhere:{self.fake.server_name}"}]})
        self.assertEqual(status, 200)
        user = f"@{unique('kzn')}:{self.fake.server_name}"
        status, body = await self.signed("GET", f"/_matrix/federation/v1/make_join/{quote(room)}/{quote(user)}?ver=11")
        self.assertEqual((status, body.get("errcode")), (400, "M_UNABLE_TO_AUTHORISE_JOIN"), body)

    async def test_a_transaction_of_51_pdus_is_refused_whole(self):
        alice, room_id = await self.joined_room()
        pdus = [self.fake.sign_event(self.event({"msgtype": "m.text", "body": f"много {i}"}))[1] for i in range(51)]
        status, body = await self.send(unique("txn"), pdus)
        self.assertEqual((status, body.get("errcode")), (400, "M_BAD_JSON"), body)
        bodies = [e["content"].get("body") for e in await self.seen_by(alice, room_id)]
        self.assertFalse([b for b in bodies if b and b.startswith("много")], bodies)
        # 50 are taken.
        status, body = await self.send(unique("txn"), pdus[:50])
        self.assertEqual(status, 200, body)

    async def test_each_bad_pdu_is_refused_and_nothing_of_it_is_accepted(self):
        alice, room_id = await self.joined_room()
        good_id, good = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "в порядке"}))

        big_id, big = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "я" * 40000}))

        forged_id, forged = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "подделка"}))
        forged["signatures"][self.fake.server_name][self.fake.key_id] = "A" * 86

        # Signed after the content changed? No: the signature covers the redacted form only, so
        # changing the content keeps it valid but breaks the content hash.
        tampered_id, tampered = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "исходный текст"}))
        tampered["content"] = {"msgtype": "m.text", "body": "подменённый текст"}

        spb_user = f"@someone:{self.servers['spb'].server_name}"
        impostor_id, impostor = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "я из Питера"},
                                                                sender=spb_user))

        power_id, power = self.fake.sign_event(self.event(
            {"users": {self.room["user"]: 100}, "users_default": 0, "events_default": 0, "state_default": 50},
            event_type="m.room.power_levels", state_key=""))

        status, answer = await self.send(unique("txn"), [good, big, forged, tampered, impostor, power])
        self.assertEqual(status, 200, answer)
        results = answer["pdus"]
        self.assertEqual(results.get(good_id), {}, results)
        for what, event_id in (("forged signature", forged_id), ("another server's user", impostor_id),
                               ("unauthorised power levels", power_id)):
            self.assertIn("error", results.get(event_id, {}), what)
        self.assertNotIn(big_id, [k for k, v in results.items() if v == {}], "the oversized PDU")

        events = await self.seen_by(alice, room_id)
        ids = [e["event_id"] for e in events]
        self.assertIn(good_id, ids)
        for what, event_id in (("oversized", big_id), ("forged", forged_id), ("impostor", impostor_id),
                               ("power levels", power_id)):
            self.assertNotIn(event_id, ids, what)
        bodies = [e["content"].get("body") for e in events]
        self.assertNotIn("подменённый текст", bodies)
        self.assertNotIn("исходный текст", bodies)
        # The tampered event is kept in its redacted form: content emptied.
        self.assertEqual(results.get(tampered_id), {}, "kept, redacted")
        kept = [e for e in events if e["event_id"] == tampered_id]
        self.assertEqual([e["content"] for e in kept], [{}], kept)
        status, power_levels = await self.call(alice, "GET",
                                               f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.power_levels/")
        self.assertEqual(status, 200)
        self.assertNotIn(self.room["user"], power_levels.get("users", {}))
        for event_id in (forged_id, impostor_id, power_id, big_id):
            status, _ = await self.signed("GET", f"/_matrix/federation/v1/event/{quote(event_id)}")
            self.assertEqual(status, 404, event_id)

        # Still serving: another good PDU is taken.
        self.room["prev"] = [good_id]
        later_id, later = self.fake.sign_event(self.event({"msgtype": "m.text", "body": "после всего"}))
        status, answer = await self.send(unique("txn"), [later])
        self.assertEqual((status, answer), (200, {"pdus": {later_id: {}}}))


if __name__ == "__main__":
    unittest.main()
