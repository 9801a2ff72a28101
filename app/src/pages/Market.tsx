import { useEffect, useMemo, useState } from "react";
import { Card, Group, Select, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { SLOT_SECONDS } from "../lib/intent";
import type { CongestionFee, CorridorUsage, NetworkResponse, TradeResponse } from "../contracts/Settlement.types";
import { useApp } from "../state";
import { ErrorAlert, PageTitle, slotLabel } from "./common";

const HISTORY = 24;

export interface SlotPoint {
  slot: number;
  volumeWh: number;
  /** Volume-weighted price, uaip/kWh; null without trades. */
  price: number | null;
}

/** Price (volume-weighted) and volume of one slot's trades. */
export function slotPoint(slot: number, trades: TradeResponse[]): SlotPoint {
  let wh = 0;
  let value = 0;
  for (const t of trades) {
    wh += Number(t.wh);
    value += Number(t.wh) * Number(t.price);
  }
  return { slot, volumeWh: wh, price: wh ? Math.round(value / wh) : null };
}

function Chart({ points }: { points: SlotPoint[] }) {
  const W = 720;
  const H = 220;
  const pad = 40;
  const maxV = Math.max(1, ...points.map((p) => p.volumeWh));
  const prices = points.filter((p) => p.price !== null).map((p) => p.price!);
  const maxP = Math.max(1, ...prices);
  const bw = (W - 2 * pad) / Math.max(1, points.length);
  const line = points
    .map((p, i) => (p.price === null ? null : `${pad + i * bw + bw / 2},${H - pad - (p.price / maxP) * (H - 2 * pad)}`))
    .filter(Boolean)
    .join(" ");
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="Price and volume per slot" data-testid="chart">
      <title>Price and volume per slot</title>
      <line x1={pad} y1={H - pad} x2={W - pad} y2={H - pad} stroke="#868e96" />
      {points.map((p, i) => {
        const h = (p.volumeWh / maxV) * (H - 2 * pad);
        return (
          <rect key={p.slot} x={pad + i * bw + 2} y={H - pad - h} width={Math.max(1, bw - 4)} height={h} fill="#63e6be">
            <title>{`${slotLabel(p.slot)}: ${p.volumeWh} Wh${p.price !== null ? `, ${p.price} uaip/kWh` : ""}`}</title>
          </rect>
        );
      })}
      {line && <polyline points={line} fill="none" stroke="#e8590c" strokeWidth={2} />}
      <text x={pad} y={16} fontSize={12} fill="#495057">
        bars: volume (max {maxV} Wh) · line: price (max {maxP} uaip/kWh)
      </text>
      {points.length > 0 && (
        <>
          <text x={pad} y={H - 12} fontSize={11} fill="#495057">
            {slotLabel(points[0].slot).slice(11, 16)}
          </text>
          <text x={W - pad} y={H - 12} fontSize={11} fill="#495057" textAnchor="end">
            {slotLabel(points[points.length - 1].slot).slice(11, 16)}
          </text>
        </>
      )}
    </svg>
  );
}

function ZoneMap({ network, usage, fees }: { network: NetworkResponse; usage: CorridorUsage[]; fees: CongestionFee[] }) {
  const W = 480;
  const H = 320;
  const n = network.zones.length;
  const pos = new Map(
    network.zones.map((z, i) => [
      z.id,
      { x: W / 2 + (W / 2 - 70) * Math.cos((2 * Math.PI * i) / Math.max(1, n)), y: H / 2 + (H / 2 - 50) * Math.sin((2 * Math.PI * i) / Math.max(1, n)) },
    ]),
  );
  const used = (a: number, b: number) => usage.find((u) => u.from_zone === a && u.to_zone === b)?.used_wh ?? "0";
  const fee = (a: number, b: number) => fees.find((f) => f.from_zone === a && f.to_zone === b)?.fee_per_kwh;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="Zone map with corridor usage" data-testid="zone-map">
      <title>Zones of the grid and the corridors between them</title>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="38" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#495057" />
        </marker>
      </defs>
      {network.corridors.map((c) => {
        const a = pos.get(c.from_zone);
        const b = pos.get(c.to_zone);
        if (!a || !b) return null;
        const share = Number(c.capacity_wh) ? Number(used(c.from_zone, c.to_zone)) / Number(c.capacity_wh) : 0;
        // Each direction on its own side of the line between the two zones.
        // The normal of the line from the lower to the higher zone id; one direction each side.
        const [lo, hi] = c.from_zone < c.to_zone ? [a, b] : [b, a];
        const len = Math.hypot(hi.x - lo.x, hi.y - lo.y) || 1;
        const side = c.from_zone < c.to_zone ? 1 : -1;
        const nx = (-(hi.y - lo.y) / len) * side;
        const ny = ((hi.x - lo.x) / len) * side;
        const o = 6;
        return (
          <g key={`${c.from_zone}-${c.to_zone}`}>
            <line
              x1={a.x + nx * o}
              y1={a.y + ny * o}
              x2={b.x + nx * o}
              y2={b.y + ny * o}
              stroke={share > 0.9 ? "#c92a2a" : share > 0.5 ? "#d9480f" : "#0b7285"}
              strokeWidth={2 + 8 * share}
              markerEnd="url(#arrow)"
            />
            <text x={(a.x + b.x) / 2 + nx * 22} y={(a.y + b.y) / 2 + ny * 22 + 4} fontSize={11} textAnchor="middle" fill="#212529">
              {`${used(c.from_zone, c.to_zone)}/${c.capacity_wh} Wh · fee ${fee(c.from_zone, c.to_zone) ?? c.fee_per_kwh}`}
            </text>
          </g>
        );
      })}
      {network.zones.map((z) => {
        const p = pos.get(z.id)!;
        return (
          <g key={z.id}>
            <circle cx={p.x} cy={p.y} r={26} fill="#e6fcf5" stroke="#0ca678" strokeWidth={2} />
            <text x={p.x} y={p.y + 4} fontSize={12} textAnchor="middle" fill="#212529">
              {z.name}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function MarketPage() {
  const { queries } = useApp();
  const [points, setPoints] = useState<SlotPoint[]>([]);
  const [network, setNetwork] = useState<NetworkResponse | null>(null);
  const [slot, setSlot] = useState<string | null>(null);
  const [usage, setUsage] = useState<CorridorUsage[]>([]);
  const [fees, setFees] = useState<CongestionFee[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const block = await queries.raw.getBlock();
      const now = Math.floor(new Date(block.header.time).getTime() / 1000);
      const last = Math.floor(now / SLOT_SECONDS) * SLOT_SECONDS + 4 * SLOT_SECONDS;
      const slots = Array.from({ length: HISTORY }, (_, i) => last - (HISTORY - 1 - i) * SLOT_SECONDS);
      const per = await Promise.all(slots.map((s) => queries.settlement.tradesBySlot({ slot: s, limit: 100 }).then((r) => r.trades)));
      const pts = slots.map((s, i) => slotPoint(s, per[i]));
      setPoints(pts);
      const busiest = [...pts].sort((a, b) => b.volumeWh - a.volumeWh)[0];
      setSlot(String(busiest && busiest.volumeWh > 0 ? busiest.slot : Math.floor(now / SLOT_SECONDS) * SLOT_SECONDS));
      setNetwork(await queries.settlement.network());
    })().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [queries]);

  useEffect(() => {
    if (!slot) return;
    Promise.all([queries.settlement.slotStatus({ slot: Number(slot) }), queries.settlement.congestionFees({ slot: Number(slot) })])
      .then(([st, f]) => {
        setUsage(st.corridor_usage);
        setFees(f.fees);
      })
      .catch(() => {
        setUsage([]);
        setFees([]);
      });
  }, [slot, queries]);

  const traded = useMemo(() => points.filter((p) => p.volumeWh > 0), [points]);
  return (
    <Stack maw={1100}>
      <PageTitle sub="Cleared trades per delivery slot, and the grid's zones with the corridors between them.">Market</PageTitle>
      <ErrorAlert title="Market data unavailable" message={error} />
      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Price and volume per slot
        </Title>
        <Chart points={points} />
        <Text size="sm" c="dimmed">
          {traded.length ? `${traded.length} of ${points.length} slots traded.` : "No trades in these slots yet."}
        </Text>
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Group justify="space-between" mb="xs">
            <Title order={3} size="h4">
              Zone map
            </Title>
            <Select
              aria-label="Slot"
              data={points.map((p) => ({ value: String(p.slot), label: slotLabel(p.slot) }))}
              value={slot}
              onChange={setSlot}
              w={260}
            />
          </Group>
          {network && network.zones.length > 0 ? (
            <ZoneMap network={network} usage={usage} fees={fees} />
          ) : (
            <Text size="sm" c="dimmed">
              The grid operator has not set up zones yet.
            </Text>
          )}
        </Card>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Corridors
          </Title>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>From</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>Capacity (Wh)</Table.Th>
                <Table.Th>Used (Wh)</Table.Th>
                <Table.Th>Fee (uaip/kWh)</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {network?.corridors.map((c) => (
                <Table.Tr key={`${c.from_zone}-${c.to_zone}`}>
                  <Table.Td>{network.zones.find((z) => z.id === c.from_zone)?.name ?? c.from_zone}</Table.Td>
                  <Table.Td>{network.zones.find((z) => z.id === c.to_zone)?.name ?? c.to_zone}</Table.Td>
                  <Table.Td>{c.capacity_wh}</Table.Td>
                  <Table.Td>{usage.find((u) => u.from_zone === c.from_zone && u.to_zone === c.to_zone)?.used_wh ?? "0"}</Table.Td>
                  <Table.Td>{fees.find((f) => f.from_zone === c.from_zone && f.to_zone === c.to_zone)?.fee_per_kwh ?? c.fee_per_kwh}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
