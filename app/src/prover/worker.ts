// The KYC prover (packages/zk-kyc-wasm) in a Web Worker: the page stays
// responsive while proving, and gets progress messages. Nothing here talks
// to the network except fetching the public proving key.
import init, { identityNew, Prover } from "./pkg/zk_kyc_wasm.js";
import type { FromWorker, ToWorker } from "./protocol";

const ready = init();
let prover: { url: string; prover: Prover } | null = null;

function post(m: FromWorker) {
  (self as unknown as Worker).postMessage(m);
}

async function fetchKey(id: number, url: string, started: number): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`the proving key could not be downloaded from ${url}: HTTP ${res.status}`);
  const total = Number(res.headers.get("content-length") ?? 0) || undefined;
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    post({ id, type: "progress", stage: "loading", elapsedMs: performance.now() - started, loadedBytes: loaded, totalBytes: total });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

self.onmessage = async (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  const started = performance.now();
  try {
    await ready;
    if (msg.type === "identity") {
      post({ id: msg.id, type: "identity", identity: JSON.parse(identityNew()) });
      return;
    }
    if (!prover || prover.url !== msg.provingKeyUrl) {
      const bytes = await fetchKey(msg.id, msg.provingKeyUrl, started);
      post({ id: msg.id, type: "progress", stage: "key", elapsedMs: performance.now() - started });
      prover = { url: msg.provingKeyUrl, prover: new Prover(bytes) };
    }
    let provingStarted = 0;
    const proof = prover.prover.prove(JSON.stringify(msg.request), (stage: string) => {
      if (stage === "proving") provingStarted = performance.now();
      post({ id: msg.id, type: "progress", stage: stage as "witness" | "proving" | "done", elapsedMs: performance.now() - started });
    });
    post({ id: msg.id, type: "proof", proof: JSON.parse(proof), provingMs: performance.now() - provingStarted });
  } catch (e) {
    post({ id: msg.id, type: "error", message: e instanceof Error ? e.message : String(e) });
  }
};
