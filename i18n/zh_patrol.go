package i18n

// The patrols' messages (handlers/patrols.go).
func init() {
	Register(map[string]string{
		"Unusable track":               "轨迹无法使用",
		"the track cannot be used: %s": "轨迹无法使用：%s",
		"send a track as application/gpx+xml or application/geo+json (got %q)": "请以 application/gpx+xml 或 application/geo+json 上传轨迹（收到 %q）",
	})
}
