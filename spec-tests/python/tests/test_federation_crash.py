"""A regional server killed with `kill -9` and restarted (issue 9: "one server killed with kill -9
and restarted while the other two keep talking, everything caught up, nothing duplicated"): what
msk sends while spb is down reaches spb once it is back, from msk's durable queue, and what spb
had answered 200 before the kill is still there and reaches msk, each message once.
"""

import unittest
from urllib.parse import quote

from nio import AsyncClient

from federation_net import FederatedTestCase


class TestFederationSurvivesKill(FederatedTestCase):

    async def bodies_seen(self, client, room_id, expected, rounds=60):
        """Syncs until every body in `expected` was seen; returns how often each body came."""
        seen = {}
        for _ in range(rounds):
            resp = await client.sync(timeout=1000, sync_filter={"room": {"timeline": {"limit": 50}}})
            room = resp.rooms.join.get(room_id)
            if room:
                for event in room.timeline.events:
                    body = getattr(event, "body", None)
                    if body is not None:
                        seen[body] = seen.get(body, 0) + 1
            if all(body in seen for body in expected):
                return seen
        self.fail(f"not all of {expected} seen, only {seen}")

    async def test_kill_and_restart_catches_up_without_duplicates(self):
        alice = await self.user_on("msk")
        created = await alice.room_create(name="Общий чат", preset=None)
        room_id = created.room_id
        await self.call(alice, "PUT", f"/_matrix/client/v3/rooms/{quote(room_id)}/state/m.room.join_rules/",
                        {"join_rule": "public"})
        bob = await self.user_on("spb")
        via = quote(self.servers["msk"].server_name)
        status, body = await self.call(bob, "POST", f"/_matrix/client/v3/join/{quote(room_id)}?via={via}", {})
        self.assertEqual(status, 200, body)
        await alice.sync(timeout=0)

        # Bob's last words before his server dies: answered 200, so they must survive.
        sent = await bob.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "до падения"})
        self.assertTrue(getattr(sent, "event_id", None), sent)
        spb = self.servers["spb"]
        spb.proc.kill()
        spb.proc.wait()

        # msk keeps talking while spb is down.
        while_down = [f"пока лежал {i}" for i in range(5)]
        for body in while_down:
            resp = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body})
            self.assertTrue(getattr(resp, "event_id", None), resp)

        self.servers["spb"] = self.start_region("spb")
        bob_again = AsyncClient(self.servers["spb"].url, bob.user_id)
        bob_again.access_token = bob.access_token
        bob_again.user_id = bob.user_id
        bob_again.device_id = bob.device_id
        self.clients.append(bob_again)
        seen = await self.bodies_seen(bob_again, room_id, while_down + ["до падения"])
        for body in while_down + ["до падения"]:
            self.assertEqual(seen[body], 1, f"{body!r} came {seen[body]} times")
        seen_by_alice = await self.bodies_seen(alice, room_id, ["до падения"])
        self.assertEqual(seen_by_alice["до падения"], 1)


if __name__ == "__main__":
    unittest.main()
