package store

// The constant status lists, for the tests of package store_test.
var (
	OpenStatusList    = openStatusList
	RunningStatusList = runningStatusList
)
