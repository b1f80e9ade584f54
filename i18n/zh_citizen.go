package i18n

// Public reporting and its moderation queue (issue 14: handlers/citizens.go, service/citizens.go).
func init() {
	Register(map[string]string{
		"Too many reports":                                               "提交过于频繁",
		"%s; try again later":                                            "%s，请稍后再试",
		"too many reports from this address":                             "此网络地址提交的报告过多",
		"too many reports from this device":                              "此设备提交的报告过多",
		"Reporter blocked":                                               "已被限制",
		"reports from this phone or device are not accepted":             "此手机号或设备的报告不再受理",
		"Public report too large":                                        "请求过大",
		"a report with its photos may be at most 16 MB":                  "报告连同照片最多 16 MB",
		"leave this field empty":                                         "此项请留空",
		"choose a category":                                              "请选择问题类别",
		"at most 3 photos":                                               "最多 3 张照片",
		"a phone number has 5 to 20 digits (and + - or spaces)":          "手机号应为 5 到 20 位数字（可含 + - 或空格）",
		"place a pin on the map (or send a photo with its GPS position)": "请在地图上标出位置（或上传带 GPS 位置的照片）",
		"lon and lat must be numbers":                                    "经纬度必须是数字",
		"lon and lat are required numbers":                               "需要经度和纬度",
		"send the report as multipart/form-data":                         "请以 multipart/form-data 提交",
		"a rejection needs a reason the reporter will read":              "不予受理须写明原因，报告人会看到",
		"action must be accept, merge or reject":                         "操作必须是 accept、merge 或 reject",
		"a merge needs report_id, the open case this one duplicates":     "合并需要 report_id，即重复的那个未结案卷",
		"only a closed case can be rated":                                "只有已结案的案卷可以评价",
		"this closing was rated already":                                 "本次结案已评价过",
		"kind must be phone or device":                                   "kind 必须是 phone 或 device",
		"send lon and lat together":                                      "经度和纬度须一起发送",
	})
}
