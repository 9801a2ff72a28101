//! Execute handlers. Every check happens before the first write: a refused
//! call stores nothing.

use aip_types::hooks::ReputationExecuteHook;
use ark_bls12_381::Fr;
use cosmwasm_std::{
    to_json_binary, Addr, Api, Binary, DepsMut, Env, HexBinary, MessageInfo, Response, Storage,
    WasmMsg,
};

use crate::error::ContractError;
use crate::groth16::{self, KeyView, STORED_TEETH};
use crate::keys;
use crate::msg::{
    InstantiateMsg, RootKind, DEFAULT_GRACE_PERIOD, DEFAULT_PREMIUM_MAX_AGE_DAYS, MAX_GRACE_PERIOD,
};
use crate::state::{
    Account, Accounts, Config, ContextRecord, KeySource, Nullifiers, RawKeySource, RegisterRecord,
    Replaced, Roots, CONFIG, CONTEXTS, LIST_GENERATIONS, ROOTS, VK_RAW,
};

fn check_grace(grace_period: u64) -> Result<u64, ContractError> {
    if grace_period > MAX_GRACE_PERIOD {
        return Err(ContractError::GracePeriodTooLong {
            max: MAX_GRACE_PERIOD,
            got: grace_period,
        });
    }
    Ok(grace_period)
}

fn check_premium(days: u32) -> Result<u32, ContractError> {
    if days == 0 {
        return Err(ContractError::PremiumMaxAgeZero);
    }
    Ok(days)
}

/// A 32-byte canonical scalar, or a `MalformedScalar` error naming the field.
pub fn scalar(field: &str, bytes: &[u8]) -> Result<Fr, ContractError> {
    zk_kyc::fr_from_bytes::<Fr>(bytes).ok_or_else(|| ContractError::MalformedScalar {
        field: field.into(),
        len: bytes.len(),
    })
}

/// Validates a verifying key (every point, by the host) and says where
/// `Register` will read it: compiled into the code ([`keys::EMBEDDED`]) or
/// prepared here and stored.
pub fn key_source(api: &dyn Api, raw: &[u8]) -> Result<KeySource, ContractError> {
    let valid = groth16::validate_key(api, raw)?;
    Ok(match keys::find(raw) {
        Some(i) => KeySource::Embedded(i),
        None => KeySource::Stored(valid.prepared(STORED_TEETH)),
    })
}

/// Rebuilds the register record from the config and the key as set (used by
/// `migrate`: the new code may compile in other keys).
pub fn rebuild_register_record(
    storage: &mut dyn Storage,
    api: &dyn Api,
) -> Result<(), ContractError> {
    let config = CONFIG.load(storage)?;
    let key = VK_RAW
        .may_load(storage)?
        .map(|raw| key_source(api, raw.as_slice()))
        .transpose()?;
    let reputation = config
        .reputation
        .map(|r| api.addr_canonicalize(r.as_str()))
        .transpose()?;
    RegisterRecord { key, reputation }.save(storage);
    Ok(())
}

fn only(who: &Addr, sender: &Addr, action: &str, role: &str) -> Result<(), ContractError> {
    Ok(aip_types::auth::ensure_role(sender, who, action, role)?)
}

/// Creates the verifier: roles, policy (defaults filled in and bounded),
/// the external nullifier of this chain and contract, the optional key,
/// and empty sanction and revocation sets.
pub fn instantiate(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    let admin = match msg.admin {
        Some(a) => deps.api.addr_validate(&a)?,
        None => info.sender,
    };
    let provider = deps.api.addr_validate(&msg.provider)?;
    let compliance = match msg.compliance {
        Some(c) => deps.api.addr_validate(&c)?,
        None => admin.clone(),
    };
    let reputation = msg
        .reputation
        .map(|r| deps.api.addr_validate(&r))
        .transpose()?;
    let grace_period = check_grace(msg.grace_period.unwrap_or(DEFAULT_GRACE_PERIOD))?;
    let premium_max_age_days = check_premium(
        msg.premium_max_age_days
            .unwrap_or(DEFAULT_PREMIUM_MAX_AGE_DAYS),
    )?;
    let ext: Fr = zk_kyc::external_nullifier(&env.block.chain_id, env.contract.address.as_str());
    let config = Config {
        admin,
        provider,
        compliance,
        reputation,
        grace_period,
        premium_max_age_days,
        chain_id: env.block.chain_id.clone(),
        external_nullifier: Binary::from(zk_kyc::fr_to_bytes(ext)),
    };
    let key = msg
        .verifying_key
        .map(|vk| -> Result<_, ContractError> {
            let source = key_source(deps.api, vk.as_slice())?;
            VK_RAW.save(deps.storage, &Binary::from(vk.as_slice()))?;
            Ok(source)
        })
        .transpose()?;
    RegisterRecord {
        key,
        reputation: config
            .reputation
            .as_ref()
            .map(|r| deps.api.addr_canonicalize(r.as_str()))
            .transpose()?,
    }
    .save(deps.storage);
    CONFIG.save(deps.storage, &config)?;
    let empty = Binary::from(zk_kyc::fr_to_bytes(zk_kyc::set::empty_root::<Fr>()));
    ROOTS.save(
        deps.storage,
        &Roots {
            identity: None,
            sanctions: empty.clone(),
            revocation: empty,
            context: None,
            lists_generation: 0,
        },
    )?;
    LIST_GENERATIONS.save(deps.storage, 0, &env.block.time.seconds())?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("admin", config.admin)
        .add_attribute("provider", config.provider)
        .add_attribute("compliance", config.compliance)
        .add_attribute(
            "external_nullifier",
            HexBinary::from(config.external_nullifier.as_slice()).to_hex(),
        ))
}

/// The admin sets the verifying key (validated once, here).
pub fn execute_set_verifying_key(
    deps: DepsMut,
    info: MessageInfo,
    verifying_key: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    only(
        &config.admin,
        &info.sender,
        "set the verifying key",
        "admin",
    )?;
    let source = key_source(deps.api, verifying_key.as_slice())?;
    let in_code = matches!(source, KeySource::Embedded(_));
    let mut record = RegisterRecord::load(deps.storage)?.unwrap_or(RegisterRecord {
        key: None,
        reputation: None,
    });
    record.key = Some(source);
    record.save(deps.storage);
    VK_RAW.save(deps.storage, &Binary::from(verifying_key.as_slice()))?;
    Ok(Response::new()
        .add_attribute("action", "set_verifying_key")
        .add_attribute("in_code", in_code.to_string()))
}

/// The admin's changes to roles and policy; omitted fields stay.
pub struct ConfigUpdate {
    /// The new admin.
    pub admin: Option<String>,
    /// The new KYC provider.
    pub provider: Option<String>,
    /// The new compliance role.
    pub compliance: Option<String>,
    /// The reputation contract that mints tokens.
    pub reputation: Option<String>,
    /// Seconds a replaced root stays accepted.
    pub grace_period: Option<u64>,
    /// Largest age of the proof behind a premium trade, days.
    pub premium_max_age_days: Option<u32>,
}

/// The admin changes roles or policy ([`ConfigUpdate`]).
pub fn execute_update_config(
    deps: DepsMut,
    info: MessageInfo,
    update: ConfigUpdate,
) -> Result<Response, ContractError> {
    let mut config = CONFIG.load(deps.storage)?;
    only(&config.admin, &info.sender, "update the config", "admin")?;
    if let Some(a) = update.admin {
        config.admin = deps.api.addr_validate(&a)?;
    }
    if let Some(p) = update.provider {
        config.provider = deps.api.addr_validate(&p)?;
    }
    if let Some(c) = update.compliance {
        config.compliance = deps.api.addr_validate(&c)?;
    }
    if let Some(r) = update.reputation {
        let r = deps.api.addr_validate(&r)?;
        let mut record = RegisterRecord::load(deps.storage)?.unwrap_or(RegisterRecord {
            key: None,
            reputation: None,
        });
        record.reputation = Some(deps.api.addr_canonicalize(r.as_str())?);
        record.save(deps.storage);
        config.reputation = Some(r);
    }
    if let Some(g) = update.grace_period {
        config.grace_period = check_grace(g)?;
    }
    if let Some(d) = update.premium_max_age_days {
        config.premium_max_age_days = check_premium(d)?;
    }
    CONFIG.save(deps.storage, &config)?;
    Ok(Response::new()
        .add_attribute("action", "update_config")
        .add_attribute("admin", config.admin)
        .add_attribute("provider", config.provider)
        .add_attribute("compliance", config.compliance)
        .add_attribute("grace_period", config.grace_period.to_string())
        .add_attribute(
            "premium_max_age_days",
            config.premium_max_age_days.to_string(),
        ))
}

/// Publishes one root: the previous context stays accepted for the grace
/// period, the new context becomes current; a sanctions or revocation root
/// starts a new lists generation.
pub fn execute_publish(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    kind: RootKind,
    root: HexBinary,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let (role_addr, role, action) = match kind {
        RootKind::Identity => (&config.provider, "provider", "publish an identity root"),
        RootKind::Revocation => (&config.provider, "provider", "publish a revocation root"),
        RootKind::Sanctions => (
            &config.compliance,
            "compliance role",
            "publish a sanctions root",
        ),
    };
    only(role_addr, &info.sender, action, role)?;
    scalar("root", root.as_slice())?;
    let mut roots = ROOTS.load(deps.storage)?;
    let now = env.block.time.seconds();
    let slot = match kind {
        RootKind::Identity => roots.identity.get_or_insert_with(Binary::default),
        RootKind::Sanctions => &mut roots.sanctions,
        RootKind::Revocation => &mut roots.revocation,
    };
    if slot.as_slice() == root.as_slice() {
        return Err(ContractError::RootAlreadyCurrent {
            kind,
            root: root.to_hex(),
        });
    }
    *slot = Binary::from(root.as_slice());
    if kind != RootKind::Identity {
        roots.lists_generation += 1;
        LIST_GENERATIONS.save(deps.storage, roots.lists_generation, &now)?;
    }
    if let Some(old) = &roots.context {
        replace_context(deps.storage, old, kind, now, config.grace_period)?;
    }
    if let Some(identity) = &roots.identity {
        let ext = scalar("external_nullifier", config.external_nullifier.as_slice())?;
        let identity = scalar("identity root", identity.as_slice())?;
        let sanctions = scalar("sanctions root", roots.sanctions.as_slice())?;
        let revocation = scalar("revocation root", roots.revocation.as_slice())?;
        let ctx = Binary::from(zk_kyc::fr_to_bytes(zk_kyc::context(
            identity, sanctions, revocation, ext,
        )));
        CONTEXTS.save(
            deps.storage,
            ctx.as_slice(),
            &ContextRecord {
                lists_generation: roots.lists_generation,
                replaced: None,
            },
        )?;
        roots.context = Some(ctx);
    }
    ROOTS.save(deps.storage, &roots)?;
    let action = match kind {
        RootKind::Identity => "publish_root",
        RootKind::Sanctions => "publish_sanctions_root",
        RootKind::Revocation => "publish_revocation_root",
    };
    let mut res = Response::new()
        .add_attribute("action", action)
        .add_attribute("root", root.to_hex())
        .add_attribute("lists_generation", roots.lists_generation.to_string());
    if let Some(ctx) = &roots.context {
        res = res.add_attribute("context", HexBinary::from(ctx.as_slice()).to_hex());
    }
    Ok(res)
}

fn replace_context(
    storage: &mut dyn Storage,
    context: &Binary,
    by: RootKind,
    now: u64,
    grace: u64,
) -> Result<(), ContractError> {
    if let Some(mut rec) = CONTEXTS.may_load(storage, context.as_slice())? {
        rec.replaced = Some(Replaced {
            by,
            at: now,
            accepted_until: now + grace,
        });
        CONTEXTS.save(storage, context.as_slice(), &rec)?;
    }
    Ok(())
}

/// The values one `Register` sends.
pub struct Registration {
    /// The compressed Groth16 proof A|B|C.
    pub proof: HexBinary,
    /// The context of the roots it was made against.
    pub context: HexBinary,
    /// The identity's nullifier hash.
    pub nullifier_hash: HexBinary,
    /// The registration's end, unix seconds.
    pub valid_until: u64,
}

/// Registers the sender (or renews its registration) on a proof that
/// verifies for its address, an accepted context and an unused nullifier
/// (or the nullifier of its own earlier registration); a first registration
/// asks reputation to mint the sender's token.
pub fn execute_register(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    reg: Registration,
) -> Result<Response, ContractError> {
    if reg.proof.len() != groth16::PROOF_LEN {
        return Err(ContractError::ProofLength {
            expected: groth16::PROOF_LEN,
            got: reg.proof.len(),
        });
    }
    let context_fr = scalar("context", reg.context.as_slice())?;
    let nullifier_fr = scalar("nullifier_hash", reg.nullifier_hash.as_slice())?;
    let now = env.block.time.seconds();
    if reg.valid_until <= now {
        return Err(ContractError::CredentialExpired {
            valid_until: reg.valid_until,
            now,
        });
    }
    let ctx = CONTEXTS
        .may_load(deps.storage, reg.context.as_slice())?
        .ok_or_else(|| ContractError::UnknownContext {
            context: reg.context.to_hex(),
        })?;
    if let Some(r) = &ctx.replaced {
        if now >= r.accepted_until {
            return Err(ContractError::StaleContext {
                context: reg.context.to_hex(),
                replaced_by: r.by,
                replaced_at: r.at,
                accepted_until: r.accepted_until,
            });
        }
    }
    let sender = deps.api.addr_canonicalize(info.sender.as_str())?;
    let renewal = match Nullifiers::load(deps.storage, reg.nullifier_hash.as_slice()) {
        Some(owner) if owner != sender => {
            return Err(ContractError::NullifierUsed {
                nullifier_hash: reg.nullifier_hash.to_hex(),
                account: deps.api.addr_humanize(&owner)?.to_string(),
            })
        }
        Some(_) => true,
        None => false,
    };
    let record = RegisterRecord::load_raw(deps.storage).unwrap_or_default();
    let (source, reputation) = if record.is_empty() {
        (None, None)
    } else {
        RegisterRecord::parse(&record)?
    };
    let key = match source.ok_or(ContractError::NoVerifyingKey)? {
        RawKeySource::Embedded(i) => keys::view(i).ok_or_else(|| {
            ContractError::MalformedVerifyingKey {
                reason: format!(
                    "the register record names compiled key {i}, which this code lacks; set the key again"
                ),
            }
        })?,
        RawKeySource::Stored(bytes) => KeyView::parse(bytes, STORED_TEETH).ok_or_else(|| {
            ContractError::MalformedVerifyingKey {
                reason: format!("stored prepared key: {} bytes", bytes.len()),
            }
        })?,
    };
    // A first registration mints; an account that already holds a token is
    // refused by reputation's `MintFor` ("… already holds a reputation token"),
    // which reverts this call.
    let reputation = if renewal {
        None
    } else {
        Some(reputation.ok_or(ContractError::NoReputationContract)?)
    };

    let signal: Fr = zk_kyc::signal(info.sender.as_str());
    let x = zk_kyc::public_input(context_fr, nullifier_fr, signal, reg.valid_until);
    if !groth16::verify(deps.api, &key, reg.proof.as_slice(), x)? {
        return Err(ContractError::InvalidProof {
            sender: info.sender.to_string(),
            context: reg.context.to_hex(),
            nullifier_hash: reg.nullifier_hash.to_hex(),
            valid_until: reg.valid_until,
        });
    }

    Accounts::save(
        deps.storage,
        &sender,
        &Account {
            valid_until: reg.valid_until,
            proved_at: now,
            lists_generation: ctx.lists_generation,
        },
    );
    let mut res = Response::new();
    if let Some(reputation) = reputation {
        Nullifiers::save(deps.storage, reg.nullifier_hash.as_slice(), &sender);
        res = res
            .add_message(WasmMsg::Execute {
                contract_addr: deps.api.addr_humanize(&reputation)?.into_string(),
                msg: to_json_binary(&ReputationExecuteHook::MintFor {
                    owner: info.sender.to_string(),
                })?,
                funds: vec![],
            })
            .add_attribute("action", "register");
    } else {
        res = res.add_attribute("action", "renew");
    }
    Ok(res
        .add_attribute("account", info.sender)
        .add_attribute("context", reg.context.to_hex())
        .add_attribute("nullifier_hash", reg.nullifier_hash.to_hex())
        .add_attribute("valid_until", reg.valid_until.to_string()))
}
