//! Exclusion sets (the sanctions list, the provider's revocations): sorted
//! sets of identifiers whose root lets a user prove that their identifier is
//! **not** in the set.
//!
//! The set `{v1 < v2 < … < vn}` is stored as the chain `0 → v1 → … → vn → 0`:
//! leaf `i` of a Merkle tree of depth [`SET_DEPTH`] is `Poseidon(low, next)`
//! for consecutive values (`next = 0` on the last leaf means "no upper end"),
//! so the empty set is the single leaf `Poseidon(0, 0)`. An identifier `x` is
//! not in the set exactly when some leaf has `low < x` and (`x < next` or
//! `next = 0`): the circuit checks that leaf, its path and the two
//! comparisons. Values are identifiers below 2^[`IDENTIFIER_BITS`]
//! ([`crate::identifier`]); 0 is reserved for the chain's ends.

use ark_ff::{BigInteger, PrimeField};

use crate::params::PoseidonField;
use crate::poseidon::hash2;
use crate::tree::{MerklePath, MerkleTree, TreeError, SET_DEPTH};

/// Identifiers (and every set value) are below `2^IDENTIFIER_BITS`.
pub const IDENTIFIER_BITS: usize = 248;

/// Errors of an exclusion set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError {
    /// 0, or a value of `IDENTIFIER_BITS` bits or more: not an identifier.
    NotAnIdentifier,
    /// The identifier is in the set: no non-membership proof exists.
    Member,
    /// The set is full.
    Tree(TreeError),
}

impl core::fmt::Display for SetError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SetError::NotAnIdentifier => write!(
                f,
                "not an identifier: set values are non-zero and below 2^{IDENTIFIER_BITS}"
            ),
            SetError::Member => write!(f, "the identifier is in the set"),
            SetError::Tree(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SetError {}

/// Whether `x` can be a set value: `0 < x < 2^IDENTIFIER_BITS`.
pub fn is_identifier<F: PrimeField>(x: F) -> bool {
    let b = x.into_bigint();
    !x.is_zero() && b.num_bits() as usize <= IDENTIFIER_BITS
}

/// The proof material for "`x` is not in the set": the low leaf and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonMembership<F> {
    /// The largest set value below `x` (0 if none).
    pub low: F,
    /// The next set value after `low` (0 if none).
    pub next: F,
    /// The path of the leaf `Poseidon(low, next)`.
    pub path: MerklePath<F, SET_DEPTH>,
}

impl<F: PoseidonField> NonMembership<F> {
    /// The witness of the empty set's root (any identifier is outside it).
    pub fn blank() -> Self {
        NonMembership {
            low: F::zero(),
            next: F::zero(),
            path: MerklePath::blank(),
        }
    }

    /// The root this witness leads to.
    pub fn root(&self) -> F {
        self.path.root(hash2(self.low, self.next))
    }

    /// Whether `low < x < next` (or `next = 0`), the circuit's comparisons.
    pub fn excludes(&self, x: F) -> bool {
        let (low, x_big, next) = (
            self.low.into_bigint(),
            x.into_bigint(),
            self.next.into_bigint(),
        );
        low < x_big && (self.next.is_zero() || x_big < next)
    }
}

/// A sorted exclusion set with its Merkle tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExclusionSet<F> {
    values: Vec<F>,
}

impl<F: PoseidonField> Default for ExclusionSet<F> {
    fn default() -> Self {
        ExclusionSet { values: Vec::new() }
    }
}

impl<F: PoseidonField> ExclusionSet<F> {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of these values (any order, duplicates dropped).
    pub fn from_values(values: impl IntoIterator<Item = F>) -> Result<Self, SetError> {
        let mut set = Self::new();
        for v in values {
            set.insert(v)?;
        }
        Ok(set)
    }

    /// The values, ascending.
    pub fn values(&self) -> &[F] {
        &self.values
    }

    fn search(&self, x: F) -> Result<usize, usize> {
        let key = x.into_bigint();
        self.values.binary_search_by(|v| v.into_bigint().cmp(&key))
    }

    /// Whether `x` is in the set.
    pub fn contains(&self, x: F) -> bool {
        self.search(x).is_ok()
    }

    /// Adds `x`; returns false if it was there already.
    pub fn insert(&mut self, x: F) -> Result<bool, SetError> {
        if !is_identifier(x) {
            return Err(SetError::NotAnIdentifier);
        }
        match self.search(x) {
            Ok(_) => Ok(false),
            Err(i) => {
                if self.values.len() + 1 >= 1 << SET_DEPTH {
                    return Err(SetError::Tree(TreeError::Full { depth: SET_DEPTH }));
                }
                self.values.insert(i, x);
                Ok(true)
            }
        }
    }

    /// Removes `x`; returns false if it was not there.
    pub fn remove(&mut self, x: F) -> bool {
        match self.search(x) {
            Ok(i) => {
                self.values.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The leaves `Poseidon(low, next)` of the chain `0 → v1 → … → vn → 0`.
    fn leaves(&self) -> Vec<F> {
        let mut chain = Vec::with_capacity(self.values.len() + 2);
        chain.push(F::zero());
        chain.extend_from_slice(&self.values);
        chain.push(F::zero());
        chain.windows(2).map(|w| hash2(w[0], w[1])).collect()
    }

    fn tree(&self) -> MerkleTree<F, SET_DEPTH> {
        MerkleTree::from_leaves(self.leaves()).expect("insert keeps the set below the tree size")
    }

    /// The root published on chain.
    pub fn root(&self) -> F {
        self.tree().root()
    }

    /// The witness that `x` is not in the set.
    pub fn non_membership(&self, x: F) -> Result<NonMembership<F>, SetError> {
        if !is_identifier(x) {
            return Err(SetError::NotAnIdentifier);
        }
        let i = match self.search(x) {
            Ok(_) => return Err(SetError::Member),
            Err(i) => i,
        };
        // leaf i links chain[i] (0 or values[i-1]) to chain[i+1] (values[i] or 0)
        let low = if i == 0 {
            F::zero()
        } else {
            self.values[i - 1]
        };
        let next = self.values.get(i).copied().unwrap_or(F::zero());
        let path = self.tree().path(i as u32).map_err(SetError::Tree)?;
        Ok(NonMembership { low, next, path })
    }
}

/// The root of the empty set (the sanctions and revocation roots before any
/// list is published).
pub fn empty_root<F: PoseidonField>() -> F {
    ExclusionSet::<F>::new().root()
}
