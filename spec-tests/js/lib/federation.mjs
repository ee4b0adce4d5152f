// Federation harness: three Domovoy processes (spb, msk, omsk) federating over TLS on loopback,
// as regional servers do; the JS port of spec-tests/python/tests/federation_net.py.
//
// One CA made with `openssl` in a temporary folder, a certificate per host name (spb.localhost,
// msk.localhost, omsk.localhost; subjectAltName DNS and 127.0.0.1), each server named
// NAME.localhost:PORT where PORT is its federation listener (contacted directly, as the spec's
// server discovery says for a name with an explicit port), loopback let through the outbound
// deny list with --federation-allow-ip. The allow lists make a closed federation: spb federates
// with msk and omsk, msk with spb only, omsk with spb only, so msk and omsk do not talk.
// Clients talk plain HTTP to each server's client listener.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { BINARY, registerUser, makeClient, loadSdk, sleep } from "./server.mjs";

const FEDERATION_RE = /Federation listening on https:\/\/127\.0\.0\.1:(\d+)\//;
const CLIENT_RE = /listening on (http:\/\/127\.0\.0\.1:\d+)\//;
// The cheapest argon2id parameters the server accepts: the tests register many users on two
// shared cores; what is tested is federation, not the hash strength.
const FAST_HASHING = { password_hashing: { ops_limit: 1, mem_limit_mb: 8 } };

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

function openssl(folder, ...args) {
  execFileSync("openssl", args, { cwd: folder, stdio: ["ignore", "pipe", "pipe"] });
}

/** A certificate authority (ca.pem, ca.key) in `folder`; returns the path of ca.pem. */
export function makeCa(folder) {
  openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
    "-days", "2", "-subj", "/CN=Domovoy test CA");
  return path.join(folder, "ca.pem");
}

/** A certificate for `name` (DNS name and 127.0.0.1) signed by the CA in `folder`: { cert, key }. */
export function makeCertificate(folder, name) {
  const base = name.replace(/:/g, "_");
  const cert = path.join(folder, `${base}.pem`);
  const key = path.join(folder, `${base}.key`);
  if (existsSync(cert) && existsSync(key)) return { cert, key };
  openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${name}`);
  writeFileSync(path.join(folder, `${base}.ext`), `subjectAltName=DNS:${name},IP:127.0.0.1\n`);
  openssl(folder, "x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", `${base}.pem`, "-days", "2", "-extfile", `${base}.ext`);
  return { cert, key };
}

/** A TCP port free on 127.0.0.1 right now (the server binds it a moment later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function launch(args) {
  const child = spawn(BINARY, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    if (stderr.length > 400000) stderr = stderr.slice(-200000);
  });
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30s; stdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`)), 30000);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.length > 100000) stdout = stdout.slice(-50000);
      const client = stdout.match(CLIENT_RE);
      const federation = stdout.match(FEDERATION_RE);
      if (client && federation) {
        clearTimeout(timer);
        resolve({ baseUrl: client[1], federationPort: Number(federation[1]) });
      }
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before it was ready (code ${code}, signal ${signal}); stderr:\n${stderr.slice(-4000)}`));
    });
  });
  // A rejection nobody awaits (the server exits after it was ready) must not crash the runner.
  ready.catch(() => {});
  return { child, ready, exited, stderr: () => stderr };
}

/**
 * Starts a Domovoy named `host:port` with its federation listener on that port.
 * options: folder (with the CA), ca, host, port, allow (patterns), args (more flags), dataDir.
 * Returns { serverName, baseUrl, federationPort, dataDir, stop(), kill9(), restart(), alive(), stderr() }.
 */
export async function startFederatedServer({ folder, ca, host, port, allow = [], args = [], dataDir }) {
  const { cert, key } = makeCertificate(folder, host);
  const serverName = `${host}:${port}`;
  mkdirSync(dataDir, { recursive: true });
  const configFile = path.join(folder, `${host}.config.json`);
  writeFileSync(configFile, JSON.stringify(FAST_HASHING, null, 2));
  const argv = ["serve", "--server-name", serverName, "--listen", "127.0.0.1:0", "--data-dir", dataDir,
    "--config", configFile, "--no-rate-limits",
    "--federation-listen", `127.0.0.1:${port}`, "--tls-cert", cert, "--tls-key", key, "--federation-ca", ca,
    "--federation-allow-ip", "127.0.0.0/8", "--federation-allow-ip", "::1/128"];
  for (const pattern of allow) argv.push("--federation-allow", pattern);
  argv.push(...args);

  let proc = launch(argv);
  const started = async () => {
    try {
      const { baseUrl, federationPort } = await proc.ready;
      if (federationPort !== port) throw new Error(`federation listener on ${federationPort}, not ${port}`);
      return baseUrl;
    } catch (error) {
      proc.child.kill("SIGKILL");
      await proc.exited;
      throw error;
    }
  };
  const server = {
    serverName,
    host,
    federationPort: port,
    dataDir,
    baseUrl: await started(),
    stderr: () => proc.stderr(),
    alive: () => proc.child.exitCode === null && proc.child.signalCode === null,
    async kill9() {
      proc.child.kill("SIGKILL");
      await proc.exited;
    },
    async restart() {
      await server.stop({ keepData: true });
      proc = launch(argv);
      server.baseUrl = await started();
      return server.baseUrl;
    },
    async stop({ keepData = false } = {}) {
      if (server.alive()) {
        proc.child.kill("SIGTERM");
        let timer;
        const timeout = new Promise((resolve) => {
          timer = setTimeout(() => resolve("timeout"), 15000);
        });
        const outcome = await Promise.race([proc.exited, timeout]);
        clearTimeout(timer);
        if (outcome === "timeout") {
          proc.child.kill("SIGKILL");
          await proc.exited;
        }
      }
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

export const REGIONS = ["spb", "msk", "omsk"];

/** Who each region lets federate with it (as federation_net.FederatedTestCase.allow_list). */
export function allowList(region, names) {
  return {
    spb: ["msk.localhost", names.omsk],
    msk: [names.spb],
    omsk: [names.spb],
  }[region];
}

/**
 * Starts spb, msk and omsk (in parallel) in a fresh temporary folder with a fresh CA.
 * options.trustedKeyServers: region -> the regions it asks for keys it cannot fetch itself
 * (--federation-trusted-key-server); by default spb asks msk, as in the Python suite.
 * Returns { folder, ca, ports, names, servers: {spb, msk, omsk}, stop() }. Set DOMOVOY_KEEP_DATA=1
 * to keep the folder (data directories, certificates).
 */
export async function startFederation({ trustedKeyServers = { spb: ["msk"] } } = {}) {
  const folder = mkdtempSync(path.join(tmpdir(), "domovoy-js-fed-"));
  const federation = { folder, servers: {}, ports: {}, names: {} };
  federation.stop = async () => {
    await Promise.all(Object.values(federation.servers).map((server) => server.stop()));
    if (!process.env.DOMOVOY_KEEP_DATA) rmSync(folder, { recursive: true, force: true });
  };
  try {
    federation.ca = makeCa(folder);
    for (const region of REGIONS) {
      federation.ports[region] = await freePort();
      federation.names[region] = `${region}.localhost:${federation.ports[region]}`;
    }
    // Certificates first (openssl is synchronous), then the three servers at once.
    for (const region of REGIONS) makeCertificate(folder, `${region}.localhost`);
    const started = await Promise.allSettled(REGIONS.map(async (region) => {
      const server = await startFederatedServer({
        folder,
        ca: federation.ca,
        host: `${region}.localhost`,
        port: federation.ports[region],
        allow: allowList(region, federation.names),
        args: (trustedKeyServers[region] || []).flatMap((notary) => ["--federation-trusted-key-server", federation.names[notary]]),
        dataDir: path.join(folder, `${region}-data`),
      });
      federation.servers[region] = server;
      return server;
    }));
    const failed = started.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
  } catch (error) {
    await federation.stop();
    throw error;
  }
  return federation;
}

/** Polls `probe` (sync or async) until it returns a truthy value; returns it. Throws at the deadline. */
export async function until(probe, what, { timeoutMs = 30000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * A matrix-js-sdk client of a fresh user on `server`, started (startClient) and past its first
 * sync. Every event the SDK emits (timeline, state, invite state; receipts and typing with the
 * room they came in) is kept in `seen` as { roomId, type, sender, stateKey, eventId, content }
 * so tests can poll for what arrived without racing listeners. Returns { user, client, seen }.
 */
export async function startSdkUser(server, { displayName } = {}) {
  const sdk = await loadSdk();
  const user = await registerUser(server.baseUrl);
  const client = await makeClient(user);
  const seen = [];
  client.on(sdk.ClientEvent.Event, (event) => {
    seen.push({
      roomId: event.getRoomId(),
      type: event.getType(),
      sender: event.getSender(),
      stateKey: event.getStateKey(),
      eventId: event.getId(),
      content: event.getContent(),
    });
  });
  // Ephemeral events come without a room id (sync.yaml): kept with the room they were in.
  client.on(sdk.RoomEvent.Receipt, (event, room) => {
    seen.push({ roomId: room.roomId, type: event.getType(), content: event.getContent() });
  });
  client.on(sdk.RoomMemberEvent.Typing, (event, member) => {
    seen.push({ roomId: member.roomId, type: event.getType(), content: event.getContent() });
  });
  let syncError;
  client.on(sdk.ClientEvent.Sync, (state, _prev, data) => {
    if (state === "ERROR") syncError = data?.error;
  });
  await client.startClient({ initialSyncLimit: 20 });
  await until(() => {
    if (syncError) throw new Error(`${user.user_id}: first sync failed: ${syncError.message || syncError}`);
    const state = client.getSyncState();
    return state === "PREPARED" || state === "SYNCING";
  }, `${user.user_id}: first sync`);
  if (displayName) await client.setDisplayName(displayName);
  return { user, client, seen };
}
