"""Pushers and delivery to a push gateway: GET /pushers, POST /pushers/set (add, append, remove
with kind null, errors), and POST /_matrix/push/v1/notify on a small gateway this test runs on
loopback: the notification's fields and counts, the event_id_only format, retries after the
gateway fails, and a pusher removed when the gateway rejects its pushkey. Spec: pusher.yaml,
push-gateway-api push_notifier.yaml."""

import asyncio
import json

from aiohttp import web

from harness import DomovoyTestCase, unique

V3 = "/_matrix/client/v3"


class Gateway:
    """POST /_matrix/push/v1/notify: records each notification; answers as told."""

    def __init__(self):
        self.received = []
        self.fail_next = 0
        self.reject = set()
        self.runner = None
        self.url = None

    async def handle(self, request):
        body = await request.json()
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.json_response({"error": "down"}, status=503)
        self.received.append(body["notification"])
        keys = {d["pushkey"] for d in body["notification"]["devices"]}
        return web.json_response({"rejected": sorted(keys & self.reject)})

    async def start(self):
        app = web.Application()
        app.router.add_post("/_matrix/push/v1/notify", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/_matrix/push/v1/notify"

    async def stop(self):
        await self.runner.cleanup()

    async def wait_for(self, predicate, what, timeout=15):
        deadline = asyncio.get_event_loop().time() + timeout
        while asyncio.get_event_loop().time() < deadline:
            found = [n for n in self.received if predicate(n)]
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"the gateway never got {what}; got {self.received}")


class TestPushers(DomovoyTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.gateway = Gateway()
        await self.gateway.start()

    async def asyncTearDown(self):
        await self.gateway.stop()
        await super().asyncTearDown()

    def pusher(self, pushkey, **data):
        return {"kind": "http", "app_id": "ru.domovoy.test", "pushkey": pushkey, "app_display_name": "Домовой",
                "device_display_name": "телефон", "lang": "ru", "data": {"url": self.gateway.url, **data}}

    async def test_set_list_remove_and_errors(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "POST", f"{V3}/pushers/set", self.pusher("key-1"))
        self.assertEqual((status, body), (200, {}))
        status, body = await self.raw(alice, "GET", f"{V3}/pushers")
        self.assertEqual([p["pushkey"] for p in body["pushers"]], ["key-1"])
        self.assertEqual(body["pushers"][0]["data"]["url"], self.gateway.url)
        # The same app id and pushkey for another user moves the pusher unless appended.
        bob = await self.register("bob")
        status, body = await self.raw(bob, "POST", f"{V3}/pushers/set", self.pusher("key-1"))
        status, body = await self.raw(alice, "GET", f"{V3}/pushers")
        self.assertEqual(body["pushers"], [])
        status, body = await self.raw(alice, "POST", f"{V3}/pushers/set", dict(self.pusher("key-1"), append=True))
        status, body = await self.raw(bob, "GET", f"{V3}/pushers")
        self.assertEqual(len(body["pushers"]), 1)
        status, body = await self.raw(bob, "POST", f"{V3}/pushers/set", {"kind": None, "app_id": "ru.domovoy.test",
                                                                         "pushkey": "key-1"})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(bob, "GET", f"{V3}/pushers")
        self.assertEqual(body["pushers"], [])
        bad = dict(self.pusher("k"), data={"url": "http://127.0.0.1:1/somewhere"})
        status, body = await self.raw(alice, "POST", f"{V3}/pushers/set", bad)
        self.assertRawError(status, body, "M_INVALID_PARAM", 400, "url not ending in /_matrix/push/v1/notify")
        status, body = await self.raw(alice, "POST", f"{V3}/pushers/set", dict(self.pusher("k"), kind="email"))
        self.assertEqual(status, 400, body)
        missing = self.pusher("k")
        del missing["app_display_name"]
        status, body = await self.raw(alice, "POST", f"{V3}/pushers/set", missing)
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "missing app_display_name")

    async def test_delivery_formats_retries_and_rejection(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, name="Подъезд 2", invite=[bob.user_id])
        await self.join(bob, room)
        await self.raw(bob, "POST", f"{V3}/pushers/set", self.pusher("bob-full"))
        await self.raw(bob, "POST", f"{V3}/pushers/set", dict(self.pusher("bob-ids", format="event_id_only"), append=True))
        event_id = await self.send_text(alice, room, "Домофон починили")
        full = await self.gateway.wait_for(lambda n: n["event_id"] == event_id and n["devices"][0]["pushkey"] == "bob-full",
                                           "the full notification")
        n = full[0]
        self.assertEqual((n["room_id"], n["type"], n["sender"]), (room, "m.room.message", alice.user_id))
        self.assertEqual(n["content"]["body"], "Домофон починили")
        self.assertEqual(n["room_name"], "Подъезд 2")
        self.assertGreaterEqual(n["counts"]["unread"], 1)
        self.assertEqual(n["devices"][0]["app_id"], "ru.domovoy.test")
        self.assertNotIn("url", n["devices"][0]["data"])
        self.assertEqual(n["devices"][0]["tweaks"].get("sound"), "default", "a one-to-one room rings")
        ids_only = await self.gateway.wait_for(lambda n: n["event_id"] == event_id and n["devices"][0]["pushkey"] == "bob-ids",
                                               "the event_id_only notification")
        self.assertNotIn("content", ids_only[0])
        self.assertNotIn("sender", ids_only[0])
        # The sender's own message and what the rules do not notify reach no gateway.
        await self.send_text(bob, room, "спасибо")
        await alice.room_send(room, "m.room.message", {"msgtype": "m.notice", "body": "бот"})
        marker = await self.send_text(alice, room, "метка")
        await self.gateway.wait_for(lambda n: n["event_id"] == marker, "the marker")
        bodies = [n.get("content", {}).get("body") for n in self.gateway.received]
        self.assertNotIn("спасибо", bodies)
        self.assertNotIn("бот", bodies)
        # A failing gateway gets the notification again, later.
        self.gateway.fail_next = 2
        retried = await self.send_text(alice, room, "после сбоя")
        await self.gateway.wait_for(lambda n: n["event_id"] == retried, "the notification after two failures", timeout=20)
        # A rejected pushkey removes its pusher.
        self.gateway.reject.add("bob-ids")
        rejected = await self.send_text(alice, room, "последнее")
        await self.gateway.wait_for(lambda n: n["event_id"] == rejected and n["devices"][0]["pushkey"] == "bob-ids",
                                    "the rejected notification")
        for _ in range(100):
            status, body = await self.raw(bob, "GET", f"{V3}/pushers")
            if [p["pushkey"] for p in body["pushers"]] == ["bob-full"]:
                break
            await asyncio.sleep(0.05)
        self.assertEqual([p["pushkey"] for p in body["pushers"]], ["bob-full"])
