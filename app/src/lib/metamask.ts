// MetaMask: an Ethereum key signs the same intents with EIP-712. Its AIPCHAIN
// account is the Cosmos address of the same secp256k1 key, so the page
// recovers the public key once from a personal_sign signature.
import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import { ripemd160, sha256 } from "@cosmjs/crypto";
import { fromHex, toBech32, toHex } from "@cosmjs/encoding";
import { cancelTypedData, orderTypedData } from "./eip712";
import type { OrderIntent, SignedIntent } from "./intent";

export interface Eip1193 {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}
declare global {
  interface Window {
    ethereum?: Eip1193;
  }
}

export const LINK_MESSAGE = "AIPCHAIN: show which account this key is. No transaction, no cost.";
export const NO_METAMASK = "No MetaMask found in this browser. Install MetaMask, then reload this page.";

export interface EthAccount {
  ethAddress: string;
  /** The AIPCHAIN (Cosmos) account of the same key. */
  owner: string;
}

const personalDigest = (text: string) => {
  const msg = new TextEncoder().encode(text);
  const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${msg.length}`);
  return keccak_256(new Uint8Array([...prefix, ...msg]));
};

/** The compressed public key behind an EIP-191 signature of `text`. */
export function recoverPersonal(text: string, signatureHex: string): Uint8Array {
  const sig = fromHex(signatureHex.replace(/^0x/, ""));
  if (sig.length !== 65) throw new Error(`an Ethereum signature is 65 bytes, got ${sig.length}`);
  const v = sig[64] >= 27 ? sig[64] - 27 : sig[64];
  const point = secp256k1.Signature.fromCompact(sig.slice(0, 64)).addRecoveryBit(v).recoverPublicKey(personalDigest(text));
  return point.toRawBytes(true);
}

/** `0x` + the last 20 bytes of keccak256 of the uncompressed key. */
export function ethAddressOf(compressed: Uint8Array): string {
  const full = secp256k1.ProjectivePoint.fromHex(compressed).toRawBytes(false);
  return `0x${toHex(keccak_256(full.slice(1)).slice(12))}`;
}

export function cosmosAddressOf(compressed: Uint8Array, prefix: string): string {
  return toBech32(prefix, ripemd160(sha256(compressed)));
}

export async function connectMetaMask(prefix: string): Promise<EthAccount> {
  const eth = window.ethereum;
  if (!eth) throw new Error(NO_METAMASK);
  const [ethAddress] = (await eth.request({ method: "eth_requestAccounts" })) as string[];
  const hexText = `0x${toHex(new TextEncoder().encode(LINK_MESSAGE))}`;
  const sig = (await eth.request({ method: "personal_sign", params: [hexText, ethAddress] })) as string;
  const key = recoverPersonal(LINK_MESSAGE, sig);
  if (ethAddressOf(key).toLowerCase() !== ethAddress.toLowerCase()) {
    throw new Error(`MetaMask signed with another key than ${ethAddress}`);
  }
  return { ethAddress, owner: cosmosAddressOf(key, prefix) };
}

export async function signIntentEth(account: EthAccount, intent: OrderIntent): Promise<SignedIntent> {
  const eth = window.ethereum;
  if (!eth) throw new Error(NO_METAMASK);
  const signature = (await eth.request({
    method: "eth_signTypedData_v4",
    params: [account.ethAddress, JSON.stringify(orderTypedData(intent))],
  })) as string;
  return { intent, signature: { kind: "eth_eip712", signature } };
}

export async function signCancelEth(account: EthAccount, chainId: string, contract: string, hash: string) {
  const eth = window.ethereum;
  if (!eth) throw new Error(NO_METAMASK);
  const signature = (await eth.request({
    method: "eth_signTypedData_v4",
    params: [account.ethAddress, JSON.stringify(cancelTypedData(chainId, contract, hash))],
  })) as string;
  return { kind: "eth_eip712" as const, signature };
}
