// App-wide state: the config, the wallet connection and the chain clients.
import { createContext, useContext } from "react";
import type { AppConfig } from "./lib/config";
import type { Queries, Signing } from "./lib/chain";
import type { Connection } from "./lib/wallet";
import type { Gateway } from "./lib/gateway";

export interface AppState {
  config: AppConfig;
  queries: Queries;
  gateway: Gateway;
  conn: Connection | null;
  signing: Signing | null;
  connect: () => Promise<void>;
  connecting: boolean;
  walletError: string | null;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error("useApp outside AppContext");
  return s;
}

/** The state with a connected wallet, or null. */
export function useConnected(): (AppState & { conn: Connection; signing: Signing }) | null {
  const s = useApp();
  return s.conn && s.signing ? (s as AppState & { conn: Connection; signing: Signing }) : null;
}
