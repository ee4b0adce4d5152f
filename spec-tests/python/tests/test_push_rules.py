"""Push rules: the predefined ruleset with the current rule ids, CRUD of the user's rules
(before/after, enabled, actions), the rules in m.push_rules account data through /sync, and
their effect: unread_notifications / highlight_count in /sync follow the user's own rules and
drop on a read receipt; GET /notifications. Spec: push_rules.yaml, notifications.yaml,
"Push Rules"."""

from harness import DomovoyTestCase

V3 = "/_matrix/client/v3"


class TestPushRules(DomovoyTestCase):

    async def test_ruleset_and_crud(self):
        alice = await self.register("alice")
        status, body = await self.raw(alice, "GET", f"{V3}/pushrules/")
        self.assertEqual(status, 200, body)
        override_ids = [r["rule_id"] for r in body["global"]["override"]]
        for rule_id in (".m.rule.master", ".m.rule.is_user_mention", ".m.rule.is_room_mention", ".m.rule.suppress_edits"):
            self.assertIn(rule_id, override_ids)
        self.assertEqual(override_ids[0], ".m.rule.master")
        path = f"{V3}/pushrules/global/override/myrule"
        status, body = await self.raw(alice, "PUT", path, {
            "conditions": [{"kind": "event_match", "key": "content.body", "pattern": "авария"}],
            "actions": ["notify", {"set_tweak": "highlight"}]})
        self.assertEqual((status, body), (200, {}))
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/override/second", {
            "conditions": [], "actions": []}, query={"before": "myrule"})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", f"{V3}/pushrules/global/")
        ids = [r["rule_id"] for r in body["override"]]
        self.assertEqual(ids[:3], [".m.rule.master", "second", "myrule"], "user rules after master, before the predefined")
        status, rule = await self.raw(alice, "GET", path)
        self.assertEqual((rule["rule_id"], rule["default"], rule["enabled"]), ("myrule", False, True))
        status, body = await self.raw(alice, "PUT", f"{path}/enabled", {"enabled": False})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", f"{path}/enabled")
        self.assertEqual(body, {"enabled": False})
        status, body = await self.raw(alice, "PUT", f"{path}/actions", {"actions": ["notify"]})
        status, body = await self.raw(alice, "GET", f"{path}/actions")
        self.assertEqual(body, {"actions": ["notify"]})
        # Predefined rules: enabled and actions change, the rule itself cannot be replaced or deleted.
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/underride/.m.rule.message/enabled",
                                      {"enabled": False})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", f"{V3}/pushrules/global/underride/.m.rule.message")
        self.assertEqual((body["enabled"], body["default"]), (False, True))
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/override/.m.rule.custom",
                                      {"actions": []})
        self.assertEqual(status, 400, body)
        status, body = await self.raw(alice, "DELETE", f"{V3}/pushrules/global/override/.m.rule.master")
        self.assertEqual(status, 400, body)
        # Errors.
        status, body = await self.raw(alice, "GET", f"{V3}/pushrules/global/override/nosuch")
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "unknown rule")
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/override/x", {"actions": []},
                                      query={"after": "nosuch"})
        self.assertRawError(status, body, "M_NOT_FOUND", 404, "after an unknown rule")
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/override/x", {"conditions": []})
        self.assertRawError(status, body, "M_MISSING_PARAM", 400, "no actions")
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/override/x", {"actions": ["explode"]})
        self.assertEqual(status, 400, body)
        status, body = await self.raw(alice, "PUT", f"{V3}/pushrules/global/nokind/x", {"actions": []})
        self.assertEqual(status, 400, body)
        status, body = await self.raw(alice, "DELETE", path)
        self.assertEqual(status, 200, body)
        status, body = await self.raw(alice, "GET", path)
        self.assertEqual(status, 404, body)
        # The rules reach clients in m.push_rules account data, and clients may not write it.
        status, synced = await self.raw(alice, "GET", f"{V3}/sync")
        pushed = [e for e in synced["account_data"]["events"] if e["type"] == "m.push_rules"]
        self.assertEqual(len(pushed), 1)
        self.assertEqual([r["rule_id"] for r in pushed[0]["content"]["global"]["override"]][:2],
                         [".m.rule.master", "second"])
        status, body = await self.raw(alice, "PUT", f"{V3}/user/{alice.user_id}/account_data/m.push_rules", {"global": {}})
        self.assertGreaterEqual(status, 400)

    async def test_counts_follow_the_rules(self):
        alice = await self.register("alice")
        bob = await self.register("bob")
        room = await self.create_room(alice, invite=[bob.user_id])
        await self.join(bob, room)
        status, first = await self.raw(bob, "GET", f"{V3}/sync")
        since = first["next_batch"]
        await self.send_text(alice, room, "обычное сообщение")
        resp = await alice.room_send(room, "m.room.message", {"msgtype": "m.text", "body": "bob!",
                                                               "m.mentions": {"user_ids": [bob.user_id]}})
        status, body = await self.raw(bob, "GET", f"{V3}/sync", query={"since": since, "timeout": 1000})
        counts = body["rooms"]["join"][room]["unread_notifications"]
        self.assertEqual((counts["notification_count"], counts["highlight_count"]), (2, 1))
        # Bob's keyword rule highlights a word; his room rule mutes the room.
        await self.raw(bob, "PUT", f"{V3}/pushrules/global/content/water",
                       {"pattern": "вода", "actions": ["notify", {"set_tweak": "highlight"}]})
        await self.send_text(alice, room, "Завтра не будет вода")
        status, body = await self.raw(bob, "GET", f"{V3}/sync", query={"since": since, "timeout": 1000})
        counts = body["rooms"]["join"][room]["unread_notifications"]
        self.assertEqual((counts["notification_count"], counts["highlight_count"]), (3, 2))
        status, notes = await self.raw(bob, "GET", f"{V3}/notifications")
        self.assertEqual(status, 200, notes)
        # Three messages and, oldest, bob's invite (.m.rule.invite_for_me).
        self.assertEqual(len(notes["notifications"]), 4)
        self.assertEqual(notes["notifications"][0]["event"]["content"]["body"], "Завтра не будет вода")
        self.assertEqual(notes["notifications"][-1]["event"]["content"]["membership"], "invite")
        self.assertIn({"set_tweak": "highlight"}, notes["notifications"][0]["actions"])
        status, only = await self.raw(bob, "GET", f"{V3}/notifications", query={"only": "highlight"})
        self.assertEqual(len(only["notifications"]), 2)
        status, page = await self.raw(bob, "GET", f"{V3}/notifications", query={"limit": 1})
        self.assertEqual(len(page["notifications"]), 1)
        status, rest = await self.raw(bob, "GET", f"{V3}/notifications", query={"limit": 5, "from": page["next_token"]})
        self.assertEqual(len(rest["notifications"]), 3)
        # A read receipt on the latest event drops the counts.
        last = notes["notifications"][0]["event"]["event_id"]
        status, body = await self.raw(bob, "POST", f"{V3}/rooms/{room}/receipt/m.read/{last}", {})
        self.assertEqual(status, 200, body)
        status, body = await self.raw(bob, "GET", f"{V3}/sync", query={"since": since, "timeout": 1000})
        counts = body["rooms"]["join"][room]["unread_notifications"]
        self.assertEqual((counts["notification_count"], counts["highlight_count"]), (0, 0))
        status, notes = await self.raw(bob, "GET", f"{V3}/notifications")
        self.assertTrue(all(n["read"] for n in notes["notifications"]))
        await self.raw(bob, "PUT", f"{V3}/pushrules/global/room/{room}", {"actions": []})
        await self.send_text(alice, room, "ещё")
        status, body = await self.raw(bob, "GET", f"{V3}/sync", query={"since": since, "timeout": 1000})
        self.assertEqual(body["rooms"]["join"][room]["unread_notifications"]["notification_count"], 0)
