// What the browser tests run against: the contracts deployed on the
// localnet (aip deploy, with the zk-verifier minting reputation tokens),
// a KYC provider's files made with aip-kyc, a real aip-gateway, and the
// built app served with the gateway proxied under /gateway (HTTP and
// WebSocket), as a prosumer's host would serve it.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect as netConnect } from "node:net";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { createInterface } from "node:readline";

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
/** The gateway's answer to every balance question (uaip): a bid needing more escrow is refused. */
export const GATEWAY_BALANCE = 50_000_000;

export const ZONES = [
  { id: 1, name: "North" },
  { id: 2, name: "South" },
];
export const CORRIDORS = [
  { from_zone: 1, to_zone: 2, capacity_wh: "5000", fee_per_kwh: "2000", loss_bps: 100 },
  { from_zone: 2, to_zone: 1, capacity_wh: "4000", fee_per_kwh: "3000", loss_bps: 100 },
];

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
      `balance = { fixed = ${GATEWAY_BALANCE} }`,
      `[chain]`,
      `chain_id = "${CHAIN_ID}"`,
      `rpc_url = "${RPC}"`,
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

  const gateway = await startGateway(dir, deployment.contracts["settlement"].address);
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
      return JSON.parse(await tool("aip", ["query", contract, JSON.stringify(msg), "--deployment", depFile])) as T;
    },
    async close() {
      await new Promise((ok) => server.close(ok));
      server.closeAllConnections();
      gateway.child.kill("SIGTERM");
    },
  };
}
