mod multi_tests;
mod suite;
