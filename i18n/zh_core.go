package i18n

// The answers every route can give (handlers/problem.go).
func init() {
	Register(map[string]string{
		"Invalid request":              "请求无效",
		"Not found":                    "未找到",
		"Conflict":                     "冲突",
		"Still in use":                 "仍在使用",
		"Unauthorized":                 "未登录",
		"Forbidden":                    "无权操作",
		"Service unavailable":          "服务暂不可用",
		"Invalid text":                 "文本无效",
		"Too expensive":                "计算量过大",
		"Client closed request":        "客户端已关闭请求",
		"Internal error":               "内部错误",
		"Too many sign-in attempts":    "登录尝试过多",
		"Sign-in failed":               "登录失败",
		"no such record; check the id": "没有这条记录，请检查编号",
		"no such resource":             "没有这个资源",
		"this method is not allowed on this resource": "此资源不允许这种请求方法",
		"sign in first":                                                                                     "请先登录",
		"your role may not do this":                                                                         "您的角色无权执行此操作",
		"the database is not answering; retry shortly":                                                      "数据库暂无响应，请稍后重试",
		"a text value contains a NUL byte, invalid UTF-8, or is too long":                                   "文本含有空字节、无效的 UTF-8 编码或过长",
		"something went wrong on our side; it has been logged":                                              "服务器内部出错，已记录日志",
		"wrong username or password, or the account is disabled":                                            "用户名或密码错误，或账号已停用",
		"the request took too long to compute and was cancelled; use a smaller area or a simpler geometry":  "请求计算时间过长已取消，请缩小范围或简化几何图形",
		"the record is referenced by others (zones, assignments, users or child units); remove those first": "该记录仍被其他数据（区域、责任分配、用户或下级单位）引用，请先移除这些引用",
	})
}
