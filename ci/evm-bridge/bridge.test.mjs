// End-to-end tests of the AIP bridge: wasmd (cw20-ics20 `aip-ics20`) <-> the
// EVM chain (ICS-20 transfer + x/erc20) over IBC, relayed by Hermes, with the
// ERC-20 side driven by ethers.js over Ethereum JSON-RPC.
//
// Run by ci/evm-bridge-test.sh, which starts both chains, deploys, opens the
// channel and exports the variables read below. Uses node's test runner
// (`node --test`); the tests run in file order and share the chains.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
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
