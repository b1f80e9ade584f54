package demo

import "everymeter/vocab"

// Names of the demo town. They are ordinary Chinese street and place names, not a real county's.

// ewRoads run west–east, listed south to north.
var ewRoads = []struct{ name, class string }{
	{"南环路", "secondary"},
	{"解放路", "main"},
	{"人民路", "main"},
	{"建设路", "main"},
	{"朝阳路", "secondary"},
	{"北环路", "secondary"},
}

// nsRoads run south–north, listed west to east.
var nsRoads = []struct{ name, class string }{
	{"西环路", "secondary"},
	{"金桥路", "secondary"},
	{"文化路", "main"},
	{"中山路", "main"},
	{"胜利街", "secondary"},
	{"团结路", "secondary"},
	{"东环路", "secondary"},
}

// specialAlleys are old-town lane names given to some alleys instead of "X路N巷".
var specialAlleys = []string{
	"东关后街", "西关前街", "南关街", "北关后街", "县前街", "府前街", "书院街", "鼓楼后街", "马市街", "米市巷",
	"盐店巷", "油坊胡同", "铁匠巷", "石桥巷", "井巷", "草市街", "花园巷", "槐树胡同", "柳巷", "仓巷",
	"文庙街", "城隍庙街", "粮行街", "染坊巷", "牛市巷", "学府巷", "太平巷", "永安巷", "福寿街", "平安巷",
	"东后街", "西后街", "榆树巷", "枣林巷", "杨家胡同", "刘家巷", "王家胡同", "李家巷", "丁字街", "十字巷",
}

// parkNames are the small parks (小游园).
var parkNames = []string{
	"人民游园", "文化游园", "朝阳游园", "金桥游园", "建设游园", "胜利游园",
	"团结游园", "解放游园", "槐荫游园", "翠竹游园", "和平游园", "中山游园",
}

var surnames = []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")

var givenNames = []string{
	"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
	"秀兰", "霞", "平", "刚", "桂英", "建华", "建国", "红梅", "志强", "海燕", "晓东", "春生", "国庆", "利民",
	"卫东", "玉兰", "新民", "振华", "淑芬", "丽娟", "宏伟", "文革", "向阳", "凤英", "金亮", "永红", "保国", "爱华",
}

// unitDef is one responsible unit of the demo.
type unitDef struct {
	code, name string
	kind       vocab.UnitKind
	parent     string
}

// units are the seed speech's units (in the order they are created; parents first).
var units = []unitDef{
	{"CGZ", "城关镇", vocab.Town, ""},
	{"ZHZFJ", "县综合执法局", vocab.Department, ""},
	{"ZJJ", "住建局", vocab.Department, ""},
	{"SZYLJ", "市政园林局", vocab.Department, ""},
	{"AWB", "爱卫办", vocab.Department, ""},
	{"GAJJ", "县公安交警大队", vocab.Department, ""},
	{"JTGL", "交通公路局", vocab.Department, ""},
	{"GSZJJ", "工商质监局", vocab.Department, ""},
	{"SYJ", "食药监局", vocab.Department, ""},
	{"MZJ", "民政局", vocab.Department, ""},
	{"FGJ", "房管局", vocab.Department, ""},
	{"XCB", "宣传部", vocab.Department, ""},
	{"WMB", "文明办", vocab.Department, ""},
	{"JRB", "金融办", vocab.Department, ""},
	{"JYJ", "教育局", vocab.Department, ""},
	{"WGJ", "文广局", vocab.Department, ""},
	{"WL", "文联", vocab.Department, ""},
	{"TXW", "团县委", vocab.Department, ""},
	{"FL", "县妇联", vocab.Department, ""},
	{"CGZ-DG", "东关社区", vocab.Community, "CGZ"},
	{"CGZ-XG", "西关社区", vocab.Community, "CGZ"},
	{"CGZ-NG", "南关社区", vocab.Community, "CGZ"},
	{"CGZ-BG", "北关社区", vocab.Community, "CGZ"},
}

// roadTakers are the 文明单位 that take road segments under 路段分包, in rotation.
var roadTakers = []string{"XCB", "WMB", "JYJ", "WGJ", "TXW", "FL", "MZJ", "FGJ", "ZJJ", "SYJ", "JRB", "WL", "ZHZFJ", "GSZJJ"}

// demoUsers are the accounts the demo creates, one per role (two inspectors for separation of duties).
var demoUsers = []struct {
	name string
	role vocab.Role
	unit string
}{
	{"admin", vocab.Admin, ""},
	{"planner", vocab.Planner, ""},
	{"inspector", vocab.Inspector, ""},
	{"inspector2", vocab.Inspector, ""},
	{"unit_cgz", vocab.UnitStaff, "CGZ"},
	{"unit_zhzfj", vocab.UnitStaff, "ZHZFJ"},
	{"leader", vocab.Leader, ""},
	{"volunteer", vocab.Volunteer, ""},
}
