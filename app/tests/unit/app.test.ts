// The app's pure helpers: amounts, chain errors, slots, market figures, config.
import { describe, expect, it } from "vitest";
import { chainError, formatAip, parseAip } from "../../src/lib/chain";
import { ConfigError, parseConfig } from "../../src/lib/config";
import { nextSlots } from "../../src/pages/Trade";
import { signedWh, suggestedOrder, suggestionText } from "../../src/lib/forecast";
import { slotPoint } from "../../src/pages/Market";
import type { TradeResponse } from "../../src/contracts/Settlement.types";

describe("AIP amounts", () => {
  it("formats uaip with six decimals and thousands separators", () => {
    expect(formatAip("1000000000000")).toBe("1,000,000.000000 AIP");
    expect(formatAip("1")).toBe("0.000001 AIP");
    expect(formatAip(123456789n)).toBe("123.456789 AIP");
  });
  it("parses AIP into uaip", () => {
    expect(parseAip("100")).toBe("100000000");
    expect(parseAip(" 0.5 ")).toBe("500000");
    expect(parseAip("1.000001")).toBe("1000001");
  });
  it("refuses malformed and zero amounts with a message", () => {
    expect(() => parseAip("1.0000001")).toThrow('"1.0000001" is not an AIP amount (up to 6 decimals)');
    expect(() => parseAip("-3")).toThrow("is not an AIP amount");
    expect(() => parseAip("abc")).toThrow("is not an AIP amount");
    expect(() => parseAip("0")).toThrow("the amount must be more than 0");
  });
});

describe("chain errors", () => {
  it("keeps the contract's reason from a wasmd raw log", () => {
    const raw =
      "Broadcasting transaction failed with code 5 (codespace: wasm). Log: failed to execute message; message index: 0: nullifier ab12 was already used by wasm1xyz: this identity has registered another account: execute wasm contract failed";
    expect(chainError(new Error(raw))).toBe("nullifier ab12 was already used by wasm1xyz: this identity has registered another account");
  });
  it("passes other errors through", () => {
    expect(chainError(new Error("Request rejected"))).toBe("Request rejected");
  });
});

describe("slots", () => {
  it("offers the slots whose gate is open for at least another minute", () => {
    // 10:00:00 with a 300 s gate: the 10:15 slot's gate closes at 10:10, still open.
    const t = 1764064800; // a multiple of 900
    expect(nextSlots(t, 300, 3)).toEqual([t + 900, t + 1800, t + 2700]);
    // 10:09:00 is the last second the 10:15 slot is offered (its gate closes in 60 s).
    expect(nextSlots(t + 540, 300, 1)).toEqual([t + 900]);
    expect(nextSlots(t + 541, 300, 1)).toEqual([t + 1800]);
  });
  it("prices a slot by volume", () => {
    const trade = (wh: number, price: number) => ({ wh: String(wh), price: String(price) }) as TradeResponse;
    expect(slotPoint(900, [trade(1000, 100000), trade(3000, 200000)])).toEqual({ slot: 900, volumeWh: 4000, price: 175000 });
    expect(slotPoint(900, [])).toEqual({ slot: 900, volumeWh: 0, price: null });
  });
});

describe("aip-app.json", () => {
  const good = {
    deployment: {
      chain_id: "aip-localnet-1",
      rpc_url: "http://127.0.0.1:26757",
      prefix: "wasm",
      deployer: "wasm1x",
      contracts: Object.fromEntries(["aip-token", "settlement", "reputation", "zk-verifier"].map((n) => [n, { address: `wasm1${n}`, code_id: 1, label: n }])),
    },
    rest_url: "http://127.0.0.1:1417",
    gateway_url: "/gateway",
    fee_denom: "ustake",
    gas_price: 0.0025,
    chain_name: "AIPCHAIN localnet",
    kyc: { proving_key_url: "/kyc/proving.key", tree_url: "t", sanctions_url: "s", revocations_url: "r" },
  };
  it("accepts a complete config", () => {
    expect(parseConfig(good).deployment.chain_id).toBe("aip-localnet-1");
  });
  it("names what is missing", () => {
    const noZk = structuredClone(good);
    delete (noZk.deployment.contracts as Record<string, unknown>)["zk-verifier"];
    expect(() => parseConfig(noZk)).toThrow(new ConfigError("aip-app.json: the deployment has no zk-verifier contract"));
    expect(() => parseConfig({ ...good, gateway_url: undefined })).toThrow("aip-app.json: gateway_url is missing");
    expect(() => parseConfig({ ...good, deployment: {} })).toThrow("deployment must have chain_id, rpc_url and prefix");
    expect(() => parseConfig(null)).toThrow("aip-app.json is not a JSON object");
  });
});

describe("the household's forecast", () => {
  it("a surplus suggests an offer of it, a deficit a bid for it, a balanced slot nothing", () => {
    expect(suggestedOrder({ surplus_wh: 1234 })).toEqual({ side: "sell", wh: 1234 });
    expect(suggestedOrder({ surplus_wh: -567 })).toEqual({ side: "buy", wh: 567 });
    expect(suggestedOrder({ surplus_wh: 0 })).toBeNull();
    expect(suggestedOrder({ surplus_wh: 1.5 })).toBeNull();
    expect(suggestionText({ surplus_wh: 1234 })).toBe("offer 1234 Wh");
    expect(suggestionText({ surplus_wh: -567 })).toBe("bid 567 Wh");
    expect(suggestionText({ surplus_wh: 0 })).toBe("nothing (balanced)");
  });
  it("shows a surplus with its sign", () => {
    expect(signedWh(1234)).toBe("+1234");
    expect(signedWh(-567)).toBe("-567");
    expect(signedWh(0)).toBe("0");
  });
});
