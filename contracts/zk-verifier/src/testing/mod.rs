mod multi_tests;
pub(crate) mod suite;
