"""Profiles and presence.

Spec: data/api/client-server/profile.yaml, presence.yaml; client-server API prose
"Events on Change of Profile Information" (an m.room.member event is sent to every
room the user is joined to).
"""

import unittest

from nio import RoomPreset

from harness import DomovoyTestCase, SERVER_NAME, q, unique


class TestProfile(DomovoyTestCase):

    async def test_new_user_profile(self):
        alice = await self.register("fresh")
        resp = await alice.get_profile()
        self.assertOk(resp, "ProfileGetResponse", "get_profile")
        # A fresh account has no avatar; a display name, if any, is a string.
        self.assertIsNone(resp.avatar_url)
        self.assertIn(type(resp.displayname), (str, type(None)))

    async def test_set_and_get_displayname(self):
        alice = await self.register("dn")
        resp = await alice.set_displayname("Alice of Flat 7")
        self.assertOk(resp, "ProfileSetDisplayNameResponse", "set_displayname")
        got = await alice.get_displayname()
        self.assertOk(got, "ProfileGetDisplayNameResponse", "get_displayname")
        self.assertEqual(got.displayname, "Alice of Flat 7")
        profile = await alice.get_profile()
        self.assertEqual(profile.displayname, "Alice of Flat 7")

    async def test_set_and_get_avatar(self):
        alice = await self.register("av")
        resp = await alice.set_avatar("mxc://localhost/abcdef123")
        self.assertOk(resp, "ProfileSetAvatarResponse", "set_avatar")
        got = await alice.get_avatar()
        self.assertOk(got, "ProfileGetAvatarResponse", "get_avatar")
        self.assertEqual(got.avatar_url, "mxc://localhost/abcdef123")
        profile = await alice.get_profile()
        self.assertEqual(profile.avatar_url, "mxc://localhost/abcdef123")

    async def test_other_user_reads_profile(self):
        alice = await self.register("pub")
        bob = await self.register("reader")
        await alice.set_displayname("Public Alice")
        resp = await bob.get_profile(alice.user_id)
        self.assertOk(resp, "ProfileGetResponse", "get_profile of another user")
        self.assertEqual(resp.displayname, "Public Alice")
        resp = await bob.get_displayname(alice.user_id)
        self.assertEqual(resp.displayname, "Public Alice")

    async def test_profile_of_unknown_user(self):
        alice = await self.register("askr")
        resp = await alice.get_profile(f"@{unique('nobody')}:{SERVER_NAME}")
        # profile.yaml 404: "There is no profile information for this user or this user
        # does not exist." (M_NOT_FOUND)
        self.assertMatrixError(resp, "M_NOT_FOUND", 404, "profile of an unknown user")

    async def test_cannot_set_someone_elses_displayname(self):
        alice = await self.register("victim")
        mallory = await self.register("mallory")
        await alice.set_displayname("Real Alice")
        status, body = await self.raw(
            mallory, "PUT", f"/_matrix/client/v3/profile/{q(alice.user_id)}/displayname",
            {"displayname": "Fake"})
        # profile.yaml 403: "unwilling to perform the operation ... insufficient permissions"
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "set another user's displayname")
        got = await alice.get_displayname()
        self.assertEqual(got.displayname, "Real Alice")

    async def test_displayname_change_updates_room_membership(self):
        alice = await self.register("propagate")
        bob = await self.register("watcher")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.sync(bob)
        await alice.set_displayname("Renamed Alice")
        await alice.set_avatar("mxc://localhost/newface")
        member = await bob.room_get_state_event(room_id, "m.room.member", alice.user_id)
        self.assertOk(member, "RoomGetStateEventResponse", "alice's member event")
        self.assertEqual(member.content.get("membership"), "join")
        self.assertEqual(member.content.get("displayname"), "Renamed Alice")
        self.assertEqual(member.content.get("avatar_url"), "mxc://localhost/newface")
        members = await bob.joined_members(room_id)
        by_id = {m.user_id: m for m in members.members}
        self.assertEqual(by_id[alice.user_id].display_name, "Renamed Alice")

        def has_rename(resp):
            room = resp.rooms.join.get(room_id)
            return room and any(
                e.source.get("type") == "m.room.member"
                and e.source.get("state_key") == alice.user_id
                and e.source["content"].get("displayname") == "Renamed Alice"
                for e in room.timeline.events)
        await self.sync_until(bob, has_rename, "alice's new display name in bob's timeline")


class TestPresence(DomovoyTestCase):

    async def test_set_and_get_own_presence(self):
        alice = await self.register("pres")
        resp = await alice.set_presence("online", "In the laundry room")
        self.assertOk(resp, "PresenceSetResponse", "set_presence")
        got = await alice.get_presence(alice.user_id)
        self.assertOk(got, "PresenceGetResponse", "get_presence")
        self.assertEqual(got.presence, "online")
        self.assertEqual(got.status_msg, "In the laundry room")

        resp = await alice.set_presence("unavailable")
        self.assertOk(resp, "PresenceSetResponse", "set_presence unavailable")
        got = await alice.get_presence(alice.user_id)
        self.assertEqual(got.presence, "unavailable")

        resp = await alice.set_presence("offline")
        self.assertOk(resp, "PresenceSetResponse", "set_presence offline")
        got = await alice.get_presence(alice.user_id)
        self.assertEqual(got.presence, "offline")

    async def test_invalid_presence_state_is_rejected(self):
        alice = await self.register("badpres")
        status, body = await self.raw(
            alice, "PUT", f"/_matrix/client/v3/presence/{q(alice.user_id)}/status",
            {"presence": "sleeping"})
        # presence.yaml: presence is an enum (online, offline, unavailable).
        self.assertEqual(status, 400, body)
        self.assertIn(body.get("errcode"), ("M_INVALID_PARAM", "M_BAD_JSON"), body)

    async def test_cannot_set_other_users_presence(self):
        alice = await self.register("prestarget")
        mallory = await self.register("presmallory")
        status, body = await self.raw(
            mallory, "PUT", f"/_matrix/client/v3/presence/{q(alice.user_id)}/status",
            {"presence": "online", "status_msg": "hacked"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "set another user's presence")

    async def test_room_mate_sees_presence(self):
        alice = await self.register("presa")
        bob = await self.register("presb")
        room_id = await self.create_room(alice, preset=RoomPreset.public_chat)
        await self.join(bob, room_id)
        await self.sync(bob)
        resp = await alice.set_presence("online", "Watering plants")
        self.assertOk(resp, "PresenceSetResponse", "set_presence")
        got = await bob.get_presence(alice.user_id)
        self.assertOk(got, "PresenceGetResponse", "get_presence of a room mate")
        self.assertEqual(got.presence, "online")
        self.assertEqual(got.status_msg, "Watering plants")
        if got.last_active_ago is not None:
            self.assertGreaterEqual(got.last_active_ago, 0)

        def alice_presence(resp):
            for event in resp.presence_events:
                if event.user_id == alice.user_id and event.status_msg == "Watering plants":
                    return event
            return None
        _, event = await self.sync_until(bob, alice_presence, "alice's presence in bob's sync")
        self.assertEqual(event.presence, "online")


if __name__ == "__main__":
    unittest.main()
