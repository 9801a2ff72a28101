// Cross-checks testdata/intents.json against the JavaScript libraries a
// browser wallet uses: @cosmjs/amino (the ADR-036 sign doc Keplr signs) and
// ethers (the EIP-712 digest MetaMask signs, and signature recovery).
//
//   cd $(mktemp -d) && npm install @cosmjs/amino@0.32 @cosmjs/crypto@0.32 \
//     @cosmjs/encoding@0.32 ethers@6
//   NODE_PATH=$PWD/node_modules node /path/to/packages/aip-types/testdata/check-intents.mjs
//
// Exits non-zero on the first difference.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? process.cwd(), "x.js"));
const { makeSignDoc, serializeSignDoc } = require("@cosmjs/amino");
const { Secp256k1, Secp256k1Signature, sha256, ripemd160 } = require("@cosmjs/crypto");
const { toBase64, fromBase64, toHex, fromHex, toBech32, toUtf8 } = require("@cosmjs/encoding");
const { TypedDataEncoder, keccak256, concat, id, recoverAddress, SigningKey, computeAddress } =
  require("ethers");

const here = dirname(fileURLToPath(import.meta.url));
const fx = JSON.parse(readFileSync(join(here, "intents.json"), "utf8"));
let failures = 0;
function same(what, got, want) {
  if (got !== want) {
    failures++;
    console.error(`MISMATCH ${what}\n  got  ${got}\n  want ${want}`);
  } else {
    console.log(`ok ${what}`);
  }
}

const prefix = fx.owner.split("1")[0];
const pub = fromHex(fx.pub_key_compressed_hex);
same("owner from pubkey", toBech32(prefix, ripemd160(sha256(pub))), fx.owner);

const domain = {
  name: fx.domain.eip712_name,
  version: fx.domain.eip712_version,
  salt: keccak256(concat([id(fx.domain.chain_id), id(fx.domain.contract)])),
};
same("eip712 salt", domain.salt.slice(2), fx.domain.eip712_salt_hex);
same(
  "eip712 domain separator",
  TypedDataEncoder.hashDomain(domain).slice(2),
  fx.domain.eip712_domain_separator_hex,
);
const types = {
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
};
same("eip712 Order type", TypedDataEncoder.from(types).encodeType("Order"), fx.eip712_types.Order);

for (const [n, c] of fx.cases.entries()) {
  const i = c.intent;
  // The canonical bytes: JSON.stringify with keys inserted in sorted order.
  const canonical = JSON.stringify({
    chain_id: i.chain_id, contract: i.contract, expires: i.expires,
    limit_price: i.limit_price, meter: i.meter, nonce: i.nonce, owner: i.owner,
    premium_only: i.premium_only, side: i.side, slot_from: i.slot_from,
    slot_until: i.slot_until, type: "aipchain/order-intent/v1", wh: i.wh,
  });
  same(`case ${n} canonical bytes`, toHex(toUtf8(canonical)), c.canonical_bytes_hex);
  same(`case ${n} hash`, toHex(sha256(toUtf8(canonical))), c.hash_hex);

  // ADR-036: what Keplr's signArbitrary builds.
  const doc = makeSignDoc(
    [{ type: "sign/MsgSignData", value: { signer: i.owner, data: toBase64(toUtf8(canonical)) } }],
    { gas: "0", amount: [] }, "", "", 0, 0,
  );
  const docBytes = serializeSignDoc(doc);
  same(`case ${n} adr036 doc`, new TextDecoder().decode(docBytes), c.adr036_sign_doc);
  const digest = sha256(docBytes);
  same(`case ${n} adr036 digest`, toHex(digest), c.adr036_digest_hex);
  const sig = Secp256k1Signature.fromFixedLength(fromBase64(c.signed_cosmos.signature.signature));
  same(`case ${n} adr036 signature verifies`,
    String(await Secp256k1.verifySignature(sig, digest, pub)), "true");

  // EIP-712: what MetaMask's eth_signTypedData_v4 signs.
  const message = {
    owner: i.owner, nonce: i.nonce, slotFrom: i.slot_from, slotUntil: i.slot_until,
    side: i.side, meter: i.meter, wh: i.wh, limitPrice: i.limit_price,
    premiumOnly: i.premium_only, expires: i.expires,
  };
  same(`case ${n} eip712 struct hash`,
    TypedDataEncoder.from(types).hash(message).slice(2), c.eip712_struct_hash_hex);
  const ethDigest = TypedDataEncoder.hash(domain, types, message);
  same(`case ${n} eip712 digest`, ethDigest.slice(2), c.eip712_digest_hex);
  same(`case ${n} cancel bytes`, c.cancel_text,
    JSON.stringify({ cancel: c.hash_hex, type: "aipchain/cancel/v1" }));
  same(`case ${n} eip712 cancel digest`,
    TypedDataEncoder.hash(domain, { Cancel: [{ name: "intent", type: "bytes32" }] },
      { intent: "0x" + c.hash_hex }).slice(2),
    c.eip712_cancel_digest_hex);
  const key = new SigningKey("0x" + fx.private_key_hex);
  same(`case ${n} eip712 signature recovers the key`,
    recoverAddress(ethDigest, c.signed_eth.signature.signature), computeAddress(key.publicKey));
}
if (failures) {
  console.error(`${failures} mismatches`);
  process.exit(1);
}
console.log("all vectors reproduced");
