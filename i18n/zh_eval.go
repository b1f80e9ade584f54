package i18n

// The evaluation's answers (handlers/evaluation.go).
func init() {
	Register(map[string]string{
		"File too large":                        "文件过大",
		"a feedback list may be at most %d MB":  "反馈清单文件最大 %d MB",
		"an RFC 3339 time or a date YYYY-MM-DD": "请填写 RFC 3339 时间或 YYYY-MM-DD 日期",
	})
}
