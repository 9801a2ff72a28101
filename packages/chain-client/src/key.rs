//! Keys: a secp256k1 signing key derived from a BIP39 mnemonic.

use cosmrs::bip32::{DerivationPath, Language, Mnemonic};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::crypto::PublicKey;
use cosmrs::AccountId;

use crate::error::{Error, Result};

/// The Cosmos HD path (coin type 118), account 0, index 0.
pub const COSMOS_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A signing key and its address.
pub struct Signer {
    key: SigningKey,
    public_key: PublicKey,
    address: AccountId,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Signer")
            .field("address", &self.address.as_ref())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Derives the key at the Cosmos HD path [`COSMOS_HD_PATH`] from a
    /// 24-word English BIP39 mnemonic (no passphrase).
    pub fn from_mnemonic(phrase: &str, prefix: &str) -> Result<Self> {
        Self::from_mnemonic_with_path(phrase, COSMOS_HD_PATH, prefix)
    }

    /// Derives the key at `path` (e.g. `m/44'/118'/0'/0/3`) from a mnemonic.
    pub fn from_mnemonic_with_path(phrase: &str, path: &str, prefix: &str) -> Result<Self> {
        let normalized = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        let mnemonic = Mnemonic::new(&normalized, Language::English).map_err(|e| {
            Error::Key(format!("invalid mnemonic (24 English words expected): {e}"))
        })?;
        let path: DerivationPath = path
            .parse()
            .map_err(|e| Error::Key(format!("invalid derivation path {path:?}: {e}")))?;
        let seed = mnemonic.to_seed("");
        let key = SigningKey::derive_from_path(seed.as_bytes(), &path)
            .map_err(|e| Error::Key(format!("key derivation failed: {e}")))?;
        Self::from_signing_key(key, prefix)
    }

    /// Wraps an existing signing key.
    pub fn from_signing_key(key: SigningKey, prefix: &str) -> Result<Self> {
        let public_key = key.public_key();
        let address = public_key
            .account_id(prefix)
            .map_err(|e| Error::Key(format!("invalid bech32 prefix {prefix:?}: {e}")))?;
        Ok(Signer {
            key,
            public_key,
            address,
        })
    }

    /// The bech32 account address.
    pub fn address(&self) -> &AccountId {
        &self.address
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// The signing key, for signing arbitrary sign docs.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}
