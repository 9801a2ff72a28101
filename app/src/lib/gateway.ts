// The order gateway (offchain/gateway): post signed intents, cancel, read
// books, follow the live stream. Refusals come back as GatewayError with the
// gateway's stable code and its reason.
import type { Keplr } from "@keplr-wallet/types";
import type { ForecastAnswer } from "./forecast";
import { adr036Signature, canonicalText, cancelText, intentHash, type Adr036Signature, type Eip712Signature, type OrderIntent, type SignedIntent } from "./intent";

export interface Accepted {
  hash: string;
  seq: number;
  owner: string;
  accepted_at: number;
}
export interface BookEntry {
  hash: string;
  seq: number;
  signed: SignedIntent;
}
export interface OpenBook {
  slot: number;
  gate_at: number;
  now: number;
  intents: BookEntry[];
}
export type StreamEvent =
  | { type: "accepted"; hash: string; seq: number; signed: SignedIntent }
  | { type: "cancelled"; hash: string }
  | { type: "frozen"; slot: number; book_hash: string; intents: unknown[] }
  | { type: "lagged"; missed: number };

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
  ) {
    super(`${reason} (${code})`);
  }
}

async function call<T>(base: string, path: string, init?: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, init);
  } catch (e) {
    throw new GatewayError(0, "unreachable", `the order gateway at ${base} does not answer`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError(res.status, "bad_answer", `the order gateway answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const b = body as { error?: string; reason?: string };
    throw new GatewayError(res.status, b.error ?? "error", b.reason ?? text);
  }
  return body as T;
}

const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Signs the intent's canonical text with Keplr's signArbitrary (ADR-036). */
export async function signIntent(keplr: Keplr, chainId: string, intent: OrderIntent): Promise<SignedIntent> {
  const sig = await keplr.signArbitrary(chainId, intent.owner, canonicalText(intent));
  return { intent, signature: adr036Signature(sig) };
}

export async function signCancel(keplr: Keplr, chainId: string, owner: string, hash: string): Promise<Adr036Signature> {
  return adr036Signature(await keplr.signArbitrary(chainId, owner, cancelText(hash)));
}

export class Gateway {
  constructor(readonly base: string) {}

  post(signed: SignedIntent): Promise<Accepted> {
    return call<Accepted>(this.base, "/v1/intents", json(signed));
  }
  cancel(hash: string, signature: Adr036Signature | Eip712Signature): Promise<{ cancelled: string }> {
    return call(this.base, `/v1/intents/${hash}/cancel`, json(signature));
  }
  book(slot: number): Promise<OpenBook> {
    return call<OpenBook>(this.base, `/v1/book/${slot}`);
  }
  /** The household's own forecast for the next `slots` slots whose gate is open (the meter's household in the gateway's data). */
  forecast(meter: number, slots: number): Promise<ForecastAnswer> {
    return call<ForecastAnswer>(this.base, `/v1/forecast/${meter}?slots=${slots}`);
  }
  health(): Promise<{ status: string; intents: number; now: number }> {
    return call(this.base, "/health");
  }

  /** Opens the event stream; returns a function that closes it. */
  stream(onEvent: (e: StreamEvent) => void, onState: (open: boolean) => void): () => void {
    const url = new URL(`${this.base}/v1/stream`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    let closed = false;
    let ws: WebSocket | null = null;
    let retry: number | undefined;
    const open = () => {
      ws = new WebSocket(url);
      ws.onopen = () => onState(true);
      ws.onmessage = (m) => {
        try {
          onEvent(JSON.parse(String(m.data)) as StreamEvent);
        } catch {
          /* not an event */
        }
      };
      ws.onclose = () => {
        onState(false);
        if (!closed) retry = window.setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      closed = true;
      window.clearTimeout(retry);
      ws?.close();
    };
  }
}

export { intentHash };
