package i18n

// The patrols' messages (handlers/patrols.go, service/patrol_more.go).
func init() {
	Register(map[string]string{
		"Unusable track":               "轨迹无法使用",
		"the track cannot be used: %s": "轨迹无法使用：%s",
		"send a track as application/gpx+xml or application/geo+json (got %q)": "请以 application/gpx+xml 或 application/geo+json 上传轨迹（收到 %q）",

		"%s must be a day like 2024-05-01":                            "%s 须为日期，如 2024-05-01",
		"a check-in cannot be in the future":                          "签到时间不能晚于当前时间",
		"a check-in is at most 7 days old":                            "只能补记 7 天内的签到",
		"a position needs both lon and lat":                           "位置须同时给出 lon 和 lat",
		"every_days must be 1 to %d":                                  "every_days 须为 1 至 %d",
		"lon must be -180 to 180 and lat -90 to 90":                   "lon 须在 -180 至 180 之间，lat 须在 -90 至 90 之间",
		"min_percent must be above 0 and at most 100":                 "min_percent 须大于 0 且不超过 100",
		"no road or alley is within %d m of this position":            "此位置 %d 米内没有道路或背街小巷",
		"send a position (lon, lat) or an asset_id":                   "请给出位置（lon、lat）或 asset_id",
		"the window is at most %d days":                               "统计时段最长 %d 天",
		"the window must be 1 to %d whole days (China Standard Time)": "统计时段须为 1 至 %d 个整天（北京时间）",

		"xlsx|Patrol compliance": "巡查达标率", "xlsx|Stretches below target": "巡查未达标路段", "xlsx|Stretches": "牵头路段数",
		"xlsx|Lead (m)": "牵头里程(米)", "xlsx|Periods": "应巡查周期", "xlsx|Periods met": "达标周期",
	})
}
