mod unit_tests;
