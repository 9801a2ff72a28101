// The bytes the app signs equal the contract's canonical encoding: every
// vector of packages/aip-types/testdata/intents.json, byte for byte.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { fromBase64, fromHex, toBase64, toHex, toUtf8 } from "@cosmjs/encoding";
import {
  adr036SignBytes,
  adr036Signature,
  canonicalBytes,
  canonicalText,
  cancelText,
  intentHash,
  IntentError,
  type OrderIntent,
} from "../../src/lib/intent";

interface Case {
  intent: OrderIntent;
  canonical_text: string;
  canonical_bytes_hex: string;
  hash_hex: string;
  adr036_sign_doc: string;
  adr036_digest_hex: string;
  cancel_text: string;
  signed_cosmos: { intent: OrderIntent; signature: { kind: string; pub_key: string; signature: string } };
}
const fixture = JSON.parse(
  readFileSync(new URL("../../../packages/aip-types/testdata/intents.json", import.meta.url), "utf8"),
) as { cases: Case[]; owner: string; private_key_hex: string; pub_key_compressed_hex: string };

describe("intent encoding against packages/aip-types/testdata/intents.json", () => {
  it("has vectors to compare with", () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(2);
  });

  for (const [n, c] of fixture.cases.entries()) {
    describe(`case ${n} (${c.intent.side}, nonce ${c.intent.nonce})`, () => {
      it("canonical bytes equal the contract's", () => {
        expect(canonicalText(c.intent)).toBe(c.canonical_text);
        expect(toHex(canonicalBytes(c.intent))).toBe(c.canonical_bytes_hex);
      });
      it("intent hash equals the contract's", () => {
        expect(intentHash(c.intent)).toBe(c.hash_hex);
      });
      it("the ADR-036 sign doc and its digest equal the contract's", () => {
        const bytes = adr036SignBytes(c.intent.owner, canonicalBytes(c.intent));
        expect(new TextDecoder().decode(bytes)).toBe(c.adr036_sign_doc);
        expect(toHex(sha256(bytes))).toBe(c.adr036_digest_hex);
      });
      it("the cancel text equals the contract's", () => {
        expect(cancelText(c.hash_hex)).toBe(c.cancel_text);
      });
      it("a signature over the sign doc with the test key is the fixture's", async () => {
        const digest = sha256(adr036SignBytes(c.intent.owner, canonicalBytes(c.intent)));
        const sig = await Secp256k1.createSignature(digest, fromHex(fixture.private_key_hex));
        const rs = new Uint8Array([...sig.r(32), ...sig.s(32)]);
        const signed = adr036Signature({
          pub_key: { type: "tendermint/PubKeySecp256k1", value: toBase64(fromHex(fixture.pub_key_compressed_hex)) },
          signature: toBase64(rs),
        });
        // RFC 6979 signatures are deterministic: the same bytes as the Rust side's.
        expect(signed).toEqual(c.signed_cosmos.signature);
        const ok = await Secp256k1.verifySignature(
          Secp256k1Signature.fromFixedLength(fromBase64(c.signed_cosmos.signature.signature)),
          digest,
          fromHex(fixture.pub_key_compressed_hex),
        );
        expect(ok).toBe(true);
      });
    });
  }

  it("a changed field changes the bytes and the hash", () => {
    const c = fixture.cases[0];
    const other = { ...c.intent, wh: c.intent.wh + 1 };
    expect(toHex(canonicalBytes(other))).not.toBe(c.canonical_bytes_hex);
    expect(intentHash(other)).not.toBe(c.hash_hex);
    expect(toHex(toUtf8(canonicalText(c.intent)))).toBe(c.canonical_bytes_hex);
  });
});

describe("intent field rules", () => {
  const base = fixture.cases[0].intent;
  const refused = (change: Partial<OrderIntent>, message: string) => {
    expect(() => canonicalText({ ...base, ...change })).toThrow(IntentError);
    expect(() => canonicalText({ ...base, ...change })).toThrow(message);
  };
  it("refuses a quote in a string", () => refused({ owner: 'wasm1"x' }, "owner may hold only printable ASCII"));
  it("refuses an empty chain id", () => refused({ chain_id: "" }, "chain_id must be 1 to 128 characters, got 0"));
  it("refuses a fractional amount", () => refused({ wh: 1.5 }, "wh must be an integer from 0 to 2^53-1, got 1.5"));
  it("refuses zero energy", () => refused({ wh: 0 }, "wh must be more than 0"));
  it("refuses integers beyond 2^53-1", () => refused({ nonce: 2 ** 53 }, "nonce must be an integer from 0 to 2^53-1"));
  it("refuses a slot off the 15-minute grid", () =>
    refused({ slot_from: base.slot_from + 1 }, "slot_from and slot_until must be multiples of 900 s"));
  it("refuses an empty window", () => refused({ slot_until: base.slot_from }, "slot_until must be after slot_from"));
  it("refuses an unknown side", () => refused({ side: "hold" as never }, 'side must be "buy" or "sell", got "hold"'));
  it("refuses a bad cancel hash", () => expect(() => cancelText("ABC")).toThrow("64 lowercase hex digits"));
});
