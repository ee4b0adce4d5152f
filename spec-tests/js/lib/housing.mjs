// The housing bots' world for tests: a homeserver on the embedded default (the demo region) with
// a test clock and the housing appservice's registration, and `domovoy housing` as a separate
// process that the test can kill -9 and start again on the same data directory.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { BINARY, startServer, api, ok, login, registerUser, makeClient, sync, sleep } from "./server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_REGISTRY = JSON.parse(readFileSync(path.resolve(here, "../../../housing/samples/demo-region.json"), "utf8"));

async function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function launchBots(args) {
  const child = spawn(BINARY, ["housing", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    if (output.length > 200000) output = output.slice(-100000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`housing bots not ready within 30s:\n${output}`)), 30000);
    const check = () => {
      if (/bots ready/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`housing bots exited (code ${code}, signal ${signal}):\n${output}`));
    });
  });
  return { child, exited, ready, output: () => output };
}

/**
 * Starts the world. options.now: the test clock's start ("2026-09-10T09:00:00Z"); options.demo:
 * seed the demo's readings, bills and meeting. Returns { server, admin, bots: {kill9, restart,
 * stop}, setClock(iso), codes, stop() }.
 */
export async function startHousingWorld({ now, demo = false, botsConfig } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), "domovoy-bots-"));
  const port = await freePort();
  const registration = path.join(root, "registration.yaml");
  execFileSync(BINARY, ["housing", "--write-registration", registration, "--url", `http://127.0.0.1:${port}`]);
  const server = await startServer({ args: ["--test-clock", "--appservice", registration] });
  const password = readFileSync(path.join(server.dataDir, "demo-admin-password"), "utf8").trim();
  const admin = ok(await login(server.baseUrl, "admin", password));
  const asToken = readFileSync(registration, "utf8").match(/^as_token: '([^']+)'/m)[1];
  const world = {
    server,
    admin,
    botsUrl: `http://127.0.0.1:${port}`,
    asToken,
    async setClock(iso) {
      ok(await api(server.baseUrl, "PUT", "/_domovoy/admin/v1/test/clock", { token: admin.access_token, body: { now: iso } }));
      // The bots follow the homeserver's clock within a quarter of a second; wait for a full turn.
      await sleep(700);
    },
  };
  if (now) await world.setClock(now);
  const botsData = path.join(root, "bots");
  const args = ["--registration", registration, "--homeserver", server.baseUrl, "--server-name", "localhost",
    "--listen", `127.0.0.1:${port}`, "--data-dir", botsData];
  if (demo) args.push("--demo");
  if (botsConfig) args.push("--config", botsConfig);
  let bots = launchBots(args);
  await bots.ready;
  world.bots = {
    output: () => bots.output(),
    async kill9() {
      bots.child.kill("SIGKILL");
      await bots.exited;
    },
    async restart() {
      if (bots.child.exitCode === null && bots.child.signalCode === null) {
        bots.child.kill("SIGTERM");
        await bots.exited;
      }
      bots = launchBots(args);
      await bots.ready;
    },
  };
  const csv = readFileSync(path.join(server.dataDir, "demo-codes.csv"), "utf8").trim().split("\n").slice(1);
  world.codes = csv.map((line) => {
    const [building_id, apartment, role, code] = line.split(",");
    return { building_id, apartment, role, code };
  });
  world.issueCode = async (buildingId, apartment, role) => {
    const res = ok(await api(server.baseUrl, "POST", `/_domovoy/admin/v1/buildings/${buildingId}/codes`, {
      token: admin.access_token, body: { apartment, role },
    }));
    return res.codes[0].code;
  };
  world.stop = async () => {
    if (bots.child.exitCode === null && bots.child.signalCode === null) {
      bots.child.kill("SIGTERM");
      await bots.exited;
    }
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  };
  return world;
}

/**
 * A resident: a registered user with a matrix-js-sdk client, who talks to the bots and reads
 * their replies through /sync.
 */
export class Resident {
  static async create(world, username) {
    const resident = new Resident();
    resident.user = await registerUser(world.server.baseUrl, username ? { username } : {});
    resident.client = await makeClient(resident.user);
    resident.since = (await sync(resident.user, { timeout: 0 })).next_batch;
    resident.events = [];
    resident.dms = {};
    return resident;
  }

  get id() {
    return this.user.user_id;
  }

  // The direct room with a bot, made on first use (the bot joins when invited).
  async dm(bot) {
    if (!this.dms[bot]) {
      const { room_id: room } = await this.client.createRoom({ invite: [`@${bot}:localhost`], is_direct: true, preset: "trusted_private_chat" });
      this.dms[bot] = room;
      // The bot joins and greets with its help.
      await this.waitFor((e) => e.room_id === room && e.sender === `@${bot}:localhost`);
    }
    return this.dms[bot];
  }

  async say(bot, text) {
    const room = await this.dm(bot);
    const { event_id: id } = await this.client.sendTextMessage(room, text);
    return id;
  }

  async sayIn(room, text) {
    return (await this.client.sendTextMessage(room, text)).event_id;
  }

  // Reads /sync into this.events (messages in joined rooms, with room_id) and joins invites.
  async pull(timeout = 1000) {
    // A timeline long enough that a burst of replies is never cut (a limited timeline would
    // hide the earlier ones from this count).
    const body = await sync(this.user, { since: this.since, timeout, filter: { room: { timeline: { limit: 500 } } } });
    this.since = body.next_batch;
    for (const [room, joined] of Object.entries(body.rooms?.join ?? {})) {
      assert.ok(!joined.timeline?.limited, "the test reads every event: the timeline must not be limited");
      for (const event of joined.timeline?.events ?? []) this.events.push({ ...event, room_id: room });
    }
    for (const room of Object.keys(body.rooms?.invite ?? {})) await this.client.joinRoom(room);
  }

  // Waits for a message (m.room.message; any event with anyType) matching `predicate` that was
  // not consumed yet; returns it (consumed).
  async waitFor(predicate, { timeoutMs = 15000, anyType = false } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex(
        (event) => !event.consumed && (anyType || event.type === "m.room.message") && predicate(event));
      if (index >= 0) {
        this.events[index].consumed = true;
        return this.events[index];
      }
      if (Date.now() > deadline)
        throw new Error(`no matching event within ${timeoutMs} ms; seen: ${JSON.stringify(this.events.filter((e) => e.type === "m.room.message").map((e) => `${e.sender}: ${e.content?.body}`).slice(-8))}`);
      await this.pull(500);
    }
  }

  // The next message of `bot` in its direct room with this resident whose body matches `pattern`.
  async reply(bot, pattern, options) {
    const room = this.dms[bot];
    const event = await this.waitFor(
      (e) => (!room || e.room_id === room) && e.sender === `@${bot}:localhost` && pattern.test(e.content?.body ?? ""), options);
    return event.content.body;
  }

  // Asks `bot` in its DM and returns its next reply.
  async ask(bot, text, pattern = /./) {
    await this.say(bot, text);
    return this.reply(bot, pattern);
  }
}

export function assertMatch(text, pattern, what) {
  assert.match(text, pattern, `${what}: ${text}`);
}
