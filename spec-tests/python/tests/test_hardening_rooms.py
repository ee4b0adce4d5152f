"""Holes closed by the hardening issue, room side: restricted joins decided by the server,
membership through PUT state checked like the dedicated endpoints, redacted state that must not
leak through unsigned.prev_content, identifier lengths, v12 room id collisions.

Spec: client-server-api "Restricted rooms", rooms/v10.md auth rule 4.3.5 (5.2 in v12),
room_state.yaml, redaction.yaml, appendices "Identifier Grammar" (255 bytes).
"""

import asyncio
import json
import unittest

from harness import DomovoyTestCase, q


class TestRestrictedJoins(DomovoyTestCase):

    async def restricted_room(self, admin, allowed_room):
        return await self.create_room(admin, initial_state=[{
            "type": "m.room.join_rules", "state_key": "",
            "content": {"join_rule": "restricted",
                        "allow": [{"type": "m.room_membership", "room_id": allowed_room}]}}])

    async def test_forged_authorising_user_is_not_trusted(self):
        admin = await self.register("radmin")
        stranger = await self.register("rstranger")
        space = await self.create_room(admin)
        room = await self.restricted_room(admin, space)
        await self.send_text(admin, room, "door code 1234")
        status, body = await self.raw(
            stranger, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(stranger.user_id)}",
            {"membership": "join", "join_authorised_via_users_server": admin.user_id})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "forged restricted join through PUT state")
        status, body = await self.raw(stranger, "POST", f"/_matrix/client/v3/rooms/{q(room)}/join",
                                      {"join_authorised_via_users_server": admin.user_id})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "restricted join without an allowed room")
        status, body = await self.raw(stranger, "GET", f"/_matrix/client/v3/rooms/{q(room)}/messages",
                                      query={"dir": "b"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "history of a room the stranger is not in")

    async def test_member_of_allowed_room_joins_and_server_names_authoriser(self):
        admin = await self.register("radmin2")
        resident = await self.register("rresident")
        space = await self.create_room(admin, preset=None, initial_state=[{
            "type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "public"}}])
        room = await self.restricted_room(admin, space)
        await self.join(resident, space)
        status, body = await self.raw(resident, "POST", f"/_matrix/client/v3/rooms/{q(room)}/join", {})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["room_id"], room)
        status, member = await self.raw(
            resident, "GET",
            f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(resident.user_id)}")
        self.assertEqual(status, 200, member)
        self.assertEqual(member["membership"], "join")
        self.assertEqual(member.get("join_authorised_via_users_server"), admin.user_id)

    async def test_client_choice_of_authoriser_is_replaced(self):
        admin = await self.register("radmin3")
        resident = await self.register("rresident3")
        space = await self.create_room(admin, initial_state=[{
            "type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "public"}}])
        room = await self.restricted_room(admin, space)
        await self.join(resident, space)
        status, body = await self.raw(
            resident, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(resident.user_id)}",
            {"membership": "join", "join_authorised_via_users_server": "@nobody:localhost"})
        self.assertEqual(status, 200, body)
        status, member = await self.raw(
            resident, "GET",
            f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(resident.user_id)}")
        self.assertEqual(member.get("join_authorised_via_users_server"), admin.user_id)


class TestMembershipThroughState(DomovoyTestCase):

    async def test_kick_of_non_member_refused_like_kick_endpoint(self):
        alice = await self.register("mkalice")
        bob = await self.register("mkbob")
        room = await self.create_room(alice)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}",
            {"membership": "leave"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "kick through PUT state of a non-member")
        status, body = await self.raw(alice, "POST", f"/_matrix/client/v3/rooms/{q(room)}/kick",
                                      {"user_id": bob.user_id})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "kick endpoint of a non-member")

    async def test_invite_of_unknown_local_user_is_404(self):
        alice = await self.register("mialice")
        room = await self.create_room(alice)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q('@ghost:localhost')}",
            {"membership": "invite"})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "invite through PUT state of an unknown user")

    async def test_unknown_membership_is_400(self):
        alice = await self.register("mualice")
        room = await self.create_room(alice)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(alice.user_id)}",
            {"membership": "superjoin"})
        self.assertEqual(status, 400, body)

    async def test_join_for_another_user_refused(self):
        alice = await self.register("mjalice")
        bob = await self.register("mjbob")
        room = await self.create_room(alice, initial_state=[{
            "type": "m.room.join_rules", "state_key": "", "content": {"join_rule": "public"}}])
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.member/{q(bob.user_id)}",
            {"membership": "join"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "join on behalf of another user")


class TestRedactedStateDoesNotLeak(DomovoyTestCase):

    async def test_prev_content_follows_redaction(self):
        alice = await self.register("leakalice")
        room = await self.create_room(alice)
        status, first = await self.raw(alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.topic",
                                       {"topic": "door code 1234"})
        self.assertEqual(status, 200, first)
        status, second = await self.raw(alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/m.room.topic",
                                        {"topic": "ask the caretaker"})
        self.assertEqual(status, 200, second)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/redact/{q(first['event_id'])}/t1", {})
        self.assertEqual(status, 200, body)

        views = []
        status, messages = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room)}/messages",
                                          query={"dir": "b", "limit": "50"})
        self.assertEqual(status, 200)
        views.append(("messages", messages))
        status, state = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room)}/state")
        views.append(("state", state))
        status, synced = await self.raw(alice, "GET", "/_matrix/client/v3/sync",
                                        query={"filter": json.dumps({"room": {"timeline": {"limit": 50}}})})
        views.append(("sync", synced))
        status, event = await self.raw(alice, "GET",
                                       f"/_matrix/client/v3/rooms/{q(room)}/event/{q(second['event_id'])}")
        views.append(("event", event))
        for name, view in views:
            self.assertNotIn("door code 1234", json.dumps(view), f"{name} still shows the redacted topic")
        self.assertIn("replaces_state", json.dumps(event), "the replaced event is still named")


class TestIdentifierLengths(DomovoyTestCase):

    async def test_state_key_over_255_bytes_refused(self):
        alice = await self.register("lenalice")
        room = await self.create_room(alice)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/org.example.flat/{'k' * 300}", {"n": 1})
        self.assertEqual(status, 400, body)
        self.assertIn(body.get("errcode"), ("M_INVALID_PARAM", "M_TOO_LARGE"), body)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/state/org.example.flat/{'k' * 255}", {"n": 1})
        self.assertEqual(status, 200, body)

    async def test_event_type_over_255_bytes_refused(self):
        alice = await self.register("lentype")
        room = await self.create_room(alice)
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/rooms/{q(room)}/send/{'t' * 256}/txn1", {"body": "x"})
        self.assertEqual(status, 400, body)
        self.assertIn(body.get("errcode"), ("M_INVALID_PARAM", "M_TOO_LARGE"), body)

    async def test_long_room_id_and_user_id_refused(self):
        alice = await self.register("lenroom")
        long_room = "!" + "r" * 260 + ":localhost"
        status, body = await self.raw(alice, "PUT", f"/_matrix/client/v3/rooms/{q(long_room)}/send/m.text/t1",
                                      {"body": "x"})
        self.assertEqual(status, 400, body)
        room = await self.create_room(alice)
        long_user = "@" + "u" * 260 + ":localhost"
        status, body = await self.raw(alice, "POST", f"/_matrix/client/v3/rooms/{q(room)}/invite",
                                      {"user_id": long_user})
        self.assertEqual(status, 400, body)


class TestRoomIdCollision(DomovoyTestCase):

    async def test_identical_creates_make_two_rooms(self):
        alice = await self.register("twins")
        body = {"preset": "private_chat", "name": "twin"}
        results = await asyncio.gather(*[
            self.raw(alice, "POST", "/_matrix/client/v3/createRoom", body) for _ in range(8)])
        room_ids = []
        for status, created in results:
            self.assertEqual(status, 200, created)
            room_ids.append(created["room_id"])
        self.assertEqual(len(set(room_ids)), len(room_ids), f"two creates share a room: {room_ids}")
        for room_id in room_ids:
            status, state = await self.raw(alice, "GET", f"/_matrix/client/v3/rooms/{q(room_id)}/state")
            self.assertEqual(status, 200, state)
            creates = [e for e in state if e["type"] == "m.room.create"]
            self.assertEqual(len(creates), 1)


if __name__ == "__main__":
    unittest.main()
