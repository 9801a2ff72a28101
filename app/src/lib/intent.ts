// Signed order intents, byte for byte as packages/aip-types/README.md
// specifies them (canonical bytes, intent hash, ADR-036 sign doc, cancels).
// The contract, the gateway and this file must produce the same bytes: the
// unit tests compare them with packages/aip-types/testdata/intents.json.
import { makeSignDoc, serializeSignDoc, type StdSignDoc, type StdSignature } from "@cosmjs/amino";
import { sha256 } from "@cosmjs/crypto";
import { toBase64, toHex, toUtf8 } from "@cosmjs/encoding";

export const INTENT_TYPE = "aipchain/order-intent/v1";
export const CANCEL_TYPE = "aipchain/cancel/v1";
export const SLOT_SECONDS = 900;
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1

export type Side = "buy" | "sell";

export interface OrderIntent {
  chain_id: string;
  contract: string;
  owner: string;
  nonce: number;
  slot_from: number;
  slot_until: number;
  side: Side;
  meter: number;
  wh: number;
  limit_price: number;
  premium_only: boolean;
  expires: number;
}

export interface Adr036Signature {
  kind: "cosmos_adr036";
  pub_key: string;
  signature: string;
}

export interface Eip712Signature {
  kind: "eth_eip712";
  /** 0x + hex(r ‖ s ‖ v) */
  signature: string;
}

export interface SignedIntent {
  intent: OrderIntent;
  signature: Adr036Signature | Eip712Signature;
}

export class IntentError extends Error {}

function checkString(field: string, value: string): void {
  if (value.length < 1 || value.length > 128) {
    throw new IntentError(`${field} must be 1 to 128 characters, got ${value.length}`);
  }
  for (const ch of value) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c > 0x7e || ch === '"' || ch === "\\") {
      throw new IntentError(`${field} may hold only printable ASCII without " and \\: ${JSON.stringify(value)}`);
    }
  }
}

function checkInteger(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SAFE) {
    throw new IntentError(`${field} must be an integer from 0 to 2^53-1, got ${value}`);
  }
}

/** The field rules of the specification; throws IntentError naming the field. */
export function validateIntent(i: OrderIntent): void {
  checkString("chain_id", i.chain_id);
  checkString("contract", i.contract);
  checkString("owner", i.owner);
  for (const f of ["nonce", "slot_from", "slot_until", "meter", "wh", "limit_price", "expires"] as const) {
    checkInteger(f, i[f]);
  }
  if (i.meter > 0xffffffff) throw new IntentError(`meter must fit in 32 bits, got ${i.meter}`);
  if (i.side !== "buy" && i.side !== "sell") throw new IntentError(`side must be "buy" or "sell", got ${JSON.stringify(i.side)}`);
  if (typeof i.premium_only !== "boolean") throw new IntentError("premium_only must be true or false");
  if (i.wh <= 0) throw new IntentError("wh must be more than 0");
  if (i.slot_from % SLOT_SECONDS !== 0 || i.slot_until % SLOT_SECONDS !== 0) {
    throw new IntentError(`slot_from and slot_until must be multiples of ${SLOT_SECONDS} s`);
  }
  if (i.slot_until <= i.slot_from) throw new IntentError("slot_until must be after slot_from");
}

/** The canonical text: compact JSON with the keys in exactly this order. */
export function canonicalText(i: OrderIntent): string {
  validateIntent(i);
  return JSON.stringify({
    chain_id: i.chain_id,
    contract: i.contract,
    expires: i.expires,
    limit_price: i.limit_price,
    meter: i.meter,
    nonce: i.nonce,
    owner: i.owner,
    premium_only: i.premium_only,
    side: i.side,
    slot_from: i.slot_from,
    slot_until: i.slot_until,
    type: INTENT_TYPE,
    wh: i.wh,
  });
}

export function canonicalBytes(i: OrderIntent): Uint8Array {
  return toUtf8(canonicalText(i));
}

/** The intent's id everywhere: sha256 of the canonical bytes, lowercase hex. */
export function intentHash(i: OrderIntent): string {
  return toHex(sha256(canonicalBytes(i)));
}

/** The text a cancel of intent `hash` signs. */
export function cancelText(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new IntentError(`an intent hash is 64 lowercase hex digits, got ${hash}`);
  return JSON.stringify({ cancel: hash, type: CANCEL_TYPE });
}

/** The ADR-036 amino sign doc a wallet's signArbitrary(chainId, signer, data) signs. */
export function adr036SignDoc(signer: string, data: Uint8Array): StdSignDoc {
  return makeSignDoc(
    [{ type: "sign/MsgSignData", value: { signer, data: toBase64(data) } }],
    { gas: "0", amount: [] },
    "",
    "",
    0,
    0,
  );
}

/** The bytes whose sha256 the key signs (sorted keys, compact). */
export function adr036SignBytes(signer: string, data: Uint8Array): Uint8Array {
  return serializeSignDoc(adr036SignDoc(signer, data));
}

/** The gateway's signature object from what Keplr's signArbitrary returns. */
export function adr036Signature(sig: StdSignature): Adr036Signature {
  return { kind: "cosmos_adr036", pub_key: sig.pub_key.value, signature: sig.signature };
}

/** A fresh nonce: milliseconds since 1970 times 1000 plus a random part (unique per owner in practice). */
export function freshNonce(now: number = Date.now(), random: number = Math.random()): number {
  return now * 1000 + Math.floor(random * 1000);
}
