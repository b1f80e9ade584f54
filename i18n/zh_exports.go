package i18n

// The spreadsheets and printed briefing (handlers/xlsx.go, handlers/briefing.go): the refusals of the export formats,
// and sheet names and column headers under "xlsx|" (short words like "Closed" mean other things elsewhere).
func init() {
	Register(map[string]string{
		"printing needs Chromium on the server: %v": "打印需要服务器上安装 Chromium：%v",
		"format %q is not csv, geojson or xlsx":     "format %q 不是 csv、geojson 或 xlsx",
		"format %q is not geojson or xlsx":          "format %q 不是 geojson 或 xlsx",

		"xlsx|Unit ranking": "单位排名", "xlsx|Cases": "案卷", "xlsx|Gaps": "责任空白",
		"xlsx|Rank": "名次", "xlsx|Unit code": "单位代码", "xlsx|Unit": "责任单位", "xlsx|Received": "接收", "xlsx|Due": "应处置", "xlsx|Handled": "处置",
		"xlsx|On time": "按期处置", "xlsx|Overdue now": "当前超期", "xlsx|Rework": "返工", "xlsx|Closed": "结案", "xlsx|Handling rate": "处置率",
		"xlsx|On-time rate": "按期处置率", "xlsx|Rework rate": "返工率", "xlsx|Closure rate": "结案率", "xlsx|Extension rate": "延期率",
		"xlsx|Overdue pending rate": "超期待处置率", "xlsx|Average hours to close": "平均处置时长(小时)", "xlsx|Km": "里程(公里)",
		"xlsx|Reports per km": "每公里案卷", "xlsx|Score": "综合得分", "xlsx|Too few reports": "样本不足",
		"xlsx|Case": "案卷号", "xlsx|Category": "问题类别", "xlsx|Status": "状态", "xlsx|Urgency": "紧急程度", "xlsx|Address": "地址",
		"xlsx|Description": "描述", "xlsx|Created": "上报时间", "xlsx|Deadline": "处置时限", "xlsx|Overdue": "超期", "xlsx|Longitude": "经度",
		"xlsx|Latitude": "纬度", "xlsx|Routing": "派遣依据", "xlsx|Source": "来源",
		"xlsx|Asset": "设施编号", "xlsx|Asset name": "设施名称", "xlsx|Kind": "类型", "xlsx|From (m)": "起点(米)", "xlsx|To (m)": "终点(米)",
		"xlsx|Length (m)": "长度(米)", "xlsx|Start longitude": "起点经度", "xlsx|Start latitude": "起点纬度", "xlsx|End longitude": "终点经度",
		"xlsx|End latitude": "终点纬度",
	})
}
