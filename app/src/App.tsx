import { useCallback, useEffect, useMemo, useState } from "react";
import { Alert, AppShell, Badge, Burger, Button, Group, Loader, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { loadConfig, type AppConfig } from "./lib/config";
import { queries as makeQueries, signing as makeSigning, type Queries, type Signing } from "./lib/chain";
import { connect as connectWallet, WalletError, type Connection } from "./lib/wallet";
import { Gateway } from "./lib/gateway";
import { AppContext, type AppState } from "./state";
import { ConnectPage } from "./pages/Connect";
import { OnboardingPage } from "./pages/Onboarding";
import { WalletPage } from "./pages/Wallet";
import { TradePage } from "./pages/Trade";
import { ReputationPage } from "./pages/Reputation";
import { MarketPage } from "./pages/Market";

const PAGES = [
  { id: "connect", label: "Connect", Page: ConnectPage },
  { id: "onboarding", label: "Onboarding", Page: OnboardingPage },
  { id: "wallet", label: "Wallet", Page: WalletPage },
  { id: "trade", label: "Trade", Page: TradePage },
  { id: "reputation", label: "Reputation", Page: ReputationPage },
  { id: "market", label: "Market", Page: MarketPage },
] as const;
type PageId = (typeof PAGES)[number]["id"];

function pageFromHash(): PageId {
  const h = window.location.hash.replace(/^#\/?/, "");
  return (PAGES.find((p) => p.id === h)?.id ?? "connect") as PageId;
}

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [queries, setQueries] = useState<Queries | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [conn, setConn] = useState<Connection | null>(null);
  const [signing, setSigning] = useState<Signing | null>(null);
  const [connecting, setConnecting] = useState(false);
  const [walletError, setWalletError] = useState<string | null>(null);
  const [page, setPage] = useState<PageId>(pageFromHash());
  const [opened, { toggle }] = useDisclosure();
  const gateway = useMemo(() => (config ? new Gateway(config.gateway_url) : null), [config]);

  useEffect(() => {
    const onHash = () => setPage(pageFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    loadConfig()
      .then(async (c) => {
        setConfig(c);
        try {
          setQueries(await makeQueries(c));
        } catch (e) {
          setLoadError(`The chain's node at ${c.deployment.rpc_url} does not answer: ${e instanceof Error ? e.message : e}`);
        }
      })
      .catch((e: unknown) => setLoadError(e instanceof Error ? e.message : String(e)));
  }, []);

  const connect = useCallback(async () => {
    if (!config) return;
    setConnecting(true);
    setWalletError(null);
    try {
      const c = await connectWallet(config);
      setSigning(await makeSigning(config, c));
      setConn(c);
    } catch (e) {
      setConn(null);
      setSigning(null);
      setWalletError(e instanceof WalletError ? e.message : `Could not connect: ${e instanceof Error ? e.message : e}`);
    } finally {
      setConnecting(false);
    }
  }, [config]);

  // Keplr tells the page when the user switches accounts.
  useEffect(() => {
    if (!conn) return;
    const onChange = () => void connect();
    window.addEventListener("keplr_keystorechange", onChange);
    return () => window.removeEventListener("keplr_keystorechange", onChange);
  }, [conn, connect]);

  if (loadError) {
    return (
      <Alert color="red" title="The app cannot start" m="xl" role="alert">
        {loadError}
      </Alert>
    );
  }
  if (!config || !queries || !gateway) {
    return (
      <Group justify="center" mt="xl">
        <Loader aria-label="Loading" />
      </Group>
    );
  }

  const state: AppState = {
    config,
    queries,
    gateway,
    conn,
    signing,
    connect,
    connecting,
    walletError,
  };
  const Current = PAGES.find((p) => p.id === page)!.Page;

  return (
    <AppContext.Provider value={state}>
      <AppShell header={{ height: 60 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Group>
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
              <Title order={1} size="h3">
                AIPCHAIN
              </Title>
              <Badge variant="light" color="gray">
                {config.deployment.chain_id}
              </Badge>
            </Group>
            {conn ? (
              <Group gap="xs">
                <Text size="sm" fw={500}>
                  {conn.name}
                </Text>
                <Text size="sm" c="dimmed" data-testid="header-address">
                  {conn.address.slice(0, 10)}…{conn.address.slice(-6)}
                </Text>
              </Group>
            ) : (
              <Button onClick={() => void connect()} loading={connecting} variant="light">
                Connect Keplr
              </Button>
            )}
          </Group>
        </AppShell.Header>
        <AppShell.Navbar p="xs" aria-label="Pages">
          {PAGES.map((p) => (
            <NavLink
              key={p.id}
              href={`#/${p.id}`}
              label={p.label}
              active={p.id === page}
              color="teal"
              aria-current={p.id === page ? "page" : undefined}
            />
          ))}
        </AppShell.Navbar>
        <AppShell.Main>
          <Current />
        </AppShell.Main>
      </AppShell>
    </AppContext.Provider>
  );
}
