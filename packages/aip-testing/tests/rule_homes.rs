//! One home for each market rule: the table below names each rule's
//! function, the file it lives in, and the code that must call it (the
//! contract's handlers, the matcher, the simulation and the other agents).
//! `docs/rules.md` is the same table in prose.
//!
//! The checks read the sources as text (comment lines left out):
//! * each rule is defined in its home file;
//! * each caller still calls it (a caller that starts computing the rule
//!   itself fails here);
//! * no other file defines a function of the same name (a copy), unless it is
//!   listed with the reason it is not one;
//! * the known re-derivations (copies removed by issue 13) do not come back.
//!
//! The matcher's own route and matching-phase code, which cannot call the
//! contract's functions (it reads the chain's JSON), is checked for the same
//! answers in `rule_equivalence.rs`.
#![allow(clippy::unwrap_used)] // a test reports a failure by panicking

use std::fs;
use std::path::{Path, PathBuf};

/// A rule: its function, the file it lives in, and who must call it.
struct Home {
    /// What the rule says, briefly.
    rule: &'static str,
    /// The function's name (defined as `pub fn <function>` in `home`).
    function: &'static str,
    /// The file it lives in, from the repository root.
    home: &'static str,
    /// `(file or folder/, text of the call)`: a folder (ending in `/`) passes
    /// when any `.rs` file below it makes the call.
    callers: &'static [(&'static str, &'static str)],
}

const SETTLEMENT_RULES: &str = "contracts/settlement/src/rules.rs";
const COMMIT: &str = "contracts/settlement/src/execute/commit.rs";
const MATCHER_SCREEN: &str = "offchain/matcher/src/intents.rs";

/// Every rule with a home, and its callers.
const HOMES: &[Home] = &[
    Home {
        rule: "order bounds: 1..=10^9 Wh, 1..=10^10 uaip/kWh",
        function: "check_order",
        home: "packages/aip-types/src/bounds.rs",
        callers: &[
            (COMMIT, "check_order("),
            (
                "contracts/settlement/src/execute/intents.rs",
                "check_order(",
            ),
            (MATCHER_SCREEN, "check_order("),
            ("offchain/sim/src/", "check_order("),
            ("offchain/aip/src/market.rs", "aip_types::check_order("),
        ],
    },
    Home {
        rule: "payment wh * price / 1000, rounded down",
        function: "payment",
        home: "packages/aip-types/src/units.rs",
        callers: &[
            (SETTLEMENT_RULES, "payment(net_wh, price)"),
            (SETTLEMENT_RULES, "payment(net_delivered, t.price)"),
            ("offchain/aip/src/market.rs", "aip_types::payment("),
        ],
    },
    Home {
        rule: "net energy after a route's losses, the loss rounded down",
        function: "net_of_loss",
        home: "packages/aip-types/src/units.rs",
        callers: &[
            (SETTLEMENT_RULES, "net_of_loss(wh, route.loss_bps)"),
            ("offchain/sim/src/engine.rs", "aip_types::net_of_loss("),
        ],
    },
    Home {
        rule: "a short meter's trades delivered pro rata, rounded down",
        function: "delivered_pro_rata",
        home: "packages/aip-types/src/units.rs",
        callers: &[
            (
                SETTLEMENT_RULES,
                "delivered_pro_rata(t.wh, exported, ms.contracted)",
            ),
            (
                "offchain/sim/src/engine.rs",
                "aip_types::delivered_pro_rata(",
            ),
        ],
    },
    Home {
        rule: "bid escrow wh * max_price / 1000, rounded up",
        function: "escrow_for",
        home: "packages/aip-types/src/units.rs",
        callers: &[
            (MATCHER_SCREEN, "escrow_for("),
            ("offchain/gateway/src/api.rs", "escrow_for("),
        ],
    },
    Home {
        rule: "offer collateral at max(limit, floor) and the seller's ratio, rounded up",
        function: "offer_collateral",
        home: "packages/aip-types/src/units.rs",
        callers: &[
            (
                SETTLEMENT_RULES,
                "offer_collateral(wh, offer_min, floor, ratio_bps)",
            ),
            (MATCHER_SCREEN, "offer_collateral("),
            ("offchain/aip/src/market.rs", "aip_types::offer_collateral("),
        ],
    },
    Home {
        rule: "the market parameters' bounds",
        function: "check_params",
        home: SETTLEMENT_RULES,
        callers: &[(
            "contracts/settlement/src/execute/admin.rs",
            "rules::check_params(",
        )],
    },
    Home {
        rule:
            "the slot timeline and phase (gate, start, end, deadline, final data, dispute window)",
        function: "timeline",
        home: SETTLEMENT_RULES,
        callers: &[
            (
                "contracts/settlement/src/execute/admin.rs",
                "rules::timeline(",
            ),
            (COMMIT, "rules::timeline("),
            (
                "contracts/settlement/src/execute/delivery.rs",
                "rules::timeline(",
            ),
            (
                "contracts/settlement/src/execute/settle.rs",
                "rules::timeline(",
            ),
            (
                "contracts/settlement/src/execute/dispute.rs",
                "rules::timeline(",
            ),
            ("contracts/settlement/src/query.rs", "timeline("),
        ],
    },
    Home {
        rule: "an intent fills only inside its slot window",
        function: "check_slot_window",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_slot_window("),
            (MATCHER_SCREEN, "settlement::rules::check_slot_window("),
        ],
    },
    Home {
        rule: "a nonce fills one intent until cancelled",
        function: "check_fill",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_fill("),
            (MATCHER_SCREEN, "settlement::rules::check_fill("),
        ],
    },
    Home {
        rule: "an intent names an active meter of its owner",
        function: "check_meter",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_meter("),
            (MATCHER_SCREEN, "settlement::rules::check_meter("),
            (
                "offchain/matcher/src/online.rs",
                "settlement::rules::check_meter(",
            ),
        ],
    },
    Home {
        rule: "an intent's zone is its meter's node's zone",
        function: "meter_zone",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::meter_zone("),
            (MATCHER_SCREEN, "settlement::rules::meter_zone("),
        ],
    },
    Home {
        rule: "only registered, unflagged accounts trade",
        function: "check_terms",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_terms("),
            (MATCHER_SCREEN, "settlement::rules::check_terms("),
        ],
    },
    Home {
        rule: "an intent that can never fill again keeps no fill record",
        function: "fill_needs_record",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::fill_needs_record(")],
    },
    Home {
        rule: "a trade pairs a buy and a sell intent of two accounts",
        function: "check_sides",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_sides(")],
    },
    Home {
        rule: "an intent never fills beyond its Wh",
        function: "check_room",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_room(")],
    },
    Home {
        rule: "premium-only offers sell to premium buyers",
        function: "check_premium",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_premium(")],
    },
    Home {
        rule: "the price sits between the offer's and the bid's limits",
        function: "check_limits",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_limits("),
            (MATCHER_SCREEN, "settlement::rules::check_limits("),
        ],
    },
    Home {
        rule: "price plus the route's congestion fee within the bid's limit",
        function: "check_fee",
        home: SETTLEMENT_RULES,
        callers: &[
            (COMMIT, "rules::check_fee("),
            (MATCHER_SCREEN, "settlement::rules::check_fee("),
        ],
    },
    Home {
        rule: "the route: the zone itself or the direct corridor, with the slot's fee",
        function: "route",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::route(")],
    },
    Home {
        rule: "a corridor carries at most its capacity per slot",
        function: "check_capacity",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_capacity(")],
    },
    Home {
        rule: "net energy, payment, fee and collateral of a trade",
        function: "trade_amounts",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::trade_amounts(")],
    },
    Home {
        rule: "the free balance covers what the batch takes",
        function: "check_free",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_free(")],
    },
    Home {
        rule: "a commit settles at most four earlier slots, each once, not its own",
        function: "check_carried_settles",
        home: SETTLEMENT_RULES,
        callers: &[(COMMIT, "rules::check_carried_settles(")],
    },
    Home {
        rule: "a withdrawal: above 0, at most the free balance",
        function: "withdrawal",
        home: SETTLEMENT_RULES,
        callers: &[(
            "contracts/settlement/src/execute/deposit.rs",
            "rules::withdrawal(",
        )],
    },
    Home {
        rule: "payouts as metered: pro-rata delivery, penalty out of collateral",
        function: "metered",
        home: SETTLEMENT_RULES,
        callers: &[
            (
                "contracts/settlement/src/execute/settle.rs",
                "rules::metered(",
            ),
            ("contracts/settlement/src/query.rs", "metered("),
        ],
    },
    Home {
        rule: "payouts by a ruling",
        function: "ruled",
        home: SETTLEMENT_RULES,
        callers: &[
            (
                "contracts/settlement/src/execute/dispute.rs",
                "rules::ruled(",
            ),
            ("contracts/settlement/src/query.rs", "ruled("),
        ],
    },
    Home {
        rule: "the dispute bond: exactly the market's",
        function: "check_bond",
        home: SETTLEMENT_RULES,
        callers: &[(
            "contracts/settlement/src/execute/dispute.rs",
            "rules::check_bond(",
        )],
    },
    Home {
        rule: "who gets the dispute bond",
        function: "bond_to_opener",
        home: SETTLEMENT_RULES,
        callers: &[(
            "contracts/settlement/src/execute/dispute.rs",
            "rules::bond_to_opener(",
        )],
    },
    Home {
        rule: "the arbiter's deadline",
        function: "ruling_due",
        home: SETTLEMENT_RULES,
        callers: &[
            (
                "contracts/settlement/src/execute/dispute.rs",
                "rules::ruling_due(",
            ),
            ("contracts/settlement/src/query.rs", "ruling_due("),
        ],
    },
    Home {
        rule: "delivery fetched after a wrapping cursor",
        function: "next_fetch_cursor",
        home: SETTLEMENT_RULES,
        callers: &[(
            "contracts/settlement/src/execute/delivery.rs",
            "rules::next_fetch_cursor(",
        )],
    },
    Home {
        rule: "reputation score from the components",
        function: "combine",
        home: "contracts/reputation/src/score.rs",
        callers: &[("contracts/reputation/src/query.rs", "score::combine(")],
    },
    Home {
        rule: "reputation tier from score, sales and volume",
        function: "tier",
        home: "contracts/reputation/src/score.rs",
        callers: &[("contracts/reputation/src/query.rs", "score::tier(")],
    },
    Home {
        rule: "a role check, one error for every contract",
        function: "ensure_role",
        home: "packages/aip-types/src/auth.rs",
        callers: &[
            (
                "contracts/settlement/src/execute/mod.rs",
                "aip_types::auth::ensure_role(",
            ),
            (
                "contracts/meter-oracle/src/",
                "aip_types::auth::ensure_role(",
            ),
            ("contracts/reputation/src/", "aip_types::auth::ensure_role("),
            (
                "contracts/zk-verifier/src/",
                "aip_types::auth::ensure_role(",
            ),
        ],
    },
    Home {
        rule: "a KYC proof's input from the files: curve, identity, leaf, path, list witnesses",
        function: "proof_input",
        home: "packages/zk-kyc/src/witness.rs",
        callers: &[
            ("offchain/kyc/src/lib.rs", "zk_kyc::witness::proof_input("),
            (
                "packages/zk-kyc-wasm/src/lib.rs",
                "zk_kyc::witness::proof_input(",
            ),
        ],
    },
    Home {
        rule: "migration: same contract, no downgrade",
        function: "check_upgrade",
        home: "packages/aip-types/src/migrate.rs",
        callers: &[
            ("packages/aip-types/src/migrate.rs", "check_upgrade(storage"),
            ("contracts/zk-verifier/src/", "migrate::check_upgrade("),
        ],
    },
    Home {
        rule: "a migration with no state to migrate: the check, then the record",
        function: "upgrade",
        home: "packages/aip-types/src/migrate.rs",
        callers: &[
            (
                "contracts/settlement/src/execute/admin.rs",
                "aip_types::migrate::upgrade(",
            ),
            ("contracts/aip-token/src/", "aip_types::migrate::upgrade("),
            (
                "contracts/meter-oracle/src/",
                "aip_types::migrate::upgrade(",
            ),
            ("contracts/reputation/src/", "aip_types::migrate::upgrade("),
        ],
    },
];

/// The simulation applies the contract's rules by running the contract: its
/// in-process chain is `aip_testing::Deployment`, whose settlement is the
/// contract's own entry points.
const SIMULATION_RUNS_THE_CONTRACT: &[(&str, &str)] = &[
    ("offchain/sim/Cargo.toml", "aip-testing"),
    ("offchain/sim/src/", "Deployment"),
    (
        "packages/aip-testing/src/contracts.rs",
        "settlement::contract::execute",
    ),
];

/// Types the simulation takes from their homes instead of declaring its own:
/// `(declaration, home)`. No file of the simulation may declare them.
const SIMULATION_TYPES: &[(&str, &str)] = &[
    ("struct Order ", "aip_matcher::Order"),
    ("struct Trade ", "aip_matcher::Trade"),
    ("struct Network ", "aip_matcher::Network"),
    ("enum Side ", "aip_types::intent::Side"),
];

/// Functions named like a rule that are not copies of it: `(function, file, why)`.
const NOT_COPIES: &[(&str, &str, &str)] = &[
    (
        "offer_collateral",
        "offchain/aip/src/market.rs",
        "the CLI's u128 wrapper; it calls aip_types::offer_collateral",
    ),
    (
        "payment",
        "offchain/aip/src/market.rs",
        "the CLI's u128 wrapper; it calls aip_types::payment",
    ),
    (
        "route",
        "offchain/matcher/src/clearing.rs",
        "a path through the matcher's graph, not the contract's route rule",
    ),
    (
        "check_params",
        "packages/zk-kyc/src/tests.rs",
        "a test of the Poseidon parameters",
    ),
    (
        "check_premium",
        "contracts/zk-verifier/src/execute.rs",
        "the KYC verifier's premium proof age parameter (above 0), not the trade rule",
    ),
];

/// This file names the functions in its own checks.
const THIS_FILE: &str = "packages/aip-testing/tests/rule_homes.rs";

/// Copies of rules that issue 13 removed: `(text, home, rule, files still
/// holding one)`. The text must not appear in any other file; the files
/// listed are known copies outside this work's reach, reported rather than
/// failed (a listed file that no longer has it is fine).
const RE_DERIVATIONS: &[(&str, &str, &str, &[&str])] = &[
    (
        "loss_bps / 10_000",
        "packages/aip-types/src/units.rs",
        "net energy after losses (aip_types::net_of_loss)",
        &[],
    ),
    (
        "- apply_bps(",
        "packages/aip-types/src/units.rs",
        "net energy after losses (aip_types::net_of_loss)",
        &[],
    ),
    (
        "page.nodes.last()",
        "offchain/matcher/src/agent_view.rs",
        "the chain view's node -> zone paging (aip_matcher::agent_view::ViewBuilder)",
        &[],
    ),
    (
        "SetError::Member => ",
        "packages/zk-kyc/src/witness.rs",
        "a listed identifier refused while building the KYC witnesses (zk_kyc::witness::proof_input)",
        // set.rs: the error's own message, not a witness builder.
        &["packages/zk-kyc/src/set.rs"],
    ),
    (
        "div_ceil(10_000_000)",
        "packages/aip-types/src/units.rs",
        "offer collateral (aip_types::offer_collateral)",
        &[],
    ),
    (
        "mul(\"wh * exported\"",
        "packages/aip-types/src/units.rs",
        "pro-rata delivery of a short meter (aip_types::delivered_pro_rata, called by rules::metered and the sim's estimate)",
        &[],
    ),
    (
        ".min(t.collateral)",
        SETTLEMENT_RULES,
        "the penalty capped at the collateral (rules::metered)",
        &[],
    ),
    (
        "start().saturating_sub(",
        SETTLEMENT_RULES,
        "gate closure (rules::timeline)",
        &[],
    ),
    (
        "end().saturating_add(",
        SETTLEMENT_RULES,
        "the delivery deadline (rules::timeline)",
        &[],
    ),
    (
        "fn validate_params(",
        SETTLEMENT_RULES,
        "the parameter bounds (rules::check_params)",
        &[],
    ),
];

/// Folders whose Rust sources are scanned for copies.
const SCANNED: &[&str] = &["contracts/", "packages/", "offchain/"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file's lines without comment lines (`//`, `///`, `//!`).
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn read(rel: &str) -> String {
    let path = root().join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file below `rel` (a folder ending in `/`) with its code, by
/// path from the root; build output and packages are skipped.
fn rust_files(rel: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().to_string();
            let path = e.path();
            let sub = format!("{rel}{name}");
            if path.is_dir() {
                if !matches!(name.as_str(), "target" | "node_modules" | "pkg" | ".git") {
                    walk(&path, &format!("{sub}/"), out);
                }
            } else if name.ends_with(".rs") {
                out.push((sub, code(&fs::read_to_string(&path).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join(rel), rel, &mut out);
    out
}

/// Whether `place` (a file, or a folder ending in `/`) contains `needle`
/// outside comment lines.
fn calls(place: &str, needle: &str) -> bool {
    if place.ends_with('/') {
        rust_files(place).iter().any(|(_, c)| c.contains(needle))
    } else {
        code(&read(place)).contains(needle)
    }
}

fn defines(code: &str, function: &str) -> bool {
    code.contains(&format!("fn {function}(")) || code.contains(&format!("fn {function}<"))
}

#[test]
fn the_scanner_skips_comments_and_finds_calls() {
    let text = "// rules::check_limits(\n    /// rules::check_fee(\n    rules::route(a, b)";
    let c = code(text);
    assert!(!c.contains("check_limits") && !c.contains("check_fee"));
    assert!(c.contains("rules::route("));
    assert!(defines("pub fn route(from: u32)", "route"));
    assert!(defines("fn metered<T>(t: T)", "metered"));
    assert!(!defines("fn route_fee(x: u32)", "route"));
    // The folder form finds a call in any file below it.
    assert!(calls("contracts/settlement/src/", "rules::check_limits("));
    assert!(!calls("contracts/settlement/src/", "rules::no_such_rule("));
}

#[test]
fn every_rule_lives_in_its_home_file() {
    let missing: Vec<String> = HOMES
        .iter()
        .filter(|h| !code(&read(h.home)).contains(&format!("pub fn {}", h.function)))
        .map(|h| {
            format!(
                "{} ({}): no `pub fn {}` in {}",
                h.rule, h.function, h.function, h.home
            )
        })
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_caller_calls_the_rule_instead_of_computing_it() {
    let mut missing = Vec::new();
    for h in HOMES {
        for (place, needle) in h.callers {
            if !calls(place, needle) {
                missing.push(format!(
                    "{place} no longer calls {} (`{needle}`): {} lives in {}",
                    h.function, h.rule, h.home
                ));
            }
        }
    }
    for (place, needle) in SIMULATION_RUNS_THE_CONTRACT {
        let found = if place.ends_with(".toml") {
            read(place).contains(needle)
        } else {
            calls(place, needle)
        };
        if !found {
            missing.push(format!(
                "{place} lacks `{needle}`: the simulation must run the contract itself"
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn no_rule_function_is_defined_twice() {
    let files: Vec<(String, String)> = SCANNED.iter().flat_map(|d| rust_files(d)).collect();
    let mut copies = Vec::new();
    for h in HOMES {
        for (path, c) in &files {
            if path == h.home || path == THIS_FILE || !defines(c, h.function) {
                continue;
            }
            if NOT_COPIES
                .iter()
                .any(|(f, p, _)| *f == h.function && p == path)
            {
                continue;
            }
            copies.push(format!(
                "{path} defines `{}` again: {} lives in {}",
                h.function, h.rule, h.home
            ));
        }
    }
    assert!(copies.is_empty(), "{}", copies.join("\n"));
    // Each listed exception still exists (a stale entry hides nothing, but
    // it would mislead the next reader).
    for (f, p, why) in NOT_COPIES {
        assert!(
            defines(&code(&read(p)), f),
            "{p} no longer defines {f} ({why})"
        );
    }
}

#[test]
fn removed_re_derivations_stay_removed() {
    let files: Vec<(String, String)> = SCANNED.iter().flat_map(|d| rust_files(d)).collect();
    let mut found = Vec::new();
    for (text, home, rule, known) in RE_DERIVATIONS {
        for (path, c) in &files {
            if path == home
                || path == THIS_FILE
                || known.contains(&path.as_str())
                || !c.contains(text)
            {
                continue;
            }
            found.push(format!(
                "{path} re-derives {rule} (`{text}`): call it from {home}"
            ));
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The patterns whose home is the settlement rules are found there, so
    // they are live (a typo in one would make it pass vacuously).
    let rules = code(&read(SETTLEMENT_RULES));
    for (text, home, _, _) in RE_DERIVATIONS {
        if *home == SETTLEMENT_RULES && !text.starts_with("fn ") {
            assert!(rules.contains(text), "`{text}` is not in {home}");
        }
    }
}

#[test]
fn the_simulation_declares_no_order_trade_side_or_network_of_its_own() {
    let mut found = Vec::new();
    for (path, c) in rust_files("offchain/sim/") {
        for (decl, home) in SIMULATION_TYPES {
            if c.contains(&format!("pub {decl}")) || c.contains(&format!("\n{decl}")) {
                found.push(format!("{path} declares `{}`: use {home}", decl.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The pattern is live: the matcher declares them.
    assert!(code(&read("offchain/matcher/src/model.rs")).contains("pub struct Order {"));
    assert!(calls(
        "offchain/sim/src/market.rs",
        "pub use aip_matcher::{"
    ));
}
