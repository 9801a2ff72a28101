// Keplr: the chain suggestion, the connection and the messages a user sees
// when it fails (no wallet, locked or declined, wrong chain).
import type { ChainInfo, Keplr, Window as KeplrWindow } from "@keplr-wallet/types";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { CosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import type { AppConfig } from "./config";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Window extends KeplrWindow {}
}

export type WalletErrorKind = "missing" | "locked" | "rejected" | "wrong_chain" | "node_down" | "other";

export class WalletError extends Error {
  constructor(
    readonly kind: WalletErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const MESSAGES = {
  missing:
    "No Keplr wallet found in this browser. Install the Keplr extension, then reload this page.",
  locked: "Keplr is locked. Unlock it with your password, then press Connect again.",
  rejected: "The connection was declined in Keplr. Press Connect to try again.",
} as const;

export function getKeplr(): Keplr {
  const keplr = window.keplr;
  if (!keplr) throw new WalletError("missing", MESSAGES.missing);
  return keplr;
}

/** Keplr's chain info for the deployment's chain. */
export function chainInfo(config: AppConfig): ChainInfo {
  const { chain_id, rpc_url, prefix } = config.deployment;
  const fee = {
    coinDenom: config.fee_denom.replace(/^u/, "").toUpperCase(),
    coinMinimalDenom: config.fee_denom,
    coinDecimals: 6,
    gasPriceStep: { low: config.gas_price, average: config.gas_price * 1.2, high: config.gas_price * 2 },
  };
  return {
    chainId: chain_id,
    chainName: config.chain_name,
    rpc: rpc_url,
    rest: config.rest_url,
    bip44: { coinType: 118 },
    bech32Config: {
      bech32PrefixAccAddr: prefix,
      bech32PrefixAccPub: `${prefix}pub`,
      bech32PrefixValAddr: `${prefix}valoper`,
      bech32PrefixValPub: `${prefix}valoperpub`,
      bech32PrefixConsAddr: `${prefix}valcons`,
      bech32PrefixConsPub: `${prefix}valconspub`,
    },
    currencies: [{ coinDenom: fee.coinDenom, coinMinimalDenom: fee.coinMinimalDenom, coinDecimals: 6 }],
    feeCurrencies: [fee],
    stakeCurrency: { coinDenom: fee.coinDenom, coinMinimalDenom: fee.coinMinimalDenom, coinDecimals: 6 },
    features: ["cosmwasm"],
  };
}

function classify(e: unknown): WalletError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/lock/i.test(msg)) return new WalletError("locked", MESSAGES.locked);
  if (/reject|denied|declin/i.test(msg)) return new WalletError("rejected", MESSAGES.rejected);
  return new WalletError("other", `Keplr refused the request: ${msg}`);
}

export interface Connection {
  keplr: Keplr;
  chainId: string;
  address: string;
  name: string;
  signer: OfflineSigner;
}

/**
 * Suggests the chain, asks Keplr to connect, and checks that the node the
 * deployment names runs that chain and that the key's address has its prefix.
 */
export async function connect(config: AppConfig): Promise<Connection> {
  const keplr = getKeplr();
  const { chain_id: chainId, rpc_url, prefix } = config.deployment;
  let nodeChain: string;
  try {
    const client = await CosmWasmClient.connect(rpc_url);
    nodeChain = await client.getChainId();
    client.disconnect();
  } catch (e) {
    throw new WalletError(
      "node_down",
      `The chain's node at ${rpc_url} does not answer (${e instanceof Error ? e.message : e}). Start the localnet or check the address.`,
    );
  }
  if (nodeChain !== chainId) {
    throw new WalletError(
      "wrong_chain",
      `Wrong chain: the node at ${rpc_url} runs "${nodeChain}", but this app's deployment is for "${chainId}". Open the app configured for ${nodeChain}, or point it at a ${chainId} node.`,
    );
  }
  try {
    await keplr.experimentalSuggestChain(chainInfo(config));
    await keplr.enable(chainId);
  } catch (e) {
    throw classify(e);
  }
  let key;
  try {
    key = await keplr.getKey(chainId);
  } catch (e) {
    throw classify(e);
  }
  if (!key.bech32Address.startsWith(`${prefix}1`)) {
    throw new WalletError(
      "wrong_chain",
      `Wrong chain: Keplr gave the address ${key.bech32Address}, not a ${prefix}1… address of ${chainId}.`,
    );
  }
  // Keplr ships its own copy of the CosmJS signer types; the objects are the same.
  const signer = (await keplr.getOfflineSignerAuto(chainId)) as unknown as OfflineSigner;
  return { keplr, chainId, address: key.bech32Address, name: key.name, signer };
}
