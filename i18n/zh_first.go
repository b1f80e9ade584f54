package i18n

// The demo, base-map and app-shell messages (issue 17, items 1, 2 and 6).
func init() {
	Register(map[string]string{
		"the layer must be one of landuse, water, building, place": "图层须为 landuse、water、building、place 之一",
		"base features need a source and a source_id":              "底图要素须有 source 与 source_id",
	})
}
