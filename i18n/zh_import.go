package i18n

// Zone and unit files: the problems of their features, the upload's refusals (importer/places.go, importer/upload.go,
// handlers/imports.go, service/placeimport.go).
func init() {
	Register(map[string]string{
		"the feature id %s is used twice in the file":                   "要素编号 %s 在文件中出现了两次",
		"invalid polygon: %s":                                           "面无效：%s",
		"no unit: the attribute %s is empty":                            "没有责任单位：属性 %s 为空",
		"the unit name \"%s\" is not unique; name the unit by its code": "单位名称“%s”不唯一，请用单位编码指明",
		"unknown unit \"%s\": no unit has this code or name":            "未知单位“%s”：没有单位使用这个编码或名称",
		"role \"%s\" is not lead or support (牵头/配合)":                    "角色“%s”不是牵头（lead）或配合（support）",
		"no unit code: the attribute %s is empty":                       "没有单位编码：属性 %s 为空",
		"the unit code %s is also %s's":                                 "单位编码 %s 与 %s 重复",
		"unit kind \"%s\" is not one of %s":                             "单位类型“%s”不是 %s 之一",
		"no unit kind: give --unit-kind or an attribute %s":             "没有单位类型：请给出 --unit-kind 或属性 %s",
		"kind must be zone or unit":                                     "kind 必须是 zone（网格）或 unit（单位）",
		"the file is larger than %d MB":                                 "文件超过 %d MB",
		"send a .zip of the shapefile's parts (.shp, .shx, .dbf, .prj, .cpg), a .gpkg or a .geojson file": "请上传 shapefile 各部分（.shp、.shx、.dbf、.prj、.cpg）打成的 .zip、.gpkg 或 .geojson 文件",
		"the file is not a readable .zip: %s":                        "文件不是可读的 .zip：%s",
		"the .zip holds %d files; at most %d":                        ".zip 中有 %d 个文件，最多 %d 个",
		"the .zip holds two files named %s":                          ".zip 中有两个名为 %s 的文件",
		"the .zip holds no .shp, .gpkg or .geojson file":             ".zip 中没有 .shp、.gpkg 或 .geojson 文件",
		"the .zip holds %d data files (%s); send one at a time":      ".zip 中有 %d 个数据文件（%s），请一次上传一个",
		"the .zip entry %s cannot be read: %s":                       "无法读取 .zip 中的 %s：%s",
		"the .zip unpacks to more than %d MB":                        ".zip 解压后超过 %d MB",
		"send the file as multipart/form-data in the field \"file\"": "请以 multipart/form-data 在字段 \"file\" 中上传文件",
		"Payload too large":                                          "内容过大",
	})
}
