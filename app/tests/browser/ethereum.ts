// A MetaMask stand-in: `window.ethereum.request` forwards to an ethers
// Wallet in this Node process (a real secp256k1 key; ethers' own EIP-191 and
// EIP-712 code, independent of the app's).
import type { BrowserContext } from "playwright-core";
import { getBytes, type HDNodeWallet, type TypedDataField } from "ethers";

export async function installEthereum(context: BrowserContext, wallet: HDNodeWallet): Promise<{ calls: string[] }> {
  const state = { calls: [] as string[] };
  await context.exposeBinding("__ethHost", async (_src, method: string, params: unknown[]) => {
    state.calls.push(method);
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [wallet.address];
      case "personal_sign": {
        const [data, addr] = params as [string, string];
        if (addr.toLowerCase() !== wallet.address.toLowerCase()) throw new Error(`unknown account ${addr}`);
        return wallet.signMessage(getBytes(data));
      }
      case "eth_signTypedData_v4": {
        const [addr, json] = params as [string, string];
        if (addr.toLowerCase() !== wallet.address.toLowerCase()) throw new Error(`unknown account ${addr}`);
        const td = JSON.parse(json) as { types: Record<string, TypedDataField[]>; domain: Record<string, unknown>; message: Record<string, unknown> };
        const types = { ...td.types };
        delete types.EIP712Domain;
        return wallet.signTypedData(td.domain, types, td.message);
      }
      default:
        throw new Error(`the MetaMask stand-in does not implement ${method}`);
    }
  });
  await context.addInitScript(`window.ethereum = { isMetaMask: true, request: ({ method, params }) => window.__ethHost(method, params || []) };`);
  return state;
}
