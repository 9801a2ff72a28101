//! Signing intents with a real secp256k1 key (feature `sign`): what a wallet
//! does, for agents that trade on behalf of their owner (the simulation's
//! households), for the gas harness and for tests. Keplr (`signArbitrary`) and
//! MetaMask (`eth_signTypedData_v4`) produce the same signatures.

use cosmwasm_std::Binary;
use k256::ecdsa::{signature::hazmat::PrehashSigner, Signature, SigningKey};
use sha2::{Digest, Sha256};

use super::{
    adr036_digest, cosmos_address, eip712_digest, IntentError, IntentSignature, OrderIntent,
    SignedIntent, KIND_COSMOS_ADR036, KIND_ETH_EIP712,
};

/// A secp256k1 key that signs intents.
#[derive(Clone)]
pub struct IntentKey {
    key: SigningKey,
}

impl IntentKey {
    /// A key from 32 secret bytes (refused when not a valid scalar).
    pub fn from_bytes(secret: &[u8; 32]) -> Result<Self, IntentError> {
        SigningKey::from_bytes(secret.into())
            .map(|key| IntentKey { key })
            .map_err(|e| IntentError::InvalidField {
                field: "secret key",
                reason: e.to_string(),
            })
    }

    /// A deterministic key from a label (`sha256(label)` as the secret):
    /// for simulations and tests, never for real funds.
    pub fn from_label(label: &str) -> Self {
        let secret: [u8; 32] = Sha256::digest(label.as_bytes()).into();
        // sha256 output is a valid scalar except with negligible probability.
        Self::from_bytes(&secret).expect("sha256 of a label is a valid secp256k1 scalar")
    }

    /// The 33-byte compressed public key.
    pub fn public_key(&self) -> [u8; 33] {
        let p = self.key.verifying_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(p.as_bytes());
        out
    }

    /// The key's account under `prefix` (the same for both signing kinds).
    pub fn address(&self, prefix: &str) -> String {
        cosmos_address(prefix, &self.public_key()).expect("a 33-byte key always encodes")
    }

    /// Signs as Keplr's `signArbitrary` does (ADR-036).
    pub fn sign_cosmos(&self, intent: &OrderIntent) -> SignedIntent {
        let sig: Signature = self
            .key
            .sign_prehash(&adr036_digest(intent))
            .expect("signing a 32-byte digest cannot fail");
        SignedIntent {
            intent: intent.clone(),
            signature: IntentSignature {
                kind: KIND_COSMOS_ADR036.to_string(),
                pub_key: Some(Binary::from(self.public_key().to_vec()).to_base64()),
                signature: Binary::from(sig.to_bytes().to_vec()).to_base64(),
            },
        }
    }

    /// Signs as MetaMask's `eth_signTypedData_v4` does (EIP-712, `r‖s‖v`, v = 27/28).
    pub fn sign_eth(&self, intent: &OrderIntent) -> SignedIntent {
        let (sig, rec) = self
            .key
            .sign_prehash_recoverable(&eip712_digest(intent))
            .expect("signing a 32-byte digest cannot fail");
        let mut bytes = sig.to_bytes().to_vec();
        bytes.push(27 + rec.to_byte());
        SignedIntent {
            intent: intent.clone(),
            signature: IntentSignature {
                kind: KIND_ETH_EIP712.to_string(),
                pub_key: None,
                signature: format!("0x{}", hex::encode(bytes)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::{verify_signed_intent, IntentDomain, Side};
    use cosmwasm_std::testing::MockApi;

    #[test]
    fn both_signing_kinds_verify_for_the_keys_account() {
        let k = IntentKey::from_label("household 1");
        let contract = IntentKey::from_label("contract").address("wasm");
        let domain = IntentDomain {
            chain_id: "aipchain-local-1".into(),
            contract: contract.clone(),
        };
        let intent = OrderIntent {
            chain_id: domain.chain_id.clone(),
            contract,
            owner: k.address("wasm"),
            nonce: 1,
            slot_from: 900,
            slot_until: 1_800,
            side: Side::Sell,
            meter: 3,
            wh: 500,
            limit_price: 100_000,
            premium_only: false,
            expires: 2_000,
        };
        let api = MockApi::default();
        for signed in [k.sign_cosmos(&intent), k.sign_eth(&intent)] {
            let v = verify_signed_intent(&api, &domain, &signed, 1_000).unwrap();
            assert_eq!(v.owner, k.address("wasm"));
            assert_eq!(v.hash, intent.hash());
        }
    }
}
