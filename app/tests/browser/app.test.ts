// The prosumer app in headless Chromium against the localnet: the Keplr
// stand-in holds real CosmJS keys, the proof is made by the wasm prover in
// the page's Web Worker, transactions go to wasmd, intents to aip-gateway.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { canonicalText, intentHash, type SignedIntent } from "../../src/lib/intent";
import { MESSAGES } from "../../src/lib/wallet";
import { nextSlots } from "../../src/pages/Trade";
import { installKeplr, type StandIn, type WalletMode } from "./keplr";
import { installEthereum } from "./ethereum";
import { Wallet, type HDNodeWallet } from "ethers";
import { ripemd160, sha256 } from "@cosmjs/crypto";
import { fromHex, toBech32 } from "@cosmjs/encoding";
import { accounts, addressOf, CHAIN_ID, CORRIDORS, OUT, RPC, startStack, ZONES, type Stack } from "./stack";
import { slotLabel } from "../../src/pages/common";
import { formatAip } from "../../src/lib/chain";
import { suggestedOrder, suggestionText, signedWh, type ForecastAnswer } from "../../src/lib/forecast";

const SHOTS = join(OUT, "screenshots");
const figures: Record<string, number> = {};
let stack: Stack;
let browser: Browser;
const mnemonics = accounts();

interface Opened {
  context: BrowserContext;
  page: Page;
  keplr: StandIn | null;
  requests: string[];
}

async function open(
  account: string | null,
  opts: { mode?: WalletMode; storage?: string; hash?: string; eth?: HDNodeWallet } = {},
): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, storageState: opts.storage });
  const keplr = account ? await installKeplr(context, mnemonics[account], account, "wasm", opts.mode ?? "ok") : null;
  if (opts.eth) await installEthereum(context, opts.eth);
  const page = await context.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(`${r.method()} ${r.url()} ${r.postData() ?? ""}`));
  page.on("pageerror", (e) => console.error(`[page error] ${e.message}`));
  page.on("worker", (w) => {
    w.on("console", (m) => console.error(`[worker console] ${m.text()}`));
  });
  page.on("console", (m) => {
    if (m.type() === "error") console.error(`[page console] ${m.text()}`);
  });
  await page.goto(`${stack.appUrl}/${opts.hash ?? "#/connect"}`);
  return { context, page, keplr, requests };
}

async function connect(page: Page) {
  await page.getByRole("button", { name: "Connect Keplr" }).first().click();
  // Connected, or the page's error (which then fails the test with its text).
  await page.getByTestId("header-address").or(page.getByTestId("error")).first().waitFor();
  if (await page.getByTestId("error").count()) throw new Error(`connect failed: ${await alertText(page)}`);
}

const requireCjs = createRequire(import.meta.url);

/** axe-core on the page as it is now; returns the serious and critical violations (all written to test-output). */
async function axeSerious(page: Page, name: string) {
  await page.addScriptTag({ path: requireCjs.resolve("axe-core/axe.min.js") });
  const violations = await page.evaluate(async () => {
    type Node = { target: string[]; any: { data?: unknown }[] };
    const axe = (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; nodes: Node[] }[] }> } }).axe;
    const r = await axe.run(document);
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(" "), data: n.any[0]?.data })),
    }));
  });
  writeFileSync(join(OUT, `axe-${name}.json`), JSON.stringify(violations, null, 2));
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

const alertText = async (page: Page) => (await page.getByTestId("error").innerText()).replace(/\s+/g, " ");

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack();
  browser = await chromium.launch({ executablePath: process.env.AIP_CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  writeFileSync(join(OUT, "figures.json"), JSON.stringify(figures, null, 2) + "\n");
});

describe("connect", () => {
  it("without Keplr the page says to install it", async () => {
    const { page, context } = await open(null);
    await page.getByRole("button", { name: "Connect Keplr" }).first().click();
    expect(await alertText(page)).toContain(MESSAGES.missing);
    await context.close();
  });

  it("a locked Keplr is reported as locked", async () => {
    const { page, context, keplr } = await open("alice", { mode: "locked" });
    await page.getByRole("button", { name: "Connect Keplr" }).first().click();
    expect(await alertText(page)).toContain(MESSAGES.locked);
    // The chain was suggested with the deployment's settings before enable failed.
    expect(keplr!.suggested).toEqual([{ chainId: CHAIN_ID, rpc: RPC, bech32: "wasm" }]);
    await context.close();
  });

  it("a deployment for another chain than the node's is refused, naming both", async () => {
    const context = await browser.newContext();
    await installKeplr(context, mnemonics.alice, "alice", "wasm");
    const page = await context.newPage();
    await page.route("**/aip-app.json", async (route) => {
      const res = await route.fetch();
      const cfg = await res.json();
      cfg.deployment.chain_id = "aip-othernet-1";
      await route.fulfill({ response: res, json: cfg });
    });
    await page.goto(`${stack.appUrl}/#/connect`);
    await page.getByRole("button", { name: "Connect Keplr" }).first().click();
    expect(await alertText(page)).toContain(
      `Wrong chain: the node at ${RPC} runs "${CHAIN_ID}", but this app's deployment is for "aip-othernet-1"`,
    );
    await expect(page.getByTestId("header-address").count()).resolves.toBe(0);
    await context.close();
  });

  it("connecting suggests the chain and shows the account", async () => {
    const { page, context, keplr } = await open("alice");
    await page.getByRole("button", { name: "Connect Keplr" }).first().waitFor();
    // Figure (not asserted): from navigation start to the app ready (config loaded, node connected).
    figures.time_to_interactive_ms = Math.round(await page.evaluate(() => performance.now()));
    await connect(page);
    expect(await page.getByTestId("address").innerText()).toBe(keplr!.address);
    await page.screenshot({ path: join(SHOTS, "connect.png"), fullPage: true });
    await context.close();
  });
});

let aliceStorage = "";

describe("onboarding", () => {
  it("creates the identity and proves in the browser; Register mints the reputation token", async () => {
    const { page, context, keplr, requests } = await open("alice", { hash: "#/onboarding" });
    await connect(page);
    await page.getByRole("button", { name: "Create my identity" }).click();
    await page.getByTestId("commitment").or(page.getByTestId("error")).first().waitFor();
    if (await page.getByTestId("error").count()) throw new Error(await alertText(page));
    const commitment = (await page.getByTestId("commitment").innerText()).trim();
    expect(commitment).toMatch(/^[0-9a-f]{64}$/);
    // The provider (aip-kyc) issues the credential and publishes the new tree root.
    const credential = await stack.issue(commitment, "passport:alice");
    await page.getByLabel("Credential from your KYC provider").fill(credential);
    await page.getByRole("button", { name: "Save credential" }).click();
    const before = await stack.query<{ registered: boolean }>("reputation", { reputation: { account: keplr!.address } });
    expect(before.registered).toBe(false);

    const clicked = Date.now();
    await page.getByRole("button", { name: "Prove and register", exact: true }).click();
    await page.getByText("Proving (Groth16)").waitFor({ timeout: 120_000 });
    await page.screenshot({ path: join(SHOTS, "onboarding-proving.png"), fullPage: true });
    await page.getByTestId("token-id").waitFor({ timeout: 540_000 });
    expect(await page.getByTestId("token-id").innerText()).toBe(keplr!.address);
    figures.onboarding_click_to_token_ms = Date.now() - clicked;
    const ms = (await page.getByTestId("proving-time").innerText()).match(/([\d.]+) s/);
    if (ms) figures.in_browser_proving_s = Number(ms[1]);
    await page.screenshot({ path: join(SHOTS, "onboarding.png"), fullPage: true });
    expect(await axeSerious(page, "onboarding-registered")).toEqual([]);

    // On chain: registered, token owned by alice.
    const after = await stack.query<{ registered: boolean; token_id: string }>("reputation", { reputation: { account: keplr!.address } });
    expect(after).toMatchObject({ registered: true, token_id: keplr!.address });
    const elig = await stack.query<{ status: string }>("zk-verifier", { eligibility: { account: keplr!.address } });
    expect(elig.status).toBe("eligible");

    // The identity secret stayed in the browser: no request carried it.
    const identity = JSON.parse((await page.evaluate(() => localStorage.getItem("aipchain.kyc.identity")))!);
    expect(identity.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(requests.length).toBeGreaterThan(5);
    for (const r of requests) {
      expect(r).not.toContain(identity.secret);
      expect(r).not.toContain(identity.trapdoor);
    }
    aliceStorage = join(OUT, "alice-storage.json");
    await context.storageState({ path: aliceStorage });
    await context.close();
  });

  it("a proof for an identity another account used is refused by the chain, and the page says so", async () => {
    expect(aliceStorage).not.toBe("");
    // Dave in the same browser, with alice's identity and credential in its storage.
    const { page, context, keplr } = await open("dave", { hash: "#/onboarding", storage: aliceStorage });
    await connect(page);
    await page.getByRole("button", { name: "Prove and register", exact: true }).click();
    await page.getByTestId("error").waitFor({ timeout: 540_000 });
    const text = await alertText(page);
    expect(text).toContain("Registration refused by the chain:");
    expect(text).toMatch(/nullifier [0-9a-f]+ was already used by wasm1\w+: this identity has registered another account/);
    await page.screenshot({ path: join(SHOTS, "onboarding-used-identity.png"), fullPage: true });
    const dave = await stack.query<{ registered: boolean }>("reputation", { reputation: { account: keplr!.address } });
    expect(dave.registered).toBe(false);
    await context.close();
  });
});

async function book(slot: number): Promise<{ hash: string; signed: SignedIntent }[]> {
  const res = await fetch(`${stack.gatewayUrl}/v1/book/${slot}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { intents: { hash: string; signed: SignedIntent }[] }).intents;
}

async function place(page: Page, side: "Bid (buy)" | "Offer (sell)", wh: number, price: number) {
  await page.getByText(side, { exact: true }).click();
  await page.getByLabel("Energy (Wh)").fill(String(wh));
  await page.getByLabel(/(Highest|Lowest) price/).fill(String(price));
  await page.getByRole("button", { name: /Sign and place/ }).click();
}

describe("wallet", () => {
  it("a deposit above the AIP balance is refused before signing, with both amounts", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/wallet" });
    await connect(page);
    await page.getByTestId("aip-balance").getByText(/AIP$/).waitFor();
    await page.getByLabel("Amount (AIP)").fill("2000000");
    await page.getByRole("button", { name: "Deposit" }).click();
    expect(await alertText(page)).toContain("Balance too small: you hold 1,000,000.000000 AIP, the deposit is 2,000,000.000000 AIP.");
    expect(keplr!.signedTexts).toHaveLength(0);
    await page.screenshot({ path: join(SHOTS, "wallet.png"), fullPage: true });
    await context.close();
  });

  it("deposit, then withdraw part, through the settlement deposit account; the page shows the chain's balances", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/wallet" });
    await connect(page);
    const aip = async () => (await stack.query<{ balance: string }>("aip-token", { balance: { address: keplr!.address } })).balance;
    const before = BigInt(await aip());
    await page.getByLabel("Amount (AIP)").fill("100");
    await page.getByRole("button", { name: "Deposit" }).click();
    await page.getByText("Deposited 100.000000 AIP.").waitFor();
    await expect.poll(() => page.getByTestId("free").innerText()).toBe("100.000000 AIP");
    expect(BigInt(await aip())).toBe(before - 100_000_000n);
    // Keep 60 AIP in the market for the trades below.
    await page.getByLabel("Amount (AIP, empty = all free)").fill("40");
    await page.getByRole("button", { name: "Withdraw" }).click();
    await page.getByText("Withdrew 40.000000 AIP.").waitFor();
    await expect.poll(() => page.getByTestId("free").innerText()).toBe("60.000000 AIP");
    expect(BigInt(await aip())).toBe(before - 60_000_000n);
    await expectBalancesShown(page, keplr!.address);
    await context.close();
  });
});

/** The Wallet page's four figures equal the chain's (cw20 balance, settlement deposit account). */
async function expectBalancesShown(page: Page, account: string) {
  const cw20 = await stack.query<{ balance: string }>("aip-token", { balance: { address: account } });
  const acct = await stack.query<{ free: string; locked: string; claimable: string }>("settlement", { balance: { account } });
  await expect.poll(() => page.getByTestId("aip-balance").innerText()).toBe(formatAip(cw20.balance));
  await expect.poll(() => page.getByTestId("free").innerText()).toBe(formatAip(acct.free));
  await expect.poll(() => page.getByTestId("locked").innerText()).toBe(formatAip(acct.locked));
  await expect.poll(() => page.getByTestId("claimable").innerText()).toBe(formatAip(acct.claimable));
}

describe("trade", () => {
  it("bids and offers signed in the page reach the gateway's book; a cancel removes one; the stream shows both", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/trade" });
    await connect(page);
    // The stream is open before the orders go in.
    await page.getByTestId("live").getByText("live", { exact: true }).waitFor();
    await place(page, "Bid (buy)", 1500, 180000);
    await page.getByTestId("success").waitFor();
    await place(page, "Offer (sell)", 2000, 95000);
    await page.getByText(/Your offer .* is in the book/).waitFor();

    // The gateway's book holds both, signed by alice's key, hashed like the contract.
    const texts = keplr!.signedTexts;
    expect(texts).toHaveLength(2);
    const first = JSON.parse(texts[0]) as { slot_from: number };
    const entries = await book(first.slot_from);
    const mine = entries.filter((e) => e.signed.intent.owner === keplr!.address);
    expect(mine.map((e) => [e.signed.intent.side, e.signed.intent.wh, e.signed.intent.limit_price])).toEqual([
      ["buy", 1500, 180000],
      ["sell", 2000, 95000],
    ]);
    for (const [i, e] of mine.entries()) {
      expect(canonicalText(e.signed.intent)).toBe(texts[i]);
      expect(intentHash(e.signed.intent)).toBe(e.hash);
      expect(e.signed.signature.kind).toBe("cosmos_adr036");
    }
    await page.locator("[data-testid=open-intents] tbody tr").nth(1).waitFor();
    await expect(page.getByTestId("events").innerText()).resolves.toMatch(/accepted .*\(sell 2000 Wh\)/);
    await page.screenshot({ path: join(SHOTS, "trade.png"), fullPage: true });
    expect(await axeSerious(page, "trade-with-orders")).toEqual([]);

    // Cancel the bid: signed in the page (cancel text), gone from the book.
    await page.getByRole("button", { name: `Cancel ${mine[0].hash.slice(0, 8)}…${mine[0].hash.slice(-4)}` }).click();
    await expect.poll(async () => (await book(first.slot_from)).map((e) => e.hash), { timeout: 15_000 }).toEqual(
      entries.filter((e) => e.hash !== mine[0].hash).map((e) => e.hash),
    );
    expect(JSON.parse(keplr!.signedTexts[2])).toEqual({ cancel: mine[0].hash, type: "aipchain/cancel/v1" });
    await page.locator(`[data-hash="${mine[0].hash}"]`).waitFor({ state: "detached" });
    await expect(page.getByTestId("events").innerText()).resolves.toContain(`cancelled ${mine[0].hash.slice(0, 8)}`);
    await context.close();
  });

  it("an offer signed with an Ethereum key (MetaMask, EIP-712) is in the book under that key's Cosmos account, and its EIP-712 cancel removes it", async () => {
    const wallet = Wallet.createRandom();
    const owner = toBech32("wasm", ripemd160(sha256(fromHex(wallet.signingKey.compressedPublicKey.slice(2)))));
    const { page, context } = await open("alice", { hash: "#/trade", eth: wallet });
    await connect(page);
    await page.getByText("Sign with MetaMask (EIP-712)", { exact: true }).click();
    await place(page, "Offer (sell)", 700, 88000);
    await page.getByTestId("success").or(page.getByTestId("error")).first().waitFor();
    if (await page.getByTestId("error").count()) throw new Error(await alertText(page));
    expect(await page.getByTestId("eth-account").innerText()).toBe(`MetaMask ${wallet.address} trades as ${owner}`);
    // In the gateway's book (which verified the EIP-712 signature and the owner).
    const findMine = async () => {
      const { now } = (await (await fetch(`${stack.gatewayUrl}/health`)).json()) as { now: number };
      const books = await Promise.all(nextSlots(now - 120, 300, 3).map((s) => book(s)));
      return books.flat().filter((e) => e.signed.intent.owner === owner);
    };
    const mine = await findMine();
    expect(mine).toHaveLength(1);
    expect(mine[0].signed.signature.kind).toBe("eth_eip712");
    expect(mine[0].signed.intent).toMatchObject({ side: "sell", wh: 700, limit_price: 88000 });
    expect(intentHash(mine[0].signed.intent)).toBe(mine[0].hash);
    await page.screenshot({ path: join(SHOTS, "trade-metamask.png"), fullPage: true });
    // Cancel, signed with EIP-712 Cancel(bytes32 intent).
    await page.locator(`[data-hash="${mine[0].hash}"]`).getByRole("button", { name: /Cancel/ }).click();
    await expect.poll(async () => (await findMine()).length, { timeout: 15_000 }).toBe(0);
    await context.close();
  });

  it("a bid beyond the deposit is refused by the gateway (free balance read from the chain) and the page shows its reason", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/trade" });
    await connect(page);
    // 1,000,000 Wh at 100,000 uaip/kWh needs 100,000,000 uaip of escrow.
    await place(page, "Bid (buy)", 1_000_000, 100_000);
    const text = await (await page.getByTestId("error").elementHandle())!.innerText();
    expect(text).toContain("The gateway refused the order:");
    expect(text).toContain("(insufficient_balance)");
    // The gateway read alice's free balance from the settlement contract.
    const { free } = await stack.query<{ free: string }>("settlement", { balance: { account: keplr!.address } });
    expect(free).toBe("60000000");
    expect(text).toMatch(new RegExp(`needs \\d+ uaip free for this bid on top of 0 reserved by open bids, has ${free}\\b`));
    await context.close();
  });

  it("an order for a slot whose gate closed is refused with the gateway's reason", async () => {
    const { page, context } = await open("alice", { hash: "#/trade" });
    // The page believes it is earlier than it is: it offers the slot that is running now
    // (its window still open, so the refusal is the gate, not the expiry).
    // The gateway's clock (it follows the localnet's test clock, which may be ahead of the wall clock).
    const gatewayNow = async () => ((await (await fetch(`${stack.gatewayUrl}/health`)).json()) as { now: number }).now;
    if ((await gatewayNow()) % 900 > 870) await new Promise((ok) => setTimeout(ok, 31_000));
    const now = await gatewayNow();
    const current = Math.floor(now / 900) * 900;
    // nextSlots(current - 361, 300) offers `current` first.
    await page.route("**/gateway/health", (route) =>
      route.fulfill({ json: { status: "ok", intents: 0, now: current - 361 } }),
    );
    await page.reload();
    await connect(page);
    await place(page, "Offer (sell)", 1000, 90000);
    const text = await (await page.getByTestId("error").elementHandle())!.innerText();
    expect(text).toContain("The gateway refused the order:");
    expect(text).toContain("(gate_closed)");
    await page.screenshot({ path: join(SHOTS, "trade-gate-closed.png"), fullPage: true });
    await context.close();
  });
});

describe("forecast", () => {
  it("the Trade page shows the gateway's forecast for the account's meter and pre-fills the order from it; the user can change it", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/trade" });
    await connect(page);
    // The meter field holds alice's own meter (meter-oracle registry): the forecast is that meter's.
    await page.getByText(`yours: ${stack.meters.alice}`, { exact: true }).waitFor();
    await expect.poll(() => page.getByRole("heading", { name: /^My forecast/ }).innerText()).toBe(`My forecast (meter ${stack.meters.alice})`);
    const rows = page.locator("[data-testid=forecast] tbody tr");
    await rows.first().waitFor({ timeout: 30_000 });
    // The endpoint's numbers for alice's meter (household 0 of the SimBench data).
    const res = await fetch(`${stack.gatewayUrl}/v1/forecast/${stack.meters.alice}?slots=9`);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as ForecastAnswer;
    expect(answer.meter).toBe(stack.meters.alice);
    const bySlot = new Map(answer.slots.map((f) => [f.slot, f]));
    const shown = await rows.evaluateAll((trs) =>
      trs.map((tr) => {
        const cell = (c: string) => (tr.querySelector(`[data-col=${c}]`) as HTMLElement).innerText.trim();
        return { slot: Number(tr.getAttribute("data-slot")), load: cell("load"), pv: cell("pv"), surplus: cell("surplus"), suggests: cell("suggests") };
      }),
    );
    // Every slot the page offers has its row (the page asked the gateway for one slot more than it shows).
    expect(shown).toHaveLength(8);
    for (const r of shown) {
      const f = bySlot.get(r.slot);
      expect(f, `slot ${r.slot} is not in the gateway's answer`).toBeDefined();
      expect(r).toEqual({ slot: f!.slot, load: String(f!.load_wh), pv: String(f!.pv_wh), surplus: signedWh(f!.surplus_wh), suggests: suggestionText(f!) });
    }
    // The first slot is selected and the order is pre-filled from its forecast
    // (household 0 has no PV panel: a deficit, so a bid for it).
    const sideLabel = (side: "buy" | "sell") => (side === "buy" ? "Bid (buy)" : "Offer (sell)");
    const first = bySlot.get(shown[0].slot)!;
    const want = suggestedOrder(first);
    expect(want, JSON.stringify(first)).not.toBeNull();
    await expect(page.getByRole("combobox", { name: "Delivery slot" }).inputValue()).resolves.toBe(slotLabel(first.slot));
    await expect.poll(() => page.getByLabel("Energy (Wh)").inputValue()).toBe(String(want!.wh));
    await expect(page.getByRole("radio", { name: sideLabel(want!.side) }).isChecked()).resolves.toBe(true);
    expect(await page.getByTestId("prefill-note").innerText()).toBe(
      `Pre-filled from your forecast for ${slotLabel(first.slot)}: ${suggestionText(first)}. Change side and energy as you like.`,
    );
    await page.screenshot({ path: join(SHOTS, "trade-forecast.png"), fullPage: true });
    expect(await axeSerious(page, "trade-forecast")).toEqual([]);

    // "Use" on the second row: that slot and its forecast; placed as pre-filled, the signed intent carries them.
    const second = bySlot.get(shown[1].slot)!;
    const want2 = suggestedOrder(second);
    expect(want2, JSON.stringify(second)).not.toBeNull();
    await page.getByRole("button", { name: `Use the forecast for ${slotLabel(second.slot)}` }).click();
    await expect(page.getByRole("combobox", { name: "Delivery slot" }).inputValue()).resolves.toBe(slotLabel(second.slot));
    await expect.poll(() => page.getByLabel("Energy (Wh)").inputValue()).toBe(String(want2!.wh));
    await expect(page.getByRole("radio", { name: sideLabel(want2!.side) }).isChecked()).resolves.toBe(true);
    await page.getByLabel(/(Highest|Lowest) price/).fill(want2!.side === "buy" ? "150000" : "90000");
    await page.getByRole("button", { name: /Sign and place/ }).click();
    await page.getByTestId("success").or(page.getByTestId("error")).first().waitFor();
    if (await page.getByTestId("error").count()) throw new Error(await alertText(page));
    const mineIn = async (slot: number) => (await book(slot)).filter((e) => e.signed.intent.owner === keplr!.address);
    const prefilledIntent = (await mineIn(second.slot)).find((e) => e.signed.intent.side === want2!.side && e.signed.intent.wh === want2!.wh);
    expect(prefilledIntent, JSON.stringify(await mineIn(second.slot))).toBeDefined();

    // The user changes side and energy: the forecast does not take them back; the offer is signed as changed.
    await page.getByText("Offer (sell)", { exact: true }).click();
    await page.getByLabel("Energy (Wh)").fill("321");
    await expect(page.getByTestId("prefill-note").count()).resolves.toBe(0);
    await page.getByLabel(/(Highest|Lowest) price/).fill("90000");
    await page.getByRole("button", { name: "Sign and place offer" }).click();
    await page.getByText(/Your offer .* is in the book/).waitFor();
    const offer = (await mineIn(second.slot)).find((e) => e.signed.intent.side === "sell" && e.signed.intent.wh === 321);
    expect(offer?.signed.intent).toMatchObject({ side: "sell", wh: 321, limit_price: 90000, meter: stack.meters.alice });

    // Both withdrawn again (cancels signed in the page), so later slots start from an empty book.
    for (const e of [prefilledIntent!, offer!]) {
      await page.locator(`[data-hash="${e.hash}"]`).getByRole("button", { name: /Cancel/ }).click();
      await page.locator(`[data-hash="${e.hash}"]`).waitFor({ state: "detached" });
    }
    await expect.poll(async () => (await mineIn(second.slot)).length, { timeout: 15_000 }).toBe(0);
    await context.close();
  });

  it("a meter without a household in the forecast data: the page says why", async () => {
    const { page, context } = await open("alice", { hash: "#/trade" });
    await connect(page);
    // After the registry answered (it sets the field to alice's meter), another meter is typed in.
    await page.getByText(`yours: ${stack.meters.alice}`, { exact: true }).waitFor();
    await page.locator("[data-testid=forecast] tbody tr").first().waitFor({ timeout: 30_000 });
    await page.getByLabel("Meter").fill("100000");
    const res = await fetch(`${stack.gatewayUrl}/v1/forecast/100000?slots=9`);
    expect(res.status).toBe(404);
    const { reason } = (await res.json()) as { reason: string };
    await expect.poll(() => page.getByTestId("forecast-note").innerText()).toBe(`No forecast for meter 100000: ${reason}`);
    expect(reason).toMatch(/^meter 100000 has no household in the forecast data \(meters 1\.\.=\d+\)$/);
    await expect(page.locator("[data-testid=forecast]").count()).resolves.toBe(0);
    await context.close();
  });
});

describe("reputation", () => {
  it("shows the newly registered account's tier and terms; a dispute on a trade that does not exist is refused with the contract's reason", async () => {
    const { page, context, keplr } = await open("alice", { hash: "#/reputation" });
    await connect(page);
    const terms = await stack.query<{ tier: string; collateral_ratio_bps: number }>("reputation", { trading_terms: { account: keplr!.address } });
    await expect.poll(() => page.getByTestId("tier").innerText()).toBe(terms.tier.toUpperCase());
    await expect(page.getByTestId("collateral").innerText()).resolves.toBe(`${terms.collateral_ratio_bps / 100} %`);
    await page.getByLabel("Trade id").fill("424242");
    await page.getByLabel("Reason").fill("meter was offline");
    await page.getByRole("button", { name: "Open dispute" }).click();
    await page.getByTestId("error").waitFor();
    expect(await alertText(page)).toContain("trade 424242 does not exist");
    await page.screenshot({ path: join(SHOTS, "reputation-dispute-refused.png"), fullPage: true });
    expect(await axeSerious(page, "reputation-dispute-refused")).toEqual([]);
    await context.close();
  });
});

describe("market", () => {
  it("the zone map and the corridor table show the grid operator's zones, capacities and fees", async () => {
    const { page, context } = await open("alice", { hash: "#/market" });
    const map = page.getByTestId("zone-map");
    await map.waitFor();
    for (const z of ZONES) await expect(map.getByText(z.name, { exact: true }).count()).resolves.toBe(1);
    for (const c of CORRIDORS) {
      await expect(map.getByText(`0/${c.capacity_wh} Wh · fee ${c.fee_per_kwh}`).count()).resolves.toBe(1);
      const row = page.getByRole("row", { name: new RegExp(`${ZONES[c.from_zone - 1].name} ${ZONES[c.to_zone - 1].name} ${c.capacity_wh} 0 ${c.fee_per_kwh}`) });
      await expect(row.count()).resolves.toBe(1);
    }
    await expect(page.getByTestId("chart").count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, "market.png"), fullPage: true });
    await context.close();
  });
});

interface ChainTrade {
  id: number;
  buyer: string;
  seller: string;
  meter: number;
  wh: string;
  fee: string;
  status: string;
  settlement: { delivered_wh: string; seller_paid: string; buyer_refund: string; penalty: string } | null;
}

/** In-app navigation (the wallet stays connected). */
async function go(page: Page, id: string) {
  await page.goto(`${stack.appUrl}/#/${id}`);
  await page.getByRole("heading", { level: 2, name: id[0].toUpperCase() + id.slice(1), exact: true }).waitFor();
}

/** Chooses `slot` in the Trade page's slot list and places an order. */
async function placeIn(page: Page, slot: number, side: "Bid (buy)" | "Offer (sell)", wh: number, price: number) {
  await page.getByRole("combobox", { name: "Delivery slot" }).click();
  await page.getByRole("option", { name: slotLabel(slot) }).click();
  await place(page, side, wh, price);
  await page.getByTestId("success").or(page.getByTestId("error")).first().waitFor();
  if (await page.getByTestId("error").count()) throw new Error(await alertText(page));
}

describe("a slot from the browser", () => {
  it("alice's offer clears against two bids (online matcher), is metered (oracle), one trade disputed, the other settled and reviewed: the page shows delivery, payment, penalty and fee as on chain", async () => {
    const settlement = stack.deployment.contracts["settlement"].address;
    const trades = async (slot: number) => (await stack.query<{ trades: ChainTrade[] }>("settlement", { trades_by_slot: { slot } })).trades;
    // The counterparties deposit 10 AIP each (cw20 send with {"deposit":{}}) from the command line.
    const deposit = Buffer.from(JSON.stringify({ deposit: {} })).toString("base64");
    for (const name of ["bob", "carol"]) await stack.execute("aip-token", { send: { contract: settlement, amount: "10000000", msg: deposit } }, name);
    const [aliceAddr, bobAddr, carolAddr] = await Promise.all(["alice", "bob", "carol"].map((n) => addressOf(mnemonics[n])));

    // A slot no earlier test used: the third the page offers.
    const { now } = (await (await fetch(`${stack.gatewayUrl}/health`)).json()) as { now: number };
    const slot = nextSlots(now, 300, 3)[2];
    const alice = await open("alice", { hash: "#/trade" });
    await connect(alice.page);
    // The meter field defaults to the account's own active meter (meter-oracle registry).
    await expect.poll(() => alice.page.getByLabel("Meter").inputValue()).toBe(String(stack.meters.alice));
    await placeIn(alice.page, slot, "Offer (sell)", 2000, 90_000);
    // bob (zone South: the trade crosses the corridor and pays its fee) and carol (zone North) bid from their own browsers.
    for (const [name, wh, price] of [["bob", 1000, 180_000], ["carol", 800, 150_000]] as const) {
      const other = await open(name, { hash: "#/trade" });
      await connect(other.page);
      await expect.poll(() => other.page.getByLabel("Meter").inputValue()).toBe(String(stack.meters[name]));
      await placeIn(other.page, slot, "Bid (buy)", wh, price);
      await other.context.close();
    }

    // Gate closure: the gateway freezes the book, the online matcher commits it.
    const advanced = Date.now();
    await stack.advanceTo(slot - 300 + 2);
    try {
      await expect.poll(async () => (await trades(slot)).length, { timeout: 90_000, interval: 250 }).toBe(2);
    } catch (e) {
      // The agent's own account of the cycle is the fastest way to the cause.
      console.error(`aip-matcher log:\n${stack.matcherLog()}`);
      throw e;
    }
    // Figure (not asserted): from moving the chain's clock past the gate (`ci/localnet.sh advance`,
    // which returns once a block carries the new time) to both trades on chain.
    figures.advance_past_gate_to_committed_ms = Date.now() - advanced;
    const committed = await trades(slot);
    const toBob = committed.find((t) => t.buyer === bobAddr)!;
    const toCarol = committed.find((t) => t.buyer === carolAddr)!;
    expect([toBob?.seller, toBob?.wh, toCarol?.seller, toCarol?.wh]).toEqual([aliceAddr, "1000", aliceAddr, "800"]);
    expect(BigInt(toBob.fee)).toBeGreaterThan(0n);
    expect(stack.matcherLog()).not.toMatch(/panicked/);
    await go(alice.page, "reputation");
    await go(alice.page, "trade");
    await alice.page.locator(`[data-trade="${toBob.id}"]`).waitFor();

    // After the slot alice's meter reports 900 Wh exported of the 1,800 contracted (device-signed, real aip-oracle).
    await stack.advanceTo(slot + 900 + 2);
    await stack.report(slot, [{ meter: stack.meters.alice, exported_wh: 900, imported_wh: 0 }]);
    await stack.execute("settlement", { fetch_deliveries: { slot, limit: 100 } }, "validator");
    const status = await stack.query<{ meters: number; meters_reported: number; settle_from: number | null }>("settlement", { slot_status: { slot } });
    expect([status.meters, status.meters_reported]).toEqual([1, 1]);

    // Within the window alice disputes carol's trade from the Reputation page (bond through cw20 send).
    await go(alice.page, "reputation");
    await alice.page.getByLabel("Trade id").fill(String(toCarol.id));
    await alice.page.getByLabel("Reason").fill("my meter shows more than the oracle");
    await alice.page.getByRole("button", { name: "Open dispute" }).click();
    await alice.page.getByTestId("success").or(alice.page.getByTestId("error")).first().waitFor();
    if (await alice.page.getByTestId("error").count()) throw new Error(await alertText(alice.page));
    expect(await alice.page.getByTestId("success").innerText()).toContain(`Dispute on trade ${toCarol.id} opened`);
    const dispute = await stack.query<{ opened_by: string; reason: string; ruling: unknown; bond: string }>("settlement", { dispute: { trade_id: toCarol.id } });
    expect(dispute).toMatchObject({ opened_by: aliceAddr, reason: "my meter shows more than the oracle", ruling: null });

    // After the window the slot settles; the disputed trade waits for its ruling.
    await stack.advanceTo(status.settle_from! + 2);
    await stack.execute("settlement", { settle: { slot, limit: 100 } }, "validator");
    const settled = (await trades(slot)).find((t) => t.id === toBob.id)!;
    const s = settled.settlement!;
    expect(s).not.toBeNull();
    expect(BigInt(s.delivered_wh)).toBeLessThan(1000n);
    expect(BigInt(s.penalty)).toBeGreaterThan(0n);
    expect((await trades(slot)).find((t) => t.id === toCarol.id)!.settlement).toBeNull();

    // The Trade page shows the settled trade as the chain has it.
    await go(alice.page, "trade");
    const row = alice.page.locator(`[data-trade="${toBob.id}"]`);
    await expect.poll(() => row.locator("[data-col=delivered]").innerText(), { timeout: 15_000 }).toBe(s.delivered_wh);
    const cells = async () =>
      Promise.all(["seller-paid", "refund", "penalty", "fee", "wh"].map((c) => row.locator(`[data-col=${c}]`).innerText()));
    expect(await cells()).toEqual([formatAip(s.seller_paid), formatAip(s.buyer_refund), formatAip(s.penalty), formatAip(settled.fee), settled.wh]);
    await alice.page.screenshot({ path: join(SHOTS, "trade-settled.png"), fullPage: true });
    expect(await axeSerious(alice.page, "trade-settled")).toEqual([]);

    // alice reviews the settled trade; the review is on chain.
    await go(alice.page, "reputation");
    await alice.page.getByRole("combobox", { name: "Trade", exact: true }).click();
    await alice.page.getByRole("option", { name: new RegExp(`^#${toBob.id} `) }).click();
    await alice.page.getByRole("button", { name: "Submit review" }).click();
    await alice.page.getByText(`Review of trade ${toBob.id} recorded.`).waitFor();
    const reviews = await stack.query<{ count: number }>("reputation", { pair_reviews: { reviewer: aliceAddr, reviewed: bobAddr } });
    expect(reviews.count).toBe(1);
    await alice.page.screenshot({ path: join(SHOTS, "reputation-reviewed.png"), fullPage: true });

    // The wallet shows the chain's balances after the slot.
    await go(alice.page, "wallet");
    await expectBalancesShown(alice.page, aliceAddr);
    await alice.page.screenshot({ path: join(SHOTS, "wallet-after-slot.png"), fullPage: true });
    await alice.context.close();
  });
});

describe("every page", () => {
  for (const id of ["connect", "onboarding", "wallet", "trade", "reputation", "market"]) {
    it(`${id}: screenshot, and no serious or critical accessibility violation (axe-core)`, async () => {
      const { page, context } = await open("alice", { hash: `#/${id}` });
      await connect(page);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.waitForLoadState("networkidle").catch(() => undefined);
      await page.screenshot({ path: join(SHOTS, `page-${id}.png`), fullPage: true });
      expect(await axeSerious(page, id)).toEqual([]);
      await context.close();
    });
  }
});
