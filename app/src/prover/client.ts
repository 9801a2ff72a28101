// The page's side of the prover worker.
import type { FromWorker, IdentityFile, ProofFile, ProveRequest, Stage, ToWorker } from "./protocol";

export interface Progress {
  stage: Stage;
  elapsedMs: number;
  loadedBytes?: number;
  totalBytes?: number;
}

export class ProverClient {
  private worker: Worker;
  private next = 1;
  private pending = new Map<number, { resolve: (m: FromWorker) => void; onProgress?: (p: Progress) => void }>();

  constructor() {
    this.worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === "progress") {
        p.onProgress?.({ stage: m.stage, elapsedMs: m.elapsedMs, loadedBytes: m.loadedBytes, totalBytes: m.totalBytes });
        return;
      }
      this.pending.delete(m.id);
      p.resolve(m);
    };
    // A worker that fails to load or crashes answers nothing: fail what waits for it.
    this.worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      const message = `The prover stopped: ${ev.message || "it could not be loaded"}`;
      for (const [id, p] of this.pending) p.resolve({ id, type: "error", message });
      this.pending.clear();
    };
  }

  private request(m: Omit<ToWorker, "id"> & { type: ToWorker["type"] }, onProgress?: (p: Progress) => void): Promise<FromWorker> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onProgress });
      this.worker.postMessage({ ...m, id } as ToWorker);
    });
  }

  async createIdentity(): Promise<IdentityFile> {
    const r = await this.request({ type: "identity" });
    if (r.type === "error") throw new Error(r.message);
    if (r.type !== "identity") throw new Error(`unexpected answer ${r.type}`);
    return r.identity;
  }

  async prove(request: ProveRequest, provingKeyUrl: string, onProgress: (p: Progress) => void): Promise<{ proof: ProofFile; provingMs: number }> {
    const r = await this.request({ type: "prove", request, provingKeyUrl } as Omit<ToWorker, "id">, onProgress);
    if (r.type === "error") throw new Error(r.message);
    if (r.type !== "proof") throw new Error(`unexpected answer ${r.type}`);
    return { proof: r.proof, provingMs: r.provingMs };
  }
}
