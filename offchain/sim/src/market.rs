//! The simulation's book and trades are the matcher's own types
//! (`aip_matcher::{Order, Trade, Network}`; a household's order side is
//! aip-types' intent `Side`), and the matcher's clearing method sits behind a
//! trait.

pub use aip_matcher::{Corridor, Network, Order, Trade};
pub use aip_types::intent::Side;

use crate::scenario::Scenario;

/// The matcher's network of a scenario: its zones and corridors (ids in
/// scenario order, no fee of their own: the DSO publishes the slot's fees
/// on chain), lost energy not valued.
pub fn network(s: &Scenario) -> Network {
    let zones: std::collections::BTreeSet<u32> = s
        .households
        .iter()
        .map(|h| h.zone)
        .chain(s.corridors.iter().flat_map(|c| [c.from, c.to]))
        .collect();
    Network {
        zones: zones
            .into_iter()
            .map(|id| aip_matcher::Zone {
                id,
                name: format!("zone {id}"),
                loss_bps: 0,
            })
            .collect(),
        corridors: s
            .corridors
            .iter()
            .zip(0u32..)
            .map(|(c, id)| Corridor {
                id,
                from: c.from,
                to: c.to,
                capacity_wh: c.capacity_wh,
                loss_bps: c.loss_bps,
                fee: 0,
            })
            .collect(),
        loss_price: 0,
    }
}

/// How the matcher clears a slot's book: `aip-matcher`'s method, which the
/// online agent's path ([`crate::protocol::Market::commit_with`]) runs on the
/// contract's network and the slot's fees and capacities.
pub trait Clearing {
    /// Label printed in the summary.
    fn label(&self) -> String;
    /// The method the matcher clears with.
    fn method(&self) -> aip_matcher::Method;
}
