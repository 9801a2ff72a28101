// EIP-712 encoding against packages/aip-types/testdata/intents.json: the
// digest a MetaMask user would sign equals the contract's, byte for byte.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cancelDigest, domainSalt, domainSeparator, orderDigest, orderStructHash, orderTypedData, ORDER_TYPE, toHex712 } from "../../src/lib/eip712";
import type { OrderIntent } from "../../src/lib/intent";

const fx = JSON.parse(readFileSync(new URL("../../../packages/aip-types/testdata/intents.json", import.meta.url), "utf8")) as {
  domain: { chain_id: string; contract: string; eip712_salt_hex: string; eip712_domain_separator_hex: string };
  eip712_types: { Order: string };
  cases: { intent: OrderIntent; hash_hex: string; eip712_struct_hash_hex: string; eip712_digest_hex: string; eip712_cancel_digest_hex: string }[];
};

describe("EIP-712 against the contract's fixtures", () => {
  it("the Order type string is the contract's", () => {
    expect(ORDER_TYPE).toBe(fx.eip712_types.Order);
  });
  it("the domain salt and separator are the contract's", () => {
    expect(toHex712(domainSalt(fx.domain.chain_id, fx.domain.contract))).toBe(fx.domain.eip712_salt_hex);
    expect(toHex712(domainSeparator(fx.domain.chain_id, fx.domain.contract))).toBe(fx.domain.eip712_domain_separator_hex);
  });
  for (const [n, c] of fx.cases.entries()) {
    it(`case ${n}: struct hash, digest and cancel digest are the contract's`, () => {
      expect(toHex712(orderStructHash(c.intent))).toBe(c.eip712_struct_hash_hex);
      expect(toHex712(orderDigest(c.intent))).toBe(c.eip712_digest_hex);
      expect(toHex712(cancelDigest(c.intent.chain_id, c.intent.contract, c.hash_hex))).toBe(c.eip712_cancel_digest_hex);
    });
  }
  it("another contract gives another digest (the salt binds it)", () => {
    const c = fx.cases[0];
    expect(toHex712(orderDigest({ ...c.intent, contract: c.intent.contract.replace(/.$/, "x") }))).not.toBe(c.eip712_digest_hex);
  });
  it("the typed data for the wallet carries the salt and the camelCase fields", () => {
    const c = fx.cases[1];
    const td = orderTypedData(c.intent);
    expect(td.domain.salt).toBe(`0x${fx.domain.eip712_salt_hex}`);
    expect(td.message).toMatchObject({ slotFrom: String(c.intent.slot_from), limitPrice: String(c.intent.limit_price), premiumOnly: c.intent.premium_only });
    expect(td.types.Order.map((f) => `${f.type} ${f.name}`).join(",")).toBe(ORDER_TYPE.slice("Order(".length, -1));
  });
});
