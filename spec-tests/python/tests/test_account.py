"""Registration, login, whoami, logout, access tokens.

Spec: data/api/client-server/registration.yaml, login.yaml, logout.yaml, whoami.yaml.
"""

import unittest

from harness import DomovoyTestCase, SERVER_NAME, unique


class TestRegistration(DomovoyTestCase):

    async def test_register_with_dummy_auth_without_session(self):
        # nio sends {"auth": {"type": "m.login.dummy"}, "username", "password"} with no
        # session; a server whose only flow is m.login.dummy must complete it at once.
        name = unique("reg")
        client = self.new_client()
        resp = await client.register(name, self.password, device_name="nio test device")
        self.assertOk(resp, "RegisterResponse", "register")
        self.assertEqual(resp.user_id, f"@{name}:{SERVER_NAME}")
        self.assertTrue(resp.access_token)
        self.assertTrue(resp.device_id)
        # nio took over the session: the token works.
        who = await client.whoami()
        self.assertOk(who, "WhoamiResponse", "whoami after register")
        self.assertEqual(who.user_id, resp.user_id)

    async def test_register_username_in_use(self):
        first = await self.register("dup")
        again = self.new_client()
        resp = await again.register(first.localpart, "another password")
        # registration.yaml 400: M_USER_IN_USE, "The desired user ID is already taken."
        self.assertMatrixError(resp, "M_USER_IN_USE", 400, "register a taken name")

    async def test_register_invalid_username(self):
        client = self.new_client()
        resp = await client.register("Not Valid!", self.password)
        # registration.yaml 400: M_INVALID_USERNAME
        self.assertMatrixError(resp, "M_INVALID_USERNAME", 400, "register an invalid name")

    async def test_register_available(self):
        taken = await self.register("avail")
        status, body = await self.raw(
            taken, "GET", "/_matrix/client/v3/register/available", token=False,
            query={"username": taken.localpart})
        self.assertRawError(status, body, "M_USER_IN_USE", 400, "available? for a taken name")
        status, body = await self.raw(
            taken, "GET", "/_matrix/client/v3/register/available", token=False,
            query={"username": unique("free")})
        self.assertEqual(status, 200, body)
        self.assertEqual(body, {"available": True})


class TestLoginLogout(DomovoyTestCase):

    async def test_login_with_password_creates_new_device(self):
        alice = await self.register("login")
        second = await self.login_again(alice, device_name="second device")
        self.assertEqual(second.user_id, alice.user_id)
        self.assertTrue(second.access_token)
        self.assertNotEqual(second.access_token, alice.access_token)
        self.assertNotEqual(second.device_id, alice.device_id)
        # Both tokens are valid at the same time.
        for client in (alice, second):
            who = await client.whoami()
            self.assertOk(who, "WhoamiResponse", "whoami")
            self.assertEqual(who.user_id, alice.user_id)

    async def test_login_response_fields(self):
        alice = await self.register("loginf")
        client = self.new_client(alice.user_id)
        resp = await client.login(self.password)
        self.assertOk(resp, "LoginResponse", "login")
        self.assertEqual(resp.user_id, alice.user_id)
        self.assertTrue(resp.device_id)
        self.assertTrue(resp.access_token)

    async def test_login_with_localpart_identifier(self):
        alice = await self.register("loginlp")
        client = self.new_client()
        resp = await client.login_raw({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": alice.localpart},
            "password": self.password,
        })
        self.assertOk(resp, "LoginResponse", "login by localpart")
        self.assertEqual(resp.user_id, alice.user_id)

    async def test_login_wrong_password(self):
        alice = await self.register("badpw")
        client = self.new_client(alice.user_id)
        resp = await client.login("wrong password")
        # login.yaml 403: "The login attempt failed. This can include one of the following
        # error codes: M_FORBIDDEN ..."
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "login with a wrong password")
        self.assertIsNone(client.access_token or None)

    async def test_login_unknown_user(self):
        client = self.new_client(f"@{unique('nobody')}:{SERVER_NAME}")
        resp = await client.login(self.password)
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "login as an unknown user")

    async def test_login_flows(self):
        client = self.new_client()
        resp = await client.login_info()
        self.assertOk(resp, "LoginInfoResponse", "GET /login")
        self.assertIn("m.login.password", resp.flows)

    async def test_whoami_returns_user_and_device(self):
        alice = await self.register("who")
        resp = await alice.whoami()
        self.assertOk(resp, "WhoamiResponse", "whoami")
        self.assertEqual(resp.user_id, alice.user_id)
        # whoami.yaml: device_id "Otherwise this is required" (for tokens with a device).
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/account/whoami")
        self.assertEqual(status, 200)
        self.assertEqual(body.get("device_id"), alice.device_id)
        self.assertFalse(body.get("is_guest", False))

    async def test_logout_invalidates_only_that_token(self):
        alice = await self.register("logout")
        second = await self.login_again(alice)
        old_token = alice.access_token
        resp = await alice.logout()
        self.assertOk(resp, "LogoutResponse", "logout")
        # The old token is now unknown.
        stale = self.new_client(alice.user_id)
        stale.access_token = old_token
        stale.user_id = alice.user_id
        who = await stale.whoami()
        self.assertMatrixError(who, "M_UNKNOWN_TOKEN", 401, "whoami with a logged-out token")
        # The other session is untouched.
        who = await second.whoami()
        self.assertOk(who, "WhoamiResponse", "whoami of the other session")

    async def test_logout_all(self):
        alice = await self.register("logoutall")
        second = await self.login_again(alice)
        third = await self.login_again(alice)
        tokens = [alice.access_token, second.access_token, third.access_token]
        resp = await third.logout(all_devices=True)
        self.assertOk(resp, "LogoutResponse", "logout/all")
        for token in tokens:
            stale = self.new_client(alice.user_id)
            stale.access_token = token
            stale.user_id = alice.user_id
            who = await stale.whoami()
            self.assertMatrixError(who, "M_UNKNOWN_TOKEN", 401, "whoami after logout/all")
        # Password login still works afterwards.
        await self.login_again(alice)

    async def test_bad_token_is_unknown_token(self):
        client = self.new_client(f"@{unique('ghost')}:{SERVER_NAME}")
        client.access_token = "syt_this_is_not_a_token"
        client.user_id = f"@{unique('ghost')}:{SERVER_NAME}"
        resp = await client.whoami()
        self.assertMatrixError(resp, "M_UNKNOWN_TOKEN", 401, "whoami with a bad token")
        resp = await client.joined_rooms()
        self.assertMatrixError(resp, "M_UNKNOWN_TOKEN", 401, "joined_rooms with a bad token")
        resp = await client.sync(timeout=0)
        self.assertMatrixError(resp, "M_UNKNOWN_TOKEN", 401, "sync with a bad token")

    async def test_missing_token(self):
        alice = await self.register("notoken")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/account/whoami", token=False)
        self.assertRawError(status, body, "M_MISSING_TOKEN", 401, "whoami without a token")

    async def test_access_token_query_parameter(self):
        # v1.19 still lists the deprecated access_token query parameter (accessTokenQuery).
        alice = await self.register("qtoken")
        status, body = await self.raw(alice, "GET", "/_matrix/client/v3/account/whoami",
                                      token=False, query={"access_token": alice.access_token})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user_id"], alice.user_id)


class TestRegistrationDisabled(DomovoyTestCase):
    server_config = "registration:\n  enabled: false\n"

    async def test_register_forbidden_when_disabled(self):
        client = self.new_client()
        resp = await client.register(unique("closed"), self.password)
        # registration.yaml 403: "registration is generally not supported by the homeserver"
        self.assertMatrixError(resp, "M_FORBIDDEN", 403, "register while registration is disabled")
        self.assertFalse(client.access_token)


if __name__ == "__main__":
    unittest.main()
