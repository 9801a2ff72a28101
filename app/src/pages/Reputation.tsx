import { useCallback, useEffect, useState } from "react";
import { Badge, Button, Card, Group, NumberInput, Progress, Rating, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { toBase64, toUtf8 } from "@cosmjs/encoding";
import { address } from "../lib/config";
import { chainError, formatAip } from "../lib/chain";
import type { ReputationResponse, TradingTermsResponse } from "../contracts/Reputation.types";
import type { TradeResponse } from "../contracts/Settlement.types";
import { useApp, useConnected } from "../state";
import { ErrorAlert, NeedWallet, PageTitle, slotLabel, Success } from "./common";

interface Eligibility {
  status: string;
  eligible: boolean;
  premium: boolean;
  valid_until?: number | null;
  premium_until?: number | null;
}

const COMPONENTS: [keyof ReputationResponse["components"], string][] = [
  ["delivery_accuracy", "Delivery accuracy"],
  ["success_rate", "Successful trades"],
  ["peer_reviews", "Peer reviews"],
  ["dispute_record", "Dispute record"],
  ["participation", "Participation"],
];

export function ReputationPage() {
  const app = useConnected();
  const { config, queries } = useApp();
  const [rep, setRep] = useState<ReputationResponse | null>(null);
  const [terms, setTerms] = useState<TradingTermsResponse | null>(null);
  const [elig, setElig] = useState<Eligibility | null>(null);
  const [trades, setTrades] = useState<TradeResponse[]>([]);
  const [reviewTrade, setReviewTrade] = useState<string | null>(null);
  const [rating, setRating] = useState(5);
  const [disputeTrade, setDisputeTrade] = useState<number | string>("");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const account = app?.conn.address;

  const refresh = useCallback(async () => {
    if (!account) return;
    const [r, t, e, tr] = await Promise.all([
      queries.reputation.reputation({ account }),
      queries.reputation.tradingTerms({ account }),
      queries.raw.queryContractSmart(address(config, "zk-verifier"), { eligibility: { account } }) as Promise<Eligibility>,
      queries.settlement.tradesByAccount({ account, limit: 50 }).then((x) => x.trades),
    ]);
    setRep(r);
    setTerms(t);
    setElig(e);
    setTrades(tr);
  }, [account, queries, config]);

  useEffect(() => {
    void refresh().catch((e: unknown) => setError(chainError(e)));
  }, [refresh]);

  if (!app) return <NeedWallet />;

  const review = async () => {
    setError(null);
    setDone(null);
    const t = trades.find((x) => String(x.id) === reviewTrade);
    if (!t) return;
    const counterparty = t.buyer === app.conn.address ? t.seller : t.buyer;
    try {
      await app.signing.reputation.review({ counterparty, rating, tradeId: t.id });
      setDone(`Review of trade ${t.id} recorded.`);
      await refresh();
    } catch (e) {
      setError(chainError(e));
    }
  };

  const dispute = async () => {
    setError(null);
    setDone(null);
    try {
      const tradeId = Number(disputeTrade);
      const c = (await queries.raw.queryContractSmart(address(config, "settlement"), { config: {} })) as {
        params: { dispute_bond?: string };
      };
      const bond = c.params.dispute_bond ?? "0";
      if (bond !== "0") {
        await app.signing.token.send({
          amount: bond,
          contract: address(config, "settlement"),
          msg: toBase64(toUtf8(JSON.stringify({ open_dispute: { trade_id: tradeId, reason } }))),
        });
      } else {
        await app.signing.settlement.openDispute({ tradeId, reason });
      }
      setDone(`Dispute on trade ${tradeId} opened${bond !== "0" ? ` (bond ${formatAip(bond)})` : ""}.`);
      await refresh();
    } catch (e) {
      setError(chainError(e));
    }
  };

  const settled = trades.filter((t) => t.status === "settled" || t.status === "ruled");
  return (
    <Stack maw={1000}>
      <PageTitle sub="Your soulbound reputation token: its tier sets your offer collateral and premium access.">Reputation</PageTitle>
      {rep && !rep.registered && (
        <Text c="dimmed">You are not registered yet: finish onboarding to receive your reputation token.</Text>
      )}
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Tier
          </Text>
          <Badge size="xl" data-testid="tier">
            {rep?.tier ?? "…"}
          </Badge>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Score
          </Text>
          <Text size="xl" fw={600} data-testid="score">
            {rep ? `${rep.score} / 1000` : "…"}
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Offer collateral
          </Text>
          <Text size="xl" fw={600} data-testid="collateral">
            {terms ? `${terms.collateral_ratio_bps / 100} %` : "…"}
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Premium access
          </Text>
          <Text size="xl" fw={600} data-testid="premium">
            {terms ? (terms.premium_eligible && elig?.premium ? "yes" : "no") : "…"}
          </Text>
        </Card>
      </SimpleGrid>
      {elig && (
        <Text size="sm">
          KYC status: <Badge variant="light">{elig.status}</Badge>
          {elig.valid_until ? ` · valid until ${new Date(elig.valid_until * 1000).toISOString().slice(0, 10)}` : ""}
        </Text>
      )}
      {rep && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Score components
          </Title>
          <Stack gap="xs">
            {COMPONENTS.map(([k, label]) => (
              <div key={k}>
                <Group justify="space-between">
                  <Text size="sm">{label}</Text>
                  <Text size="sm">{rep.components[k]} / 1000</Text>
                </Group>
                <Progress value={rep.components[k] / 10} aria-label={label} />
              </div>
            ))}
          </Stack>
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Review a settled trade
          </Title>
          <Stack gap="xs">
            <Select
              label="Trade"
              data={settled.map((t) => ({ value: String(t.id), label: `#${t.id} · ${slotLabel(Number(t.slot))}` }))}
              value={reviewTrade}
              onChange={setReviewTrade}
              placeholder={settled.length ? "Choose a trade" : "No settled trades yet"}
            />
            <Group>
              <Text size="sm" id="rating-label">
                Rating
              </Text>
              <Rating value={rating} onChange={setRating} aria-labelledby="rating-label" />
            </Group>
            <Button onClick={() => void review()} disabled={!reviewTrade} w="fit-content">
              Submit review
            </Button>
          </Stack>
        </Card>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Open a dispute
          </Title>
          <Stack gap="xs">
            <NumberInput label="Trade id" value={disputeTrade} onChange={setDisputeTrade} min={0} allowDecimal={false} />
            <TextInput label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            <Button onClick={() => void dispute()} disabled={disputeTrade === "" || !reason.trim()} w="fit-content" color="red">
              Open dispute
            </Button>
          </Stack>
        </Card>
      </SimpleGrid>
      <ErrorAlert title="Refused" message={error} />
      {done && <Success title="Done">{done}</Success>}
      {rep && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            History
          </Title>
          <Table>
            <Table.Tbody>
              {Object.entries(rep.history).map(([k, v]) => (
                <Table.Tr key={k}>
                  <Table.Td>{k.replace(/_/g, " ")}</Table.Td>
                  <Table.Td>{String(v)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
    </Stack>
  );
}
