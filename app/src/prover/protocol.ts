// Messages between the page and the prover's Web Worker.

/** `aip-kyc identity new`'s file. SECRET: kept in this browser only. */
export interface IdentityFile {
  curve: string;
  secret: string;
  trapdoor: string;
  commitment: string;
}

/** The credential the KYC provider issued for the identity's commitment. */
export interface CredentialFile {
  curve: string;
  identifier: string;
  expiry: number;
  leaf: string;
}

export interface ProofFile {
  curve: string;
  address: string;
  proof: string;
  identity_root: string;
  sanctions_root: string;
  revocation_root: string;
  context: string;
  nullifier_hash: string;
  valid_until: number;
  external_nullifier: string;
  signal: string;
  public_input: string;
  register: { register: { proof: string; context: string; nullifier_hash: string; valid_until: number } };
}

export interface ProveRequest {
  identity: IdentityFile;
  credential: CredentialFile;
  tree: unknown;
  sanctions: unknown;
  revocations: unknown;
  address: string;
  chain_id: string;
  contract: string;
  valid_until?: number | null;
}

export type Stage = "loading" | "key" | "witness" | "proving" | "done";

export type ToWorker =
  | { id: number; type: "identity" }
  | { id: number; type: "prove"; request: ProveRequest; provingKeyUrl: string };

export type FromWorker =
  | { id: number; type: "progress"; stage: Stage; elapsedMs: number; loadedBytes?: number; totalBytes?: number }
  | { id: number; type: "identity"; identity: IdentityFile }
  | { id: number; type: "proof"; proof: ProofFile; provingMs: number }
  | { id: number; type: "error"; message: string };
