//! Helpers shared by the integration tests.

pub mod doubles;
pub mod events;
pub mod mocks;
