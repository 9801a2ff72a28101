//! Market operations on a deployment, as contract calls for
//! [`chain_client::ChainClient::execute_multi`]: deposits (a CW20 `Send` to
//! settlement) and withdrawals, order intents signed off chain with the
//! wallet's key, the matcher's `commit_intents`, device-signed meter
//! readings. Used by the `aip` commands, the e2e tests and the localnet
//! benchmark; the simulation's `--node` chain uses it too.

use aip_types::intent::sign::IntentKey;
use aip_types::intent::{BatchIntent, IntentDomain, OrderIntent, Side, SignedIntent};
use aip_types::{MeterId, SlotId};
use chain_client::{Execute, Signer};
use cosmwasm_std::{to_json_binary, Binary, Uint128};
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

use crate::deployment::Deployment;
use crate::error::{Error, Result};

/// Collateral an offer locks: `ceil(wh × max(min_price, floor) × ratio_bps / 10⁷)`
/// uaip, `floor` being the market's `collateral_floor_price` (the settlement
/// contract's rule, `aip_types::offer_collateral`).
pub fn offer_collateral(wh: u128, min_price: u128, floor: u128, ratio_bps: u32) -> Result<u128> {
    aip_types::offer_collateral(
        Uint128::new(wh),
        Uint128::new(min_price),
        Uint128::new(floor),
        ratio_bps,
    )
    .map(|u| u.u128())
    .map_err(|e| Error::Usage(e.to_string()))
}

/// Payment for `wh` at `price`: `floor(wh × price / 1000)` uaip.
pub fn payment(wh: u128, price: u128) -> Result<u128> {
    aip_types::payment(Uint128::new(wh), Uint128::new(price))
        .map(|u| u.u128())
        .map_err(|e| Error::Usage(e.to_string()))
}

/// The first slot whose gate (`gate_closure_secs` before its start) is at
/// least `margin_secs` after `now`.
pub fn next_open_slot(now: u64, gate_closure_secs: u64, margin_secs: u64) -> u64 {
    let mut slot = SlotId::containing(now);
    while slot.start() < now + gate_closure_secs + margin_secs {
        slot = match slot.next() {
            Some(s) => s,
            None => break,
        };
    }
    slot.start()
}

fn cw20_send(d: &Deployment, amount: u128, hook: &Value) -> Result<Execute> {
    let msg = json!({"send": {
        "contract": d.address("settlement")?,
        "amount": amount.to_string(),
        "msg": to_json_binary(hook).map_err(|e| Error::Usage(e.to_string()))?,
    }});
    Ok(Execute::new(d.address("aip-token")?, &msg, &[])?)
}

/// A deposit of `amount` uaip into the sender's settlement account (an AIP
/// `Send` with the `deposit` hook): its free balance, from which committed
/// trades lock payments and collateral.
pub fn deposit(d: &Deployment, amount: u128) -> Result<Execute> {
    if amount == 0 {
        return Err(Error::Usage(
            "a deposit needs an amount above 0 uaip".into(),
        ));
    }
    cw20_send(d, amount, &json!({"deposit": {}}))
}

/// Pays out `amount` uaip of the sender's free balance (all of it when `None`).
pub fn withdraw(d: &Deployment, amount: Option<u128>) -> Result<Execute> {
    let amount = amount.map(|a| a.to_string());
    Ok(Execute::new(
        d.address("settlement")?,
        &json!({"withdraw": {"amount": amount}}),
        &[],
    )?)
}

/// The chain and settlement contract this deployment's intents are bound to.
pub fn intent_domain(d: &Deployment) -> Result<IntentDomain> {
    Ok(IntentDomain {
        chain_id: d.chain_id.clone(),
        contract: d.address("settlement")?.to_string(),
    })
}

/// What an order says, before it is bound to a deployment and an owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTerms {
    /// Buy or sell.
    pub side: Side,
    /// The one delivery slot (its start, unix seconds).
    pub slot: u64,
    /// The owner's meter.
    pub meter: MeterId,
    /// Energy, Wh.
    pub wh: u64,
    /// Limit price, uaip/kWh: the most a buyer pays, the least a seller takes.
    pub limit_price: u64,
}

/// The intent of `owner` (nonce `nonce`) for `terms` on this deployment: one
/// slot, expiring when the slot starts (the last moment a commit may take
/// it), not premium-only. Refused, with the rule, when outside the order
/// bounds or with a field the contract would refuse.
pub fn order_intent(
    d: &Deployment,
    owner: &str,
    nonce: u64,
    terms: &OrderTerms,
) -> Result<OrderIntent> {
    aip_types::check_order(u128::from(terms.wh), u128::from(terms.limit_price))
        .map_err(|e| Error::Usage(e.to_string()))?;
    let slot = SlotId::new(terms.slot).map_err(|e| Error::Usage(e.to_string()))?;
    let domain = intent_domain(d)?;
    let intent = OrderIntent {
        nonce,
        meter: terms.meter,
        wh: terms.wh,
        limit_price: terms.limit_price,
        ..OrderIntent::for_slot(&domain, owner, slot.start(), terms.side)
    };
    intent
        .validate()
        .map_err(|e| Error::Usage(format!("intent refused: {e}")))?;
    Ok(intent)
}

/// Posts a signed intent to the order gateway at `gateway` (base URL,
/// `http://` only) and returns its answer (JSON with the intent's hash). A
/// refusal is [`Error::GatewayRefused`] with the gateway's status, code and
/// reason; nothing is stored then.
pub fn post_intent(gateway: &str, signed: &SignedIntent) -> Result<String> {
    let url = format!("{}/v1/intents", gateway.trim_end_matches('/'));
    let body = serde_json::to_string(signed)?;
    let (status, answer) =
        chain_client::http::request("POST", &url, Some(&body)).map_err(|source| {
            Error::Gateway {
                url: url.clone(),
                source,
            }
        })?;
    if (200..300).contains(&status) {
        return Ok(answer);
    }
    let parsed: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    let field = |k: &str| parsed[k].as_str().map(str::to_string);
    Err(Error::GatewayRefused {
        status,
        error: field("error").unwrap_or_else(|| "unknown".to_string()),
        reason: field("reason").unwrap_or(answer),
    })
}

/// One matched trade between two intents of a batch, by index into it:
/// (bid index, offer index, wh, price).
pub type IntentTrade = (u32, u32, u128, u128);

/// The matcher's commit of a slot: each intent once, the trades by index.
pub fn commit_intents(
    d: &Deployment,
    slot: u64,
    intents: &[BatchIntent],
    trades: &[IntentTrade],
) -> Result<Execute> {
    commit_intents_settling(d, slot, intents, trades, &[])
}

/// [`commit_intents`] that also settles the earlier slots `settle` (the
/// contract's `settle` field; none: the field is left out).
pub fn commit_intents_settling(
    d: &Deployment,
    slot: u64,
    intents: &[BatchIntent],
    trades: &[IntentTrade],
    settle: &[u64],
) -> Result<Execute> {
    // The trades travel as one string (settlement::compact_trades).
    let trades: Vec<settlement::msg::IntentTrade> = trades
        .iter()
        .map(|&(bid, offer, wh, price)| settlement::msg::IntentTrade {
            bid,
            offer,
            wh: wh.into(),
            price: price.into(),
        })
        .collect();
    let trades =
        cosmwasm_std::Binary::from(settlement::compact_trades::encode(&trades)).to_base64();
    let mut msg = json!({"commit_intents": {"slot": slot, "intents": intents, "trades": trades}});
    if !settle.is_empty() {
        msg["commit_intents"]["settle"] = json!(settle);
    }
    Ok(Execute::new(d.address("settlement")?, &msg, &[])?)
}

/// The owner withdraws its intent `nonce`: nothing more of it fills.
pub fn cancel_intent(d: &Deployment, nonce: u64) -> Result<Execute> {
    Ok(Execute::new(
        d.address("settlement")?,
        &json!({"cancel_intent": {"nonce": nonce}}),
        &[],
    )?)
}

/// A wallet's one secp256k1 key in both roles: the [`Signer`] of its
/// transactions and the [`IntentKey`] of its intents (same account).
pub struct WalletKey {
    /// Signs transactions.
    pub signer: Signer,
    /// Signs intents (ADR-036 or EIP-712).
    pub intent: IntentKey,
}

impl WalletKey {
    /// The key at `path` (e.g. [`chain_client::COSMOS_HD_PATH`]) of a 24-word
    /// BIP39 mnemonic (no passphrase), as `Signer::from_mnemonic_with_path`
    /// derives it.
    pub fn from_mnemonic(phrase: &str, path: &str, prefix: &str) -> Result<Self> {
        use chain_client::cosmrs::bip32::{DerivationPath, Language, Mnemonic, XPrv};
        let normalized = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        let mnemonic = Mnemonic::new(&normalized, Language::English)
            .map_err(|e| Error::Usage(format!("invalid mnemonic: {e}")))?;
        let path: DerivationPath = path
            .parse()
            .map_err(|e| Error::Usage(format!("invalid derivation path {path:?}: {e}")))?;
        let xprv = XPrv::derive_from_path(mnemonic.to_seed(""), &path)
            .map_err(|e| Error::Usage(format!("key derivation failed: {e}")))?;
        Self::from_secret(&xprv.to_bytes(), prefix)
    }

    /// The key with these 32 secret bytes.
    pub fn from_secret(secret: &[u8; 32], prefix: &str) -> Result<Self> {
        let intent = IntentKey::from_bytes(secret).map_err(|e| Error::Usage(e.to_string()))?;
        let key = chain_client::cosmrs::crypto::secp256k1::SigningKey::from_slice(secret)
            .map_err(|e| Error::Usage(format!("invalid secp256k1 key: {e}")))?;
        let signer = Signer::from_signing_key(key, prefix)?;
        Ok(WalletKey { signer, intent })
    }

    /// The account both keys stand for.
    pub fn address(&self) -> String {
        self.signer.address().to_string()
    }

    /// Signs `intent` as Keplr does (ADR-036) or, with `eth`, as MetaMask
    /// does (EIP-712), in the form a batch carries it.
    pub fn sign(&self, intent: &OrderIntent, eth: bool) -> BatchIntent {
        let signed = if eth {
            self.intent.sign_eth(intent)
        } else {
            self.intent.sign_cosmos(intent)
        };
        BatchIntent::from_signed(&signed)
    }
}

/// A meter device's ed25519 key.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// The key with this 32-byte seed (tests derive seeds from names).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        DeviceKey(SigningKey::from_bytes(&seed))
    }

    /// The public key, as the meter-oracle expects it (base64 in JSON).
    pub fn public_key(&self) -> Binary {
        Binary::from(self.0.verifying_key().to_bytes().to_vec())
    }

    /// A signed reading of `meter` for `slot` bound to the deployment's
    /// chain id and meter-oracle address.
    pub fn reading(
        &self,
        d: &Deployment,
        meter: u32,
        slot: u64,
        exported_wh: u128,
        imported_wh: u128,
    ) -> Result<Value> {
        let payload = meter_oracle::reading_payload(
            &d.chain_id,
            d.address("meter-oracle")?,
            meter,
            slot,
            exported_wh,
            imported_wh,
        );
        let sig = self.0.sign(&payload).to_bytes().to_vec();
        Ok(json!({
            "meter": meter,
            "exported_wh": exported_wh.to_string(),
            "imported_wh": imported_wh.to_string(),
            "signature": Binary::from(sig),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collateral_rounds_up_payment_rounds_down() {
        assert_eq!(payment(1, 999).unwrap(), 0);
        assert_eq!(
            offer_collateral(2_000, 200_000, 100_000, 2_000).unwrap(),
            80_000
        );
        assert_eq!(offer_collateral(1, 1, 0, 1).unwrap(), 1);
        // Below the floor the collateral is valued at the floor.
        assert_eq!(offer_collateral(2_000, 1, 100_000, 2_000).unwrap(), 40_000);
    }

    fn deployment() -> Deployment {
        let mut d = Deployment {
            chain_id: "aipchain-local-1".into(),
            prefix: "wasm".into(),
            ..Deployment::default()
        };
        d.contracts.insert(
            "settlement".into(),
            crate::deployment::ContractRecord {
                address: IntentKey::from_label("settlement").address("wasm"),
                code_id: 1,
                label: "settlement".into(),
            },
        );
        d
    }

    #[test]
    fn a_wallet_key_signs_transactions_and_intents_for_one_account() {
        let phrase = chain_client::testnet::mnemonic("alice").unwrap();
        let path = "m/44'/118'/0'/0/7";
        let w = WalletKey::from_mnemonic(phrase, path, "wasm").unwrap();
        let s = Signer::from_mnemonic_with_path(phrase, path, "wasm").unwrap();
        assert_eq!(w.address(), s.address().to_string());
        assert_eq!(w.intent.address("wasm"), w.address());
        let d = deployment();
        let terms = OrderTerms {
            side: Side::Sell,
            slot: 900 * 2_000_000,
            meter: 4,
            wh: 1_000,
            limit_price: 120_000,
        };
        let intent = order_intent(&d, &w.address(), 9, &terms).unwrap();
        assert_eq!(
            (intent.slot_from, intent.slot_until),
            (terms.slot, terms.slot + 900)
        );
        assert_eq!(intent.expires, terms.slot);
        let domain = intent_domain(&d).unwrap();
        let api = cosmwasm_std::testing::MockApi::default();
        for eth in [false, true] {
            let b = w.sign(&intent, eth);
            let signed = aip_types::intent::SignedIntent {
                intent: b.intent(&domain),
                signature: b.signature.clone().unwrap(),
            };
            let v = aip_types::intent::verify_signed_intent(&api, &domain, &signed, terms.slot - 1)
                .unwrap();
            assert_eq!(v.owner, w.address());
        }
        assert!(WalletKey::from_mnemonic("not a mnemonic", path, "wasm").is_err());
    }

    #[test]
    fn intents_outside_the_bounds_or_off_the_slot_grid_are_refused() {
        let d = deployment();
        let t = OrderTerms {
            side: Side::Buy,
            slot: 900 * 2_000_000,
            meter: 1,
            wh: 0,
            limit_price: 100_000,
        };
        let e = order_intent(&d, "wasm1x", 1, &t).unwrap_err().to_string();
        assert!(e.contains("quantity must be positive"), "{e}");
        let t = OrderTerms {
            wh: 10,
            slot: 900 * 2_000_000 + 1,
            ..t
        };
        let e = order_intent(&d, "wasm1x", 1, &t).unwrap_err().to_string();
        assert!(e.contains("slot"), "{e}");
        let e = deposit(&d, 0).err().unwrap().to_string();
        assert!(e.contains("above 0"), "{e}");
    }

    #[test]
    fn the_next_open_slot_is_past_the_gate() {
        // now = 1000 s into a slot; gate 300 s; margin 30 s.
        let now = 900 * 1000 + 100;
        assert_eq!(next_open_slot(now, 300, 30), 900 * 1001);
        // Too close to the next slot's gate: the one after.
        let now = 900 * 1001 - 320;
        assert_eq!(next_open_slot(now, 300, 30), 900 * 1002);
    }
}
