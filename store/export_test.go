package store

// OpenStatusList is openStatusList for the tests of package store_test.
const OpenStatusList = openStatusList
