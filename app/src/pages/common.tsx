import type { ReactNode } from "react";
import { Alert, Button, Stack, Text, Title } from "@mantine/core";
import { useApp } from "../state";

export function PageTitle({ children, sub }: { children: ReactNode; sub?: ReactNode }) {
  return (
    <Stack gap={4} mb="md">
      <Title order={2}>{children}</Title>
      {sub && <Text c="dimmed">{sub}</Text>}
    </Stack>
  );
}

/** A refusal or failure, shown to the user. */
export function ErrorAlert({ title, message }: { title: string; message: string | null }) {
  if (!message) return null;
  return (
    <Alert color="red" title={title} role="alert" data-testid="error">
      {message}
    </Alert>
  );
}

export function Success({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Alert color="teal" title={title} role="status" data-testid="success">
      {children}
    </Alert>
  );
}

/** Shown by pages that need the wallet. */
export function NeedWallet() {
  const { connect, connecting, walletError } = useApp();
  return (
    <Stack maw={520}>
      <Text>Connect your Keplr wallet to use this page.</Text>
      <Button onClick={() => void connect()} loading={connecting} w="fit-content">
        Connect Keplr
      </Button>
      <ErrorAlert title="Wallet" message={walletError} />
    </Stack>
  );
}

export const shortHash = (h: string) => `${h.slice(0, 8)}…${h.slice(-4)}`;

export function slotLabel(slot: number): string {
  const d = new Date(slot * 1000);
  const end = new Date((slot + 900) * 1000);
  const hm = (x: Date) => x.toISOString().slice(11, 16);
  return `${d.toISOString().slice(0, 10)} ${hm(d)}–${hm(end)} UTC`;
}
