"""Invite, leave, forget, kick, ban, unban.

Spec: data/api/client-server/inviting.yaml, leaving.yaml, kicking.yaml, banning.yaml,
rooms.yaml (joined_members, members), capabilities.yaml.
"""

import unittest

from nio import RoomPreset

from harness import DomovoyTestCase


class TestInviteLeaveForget(DomovoyTestCase):

    async def membership(self, client, room_id, user_id):
        resp = await client.room_get_state_event(room_id, "m.room.member", user_id)
        self.assertOk(resp, "RoomGetStateEventResponse", f"member event of {user_id}")
        return resp.content["membership"]

    async def test_invite_then_join(self):
        alice = await self.register("inviter")
        bob = await self.register("invited")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        resp = await alice.room_invite(room_id, bob.user_id)
        self.assertOk(resp, "RoomInviteResponse", "invite")
        self.assertEqual(await self.membership(alice, room_id, bob.user_id), "invite")
        await self.join(bob, room_id)
        self.assertEqual(await self.membership(alice, room_id, bob.user_id), "join")
        members = await bob.joined_members(room_id)
        self.assertOk(members, "JoinedMembersResponse", "joined_members")
        self.assertEqual({m.user_id for m in members.members}, {alice.user_id, bob.user_id})

    async def test_invite_by_non_member_is_forbidden(self):
        alice = await self.register("owner")
        mallory = await self.register("stranger")
        bob = await self.register("target")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat)
        resp = await mallory.room_invite(room_id, bob.user_id)
        # inviting.yaml 403: "The inviter is not currently in the room."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "invite by a non-member")

    async def test_invite_already_joined_is_forbidden(self):
        alice = await self.register("inv2")
        bob = await self.register("member2")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await alice.room_invite(room_id, bob.user_id)
        # inviting.yaml 403: "The invitee is already a member of the room."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "invite a joined member")

    async def test_invite_with_insufficient_power_is_forbidden(self):
        alice = await self.register("plowner")
        bob = await self.register("lowpl")
        carol = await self.register("third")
        room_id = await self.create_room(
            alice, preset=RoomPreset.public_chat,
            power_level_override={"invite": 50})
        await self.join(bob, room_id)
        resp = await bob.room_invite(room_id, carol.user_id)
        # inviting.yaml 403: "The inviter's power level is insufficient to invite users."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "invite below the invite level")

    async def test_reject_invite_with_leave(self):
        alice = await self.register("rej")
        bob = await self.register("rejecter")
        room_id = await self.create_room(alice, preset=RoomPreset.private_chat, invite=[bob.user_id])
        resp = await bob.room_leave(room_id)
        # leaving.yaml: "If the user was invited to the room, but had not joined, this call
        # serves to reject the invite."
        self.assertOk(resp, "RoomLeaveResponse", "leave (reject invite)")
        self.assertEqual(await self.membership(alice, room_id, bob.user_id), "leave")

    async def test_leave(self):
        alice = await self.register("stay")
        bob = await self.register("leaver")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await bob.room_leave(room_id)
        self.assertOk(resp, "RoomLeaveResponse", "leave")
        self.assertEqual(await self.membership(alice, room_id, bob.user_id), "leave")
        rooms = await bob.joined_rooms()
        self.assertNotIn(room_id, rooms.rooms)
        members = await alice.joined_members(room_id)
        self.assertEqual([m.user_id for m in members.members], [alice.user_id])

    async def test_left_user_sees_history_up_to_leave(self):
        # leaving.yaml: "If the server doesn't automatically forget the room, the user will
        # still be allowed to retrieve history from the room which they were previously
        # allowed to see."
        alice = await self.register("histowner")
        bob = await self.register("histleaver")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.send_text(alice, room_id, "seen by bob")
        await self.sync(bob)
        await bob.room_leave(room_id)
        await self.send_text(alice, room_id, "after bob left")

        caps_status, caps = await self.raw(bob, "GET", "/_matrix/client/v3/capabilities")
        self.assertEqual(caps_status, 200, caps)
        forced = caps["capabilities"].get("m.forget_forced_upon_leave", {}).get("enabled", False)
        if forced:
            self.skipTest("server forgets rooms on leave (m.forget_forced_upon_leave)")
        resp = await bob.room_messages(room_id, bob.next_batch, limit=50)
        self.assertOk(resp, "RoomMessagesResponse", "messages after leaving")
        bodies = [getattr(e, "body", None) for e in resp.chunk]
        self.assertIn("seen by bob", bodies)
        self.assertNotIn("after bob left", bodies)

    async def test_forget_after_leave(self):
        alice = await self.register("fgowner")
        bob = await self.register("forgetter")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.send_text(alice, room_id, "history")
        await bob.room_leave(room_id)
        # sync_filter.yaml: include_leave "Include rooms that the user has left in the sync".
        sync = await self.initial_sync(bob, sync_filter={"room": {"include_leave": True}})
        self.assertIn(room_id, sync.rooms.leave)
        resp = await bob.room_forget(room_id)
        self.assertOk(resp, "RoomForgetResponse", "forget")
        # leaving.yaml (forget): "After this API is called, however, a user will no longer
        # be able to retrieve history for this room."
        status, body = await self.raw(
            bob, "GET", f"/_matrix/client/v3/rooms/{room_id}/messages",
            query={"dir": "b", "limit": "10"})
        if status == 200:
            bodies = [e.get("content", {}).get("body") for e in body.get("chunk", [])]
            self.assertNotIn("history", bodies,
                             "history of a forgotten room is still returned by /messages")
        else:
            # message_pagination.yaml 403: "You aren't a member of the room."
            self.assertRawError(status, body, "M_FORBIDDEN", 403, "messages of a forgotten room")

    async def test_forget_while_joined_is_rejected(self):
        alice = await self.register("fgjoined")
        room_id = await self.create_room(alice)
        resp = await alice.room_forget(room_id)
        # leaving.yaml (forget) 400: "The user has not left the room" (M_UNKNOWN).
        self.assertMatrixError(resp, "M_UNKNOWN", 400, "forget a joined room")
        rooms = await alice.joined_rooms()
        self.assertIn(room_id, rooms.rooms)


class TestKickBan(DomovoyTestCase):

    async def membership(self, client, room_id, user_id):
        resp = await client.room_get_state_event(room_id, "m.room.member", user_id)
        self.assertOk(resp, "RoomGetStateEventResponse", f"member event of {user_id}")
        return resp.content

    async def test_kick(self):
        alice = await self.register("kicker")
        bob = await self.register("kicked")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await alice.room_kick(room_id, bob.user_id, reason="spam")
        self.assertOk(resp, "RoomKickResponse", "kick")
        content = await self.membership(alice, room_id, bob.user_id)
        # kicking.yaml: "adjusts the target member's membership state to be leave with an
        # optional reason".
        self.assertEqual(content["membership"], "leave")
        self.assertEqual(content.get("reason"), "spam")
        state = await alice.room_get_state(room_id)
        member_events = [e for e in state.events
                         if e["type"] == "m.room.member" and e["state_key"] == bob.user_id]
        self.assertEqual(member_events[0]["sender"], alice.user_id)
        rooms = await bob.joined_rooms()
        self.assertNotIn(room_id, rooms.rooms)
        # A kicked user may rejoin a public room.
        await self.join(bob, room_id)

    async def test_kick_without_power_is_forbidden(self):
        alice = await self.register("kowner")
        bob = await self.register("kweak")
        carol = await self.register("kvictim")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.join(carol, room_id)
        resp = await bob.room_kick(room_id, carol.user_id)
        # kicking.yaml 403: "The kicker's power level is insufficient to kick users."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "kick without power")
        content = await self.membership(alice, room_id, carol.user_id)
        self.assertEqual(content["membership"], "join")

    async def test_kick_non_member_is_forbidden(self):
        alice = await self.register("kowner2")
        bob = await self.register("knotthere")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        resp = await alice.room_kick(room_id, bob.user_id)
        # kicking.yaml 403: "The kickee is not currently in the room."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "kick a non-member")

    async def test_ban_and_unban(self):
        alice = await self.register("banner")
        bob = await self.register("banned")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        resp = await alice.room_ban(room_id, bob.user_id, reason="rude")
        self.assertOk(resp, "RoomBanResponse", "ban")
        content = await self.membership(alice, room_id, bob.user_id)
        self.assertEqual(content["membership"], "ban")
        self.assertEqual(content.get("reason"), "rude")
        rooms = await bob.joined_rooms()
        self.assertNotIn(room_id, rooms.rooms)
        # banning.yaml: "When a user is banned from a room, they may not join it or be
        # invited to it until they are unbanned."
        resp = await bob.join(room_id)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "join while banned")
        resp = await alice.room_invite(room_id, bob.user_id)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "invite a banned user")

        resp = await alice.room_unban(room_id, bob.user_id)
        self.assertOk(resp, "RoomUnbanResponse", "unban")
        content = await self.membership(alice, room_id, bob.user_id)
        self.assertEqual(content["membership"], "leave")
        await self.join(bob, room_id)

    async def test_ban_user_who_never_joined(self):
        alice = await self.register("preban")
        bob = await self.register("prebanned")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        resp = await alice.room_ban(room_id, bob.user_id)
        self.assertOk(resp, "RoomBanResponse", "ban a non-member")
        resp = await bob.join(room_id)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "join while banned")

    async def test_ban_and_unban_without_power_are_forbidden(self):
        alice = await self.register("bowner")
        bob = await self.register("bweak")
        carol = await self.register("bvictim")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.join(carol, room_id)
        resp = await bob.room_ban(room_id, carol.user_id)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "ban without power")
        content = await self.membership(alice, room_id, carol.user_id)
        self.assertEqual(content["membership"], "join")
        await alice.room_ban(room_id, carol.user_id)
        resp = await bob.room_unban(room_id, carol.user_id)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "unban without power")
        content = await self.membership(alice, room_id, carol.user_id)
        self.assertEqual(content["membership"], "ban")


if __name__ == "__main__":
    unittest.main()
