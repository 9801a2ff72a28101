mod multi_tests;
mod proptests;
mod suite;
mod unit_tests;
