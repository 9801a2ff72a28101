// End-to-end tests of the AIP bridge: wasmd (cw20-ics20 `aip-ics20`) <-> the
// EVM chain (ICS-20 transfer + x/erc20) over IBC, relayed by Hermes, with the
// ERC-20 side driven by ethers.js over Ethereum JSON-RPC.
//
// Run by ci/evm-bridge-test.sh, which starts both chains, deploys, opens the
// channel and exports the variables read below. Uses node's test runner
// (`node --test`); the tests run in file order and share the chains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { ethers } from "ethers";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run ci/evm-bridge-test.sh`);
  return v;
};
const WASMD = env("WASMD"), WASM_HOME = env("AIP_LOCALNET_HOME"), WASM_CHAIN = env("AIP_CHAIN_ID");
const WASM_NODE = env("AIP_RPC_URL");
const EVMD = env("EVMD"), EVM_HOME = env("AIP_EVM_HOME"), EVM_CHAIN = env("AIP_EVM_CHAIN_ID");
const EVM_NODE = env("AIP_EVM_RPC_URL"), EVM_REST = env("AIP_EVM_REST_URL");
const TOKEN = env("AIP_TOKEN"), ICS20 = env("AIP_ICS20"), OTHER_CW20 = env("OTHER_CW20");
const WASM_CHANNEL = env("WASM_CHANNEL"), EVM_CHANNEL = env("EVM_CHANNEL");
const HERMES_SH = env("HERMES_SH");
const provider = new ethers.JsonRpcProvider(env("AIP_EVM_JSONRPC_URL"), undefined, { staticNetwork: true, polling: true, pollingInterval: 500 });

const mnemonics = Object.fromEntries(
  readFileSync(env("ACCOUNTS_FILE"), "utf8").split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => { const [name, ...words] = l.trim().split(/\s+/); return [name, words.join(" ")]; }),
);
const evmWallet = (name) => ethers.HDNodeWallet.fromPhrase(mnemonics[name], undefined, "m/44'/60'/0'/0/0").connect(provider);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, timeoutMs = 90_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false && v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

// ---- wasmd side (its CLI, keys in the localnet's test keyring) ----
const run = (bin, args) => {
  const r = spawnSync(bin, args, { encoding: "utf8" });
  return { ok: r.status === 0, out: r.stdout, err: r.stderr };
};
const wasmAddr = (name) => execFileSync(WASMD, ["keys", "show", name, "-a", "--keyring-backend", "test", "--home", WASM_HOME], { encoding: "utf8" }).trim();
const evmAddrBech32 = (name) => execFileSync(EVMD, ["keys", "show", name, "-a", "--keyring-backend", "test", "--home", EVM_HOME], { encoding: "utf8" }).trim();
const wasmQuery = (contract, msg) => JSON.parse(execFileSync(WASMD, ["q", "wasm", "contract-state", "smart", contract, JSON.stringify(msg), "--node", WASM_NODE, "-o", "json"], { encoding: "utf8" })).data;
const cw20Balance = (contract, addr) => BigInt(wasmQuery(contract, { balance: { address: addr } }).balance);

async function waitTx(bin, node, hash) {
  return until(`tx ${hash}`, () => {
    const r = run(bin, ["q", "tx", hash, "--node", node, "-o", "json"]);
    return r.ok ? JSON.parse(r.out) : undefined;
  }, 30_000);
}

/** Executes `msg` on `contract` as `from`; resolves to the tx, or { refused } with the error text. */
async function wasmExecute(from, contract, msg) {
  const r = run(WASMD, ["tx", "wasm", "execute", contract, JSON.stringify(msg), "--from", from,
    "--keyring-backend", "test", "--home", WASM_HOME, "--chain-id", WASM_CHAIN, "--node", WASM_NODE,
    "--gas", "auto", "--gas-adjustment", "1.5", "--gas-prices", "0.0025ustake", "-y", "-o", "json"]);
  if (!r.ok) return { refused: r.err + r.out };
  const sent = JSON.parse(r.out);
  if (sent.code) return { refused: sent.raw_log };
  const tx = await waitTx(WASMD, WASM_NODE, sent.txhash);
  if (tx.code) return { refused: tx.raw_log };
  return tx;
}

/** Sends `amount` uAIP from `from` (wasmd) to `receiver` on the EVM chain through aip-ics20. */
function sendToEvm(from, receiver, amount, { channel = WASM_CHANNEL, token = TOKEN, timeout } = {}) {
  const transfer = { channel, remote_address: receiver, ...(timeout ? { timeout } : {}) };
  return wasmExecute(from, token, {
    send: { contract: ICS20, amount: String(amount), msg: Buffer.from(JSON.stringify(transfer)).toString("base64") },
  });
}

// ---- EVM side ----
async function tokenPair() {
  const r = await fetch(`${EVM_REST}/cosmos/evm/erc20/v1/token_pairs`);
  const pairs = (await r.json()).token_pairs ?? [];
  return pairs.find((p) => p.denom.startsWith("ibc/"));
}
const ERC20_ABI = [
  "function name() view returns (string)", "function symbol() view returns (string)",
  "function decimals() view returns (uint8)", "function totalSupply() view returns (uint256)",
  "function balanceOf(address) view returns (uint256)", "function transfer(address,uint256) returns (bool)",
];
let pair; // set by the first test
const erc20 = (runner = provider) => new ethers.Contract(pair.erc20_address, ERC20_ABI, runner);

/** Sends `amount` of the voucher from `from` (EVM chain) back to `receiver` on wasmd. */
async function sendToWasm(from, receiver, amount) {
  const r = run(EVMD, ["tx", "ibc-transfer", "transfer", "transfer", EVM_CHANNEL, receiver, `${amount}${pair.denom}`,
    "--from", from, "--keyring-backend", "test", "--home", EVM_HOME, "--chain-id", EVM_CHAIN, "--node", EVM_NODE,
    "--gas", "400000", "--gas-prices", "10000000000aevm", "-y", "-o", "json"]);
  if (!r.ok) return { refused: r.err + r.out };
  const sent = JSON.parse(r.out);
  if (sent.code) return { refused: sent.raw_log };
  const tx = await waitTx(EVMD, EVM_NODE, sent.txhash);
  if (tx.code) return { refused: tx.raw_log };
  return tx;
}

const locked = () => cw20Balance(TOKEN, ICS20);
async function assertConserved() {
  // Every AIP escrowed by aip-ics20 is one ERC-20 unit on the EVM side.
  assert.equal(await erc20().totalSupply(), await locked());
}

const alice = { wasm: wasmAddr("alice"), evm: evmWallet("alice"), evmBech32: evmAddrBech32("alice") };
const bob = { wasm: wasmAddr("bob"), evm: evmWallet("bob"), evmBech32: evmAddrBech32("bob") };

test("AIP goes to the EVM chain as an ERC-20 that ethers.js reads and transfers, and comes back", async (t0) => {
  const amount = 1_000_000n; // 1 AIP (6 decimals)
  const started = Date.now();
  const aliceBefore = await cw20Balance(TOKEN, alice.wasm);
  assert.equal(await locked(), 0n);
  const tx = await sendToEvm("alice", alice.evmBech32, amount);
  assert.ok(!tx.refused, tx.refused);
  t0.diagnostic(`gas: wasmd CW20 Send to aip-ics20 ${tx.gas_used}`);
  assert.equal(await cw20Balance(TOKEN, alice.wasm), aliceBefore - amount);
  assert.equal(await locked(), amount);

  pair = await until("the voucher's ERC-20 registration", tokenPair);
  assert.equal(pair.enabled, true);
  const t = erc20();
  await until("alice's ERC-20 balance", async () => (await t.balanceOf(alice.evm.address)) === amount);
  t0.diagnostic(`time: wasmd -> EVM arrival ${Date.now() - started} ms`);
  // The voucher denom traces back to the CW20 on aip-ics20's port.
  const trace = await (await fetch(`${EVM_REST}/ibc/apps/transfer/v1/denoms/${pair.denom.slice(4)}`)).json();
  assert.equal(trace.denom.base, `cw20:${TOKEN}`);
  assert.equal(trace.denom.trace[0].port_id, "transfer");
  assert.equal(trace.denom.trace[0].channel_id, EVM_CHANNEL);
  // MetaMask and ethers see the CW20's own name, symbol and decimals.
  const info = wasmQuery(TOKEN, { token_info: {} });
  assert.equal(await t.name(), info.name);
  assert.equal(await t.symbol(), info.symbol);
  assert.equal(await t.decimals(), BigInt(info.decimals));
  await assertConserved();

  // ethers.js: alice -> bob on the EVM chain.
  const part = 400_000n;
  const sent = await t.connect(alice.evm).transfer(bob.evm.address, part);
  const receipt = await sent.wait();
  assert.equal(receipt.status, 1);
  t0.diagnostic(`gas: ERC-20 transfer on the EVM chain ${receipt.gasUsed}`);
  assert.equal(await t.balanceOf(alice.evm.address), amount - part);
  assert.equal(await t.balanceOf(bob.evm.address), part);

  // bob sends it back to his wasmd account: the same CW20 comes out of escrow.
  const bobBefore = await cw20Balance(TOKEN, bob.wasm);
  const backStarted = Date.now();
  const back = await sendToWasm("bob", bob.wasm, part);
  assert.ok(!back.refused, back.refused);
  t0.diagnostic(`gas: EVM chain ibc-transfer back ${back.gas_used}`);
  await until("bob's AIP back on wasmd", async () => (await cw20Balance(TOKEN, bob.wasm)) === bobBefore + part);
  t0.diagnostic(`time: EVM -> wasmd arrival ${Date.now() - backStarted} ms; round trip incl. ethers transfer ${Date.now() - started} ms`);
  assert.equal(await t.balanceOf(bob.evm.address), 0n);
  assert.equal(await locked(), amount - part);
  await assertConserved();
});

test("refusals: another CW20, an unknown channel, more than the balance; nothing moves", async () => {
  const aliceAip = await cw20Balance(TOKEN, alice.wasm);
  const aliceOther = await cw20Balance(OTHER_CW20, alice.wasm);
  const lockedBefore = await locked();

  const other = await sendToEvm("alice", alice.evmBech32, 10, { token: OTHER_CW20 });
  assert.match(other.refused ?? "", /You can only send cw20 tokens that have been explicitly allowed by governance/);
  assert.equal(await cw20Balance(OTHER_CW20, alice.wasm), aliceOther);
  assert.equal(await cw20Balance(OTHER_CW20, ICS20), 0n);

  const channel = await sendToEvm("alice", alice.evmBech32, 10, { channel: "channel-99" });
  assert.match(channel.refused ?? "", /Channel doesn't exist: channel-99/);

  const tooMuch = await sendToEvm("alice", alice.evmBech32, aliceAip + 1n);
  assert.match(tooMuch.refused ?? "", /Cannot Sub with|Overflow|insufficient/i);

  assert.equal(await cw20Balance(TOKEN, alice.wasm), aliceAip);
  assert.equal(await locked(), lockedBefore);

  // The ERC-20 side refuses an overdraft too (the call reverts before any state change).
  const t = erc20(bob.evm);
  const bobEvm = await t.balanceOf(bob.evm.address);
  await assert.rejects(t.transfer.staticCall(alice.evm.address, bobEvm + 1n));
  const back = await sendToWasm("bob", bob.wasm, bobEvm + 1n);
  assert.match(back.refused ?? "", /insufficient funds/i);
  assert.equal(await t.balanceOf(bob.evm.address), bobEvm);
  await assertConserved();
});

test("relayer killed with a packet in flight and restarted: delivered exactly once", async () => {
  const t = erc20();
  const amount = 250_000n;
  const before = await t.balanceOf(alice.evm.address);
  const lockedBefore = await locked();
  const aliceAip = await cw20Balance(TOKEN, alice.wasm);
  // SIGKILL, no clean shutdown; the packet is then sent while no relayer runs.
  execFileSync(HERMES_SH, ["kill"], { stdio: "inherit" });
  const tx = await sendToEvm("alice", alice.evmBech32, amount);
  assert.ok(!tx.refused, tx.refused);
  await sleep(4000);
  assert.equal(await t.balanceOf(alice.evm.address), before, "nothing arrives without a relayer");
  execFileSync(HERMES_SH, ["start"], { stdio: "inherit" });
  await until("the packet after the restart", async () => (await t.balanceOf(alice.evm.address)) === before + amount);
  // Relay once more by hand: an already received packet is not received again.
  run(HERMES_SH, ["clear", "--chain", WASM_CHAIN, "--port", `wasm.${ICS20}`, "--channel", WASM_CHANNEL]);
  await sleep(3000);
  assert.equal(await t.balanceOf(alice.evm.address), before + amount);
  // Acknowledged as a success: no refund on wasmd.
  assert.equal(await cw20Balance(TOKEN, alice.wasm), aliceAip - amount);
  assert.equal(await locked(), lockedBefore + amount);
  await assertConserved();
});

test("a packet left to time out is refunded to the sender", async () => {
  const t = erc20();
  const amount = 123_000n;
  const aliceAip = await cw20Balance(TOKEN, alice.wasm);
  const evmBefore = await t.balanceOf(alice.evm.address);
  const lockedBefore = await locked();
  execFileSync(HERMES_SH, ["stop"], { stdio: "inherit" });
  const tx = await sendToEvm("alice", alice.evmBech32, amount, { timeout: 5 });
  assert.ok(!tx.refused, tx.refused);
  assert.equal(await cw20Balance(TOKEN, alice.wasm), aliceAip - amount);
  assert.equal(await locked(), lockedBefore + amount);
  await sleep(10_000); // past the timeout on the EVM chain's clock
  execFileSync(HERMES_SH, ["start"], { stdio: "inherit" });
  await until("the refund", async () => (await cw20Balance(TOKEN, alice.wasm)) === aliceAip);
  assert.equal(await locked(), lockedBefore);
  assert.equal(await t.balanceOf(alice.evm.address), evmBefore);
  await assertConserved();
});

test("an Ethereum key's AIP comes home to the AIPCHAIN account of the same key", async (t0) => {
  // The signed-intents rule: an Ethereum (secp256k1) key owns the AIPCHAIN
  // account bech32("wasm", ripemd160(sha256(compressed public key))), the
  // Cosmos derivation of that same key. wasmd derives it from the imported key.
  const key = alice.evm.privateKey.slice(2);
  const imported = run(WASMD, ["keys", "import-hex", "alice-eth", key, "--keyring-backend", "test", "--home", WASM_HOME]);
  assert.ok(imported.ok || /already exists/.test(imported.err), imported.err);
  const home = wasmAddr("alice-eth");
  assert.notEqual(home, alice.wasm);
  const t = erc20();
  const amount = 50_000n;
  const evmBefore = await t.balanceOf(alice.evm.address);
  assert.ok(evmBefore >= amount, `alice holds ${evmBefore}`);
  const homeBefore = await cw20Balance(TOKEN, home);
  const back = await sendToWasm("alice", home, amount);
  assert.ok(!back.refused, back.refused);
  await until("AIP at the key's AIPCHAIN account", async () => (await cw20Balance(TOKEN, home)) === homeBefore + amount);
  assert.equal(await t.balanceOf(alice.evm.address), evmBefore - amount);
  t0.diagnostic(`the Ethereum key ${alice.evm.address} owns ${home} on AIPCHAIN`);
  await assertConserved();
});

// ---- An Ethereum user trades on AIPCHAIN (issue 15, step 6) ----
// Runs last: it moves the wasmd localnet's clock forward (gate closure,
// delivery, dispute window), which earlier tests' timeouts must not see.
const E2E = env("AIP_EVM_E2E"), MATCHER = env("AIP_MATCHER"), GATEWAY = env("AIP_GATEWAY"), DEPLOYMENT = env("DEPLOYMENT");
const SETTLEMENT = env("SETTLEMENT"), METER_ORACLE = env("METER_ORACLE"), REPUTATION = env("REPUTATION");
const LOCALNET_SH = env("LOCALNET_SH"), WORK = env("WORK");
const helper = (...args) => execFileSync(E2E, args, { encoding: "utf8" }).trim();
const helperJson = (...args) => JSON.parse(helper(...args));

/** The wasmd localnet's latest block time, unix seconds (its test clock included). */
async function chainNow() {
  const s = await (await fetch(`${WASM_NODE}/status`)).json();
  return Math.floor(Date.parse(s.result.sync_info.latest_block_time) / 1000);
}
async function advanceTo(t) {
  const now = await chainNow();
  if (t > now) execFileSync(LOCALNET_SH, ["advance", String(t - now)], { stdio: "inherit" });
}
async function bankSend(from, to, coins) {
  const r = run(WASMD, ["tx", "bank", "send", from, to, coins, "--keyring-backend", "test", "--home", WASM_HOME,
    "--chain-id", WASM_CHAIN, "--node", WASM_NODE, "--gas-prices", "0.0025ustake", "-y", "-o", "json"]);
  assert.ok(r.ok, r.err);
  const tx = await waitTx(WASMD, WASM_NODE, JSON.parse(r.out).txhash);
  assert.equal(tx.code, 0, tx.raw_log);
}
async function ok(from, contract, msg) {
  const tx = await wasmExecute(from, contract, msg);
  assert.ok(!tx.refused, `${JSON.stringify(msg)}: ${tx.refused}`);
  return tx;
}
const wasmAttr = (tx, key) => tx.events.filter((e) => e.type === "wasm").flatMap((e) => e.attributes).find((a) => a.key === key)?.value;
const ledger = async (account) => {
  const b = wasmQuery(SETTLEMENT, { balance: { account } });
  return { free: b.free, locked: b.locked };
};
const http = async (method, url, body) => {
  const r = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};
const SLOT_SECONDS = 900;

test("an Ethereum key trades on AIPCHAIN: AIP over IBC, deposit, EIP-712 intent, matched, delivered, settled, proceeds back as ERC-20", async (t0) => {
  const carol = { evm: evmWallet("carol"), evmBech32: evmAddrBech32("carol") };
  const t = erc20();
  const received = 2_000_000n; // 2 AIP for carol on the EVM chain
  const aliceAip = await cw20Balance(TOKEN, alice.wasm);
  const lockedBefore = await locked();

  // 1. The Ethereum key receives AIP on the EVM chain (from alice on AIPCHAIN).
  assert.equal(await t.balanceOf(carol.evm.address), 0n);
  assert.ok(!(await sendToEvm("alice", carol.evmBech32, received)).refused);
  await until("carol's ERC-20 balance", async () => (await t.balanceOf(carol.evm.address)) === received);
  assert.equal(await cw20Balance(TOKEN, alice.wasm), aliceAip - received);
  assert.equal(await locked(), lockedBefore + received);
  await assertConserved();

  // 2. She sends it to the AIPCHAIN account of the same key (ibc-transfer back).
  const imported = run(WASMD, ["keys", "import-hex", "carol-eth", carol.evm.privateKey.slice(2), "--keyring-backend", "test", "--home", WASM_HOME]);
  assert.ok(imported.ok || /already exists/.test(imported.err), imported.err);
  const home = wasmAddr("carol-eth");
  assert.equal(await cw20Balance(TOKEN, home), 0n);
  assert.ok(!(await sendToWasm("carol", home, received)).refused);
  await until("carol's AIP on AIPCHAIN", async () => (await cw20Balance(TOKEN, home)) === received);
  assert.equal(await t.balanceOf(carol.evm.address), 0n);
  assert.equal(await locked(), lockedBefore);
  await assertConserved();

  // The counterparty: a Cosmos key (ADR-036 signer), funded on AIPCHAIN.
  const buyer = helperJson("cosmos-key", "--label", "evm e2e buyer");
  const imp = run(WASMD, ["keys", "import-hex", "evm-buyer", buyer.secret_hex, "--keyring-backend", "test", "--home", WASM_HOME]);
  assert.ok(imp.ok || /already exists/.test(imp.err), imp.err);
  assert.equal(wasmAddr("evm-buyer"), buyer.address);
  const buyerDeposit = 1_000_000n;
  await bankSend("faucet", home, "5000000ustake");
  await bankSend("faucet", buyer.address, "5000000ustake");
  await ok("alice", TOKEN, { transfer: { recipient: buyer.address, amount: String(buyerDeposit) } });

  // Grid operator, KYC (admin-minted reputation on this test network), meters.
  await ok("dso", SETTLEMENT, { upsert_zone: { zone: { id: 1, name: "feeder A" } } });
  await ok("dso", SETTLEMENT, { set_node_zones: { nodes: [{ node: 1, zone: 1 }] } });
  const meters = {};
  for (const [who, addr] of [["carol", home], ["buyer", buyer.address]]) {
    const pubkey = helper("device-key", "--label", `evm e2e ${who} meter`);
    const tx = await ok("dso", METER_ORACLE, { register_meter: { owner: addr, node: 1, pubkey } });
    meters[who] = Number(wasmAttr(tx, "meter"));
    await ok("validator", REPUTATION, { mint_for: { owner: addr } });
  }

  // 3. Both deposit into settlement (a CW20 Send with {"deposit":{}}): carol all her AIP.
  const depositMsg = Buffer.from(JSON.stringify({ deposit: {} })).toString("base64");
  const deposited = await ok("carol-eth", TOKEN, { send: { contract: SETTLEMENT, amount: String(received), msg: depositMsg } });
  t0.diagnostic(`gas: deposit (CW20 Send to settlement) ${deposited.gas_used}`);
  await ok("evm-buyer", TOKEN, { send: { contract: SETTLEMENT, amount: String(buyerDeposit), msg: depositMsg } });
  assert.equal(await cw20Balance(TOKEN, home), 0n);
  assert.deepEqual(await ledger(home), { free: String(received), locked: "0" });
  assert.deepEqual(await ledger(buyer.address), { free: String(buyerDeposit), locked: "0" });
  const settlementHeld = await cw20Balance(TOKEN, SETTLEMENT);

  // The order gateway (the aip-gateway binary on the localnet's clock).
  const cfg = `${WORK}/gateway.toml`;
  writeFileSync(cfg, [`listen = "127.0.0.1:0"`, `database = "${WORK}/gateway.sqlite"`, `contract = "${SETTLEMENT}"`,
    `gate_closure_seconds = 300`, `freeze_interval_ms = 200`, `test_clock_offset_file = "${WASM_HOME}/clock-offset"`, `[chain]`, `chain_id = "${WASM_CHAIN}"`, `rpc_url = "${WASM_NODE}"`, ""].join("\n"));
  const gw = spawn(GATEWAY, ["--config", cfg], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "warn" } });
  t0.after(() => gw.kill("SIGKILL"));
  const gwUrl = await new Promise((resolve, reject) => {
    gw.once("exit", (code) => reject(new Error(`gateway exited with ${code}`)));
    gw.stdout.on("data", (d) => { const m = /listening on (\S+)/.exec(String(d)); if (m) resolve(`http://${m[1]}`); });
  });

  // 4. Intents for the next open slot: carol sells 2 kWh (EIP-712, signed by
  // ethers as MetaMask's eth_signTypedData_v4), the buyer buys (ADR-036).
  const now = await chainNow();
  let slot = now - (now % SLOT_SECONDS);
  while (slot < now + 300 + 60) slot += SLOT_SECONDS;
  const base = { chain_id: WASM_CHAIN, contract: SETTLEMENT, nonce: 1, slot_from: slot, slot_until: slot + SLOT_SECONDS, meter: 0, wh: 2_000, premium_only: false, expires: slot + SLOT_SECONDS };
  const sell = { ...base, owner: home, side: "sell", meter: meters.carol, limit_price: 150_000 };
  const buy = { ...base, owner: buyer.address, side: "buy", meter: meters.buyer, limit_price: 250_000 };
  const td = helperJson("typed-data", JSON.stringify(sell));
  const { EIP712Domain, ...types } = td.types;
  assert.deepEqual(EIP712Domain.map((f) => f.name), ["name", "version", "salt"]);
  // ethers' EIP-712 encoding of the project's typed data = the Rust digest the contract checks.
  assert.equal(ethers.TypedDataEncoder.hash(td.domain, types, td.message), td.digest);
  const signEth = async (wallet, intent, typed) => ({ intent, signature: { kind: "eth_eip712", signature: await wallet.signTypedData(typed.domain, types, typed.message) } });

  // Refusals first: signed by another Ethereum key, or altered after signing.
  const wrongKey = await http("POST", `${gwUrl}/v1/intents`, await signEth(bob.evm, sell, td));
  assert.equal(wrongKey.status, 401, JSON.stringify(wrongKey.body));
  assert.equal(wrongKey.body.error, "bad_signature");
  const signed = await signEth(carol.evm, sell, td);
  const altered = await http("POST", `${gwUrl}/v1/intents`, { ...signed, intent: { ...sell, wh: sell.wh + 1 } });
  assert.equal(altered.status, 401, JSON.stringify(altered.body));
  assert.equal(altered.body.reason, "the eth_eip712 signature does not verify for this intent");
  assert.equal((await http("GET", `${gwUrl}/v1/book/${slot}`)).body.intents?.length ?? 0, 0);

  const posted = await http("POST", `${gwUrl}/v1/intents`, signed);
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  assert.equal(posted.body.hash, td.hash);
  const bought = await http("POST", `${gwUrl}/v1/intents`, JSON.parse(helper("sign-cosmos", "--label", "evm e2e buyer", JSON.stringify(buy))));
  assert.equal(bought.status, 201, JSON.stringify(bought.body));

  // 5. Gate closure: the gateway freezes the book, the online matcher commits it.
  await advanceTo(slot - 300 + 2);
  await until("the frozen book", async () => (await http("GET", `${gwUrl}/v1/book/${slot}/frozen`)).status === 200, 30_000);
  const m = spawnSync(MATCHER, ["run", "--deployment", DEPLOYMENT, "--key", "matcher", "--once", String(slot), "--gateway", gwUrl], { encoding: "utf8" });
  assert.equal(m.status, 0, m.stderr);
  assert.match(m.stdout, /^CommittedIntents \{ trades: 1,/);
  const trades = () => wasmQuery(SETTLEMENT, { trades_by_slot: { slot, limit: 10 } }).trades;
  const [trade] = trades();
  assert.equal(trades().length, 1);
  assert.equal(trade.seller, home);
  assert.equal(trade.buyer, buyer.address);
  assert.equal(trade.meter, meters.carol);
  assert.equal(trade.wh, "2000");
  assert.equal(trade.intents, true);
  const price = BigInt(trade.price);
  assert.ok(price >= 150_000n && price <= 250_000n, `price ${price}`);
  // Payment rounds down (uaip = Wh x uaip/kWh / 1000); one zone: no loss, no fee.
  const pay = (BigInt(trade.net_wh) * price) / 1000n;
  assert.equal(trade.net_wh, "2000");
  assert.equal(BigInt(trade.payment), pay);
  assert.equal(trade.fee, "0");
  const collateral = BigInt(trade.collateral);
  assert.deepEqual(await ledger(home), { free: String(received - collateral), locked: String(collateral) });

  // 6. Delivery: carol's meter reports the 2 kWh after the slot (device-signed,
  // submitted by the oracle); settlement fetches it and settles after the dispute window.
  await advanceTo(slot + SLOT_SECONDS + 2);
  const reading = helperJson("reading", "--label", "evm e2e carol meter", "--deployment", DEPLOYMENT,
    "--meter", String(meters.carol), "--slot", String(slot), "--wh", "2000");
  await ok("oracle", METER_ORACLE, { submit_readings: { slot, readings: [reading] } });
  await ok("alice", SETTLEMENT, { fetch_deliveries: { slot, limit: 10 } });
  const status = wasmQuery(SETTLEMENT, { slot_status: { slot } });
  assert.equal(status.meters_reported, status.meters);
  await advanceTo(status.settle_from + 2);
  await ok("alice", SETTLEMENT, { settle: { slot, limit: 10 } });
  assert.equal(wasmQuery(SETTLEMENT, { slot_status: { slot } }).fully_settled, true);
  const [settled] = trades();
  assert.deepEqual(settled.settlement, { delivered_wh: "2000", seller_paid: String(pay), buyer_refund: "0", penalty: "0", collateral_returned: String(collateral) });
  const proceeds = received + pay;
  assert.deepEqual(await ledger(home), { free: String(proceeds), locked: "0" });
  assert.deepEqual(await ledger(buyer.address), { free: String(buyerDeposit - pay), locked: "0" });
  // Settlement's AIP: nothing created or lost, only moved between the two accounts.
  assert.equal(await cw20Balance(TOKEN, SETTLEMENT), settlementHeld);

  // 7. Withdraw: more than the free balance is refused, nothing moves; then all of it.
  const over = await wasmExecute("carol-eth", SETTLEMENT, { withdraw: { amount: String(proceeds + 1n) } });
  assert.match(over.refused ?? "", new RegExp(`cannot withdraw ${proceeds + 1n}: ${proceeds} claimable`));
  assert.deepEqual(await ledger(home), { free: String(proceeds), locked: "0" });
  const withdrawn = await ok("carol-eth", SETTLEMENT, { withdraw: {} });
  t0.diagnostic(`gas: withdraw ${withdrawn.gas_used}`);
  assert.equal(await cw20Balance(TOKEN, home), proceeds);
  assert.deepEqual(await ledger(home), { free: "0", locked: "0" });
  assert.equal(await cw20Balance(TOKEN, SETTLEMENT), settlementHeld - proceeds);

  // 8. The proceeds go back over IBC: balanceOf on the EVM chain shows them.
  const lockedNow = await locked();
  const supplyNow = await t.totalSupply();
  const back = await sendToEvm("carol-eth", carol.evmBech32, proceeds);
  assert.ok(!back.refused, back.refused);
  assert.equal(await cw20Balance(TOKEN, home), 0n);
  await until("carol's proceeds as ERC-20", async () => (await t.balanceOf(carol.evm.address)) === proceeds);
  assert.equal(await locked(), lockedNow + proceeds);
  assert.equal(await t.totalSupply(), supplyNow + proceeds);
  await assertConserved();
  t0.diagnostic(`carol ${carol.evm.address} (AIPCHAIN ${home}): received ${received}, sold 2000 Wh at ${price} uaip/kWh, ${proceeds} uaip back on the EVM chain`);
});
