import { useEffect, useMemo, useState } from "react";
import { Badge, Button, Card, Code, CopyButton, Group, Progress, Stack, Stepper, Text, Textarea, Title } from "@mantine/core";
import { address } from "../lib/config";
import { chainError } from "../lib/chain";
import { ProverClient, type Progress as ProveProgress } from "../prover/client";
import type { CredentialFile, IdentityFile } from "../prover/protocol";
import { loadCredential, loadIdentity, saveCredential, saveIdentity } from "../prover/store";
import { useApp, useConnected } from "../state";
import type { ReputationResponse } from "../contracts/Reputation.types";
import { ErrorAlert, NeedWallet, PageTitle, Success } from "./common";

let prover: ProverClient | null = null;
const getProver = () => (prover ??= new ProverClient());

const STAGES: Record<ProveProgress["stage"], { label: string; pct: number }> = {
  loading: { label: "Downloading the proving key", pct: 10 },
  key: { label: "Reading the proving key", pct: 30 },
  witness: { label: "Building the witness (your path in the provider's tree, the sanctions and revocation checks)", pct: 40 },
  proving: { label: "Proving (Groth16): this takes a while", pct: 60 },
  done: { label: "Proof ready", pct: 100 },
};

async function fetchJson(url: string, what: string): Promise<unknown> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`The KYC provider's ${what} could not be loaded from ${url}: HTTP ${res.status}`);
  return res.json();
}

export function OnboardingPage() {
  const app = useConnected();
  const { config, queries } = useApp();
  const [identity, setIdentity] = useState<IdentityFile | null>(() => loadIdentity());
  const [credential, setCredential] = useState<CredentialFile | null>(() => loadCredential());
  const [credText, setCredText] = useState("");
  const [progress, setProgress] = useState<ProveProgress | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [registered, setRegistered] = useState<ReputationResponse | null>(null);
  const [provingMs, setProvingMs] = useState<number | null>(null);
  const account = app?.conn.address;

  useEffect(() => {
    if (!account) return;
    queries.reputation
      .reputation({ account })
      .then((r) => setRegistered(r.registered ? r : null))
      .catch(() => setRegistered(null));
  }, [account, queries]);

  const active = useMemo(() => (registered ? 3 : !identity ? 0 : !credential ? 1 : 2), [identity, credential, registered]);

  if (!app) return <NeedWallet />;

  const create = async () => {
    setError(null);
    setBusy(true);
    try {
      const id = await getProver().createIdentity();
      saveIdentity(id);
      setIdentity(id);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const storeCredential = () => {
    setError(null);
    try {
      setCredential(saveCredential(credText, identity!));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  const proveAndRegister = async () => {
    if (!identity || !credential) return;
    setError(null);
    setBusy(true);
    setProgress({ stage: "loading", elapsedMs: 0 });
    try {
      const [tree, sanctions, revocations] = await Promise.all([
        fetchJson(config.kyc.tree_url, "identity tree"),
        fetchJson(config.kyc.sanctions_url, "sanctions list"),
        fetchJson(config.kyc.revocations_url, "revocation list"),
      ]);
      const { proof, provingMs } = await getProver().prove(
        {
          identity,
          credential,
          tree,
          sanctions,
          revocations,
          address: app.conn.address,
          chain_id: config.deployment.chain_id,
          contract: address(config, "zk-verifier"),
        },
        config.kyc.proving_key_url,
        setProgress,
      );
      setProvingMs(provingMs);
      const r = proof.register.register;
      try {
        await app.signing.zk.register({ proof: r.proof, context: r.context, nullifierHash: r.nullifier_hash, validUntil: r.valid_until });
      } catch (e) {
        throw new Error(`Registration refused by the chain: ${chainError(e)}`);
      }
      const rep = await queries.reputation.reputation({ account: app.conn.address });
      setRegistered(rep.registered ? rep : null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack maw={820}>
      <PageTitle sub="Your identity is created and your proof is made in this browser. The secret never leaves this device; the chain learns only that you hold a valid, unsanctioned credential.">
        Onboarding
      </PageTitle>
      <Stepper active={active} allowNextStepsSelect={false} size="sm">
        <Stepper.Step label="Your KYC identity" description="A secret kept in this browser" />
        <Stepper.Step label="Your credential" description="Issued by the KYC provider" />
        <Stepper.Step label="Prove and register" description="Mints your reputation token" />
      </Stepper>
      <Title order={3} size="h4">
        1. Your KYC identity
      </Title>
          <Card withBorder>
            {identity ? (
              <Stack gap="xs">
                <Text size="sm">Give this commitment to your KYC provider. It reveals nothing about your secret.</Text>
                <Group>
                  <Code data-testid="commitment">{identity.commitment}</Code>
                  <CopyButton value={identity.commitment}>
                    {({ copied, copy }) => (
                      <Button size="xs" variant="light" onClick={copy}>
                        {copied ? "Copied" : "Copy"}
                      </Button>
                    )}
                  </CopyButton>
                </Group>
              </Stack>
            ) : (
              <Button onClick={() => void create()} loading={busy} w="fit-content">
                Create my identity
              </Button>
            )}
          </Card>
      <Title order={3} size="h4">
        2. Your credential
      </Title>
          <Card withBorder>
            <Stack gap="xs">
              <Textarea
                label="Credential from your KYC provider"
                description="Paste the credential file (JSON) the provider issued for your commitment."
                autosize
                minRows={3}
                value={credText}
                onChange={(e) => setCredText(e.currentTarget.value)}
              />
              {credential && (
                <Text size="sm" data-testid="credential-saved">
                  Credential saved (expires {new Date(credential.expiry * 1000).toISOString().slice(0, 10)}).
                </Text>
              )}
              <Button onClick={storeCredential} disabled={!credText.trim() || !identity} w="fit-content">
                Save credential
              </Button>
            </Stack>
          </Card>
      <Title order={3} size="h4">
        3. Prove and register
      </Title>
          <Card withBorder>
            <Stack gap="xs">
              <Text size="sm">
                Proves that your credential is in the provider's tree, unexpired, and on neither the sanctions nor the
                revocation list, bound to {app.conn.address}. Then the registration is sent from your wallet.
              </Text>
              <Button onClick={() => void proveAndRegister()} loading={busy} disabled={!credential} w="fit-content">
                Prove and register
              </Button>
              {progress && (
                <Stack gap={4} data-testid="progress">
                  <Progress value={STAGES[progress.stage].pct} animated={busy} aria-label="Proof progress" />
                  <Text size="sm" data-testid="progress-stage">
                    {STAGES[progress.stage].label}
                    {progress.loadedBytes ? ` (${(progress.loadedBytes / 1e6).toFixed(1)} MB)` : ""} ·{" "}
                    {(progress.elapsedMs / 1000).toFixed(1)} s
                  </Text>
                </Stack>
              )}
            </Stack>
          </Card>
      <ErrorAlert title="Onboarding failed" message={error} />
      {registered && (
        <Success title="Registered">
          <Stack gap={4}>
            <Text size="sm">
              Your soulbound reputation token <Code data-testid="token-id">{registered.token_id}</Code> was minted.
            </Text>
            <Group gap="xs">
              <Text size="sm">Tier</Text>
              <Badge data-testid="tier">{registered.tier}</Badge>
              {provingMs !== null && (
                <Text size="sm" c="dimmed" data-testid="proving-time">
                  proof made in {(provingMs / 1000).toFixed(1)} s
                </Text>
              )}
            </Group>
          </Stack>
        </Success>
      )}
    </Stack>
  );
}
