// EIP-712 for Ethereum keys (MetaMask's eth_signTypedData_v4), as
// packages/aip-types/README.md specifies it: the typed data a wallet is asked
// to sign, and the digest it signs (checked against the Rust side's fixtures).
import { keccak_256 } from "@noble/hashes/sha3";
import { canonicalText, type OrderIntent } from "./intent";

const enc = new TextEncoder();
export const EIP712_NAME = "AIPCHAIN";
export const EIP712_VERSION = "1";
export const DOMAIN_TYPE = "EIP712Domain(string name,string version,bytes32 salt)";
export const ORDER_TYPE =
  "Order(string owner,uint64 nonce,uint64 slotFrom,uint64 slotUntil,string side,uint32 meter,uint64 wh,uint64 limitPrice,bool premiumOnly,uint64 expires)";
export const CANCEL_TYPE_712 = "Cancel(bytes32 intent)";

const keccak = (data: Uint8Array | string) => keccak_256(typeof data === "string" ? enc.encode(data) : data);
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
/** A uint as a 32-byte big-endian word (values up to 2^53 - 1). */
const word = (n: number | boolean) => {
  const w = new Uint8Array(32);
  let v = BigInt(typeof n === "boolean" ? Number(n) : n);
  for (let i = 31; v > 0n; i--, v >>= 8n) w[i] = Number(v & 0xffn);
  return w;
};
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));

/** `keccak256(keccak256(chain_id) ‖ keccak256(contract))`: binds chain and contract. */
export function domainSalt(chainId: string, contract: string): Uint8Array {
  return keccak(concat(keccak(chainId), keccak(contract)));
}

export function domainSeparator(chainId: string, contract: string): Uint8Array {
  return keccak(concat(keccak(DOMAIN_TYPE), keccak(EIP712_NAME), keccak(EIP712_VERSION), domainSalt(chainId, contract)));
}

export function orderStructHash(i: OrderIntent): Uint8Array {
  canonicalText(i); // the same field rules as the ADR-036 path
  return keccak(
    concat(
      keccak(ORDER_TYPE),
      keccak(i.owner),
      word(i.nonce),
      word(i.slot_from),
      word(i.slot_until),
      keccak(i.side),
      word(i.meter),
      word(i.wh),
      word(i.limit_price),
      word(i.premium_only),
      word(i.expires),
    ),
  );
}

/** The digest the wallet signs: `keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(order))`. */
export function orderDigest(i: OrderIntent): Uint8Array {
  return keccak(concat(new Uint8Array([0x19, 0x01]), domainSeparator(i.chain_id, i.contract), orderStructHash(i)));
}

/** The digest of a cancel of intent `hash` (64 hex digits) under the intent's domain. */
export function cancelDigest(chainId: string, contract: string, hash: string): Uint8Array {
  const structHash = keccak(concat(keccak(CANCEL_TYPE_712), fromHex(hash)));
  return keccak(concat(new Uint8Array([0x19, 0x01]), domainSeparator(chainId, contract), structHash));
}

/** The `eth_signTypedData_v4` argument for an intent (numbers as decimal strings, salt as 0x-hex). */
export function orderTypedData(i: OrderIntent) {
  canonicalText(i);
  return {
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "salt", type: "bytes32" },
      ],
      Order: [
        { name: "owner", type: "string" },
        { name: "nonce", type: "uint64" },
        { name: "slotFrom", type: "uint64" },
        { name: "slotUntil", type: "uint64" },
        { name: "side", type: "string" },
        { name: "meter", type: "uint32" },
        { name: "wh", type: "uint64" },
        { name: "limitPrice", type: "uint64" },
        { name: "premiumOnly", type: "bool" },
        { name: "expires", type: "uint64" },
      ],
    },
    primaryType: "Order" as const,
    domain: { name: EIP712_NAME, version: EIP712_VERSION, salt: `0x${hex(domainSalt(i.chain_id, i.contract))}` },
    message: {
      owner: i.owner,
      nonce: String(i.nonce),
      slotFrom: String(i.slot_from),
      slotUntil: String(i.slot_until),
      side: i.side,
      meter: String(i.meter),
      wh: String(i.wh),
      limitPrice: String(i.limit_price),
      premiumOnly: i.premium_only,
      expires: String(i.expires),
    },
  };
}

/** The `eth_signTypedData_v4` argument for a cancel of intent `hash`. */
export function cancelTypedData(chainId: string, contract: string, hash: string) {
  return {
    types: {
      EIP712Domain: [
        { name: "name", type: "string" },
        { name: "version", type: "string" },
        { name: "salt", type: "bytes32" },
      ],
      Cancel: [{ name: "intent", type: "bytes32" }],
    },
    primaryType: "Cancel" as const,
    domain: { name: EIP712_NAME, version: EIP712_VERSION, salt: `0x${hex(domainSalt(chainId, contract))}` },
    message: { intent: `0x${hash}` },
  };
}

export { hex as toHex712 };
