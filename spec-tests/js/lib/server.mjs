// Test harness: starts a fresh Domovoy process (fresh temporary data directory), hands out its
// base URL, and stops it. Also: kill -9 and restart on the same data directory (crash test),
// raw-fetch helpers, user registration, and matrix-js-sdk clients.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BINARY = process.env.DOMOVOY_BIN || path.resolve(here, "../../../build/domovoy");

const running = new Set();
process.on("exit", () => {
  for (const child of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
});

function launch(dataDir, { configFile, rateLimits, args: extraArgs = [] }) {
  const args = ["serve", "--server-name", "localhost", "--listen", "127.0.0.1:0", "--data-dir", dataDir];
  if (configFile) args.push("--config", configFile);
  if (!rateLimits) args.push("--no-rate-limits");
  args.push(...extraArgs);
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 200000) stderr = stderr.slice(-100000);
  });
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const ready = new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => reject(new Error(`server did not start within 20s; stderr:\n${stderr}`)), 20000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = stdout.match(/listening on (http:\/\/[^\s]+?)\/?\s/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before it was ready (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
  return { child, ready, exited, stderr: () => stderr };
}

/**
 * Starts a server. options.config: an object written as the YAML/JSON config file (JSON is YAML);
 * options.rateLimits: true to leave rate limits on (default: --no-rate-limits); options.args: more
 * flags (--test-clock, --appservice FILE).
 * Returns { baseUrl, dataDir, stop(), kill9(), restart(), alive(), stderr() }.
 */
export async function startServer(options = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "domovoy-js-"));
  let configFile;
  if (options.config) {
    configFile = path.join(dataDir, "..", path.basename(dataDir) + ".yaml");
    writeFileSync(configFile, JSON.stringify(options.config, null, 2));
  }
  const launchOptions = { configFile, rateLimits: Boolean(options.rateLimits), args: options.args || [] };
  let proc = launch(dataDir, launchOptions);
  let baseUrl;
  try {
    baseUrl = await proc.ready;
  } catch (error) {
    proc.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
    if (configFile) rmSync(configFile, { force: true });
    throw error;
  }
  const server = {
    dataDir,
    baseUrl,
    stderr: () => proc.stderr(),
    alive: () => proc.child.exitCode === null && proc.child.signalCode === null,
    async kill9() {
      proc.child.kill("SIGKILL");
      await proc.exited;
    },
    async restart() {
      if (server.alive()) {
        proc.child.kill("SIGTERM");
        await proc.exited;
      }
      proc = launch(dataDir, launchOptions);
      server.baseUrl = await proc.ready;
      return server.baseUrl;
    },
    async stop() {
      if (server.alive()) {
        proc.child.kill("SIGTERM");
        let timer;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => resolve("timeout"), 10000);
        });
        const outcome = await Promise.race([proc.exited, timeout]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          proc.child.kill("SIGKILL");
          await proc.exited;
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
      if (configFile) rmSync(configFile, { force: true });
    },
  };
  return server;
}

let counter = 0;
/** A fresh, valid, unique localpart. */
// A fresh server and `count` registered users: the fixture most test files share.
export async function startServerWithUsers(count) {
  const server = await startServer();
  const users = [];
  for (let i = 0; i < count; i += 1) users.push(await registerUser(server.baseUrl));
  return { server, users };
}

export function uniqueName(prefix = "u") {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${counter}`.toLowerCase();
}

/**
 * Raw HTTP call. Returns { status, body (parsed JSON or null), text, headers }.
 * opts: token, body (JSON-serialised), raw (string/Buffer sent as is), query (object), headers.
 */
export async function api(baseUrl, method, urlPath, opts = {}) {
  let url = baseUrl.replace(/\/$/, "") + urlPath;
  if (opts.query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(opts.query)) {
      if (value === undefined) continue;
      params.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    url += (url.includes("?") ? "&" : "?") + params.toString();
  }
  const headers = { ...(opts.headers || {}) };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body;
  if (opts.raw !== undefined) {
    body = opts.raw;
    if (!headers["Content-Type"]) headers["Content-Type"] = "application/json";
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, { method, headers, body, signal: opts.signal });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text.length ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

/** Asserts an HTTP status (and errcode), with the response in the message. */
export function expectStatus(res, status, errcode) {
  assert.equal(res.status, status, `expected HTTP ${status}${errcode ? " " + errcode : ""}, got ${res.status}: ${res.text}`);
  if (errcode) assert.equal(res.body?.errcode, errcode, `expected errcode ${errcode}, got: ${res.text}`);
  return res.body;
}

/** A JSON success (HTTP 200) body. */
export function ok(res) {
  return expectStatus(res, 200);
}

export const enc = encodeURIComponent;

/**
 * Registers a user through the spec's user-interactive flow (first call without auth, then
 * m.login.dummy with the session). Returns { user_id, access_token, device_id, password, localpart, baseUrl }.
 */
export async function registerUser(baseUrl, { username, password, deviceId, displayName } = {}) {
  const localpart = username || uniqueName();
  const pw = password || `pw-${localpart}-Secret!`;
  const request = { username: localpart, password: pw };
  if (deviceId) request.device_id = deviceId;
  if (displayName) request.initial_device_display_name = displayName;
  const first = await api(baseUrl, "POST", "/_matrix/client/v3/register", { body: request });
  assert.equal(first.status, 401, `register (no auth) should be 401 UIA: ${first.text}`);
  const second = await api(baseUrl, "POST", "/_matrix/client/v3/register", {
    body: { ...request, auth: { type: "m.login.dummy", session: first.body.session } },
  });
  assert.equal(second.status, 200, `register with m.login.dummy failed: ${second.text}`);
  return { ...second.body, password: pw, localpart, baseUrl };
}

/** Logs in with m.login.password and an m.id.user identifier; returns the raw response. */
export function login(baseUrl, user, password, extra = {}) {
  return api(baseUrl, "POST", "/_matrix/client/v3/login", {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra },
  });
}

/** Creates a room as `user`; returns the room id. */
export async function createRoom(user, body = {}) {
  const res = await api(user.baseUrl, "POST", "/_matrix/client/v3/createRoom", { token: user.access_token, body });
  return ok(res).room_id;
}

/** Sends an m.room.message (m.text); returns the event id. */
let txnCounter = 0;
export async function sendText(user, roomId, text, type = "m.room.message") {
  txnCounter += 1;
  const res = await api(
    user.baseUrl,
    "PUT",
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/${enc(type)}/t${Date.now()}-${txnCounter}`,
    { token: user.access_token, body: { msgtype: "m.text", body: text } },
  );
  return ok(res).event_id;
}

export async function joinRoom(user, roomIdOrAlias) {
  const res = await api(user.baseUrl, "POST", `/_matrix/client/v3/join/${enc(roomIdOrAlias)}`, {
    token: user.access_token,
    body: {},
  });
  return ok(res).room_id;
}

export async function invite(user, roomId, userId) {
  ok(await api(user.baseUrl, "POST", `/_matrix/client/v3/rooms/${enc(roomId)}/invite`, {
    token: user.access_token,
    body: { user_id: userId },
  }));
}

/** GET /sync; query values that are objects are JSON-encoded. */
export async function sync(user, query = {}) {
  return ok(await api(user.baseUrl, "GET", "/_matrix/client/v3/sync", { token: user.access_token, query }));
}

/** Syncs repeatedly (from `since`) until predicate(response) is truthy; returns that response. */
export async function syncUntil(user, predicate, { since, filter, timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let token = since;
  for (;;) {
    const body = await sync(user, { since: token, timeout: 1000, filter });
    if (predicate(body)) return body;
    token = body.next_batch;
    if (Date.now() > deadline) throw new Error("syncUntil: condition not met before the deadline");
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let sdkModule;
/** Loads matrix-js-sdk with its logger silenced. */
export async function loadSdk() {
  if (!sdkModule) {
    // matrix-js-sdk 37 declares Node >= 22 and uses Promise.withResolvers (Node 22+): polyfill it
    // for Node 20.
    if (typeof Promise.withResolvers !== "function") {
      Promise.withResolvers = function withResolvers() {
        let resolve;
        let reject;
        const promise = new this((res, rej) => {
          resolve = res;
          reject = rej;
        });
        return { promise, resolve, reject };
      };
    }
    sdkModule = await import("matrix-js-sdk");
    // The SDK logs through loglevel; child loggers copy the root's methodFactory when created, so
    // a no-op factory silences them all. DOMOVOY_SDK_LOGS=1 keeps the logs.
    if (!process.env.DOMOVOY_SDK_LOGS) {
      try {
        const { logger } = await import("matrix-js-sdk/lib/logger.js");
        logger.methodFactory = () => () => {};
        logger.rebuild();
      } catch {
        /* logger module moved: keep the SDK's default logging */
      }
    }
  }
  return sdkModule;
}

/** A matrix-js-sdk client for a registered user. */
export async function makeClient(user, extra = {}) {
  const sdk = await loadSdk();
  return sdk.createClient({
    baseUrl: user.baseUrl,
    accessToken: user.access_token,
    userId: user.user_id,
    deviceId: user.device_id,
    ...extra,
  });
}
