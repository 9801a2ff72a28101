mod multi_tests;
mod suite;
mod unit_tests;
