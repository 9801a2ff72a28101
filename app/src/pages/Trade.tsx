import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Badge,
  Button,
  Card,
  Group,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from "@mantine/core";
import { address } from "../lib/config";
import { formatAip } from "../lib/chain";
import { Gateway, GatewayError, signCancel, signIntent, type BookEntry, type StreamEvent } from "../lib/gateway";
import { signedWh, suggestedOrder, suggestionText, type ForecastAnswer, type ForecastSlot } from "../lib/forecast";
import { freshNonce, intentHash, SLOT_SECONDS, type OrderIntent, type Side } from "../lib/intent";
import type { TradeResponse } from "../contracts/Settlement.types";
import { connectMetaMask, signCancelEth, signIntentEth, type EthAccount } from "../lib/metamask";
import { useApp, useConnected } from "../state";
import { ErrorAlert, NeedWallet, PageTitle, shortHash, slotLabel, Success } from "./common";

const SLOTS_SHOWN = 8;
const METER_KEY = "aipchain.meter";

/** Signing and posting must fit before the gate: slots whose gate closes sooner are not offered. */
export const GATE_MARGIN_SECONDS = 60;

/** The next slots whose gate is still open (with the margin), from the gateway's clock. */
export function nextSlots(now: number, gateSeconds: number, count: number): number[] {
  const first = Math.ceil((now + gateSeconds + GATE_MARGIN_SECONDS) / SLOT_SECONDS) * SLOT_SECONDS;
  return Array.from({ length: count }, (_, i) => first + i * SLOT_SECONDS);
}

function describeError(e: unknown): string {
  if (e instanceof GatewayError) return `The gateway refused the order: ${e.reason} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}

export function TradePage() {
  const app = useConnected();
  const { config, queries, gateway } = useApp();
  const [now, setNow] = useState<number | null>(null);
  const [gateSeconds, setGateSeconds] = useState(300);
  const [side, setSide] = useState<Side>("buy");
  const [slot, setSlot] = useState<string | null>(null);
  const [wh, setWh] = useState<number | string>(1000);
  const [price, setPrice] = useState<number | string>(150000);
  const [meter, setMeter] = useState<number | string>(() => Number(localStorage.getItem(METER_KEY) ?? 1));
  const [myMeters, setMyMeters] = useState<number[]>([]);
  const [premiumOnly, setPremiumOnly] = useState(false);
  const [signer, setSigner] = useState<"keplr" | "metamask">("keplr");
  const [eth, setEth] = useState<EthAccount | null>(null);
  // Read by refresh() without making it change (and the stream resubscribe) when MetaMask connects.
  const ethRef = useRef<EthAccount | null>(null);
  const [mine, setMine] = useState<BookEntry[]>([]);
  const [trades, setTrades] = useState<TradeResponse[]>([]);
  const [live, setLive] = useState(false);
  const [events, setEvents] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [accepted, setAccepted] = useState<string | null>(null);
  // The household's own forecast (the gateway's, for the meter in the form).
  const [forecast, setForecast] = useState<ForecastAnswer | null>(null);
  const [forecastNote, setForecastNote] = useState<string | null>(null);
  const [prefilled, setPrefilled] = useState<string | null>(null);
  // Set once the user changes side or energy: the forecast no longer overwrites them
  // (until the user picks another slot or a forecast row).
  const edited = useRef(false);
  const owner = app?.conn.address;
  const settlement = address(config, "settlement");

  useEffect(() => {
    gateway
      .health()
      .then((h) => setNow(h.now))
      .catch(() => setNow(Math.floor(Date.now() / 1000)));
    queries.raw
      .queryContractSmart(settlement, { config: {} })
      .then((c: { params?: { gate_closure_secs?: number } }) => {
        if (c.params?.gate_closure_secs) setGateSeconds(c.params.gate_closure_secs);
      })
      .catch(() => undefined);
  }, [gateway, queries, settlement]);

  // The account's active meters in the meter-oracle registry: the first is the default.
  useEffect(() => {
    if (!owner) return;
    queries.raw
      .queryContractSmart(address(config, "meter-oracle"), { meters: { owner, status: "active", limit: 100 } })
      .then((r: { meters: { meter: number }[] }) => {
        const ids = r.meters.map((m) => m.meter);
        setMyMeters(ids);
        if (ids.length && !ids.includes(Number(localStorage.getItem(METER_KEY)))) setMeter(ids[0]);
      })
      .catch(() => setMyMeters([]));
  }, [owner, queries, config]);

  const slots = useMemo(() => (now ? nextSlots(now, gateSeconds, SLOTS_SHOWN) : []), [now, gateSeconds]);
  useEffect(() => {
    if (!slot && slots.length) setSlot(String(slots[0]));
  }, [slots, slot]);

  // The forecast of the meter in the form (by default the account's own meter) for the slots offered.
  useEffect(() => {
    const m = Number(meter);
    if (!owner || !now || meter === "" || !Number.isSafeInteger(m) || m < 0) {
      setForecast(null);
      setForecastNote(null);
      return;
    }
    let stale = false;
    // One more than shown: the gateway starts at the first open gate, the page a minute later.
    gateway
      .forecast(m, SLOTS_SHOWN + 1)
      .then((f) => {
        if (stale) return;
        setForecast(f);
        setForecastNote(null);
      })
      .catch((e: unknown) => {
        if (stale) return;
        setForecast(null);
        setForecastNote(
          e instanceof GatewayError && e.code === "forecast_not_configured"
            ? "The order gateway serves no forecasts."
            : `No forecast for meter ${m}: ${e instanceof GatewayError ? e.reason : String(e)}`,
        );
      });
    return () => {
      stale = true;
    };
  }, [owner, now, meter, gateway]);

  const forecastBySlot = useMemo(() => new Map((forecast?.slots ?? []).map((f) => [f.slot, f])), [forecast]);
  const forecastRows = useMemo(
    () => slots.map((s) => forecastBySlot.get(s)).filter((f): f is ForecastSlot => f !== undefined),
    [slots, forecastBySlot],
  );

  const applyForecast = useCallback((f: ForecastSlot) => {
    const s = suggestedOrder(f);
    if (s) {
      setSide(s.side);
      setWh(s.wh);
    }
    setPrefilled(
      s
        ? `Pre-filled from your forecast for ${slotLabel(f.slot)}: ${suggestionText(f)}. Change side and energy as you like.`
        : `Your forecast for ${slotLabel(f.slot)} is balanced: nothing to pre-fill.`,
    );
  }, []);

  // Pre-fill side and energy from the selected slot's forecast, unless the user changed them.
  useEffect(() => {
    const f = slot ? forecastBySlot.get(Number(slot)) : undefined;
    if (f && !edited.current) applyForecast(f);
  }, [slot, forecastBySlot, applyForecast]);

  const refresh = useCallback(async () => {
    if (!owner || !slots.length) return;
    const books = await Promise.all(slots.map((s) => gateway.book(s).catch(() => null)));
    const seen = new Map<string, BookEntry>();
    const mineOwners = new Set([owner, ethRef.current?.owner]);
    for (const b of books) for (const e of b?.intents ?? []) if (mineOwners.has(e.signed.intent.owner)) seen.set(e.hash, e);
    setMine([...seen.values()].sort((a, b) => a.seq - b.seq));
    try {
      setTrades((await queries.settlement.tradesByAccount({ account: owner, limit: 50 })).trades);
    } catch {
      setTrades([]);
    }
  }, [owner, slots, gateway, queries]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Live updates from the gateway's stream.
  useEffect(() => {
    if (!owner) return;
    const onEvent = (e: StreamEvent) => {
      const line =
        e.type === "accepted"
          ? `accepted ${shortHash(e.hash)} (${e.signed.intent.side} ${e.signed.intent.wh} Wh)`
          : e.type === "cancelled"
            ? `cancelled ${shortHash(e.hash)}`
            : e.type === "frozen"
              ? `book of ${slotLabel(e.slot)} frozen`
              : `missed ${e.missed} events`;
      setEvents((prev) => [line, ...prev].slice(0, 8));
      void refresh();
    };
    return new Gateway(gateway.base).stream(onEvent, setLive);
  }, [owner, gateway.base, refresh]);

  if (!app) return <NeedWallet />;

  const place = async () => {
    setError(null);
    setAccepted(null);
    setBusy(true);
    try {
      const from = Number(slot);
      let account = eth;
      if (signer === "metamask" && !account) {
        account = await connectMetaMask(config.deployment.prefix);
        ethRef.current = account;
        setEth(account);
      }
      const intent: OrderIntent = {
        chain_id: config.deployment.chain_id,
        contract: settlement,
        owner: signer === "metamask" && account ? account.owner : app.conn.address,
        nonce: freshNonce(),
        slot_from: from,
        slot_until: from + SLOT_SECONDS,
        side,
        meter: Number(meter),
        wh: Number(wh),
        limit_price: Number(price),
        premium_only: premiumOnly,
        expires: from + SLOT_SECONDS,
      };
      localStorage.setItem(METER_KEY, String(meter));
      const signed =
        signer === "metamask" && account ? await signIntentEth(account, intent) : await signIntent(app.conn.keplr, app.conn.chainId, intent);
      const r = await gateway.post(signed);
      setAccepted(`Your ${side === "buy" ? "bid" : "offer"} ${shortHash(intentHash(intent))} is in the book (#${r.seq}).`);
      await refresh();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (hash: string) => {
    setError(null);
    try {
      const entry = mine.find((e) => e.hash === hash);
      const sig =
        eth && entry?.signed.intent.owner === eth.owner
          ? await signCancelEth(eth, config.deployment.chain_id, settlement, hash)
          : await signCancel(app.conn.keplr, app.conn.chainId, app.conn.address, hash);
      await gateway.cancel(hash, sig);
      await refresh();
    } catch (e) {
      setError(describeError(e));
    }
  };

  return (
    <Stack maw={1100}>
      <PageTitle sub="Orders are intents you sign in Keplr; the gateway collects them until each slot's gate closes, then the matcher clears the slot.">
        Trade
      </PageTitle>
      <Card withBorder>
        <Title order={3} size="h4" mb={4}>
          My forecast{forecast ? ` (meter ${forecast.meter})` : ""}
        </Title>
        <Text size="sm" c="dimmed" mb="xs">
          Your household's forecast load and PV for the next slots, from its own past load and PV (the gateway's ONNX models; Wh rounded half up).
          A surplus suggests an offer, a deficit a bid: choose a row to pre-fill the order.
        </Text>
        {forecastRows.length > 0 && (
          <Table data-testid="forecast">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Slot</Table.Th>
                <Table.Th>Load (Wh)</Table.Th>
                <Table.Th>PV (Wh)</Table.Th>
                <Table.Th>Surplus (+) / deficit (−) Wh</Table.Th>
                <Table.Th>Suggests</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Action</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {forecastRows.map((f) => (
                <Table.Tr key={f.slot} data-slot={f.slot}>
                  <Table.Td>{slotLabel(f.slot)}</Table.Td>
                  <Table.Td data-col="load">{f.load_wh}</Table.Td>
                  <Table.Td data-col="pv">{f.pv_wh}</Table.Td>
                  <Table.Td data-col="surplus">{signedWh(f.surplus_wh)}</Table.Td>
                  <Table.Td data-col="suggests">{suggestionText(f)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={`Use the forecast for ${slotLabel(f.slot)}`}
                      onClick={() => {
                        edited.current = false;
                        setSlot(String(f.slot));
                        applyForecast(f);
                      }}
                    >
                      Use
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {forecastRows.length === 0 && (
          <Text size="sm" data-testid="forecast-note">
            {forecastNote ?? (forecast ? "No forecast for the slots offered." : "Loading your forecast…")}
          </Text>
        )}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            New order
          </Title>
          <Stack gap="xs">
            <SegmentedControl
              value={side}
              onChange={(v) => {
                edited.current = true;
                setPrefilled(null);
                setSide(v as Side);
              }}
              data={[
                { value: "buy", label: "Bid (buy)" },
                { value: "sell", label: "Offer (sell)" },
              ]}
              aria-label="Side"
            />
            <SegmentedControl
              value={signer}
              onChange={(v) => setSigner(v as "keplr" | "metamask")}
              data={[
                { value: "keplr", label: "Sign with Keplr" },
                { value: "metamask", label: "Sign with MetaMask (EIP-712)" },
              ]}
              aria-label="Signing wallet"
            />
            {eth && signer === "metamask" && (
              <Text size="sm" data-testid="eth-account">
                MetaMask {eth.ethAddress} trades as {eth.owner}
              </Text>
            )}
            <Select
              label="Delivery slot"
              data={slots.map((s) => ({ value: String(s), label: slotLabel(s) }))}
              value={slot}
              onChange={(v) => {
                // Another slot: its forecast pre-fills the order again.
                edited.current = false;
                setSlot(v);
              }}
              allowDeselect={false}
            />
            <Group grow>
              <NumberInput
                label="Energy (Wh)"
                value={wh}
                onChange={(v) => {
                  edited.current = true;
                  setPrefilled(null);
                  setWh(v);
                }}
                min={1}
                max={1_000_000_000}
                allowDecimal={false}
              />
              <NumberInput
                label={side === "buy" ? "Highest price (uaip/kWh)" : "Lowest price (uaip/kWh)"}
                value={price}
                onChange={setPrice}
                min={1}
                allowDecimal={false}
              />
            </Group>
            <Group grow align="end">
              <NumberInput
                label="Meter"
                description={myMeters.length ? `yours: ${myMeters.join(", ")}` : "no active meter registered to you"}
                value={meter}
                onChange={setMeter}
                min={0}
                allowDecimal={false}
              />
              <Switch label="Premium counterparties only" checked={premiumOnly} onChange={(e) => setPremiumOnly(e.currentTarget.checked)} />
            </Group>
            {prefilled && (
              <Text size="sm" data-testid="prefill-note">
                {prefilled}
              </Text>
            )}
            <Text size="sm" c="dimmed">
              Escrow for a bid: {formatAip(String(Math.ceil((Number(wh) * Number(price)) / 1000) || 0))}
            </Text>
            <Button onClick={() => void place()} loading={busy} disabled={!slot}>
              Sign and place {side === "buy" ? "bid" : "offer"}
            </Button>
          </Stack>
        </Card>
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h4">
              Live
            </Title>
            <Badge color={live ? "teal" : "gray"} data-testid="live">
              {live ? "live" : "offline"}
            </Badge>
          </Group>
          <Stack gap={2} data-testid="events">
            {events.length === 0 && <Text size="sm" c="dimmed">No events yet.</Text>}
            {events.map((e, i) => (
              <Text size="sm" key={i}>
                {e}
              </Text>
            ))}
          </Stack>
        </Card>
      </SimpleGrid>
      <ErrorAlert title="Order refused" message={error} />
      {accepted && <Success title="Order accepted">{accepted}</Success>}
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          My open intents
        </Title>
        <Table data-testid="open-intents">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Intent</Table.Th>
              <Table.Th>Side</Table.Th>
              <Table.Th>Slot</Table.Th>
              <Table.Th>Wh</Table.Th>
              <Table.Th>Limit (uaip/kWh)</Table.Th>
              <Table.Th>
                <VisuallyHidden>Action</VisuallyHidden>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {mine.map((e) => (
              <Table.Tr key={e.hash} data-hash={e.hash}>
                <Table.Td>{shortHash(e.hash)}</Table.Td>
                <Table.Td>{e.signed.intent.side}</Table.Td>
                <Table.Td>{slotLabel(e.signed.intent.slot_from)}</Table.Td>
                <Table.Td>{e.signed.intent.wh}</Table.Td>
                <Table.Td>{e.signed.intent.limit_price}</Table.Td>
                <Table.Td>
                  <Button size="xs" variant="light" color="red" onClick={() => void cancel(e.hash)} aria-label={`Cancel ${shortHash(e.hash)}`}>
                    Cancel
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {mine.length === 0 && (
          <Text size="sm" c="dimmed">
            No open intents in the next slots.
          </Text>
        )}
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          My trades
        </Title>
        <Table data-testid="trades">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Trade</Table.Th>
              <Table.Th>Slot</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Contracted Wh</Table.Th>
              <Table.Th>Delivered Wh</Table.Th>
              <Table.Th>Price</Table.Th>
              <Table.Th>Paid to seller</Table.Th>
              <Table.Th>Refund to buyer</Table.Th>
              <Table.Th>Penalty</Table.Th>
              <Table.Th>Fee</Table.Th>
              <Table.Th miw={110}>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {trades.map((t) => (
              <Table.Tr key={t.id} data-trade={t.id}>
                <Table.Td>#{t.id}</Table.Td>
                <Table.Td>{slotLabel(Number(t.slot))}</Table.Td>
                <Table.Td>{t.buyer === owner ? "buyer" : "seller"}</Table.Td>
                <Table.Td data-col="wh">{t.wh}</Table.Td>
                <Table.Td data-col="delivered">{t.settlement ? t.settlement.delivered_wh : "–"}</Table.Td>
                <Table.Td data-col="price">{t.price}</Table.Td>
                <Table.Td data-col="seller-paid">{t.settlement ? formatAip(t.settlement.seller_paid) : "–"}</Table.Td>
                <Table.Td data-col="refund">{t.settlement ? formatAip(t.settlement.buyer_refund) : "–"}</Table.Td>
                <Table.Td data-col="penalty">{t.settlement ? formatAip(t.settlement.penalty) : "–"}</Table.Td>
                <Table.Td data-col="fee">{formatAip(t.fee)}</Table.Td>
                <Table.Td data-col="status">
                  <Badge variant="light">{t.status}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        {trades.length === 0 && (
          <Text size="sm" c="dimmed">
            No trades yet.
          </Text>
        )}
      </Card>
    </Stack>
  );
}
