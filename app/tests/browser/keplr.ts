// A Keplr stand-in for the browser tests. The page gets `window.keplr`
// (installed before any page script runs) whose methods forward to this
// Node process, where real CosmJS wallets hold the key: every signature the
// page receives is a real secp256k1 signature by a CosmJS key.
//   enable, getKey, getOfflineSigner(Auto), signArbitrary, experimentalSuggestChain
import type { BrowserContext } from "playwright-core";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { Secp256k1HdWallet, makeSignDoc, rawSecp256k1PubkeyToRawAddress } from "@cosmjs/amino";
import { fromBase64, toBase64, toUtf8 } from "@cosmjs/encoding";

export type WalletMode = "ok" | "locked";

export interface StandIn {
  address: string;
  /** Every chain the page suggested. */
  suggested: { chainId: string; rpc: string; bech32: string }[];
  /** Every signArbitrary text, in order. */
  signedTexts: string[];
  mode: WalletMode;
}

const PAGE_SIDE = `
(() => {
  const host = (method, args) => window.__keplrHost(method, args);
  const b64 = (u8) => { let s = ""; for (const b of u8) s += String.fromCharCode(b); return btoa(s); };
  const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const key = async (chainId) => {
    const k = await host("getKey", [chainId]);
    return { ...k, pubKey: unb64(k.pubKey), address: unb64(k.address) };
  };
  const signer = (chainId) => ({
    getAccounts: async () => {
      const k = await key(chainId);
      return [{ address: k.bech32Address, algo: "secp256k1", pubkey: k.pubKey }];
    },
    signDirect: async (signerAddress, doc) => {
      const r = await host("signDirect", [chainId, signerAddress, {
        bodyBytes: b64(doc.bodyBytes), authInfoBytes: b64(doc.authInfoBytes),
        chainId: doc.chainId, accountNumber: doc.accountNumber.toString(),
      }]);
      return {
        signed: { bodyBytes: unb64(r.signed.bodyBytes), authInfoBytes: unb64(r.signed.authInfoBytes),
                  chainId: r.signed.chainId, accountNumber: BigInt(r.signed.accountNumber) },
        signature: r.signature,
      };
    },
  });
  window.keplr = {
    version: "0.13-standin",
    mode: "extension",
    experimentalSuggestChain: (info) => host("experimentalSuggestChain", [{
      chainId: info.chainId, rpc: info.rpc, bech32: info.bech32Config.bech32PrefixAccAddr }]),
    enable: (chainIds) => host("enable", [chainIds]),
    getKey: key,
    getOfflineSigner: (chainId) => signer(chainId),
    getOfflineSignerAuto: async (chainId) => signer(chainId),
    signArbitrary: (chainId, signerAddress, data) =>
      host("signArbitrary", [chainId, signerAddress, typeof data === "string" ? data : new TextDecoder().decode(data)]),
  };
})();
`;

/** Installs the stand-in for `mnemonic` into every page of `context`. */
export async function installKeplr(context: BrowserContext, mnemonic: string, name: string, prefix: string, mode: WalletMode = "ok"): Promise<StandIn> {
  const direct = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix });
  const amino = await Secp256k1HdWallet.fromMnemonic(mnemonic, { prefix });
  const [account] = await direct.getAccounts();
  const state: StandIn = { address: account.address, suggested: [], signedTexts: [], mode };
  const known = new Set<string>();
  const enabled = new Set<string>();
  const requireEnabled = (chainId: string) => {
    if (!enabled.has(chainId)) throw new Error(`${chainId} is not enabled: call enable first`);
  };
  const requireSigner = (signer: string) => {
    if (signer !== account.address) throw new Error(`Signer mismatch: ${signer} is not the selected account ${account.address}`);
  };

  await context.exposeBinding("__keplrHost", async (_source, method: string, args: unknown[]) => {
    switch (method) {
      case "experimentalSuggestChain": {
        const info = args[0] as StandIn["suggested"][number];
        if (info.bech32 !== prefix) throw new Error(`this stand-in holds a ${prefix} key, not ${info.bech32}`);
        state.suggested.push(info);
        known.add(info.chainId);
        return undefined;
      }
      case "enable": {
        const ids = ([] as string[]).concat(args[0] as string | string[]);
        for (const id of ids) if (!known.has(id)) throw new Error(`There is no chain info for ${id}`);
        // Keplr, when locked, asks for the password; the user closing that window rejects the call.
        if (state.mode === "locked") throw new Error("Keplr is locked: request rejected");
        ids.forEach((id) => enabled.add(id));
        return undefined;
      }
      case "getKey": {
        const chainId = args[0] as string;
        requireEnabled(chainId);
        return {
          name,
          algo: "secp256k1",
          pubKey: toBase64(account.pubkey),
          address: toBase64(rawSecp256k1PubkeyToRawAddress(account.pubkey)),
          bech32Address: account.address,
          ethereumHexAddress: "",
          isNanoLedger: false,
          isKeystone: false,
        };
      }
      case "signDirect": {
        const [chainId, signer, doc] = args as [string, string, { bodyBytes: string; authInfoBytes: string; chainId: string; accountNumber: string }];
        requireEnabled(chainId);
        requireSigner(signer);
        const r = await direct.signDirect(signer, {
          bodyBytes: fromBase64(doc.bodyBytes),
          authInfoBytes: fromBase64(doc.authInfoBytes),
          chainId: doc.chainId,
          accountNumber: BigInt(doc.accountNumber),
        });
        return {
          signed: {
            bodyBytes: toBase64(r.signed.bodyBytes),
            authInfoBytes: toBase64(r.signed.authInfoBytes),
            chainId: r.signed.chainId,
            accountNumber: r.signed.accountNumber.toString(),
          },
          signature: r.signature,
        };
      }
      case "signArbitrary": {
        const [chainId, signer, text] = args as [string, string, string];
        requireEnabled(chainId);
        requireSigner(signer);
        state.signedTexts.push(text);
        // ADR-036: the amino doc Keplr signs (empty chain id, zero fee, account number and sequence).
        const doc = makeSignDoc(
          [{ type: "sign/MsgSignData", value: { signer, data: toBase64(toUtf8(text)) } }],
          { gas: "0", amount: [] },
          "",
          "",
          0,
          0,
        );
        return (await amino.signAmino(signer, doc)).signature;
      }
      default:
        throw new Error(`the Keplr stand-in does not implement ${method}`);
    }
  });
  await context.addInitScript(PAGE_SIDE);
  return state;
}
