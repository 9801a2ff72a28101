import { useCallback, useEffect, useState } from "react";
import { Alert, Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { address } from "../lib/config";
import { chainError, deposit, depositBalance, formatAip, parseAip, withdraw, type DepositBalance } from "../lib/chain";
import { useApp, useConnected } from "../state";
import { ErrorAlert, NeedWallet, PageTitle, Success } from "./common";

/** `uaip` null: still loading; "n/a": the contract has no such figure. */
function Figure({ label, uaip, testid }: { label: string; uaip: string | null; testid: string }) {
  return (
    <Card withBorder>
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={600} data-testid={testid}>
        {uaip === null ? "…" : uaip === "n/a" ? "n/a" : formatAip(uaip)}
      </Text>
    </Card>
  );
}

export function WalletPage() {
  const app = useConnected();
  const { config, queries } = useApp();
  const [aip, setAip] = useState<string | null>(null);
  const [acct, setAcct] = useState<DepositBalance | null | undefined>(undefined);
  const [amount, setAmount] = useState("");
  const [withdrawAmount, setWithdrawAmount] = useState("");
  const [busy, setBusy] = useState<"deposit" | "withdraw" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const settlement = address(config, "settlement");
  const account = app?.conn.address;

  const refresh = useCallback(async () => {
    if (!account) return;
    setAip((await queries.token.balance({ address: account })).balance);
    try {
      setAcct(await depositBalance(queries, settlement, account));
    } catch {
      setAcct(null);
    }
  }, [account, queries, settlement]);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  if (!app) return <NeedWallet />;

  const run = async (what: "deposit" | "withdraw") => {
    setError(null);
    setDone(null);
    setBusy(what);
    try {
      if (what === "deposit") {
        const uaip = parseAip(amount);
        if (aip !== null && BigInt(uaip) > BigInt(aip)) {
          throw new Error(`Balance too small: you hold ${formatAip(aip)}, the deposit is ${formatAip(uaip)}.`);
        }
        await deposit(app.signing, settlement, uaip);
        setDone(`Deposited ${formatAip(uaip)}.`);
        setAmount("");
      } else {
        const uaip = withdrawAmount.trim() ? parseAip(withdrawAmount) : null;
        if (uaip !== null && acct && BigInt(uaip) > BigInt(acct.free)) {
          throw new Error(`Balance too small: your free balance is ${formatAip(acct.free)}, the withdrawal is ${formatAip(uaip)}.`);
        }
        await withdraw(app.signing, settlement, uaip);
        setDone(uaip ? `Withdrew ${formatAip(uaip)}.` : "Withdrew your whole free balance.");
        setWithdrawAmount("");
      }
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      setError(msg.startsWith("Balance too small") || msg.includes("AIP amount") || msg.includes("more than 0") ? msg : chainError(e));
    } finally {
      setBusy(null);
      void refresh();
    }
  };

  return (
    <Stack maw={900}>
      <PageTitle sub="Bids are paid from your free balance in the market; offers lock collateral there.">Wallet</PageTitle>
      <SimpleGrid cols={{ base: 1, sm: 4 }}>
        <Figure label="AIP in your wallet" uaip={aip} testid="aip-balance" />
        <Figure label="Free (market)" uaip={acct ? acct.free : acct === null ? "n/a" : null} testid="free" />
        <Figure label="Locked in trades" uaip={acct ? acct.locked : acct === null ? "n/a" : null} testid="locked" />
        <Figure label="Claimable" uaip={acct ? acct.claimable : acct === null ? "n/a" : null} testid="claimable" />
      </SimpleGrid>
      {acct === null && (
        <Alert color="blue" title="No deposit account" role="status">
          This settlement contract does not have the deposit account yet (its balance query answers another shape).
          Deposits and withdrawals need the updated contract.
        </Alert>
      )}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Deposit
          </Title>
          <Group align="end">
            <TextInput label="Amount (AIP)" value={amount} onChange={(e) => setAmount(e.currentTarget.value)} placeholder="100" />
            <Button onClick={() => void run("deposit")} loading={busy === "deposit"} disabled={!amount.trim()}>
              Deposit
            </Button>
          </Group>
        </Card>
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Withdraw
          </Title>
          <Group align="end">
            <TextInput
              label="Amount (AIP, empty = all free)"
              value={withdrawAmount}
              onChange={(e) => setWithdrawAmount(e.currentTarget.value)}
              placeholder="all"
            />
            <Button onClick={() => void run("withdraw")} loading={busy === "withdraw"} variant="light">
              Withdraw
            </Button>
          </Group>
        </Card>
      </SimpleGrid>
      <ErrorAlert title="Refused" message={error} />
      {done && <Success title="Done">{done}</Success>}
    </Stack>
  );
}
