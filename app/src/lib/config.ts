// What the app needs to know about the network, loaded at start from
// /aip-app.json (written by the operator, or by app/scripts/stack.mjs on a
// localnet). `deployment` is the file `aip deploy` writes
// (artifacts/deployment.<chain-id>.json); the rest is what it lacks.
export interface ContractRecord {
  address: string;
  code_id: number;
  label: string;
}

export interface Deployment {
  chain_id: string;
  rpc_url: string;
  prefix: string;
  deployer: string;
  contracts: Record<string, ContractRecord>;
  roles?: Record<string, string>;
}

export interface AppConfig {
  deployment: Deployment;
  /** REST (LCD) endpoint of the node, for Keplr's chain info. */
  rest_url: string;
  /** The order gateway, usually proxied under the app's own origin ("/gateway"). */
  gateway_url: string;
  /** Fee denom and gas price (the node's minimum). */
  fee_denom: string;
  gas_price: number;
  /** Display name of the chain in the wallet. */
  chain_name: string;
  /** Where the KYC provider publishes its files (same origin or CORS-enabled). */
  kyc: {
    proving_key_url: string;
    tree_url: string;
    sanctions_url: string;
    revocations_url: string;
  };
}

export const CONTRACTS = ["aip-token", "settlement", "reputation", "zk-verifier", "meter-oracle"] as const;
export type ContractName = (typeof CONTRACTS)[number];

export class ConfigError extends Error {}

/** Checks the shape of a loaded config; throws ConfigError naming the missing part. */
export function parseConfig(raw: unknown): AppConfig {
  const c = raw as Partial<AppConfig> | null;
  if (!c || typeof c !== "object") throw new ConfigError("aip-app.json is not a JSON object");
  const d = c.deployment;
  if (!d || typeof d.chain_id !== "string" || typeof d.rpc_url !== "string" || typeof d.prefix !== "string") {
    throw new ConfigError("aip-app.json: deployment must have chain_id, rpc_url and prefix (the file aip deploy writes)");
  }
  for (const name of ["aip-token", "settlement", "reputation", "zk-verifier"] as const) {
    if (!d.contracts?.[name]?.address) throw new ConfigError(`aip-app.json: the deployment has no ${name} contract`);
  }
  for (const k of ["rest_url", "gateway_url", "fee_denom", "chain_name"] as const) {
    if (typeof c[k] !== "string") throw new ConfigError(`aip-app.json: ${k} is missing`);
  }
  if (typeof c.gas_price !== "number") throw new ConfigError("aip-app.json: gas_price is missing");
  if (!c.kyc?.proving_key_url) throw new ConfigError("aip-app.json: kyc.proving_key_url is missing");
  return c as AppConfig;
}

export async function loadConfig(url = "/aip-app.json"): Promise<AppConfig> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new ConfigError(`could not load ${url}: HTTP ${res.status}`);
  return parseConfig(await res.json());
}

export function address(config: AppConfig, name: ContractName): string {
  const rec = config.deployment.contracts[name];
  if (!rec) throw new ConfigError(`the deployment has no ${name} contract`);
  return rec.address;
}
