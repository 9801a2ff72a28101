// The household's own forecast (the order gateway's GET /v1/forecast/{meter}):
// per upcoming slot the forecast load, PV and surplus (PV − load) in whole Wh,
// and the order it suggests.
import type { Side } from "./intent";

/** One slot of the gateway's answer (Wh are whole numbers: load and PV rounded half up, surplus = PV − load). */
export interface ForecastSlot {
  slot: number;
  gate_at: number;
  load_wh: number;
  pv_wh: number;
  surplus_wh: number;
}

/** The gateway's answer. */
export interface ForecastAnswer {
  meter: number;
  now: number;
  slot_offset_seconds: number;
  rounding: string;
  slots: ForecastSlot[];
}

/** The order a slot's forecast suggests: a surplus is offered, a deficit bid for, both for |surplus| Wh; nothing when balanced. */
export function suggestedOrder(f: Pick<ForecastSlot, "surplus_wh">): { side: Side; wh: number } | null {
  if (!Number.isSafeInteger(f.surplus_wh) || f.surplus_wh === 0) return null;
  return f.surplus_wh > 0 ? { side: "sell", wh: f.surplus_wh } : { side: "buy", wh: -f.surplus_wh };
}

/** "+1234" for a surplus, "-567" for a deficit, "0". */
export function signedWh(wh: number): string {
  return wh > 0 ? `+${wh}` : String(wh);
}

/** What the forecast suggests, in words: "offer 1234 Wh", "bid 567 Wh", "nothing (balanced)". */
export function suggestionText(f: Pick<ForecastSlot, "surplus_wh">): string {
  const s = suggestedOrder(f);
  if (!s) return "nothing (balanced)";
  return `${s.side === "sell" ? "offer" : "bid"} ${s.wh} Wh`;
}
