//! Poseidon Merkle trees filled left to right; empty leaves are zero. Only
//! the filled leaves are stored, empty subtrees use precomputed zero hashes,
//! so the root and a path cost O(filled leaves) hashes, not 2^depth.
//!
//! The provider's identity tree has depth [`DEPTH`] (2^20 credentials); the
//! sanctions and revocation sets ([`crate::set`]) use trees of depth
//! [`SET_DEPTH`].

use crate::params::PoseidonField;
use crate::poseidon::hash2;

/// Tree depth: up to 2^20 (1,048,576) identities.
pub const DEPTH: usize = 20;
/// Depth of the sanctions and revocation set trees: up to 2^16 - 1 entries.
pub const SET_DEPTH: usize = 16;

/// Errors of the identity tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeError {
    /// All 2^depth leaves are used.
    Full {
        /// The tree depth.
        depth: usize,
    },
    /// No leaf at this index.
    NoLeaf {
        /// The index asked for.
        index: u64,
        /// Leaves in the tree.
        leaves: u64,
    },
}

impl core::fmt::Display for TreeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TreeError::Full { depth } => write!(f, "the tree is full (2^{depth} leaves)"),
            TreeError::NoLeaf { index, leaves } => {
                write!(f, "no leaf at index {index}: the tree has {leaves} leaves")
            }
        }
    }
}

impl std::error::Error for TreeError {}

/// `zeros()[d]` is the root of an empty subtree of height `d` (`d <= DEPTH`).
pub fn zeros<F: PoseidonField>() -> [F; DEPTH + 1] {
    let mut z = [F::zero(); DEPTH + 1];
    for d in 0..DEPTH {
        z[d + 1] = hash2(z[d], z[d]);
    }
    z
}

/// A membership path: the sibling at each level (leaf level first) and the leaf index
/// (bit `d` set means the node at level `d` is a right child).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath<F, const D: usize = DEPTH> {
    /// Sibling hash at each level, leaf level first.
    pub siblings: [F; D],
    /// Leaf index; bit `d` set: the node at level `d` is a right child.
    pub index: u32,
}

impl<F: PoseidonField, const D: usize> MerklePath<F, D> {
    /// A path of zeros at index 0 (the shape for the trusted setup).
    pub fn blank() -> Self {
        MerklePath {
            siblings: [F::zero(); D],
            index: 0,
        }
    }

    /// The root this path leads to from `leaf`.
    pub fn root(&self, leaf: F) -> F {
        let mut node = leaf;
        for (d, sib) in self.siblings.iter().enumerate() {
            node = if (self.index >> d) & 1 == 1 {
                hash2(*sib, node)
            } else {
                hash2(node, *sib)
            };
        }
        node
    }
}

/// A Merkle tree of depth `D` (`D <= DEPTH`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree<F, const D: usize> {
    leaves: Vec<F>,
}

/// The provider's tree of credential leaves ([`crate::credential_leaf`]).
pub type IdentityTree<F> = MerkleTree<F, DEPTH>;

impl<F, const D: usize> Default for MerkleTree<F, D> {
    fn default() -> Self {
        MerkleTree { leaves: Vec::new() }
    }
}

impl<F: PoseidonField, const D: usize> MerkleTree<F, D> {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding these leaves, in order.
    pub fn from_leaves(leaves: Vec<F>) -> Result<Self, TreeError> {
        if leaves.len() > 1 << D {
            return Err(TreeError::Full { depth: D });
        }
        Ok(MerkleTree { leaves })
    }

    /// The commitments, in leaf order.
    pub fn leaves(&self) -> &[F] {
        &self.leaves
    }

    /// Appends a commitment; returns its leaf index.
    pub fn insert(&mut self, commitment: F) -> Result<u32, TreeError> {
        if self.leaves.len() >= 1 << D {
            return Err(TreeError::Full { depth: D });
        }
        self.leaves.push(commitment);
        Ok((self.leaves.len() - 1) as u32)
    }

    /// The leaf index of a commitment, if present.
    pub fn position(&self, commitment: F) -> Option<u32> {
        self.leaves
            .iter()
            .position(|l| *l == commitment)
            .map(|i| i as u32)
    }

    /// Every level's filled prefix, leaves first; the last level is `[root]`.
    fn levels(&self) -> Vec<Vec<F>> {
        let z = zeros::<F>();
        let mut levels = vec![self.leaves.clone()];
        for (d, zero) in z.iter().enumerate().take(D) {
            let cur = &levels[d];
            let next: Vec<F> = cur
                .chunks(2)
                .map(|p| hash2(p[0], if p.len() == 2 { p[1] } else { *zero }))
                .collect();
            levels.push(next);
        }
        levels
    }

    /// The root (the zero tree's root when empty).
    pub fn root(&self) -> F {
        if self.leaves.is_empty() {
            return zeros::<F>()[D];
        }
        self.levels()[D][0]
    }

    /// The membership path of the leaf at `index`.
    pub fn path(&self, index: u32) -> Result<MerklePath<F, D>, TreeError> {
        if index as usize >= self.leaves.len() {
            return Err(TreeError::NoLeaf {
                index: index as u64,
                leaves: self.leaves.len() as u64,
            });
        }
        let z = zeros::<F>();
        let levels = self.levels();
        let mut siblings = [F::zero(); D];
        let mut i = index as usize;
        for d in 0..D {
            siblings[d] = levels[d].get(i ^ 1).copied().unwrap_or(z[d]);
            i >>= 1;
        }
        Ok(MerklePath { siblings, index })
    }
}
