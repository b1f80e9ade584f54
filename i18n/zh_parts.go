package i18n

// The answers of the 部件, shop, frontage and 门前三包 routes (issue 16).
func init() {
	Register(map[string]string{
		"shop %d has no 门前三包 agreement yet":                                         "商户 %d 尚未签订门前三包责任书",
		"side must be left or right":                                                "side 须为 left（左侧）或 right（右侧）",
		"side must be left, right or both":                                          "side 须为 left（左侧）、right（右侧）或 both（两侧）",
		"a 部件 is a Point (or a short LineString)":                                   "部件须为点（或短线）",
		"a shop is a Point (its door) or a Polygon (its footprint)":                 "商户须为点（门口）或面（占地轮廓）",
		"a 6-digit county code (GB/T 2260) is required when no code is given":       "未给出部件编码时须提供6位县级行政区划代码（GB/T 2260）",
		"an object code has 16 digits: county (6) + 大类 (2) + 小类 (2) + sequence (6)": "部件编码为16位：县级代码6位＋大类2位＋小类2位＋顺序号6位",
		"a name of 1 to 200 characters is required":                                 "名称须为1至200个字符",
		"checked_on must be a date like 2026-05-01":                                 "checked_on 须为日期，如 2026-05-01",
		"from_m and to_m are required (meters from the street's start)":             "须提供 from_m 和 to_m（自道路起点的米数）",
		"to_m must be greater than from_m":                                          "to_m 须大于 from_m",
		"the shop has no frontage yet: name the street (asset_id)":                  "该商户尚无门前责任段，请指定道路（asset_id）",
		"send a GeoJSON Feature or FeatureCollection":                               "请发送 GeoJSON Feature 或 FeatureCollection",
		"at most 10000 features at once":                                            "一次最多10000个要素",
		"asset_id must be a positive integer":                                       "asset_id 须为正整数",
		"valid_to must not be before valid_from":                                    "valid_to 不得早于 valid_from",
		"signed_on must be a date like 2026-05-01":                                  "signed_on 须为日期，如 2026-05-01",
		"valid_from must be a date like 2026-05-01":                                 "valid_from 须为日期，如 2026-05-01",
		"valid_to must be a date like 2027-04-30":                                   "valid_to 须为日期，如 2027-04-30",
		"format %q is not html, json, csv, xlsx, pdf or docx":                       "format %q 不是 html、json、csv、xlsx、pdf 或 docx",
		"xlsx|Frontage by unit":                                                     "门前三包（按单位）",
		"xlsx|Frontage by street":                                                   "门前三包（按道路）",
		"xlsx|Led (m)":                                                              "牵头路段(米)",
		"xlsx|Left covered (m)":                                                     "左侧有效门前三包(米)",
		"xlsx|Right covered (m)":                                                    "右侧有效门前三包(米)",
		"xlsx|Left coverage":                                                        "左侧覆盖率",
		"xlsx|Right coverage":                                                       "右侧覆盖率",
		"xlsx|Frontage coverage":                                                    "门前三包覆盖率",
		"xlsx|Street":                                                               "道路",
		"xlsx|Shops":                                                                "临街商户",
		"min_count must be from 1 to 1000":                                          "min_count 须为1至1000",
	})
}
