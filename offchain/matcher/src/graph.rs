//! The compiled network (zones as nodes, each corridor as two directed arcs) and the
//! validated, eligible part of an order book.
use crate::model::{Network, Order, OrderBook, Side, MAX_PRICE, MAX_WH};
use crate::MatcherError;
use std::collections::{HashMap, HashSet};

/// Cost units per uaip/kWh: a loss of `bps` basis points valued at `loss_price` uaip/kWh
/// costs exactly `bps * loss_price` units per kWh, so every cost is an integer.
pub(crate) const SCALE: i64 = 10_000;
pub(crate) const INF: i64 = i64::MAX / 4;

/// A directed arc: corridor `corridor` traversed from `from` to `to`.
#[derive(Clone, Debug)]
pub(crate) struct Arc {
    pub from: usize,
    pub to: usize,
    pub cap: u64,
    /// cost per kWh in `SCALE` units: loss value plus congestion fee
    pub cost: i64,
    pub bps: u32,
    pub fee: u64,
}

pub(crate) struct Graph {
    pub nz: usize,
    pub zone_bps: Vec<u32>,
    pub corridor_ids: Vec<u32>,
    /// arcs `2c` (from -> to) and `2c + 1` (to -> from) of corridor `c`
    pub arcs: Vec<Arc>,
    pub loss_price: u64,
    index: HashMap<u32, usize>,
}

impl Graph {
    pub fn new(net: &Network) -> Result<Self, MatcherError> {
        if net.loss_price > MAX_PRICE {
            return Err(MatcherError::PriceTooLarge {
                what: "loss_price".into(),
                price: net.loss_price,
                max: MAX_PRICE,
            });
        }
        let mut index = HashMap::new();
        let mut zone_bps = Vec::new();
        for z in &net.zones {
            if index.insert(z.id, zone_bps.len()).is_some() {
                return Err(MatcherError::DuplicateZone(z.id));
            }
            if z.loss_bps >= 10_000 {
                return Err(MatcherError::LossTooLarge {
                    what: format!("zone {}", z.id),
                    bps: z.loss_bps,
                });
            }
            zone_bps.push(z.loss_bps);
        }
        let mut seen = HashSet::new();
        let mut arcs = Vec::new();
        let mut corridor_ids = Vec::new();
        for c in &net.corridors {
            if !seen.insert(c.id) {
                return Err(MatcherError::DuplicateCorridor(c.id));
            }
            let zone = |id: u32| {
                index
                    .get(&id)
                    .copied()
                    .ok_or(MatcherError::CorridorUnknownZone {
                        corridor: c.id,
                        zone: id,
                    })
            };
            let (a, b) = (zone(c.from)?, zone(c.to)?);
            if a == b {
                return Err(MatcherError::CorridorLoop(c.id, c.from));
            }
            if c.loss_bps >= 10_000 {
                return Err(MatcherError::LossTooLarge {
                    what: format!("corridor {}", c.id),
                    bps: c.loss_bps,
                });
            }
            if c.fee > MAX_PRICE {
                return Err(MatcherError::PriceTooLarge {
                    what: format!("corridor {} fee", c.id),
                    price: c.fee,
                    max: MAX_PRICE,
                });
            }
            let cost = c.loss_bps as i64 * net.loss_price as i64 + c.fee as i64 * SCALE;
            for (from, to) in [(a, b), (b, a)] {
                arcs.push(Arc {
                    from,
                    to,
                    cap: c.capacity_wh,
                    cost,
                    bps: c.loss_bps,
                    fee: c.fee,
                });
            }
            corridor_ids.push(c.id);
        }
        Ok(Graph {
            nz: zone_bps.len(),
            zone_bps,
            corridor_ids,
            arcs,
            loss_price: net.loss_price,
            index,
        })
    }

    pub fn zone(&self, id: u32) -> Option<usize> {
        self.index.get(&id).copied()
    }

    /// Cost (SCALE units per kWh) of injecting energy in zone `z`: its loss value.
    pub fn zone_cost(&self, z: usize) -> i64 {
        self.zone_bps[z] as i64 * self.loss_price as i64
    }

    /// All-pairs cheapest routes by loss factor (then by index), ignoring capacity:
    /// `next[a * nz + b]` is the first arc from `a` towards `b`.
    pub fn min_loss_routes(&self) -> Vec<Option<usize>> {
        let n = self.nz;
        let mut d = vec![INF; n * n];
        let mut next = vec![None; n * n];
        for i in 0..n {
            d[i * n + i] = 0;
        }
        for (k, a) in self.arcs.iter().enumerate() {
            let w = a.cost * 1_000_000 + a.bps as i64 + 1;
            if w < d[a.from * n + a.to] {
                d[a.from * n + a.to] = w;
                next[a.from * n + a.to] = Some(k);
            }
        }
        floyd_warshall(n, &mut d, &mut next);
        next
    }
}

/// In-place Floyd-Warshall with first-hop tracking.
pub(crate) fn floyd_warshall<T: Copy>(n: usize, d: &mut [i64], next: &mut [T]) {
    for k in 0..n {
        for i in 0..n {
            let dik = d[i * n + k];
            if dik >= INF {
                continue;
            }
            for j in 0..n {
                let dkj = d[k * n + j];
                if dkj >= INF {
                    continue;
                }
                if dik + dkj < d[i * n + j] {
                    d[i * n + j] = dik + dkj;
                    next[i * n + j] = next[i * n + k];
                }
            }
        }
    }
}

/// The eligible orders of a book (in the slot's window, non-zero), validated.
pub(crate) struct Book<'a> {
    pub orders: Vec<&'a Order>,
    /// zone index of each eligible order
    pub zone: Vec<usize>,
    pub demand_wh: u64,
    pub supply_wh: u64,
    pub gated: bool,
}

impl<'a> Book<'a> {
    pub fn new(book: &'a OrderBook, g: &Graph) -> Result<Self, MatcherError> {
        let mut ids = HashSet::with_capacity(book.orders.len());
        let mut out = Book {
            orders: Vec::with_capacity(book.orders.len()),
            zone: Vec::with_capacity(book.orders.len()),
            demand_wh: 0,
            supply_wh: 0,
            gated: false,
        };
        for o in &book.orders {
            if !ids.insert(o.id) {
                return Err(MatcherError::DuplicateOrder(o.id));
            }
            let z = g.zone(o.zone).ok_or(MatcherError::OrderUnknownZone {
                id: o.id,
                zone: o.zone,
            })?;
            if o.limit_price > MAX_PRICE {
                return Err(MatcherError::PriceTooLarge {
                    what: format!("order {}", o.id),
                    price: o.limit_price,
                    max: MAX_PRICE,
                });
            }
            if o.wh > MAX_WH {
                return Err(MatcherError::QuantityTooLarge {
                    id: o.id,
                    wh: o.wh,
                    max: MAX_WH,
                });
            }
            if o.premium_only && o.side == Side::Bid {
                return Err(MatcherError::PremiumOnlyBid(o.id));
            }
            if let Some([from, until]) = o.window {
                if until <= from {
                    return Err(MatcherError::EmptyWindow {
                        id: o.id,
                        from,
                        until,
                    });
                }
                if book.slot < from || book.slot >= until {
                    continue;
                }
            }
            if o.wh == 0 {
                continue;
            }
            match o.side {
                Side::Bid => out.demand_wh += o.wh,
                Side::Offer => {
                    out.supply_wh += o.wh;
                    out.gated |= o.premium_only;
                }
            }
            out.orders.push(o);
            out.zone.push(z);
        }
        Ok(out)
    }

    /// Value (bids) or cost (offers, including the seller zone's loss) per kWh, SCALE units.
    pub fn unit(&self, i: usize, g: &Graph) -> i64 {
        let o = self.orders[i];
        let p = o.limit_price as i64 * SCALE;
        match o.side {
            Side::Bid => p,
            Side::Offer => p + g.zone_cost(self.zone[i]),
        }
    }

    /// Indices of eligible orders per zone and class, in priority order:
    /// offers by (price asc, trust desc, id), bids by (price desc, trust desc, id).
    /// Class: offers open / premium-only, bids plain / premium.
    pub fn queues(&self, g: &Graph) -> Queues {
        let mut q = Queues {
            offers: vec![[Vec::new(), Vec::new()]; g.nz],
            bids: vec![[Vec::new(), Vec::new()]; g.nz],
        };
        for (i, o) in self.orders.iter().enumerate() {
            let z = self.zone[i];
            match o.side {
                Side::Offer => q.offers[z][o.premium_only as usize].push(i),
                Side::Bid => q.bids[z][o.premium as usize].push(i),
            }
        }
        let key = |i: &usize| {
            let o = self.orders[*i];
            (o.limit_price, std::cmp::Reverse(o.trust), o.id)
        };
        for z in 0..g.nz {
            for c in 0..2 {
                q.offers[z][c].sort_unstable_by_key(key);
                q.bids[z][c].sort_unstable_by_key(|i| {
                    let o = self.orders[*i];
                    (
                        std::cmp::Reverse(o.limit_price),
                        std::cmp::Reverse(o.trust),
                        o.id,
                    )
                });
            }
        }
        q
    }
}

/// Per zone: `offers[z][premium_only]`, `bids[z][premium]`, each in priority order.
pub(crate) struct Queues {
    pub offers: Vec<[Vec<usize>; 2]>,
    pub bids: Vec<[Vec<usize>; 2]>,
}
