import { Badge, Button, Card, Code, Group, List, Stack, Text } from "@mantine/core";
import { useApp } from "../state";
import { ErrorAlert, PageTitle, Success } from "./common";

export function ConnectPage() {
  const { config, conn, connect, connecting, walletError } = useApp();
  const d = config.deployment;
  return (
    <Stack maw={720}>
      <PageTitle sub="AIPCHAIN runs on its own chain. Keplr adds it when you connect.">Connect your wallet</PageTitle>
      <Card withBorder>
        <Stack gap="xs">
          <Group>
            <Text fw={500}>Chain</Text>
            <Badge variant="light">{d.chain_id}</Badge>
          </Group>
          <Text size="sm">
            Node <Code>{d.rpc_url}</Code>, addresses start with <Code>{d.prefix}1</Code>, fees in{" "}
            <Code>{config.fee_denom}</Code>.
          </Text>
        </Stack>
      </Card>
      {conn ? (
        <Success title="Connected">
          <Text size="sm">
            {conn.name}: <span data-testid="address">{conn.address}</span>
          </Text>
        </Success>
      ) : (
        <Button onClick={() => void connect()} loading={connecting} w="fit-content" size="md">
          Connect Keplr
        </Button>
      )}
      <ErrorAlert title="Cannot connect" message={walletError} />
      <Text size="sm" c="dimmed">
        Next steps:
      </Text>
      <List size="sm">
        <List.Item>Onboarding: prove your KYC in this browser and receive your reputation token.</List.Item>
        <List.Item>Wallet: deposit AIP into the market.</List.Item>
        <List.Item>Trade: sign bids and offers for the next delivery slots.</List.Item>
      </List>
    </Stack>
  );
}
