mod multi_tests;
mod unit_tests;
