package i18n

// Routing reasons (service/reports.go, coverage/owner.go): stored in their parts, rendered when read.
func init() {
	Register(map[string]string{
		"部件 on %s, owned by %s":                                                  "部件位于%s，责任单位：%s",
		"部件 on %s at %s m, owned by %s":                                          "部件位于%s第 %s 米处，责任单位：%s",
		"部件 on %s: the asset has no owner there":                                 "部件位于%s：该处设施没有责任单位",
		"部件 on %s at %s m: the asset has no owner there":                         "部件位于%s第 %s 米处：该处设施没有责任单位",
		"ambiguous: %s is also %s m away":                                        "存疑：%s 也仅 %s 米远",
		"ambiguous: this stretch has several lead units (overlap)":               "存疑：此路段有多个主责单位（重叠）",
		"ambiguous: within %s m of where ownership changes":                      "存疑：距责任分界不到 %s 米",
		"default unit of the category %s":                                        "类别的默认单位 %s",
		"dispatched to %s by %s":                                                 "由 %[2]s 派遣至 %[1]s",
		"dispatched to %s by %s: %s":                                             "由 %[2]s 派遣至 %[1]s：%[3]s",
		"nearest meter %s m along %s, owned by %s, %s m away":                    "最近点位于%[2]s第 %[1]s 米处，责任单位：%[3]s，距离 %[4]s 米",
		"nearest meter %s m along %s, which has no lead unit (a gap), %s m away": "最近点位于%[2]s第 %[1]s 米处，该处没有主责单位（空白），距离 %[3]s 米",
		"routed automatically":                                                   "系统自动派遣",
		"the reporter is not satisfied (不满意): verify again":                      "上报人评价不满意，请重新核查",
		"no owner at the pin":                                                    "上报点没有责任单位",
		"no street within %s m (nearest: %s, %s m away) and no lead zone here":   "%s 米内没有街道（最近：%s，%s 米外），且此处没有主责区域",
		"no street within %s m and no lead zone here":                            "%s 米内没有街道，且此处没有主责区域",
		"no street within %s m; the point lies in lead zone %s of %s":            "%s 米内没有街道；该点位于%[3]s的主责区域 %[2]s 内",
		"nothing mapped near the pin":                                            "上报点附近没有已登记的设施",
		"on a gap of %s at %s m: no owner":                                       "位于%s第 %s 米处的空白：没有责任单位",
		"overlap: sent to %s":                                                    "重叠：已派至 %s",
		"owned by %s":                                                            "责任单位：%s",
		"returned as not ours by %s; waiting for the dispatcher":                 "%s 以非本单位职责退回；等待派遣",
		"returned as not ours by %s; waiting for the dispatcher: %s":             "%s 以非本单位职责退回；等待派遣：%s",
		"the category has no default unit; left in the dispatch queue":           "该类别没有默认单位；留在待派遣队列",
	})
}
