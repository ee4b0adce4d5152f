"""Relations, threads, edits, reactions and polls: /relations (types, event types, paging,
direction, recurse), /threads (all, participated), bundled aggregations in unsigned.m.relations
served alike by /event, /messages, /context and /sync. Spec: relations.yaml, threads_list.yaml,
"Forming relationships between events"; polls are MSC3381 as Element sends them."""

from harness import DomovoyTestCase

V1 = "/_matrix/client/v1"
V3 = "/_matrix/client/v3"


class TestRelations(DomovoyTestCase):

    async def send(self, client, room, content, type_="m.room.message"):
        resp = await client.room_send(room, type_, content)
        self.assertOk(resp, "RoomSendResponse", f"send {type_}")
        return resp.event_id

    async def setup_room(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        carol = await self.register("carol")
        room = await self.create_room(alice, invite=[bob.user_id, carol.user_id])
        await self.join(bob, room)
        await self.join(carol, room)
        return alice, bob, carol, room

    async def relations(self, client, room, event_id, *path, **query):
        suffix = "/".join([event_id, *path])
        status, body = await self.raw(client, "GET", f"{V1}/rooms/{room}/relations/{suffix}", query=query or None)
        self.assertEqual(status, 200, body)
        return body

    async def test_edits_are_bundled_everywhere(self):
        alice, bob, carol, room = await self.setup_room()
        await self.sync(bob)
        original = await self.send(alice, room, {"msgtype": "m.text", "body": "Собрание в 18:00"})
        edits = []
        for text in ("Собрание в 19:00", "Собрание в 19:30"):
            edits.append(await self.send(alice, room, {
                "msgtype": "m.text", "body": f"* {text}", "m.new_content": {"msgtype": "m.text", "body": text},
                "m.relates_to": {"rel_type": "m.replace", "event_id": original}}))
        # Another user's "edit" is no edit of alice's message.
        bobs = await self.send(bob, room, {"msgtype": "m.text", "body": "* нет", "m.new_content": {"msgtype": "m.text", "body": "нет"},
                                    "m.relates_to": {"rel_type": "m.replace", "event_id": original}})
        status, event = await self.raw(bob, "GET", f"{V3}/rooms/{room}/event/{original}")
        replace = event["unsigned"]["m.relations"]["m.replace"]
        self.assertEqual(replace["event_id"], edits[-1])
        self.assertEqual(replace["content"]["m.new_content"]["body"], "Собрание в 19:30")
        status, messages = await self.raw(bob, "GET", f"{V3}/rooms/{room}/messages", query={"dir": "b", "limit": 10})
        served = {e["event_id"]: e for e in messages["chunk"]}
        self.assertEqual(served[original]["unsigned"]["m.relations"]["m.replace"]["event_id"], edits[-1])
        status, context = await self.raw(bob, "GET", f"{V3}/rooms/{room}/context/{original}", query={"limit": 0})
        self.assertEqual(context["event"]["unsigned"]["m.relations"]["m.replace"]["event_id"], edits[-1])
        resp = await self.initial_sync(bob)
        status, synced = await self.raw(bob, "GET", f"{V3}/sync", query={"filter": '{"room":{"timeline":{"limit":20}}}'})
        timeline = {e["event_id"]: e for e in synced["rooms"]["join"][room]["timeline"]["events"]}
        self.assertEqual(timeline[original]["unsigned"]["m.relations"]["m.replace"]["event_id"], edits[-1])
        # The relations themselves, by type, newest first: every m.replace child, bob's too.
        body = await self.relations(bob, room, original, "m.replace", limit=10)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [bobs, edits[1], edits[0]])

    async def test_threads(self):
        alice, bob, carol, room = await self.setup_room()
        root = await self.send(alice, room, {"msgtype": "m.text", "body": "Кто дома в четверг?"})
        thread = {"rel_type": "m.thread", "event_id": root, "is_falling_back": True, "m.in_reply_to": {"event_id": root}}
        first = await self.send(bob, room, {"msgtype": "m.text", "body": "Я", "m.relates_to": thread})
        latest = await self.send(alice, room, {"msgtype": "m.text", "body": "Спасибо", "m.relates_to": thread})
        other_root = await self.send(carol, room, {"msgtype": "m.text", "body": "Другой вопрос"})
        await self.send(carol, room, {"msgtype": "m.text", "body": "...",
                                      "m.relates_to": {"rel_type": "m.thread", "event_id": other_root}})
        for viewer, took_part in ((bob, True), (carol, False)):
            status, event = await self.raw(viewer, "GET", f"{V3}/rooms/{room}/event/{root}")
            summary = event["unsigned"]["m.relations"]["m.thread"]
            self.assertEqual(summary["count"], 2)
            self.assertEqual(summary["latest_event"]["event_id"], latest)
            self.assertEqual(summary["current_user_participated"], took_part, viewer.user_id)
        status, body = await self.raw(bob, "GET", f"{V1}/rooms/{room}/threads")
        self.assertEqual(status, 200, body)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [other_root, root], "newest activity first")
        status, body = await self.raw(bob, "GET", f"{V1}/rooms/{room}/threads", query={"include": "participated"})
        self.assertEqual([e["event_id"] for e in body["chunk"]], [root])
        status, page = await self.raw(bob, "GET", f"{V1}/rooms/{room}/threads", query={"limit": 1})
        self.assertEqual([e["event_id"] for e in page["chunk"]], [other_root])
        status, page = await self.raw(bob, "GET", f"{V1}/rooms/{room}/threads", query={"limit": 1, "from": page["next_batch"]})
        self.assertEqual([e["event_id"] for e in page["chunk"]], [root])
        body = await self.relations(bob, room, root, "m.thread", limit=10)
        self.assertEqual([e["event_id"] for e in body["chunk"]], [latest, first])
        body = await self.relations(bob, room, root, "m.thread", limit=10, dir="f")
        self.assertEqual([e["event_id"] for e in body["chunk"]], [first, latest])
        # A reaction to a reply in the thread shows when recursing.
        reaction = await self.send(carol, room, {"m.relates_to": {"rel_type": "m.annotation", "event_id": first, "key": "👍"}},
                                   "m.reaction")
        body = await self.relations(bob, room, root, limit=10, recurse="true")
        self.assertIn(reaction, [e["event_id"] for e in body["chunk"]])
        self.assertEqual(body["recursion_depth"], 3)
        body = await self.relations(bob, room, root, limit=10)
        self.assertNotIn(reaction, [e["event_id"] for e in body["chunk"]])

    async def test_reactions_paging_and_redaction(self):
        alice, bob, carol, room = await self.setup_room()
        message = await self.send(alice, room, {"msgtype": "m.text", "body": "Лифт починили"})
        reactions = []
        for client, key in ((alice, "🎉"), (bob, "🎉"), (carol, "👍")):
            reactions.append(await self.send(client, room, {
                "m.relates_to": {"rel_type": "m.annotation", "event_id": message, "key": key}}, "m.reaction"))
        page = await self.relations(bob, room, message, "m.annotation", limit=2)
        self.assertEqual([e["event_id"] for e in page["chunk"]], [reactions[2], reactions[1]])
        rest = await self.relations(bob, room, message, "m.annotation", limit=2, **{"from": page["next_batch"]})
        self.assertEqual([e["event_id"] for e in rest["chunk"]], [reactions[0]])
        self.assertNotIn("next_batch", rest)
        typed = await self.relations(bob, room, message, "m.annotation", "m.reaction", limit=10)
        self.assertEqual(len(typed["chunk"]), 3)
        none = await self.relations(bob, room, message, "m.annotation", "m.room.message", limit=10)
        self.assertEqual(none["chunk"], [])
        resp = await bob.room_redact(room, reactions[1])
        self.assertOk(resp, "RoomRedactResponse", "redact a reaction")
        after = await self.relations(alice, room, message, "m.annotation", limit=10)
        self.assertEqual([e["event_id"] for e in after["chunk"]], [reactions[2], reactions[0]])

    async def test_duplicate_annotations_are_refused(self):
        alice, bob, carol, room = await self.setup_room()
        message = await self.send(alice, room, {"msgtype": "m.text", "body": "Собрание в четверг"})
        thumbs = {"m.relates_to": {"rel_type": "m.annotation", "event_id": message, "key": "👍"}}
        path = f"/_matrix/client/v3/rooms/{room}/send/m.reaction"
        status, first = await self.raw(bob, "PUT", f"{path}/r1", thumbs)
        self.assertEqual(status, 200, first)
        # The same transaction again is a retry: the same event, no error.
        status, retry = await self.raw(bob, "PUT", f"{path}/r1", thumbs)
        self.assertEqual((status, retry.get("event_id")), (200, first["event_id"]), retry)
        status, body = await self.raw(bob, "PUT", f"{path}/r2", thumbs)
        self.assertRawError(status, body, "M_DUPLICATE_ANNOTATION", 400, "the same reaction twice")
        # Another key, another user, or another event type is no duplicate.
        status, body = await self.raw(bob, "PUT", f"{path}/r3",
                                      {"m.relates_to": {**thumbs["m.relates_to"], "key": "🎉"}})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(carol, "PUT", f"{path}/r1", thumbs)
        self.assertEqual(status, 200, body)
        status, body = await self.raw(bob, "PUT", f"/_matrix/client/v3/rooms/{room}/send/org.example.vote/v1", thumbs)
        self.assertEqual(status, 200, body)
        # Once redacted, the reaction may be given again.
        resp = await bob.room_redact(room, first["event_id"])
        self.assertOk(resp, "RoomRedactResponse", "redact the reaction")
        status, body = await self.raw(bob, "PUT", f"{path}/r4", thumbs)
        self.assertEqual(status, 200, body)
        status, body = await self.raw(bob, "PUT", f"{path}/r5", thumbs)
        self.assertRawError(status, body, "M_DUPLICATE_ANNOTATION", 400, "a duplicate of the new reaction")

    async def test_polls_through_references(self):
        alice, bob, carol, room = await self.setup_room()
        start = await self.send(alice, room, {
            "org.matrix.msc3381.poll.start": {
                "question": {"org.matrix.msc1767.text": "Красим подъезд в зелёный?"},
                "kind": "org.matrix.msc3381.poll.disclosed", "max_selections": 1,
                "answers": [{"id": "yes", "org.matrix.msc1767.text": "Да"}, {"id": "no", "org.matrix.msc1767.text": "Нет"}]},
            "org.matrix.msc1767.text": "Красим подъезд в зелёный?"}, "org.matrix.msc3381.poll.start")
        responses = []
        for client, answer in ((bob, "yes"), (carol, "no")):
            responses.append(await self.send(client, room, {
                "m.relates_to": {"rel_type": "m.reference", "event_id": start},
                "org.matrix.msc3381.poll.response": {"answers": [answer]}}, "org.matrix.msc3381.poll.response"))
        end = await self.send(alice, room, {"m.relates_to": {"rel_type": "m.reference", "event_id": start},
                                            "org.matrix.msc3381.poll.end": {}, "org.matrix.msc1767.text": "Итог"},
                              "org.matrix.msc3381.poll.end")
        answers = await self.relations(bob, room, start, "m.reference", "org.matrix.msc3381.poll.response", limit=50)
        self.assertEqual(sorted(e["event_id"] for e in answers["chunk"]), sorted(responses))
        self.assertEqual({e["content"]["org.matrix.msc3381.poll.response"]["answers"][0] for e in answers["chunk"]},
                         {"yes", "no"})
        status, event = await self.raw(bob, "GET", f"{V3}/rooms/{room}/event/{start}")
        chunk = event["unsigned"]["m.relations"]["m.reference"]["chunk"]
        self.assertEqual({c["event_id"] for c in chunk}, set(responses) | {end})
        # The stable names work the same.
        stable = await self.send(alice, room, {"m.poll": {"question": {"m.text": [{"body": "?"}]}, "kind": "m.poll.disclosed",
                                                          "answers": [{"m.id": "a", "m.text": [{"body": "A"}]}]}},
                                 "m.poll.start")
        await self.send(bob, room, {"m.relates_to": {"rel_type": "m.reference", "event_id": stable},
                                    "m.selections": ["a"]}, "m.poll.response")
        stable_answers = await self.relations(alice, room, stable, "m.reference", "m.poll.response", limit=5)
        self.assertEqual(len(stable_answers["chunk"]), 1)

    async def test_errors_and_visibility(self):
        alice, bob, carol, room = await self.setup_room()
        message = await self.send(alice, room, {"msgtype": "m.text", "body": "внутреннее"})
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/relations/$nosuch")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "unknown event")
        stranger = await self.register("stranger")
        status, body = await self.raw(stranger, "GET", f"{V1}/rooms/{room}/relations/{message}")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "event of a room the user is not in")
        status, body = await self.raw(stranger, "GET", f"{V1}/rooms/{room}/threads")
        self.assertEqual(status, 403, body)
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/relations/{message}", query={"dir": "x"})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "bad dir")
        status, body = await self.raw(alice, "GET", f"{V1}/rooms/{room}/relations/{message}", query={"limit": "many"})
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "bad limit")
        # A relation to an event of another room is no relation of it.
        other = await self.create_room(alice)
        await self.send(alice, other, {"m.relates_to": {"rel_type": "m.annotation", "event_id": message, "key": "x"}},
                        "m.reaction")
        body = await self.relations(alice, room, message, limit=10)
        self.assertEqual(body["chunk"], [])
