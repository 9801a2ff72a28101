// What the browser tests run against: the contracts deployed on the
// localnet (aip deploy, with the zk-verifier minting reputation tokens),
// a KYC provider's files made with aip-kyc, the grid operator's zones and
// three households' meters (device keys from aip-oracle keygen), two
// counterparties registered with native proofs, a real aip-gateway (free
// balances from the chain, its clock following the localnet's test clock),
// the online aip-matcher, the aip-oracle for meter readings, and the built
// app served with the gateway proxied under /gateway (HTTP and WebSocket),
// as a prosumer's host would serve it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect as netConnect } from "node:net";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { createInterface } from "node:readline";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

const run = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, "../../..");
export const APP = join(ROOT, "app");
export const OUT = join(APP, "test-output");

const env = (k: string, d: string) => process.env[k] ?? d;
export const RPC = env("AIP_RPC_URL", "http://127.0.0.1:26757");
export const REST = env("AIP_REST_URL", "http://127.0.0.1:1417");
export const CHAIN_ID = env("AIP_CHAIN_ID", "aip-localnet-1");
const BIN = env("AIP_BIN_DIR", join(env("CARGO_TARGET_DIR", join(env("HOME", "/root"), ".cache/aipchain/target")), "debug"));
const APP_PORT = Number(env("AIP_APP_PORT", "27390"));
const GATEWAY_PORT = Number(env("AIP_GATEWAY_PORT", "27391"));
const LOCALNET_HOME = env("AIP_LOCALNET_HOME", join(env("HOME", "/root"), ".cache/aipchain/localnet/home"));
/** The localnet's test clock offset (seconds), written by `ci/localnet.sh advance`: the gateway and the oracle follow it. */
export const CLOCK_FILE = join(LOCALNET_HOME, "clock-offset");

export const ZONES = [
  { id: 1, name: "North" },
  { id: 2, name: "South" },
];
export const CORRIDORS = [
  { from_zone: 1, to_zone: 2, capacity_wh: "5000", fee_per_kwh: "2000", loss_bps: 100 },
  { from_zone: 2, to_zone: 1, capacity_wh: "4000", fee_per_kwh: "3000", loss_bps: 100 },
];

/** The households' meters, registered by the grid operator in this order (ids 1, 2, 3), and the zone of each node. */
export const METERS = [
  { account: "alice", node: 1 },
  { account: "bob", node: 2 },
  { account: "carol", node: 1 },
];
export const NODE_ZONES = [
  { node: 1, zone: 1 },
  { node: 2, zone: 2 },
];
/** Counterparties registered from the command line (aip-kyc prove + register), so they may trade. */
export const COUNTERPARTIES = ["bob", "carol"];

export function accounts(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(ROOT, "ci/localnet-accounts.txt"), "utf8").split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const [name, ...words] = t.split(/\s+/);
    out[name] = words.join(" ");
  }
  return out;
}

async function tool(name: string, args: string[], cwd = ROOT): Promise<string> {
  try {
    const { stdout } = await run(join(BIN, name), args, { cwd, maxBuffer: 64 << 20, env: { ...process.env, AIP_RPC_URL: RPC, AIP_CHAIN_ID: CHAIN_ID } });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${name} ${args.join(" ")}: ${err.stderr || err.stdout || err.message}`);
  }
}

export interface Stack {
  dir: string;
  deployment: { chain_id: string; contracts: Record<string, { address: string }> };
  appUrl: string;
  gatewayUrl: string;
  /** The provider issues a credential for `commitment` and publishes the new root. */
  issue(commitment: string, reference: string): Promise<string>;
  /** `aip query NAME MSG`. */
  query<T>(contract: string, msg: unknown): Promise<T>;
  /** `aip execute NAME MSG --from ACCOUNT`. */
  execute(contract: string, msg: unknown, from: string): Promise<string>;
  /** Each household's meter id, by test account name. */
  meters: Record<string, number>;
  /** The latest block's time (unix seconds). */
  chainTime(): Promise<number>;
  /** Moves the chain's clock (and the gateway's, which follows it) to at least `t`. */
  advanceTo(t: number): Promise<void>;
  /** The meters' readings of `slot`, device-signed and submitted by the real `aip-oracle` (as operator `oracle`). */
  report(slot: number, readings: { meter: number; exported_wh: number; imported_wh: number }[]): Promise<void>;
  /** What the online matcher (`aip-matcher run --gateway`) logged so far. */
  matcherLog(): string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".key": "application/octet-stream",
};

/** Serves `dist`, `/aip-app.json`, `/kyc/*`, and proxies `/gateway/*` to the gateway. */
function serve(dist: string, configJson: string, kycDir: string, gateway: string, port: number): Promise<Server> {
  const gw = new URL(gateway);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.startsWith("/gateway/")) {
      const p = httpRequest(
        { host: gw.hostname, port: gw.port, path: url.pathname.slice("/gateway".length) + url.search, method: req.method, headers: { ...req.headers, host: gw.host } },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      p.on("error", () => {
        res.writeHead(502).end(JSON.stringify({ error: "unreachable", reason: "gateway down" }));
      });
      req.pipe(p);
      return;
    }
    if (url.pathname === "/aip-app.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(configJson);
      return;
    }
    let file = url.pathname.startsWith("/kyc/") ? join(kycDir, url.pathname.slice(5)) : join(dist, url.pathname);
    if (!file.startsWith(dist) && !file.startsWith(kycDir)) {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dist, "index.html");
    res.writeHead(200, {
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "content-length": statSync(file).size,
      "cache-control": "no-store",
    });
    createReadStream(file).pipe(res);
  });
  // WebSocket upgrades of /gateway/v1/stream go straight to the gateway.
  server.on("upgrade", (req, socket, head) => {
    const up = netConnect(Number(gw.port), gw.hostname, () => {
      const path = (req.url ?? "/").replace(/^\/gateway/, "");
      const headers = Object.entries(req.headers)
        .map(([k, v]) => `${k}: ${k === "host" ? gw.host : v}`)
        .join("\r\n");
      up.write(`${req.method} ${path} HTTP/1.1\r\n${headers}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  return new Promise((ok, fail) => {
    server.once("error", (e) => fail(new Error(`the app server cannot listen on 127.0.0.1:${port}: ${e.message} (set AIP_APP_PORT)`)));
    server.listen(port, "127.0.0.1", () => ok(server));
  });
}

async function startGateway(dir: string, contract: string): Promise<{ child: ChildProcess; url: string }> {
  const cfg = join(dir, "gateway.toml");
  writeFileSync(
    cfg,
    [
      `listen = "127.0.0.1:${GATEWAY_PORT}"`,
      `database = "${join(dir, "gateway.sqlite")}"`,
      `contract = "${contract}"`,
      `gate_closure_seconds = 300`,
      `freeze_interval_ms = 500`,
      // Free balances are the settlement deposit accounts on chain.
      `balance = "chain"`,
      `test_clock_offset_file = "${CLOCK_FILE}"`,
      `[chain]`,
      `chain_id = "${CHAIN_ID}"`,
      `rpc_url = "${RPC}"`,
      // The households' own forecasts (GET /v1/forecast/{meter}): meter 1 + i is household i
      // of the SimBench data, as the oracle's replay maps them; the chain -> data time offset is
      // chosen at start (whole weeks, same season), the site is grid.json's.
      `[forecast]`,
      `data = "${join(ROOT, "data/simbench/households_wh.csv.gz")}"`,
      `models = "${join(ROOT, "offchain/matcher/models")}"`,
      `first_meter = 1`,
      "",
    ].join("\n"),
  );
  const child = spawn(join(BIN, "aip-gateway"), ["--config", cfg], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
  const line: string = await new Promise((ok, fail) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", ok);
    child.once("exit", (code) => fail(new Error(`aip-gateway exited with ${code}`)));
  });
  const addr = line.replace(/^listening on /, "").trim();
  return { child, url: `http://${addr}` };
}

/** The wasm address of a localnet test account's mnemonic. */
export async function addressOf(mnemonic: string): Promise<string> {
  const [a] = await (await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "wasm" })).getAccounts();
  return a.address;
}

async function runQuery<T>(depFile: string, contract: string, msg: unknown): Promise<T> {
  return JSON.parse(await tool("aip", ["query", contract, JSON.stringify(msg), "--deployment", depFile])) as T;
}

/** The latest block's time from the node's RPC (unix seconds). */
export async function chainTime(): Promise<number> {
  const r = (await (await fetch(`${RPC}/status`)).json()) as { result: { sync_info: { latest_block_time: string } } };
  return Math.floor(Date.parse(r.result.sync_info.latest_block_time) / 1000);
}

export async function startStack(name = "stack"): Promise<Stack> {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  const kyc = join(dir, "kyc");
  mkdirSync(kyc, { recursive: true });
  const dist = join(APP, "dist");
  if (!existsSync(join(dist, "index.html"))) throw new Error("app/dist is missing: npm run build first");

  // The KYC provider's and the compliance role's files (single-party setup: a test).
  await tool("aip-kyc", ["setup", "--out-dir", join(dir, "keys"), "--insecure-seed", "1"]);
  await tool("aip-kyc", ["tree", "new", "--tree", join(kyc, "tree.json")]);
  await tool("aip-kyc", ["set", "new", "--set", join(kyc, "sanctions.json")]);
  await tool("aip-kyc", ["set", "add", "--set", join(kyc, "sanctions.json"), "passport:mallory"]);
  await tool("aip-kyc", ["set", "new", "--set", join(kyc, "revocations.json")]);
  // The proving key is public: the app downloads it.
  writeFileSync(join(kyc, "proving.key"), readFileSync(join(dir, "keys", "proving.key")));

  const depFile = join(dir, "deployment.json");
  await tool("aip", ["deploy", "--deployment", depFile, "--artifacts", join(ROOT, "artifacts"), "--zk-verifying-key", join(dir, "keys", "verifying_key.hex")]);
  const deployment = JSON.parse(readFileSync(depFile, "utf8")) as Stack["deployment"];
  const common = ["--deployment", depFile, "--from", "validator"];
  const sanctionsRoot = await tool("aip-kyc", ["set", "root", "--set", join(kyc, "sanctions.json")]);
  await tool("aip", ["execute", "zk-verifier", JSON.stringify({ publish_sanctions_root: { root: sanctionsRoot } }), ...common]);

  // The grid operator's zones and corridors (the Market page draws them).
  const dso = ["--deployment", depFile, "--from", "dso"];
  for (const zone of ZONES) await tool("aip", ["execute", "settlement", JSON.stringify({ upsert_zone: { zone } }), ...dso]);
  for (const corridor of CORRIDORS) await tool("aip", ["execute", "settlement", JSON.stringify({ set_corridor: { corridor } }), ...dso]);

  await tool("aip", ["execute", "settlement", JSON.stringify({ set_node_zones: { nodes: NODE_ZONES } }), ...dso]);
  // The meters' device keys (ed25519; the oracle holds them) and their registration by the grid operator.
  const keys = join(dir, "device-keys.toml");
  const pubkeys = (await tool("aip-oracle", ["keygen", "--first", "1", "--count", String(METERS.length), "--out", keys]))
    .split("\n")
    .map((l) => l.trim().split(/\s+/));
  const meters: Record<string, number> = {};
  const names = accounts();
  for (const [i, m] of METERS.entries()) {
    if (!names[m.account]) throw new Error(`no localnet account ${m.account}`);
    const owner = await addressOf(names[m.account]);
    const [id, pubkey] = pubkeys[i];
    const msg = { register_meter: { owner, node: m.node, pubkey: Buffer.from(pubkey, "hex").toString("base64") } };
    await tool("aip", ["execute", "meter-oracle", JSON.stringify(msg), ...dso]);
    const got = await runQuery<{ meter: number; pubkey: string; status: string }>(depFile, "meter-oracle", { meter: { meter: Number(id) } });
    if (got.pubkey !== msg.register_meter.pubkey || got.status !== "active") throw new Error(`meter ${id}: ${JSON.stringify(got)}`);
    meters[m.account] = Number(id);
  }
  // The counterparties' KYC: identity, credential, proof (native prover), register.
  for (const name of COUNTERPARTIES) {
    const owner = await addressOf(names[name]);
    await tool("aip-kyc", ["identity", "new", "--out", join(dir, `${name}.identity.json`)]);
    const identity = JSON.parse(readFileSync(join(dir, `${name}.identity.json`), "utf8")) as { commitment: string };
    const cred = join(dir, `${name}.credential.json`);
    await tool("aip-kyc", ["tree", "add", "--tree", join(kyc, "tree.json"), "--commitment", identity.commitment, "--reference", `passport:${name}`, "--expiry", "4000000000", "--credential-out", cred]);
    const root = await tool("aip-kyc", ["tree", "root", "--tree", join(kyc, "tree.json")]);
    await tool("aip", ["execute", "zk-verifier", JSON.stringify({ publish_root: { root } }), ...common]);
    const proof = join(dir, `${name}.proof.json`);
    await tool("aip-kyc", [
      "prove", "--identity", join(dir, `${name}.identity.json`), "--credential", cred, "--tree", join(kyc, "tree.json"),
      "--sanctions", join(kyc, "sanctions.json"), "--revocations", join(kyc, "revocations.json"), "--proving-key", join(dir, "keys", "proving.key"),
      "--address", owner, "--chain-id", deployment.chain_id, "--contract", deployment.contracts["zk-verifier"].address, "--out", proof,
    ]);
    const register = (JSON.parse(readFileSync(proof, "utf8")) as { register: unknown }).register;
    await tool("aip", ["execute", "zk-verifier", JSON.stringify(register), "--deployment", depFile, "--from", name]);
  }

  const gateway = await startGateway(dir, deployment.contracts["settlement"].address);
  // The online matcher: signs as the settlement's matcher, clears each slot's frozen book from the gateway at gate closure.
  const matcherLog: string[] = [];
  const matcher = spawn(join(BIN, "aip-matcher"), ["run", "--deployment", depFile, "--key", "matcher", "--rpc", RPC, "--poll-secs", "1", "--gateway", gateway.url], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, AIP_RPC_URL: RPC, AIP_CHAIN_ID: CHAIN_ID, RUST_LOG: "info" },
  });
  for (const s of [matcher.stdout!, matcher.stderr!]) s.on("data", (b: Buffer) => matcherLog.push(b.toString()));
  const config = {
    deployment,
    rest_url: REST,
    gateway_url: "/gateway",
    fee_denom: "ustake",
    gas_price: 0.0025,
    chain_name: "AIPCHAIN localnet",
    kyc: {
      proving_key_url: "/kyc/proving.key",
      tree_url: "/kyc/tree.json",
      sanctions_url: "/kyc/sanctions.json",
      revocations_url: "/kyc/revocations.json",
    },
  };
  const server = await serve(dist, JSON.stringify(config), kyc, gateway.url, APP_PORT);

  let credentials = 0;
  return {
    dir,
    deployment,
    appUrl: `http://127.0.0.1:${APP_PORT}`,
    gatewayUrl: gateway.url,
    async issue(commitment, reference) {
      const out = join(dir, `credential-${credentials++}.json`);
      await tool("aip-kyc", ["tree", "add", "--tree", join(kyc, "tree.json"), "--commitment", commitment, "--reference", reference, "--expiry", "4000000000", "--credential-out", out]);
      const root = await tool("aip-kyc", ["tree", "root", "--tree", join(kyc, "tree.json")]);
      await tool("aip", ["execute", "zk-verifier", JSON.stringify({ publish_root: { root } }), ...common]);
      return readFileSync(out, "utf8");
    },
    async query<T>(contract: string, msg: unknown): Promise<T> {
      return runQuery<T>(depFile, contract, msg);
    },
    execute(contract, msg, from) {
      return tool("aip", ["execute", contract, JSON.stringify(msg), "--deployment", depFile, "--from", from]);
    },
    meters,
    chainTime,
    async advanceTo(t) {
      const now = await chainTime();
      if (now >= t) return;
      await run(join(ROOT, "ci/localnet.sh"), ["advance", String(t - now)], { cwd: ROOT, env: process.env });
    },
    async report(slot, readings) {
      const csv = join(dir, `readings-${slot}.csv`);
      writeFileSync(csv, ["slot,meter,exported_wh,imported_wh", ...readings.map((r) => `${slot},${r.meter},${r.exported_wh},${r.imported_wh}`)].join("\n") + "\n");
      const cfg = join(dir, `oracle-${slot}.toml`);
      writeFileSync(
        cfg,
        [
          `contract = "${deployment.contracts["meter-oracle"].address}"`,
          `operator = "oracle"`,
          `[chain]`,
          `chain_id = "${CHAIN_ID}"`,
          `rpc_url = "${RPC}"`,
          `[queue]`,
          `path = "${join(dir, "oracle-queue.sqlite")}"`,
          `[submit]`,
          `min_slot_age_secs = 1`,
          `exit_when_done = true`,
          `[keys]`,
          `file = "${keys}"`,
          `[[source]]`,
          `kind = "csv"`,
          `path = "${csv}"`,
          "",
        ].join("\n"),
      );
      // The oracle waits for the slot to end by its own clock: run it on the chain's test clock.
      const offset = Number(readFileSync(CLOCK_FILE, "utf8").trim());
      try {
        await run("faketime", ["-f", `+${offset}s`, join(BIN, "aip-oracle"), "run", "--config", cfg], { cwd: dir, timeout: 120_000, env: { ...process.env, RUST_LOG: "warn" } });
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        throw new Error(`aip-oracle: ${err.stderr || err.message}`);
      }
    },
    matcherLog: () => matcherLog.join(""),
    async close() {
      matcher.kill("SIGTERM");
      await new Promise((ok) => server.close(ok));
      server.closeAllConnections();
      gateway.child.kill("SIGTERM");
    },
  };
}
