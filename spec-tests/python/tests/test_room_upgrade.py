"""Room upgrades: POST /rooms/{roomId}/upgrade (room_upgrades.yaml, modules/room_upgrades.md
"Server behaviour"): the tombstone, the replacement room's create event with its predecessor,
the transferred state, moved aliases and directory listing, bans and space children carried
over, members of a private room invited, and the old room closed to ordinary members."""

from urllib.parse import quote

from nio import RoomPreset

from harness import DomovoyTestCase

V3 = "/_matrix/client/v3"


class TestRoomUpgrade(DomovoyTestCase):

    async def state_of(self, client, room):
        status, events = await self.raw(client, "GET", f"{V3}/rooms/{room}/state")
        self.assertEqual(status, 200, events)
        return {(e["type"], e["state_key"]): e for e in events}

    async def test_upgrade_replaces_the_room(self):
        chair = await self.register("chair")
        neighbour = await self.register("neighbour")
        troll = await self.register("troll")
        alias_name = f"dom-{chair.user_id[1:8]}"
        status, body = await self.raw(chair, "POST", f"{V3}/createRoom", {
            "room_version": "10", "name": "Дом 7", "topic": "Общий чат", "room_alias_name": alias_name,
            "visibility": "public", "preset": "private_chat",
            "creation_content": {"type": "m.space"},
            "invite": [neighbour.user_id, troll.user_id],
            "initial_state": [
                {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}},
                {"type": "m.room.history_visibility", "state_key": "", "content": {"history_visibility": "invited"}},
                {"type": "m.space.child", "state_key": "!child:localhost", "content": {"via": ["localhost"]}},
                {"type": "org.example.custom", "state_key": "", "content": {"kept": False}},
            ],
            "power_level_content_override": {"users": {chair.user_id: 100, neighbour.user_id: 30}}})
        self.assertEqual(status, 200, body)
        old = body["room_id"]
        alias = f"#{alias_name}:localhost"
        await self.join(neighbour, old)
        await self.join(troll, old)
        status, body = await self.raw(chair, "POST", f"{V3}/rooms/{old}/ban",
                                      {"user_id": troll.user_id, "reason": "спам"})
        self.assertEqual(status, 200, body)
        # The neighbour's own settings for the room, which follow them into its replacement.
        status, body = await self.raw(neighbour, "PUT",
                                      f"{V3}/user/{neighbour.user_id}/rooms/{old}/tags/m.favourite", {"order": 0.5})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(neighbour, "PUT", f"{V3}/pushrules/global/room/{old}", {"actions": []})
        self.assertEqual(status, 200, body)

        # Only someone who may send the tombstone upgrades the room.
        status, body = await self.raw(neighbour, "POST", f"{V3}/rooms/{old}/upgrade", {"new_version": "12"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "an upgrade by a member of power 30")
        status, body = await self.raw(chair, "POST", f"{V3}/rooms/{old}/upgrade", {"new_version": "999"})
        self.assertRawError(status, body, "M_UNSUPPORTED_ROOM_VERSION", 400, "an unknown version")
        status, body = await self.raw(chair, "POST", f"{V3}/rooms/{old}/upgrade", {})
        self.assertEqual(status, 400, body)

        status, body = await self.raw(chair, "POST", f"{V3}/rooms/{old}/upgrade", {"new_version": "12"})
        self.assertEqual(status, 200, body)
        new = body["replacement_room"]
        self.assertNotEqual(new, old)

        old_state = await self.state_of(chair, old)
        tombstone = old_state[("m.room.tombstone", "")]["content"]
        self.assertEqual(tombstone["replacement_room"], new)
        self.assertTrue(tombstone["body"])
        closed = old_state[("m.room.power_levels", "")]["content"]
        self.assertGreaterEqual(closed["events_default"], 50)
        self.assertGreaterEqual(closed["invite"], 50)
        self.assertNotIn("alias", old_state.get(("m.room.canonical_alias", ""), {"content": {}})["content"])
        # The old room is closed to ordinary members.
        status, body = await self.raw(neighbour, "PUT", f"{V3}/rooms/{old}/send/m.room.message/t1",
                                      {"msgtype": "m.text", "body": "всё ещё здесь?"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a message in the tombstoned room")

        new_state = await self.state_of(chair, new)
        create = new_state[("m.room.create", "")]["content"]
        self.assertEqual(create["room_version"], "12")
        self.assertEqual(create["predecessor"]["room_id"], old)
        self.assertEqual(create.get("type"), "m.space")
        self.assertEqual(new_state[("m.room.name", "")]["content"]["name"], "Дом 7")
        self.assertEqual(new_state[("m.room.topic", "")]["content"]["topic"], "Общий чат")
        self.assertEqual(new_state[("m.room.encryption", "")]["content"]["algorithm"], "m.megolm.v1.aes-sha2")
        self.assertEqual(new_state[("m.room.history_visibility", "")]["content"]["history_visibility"], "invited")
        self.assertEqual(new_state[("m.room.join_rules", "")]["content"]["join_rule"], "invite")
        self.assertEqual(new_state[("m.room.canonical_alias", "")]["content"]["alias"], alias)
        self.assertIn(("m.space.child", "!child:localhost"), new_state)
        self.assertNotIn(("org.example.custom", ""), new_state)
        levels = new_state[("m.room.power_levels", "")]["content"]
        # v12: the upgrader is a creator, of infinite power, and so not in `users`.
        self.assertNotIn(chair.user_id, levels["users"])
        self.assertEqual(levels["users"][neighbour.user_id], 30)
        self.assertEqual(new_state[("m.room.member", troll.user_id)]["content"]["membership"], "ban")
        self.assertEqual(new_state[("m.room.member", troll.user_id)]["content"].get("reason"), "спам")
        self.assertEqual(new_state[("m.room.member", neighbour.user_id)]["content"]["membership"], "invite")

        # The alias and the directory listing moved with the room.
        status, body = await self.raw(neighbour, "GET", f"{V3}/directory/room/{quote(alias)}")
        self.assertEqual((status, body.get("room_id")), (200, new), body)
        status, body = await self.raw(chair, "GET", f"{V3}/directory/list/room/{new}")
        self.assertEqual(body.get("visibility"), "public", body)
        status, body = await self.raw(chair, "GET", f"{V3}/directory/list/room/{old}")
        self.assertEqual(body.get("visibility"), "private", body)

        # The invited neighbour follows the tombstone, with their tags and room push rule; the
        # banned troll cannot.
        await self.join(neighbour, new)
        status, body = await self.raw(neighbour, "GET", f"{V3}/user/{neighbour.user_id}/rooms/{new}/tags")
        self.assertEqual(body.get("tags"), {"m.favourite": {"order": 0.5}}, body)
        status, body = await self.raw(neighbour, "GET", f"{V3}/pushrules/global/room/{new}")
        self.assertEqual((status, body.get("actions")), (200, []), body)
        status, body = await self.raw(chair, "GET", f"{V3}/pushrules/global/room/{new}")
        self.assertEqual(status, 404, body)
        status, body = await self.raw(troll, "POST", f"{V3}/join/{new}", {})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "a banned user joining the replacement")
        status, synced = await self.raw(neighbour, "GET", f"{V3}/sync")
        self.assertIn(new, synced["rooms"]["join"])
        tombstones = [e for e in synced["rooms"]["join"][old]["timeline"]["events"] + synced["rooms"]["join"][old]
                      ["state"]["events"] if e["type"] == "m.room.tombstone"]
        self.assertEqual(tombstones[0]["content"]["replacement_room"], new)

    async def test_upgrade_to_a_version_without_infinite_creators(self):
        # From v12 (creators above any level) down to v10: the upgrader gets 100 written out,
        # and a public room's members are not invited (they may join by themselves).
        owner = await self.register("owner")
        member = await self.register("member")
        old = await self.create_room(owner, preset=RoomPreset.public_chat)
        await self.join(member, old)
        status, body = await self.raw(owner, "POST", f"{V3}/rooms/{old}/upgrade", {"new_version": "10"})
        self.assertEqual(status, 200, body)
        new = body["replacement_room"]
        new_state = await self.state_of(owner, new)
        self.assertEqual(new_state[("m.room.create", "")]["content"]["room_version"], "10")
        self.assertEqual(new_state[("m.room.power_levels", "")]["content"]["users"][owner.user_id], 100)
        self.assertEqual(new_state[("m.room.join_rules", "")]["content"]["join_rule"], "public")
        self.assertNotIn(("m.room.member", member.user_id), new_state)
        await self.join(member, new)

    async def test_upgrade_requires_membership(self):
        owner = await self.register("owner")
        stranger = await self.register("stranger")
        room = await self.create_room(owner, preset=RoomPreset.public_chat)
        status, body = await self.raw(stranger, "POST", f"{V3}/rooms/{room}/upgrade", {"new_version": "12"})
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "an upgrade by a non-member")
        status, body = await self.raw(owner, "POST", f"{V3}/rooms/!nosuch:localhost/upgrade", {"new_version": "12"})
        self.assertEqual(status, 404, body)
