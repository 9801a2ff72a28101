//! Who may do what: the one role check every contract calls and the one
//! refusal it gives, so a wallet or an agent reads the same message from
//! every contract (as [`crate::migrate`] unified migrations).
//!
//! `"{sender} may not {action}: only {allowed}"`, e.g.
//! `wasm1… may not commit intents: only the matcher`.

use cosmwasm_std::Addr;
use thiserror::Error;

/// A caller without the role the action needs. Contracts wrap it as their
/// `ContractError::Unauthorized` (transparent, so the message is this one).
#[derive(Error, Debug, Clone, PartialEq, Eq)]
#[error("{sender} may not {action}: only {allowed}")]
pub struct Unauthorized {
    /// Who called.
    pub sender: String,
    /// What it tried, as a verb phrase ("commit intents").
    pub action: String,
    /// Who may, as a noun phrase ("the matcher", "the token's owner or the admin").
    pub allowed: String,
}

/// Refuses unless `sender` is `holder`, the account holding `role`.
pub fn ensure_role(
    sender: &Addr,
    holder: &Addr,
    action: &str,
    role: &str,
) -> Result<(), Unauthorized> {
    ensure_any(sender, &[holder], action, &format!("the {role}"))
}

/// Refuses unless `sender` is one of `holders`; `allowed` names them.
pub fn ensure_any(
    sender: &Addr,
    holders: &[&Addr],
    action: &str,
    allowed: &str,
) -> Result<(), Unauthorized> {
    if holders.contains(&sender) {
        Ok(())
    } else {
        Err(Unauthorized {
            sender: sender.to_string(),
            action: action.to_string(),
            allowed: allowed.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_holder_passes_and_anyone_else_gets_one_message() {
        let (m, x) = (Addr::unchecked("matcher"), Addr::unchecked("mallory"));
        assert_eq!(ensure_role(&m, &m, "commit intents", "matcher"), Ok(()));
        assert_eq!(
            ensure_role(&x, &m, "commit intents", "matcher")
                .unwrap_err()
                .to_string(),
            "mallory may not commit intents: only the matcher"
        );
        let (o, a) = (Addr::unchecked("owner"), Addr::unchecked("admin"));
        assert_eq!(
            ensure_any(&a, &[&o, &a], "burn", "the token's owner or the admin"),
            Ok(())
        );
        assert_eq!(
            ensure_any(&x, &[&o, &a], "burn", "the token's owner or the admin")
                .unwrap_err()
                .to_string(),
            "mallory may not burn: only the token's owner or the admin"
        );
    }
}
