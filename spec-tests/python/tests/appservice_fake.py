"""A real appservice on the other side of the Application Service API, for the tests: an
aiohttp web server that checks the homeserver's hs_token, records every transaction (and
answers repeated txnIds without recording them twice), answers user and alias queries and
pings, and can be stopped and started again on the same port."""

import asyncio
import json

from aiohttp import web


class FakeAppservice:
    def __init__(self, hs_token, port=0):
        self.hs_token = hs_token
        self.port = port
        self.transactions = {}   # txn id -> body, first delivery only
        self.deliveries = []     # txn ids in the order received, repeats included
        self.events = []         # events in the order first received
        self.ephemeral = []
        self.queried_users = []
        self.queried_aliases = []
        self.pings = []
        self.fail_with = None    # an HTTP status to answer transactions with
        self.refused = 0         # transactions answered with fail_with
        self.refused_txns = []   # their txn ids
        self.on_user_query = None  # async callable(user_id) -> bool (exists)
        self.on_alias_query = None
        self._runner = None
        self.changed = asyncio.Event()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _authorised(self, request):
        return request.headers.get("Authorization") == f"Bearer {self.hs_token}"

    async def _transaction(self, request):
        if not self._authorised(request):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        if self.fail_with:
            self.refused_txns.append(request.match_info["txn"])
        if self.fail_with == "garbage":
            self.refused += 1
            self.changed.set()
            return web.Response(text="<html>proxy error</html>", status=200)
        if self.fail_with:
            self.refused += 1
            self.changed.set()
            return web.json_response({"errcode": "M_UNKNOWN"}, status=self.fail_with)
        txn = request.match_info["txn"]
        body = await request.json()
        self.deliveries.append(txn)
        if txn not in self.transactions:
            self.transactions[txn] = body
            self.events.extend(body.get("events", []))
            self.ephemeral.extend(body.get("ephemeral", []))
        self.changed.set()
        return web.json_response({})

    async def _user(self, request):
        if not self._authorised(request):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        user_id = request.match_info["user"]
        self.queried_users.append(user_id)
        if self.on_user_query and await self.on_user_query(user_id):
            return web.json_response({})
        return web.json_response({"errcode": "M_NOT_FOUND"}, status=404)

    async def _alias(self, request):
        if not self._authorised(request):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        alias = request.match_info["alias"]
        self.queried_aliases.append(alias)
        if self.on_alias_query and await self.on_alias_query(alias):
            return web.json_response({})
        return web.json_response({"errcode": "M_NOT_FOUND"}, status=404)

    async def _ping(self, request):
        if not self._authorised(request):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        self.pings.append(await request.json())
        return web.json_response({})

    async def _protocol(self, request):
        if not self._authorised(request):
            return web.json_response({"errcode": "M_FORBIDDEN"}, status=403)
        return web.json_response({"user_fields": ["nick"], "location_fields": ["channel"], "icon": "mxc://x/y",
                                  "field_types": {}, "instances": []})

    async def start(self):
        app = web.Application()
        app.router.add_put("/_matrix/app/v1/transactions/{txn}", self._transaction)
        app.router.add_get("/_matrix/app/v1/users/{user}", self._user)
        app.router.add_get("/_matrix/app/v1/rooms/{alias}", self._alias)
        app.router.add_post("/_matrix/app/v1/ping", self._ping)
        app.router.add_get("/_matrix/app/v1/thirdparty/protocol/{protocol}", self._protocol)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self):
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def wait_for(self, predicate, what, timeout=30.0):
        """Waits until predicate() holds (checked at every delivery)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; {len(self.events)} events so far")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 1.0))
            except asyncio.TimeoutError:
                pass


def registration_yaml(as_id, url, as_token, hs_token, sender="bridgebot", users=(r"@_bridge_.*",),
                      aliases=(r"#_bridge_.*",), rate_limited=False, receive_ephemeral=True, protocols=()):
    lines = [f"id: {as_id}", f"url: {json.dumps(url) if url else 'null'}", f"as_token: {as_token}",
             f"hs_token: {hs_token}", f"sender_localpart: {sender}", f"rate_limited: {str(rate_limited).lower()}",
             f"receive_ephemeral: {str(receive_ephemeral).lower()}", "namespaces:", "  users:"]
    lines += [f"    - regex: '{regex}'\n      exclusive: true" for regex in users]
    lines.append("  aliases:")
    lines += [f"    - regex: '{regex}'\n      exclusive: true" for regex in aliases]
    lines.append("  rooms: []")
    if protocols:
        lines.append("protocols: [" + ", ".join(protocols) + "]")
    return "\n".join(lines) + "\n"
