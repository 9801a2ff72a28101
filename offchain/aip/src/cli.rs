//! Command-line interface of `aip`.

use std::path::PathBuf;

use chain_client::{localnet, testnet, ChainClient, ChainConfig, Signer};
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use crate::deploy::{self, DeployOptions, KycMode, MarketParams, Roles};
use crate::deployment::Deployment;
use crate::error::{Error, Result};
use crate::ics20::{self, Ics20Options, Ics20Outcome};
use crate::market::{self, OrderTerms, WalletKey};
use aip_types::intent::{Side, SignedIntent};

/// AIPCHAIN command-line tool: deploy the contracts, query and transact.
#[derive(Debug, Parser)]
#[command(name = "aip", version, about)]
pub struct Cli {
    /// Chain, deployment and signer options.
    #[command(flatten)]
    pub chain: ChainArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the chain is.
#[derive(Debug, Args)]
pub struct ChainArgs {
    /// CometBFT RPC endpoint.
    #[arg(long, global = true, env = "AIP_RPC_URL", default_value = localnet::RPC_URL)]
    pub rpc: String,
    /// Chain id.
    #[arg(long, global = true, env = "AIP_CHAIN_ID", default_value = localnet::CHAIN_ID)]
    pub chain_id: String,
    /// Chain client configuration file (JSON, chain_client::ChainConfig);
    /// --rpc and --chain-id override it.
    #[arg(long, global = true, env = "AIP_CHAIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Deployment file [default: artifacts/deployment.<chain-id>.json].
    #[arg(long, global = true, env = "AIP_DEPLOYMENT")]
    pub deployment: Option<PathBuf>,
    /// Signer: a localnet test account name (see `aip accounts`).
    #[arg(long, global = true, default_value = "validator")]
    pub from: String,
    /// Signer: a file holding a 24-word mnemonic (overrides --from).
    #[arg(long, global = true, env = "AIP_MNEMONIC_FILE")]
    pub mnemonic_file: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Store every artifact, instantiate and wire the contracts, write the deployment file.
    Deploy(DeployArgs),
    /// Smart-query a contract (deployment name or address) with a JSON message.
    Query {
        /// Contract name in the deployment (e.g. aip-token) or address.
        contract: String,
        /// The query, JSON.
        msg: String,
    },
    /// Execute a JSON message on a contract.
    Execute {
        /// Contract name in the deployment or address.
        contract: String,
        /// The message, JSON.
        msg: String,
    },
    /// Native and AIP balance of an account (test account name or address),
    /// and its settlement account: free (deposits and payouts) and locked
    /// (by committed, unsettled trades).
    Balance {
        /// Test account name or address.
        account: String,
    },
    /// Transfer AIP (uaip) to an account.
    Transfer {
        /// Test account name or address.
        to: String,
        /// Amount in uaip.
        amount: u128,
    },
    /// Deposit AIP (uaip) into the signer's settlement account: its free
    /// balance, from which committed trades lock payments and collateral.
    Deposit {
        /// Amount in uaip.
        amount: u128,
    },
    /// Withdraw the signer's free settlement balance (all of it, or `amount` uaip).
    Withdraw {
        /// Amount in uaip [default: all of the free balance].
        amount: Option<u128>,
    },
    /// Order intents: signed off chain with the signer's key and posted to the
    /// order gateway (`aip intent post`), or printed for another client (`sign`).
    #[command(subcommand)]
    Intent(IntentCommand),
    /// Chain height and time, and the deployment's contracts.
    Status,
    /// The localnet test accounts and their addresses.
    Accounts,
}

/// `aip intent ...`.
#[derive(Debug, Subcommand)]
pub enum IntentCommand {
    /// Sign an order intent for one slot with the signer's key and print it
    /// as the gateway takes it (JSON). No transaction, no chain access.
    Sign(SignArgs),
    /// Sign an order intent like `sign` and post it to the order gateway;
    /// prints the gateway's answer (the intent's hash). No transaction.
    Post {
        /// The intent.
        #[command(flatten)]
        intent: SignArgs,
        /// The order gateway's base URL.
        #[arg(long, env = "AIP_GATEWAY", default_value = "http://127.0.0.1:8787")]
        gateway: String,
    },
    /// Cancel the signer's intent with this nonce on chain: nothing more of it fills.
    Cancel {
        /// The intent's nonce.
        nonce: u64,
    },
}

/// Options of `aip intent sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// buy or sell.
    #[arg(long, value_parser = ["buy", "sell"])]
    pub side: String,
    /// The delivery slot: its start, unix seconds (a multiple of 900).
    #[arg(long)]
    pub slot: u64,
    /// The signer's meter id.
    #[arg(long)]
    pub meter: u32,
    /// Energy, Wh.
    #[arg(long)]
    pub wh: u64,
    /// Limit price, uaip/kWh: the most a buyer pays, the least a seller takes.
    #[arg(long)]
    pub price: u64,
    /// The signer's nonce for this intent (each (owner, nonce) fills at most one intent).
    #[arg(long)]
    pub nonce: u64,
    /// Sign as MetaMask does (EIP-712) instead of as Keplr does (ADR-036).
    #[arg(long)]
    pub eth: bool,
}

impl SignArgs {
    /// The intent these options describe, signed by `wallet` for `d`.
    pub fn sign(&self, d: &Deployment, wallet: &WalletKey) -> Result<SignedIntent> {
        let side = if self.side == "buy" {
            Side::Buy
        } else {
            Side::Sell
        };
        let terms = OrderTerms {
            side,
            slot: self.slot,
            meter: self.meter,
            wh: self.wh,
            limit_price: self.price,
        };
        let intent = market::order_intent(d, &wallet.address(), self.nonce, &terms)?;
        Ok(if self.eth {
            wallet.intent.sign_eth(&intent)
        } else {
            wallet.intent.sign_cosmos(&intent)
        })
    }
}

/// Options of `aip deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Folder with the optimized .wasm files (ci/build-wasm.sh).
    #[arg(long, default_value = "artifacts")]
    pub artifacts: PathBuf,
    /// Role holder, `ROLE=ACCOUNT` (test account name or address); repeatable.
    /// Roles: admin, grid_operator, matcher, oracle, arbiter, treasury,
    /// guardian, kyc_provider, minter. Unset roles: the deployer, except on the
    /// localnet where grid_operator=dso, matcher=matcher, oracle=oracle.
    #[arg(long = "role", value_name = "ROLE=ACCOUNT")]
    pub roles: Vec<String>,
    /// Initial AIP balance, `ACCOUNT=UAIP`; repeatable. On the localnet, by
    /// default alice, bob, carol and dave get 1,000,000 AIP each.
    #[arg(long = "fund", value_name = "ACCOUNT=UAIP")]
    pub fund: Vec<String>,
    /// Settlement: orders close this many seconds before their slot.
    #[arg(long, default_value_t = MarketParams::default().gate_closure_secs)]
    pub gate_closure_secs: u64,
    /// Settlement: dispute window after delivery data is final, seconds.
    #[arg(long, default_value_t = MarketParams::default().dispute_window_secs)]
    pub dispute_window_secs: u64,
    /// Meter-oracle quorum.
    #[arg(long, default_value_t = 1)]
    pub oracle_quorum: u32,
    /// zk-verifier: file with the Groth16 verifying key in hex (`aip-kyc setup`
    /// writes verifying_key.hex); it may also be set later with set_verifying_key.
    #[arg(long)]
    pub zk_verifying_key: Option<PathBuf>,
    /// Reputation tokens are minted by the admin instead of the zk-verifier
    /// (test networks without KYC proofs).
    #[arg(long)]
    pub kyc_by_admin: bool,
    /// Also instantiate the IBC bridge endpoint `aip-ics20` (cw20-ics20) with
    /// AIP as its only allowed CW20 (needs artifacts/aip-ics20.wasm).
    #[arg(long)]
    pub with_ics20: bool,
    /// aip-ics20: default packet timeout, seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub ics20_timeout_secs: u64,
}

impl ChainArgs {
    /// The chain client configuration these options describe.
    pub fn config(&self) -> Result<ChainConfig> {
        let mut cfg = match &self.config {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                    path: p.clone(),
                    source,
                })?;
                serde_json::from_str(&text)?
            }
            None => ChainConfig::localnet(),
        };
        cfg.rpc_url = self.rpc.clone();
        cfg.chain_id = self.chain_id.clone();
        Ok(cfg)
    }

    /// The deployment file path.
    pub fn deployment_path(&self) -> PathBuf {
        self.deployment
            .clone()
            .unwrap_or_else(|| Deployment::default_path(&self.chain_id))
    }

    /// The signer's key for transactions and intents (the Cosmos HD path of
    /// its mnemonic).
    pub fn wallet(&self, prefix: &str) -> Result<WalletKey> {
        let phrase = match &self.mnemonic_file {
            Some(p) => std::fs::read_to_string(p).map_err(|source| Error::Io {
                path: p.clone(),
                source,
            })?,
            None => testnet::mnemonic(&self.from)?.to_string(),
        };
        WalletKey::from_mnemonic(phrase.trim(), chain_client::COSMOS_HD_PATH, prefix)
    }

    /// The signer these options name.
    pub fn signer(&self, prefix: &str) -> Result<Signer> {
        match &self.mnemonic_file {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                    path: p.clone(),
                    source,
                })?;
                Ok(Signer::from_mnemonic(text.trim(), prefix)?)
            }
            None => Ok(testnet::signer(&self.from, prefix)?),
        }
    }
}

/// A test account name, a deployment contract name or an address → address.
pub fn resolve(who: &str, prefix: &str, deployment: Option<&Deployment>) -> Result<String> {
    if who.starts_with(&format!("{prefix}1")) {
        return Ok(who.to_string());
    }
    if let Some(addr) = deployment.and_then(|d| d.contracts.get(who)) {
        return Ok(addr.address.clone());
    }
    if testnet::accounts().any(|(n, _)| n == who) {
        return Ok(testnet::signer(who, prefix)?.address().to_string());
    }
    Err(Error::Usage(format!(
        "{who:?} is neither an address ({prefix}1…), a deployed contract nor a test account"
    )))
}

fn split_kv(s: &str) -> Result<(&str, &str)> {
    s.split_once('=')
        .ok_or_else(|| Error::Usage(format!("expected KEY=VALUE, got {s:?}")))
}

/// Builds the deploy options from the command line.
pub fn deploy_options(
    args: &DeployArgs,
    chain: &ChainArgs,
    deployer: &str,
    prefix: &str,
) -> Result<DeployOptions> {
    let mut roles = Roles::all(deployer);
    let is_localnet = chain.chain_id == localnet::CHAIN_ID;
    if is_localnet {
        roles.grid_operator = resolve("dso", prefix, None)?;
        roles.matcher = resolve("matcher", prefix, None)?;
        roles.oracle = resolve("oracle", prefix, None)?;
    }
    for r in &args.roles {
        let (k, v) = split_kv(r)?;
        let v = resolve(v, prefix, None)?;
        let slot = match k {
            "admin" => &mut roles.admin,
            "grid_operator" => &mut roles.grid_operator,
            "matcher" => &mut roles.matcher,
            "oracle" => &mut roles.oracle,
            "arbiter" => &mut roles.arbiter,
            "treasury" => &mut roles.treasury,
            "guardian" => &mut roles.guardian,
            "kyc_provider" => &mut roles.kyc_provider,
            "minter" => &mut roles.minter,
            other => return Err(Error::Usage(format!("unknown role {other:?}"))),
        };
        *slot = v;
    }
    let mut initial_balances = Vec::new();
    for f in &args.fund {
        let (k, v) = split_kv(f)?;
        let amount = v
            .parse::<u128>()
            .map_err(|e| Error::Usage(format!("bad amount in --fund {f:?}: {e}")))?;
        initial_balances.push((resolve(k, prefix, None)?, amount));
    }
    if args.fund.is_empty() && is_localnet {
        for n in ["alice", "bob", "carol", "dave"] {
            initial_balances.push((resolve(n, prefix, None)?, 1_000_000_000_000));
        }
    }
    Ok(DeployOptions {
        artifacts: args.artifacts.clone(),
        out: chain.deployment_path(),
        roles,
        initial_balances,
        market: MarketParams {
            gate_closure_secs: args.gate_closure_secs,
            dispute_window_secs: args.dispute_window_secs,
            ..MarketParams::default()
        },
        oracle_quorum: args.oracle_quorum,
        zk_verifying_key: match &args.zk_verifying_key {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|source| Error::Io {
                        path: p.clone(),
                        source,
                    })?
                    .trim()
                    .to_string(),
            ),
            None => None,
        },
        kyc: if args.kyc_by_admin {
            KycMode::AdminMints
        } else {
            KycMode::ZkVerifier
        },
    })
}

/// Runs a parsed command line; prints results on stdout.
pub async fn run(cli: Cli) -> Result<()> {
    let cfg = cli.chain.config()?;
    let prefix = cfg.prefix.clone();
    if let Command::Accounts = cli.command {
        for (name, _) in testnet::accounts() {
            println!("{name:<10} {}", testnet::signer(name, &prefix)?.address());
        }
        return Ok(());
    }
    let dep_path = cli.chain.deployment_path();
    let dep = Deployment::load_optional(&dep_path)?;
    let need_dep = || {
        dep.as_ref().ok_or_else(|| {
            Error::Usage(format!(
                "no deployment at {}: run aip deploy",
                dep_path.display()
            ))
        })
    };
    if let Command::Intent(IntentCommand::Sign(args)) = &cli.command {
        let signed = args.sign(need_dep()?, &cli.chain.wallet(&prefix)?)?;
        println!("{}", serde_json::to_string(&signed)?);
        return Ok(());
    }
    if let Command::Intent(IntentCommand::Post { intent, gateway }) = &cli.command {
        let signed = intent.sign(need_dep()?, &cli.chain.wallet(&prefix)?)?;
        let answer = market::post_intent(gateway, &signed)?;
        println!("{answer}");
        return Ok(());
    }
    let chain = ChainClient::connect(cfg).await?;
    match cli.command {
        Command::Accounts => {}
        Command::Deploy(args) => {
            let signer = cli.chain.signer(&prefix)?;
            let deployer = signer.address().to_string();
            let client = chain.with_signer(signer);
            let opts = deploy_options(&args, &cli.chain, &deployer, &prefix)?;
            let r = deploy::deploy(&client, &opts).await?;
            let ics20 = if args.with_ics20 {
                let mut d = r.deployment.clone();
                let o = Ics20Options {
                    default_timeout_secs: args.ics20_timeout_secs,
                    admin: opts.roles.admin.clone(),
                };
                let outcome = ics20::deploy_ics20(&client, &mut d, &o).await?;
                d.save(&opts.out)?;
                Some(outcome)
            } else {
                None
            };
            for (n, id, gas) in &r.stored {
                println!("stored       {n:<14} code {id:<4} gas {gas}");
            }
            for (n, id) in &r.reused_codes {
                println!("on chain     {n:<14} code {id}");
            }
            for (n, a, gas) in &r.instantiated {
                println!("instantiated {n:<14} {a} gas {gas}");
            }
            for n in &r.kept {
                println!("kept         {n:<14} {}", r.deployment.contracts[n].address);
            }
            for (n, action, gas) in &r.wired {
                println!("wired        {n:<14} {action} gas {gas}");
            }
            for n in &r.store_only {
                match &ics20 {
                    Some(Ics20Outcome::Instantiated(a, gas)) if n == ics20::NAME => {
                        println!("instantiated {n:<14} {a} gas {gas}");
                    }
                    Some(Ics20Outcome::Kept(a)) if n == ics20::NAME => {
                        println!("kept         {n:<14} {a}");
                    }
                    _ => println!("stored only  {n} (no instantiation plan)"),
                }
            }
            println!("deployment   {}", opts.out.display());
        }
        Command::Query { contract, msg } => {
            let addr = resolve(&contract, &prefix, dep.as_ref())?;
            let msg: Value = serde_json::from_str(&msg)?;
            let v: Value = chain.query(&addr, &msg).await?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Command::Execute { contract, msg } => {
            let addr = resolve(&contract, &prefix, dep.as_ref())?;
            let msg: Value = serde_json::from_str(&msg)?;
            let client = chain.with_signer(cli.chain.signer(&prefix)?);
            let tx = client.execute(&addr, &msg, &[]).await?;
            println!(
                "{{\"hash\":\"{}\",\"height\":{},\"gas_used\":{},\"gas_wanted\":{}}}",
                tx.hash, tx.height, tx.gas_used, tx.gas_wanted
            );
        }
        Command::Balance { account } => {
            let addr = resolve(&account, &prefix, dep.as_ref())?;
            let native = chain.balance(&addr, &chain.config().fee_denom).await?;
            let mut out = json!({"address": addr, "native": {chain.config().fee_denom.clone(): native.to_string()}});
            if let Some(token) = dep.as_ref().and_then(|d| d.contracts.get("aip-token")) {
                let b: Value = chain
                    .query(&token.address, &json!({"balance": {"address": addr}}))
                    .await?;
                out["uaip"] = b["balance"].clone();
            }
            if let Some(s) = dep.as_ref().and_then(|d| d.contracts.get("settlement")) {
                let b: Value = chain
                    .query(&s.address, &json!({"balance": {"account": addr}}))
                    .await?;
                out["settlement"] = json!({"free": b["free"], "locked": b["locked"]});
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        Command::Deposit { amount } => {
            let client = chain.with_signer(cli.chain.signer(&prefix)?);
            let tx = client
                .execute_multi(vec![market::deposit(need_dep()?, amount)?])
                .await?;
            println!(
                "deposited {amount} uaip: tx {} height {} gas {}",
                tx.hash, tx.height, tx.gas_used
            );
        }
        Command::Withdraw { amount } => {
            let client = chain.with_signer(cli.chain.signer(&prefix)?);
            let tx = client
                .execute_multi(vec![market::withdraw(need_dep()?, amount)?])
                .await?;
            let paid = tx.wasm_attribute("amount").unwrap_or("?");
            println!(
                "withdrew {paid} uaip: tx {} height {} gas {}",
                tx.hash, tx.height, tx.gas_used
            );
        }
        Command::Intent(IntentCommand::Cancel { nonce }) => {
            let client = chain.with_signer(cli.chain.signer(&prefix)?);
            let tx = client
                .execute_multi(vec![market::cancel_intent(need_dep()?, nonce)?])
                .await?;
            println!(
                "cancelled intent {nonce}: tx {} height {} gas {}",
                tx.hash, tx.height, tx.gas_used
            );
        }
        Command::Intent(IntentCommand::Sign(_) | IntentCommand::Post { .. }) => {}
        Command::Transfer { to, amount } => {
            let d = need_dep()?;
            let to = resolve(&to, &prefix, Some(d))?;
            let client = chain.with_signer(cli.chain.signer(&prefix)?);
            let msg = json!({"transfer": {"recipient": to, "amount": amount.to_string()}});
            let tx = client.execute(d.address("aip-token")?, &msg, &[]).await?;
            println!(
                "transferred {amount} uaip to {to}: tx {} height {} gas {}",
                tx.hash, tx.height, tx.gas_used
            );
        }
        Command::Status => {
            let (h, t) = chain.latest_block().await?;
            println!("chain {} height {h} time {t}", chain.config().chain_id);
            match &dep {
                Some(d) => {
                    for (n, c) in &d.contracts {
                        println!("{n:<14} {} (code {})", c.address, c.code_id);
                    }
                }
                None => println!("no deployment at {}", dep_path.display()),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("aip").chain(args.iter().copied())).unwrap()
    }

    fn deploy_args(cli: &Cli) -> &DeployArgs {
        match &cli.command {
            Command::Deploy(a) => a,
            other => panic!("not deploy: {other:?}"),
        }
    }

    #[test]
    fn intent_sign_signs_for_the_signers_account_and_refuses_bad_terms() {
        let mut d = Deployment {
            chain_id: "aip-localnet-1".into(),
            prefix: "wasm".into(),
            ..Deployment::default()
        };
        d.contracts.insert(
            "settlement".into(),
            crate::deployment::ContractRecord {
                address: aip_types::intent::sign::IntentKey::from_label("s").address("wasm"),
                code_id: 1,
                label: "settlement".into(),
            },
        );
        let domain = market::intent_domain(&d).unwrap();
        let api = cosmwasm_std::testing::MockApi::default();
        for (from, eth) in [("alice", false), ("bob", true)] {
            let mut args = vec![
                "--from",
                from,
                "intent",
                "sign",
                "--side",
                "sell",
                "--slot",
                "1800000000",
                "--meter",
                "3",
                "--wh",
                "1500",
                "--price",
                "210000",
                "--nonce",
                "7",
            ];
            if eth {
                args.push("--eth");
            }
            let cli = parse(&args);
            let Command::Intent(IntentCommand::Sign(a)) = &cli.command else {
                panic!("{:?}", cli.command)
            };
            let signed = a.sign(&d, &cli.chain.wallet("wasm").unwrap()).unwrap();
            assert_eq!(signed.intent.owner, resolve(from, "wasm", None).unwrap());
            assert_eq!((signed.intent.wh, signed.intent.nonce), (1500, 7));
            assert_eq!(signed.intent.side, Side::Sell);
            let v = aip_types::intent::verify_signed_intent(&api, &domain, &signed, 1_799_999_000)
                .unwrap();
            assert_eq!(v.owner, signed.intent.owner);
        }
        let cli = parse(&[
            "intent",
            "sign",
            "--side",
            "buy",
            "--slot",
            "1800000001",
            "--meter",
            "3",
            "--wh",
            "1",
            "--price",
            "1",
            "--nonce",
            "1",
        ]);
        let Command::Intent(IntentCommand::Sign(a)) = &cli.command else {
            panic!()
        };
        let e = a.sign(&d, &cli.chain.wallet("wasm").unwrap()).unwrap_err();
        assert!(e.to_string().contains("slot"), "{e}");
        assert!(Cli::try_parse_from(["aip", "intent", "sign", "--side", "hold"]).is_err());
        let cli = parse(&["withdraw"]);
        assert!(matches!(cli.command, Command::Withdraw { amount: None }));
        let cli = parse(&["deposit", "5000"]);
        assert!(matches!(cli.command, Command::Deposit { amount: 5000 }));
    }

    #[test]
    fn localnet_defaults_give_the_test_accounts_their_roles_and_funds() {
        let cli = parse(&["deploy"]);
        let o = deploy_options(deploy_args(&cli), &cli.chain, "wasm1deployer", "wasm").unwrap();
        assert_eq!(o.roles.admin, "wasm1deployer");
        assert_eq!(o.roles.matcher, resolve("matcher", "wasm", None).unwrap());
        assert_eq!(o.initial_balances.len(), 4);
        assert_eq!(o.kyc, KycMode::ZkVerifier);
        assert_eq!(
            o.out,
            PathBuf::from("artifacts/deployment.aip-localnet-1.json")
        );
    }

    #[test]
    fn roles_and_funds_are_parsed_and_bad_ones_refused() {
        let cli = parse(&[
            "--chain-id",
            "other-1",
            "deploy",
            "--role",
            "arbiter=carol",
            "--fund",
            "dave=5",
            "--kyc-by-admin",
        ]);
        let o = deploy_options(deploy_args(&cli), &cli.chain, "wasm1d", "wasm").unwrap();
        assert_eq!(o.roles.arbiter, resolve("carol", "wasm", None).unwrap());
        assert_eq!(o.roles.matcher, "wasm1d"); // not the localnet: the deployer
        assert_eq!(
            o.initial_balances,
            vec![(resolve("dave", "wasm", None).unwrap(), 5)]
        );
        assert_eq!(o.kyc, KycMode::AdminMints);

        let bad = |args: &[&str]| {
            let cli = parse(args);
            deploy_options(deploy_args(&cli), &cli.chain, "wasm1d", "wasm")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad(&["deploy", "--role", "king=alice"]),
            "unknown role \"king\""
        );
        assert_eq!(
            bad(&["deploy", "--role", "admin"]),
            "expected KEY=VALUE, got \"admin\""
        );
        assert!(bad(&["deploy", "--fund", "alice=lots"]).starts_with("bad amount in --fund"));
        assert_eq!(
            bad(&["deploy", "--role", "admin=mallory"]),
            "\"mallory\" is neither an address (wasm1…), a deployed contract nor a test account"
        );
    }
}
