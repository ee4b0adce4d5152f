"""Accounts hardening (issue 5): sessions end for good, failed passwords are limited per
account, registration tokens have uses and an expiry.

Spec: data/api/client-server/login.yaml, logout.yaml, registration.yaml (account/deactivate,
account/password), registration_tokens.yaml; Synapse's rc_login.failed_attempts.

The session tests log in many times at once with one device_id: before logins were serialised
per user, the logins that lost the race left tokens that no device pointed to, and logout-all,
a password change and deactivation (which went through the devices) did not end them.
"""

import asyncio
import time
import unittest

from harness import DomovoyTestCase, SERVER_NAME, unique

PARALLEL_LOGINS = 24


class RawHttp:
    """Raw requests through a nio client's HTTP session, with any access token."""

    async def request(self, method, path, body=None, access_token=None, query=None):
        return await self.raw(self._raw_client, method, path, body, token=False, query=query,
                              access_token=access_token)

    async def login(self, user_id, password, device_id=None):
        body = {"type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password}
        if device_id:
            body["device_id"] = device_id
        return await self.request("POST", "/_matrix/client/v3/login", body)

    async def parallel_logins(self, user_id, password, device_id):
        """PARALLEL_LOGINS logins at once with one device_id; returns every token handed out."""
        results = await asyncio.gather(
            *(self.login(user_id, password, device_id) for _ in range(PARALLEL_LOGINS)))
        tokens = []
        for status, body in results:
            self.assertEqual(status, 200, body)
            tokens.append(body["access_token"])
        return tokens

    async def whoami(self, token):
        return await self.request("GET", "/_matrix/client/v3/account/whoami", access_token=token)

    async def working(self, tokens):
        return [token for token in tokens if (await self.whoami(token))[0] == 200]

    async def assertNoTokenWorks(self, tokens, what):
        for token in tokens:
            status, body = await self.whoami(token)
            self.assertRawError(status, body, "M_UNKNOWN_TOKEN", 401, f"{what}: a token still works")

    def password_auth(self, user_id, password):
        return {"type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user_id},
                "password": password}


class TestSessionsEnd(RawHttp, DomovoyTestCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self._raw_client = self.new_client()

    async def test_parallel_logins_then_logout_all_leave_no_working_token(self):
        alice = await self.register("race")
        tokens = await self.parallel_logins(alice.user_id, self.password, "PHONE")
        live = await self.working(tokens)
        self.assertEqual(len(live), 1, "a device has one session: the later logins replaced the earlier")
        status, body = await self.request("POST", "/_matrix/client/v3/logout/all", {}, access_token=live[0])
        self.assertEqual(status, 200, body)
        await self.assertNoTokenWorks(tokens + [alice.access_token], "after logout/all")

    async def test_parallel_logins_then_logout_leave_no_working_token_of_the_device(self):
        alice = await self.register("race")
        tokens = await self.parallel_logins(alice.user_id, self.password, "PHONE")
        live = await self.working(tokens)
        self.assertEqual(len(live), 1, "a device has one session: the later logins replaced the earlier")
        status, body = await self.request("POST", "/_matrix/client/v3/logout", {}, access_token=live[0])
        self.assertEqual(status, 200, body)
        await self.assertNoTokenWorks(tokens, "after logout of the device")
        status, body = await self.whoami(alice.access_token)
        self.assertEqual(status, 200, f"another device's session stays: {body}")

    async def test_deactivated_users_old_tokens_are_unknown(self):
        alice = await self.register("deact")
        tokens = await self.parallel_logins(alice.user_id, self.password, "PHONE")
        status, body = await self.whoami(alice.access_token)  # the server now caches this token
        self.assertEqual(status, 200, body)
        status, body = await self.request(
            "POST", "/_matrix/client/v3/account/deactivate",
            {"auth": self.password_auth(alice.user_id, self.password)}, access_token=alice.access_token)
        self.assertEqual(status, 200, body)
        await self.assertNoTokenWorks(tokens + [alice.access_token], "after deactivation")
        status, body = await self.login(alice.user_id, self.password)
        self.assertRawError(status, body, "M_FORBIDDEN", 403, "login after deactivation")

    async def test_password_change_with_logout_devices_revokes_the_other_tokens(self):
        alice = await self.register("passwd")
        tokens = await self.parallel_logins(alice.user_id, self.password, "PHONE")
        status, body = await self.request(
            "POST", "/_matrix/client/v3/account/password",
            {"new_password": "a new password", "logout_devices": True,
             "auth": self.password_auth(alice.user_id, self.password)},
            access_token=alice.access_token)
        self.assertEqual(status, 200, body)
        await self.assertNoTokenWorks(tokens, "after a password change with logout_devices")
        status, body = await self.whoami(alice.access_token)
        self.assertEqual(status, 200, f"the caller's own session stays: {body}")
        status, body = await self.login(alice.user_id, "a new password")
        self.assertEqual(status, 200, body)


# Rate limits on, as in production, with the per-address and per-user limits far above what
# the test sends: only the per-account failed-attempt limit (defaults: 0.17/s, burst 3) bites.
RATE_LIMITED_YAML = """
rate_limits:
  login: {per_second: 1000, burst: 1000}
  per_user: {per_second: 1000, burst: 1000}
  per_address: {per_second: 1000, burst: 1000}
"""


class TestFailedPasswordLimit(RawHttp, DomovoyTestCase):
    server_config = RATE_LIMITED_YAML
    server_rate_limits = True

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self._raw_client = self.new_client()

    async def test_login_failures_on_one_account_give_429_even_for_the_right_password(self):
        alice = await self.register("brute")
        for attempt in range(3):  # different devices, as different attackers would use
            status, body = await self.login(alice.user_id, "wrong guess", device_id=f"ATTACKER{attempt}")
            self.assertRawError(status, body, "M_FORBIDDEN", 403, f"wrong password #{attempt}")
        status, body = await self.login(alice.user_id, "another guess")
        self.assertRawError(status, body, "M_LIMIT_EXCEEDED", 429, "a 4th guess within the window")
        self.assertIsInstance(body.get("retry_after_ms"), int, body)
        self.assertGreater(body["retry_after_ms"], 0, body)
        status, body = await self.login(alice.user_id, self.password)
        self.assertRawError(status, body, "M_LIMIT_EXCEEDED", 429,
                            "the right password waits too (or the window would confirm guesses)")
        # Another account is not affected.
        bob = await self.register("bystander")
        status, body = await self.login(bob.user_id, self.password)
        self.assertEqual(status, 200, body)

    async def test_uia_password_failures_are_limited_per_account(self):
        alice = await self.register("uia")
        for attempt in range(3):
            status, body = await self.request(
                "POST", "/_matrix/client/v3/account/deactivate",
                {"auth": self.password_auth(alice.user_id, f"wrong {attempt}")}, access_token=alice.access_token)
            self.assertRawError(status, body, "M_FORBIDDEN", 401, f"wrong UIA password #{attempt}")
        status, body = await self.request(
            "POST", "/_matrix/client/v3/delete_devices",
            {"devices": ["NOPE"], "auth": self.password_auth(alice.user_id, self.password)},
            access_token=alice.access_token)
        self.assertRawError(status, body, "M_LIMIT_EXCEEDED", 429, "UIA password within the window")
        status, body = await self.login(alice.user_id, self.password)
        self.assertRawError(status, body, "M_LIMIT_EXCEEDED", 429, "login shares the account's limit")
        status, body = await self.whoami(alice.access_token)
        self.assertEqual(status, 200, f"the limit blocks password checks, not sessions: {body}")


TOKEN_YAML = """
registration:
  tokens:
    - plain-token
    - {token: once-only, uses_allowed: 1}
    - {token: long-gone, expiry_time: 1000}
    - {token: far-future, uses_allowed: null, expiry_time: 32503680000000}
"""


class TestRegistrationTokens(RawHttp, DomovoyTestCase):
    server_config = TOKEN_YAML

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self._raw_client = self.new_client()

    async def validity(self, token):
        status, body = await self.request(
            "GET", "/_matrix/client/v1/register/m.login.registration_token/validity", query={"token": token})
        self.assertEqual(status, 200, body)
        return body["valid"]

    async def register_with_token(self, token):
        return await self.request("POST", "/_matrix/client/v3/register", {
            "username": unique("tok"), "password": self.password,
            "auth": {"type": "m.login.registration_token", "token": token}})

    async def test_token_with_one_use_is_usable_once(self):
        self.assertTrue(await self.validity("once-only"))
        status, body = await self.register_with_token("once-only")
        self.assertEqual(status, 200, body)
        self.assertTrue(body["access_token"])
        self.assertFalse(await self.validity("once-only"), "its one use is spent")
        status, body = await self.register_with_token("once-only")
        self.assertRawError(status, body, "M_FORBIDDEN", 401, "a second registration with a one-use token")

    async def test_expired_token_is_refused(self):
        self.assertFalse(await self.validity("long-gone"))
        status, body = await self.register_with_token("long-gone")
        self.assertRawError(status, body, "M_FORBIDDEN", 401, "registration with an expired token")

    async def test_plain_and_unexpired_tokens_stay_valid(self):
        for token in ("plain-token", "far-future"):
            self.assertTrue(await self.validity(token), token)
            for _ in range(2):
                status, body = await self.register_with_token(token)
                self.assertEqual(status, 200, body)
            self.assertTrue(await self.validity(token), token)
        self.assertFalse(await self.validity("plain-toke"))


if __name__ == "__main__":
    unittest.main()
