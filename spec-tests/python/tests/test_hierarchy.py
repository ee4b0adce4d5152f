"""Spaces: GET /v1/rooms/{roomId}/hierarchy walks m.space.child events breadth first and shows
each room only to those who may see it (members, invitees; anyone for public rooms; for a
restricted room, members of a room its join rule allows), with suggested_only, max_depth and
paging. Spec: space_hierarchy.yaml, "Spaces"."""

from harness import DomovoyTestCase

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"


class TestHierarchy(DomovoyTestCase):

    async def make_space(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        space = await self.create_room(alice, name="Дом 5", invite=[bob.user_id],
                                       initial_state=[{"type": "m.room.history_visibility", "state_key": "",
                                                       "content": {"history_visibility": "shared"}}])
        # creation_content type m.space through a raw createRoom (nio has no parameter for it).
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {
            "name": "Дом 5", "creation_content": {"type": "m.space"}, "invite": [bob.user_id],
            "preset": "private_chat"})
        self.assertEqual(status, 200, body)
        space = body["room_id"]
        await self.join(bob, space)
        rooms = {}
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {"name": "Общий чат", "preset": "public_chat"})
        rooms["public"] = body["room_id"]
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {"name": "Совет дома", "preset": "private_chat"})
        rooms["private"] = body["room_id"]
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {
            "name": "Жильцы", "preset": "private_chat", "room_version": "11",
            "initial_state": [{"type": "m.room.join_rules", "state_key": "",
                               "content": {"join_rule": "restricted",
                                           "allow": [{"type": "m.room_membership", "room_id": space}]}}]})
        self.assertEqual(status, 200, body)
        rooms["restricted"] = body["room_id"]
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {
            "name": "Подъезд 1", "creation_content": {"type": "m.space"}, "preset": "public_chat"})
        rooms["subspace"] = body["room_id"]
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {"name": "Лифт", "preset": "public_chat"})
        rooms["nested"] = body["room_id"]
        for key, order, suggested in (("public", "a", True), ("private", "b", False), ("restricted", "c", False),
                                      ("subspace", "d", False)):
            status, body = await self.raw(alice, "PUT", f"{V3}/rooms/{space}/state/m.space.child/{rooms[key]}",
                                          {"via": ["localhost"], "order": order, "suggested": suggested})
            self.assertEqual(status, 200, body)
        await self.raw(alice, "PUT", f"{V3}/rooms/{rooms['subspace']}/state/m.space.child/{rooms['nested']}",
                       {"via": ["localhost"]})
        # A child without via is a removed child.
        status, body = await self.raw(alice, "POST", f"{V3}/createRoom", {"name": "Старое", "preset": "public_chat"})
        await self.raw(alice, "PUT", f"{V3}/rooms/{space}/state/m.space.child/{body['room_id']}", {})
        rooms["removed"] = body["room_id"]
        return alice, bob, space, rooms

    async def hierarchy(self, client, space, **query):
        status, body = await self.raw(client, "GET", f"{V1}/rooms/{space}/hierarchy", query=query or None)
        self.assertEqual(status, 200, body)
        return body

    async def test_visibility_order_and_fields(self):
        alice, bob, space, rooms = await self.make_space()
        everything = await self.hierarchy(alice, space)
        ids = [room["room_id"] for room in everything["rooms"]]
        self.assertEqual(ids, [space, rooms["public"], rooms["private"], rooms["restricted"], rooms["subspace"],
                               rooms["nested"]])
        root = everything["rooms"][0]
        self.assertEqual(root["room_type"], "m.space")
        self.assertEqual(root["name"], "Дом 5")
        self.assertEqual(root["num_joined_members"], 2)
        self.assertEqual({c["state_key"] for c in root["children_state"]},
                         {rooms["public"], rooms["private"], rooms["restricted"], rooms["subspace"]})
        self.assertTrue(all("origin_server_ts" in c and c["type"] == "m.space.child" for c in root["children_state"]))
        by_id = {room["room_id"]: room for room in everything["rooms"]}
        self.assertEqual(by_id[rooms["restricted"]]["join_rule"], "restricted")
        self.assertEqual(by_id[rooms["restricted"]]["allowed_room_ids"], [space])
        self.assertEqual(by_id[rooms["public"]]["join_rule"], "public")
        # Bob: a member of the space, of no child. The private room is hidden from him; the
        # restricted one he may join (he is in the space), the public ones anyone may see.
        seen = [room["room_id"] for room in (await self.hierarchy(bob, space))["rooms"]]
        self.assertEqual(seen, [space, rooms["public"], rooms["restricted"], rooms["subspace"], rooms["nested"]])
        status, body = await self.raw(bob, "POST", f"{V3}/join/{rooms['restricted']}", {})
        self.assertEqual(status, 200, body)
        # A stranger may not look into the private space at all.
        stranger = await self.register("stranger")
        status, body = await self.raw(stranger, "GET", f"{V1}/rooms/{space}/hierarchy")
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "private space")
        # ...but may see a public sub-space and what it holds.
        seen = [room["room_id"] for room in (await self.hierarchy(stranger, rooms["subspace"]))["rooms"]]
        self.assertEqual(seen, [rooms["subspace"], rooms["nested"]])

    async def test_filters_and_paging(self):
        alice, bob, space, rooms = await self.make_space()
        suggested = await self.hierarchy(alice, space, suggested_only="true")
        self.assertEqual([r["room_id"] for r in suggested["rooms"]], [space, rooms["public"]])
        shallow = await self.hierarchy(alice, space, max_depth=1)
        self.assertNotIn(rooms["nested"], [r["room_id"] for r in shallow["rooms"]])
        self.assertIn(rooms["subspace"], [r["room_id"] for r in shallow["rooms"]])
        root_only = await self.hierarchy(alice, space, max_depth=0)
        self.assertEqual([r["room_id"] for r in root_only["rooms"]], [space])
        pages, token = [], None
        for _ in range(10):
            query = {"limit": 2}
            if token:
                query["from"] = token
            page = await self.hierarchy(alice, space, **query)
            self.assertLessEqual(len(page["rooms"]), 2)
            pages += [r["room_id"] for r in page["rooms"]]
            token = page.get("next_batch")
            if not token:
                break
        everything = [r["room_id"] for r in (await self.hierarchy(alice, space))["rooms"]]
        self.assertEqual(pages, everything)
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{space}/hierarchy", query={"from": "garbage"})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "bad from")
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{space}/hierarchy",
                                      query={"limit": 2, "from": token or "h2:x:false:9"})
        self.assertEqual(status, 400, "a token of another request")
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/!nosuch:localhost/hierarchy")
        self.assertEqual(status, 404, body)
