package feedback_test

import (
	"testing"

	"everymeter/feedback"
)

func TestParsePlace(t *testing.T) {
	for _, c := range []struct {
		in          string
		road, cross string
		bearing     float64
		offset      float64
		ok          bool
	}{
		{"人民路与建设路交叉口向西50米路南", "人民路", "建设路", 270, 50, true},
		{"城关镇人民路与建设路交叉口往西约200米路北", "城关镇人民路", "建设路", 270, 200, true},
		{"解放路和胜利街交汇处向东60米", "解放路", "胜利街", 90, 60, true},
		{"人民路文化巷口", "人民路", "文化巷", 0, 0, true},
		{"建设大街与新华路交叉口东北侧30米", "建设大街", "新华路", 45, 30, true},
		{"人民路/建设路路口", "人民路", "建设路", 0, 0, true},
		{"人民路中段", "", "", 0, 0, false},
		{"县医院门口", "", "", 0, 0, false},
		{"", "", "", 0, 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			p, ok, why := feedback.ParsePlace(c.in)
			if ok != c.ok || p.Road != c.road || p.Cross != c.cross || p.Bearing != c.bearing || p.OffsetM != c.offset {
				t.Errorf("ParsePlace(%q) = %+v, %v (%s); want %s × %s, %v°, %v m, %v", c.in, p, ok, why, c.road, c.cross, c.bearing, c.offset, c.ok)
			}
			if !ok && why == "" {
				t.Error("an unparsed place must say why")
			}
		})
	}
}

func TestReadCSVHeaderAndCoordinates(t *testing.T) {
	csv := "反馈问题清单（第二批，共3条）\n序号,地点,问题,类别,经纬度\n1,人民路,垃圾,,\"117.1,36.2\"\n,,,,\n2,建设路,广告,,36.2，117.1\n3,x,y,,abc\n"
	rows, err := feedback.Read("list.csv", []byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3 (the blank line skipped): %+v", len(rows), rows)
	}
	if r := rows[0]; r.Line != 3 || r.Seq != "1" || r.Place != "人民路" || r.Problem != "垃圾" || r.Lon == nil || *r.Lon != 117.1 || *r.Lat != 36.2 {
		t.Errorf("row 1 = %+v", r)
	}
	if r := rows[1]; r.Lon == nil || *r.Lon != 117.1 || *r.Lat != 36.2 {
		t.Errorf("swapped coordinates with a full-width comma were not read: %+v", r)
	}
	if r := rows[2]; r.Lon != nil || r.CoordError == "" {
		t.Errorf("a row with unreadable coordinates = %+v, want a coordinate error", r)
	}
	if rows[0].Hash() == rows[1].Hash() {
		t.Error("different rows share a content hash")
	}
	if _, err := feedback.Read("x.csv", []byte("a,b\n1,2\n")); err == nil {
		t.Error("a sheet without a 问题描述 column was read")
	}
}
