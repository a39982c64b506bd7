//! Resource stores: where an executable reads resources by address. The ledger keeps the
//! plaintexts of resources published as public ([`crate::Ledger`] implements the trait);
//! a party's [`LocalStore`] keeps its own resources with their nullifier secrets.

use crate::resource::Resource;
use crate::tree::MerklePath;
use resvm_field::Digest;
use std::collections::HashMap;

/// Reads resources by address (= commitment).
pub trait ResourceStore {
    /// The resource with this address, if the store has its plaintext.
    fn resource(&self, address: &Digest) -> Option<Resource>;

    /// The nullifier (the owner's secret n) of the resource, if the store holds it.
    fn nullifier(&self, _address: &Digest) -> Option<Digest> {
        None
    }

    /// A membership path of the resource's commitment with the root it leads to.
    fn path(&self, _address: &Digest) -> Option<(MerklePath, Digest)> {
        None
    }
}

/// Several stores: each question goes to each store in order, first answer wins.
pub struct Stores<'a>(pub Vec<&'a dyn ResourceStore>);

impl ResourceStore for Stores<'_> {
    fn resource(&self, address: &Digest) -> Option<Resource> {
        self.0.iter().find_map(|s| s.resource(address))
    }
    fn nullifier(&self, address: &Digest) -> Option<Digest> {
        self.0.iter().find_map(|s| s.nullifier(address))
    }
    fn path(&self, address: &Digest) -> Option<(MerklePath, Digest)> {
        self.0.iter().find_map(|s| s.path(address))
    }
}

/// A party's own resources and their nullifier secrets, in memory.
#[derive(Clone, Debug, Default)]
pub struct LocalStore {
    resources: HashMap<Digest, (Resource, Option<Digest>)>,
}

impl LocalStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a resource, with its nullifier when this party owns it; returns its address.
    pub fn insert(&mut self, resource: Resource, nullifier: Option<Digest>) -> Digest {
        let a = resource.commitment();
        self.resources.insert(a, (resource, nullifier));
        a
    }
}

impl ResourceStore for LocalStore {
    fn resource(&self, address: &Digest) -> Option<Resource> {
        self.resources.get(address).map(|(r, _)| *r)
    }
    fn nullifier(&self, address: &Digest) -> Option<Digest> {
        self.resources.get(address).and_then(|(_, n)| *n)
    }
}
