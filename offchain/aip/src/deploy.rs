//! `aip deploy`: store every artifact, instantiate and wire the contracts,
//! write the deployment file. Safe to re-run.
//!
//! Re-running: a code whose checksum is already on chain is not stored again
//! (its code id is reused); a contract recorded in the deployment file whose
//! on-chain code id is the one of the current artifact is kept. A contract is
//! instantiated anew when its code changed or a contract it names at
//! instantiation was instantiated anew; the wiring messages run when one of
//! the contracts they touch is new. The file is saved after every step, so an
//! interrupted deploy resumes where it stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chain_client::{ChainClient, TxResponse};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::deployment::{CodeRecord, ContractRecord, Deployment};
use crate::error::{Error, Result};

/// The contracts in instantiation order. Artifacts with other names are stored only.
pub const ORDER: [&str; 6] = [
    "aip-token",
    "reputation",
    "meter-oracle",
    "zk-verifier",
    "settlement",
    "evm-bridge",
];

/// Accounts holding the market's roles (bech32 addresses).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Admin of every contract (and wasm admin: may migrate).
    pub admin: String,
    /// The DSO: zones, corridors, congestion fees, meter approval.
    pub grid_operator: String,
    /// Commits matched trades.
    pub matcher: String,
    /// Oracle operator of the meter-oracle (device-signed meter readings).
    pub oracle: String,
    /// Rules on disputes.
    pub arbiter: String,
    /// Receives congestion fees.
    pub treasury: String,
    /// Flags accounts in reputation (anomaly detection).
    pub guardian: String,
    /// Publishes KYC Merkle roots.
    pub kyc_provider: String,
    /// May mint AIP.
    pub minter: String,
}

impl Roles {
    /// Every role held by one account.
    pub fn all(address: &str) -> Self {
        Roles {
            admin: address.into(),
            grid_operator: address.into(),
            matcher: address.into(),
            oracle: address.into(),
            arbiter: address.into(),
            treasury: address.into(),
            guardian: address.into(),
            kyc_provider: address.into(),
            minter: address.into(),
        }
    }

    /// The localnet's public test accounts (`ci/localnet-accounts.txt`) with
    /// the chain's `prefix`: `validator` holds every role but the grid
    /// operator (`dso`), the matcher (`matcher`) and the oracle (`oracle`).
    pub fn localnet(prefix: &str) -> Result<Self> {
        let addr = |name: &str| -> Result<String> {
            Ok(chain_client::testnet::signer(name, prefix)?
                .address()
                .to_string())
        };
        Ok(Roles {
            grid_operator: addr("dso")?,
            matcher: addr("matcher")?,
            oracle: addr("oracle")?,
            ..Roles::all(&addr("validator")?)
        })
    }

    fn to_map(&self) -> BTreeMap<String, String> {
        [
            ("admin", &self.admin),
            ("grid_operator", &self.grid_operator),
            ("matcher", &self.matcher),
            ("oracle", &self.oracle),
            ("arbiter", &self.arbiter),
            ("treasury", &self.treasury),
            ("guardian", &self.guardian),
            ("kyc_provider", &self.kyc_provider),
            ("minter", &self.minter),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
    }
}

/// Settlement market parameters: the contract's own message type, whose
/// `Default` is the market's one set of defaults.
pub use settlement::msg::MarketParams;

/// What to deploy and where to record it.
#[derive(Clone, Debug)]
pub struct DeployOptions {
    /// Folder with the optimized `.wasm` files.
    pub artifacts: PathBuf,
    /// The deployment file (read if present, then rewritten).
    pub out: PathBuf,
    /// Role holders.
    pub roles: Roles,
    /// AIP balances minted at token instantiation (address, uaip).
    pub initial_balances: Vec<(String, u128)>,
    /// Settlement parameters.
    pub market: MarketParams,
    /// Meter-oracle quorum (M of the oracle operators).
    pub oracle_quorum: u32,
    /// Groth16 verifying key for the zk-verifier (hex of the arkworks
    /// compressed bytes, as `aip-kyc setup` writes it); may be set later.
    pub zk_verifying_key: Option<String>,
    /// Who mints reputation tokens (onboarding).
    pub kyc: KycMode,
}

impl DeployOptions {
    /// A deployment for the localnet's tests and tools: every artifact in
    /// `artifacts`, recorded in `out`, the localnet's roles
    /// ([`Roles::localnet`], prefix `wasm`), `initial_balances` minted, the
    /// `market` parameters, one oracle operator's report final (quorum 1),
    /// no verifying key and the reputation admin minting (no KYC proofs).
    pub fn localnet(
        artifacts: PathBuf,
        out: PathBuf,
        initial_balances: Vec<(String, u128)>,
        market: MarketParams,
    ) -> Result<Self> {
        Ok(DeployOptions {
            artifacts,
            out,
            roles: Roles::localnet("wasm")?,
            initial_balances,
            market,
            oracle_quorum: 1,
            zk_verifying_key: None,
            kyc: KycMode::AdminMints,
        })
    }
}

/// How participants get their reputation token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KycMode {
    /// The zk-verifier mints on a valid KYC proof (reputation names it). The default.
    #[default]
    ZkVerifier,
    /// The reputation admin mints (zk-verifier deployed but named neither in
    /// reputation nor as settlement's KYC verifier, so settlement does not ask
    /// it about eligibility): for test networks and end-to-end tests without
    /// proofs.
    AdminMints,
}

/// What a deploy run did.
#[derive(Clone, Debug, Default)]
pub struct DeployReport {
    /// The resulting deployment (also written to `out`).
    pub deployment: Deployment,
    /// Codes stored in this run: (name, code id, SDK gas).
    pub stored: Vec<(String, u64, u64)>,
    /// Codes found on chain with the same checksum: (name, code id).
    pub reused_codes: Vec<(String, u64)>,
    /// Contracts instantiated in this run: (name, address, SDK gas).
    pub instantiated: Vec<(String, String, u64)>,
    /// Contracts kept from the deployment file.
    pub kept: Vec<String>,
    /// Wiring messages sent: (contract, action, SDK gas).
    pub wired: Vec<(String, String, u64)>,
    /// Artifacts without an instantiation plan (stored only).
    pub store_only: Vec<String>,
}

/// A `.wasm` artifact.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// Contract name (file stem).
    pub name: String,
    /// Path.
    pub path: PathBuf,
    /// sha256, lower-case hex.
    pub checksum: String,
}

/// The `.wasm` files of `dir`, sorted by name.
pub fn artifacts(dir: &Path) -> Result<Vec<Artifact>> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("wasm") {
            continue;
        }
        let Some(name) = path
            .file_stem()
            .and_then(|s| s.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        let bytes = read(&path)?;
        out.push(Artifact {
            name,
            checksum: hex::encode(Sha256::digest(&bytes)),
            path,
        });
    }
    if out.is_empty() {
        return Err(Error::NoArtifacts(dir.to_path_buf()));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Contracts named in `name`'s instantiate message (a change in them means a new instance).
fn instantiate_deps(name: &str) -> &'static [&'static str] {
    match name {
        "settlement" => &["aip-token", "reputation", "meter-oracle"],
        "zk-verifier" => &["reputation"],
        "evm-bridge" => &["aip-token"],
        _ => &[],
    }
}

/// The instantiate message of `name`, or `None` when there is no plan for it.
fn instantiate_msg(name: &str, d: &Deployment, o: &DeployOptions) -> Result<Option<Value>> {
    let r = &o.roles;
    let addr = |n: &str| -> Result<String> {
        d.contracts
            .get(n)
            .map(|c| c.address.clone())
            .ok_or_else(|| Error::MissingDependency {
                contract: name.to_string(),
                needs: n.to_string(),
            })
    };
    let m = &o.market;
    Ok(Some(match name {
        "aip-token" => json!({
            "name": "AIPCHAIN energy token",
            "symbol": "AIP",
            "decimals": 6,
            "initial_balances": o.initial_balances.iter()
                .map(|(a, n)| json!({"address": a, "amount": n.to_string()}))
                .collect::<Vec<_>>(),
            "mint": {"minter": r.minter, "cap": null},
            "marketing": null,
        }),
        "reputation" => json!({
            "name": "AIPCHAIN reputation",
            "symbol": "AIPREP",
            "admin": r.admin,
            "settlement": null,
            "zk_verifier": null,
            "guardian": r.guardian,
            "terms": null,
            "review_window_secs": null,
        }),
        "meter-oracle" => json!({
            "admin": r.admin,
            "grid_operator": r.grid_operator,
            "operators": [r.oracle],
            "quorum": o.oracle_quorum,
            "tolerance": {"wh": "0", "bps": 0},
        }),
        "settlement" => json!({
            "token": addr("aip-token")?,
            // The KYC verifier is named by the wiring step (`wiring`), so that
            // a new zk-verifier does not need a new settlement.
            "roles": settlement_roles(d, r, None),
            "params": m,
        }),
        "zk-verifier" => json!({
            "admin": r.admin,
            "provider": r.kyc_provider,
            "reputation": addr("reputation")?,
            "verifying_key": o.zk_verifying_key,
            "compliance": null,
            "grace_period": null,
            "premium_max_age_days": null,
        }),
        _ => return Ok(None),
    }))
}

/// Settlement's `Roles` (its instantiate and `update_config` messages): the
/// role holders, the reputation and meter-oracle contracts when deployed, and
/// `kyc_verifier` when given.
fn settlement_roles(d: &Deployment, r: &Roles, kyc_verifier: Option<String>) -> Value {
    let opt_addr = |n: &str| d.contracts.get(n).map(|c| c.address.clone());
    let mut roles = json!({
        "admin": r.admin,
        "grid_operator": r.grid_operator,
        "matcher": r.matcher,
        "arbiter": r.arbiter,
        "treasury": r.treasury,
        "reputation": opt_addr("reputation"),
        "meter_oracle": opt_addr("meter-oracle"),
    });
    if let Some(v) = kyc_verifier {
        roles["kyc_verifier"] = Value::String(v);
    }
    roles
}

/// A wiring message: executed on `contract` when it or one of `touches` is new.
struct Wire {
    contract: &'static str,
    touches: &'static [&'static str],
    action: &'static str,
    msg: Value,
}

/// The messages that join the instantiated contracts:
///
/// - reputation learns settlement (outcome records) and, in
///   [`KycMode::ZkVerifier`], the zk-verifier (its minter);
/// - in [`KycMode::ZkVerifier`], settlement's `roles.kyc_verifier` becomes the
///   zk-verifier, so that `commit_intents` refuses intents of accounts whose
///   credential expired or whose lists must be proved again. In
///   [`KycMode::AdminMints`] it stays unset: the reputation token alone
///   stands for KYC.
fn wiring(d: &Deployment, o: &DeployOptions) -> Vec<Wire> {
    let kyc = o.kyc;
    let a = |n: &str| d.contracts.get(n).map(|c| c.address.clone());
    let mut out = Vec::new();
    if d.contracts.contains_key("reputation") {
        out.push(Wire {
            contract: "reputation",
            touches: &["settlement", "zk-verifier"],
            action: "update_config",
            msg: json!({"update_config": {
                "admin": null,
                "settlement": a("settlement"),
                "zk_verifier": if kyc == KycMode::ZkVerifier { a("zk-verifier") } else { None },
                "guardian": null,
                "review_window_secs": null,
            }}),
        });
    }
    if let (KycMode::ZkVerifier, true, Some(zk)) = (
        kyc,
        d.contracts.contains_key("settlement"),
        a("zk-verifier"),
    ) {
        out.push(Wire {
            contract: "settlement",
            touches: &["zk-verifier"],
            action: "update_config",
            msg: json!({"update_config": {
                "roles": settlement_roles(d, &o.roles, Some(zk)),
                "params": null,
            }}),
        });
    }
    out
}

/// Deploys everything in `opts.artifacts` with `client` (which must have a signer).
pub async fn deploy(client: &ChainClient, opts: &DeployOptions) -> Result<DeployReport> {
    let chain_id = client.config().chain_id.clone();
    let deployer = client
        .address()
        .ok_or(chain_client::Error::NoSigner)?
        .to_string();
    let mut d = match Deployment::load_optional(&opts.out)? {
        Some(d) if d.chain_id != chain_id => {
            return Err(Error::WrongChain {
                path: opts.out.clone(),
                file_chain: d.chain_id,
                node_chain: chain_id,
            })
        }
        Some(d) => d,
        None => Deployment {
            chain_id: chain_id.clone(),
            ..Deployment::default()
        },
    };
    d.rpc_url = client.config().rpc_url.clone();
    d.prefix = client.config().prefix.clone();
    d.deployer = deployer.clone();
    d.roles = opts.roles.to_map();
    let mut report = DeployReport::default();

    // 1. Codes.
    let arts = artifacts(&opts.artifacts)?;
    let on_chain: BTreeMap<String, u64> = client
        .codes()
        .await?
        .into_iter()
        .rev() // the lowest id wins
        .map(|c| (c.checksum, c.code_id))
        .collect();
    for art in &arts {
        if let Some(&id) = on_chain.get(&art.checksum) {
            if d.codes.get(&art.name).map(|c| c.code_id) != Some(id) {
                tracing::info!(contract = %art.name, code_id = id, "code already on chain");
            }
            report.reused_codes.push((art.name.clone(), id));
            d.codes.insert(
                art.name.clone(),
                CodeRecord {
                    code_id: id,
                    checksum: art.checksum.clone(),
                },
            );
            continue;
        }
        let wasm = read(&art.path)?;
        let stored = client.store(&wasm).await?;
        tracing::info!(contract = %art.name, code_id = stored.code_id, gas = stored.tx.gas_used, "stored");
        report
            .stored
            .push((art.name.clone(), stored.code_id, stored.tx.gas_used));
        d.codes.insert(
            art.name.clone(),
            CodeRecord {
                code_id: stored.code_id,
                checksum: stored.checksum,
            },
        );
        d.save(&opts.out)?;
    }
    d.save(&opts.out)?;

    // 2. Contracts, in dependency order.
    let mut fresh: BTreeSet<String> = BTreeSet::new();
    let names: Vec<&str> = ORDER
        .iter()
        .copied()
        .filter(|n| d.codes.contains_key(*n) && arts.iter().any(|a| a.name == *n))
        .collect();
    for art in &arts {
        if !ORDER.contains(&art.name.as_str()) {
            report.store_only.push(art.name.clone());
        }
    }
    for name in names {
        let code_id = d.codes[name].code_id;
        let deps_fresh = instantiate_deps(name).iter().any(|x| fresh.contains(*x));
        if let Some(existing) = d.contracts.get(name) {
            let live = match client.contract_info(&existing.address).await {
                Ok(info) => info.code_id == code_id,
                Err(chain_client::Error::Query { .. }) => false,
                Err(e) => return Err(e.into()),
            };
            if live && !deps_fresh {
                report.kept.push(name.to_string());
                continue;
            }
        }
        let Some(msg) = instantiate_msg(name, &d, opts)? else {
            report.store_only.push(name.to_string());
            continue;
        };
        let label = format!("aipchain {name}");
        let inst = client
            .instantiate(code_id, &msg, &label, Some(&opts.roles.admin))
            .await?;
        tracing::info!(contract = name, address = %inst.address, gas = inst.tx.gas_used, "instantiated");
        report
            .instantiated
            .push((name.to_string(), inst.address.clone(), inst.tx.gas_used));
        d.contracts.insert(
            name.to_string(),
            ContractRecord {
                address: inst.address,
                code_id,
                label,
            },
        );
        fresh.insert(name.to_string());
        d.save(&opts.out)?;
    }

    // 3. Wiring.
    for w in wiring(&d, opts) {
        let new = fresh.contains(w.contract) || w.touches.iter().any(|t| fresh.contains(*t));
        if !new {
            continue;
        }
        let addr = d.address(w.contract)?.to_string();
        let tx: TxResponse = client.execute(&addr, &w.msg, &[]).await?;
        report
            .wired
            .push((w.contract.to_string(), w.action.to_string(), tx.gas_used));
    }
    d.save(&opts.out)?;
    report.deployment = d;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> DeployOptions {
        DeployOptions {
            artifacts: PathBuf::from("artifacts"),
            out: PathBuf::from("d.json"),
            roles: Roles::all("wasm1admin"),
            initial_balances: vec![("wasm1alice".into(), 5)],
            market: MarketParams::default(),
            oracle_quorum: 1,
            zk_verifying_key: None,
            kyc: KycMode::ZkVerifier,
        }
    }

    #[test]
    fn the_localnet_deployment_gives_the_test_accounts_their_roles_and_mints_by_admin() {
        let a = |n: &str| {
            chain_client::testnet::signer(n, "wasm")
                .unwrap()
                .address()
                .to_string()
        };
        let o = DeployOptions::localnet(
            PathBuf::from("artifacts"),
            PathBuf::from("d.json"),
            vec![(a("alice"), 7)],
            MarketParams::default(),
        )
        .unwrap();
        let r = &o.roles;
        assert_eq!(
            (&r.grid_operator, &r.matcher, &r.oracle),
            (&a("dso"), &a("matcher"), &a("oracle"))
        );
        for role in [
            &r.admin,
            &r.arbiter,
            &r.treasury,
            &r.guardian,
            &r.kyc_provider,
            &r.minter,
        ] {
            assert_eq!(role, &a("validator"));
        }
        assert_eq!((o.oracle_quorum, o.kyc), (1, KycMode::AdminMints));
        assert_eq!(o.zk_verifying_key, None);
        assert_eq!(o.initial_balances, vec![(a("alice"), 7)]);
        // Another prefix gives the same keys' addresses under it.
        let cosmos = Roles::localnet("cosmos").unwrap();
        assert!(cosmos.matcher.starts_with("cosmos1"), "{}", cosmos.matcher);
    }

    fn with(names: &[&str]) -> Deployment {
        let mut d = Deployment::default();
        for n in names {
            d.contracts.insert(
                n.to_string(),
                ContractRecord {
                    address: format!("wasm1{n}"),
                    code_id: 1,
                    label: n.to_string(),
                },
            );
        }
        d
    }

    fn mode(kyc: KycMode) -> DeployOptions {
        DeployOptions { kyc, ..opts() }
    }

    #[test]
    fn reputation_names_the_zk_verifier_only_in_zk_mode() {
        let d = with(&["reputation", "settlement", "zk-verifier"]);
        let w = wiring(&d, &mode(KycMode::ZkVerifier));
        assert_eq!(w[0].msg["update_config"]["zk_verifier"], "wasm1zk-verifier");
        assert_eq!(w[0].msg["update_config"]["settlement"], "wasm1settlement");
        let w = wiring(&d, &mode(KycMode::AdminMints));
        assert_eq!(w[0].msg["update_config"]["zk_verifier"], Value::Null);
        let zk = instantiate_msg("zk-verifier", &d, &opts())
            .unwrap()
            .unwrap();
        assert_eq!(zk["reputation"], "wasm1reputation");
        assert_eq!(zk["provider"], "wasm1admin");
    }

    #[test]
    fn settlement_asks_the_zk_verifier_about_kyc_only_in_zk_mode() {
        let d = with(&[
            "aip-token",
            "reputation",
            "meter-oracle",
            "zk-verifier",
            "settlement",
        ]);
        let w = wiring(&d, &mode(KycMode::ZkVerifier));
        let wire = w
            .iter()
            .find(|w| w.contract == "settlement")
            .expect("a settlement wire in zk mode");
        assert_eq!(wire.action, "update_config");
        // It runs when settlement or the zk-verifier is new.
        assert_eq!(wire.touches, &["zk-verifier"]);
        // The message is settlement's own `UpdateConfig`: it parses as it, names
        // the zk-verifier and keeps every other role and the parameters.
        let parsed: settlement::msg::ExecuteMsg = serde_json::from_value(wire.msg.clone()).unwrap();
        let settlement::msg::ExecuteMsg::UpdateConfig { roles, params } = parsed else {
            panic!("not update_config: {}", wire.msg);
        };
        let roles = roles.expect("roles are set");
        assert_eq!(roles.kyc_verifier.as_deref(), Some("wasm1zk-verifier"));
        assert_eq!(roles.reputation.as_deref(), Some("wasm1reputation"));
        assert_eq!(roles.meter_oracle.as_deref(), Some("wasm1meter-oracle"));
        assert_eq!(
            (roles.admin.as_str(), roles.matcher.as_str()),
            ("wasm1admin", "wasm1admin")
        );
        assert!(params.is_none(), "market parameters untouched");

        // Admin-minting networks leave settlement without a KYC verifier.
        let w = wiring(&d, &mode(KycMode::AdminMints));
        assert!(w.iter().all(|w| w.contract != "settlement"));
        // Nothing to name without a zk-verifier, or without a settlement.
        let no_zk = with(&["aip-token", "reputation", "settlement"]);
        assert!(wiring(&no_zk, &opts())
            .iter()
            .all(|w| w.contract != "settlement"));
        let no_settlement = with(&["reputation", "zk-verifier"]);
        assert!(wiring(&no_settlement, &opts())
            .iter()
            .all(|w| w.contract != "settlement"));
        // The instantiate message never names it (the wire does), and parses
        // as settlement's own `InstantiateMsg`.
        let inst = instantiate_msg("settlement", &d, &opts()).unwrap().unwrap();
        let inst: settlement::msg::InstantiateMsg = serde_json::from_value(inst).unwrap();
        assert_eq!(inst.roles.kyc_verifier, None);
        assert_eq!(inst.roles.reputation.as_deref(), Some("wasm1reputation"));
    }

    #[test]
    fn the_token_is_instantiated_with_the_minter_and_balances() {
        let msg = instantiate_msg("aip-token", &Deployment::default(), &opts())
            .unwrap()
            .unwrap();
        assert_eq!(msg["decimals"], 6);
        assert_eq!(msg["mint"]["minter"], "wasm1admin");
        assert_eq!(msg["initial_balances"][0]["amount"], "5");
    }

    #[test]
    fn settlement_needs_the_token_first() {
        let err = instantiate_msg("settlement", &Deployment::default(), &opts()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "settlement needs aip-token, which is not in the artifacts or the deployment"
        );
        assert!(
            instantiate_msg("something-else", &Deployment::default(), &opts())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn settlement_takes_meters_and_deliveries_from_the_meter_oracle() {
        let mut d = Deployment::default();
        for n in ["aip-token", "meter-oracle"] {
            d.contracts.insert(
                n.into(),
                ContractRecord {
                    address: format!("wasm1{n}"),
                    code_id: 1,
                    label: n.into(),
                },
            );
        }
        let msg = instantiate_msg("settlement", &d, &opts()).unwrap().unwrap();
        assert_eq!(msg["token"], "wasm1aip-token");
        assert_eq!(msg["roles"]["meter_oracle"], "wasm1meter-oracle");
        assert!(
            msg["roles"].get("oracle").is_none(),
            "settlement has no oracle role"
        );
        assert_eq!(msg["roles"]["reputation"], Value::Null);
        // The market's one set of defaults, every field on the wire (the
        // bond and the ruling deadline too, not left to the contract).
        let inst: settlement::msg::InstantiateMsg = serde_json::from_value(msg.clone()).unwrap();
        assert_eq!(inst.params, MarketParams::default());
        assert_eq!(msg["params"]["penalty_price"], "300000");
        assert_eq!(msg["params"]["dispute_bond"], "1000000");
    }

    #[test]
    fn an_empty_artifacts_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = artifacts(dir.path()).unwrap_err().to_string();
        assert!(err.ends_with("run ci/build-wasm.sh first"), "{err}");
    }
}
