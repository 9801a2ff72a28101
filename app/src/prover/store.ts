// The identity and the credential live in this browser's localStorage only:
// the secret is never sent anywhere (the prover runs in a Web Worker here).
import type { CredentialFile, IdentityFile } from "./protocol";

const IDENTITY = "aipchain.kyc.identity";
const CREDENTIAL = "aipchain.kyc.credential";

export function loadIdentity(): IdentityFile | null {
  const t = localStorage.getItem(IDENTITY);
  return t ? (JSON.parse(t) as IdentityFile) : null;
}
export function saveIdentity(id: IdentityFile): void {
  localStorage.setItem(IDENTITY, JSON.stringify(id));
}
export function loadCredential(): CredentialFile | null {
  const t = localStorage.getItem(CREDENTIAL);
  return t ? (JSON.parse(t) as CredentialFile) : null;
}

/** Parses and stores the provider's credential; throws a message for the user. */
export function saveCredential(text: string, identity: IdentityFile): CredentialFile {
  let c: CredentialFile;
  try {
    c = JSON.parse(text) as CredentialFile;
  } catch {
    throw new Error("The credential is not valid JSON: paste the whole file your KYC provider gave you.");
  }
  if (typeof c.identifier !== "string" || typeof c.leaf !== "string" || typeof c.expiry !== "number") {
    throw new Error("This is not a credential file: it needs identifier, expiry and leaf.");
  }
  if (c.curve !== identity.curve) {
    throw new Error(`The credential is for curve ${c.curve}, your identity for ${identity.curve}.`);
  }
  localStorage.setItem(CREDENTIAL, JSON.stringify(c));
  return c;
}
