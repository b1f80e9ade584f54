package importer

import (
	"context"
	"testing"
)

// baseOSM has a building, a pond, a river line, a residential area, a park (which is also an asset), a
// multipolygon lake with an island, a named village and an unnamed hamlet, an open building way, and a road.
const baseOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="40.0000" lon="116.0000"/>
 <node id="2" lat="40.0000" lon="116.0010"/>
 <node id="3" lat="40.0010" lon="116.0010"/>
 <node id="4" lat="40.0010" lon="116.0000"/>
 <node id="5" lat="40.0002" lon="116.0002"/>
 <node id="6" lat="40.0002" lon="116.0004"/>
 <node id="7" lat="40.0004" lon="116.0004"/>
 <node id="8" lat="40.0004" lon="116.0002"/>
 <node id="9" lat="40.0020" lon="116.0020"><tag k="place" v="village"/><tag k="name" v="李庄"/><tag k="name:zh" v="李庄村"/></node>
 <node id="10" lat="40.0030" lon="116.0030"><tag k="place" v="hamlet"/></node>
 <way id="20"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/><tag k="building" v="yes"/></way>
 <way id="21"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="landuse" v="residential"/></way>
 <way id="22"><nd ref="1"/><nd ref="3"/><tag k="waterway" v="river"/><tag k="name" v="卫河"/></way>
 <way id="23"><nd ref="5"/><nd ref="6"/><nd ref="7"/><tag k="building" v="house"/></way>
 <way id="24"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="1"/><tag k="leisure" v="park"/><tag k="name" v="人民公园"/></way>
 <way id="25"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
 <way id="26"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/><nd ref="5"/></way>
 <way id="27"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="建设路"/></way>
 <relation id="40"><member type="way" ref="25" role="outer"/><member type="way" ref="26" role="inner"/><tag k="type" v="multipolygon"/><tag k="natural" v="water"/><tag k="water" v="lake"/></relation>
</osm>`

// TestOSMBaseLayers imports buildings, water, land use and places as base layers (and only the road, the park
// as assets), counts them in the database, and re-imports: nothing is written the second time.
func TestOSMBaseLayers(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	path := writeFile(t, "base.osm", baseOSM)
	res, err := OSM(ctx, svc, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"building": 1, "water": 2, "landuse": 2, "place": 1}
	for layer, n := range want {
		if res.BaseFeatures[layer] != n {
			t.Errorf("result: %d %s, want %d (%v)", res.BaseFeatures[layer], layer, n, res.BaseFeatures)
		}
	}
	rows, err := svc.Store.DB().Query(ctx, `SELECT layer, class, name, source_id, ST_GeometryType(geom) FROM base_features ORDER BY source_id`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][4]string{}
	for rows.Next() {
		var l, c, n, sid, gt string
		if err := rows.Scan(&l, &c, &n, &sid, &gt); err != nil {
			t.Fatal(err)
		}
		got[sid] = [4]string{l, c, n, gt}
	}
	rows.Close()
	for sid, w := range map[string][4]string{
		"way/20":      {"building", "building", "", "ST_Polygon"},
		"way/21":      {"landuse", "residential", "", "ST_Polygon"},
		"way/22":      {"water", "river", "卫河", "ST_LineString"},
		"way/24":      {"landuse", "park", "人民公园", "ST_Polygon"},
		"relation/40": {"water", "lake", "", "ST_Polygon"},
		"node/9":      {"place", "village", "李庄村", "ST_Point"},
	} {
		if got[sid] != w {
			t.Errorf("%s = %v, want %v", sid, got[sid], w)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d base features, want 6: %v", len(got), got)
	}
	if res.SkippedFor("base building: way is not closed") != 1 {
		t.Errorf("the open building way was not skipped as such: %+v", res.Skipped)
	}
	if res.Kind("road").Inserted != 1 || res.Kind("park").Inserted != 1 {
		t.Errorf("assets: %+v", res.Kinds)
	}
	again, err := OSM(ctx, svc, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.BaseWritten != 0 {
		t.Errorf("re-importing the same file wrote %d base features", again.BaseWritten)
	}
}
