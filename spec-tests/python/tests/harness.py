"""Test harness: a fresh Domovoy server per test class, and matrix-nio helpers.

The server binary comes from the DOMOVOY_BINARY environment variable (run.sh sets it).
Each test class gets its own server process, listening on a free port with a fresh
temporary data directory; the server is stopped with SIGTERM after the class.

Set DOMOVOY_KEEP_DATA=1 to keep the temporary directories (server logs are in
<tmp>/stderr.log) for debugging.
"""

import asyncio
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid
from urllib.parse import quote

from nio import AsyncClient, AsyncClientConfig, ErrorResponse

SERVER_NAME = "localhost"

# The cheapest argon2id parameters the server accepts: the tests register and log in
# hundreds of times and exercise the API, not the hash strength (config key
# password_hashing; DOMOVOY_FAST_HASHING=0 keeps the server's defaults).
FAST_HASHING_YAML = "password_hashing:\n  ops_limit: 1\n  mem_limit_mb: 8\n"
LISTEN_RE = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))/")


_running = set()  # servers started by this process and not yet stopped


@atexit.register
def _stop_leftover_servers():
    """Never leave a server behind, whatever happened to the test that started it."""
    for server in list(_running):
        server.stop()


def _binary():
    path = os.environ.get("DOMOVOY_BINARY")
    if not path:
        raise RuntimeError("DOMOVOY_BINARY is not set; run the tests through run.sh")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"DOMOVOY_BINARY={path} is not an executable")
    return path


class DomovoyServer:
    """One running server process with its own temporary data directory."""

    def __init__(self, config_yaml=None, data_dir=None, rate_limits=False, extra_args=(), server_name=SERVER_NAME):
        """data_dir: use (and keep) this data directory instead of a fresh one.
        rate_limits: keep the server's rate limits on (tests of the limits themselves).
        extra_args: more command-line flags (--test-clock, --appservice FILE).
        server_name: the server's name (federation tests run several, spb.localhost:PORT, ...)."""
        self.server_name = server_name
        self.config_yaml = config_yaml
        self.data_dir = data_dir
        self.rate_limits = rate_limits
        self.extra_args = list(extra_args)
        self.proc = None
        self.url = None
        self.port = None
        self.tmp = None
        self.exit_code = None

    def start(self, timeout=30.0):
        binary = _binary()
        self.tmp = tempfile.mkdtemp(prefix="domovoy-nio-")
        data_dir = self.data_dir or os.path.join(self.tmp, "data")
        os.makedirs(data_dir, exist_ok=True)
        args = [
            binary, "serve",
            "--server-name", self.server_name,
            "--listen", "127.0.0.1:0",
            "--data-dir", data_dir,
        ]
        if not self.rate_limits:
            args.append("--no-rate-limits")
        args += self.extra_args
        config_yaml = self.config_yaml or ""
        if os.environ.get("DOMOVOY_FAST_HASHING", "1") != "0":
            config_yaml = FAST_HASHING_YAML + config_yaml
        if config_yaml:
            config_path = os.path.join(self.tmp, "config.yaml")
            with open(config_path, "w") as f:
                f.write(config_yaml)
            args += ["--config", config_path]
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.stderr_path = os.path.join(self.tmp, "stderr.log")
        # Files, not pipes: nobody drains a pipe while the tests run.
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            try:
                self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            except OSError:
                self.stop()
                raise
        _running.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.stdout_path, "r", errors="replace") as f:
                m = LISTEN_RE.search(f.read())
            if m:
                self.url = m.group(1)
                self.port = int(m.group(2))
                return self
            if self.proc.poll() is not None:
                logs = self.logs()
                self.stop()
                raise RuntimeError(
                    f"domovoy exited with {self.proc.returncode} before listening:\n{logs}")
            time.sleep(0.02)
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"domovoy did not print its address within {timeout}s:\n{logs}")

    def logs(self, tail=4000):
        text = ""
        for path in (self.stdout_path, self.stderr_path):
            try:
                with open(path, "r", errors="replace") as f:
                    text += f"--- {os.path.basename(path)}\n{f.read()[-tail:]}\n"
            except OSError:
                pass
        return text

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.exit_code = self.proc.returncode
        _running.discard(self)
        if self.tmp and not os.environ.get("DOMOVOY_KEEP_DATA"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def unique(prefix="user"):
    """A user name (localpart) or alias that no other test uses."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def q(segment):
    """Percent-encode one path segment (room ids, event ids, user ids, types)."""
    return quote(segment, safe="")


class DomovoyTestCase(unittest.IsolatedAsyncioTestCase):
    """Base class: a fresh server for the class; clients are closed after every test."""

    server_config = None  # YAML text for --config, or None
    server_rate_limits = False  # True: start the server without --no-rate-limits
    server_args = ()  # more flags for `domovoy serve`
    password = "correct horse battery staple"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = DomovoyServer(cls.server_config, rate_limits=cls.server_rate_limits,
                                   extra_args=cls.server_args).start()
        cls.addClassCleanup(cls._stop_server)

    @classmethod
    def _stop_server(cls):
        # The exit status after SIGTERM is checked by test_server.TestServerProcess.
        cls.server.stop()

    async def asyncSetUp(self):
        self._clients = []

    async def asyncTearDown(self):
        for client in self._clients:
            await client.close()

    # ---- clients -------------------------------------------------------------------------

    def new_client(self, user="", device_id=""):
        config = AsyncClientConfig(
            encryption_enabled=False,
            max_timeouts=0,        # a hung request fails the test instead of retrying forever
            max_limit_exceeded=0,
            request_timeout=45,
        )
        client = AsyncClient(self.server.url, user, device_id=device_id, config=config)
        self._clients.append(client)
        return client

    async def register(self, prefix="user", password=None):
        """Register a fresh user (nio sends m.login.dummy); returns the logged-in client."""
        name = unique(prefix)
        client = self.new_client()
        resp = await client.register(name, password or self.password)
        self.assertOk(resp, "RegisterResponse", f"register {name}")
        client.user_id = resp.user_id
        client.localpart = name
        return client

    async def login_again(self, client, password=None, device_name=""):
        """A second session (new device) for the user of `client`."""
        other = self.new_client(client.user_id)
        resp = await other.login(password or self.password, device_name=device_name)
        self.assertOk(resp, "LoginResponse", f"login {client.user_id}")
        return other

    # ---- assertions ----------------------------------------------------------------------

    def assertOk(self, resp, cls_name, what=""):
        """The response is the success class `cls_name` (not an error)."""
        status = getattr(getattr(resp, "transport_response", None), "status", None)
        self.assertEqual(
            type(resp).__name__, cls_name,
            f"{what}: expected {cls_name}, got {resp!r} (HTTP {status})")
        if status is not None and cls_name != "DeleteDevicesAuthResponse":  # a 401 by design
            # nio parses some error bodies into success classes; the status tells.
            self.assertLess(status, 300, f"{what}: HTTP {status} for {resp!r}")
        return resp

    def assertMatrixError(self, resp, errcode, http_status=None, what=""):
        """nio reports an ErrorResponse with the given errcode (and HTTP status)."""
        status = getattr(getattr(resp, "transport_response", None), "status", None)
        self.assertIsInstance(
            resp, ErrorResponse,
            f"{what}: expected an error {errcode} (HTTP {http_status}), got {resp!r} (HTTP {status})")
        if errcode is not None:
            self.assertEqual(resp.status_code, errcode,
                             f"{what}: wrong errcode in {resp!r} (HTTP {status})")
        if http_status is not None:
            self.assertEqual(status, http_status, f"{what}: wrong HTTP status for {resp!r}")

    def assertRawError(self, status, body, errcode, http_status, what=""):
        self.assertEqual(status, http_status, f"{what}: HTTP status (body {body!r})")
        self.assertIsInstance(body, dict, f"{what}: error body must be a JSON object")
        self.assertEqual(body.get("errcode"), errcode, f"{what}: errcode (body {body!r})")
        self.assertIsInstance(body.get("error", ""), str, f"{what}: error must be a string")

    # ---- raw HTTP through nio's session (for endpoints nio has no method for) -------------

    async def raw(self, client, method, path, body=None, token=True, query=None, access_token=None):
        """Send a request with the client's access token (or `access_token` when given);
        returns (status, parsed JSON or text)."""
        headers = {"Content-Type": "application/json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        elif token and client.access_token:
            headers["Authorization"] = f"Bearer {client.access_token}"
        if query:
            from urllib.parse import urlencode
            path = f"{path}?{urlencode(query)}"
        data = None if body is None else json.dumps(body)
        resp = await client.send(method, path, data, headers)
        text = await resp.text()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed

    # ---- rooms and sync ------------------------------------------------------------------

    async def create_room(self, client, **kwargs):
        resp = await client.room_create(**kwargs)
        self.assertOk(resp, "RoomCreateResponse", "room_create")
        self.assertTrue(resp.room_id.startswith("!"), resp.room_id)
        return resp.room_id

    async def join(self, client, room):
        resp = await client.join(room)
        self.assertOk(resp, "JoinResponse", f"join {room}")
        return resp.room_id

    async def send_text(self, client, room_id, body, txn_id=None):
        resp = await client.room_send(
            room_id, "m.room.message", {"msgtype": "m.text", "body": body}, tx_id=txn_id)
        self.assertOk(resp, "RoomSendResponse", f"room_send {body!r}")
        self.assertTrue(resp.event_id.startswith("$"), resp.event_id)
        return resp.event_id

    async def sync(self, client, **kwargs):
        resp = await client.sync(**kwargs)
        self.assertOk(resp, "SyncResponse", "sync")
        return resp

    async def initial_sync(self, client, **kwargs):
        client.next_batch = None
        client.loaded_sync_token = None
        return await self.sync(client, **kwargs)

    async def await_long_poll(self, client, task, predicate, what, within=10.0):
        """Wait for a long-poll `task` (client.sync(timeout=30000) already running) to
        deliver what `predicate` looks for, within `within` seconds.

        If the poll wakes up for something else, long-poll again from the new token: a
        woken poll is fine, a poll that sleeps through the event is not.
        Returns (response, value of the predicate).
        """
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            try:
                resp = await asyncio.wait_for(task, max(remaining, 0.01))
            except asyncio.TimeoutError:
                self.fail(f"long-poll sync was not woken within {within:.0f} s: {what}")
            self.assertOk(resp, "SyncResponse", f"long-poll sync ({what})")
            value = predicate(resp)
            if value:
                return resp, value
            task = asyncio.ensure_future(client.sync(timeout=30000))

    async def sync_until(self, client, predicate, what, timeout=8.0, **kwargs):
        """Incremental syncs (long-polling) until predicate(response) is truthy.

        Returns (response, value of the predicate).
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.fail(f"sync never showed: {what}")
            resp = await self.sync(client, timeout=int(min(remaining, 2) * 1000) or 1, **kwargs)
            value = predicate(resp)
            if value:
                return resp, value

