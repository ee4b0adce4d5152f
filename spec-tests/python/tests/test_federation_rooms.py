"""Rooms across regional servers (server-server-api "Joining Rooms", "Transactions"): a user of
spb joins a room of msk by its alias and by its id, both see each other's messages through
/sync, state changes travel too, and a leave is seen on the other side. Three Domovoy processes
over TLS on loopback (federation_net.py); what is asserted is what the clients see.
"""

import unittest
from urllib.parse import quote

from federation_net import FederatedTestCase
from harness import unique


class TestFederatedRooms(FederatedTestCase):

    async def synced_until(self, client, predicate, what, rounds=40):
        """Long-polls /sync until predicate(response) holds."""
        for _ in range(rounds):
            resp = await client.sync(timeout=500, full_state=False)
            if predicate(resp):
                return resp
        self.fail(f"not seen within {rounds} syncs: {what}")

    @staticmethod
    def timeline_bodies(resp, room_id):
        room = resp.rooms.join.get(room_id)
        if not room:
            return []
        return [getattr(event, "body", None) for event in room.timeline.events]

    async def test_join_by_alias_and_talk_both_ways(self):
        alice = await self.user_on("msk", displayname="Алиса")
        local = unique("yard")
        created = await alice.room_create(alias=local, name="Двор", preset=None)
        self.assertTrue(getattr(created, "room_id", None), created)
        room_id = created.room_id
        # A public room: join rule public.
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                                    {"join_rule": "public"})
        self.assertEqual(status, 200)
        await alice.sync(timeout=0)

        bob = await self.user_on("spb", displayname="Борис")
        alias = f"#{local}:{self.servers['msk'].server_name}"
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(alias)}", {})
        self.assertEqual((status, body.get("room_id") if isinstance(body, dict) else body), (200, room_id), body)

        # Bob's server now has the room: its name and both members.
        resp = await bob.sync(timeout=0, full_state=True)
        self.assertIn(room_id, resp.rooms.join)
        status, state = await self.call(bob, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.name/")
        self.assertEqual((status, state.get("name")), (200, "Двор"))

        # Alice sees Bob join and what he says; Bob sees what Alice says.
        await self.synced_until(alice, lambda r: room_id in r.rooms.join and any(
            getattr(e, "state_key", None) == bob.user_id for e in r.rooms.join[room_id].timeline.events),
            "bob's join on msk")
        sent = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "Привет из Питера"})
        self.assertTrue(getattr(sent, "event_id", None), sent)
        await self.synced_until(alice, lambda r: "Привет из Питера" in self.timeline_bodies(r, room_id),
                                "bob's message on msk")
        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "Привет из Москвы"})
        self.assertTrue(getattr(sent, "event_id", None), sent)
        await self.synced_until(bob, lambda r: "Привет из Москвы" in self.timeline_bodies(r, room_id),
                                "alice's message on spb")

        # A state change on msk reaches spb.
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.topic/",
                                    {"topic": "Уборка в субботу"})
        self.assertEqual(status, 200)
        await self.synced_until(bob, lambda r: room_id in r.rooms.join and any(
            getattr(e, "topic", None) == "Уборка в субботу" for e in r.rooms.join[room_id].timeline.events),
            "the topic on spb")
        status, state = await self.call(bob, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.topic/")
        self.assertEqual((status, state.get("topic")), (200, "Уборка в субботу"))

        # Bob leaves; Alice's server sees it.
        status, _ = await self.call(bob, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/leave", {})
        self.assertEqual(status, 200)
        await self.synced_until(alice, lambda r: room_id in r.rooms.join and any(
            getattr(e, "state_key", None) == bob.user_id and getattr(e, "membership", None) == "leave"
            for e in r.rooms.join[room_id].timeline.events), "bob's leave on msk")

    async def test_typing_and_receipts_cross_servers(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Чат подъезда", preset=None)
        room_id = created.room_id
        await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                        {"join_rule": "public"})
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual(status, 200, body)
        await alice.sync(timeout=0)
        await bob.sync(timeout=0)

        status, _ = await self.call(bob, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/typing/{quote(bob.user_id)}",
                                    {"typing": True, "timeout": 30000})
        self.assertEqual(status, 200)

        def typing_of(resp, user):
            room = resp.rooms.join.get(room_id)
            return bool(room) and any(user in getattr(e, "users", []) for e in room.ephemeral)
        await self.synced_until(alice, lambda r: typing_of(r, bob.user_id), "bob typing, seen on msk")

        sent = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "Кто взял ключ от крыши?"})
        await self.synced_until(alice, lambda r: "Кто взял ключ от крыши?" in self.timeline_bodies(r, room_id),
                                "bob's message on msk")
        status, _ = await self.call(alice, "POST",
                                    f"/_matrix/client/v3/rooms/{quote(room_id)}/receipt/m.read/{quote(sent.event_id)}", {})
        self.assertEqual(status, 200)

        def read_by(resp, user, event_id):
            room = resp.rooms.join.get(room_id)
            if not room:
                return False
            for e in room.ephemeral:
                for receipt in getattr(e, "receipts", []):
                    if receipt.user_id == user and receipt.event_id == event_id and receipt.receipt_type == "m.read":
                        return True
            return False
        await self.synced_until(bob, lambda r: read_by(r, alice.user_id, sent.event_id), "alice's receipt on spb")

    async def test_knock_on_a_room_of_another_server_then_let_in(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Совет дома", preset=None)
        room_id = created.room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                                    {"join_rule": "knock"})
        self.assertEqual(status, 200)
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/knock/{quote(room_id)}?server_name={via}",
                                       {"reason": "Я из 12-й квартиры"})
        self.assertEqual((status, body.get("room_id")), (200, room_id), body)
        # Bob's server keeps the knock with what the room showed of itself.
        status, sync = await self.call(bob, "GET", "/_matrix/client/v3/sync?timeout=0")
        knock_state = sync["rooms"]["knock"][room_id]["knock_state"]["events"]
        self.assertIn(("m.room.name", "Совет дома"),
                      [(e["type"], e["content"].get("name")) for e in knock_state if e["type"] == "m.room.name"])
        self.assertIn(("m.room.member", bob.user_id, "knock"),
                      [(e["type"], e["state_key"], e["content"].get("membership")) for e in knock_state
                       if e["type"] == "m.room.member"])
        # Alice's server has it as bob's membership, with his reason.
        status, member = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/"
                                                       f"m.room.member/{quote(bob.user_id)}")
        self.assertEqual((status, member.get("membership"), member.get("reason")), (200, "knock", "Я из 12-й квартиры"))
        # Let in: an invite, then bob joins.
        status, body = await self.call(alice, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite",
                                       {"user_id": bob.user_id})
        self.assertEqual(status, 200, body)
        await self.synced_until(bob, lambda r: room_id in r.rooms.invite, "the invite on spb")
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?server_name={via}", {})
        self.assertEqual(status, 200, body)
        status, members = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members")
        self.assertIn(bob.user_id, members["joined"])

        # A room that takes no knocks refuses one.
        other = await alice.room_create(preset=None)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/knock/{quote(other.room_id)}?server_name={via}", {})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)

    async def test_space_hierarchy_with_rooms_of_another_server(self):
        alice = await self.user_on("msk")
        msk = self.servers["msk"].server_name
        space = (await alice.room_create(name="Дом на Тверской", space=True, preset=None)).room_id
        yard = (await alice.room_create(name="Двор", preset=None)).room_id
        board = (await alice.room_create(name="Правление", preset=None)).room_id  # invite only
        for room in (space, yard):
            status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.join_rules/",
                                        {"join_rule": "public"})
            self.assertEqual(status, 200)
        for child in (yard, board):
            status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(space)}/state/m.space.child/"
                                                      f"{quote(child)}", {"via": [msk], "suggested": child == yard})
            self.assertEqual(status, 200)
        bob = await self.user_on("spb")
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(space)}?server_name={quote(msk)}", {})
        self.assertEqual(status, 200, body)
        # spb is in the space but in none of its rooms: it asks msk for them.
        status, body = await self.call(bob, "GET", f"/_matrix/client/v1/rooms/{quote(space)}/hierarchy")
        self.assertEqual(status, 200, body)
        names = {room["room_id"]: room.get("name") for room in body["rooms"]}
        self.assertEqual(names.get(space), "Дом на Тверской")
        self.assertEqual(names.get(yard), "Двор", body)
        self.assertNotIn(board, names, "an invite-only room stays hidden from other servers")
        status, body = await self.call(bob, "GET", f"/_matrix/client/v1/rooms/{quote(space)}/hierarchy?suggested_only=true")
        self.assertEqual(status, 200, body)
        self.assertIn(yard, [room["room_id"] for room in body["rooms"]])

        # A restricted room for the members of the board: msk shows it to spb (its allowed rooms
        # are for spb to judge), and spb shows it only to its users who are in the board.
        staff = (await alice.room_create(name="Совет дома", preset=None, initial_state=[{
            "type": "m.room.join_rules", "state_key": "",
            "content": {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": board}]}}])).room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(space)}/state/m.space.child/"
                                                  f"{quote(staff)}", {"via": [msk]})
        self.assertEqual(status, 200)
        carol = await self.user_on("spb")
        await alice.room_invite(board, carol.user_id)
        status, body = await self.call(carol, "POST", f"/_matrix/client/v3/join/{quote(board)}?server_name={quote(msk)}", {})
        self.assertEqual(status, 200, body)
        for user, sees in ((bob, False), (carol, True)):
            status, body = await self.call(user, "GET", f"/_matrix/client/v1/rooms/{quote(space)}/hierarchy")
            self.assertEqual(status, 200, body)
            self.assertEqual(staff in [room["room_id"] for room in body["rooms"]], sees, (user.user_id, body))

    async def test_restricted_room_joined_through_a_space_of_another_server(self):
        bob = await self.user_on("spb")
        spb = self.servers["spb"].server_name
        msk = self.servers["msk"].server_name
        space = (await bob.room_create(name="Квартал", space=True, preset=None)).room_id
        status, _ = await self.call(bob, "PUT", f"/_matrix/client/v3/rooms/{quote(space)}/state/m.room.join_rules/",
                                    {"join_rule": "public"})
        self.assertEqual(status, 200)
        # alice of msk is in the space, so msk knows who its members are.
        alice = await self.user_on("msk")
        status, body = await self.call(alice, "POST", f"/_matrix/client/v3/join/{quote(space)}?server_name={quote(spb)}", {})
        self.assertEqual(status, 200, body)
        room = (await alice.room_create(name="Соседи квартала", preset=None, room_version="10")).room_id
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.join_rules/",
                                    {"join_rule": "restricted", "allow": [{"type": "m.room_membership", "room_id": space}]})
        self.assertEqual(status, 200)
        # bob, a member of the space, joins the room of msk; msk authorises it with alice.
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room)}?server_name={quote(msk)}", {})
        self.assertEqual((status, body.get("room_id")), (200, room), body)
        status, member = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.member/"
                                                       f"{quote(bob.user_id)}")
        self.assertEqual((status, member.get("membership"), member.get("join_authorised_via_users_server")),
                         (200, "join", alice.user_id))
        # carol of spb is in no room the join rule allows.
        carol = await self.user_on("spb")
        status, body = await self.call(carol, "POST", f"/_matrix/client/v3/join/{quote(room)}?server_name={quote(msk)}", {})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)

    async def test_presence_crosses_servers_to_room_mates(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(preset=None)
        room_id = created.room_id
        await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                        {"join_rule": "public"})
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual(status, 200, body)
        await bob.sync(timeout=0)
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/presence/{quote(alice.user_id)}/status",
                                    {"presence": "unavailable", "status_msg": "на даче до понедельника"})
        self.assertEqual(status, 200)

        def presence_of(resp, user):
            return [e for e in getattr(resp, "presence_events", []) if e.user_id == user]
        resp = await self.synced_until(bob, lambda r: any(e.presence == "unavailable" for e in presence_of(r, alice.user_id)),
                                       "alice's presence on spb")
        self.assertEqual(presence_of(resp, alice.user_id)[-1].status_msg, "на даче до понедельника")
        status, body = await self.call(bob, "GET", f"/_matrix/client/v3/presence/{quote(alice.user_id)}/status")
        self.assertEqual((status, body.get("presence")), (200, "unavailable"), body)

    async def test_invite_across_servers_then_join(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Совет дома", preset=None)  # invite only
        room_id = created.room_id
        bob = await self.user_on("spb")
        await bob.sync(timeout=0)
        status, body = await self.call(alice, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite",
                                       {"user_id": bob.user_id})
        self.assertEqual(status, 200, body)
        resp = await self.synced_until(bob, lambda r: room_id in r.rooms.invite, "the invite on spb")
        names = [getattr(e, "name", None) for e in resp.rooms.invite[room_id].invite_state]
        self.assertIn("Совет дома", names, "the stripped state came with the invite")
        # No via: the inviter's server is the way in.
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}", {})
        self.assertEqual((status, body.get("room_id")), (200, room_id), body)
        status, members = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members")
        for _ in range(50):
            if bob.user_id in members.get("joined", {}):
                break
            await alice.sync(timeout=200)
            status, members = await self.call(alice, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members")
        self.assertIn(bob.user_id, members["joined"])
        # An invite for a user the other server does not have.
        nobody = "@nobody-" + unique("x") + ":" + self.servers["spb"].server_name
        status, body = await self.call(alice, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite",
                                       {"user_id": nobody})
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), body)

    async def test_refusing_an_invite_of_another_server(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Ремонт лифта", preset=None)
        room_id = created.room_id
        bob = await self.user_on("spb")
        await bob.sync(timeout=0)
        status, body = await self.call(alice, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite",
                                       {"user_id": bob.user_id})
        self.assertEqual(status, 200, body)
        await self.synced_until(bob, lambda r: room_id in r.rooms.invite, "the invite on spb")
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/leave", {})
        self.assertEqual(status, 200, body)
        # The invite is gone from spb, and msk's room shows Bob's leave.
        resp = await bob.sync(timeout=0, full_state=True)
        self.assertNotIn(room_id, resp.rooms.invite)
        for _ in range(50):
            status, state = await self.call(alice, "GET",
                                            f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.member/{quote(bob.user_id)}")
            if status == 200 and state.get("membership") == "leave":
                break
            await alice.sync(timeout=200)
        self.assertEqual((status, state.get("membership")), (200, "leave"), state)
        # Leaving a room of another server one was never invited to changes nothing there.
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/leave", {})
        self.assertIn(status, (403, 404), body)

    async def test_server_acl_keeps_a_denied_server_out(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Только Москва", preset=None)
        room_id = created.room_id
        await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                        {"join_rule": "public"})
        status, _ = await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.server_acl/",
                                    {"allow": ["msk.localhost"], "deny": [], "allow_ip_literals": False})
        self.assertEqual(status, 200)
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)

    async def test_join_by_room_id_with_via(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Подъезд 2", preset=None)
        room_id = created.room_id
        await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                        {"join_rule": "public"})
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual((status, body.get("room_id")), (200, room_id), body)
        status, members = await self.call(bob, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/joined_members")
        self.assertEqual(status, 200, members)
        self.assertEqual(set(members["joined"]), {alice.user_id, bob.user_id})

    async def test_a_room_that_refuses_the_join(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Совет дома", preset=None)  # invite only
        room_id = created.room_id
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual((status, body.get("errcode")), (403, "M_FORBIDDEN"), body)
        # Nothing of the room is left on spb: no membership, no state.
        status, body = await self.call(bob, "GET", "/_matrix/client/v3/joined_rooms")
        self.assertEqual((status, room_id in body["joined_rooms"]), (200, False))
        status, body = await self.call(bob, "GET", f"/_matrix/client/v3/rooms/{quote(room_id)}/state")
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), body)
        # A room nobody knows.
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote('!nosuchroom:' + self.servers['msk'].server_name)}", {})
        self.assertEqual((status, body.get("errcode")), (404, "M_NOT_FOUND"), body)


if __name__ == "__main__":
    unittest.main()
