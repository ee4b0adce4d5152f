"""Threaded read receipts and per-thread notification counts: receipts.yaml (thread_id, its
M_INVALID_PARAM cases), modules/receipts.md "Threaded read receipts", sync.yaml
unread_notifications / unread_thread_notifications with the filter's
unread_thread_notifications."""

import json

from harness import DomovoyTestCase

V3 = "/_matrix/client/v3"
THREADED = json.dumps({"room": {"timeline": {"unread_thread_notifications": True}}})


class TestThreadReceipts(DomovoyTestCase):

    async def send(self, client, room, content, txn):
        status, body = await self.raw(client, "PUT", f"{V3}/rooms/{room}/send/m.room.message/{txn}", content)
        self.assertEqual(status, 200, body)
        return body["event_id"]

    async def counts(self, client, room, threaded):
        query = {"filter": THREADED} if threaded else None
        status, synced = await self.raw(client, "GET", f"{V3}/sync", query=query)
        self.assertEqual(status, 200, synced)
        joined = synced["rooms"]["join"][room]
        threads = {root: (c["notification_count"], c["highlight_count"])
                   for root, c in joined.get("unread_thread_notifications", {}).items()}
        main = joined["unread_notifications"]
        return (main["notification_count"], main["highlight_count"]), threads

    async def receipt(self, client, room, event_id, thread_id=None, expect=200):
        body = {} if thread_id is None else {"thread_id": thread_id}
        status, answer = await self.raw(client, "POST", f"{V3}/rooms/{room}/receipt/m.read/{event_id}", body)
        self.assertEqual(status, expect, answer)
        return answer

    async def test_counts_per_thread(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, invite=[bob.user_id])
        await self.join(bob, room)
        root = await self.send(bob, room, {"msgtype": "m.text", "body": "Лифт сломан"}, "r")
        in_thread = {"msgtype": "m.text", "body": "С утра не работает",
                     "m.relates_to": {"rel_type": "m.thread", "event_id": root}}
        first = await self.send(bob, room, in_thread, "t1")
        await self.send(bob, room, {**in_thread, "body": f"{alice.user_id}, вы звонили?",
                                    "m.mentions": {"user_ids": [alice.user_id]}}, "t2")
        later = await self.send(bob, room, {"msgtype": "m.text", "body": "Собрание завтра"}, "m1")

        # Without the filter option: one count for the whole room, no per-thread object.
        self.assertEqual(await self.counts(alice, room, threaded=False), ((4, 1), {}))
        # With it: the main timeline (the root is in it) and the thread apart.
        self.assertEqual(await self.counts(alice, room, threaded=True), ((2, 0), {root: (2, 1)}))

        # A receipt for the main timeline leaves the thread unread; one in the thread reads it.
        await self.receipt(alice, room, later, "main")
        self.assertEqual(await self.counts(alice, room, threaded=True), ((0, 0), {root: (2, 1)}))
        self.assertEqual(await self.counts(alice, room, threaded=False), ((2, 1), {}))
        await self.receipt(alice, room, first, root)
        self.assertEqual(await self.counts(alice, room, threaded=True), ((0, 0), {root: (1, 1)}))

        # Receipts of each thread are kept apart, and others see them with their thread_id.
        status, synced = await self.raw(bob, "GET", f"{V3}/sync")
        receipts = [e["content"] for e in synced["rooms"]["join"][room]["ephemeral"]["events"]
                    if e["type"] == "m.receipt"]
        seen = {event_id: by_type["m.read"][alice.user_id].get("thread_id")
                for content in receipts for event_id, by_type in content.items()
                if alice.user_id in by_type.get("m.read", {})}
        self.assertEqual(seen.get(later), "main", receipts)
        self.assertEqual(seen.get(first), root, receipts)

        # An unthreaded receipt reads everything up to its event, in every thread.
        await self.receipt(alice, room, later)
        self.assertEqual(await self.counts(alice, room, threaded=True), ((0, 0), {}))

    async def test_thread_id_must_match_the_event(self):
        alice = await self.register("alice")
        room = await self.create_room(alice)
        root = await self.send(alice, room, {"msgtype": "m.text", "body": "Тема"}, "r")
        reply = await self.send(alice, room, {"msgtype": "m.text", "body": "ответ",
                                              "m.relates_to": {"rel_type": "m.thread", "event_id": root}}, "t")
        for event_id, thread_id, what in ((reply, "main", "a thread's event with thread_id main"),
                                          (root, "$other", "an event of the main timeline in another thread"),
                                          (reply, "$other", "a thread's event in another thread")):
            answer = await self.receipt(alice, room, event_id, thread_id, expect=400)
            self.assertEqual(answer.get("errcode"), "M_INVALID_PARAM", what)
        answer = await self.receipt(alice, room, reply, "", expect=400)
        self.assertEqual(answer.get("errcode"), "M_INVALID_PARAM")
        await self.receipt(alice, room, reply, root)
        await self.receipt(alice, room, root, root)  # the root may carry its thread's receipt
        await self.receipt(alice, room, root, "main")
