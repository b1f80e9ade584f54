package importer311_test

import (
	"everymeter/internal/shared"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"everymeter/importer"
	"everymeter/importer311"
	"everymeter/internal/testdb"
	"everymeter/service"
	"everymeter/store"
)

// sharedData returns a path under the shared data directory (internal/shared: skips outside CI when absent).
func sharedData(tb testing.TB, rel string) string {
	tb.Helper()
	return shared.Path(tb, rel)
}

func TestParseDate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // UTC
	}{
		{"12/31/2017 11:59:58 PM", "2018-01-01T07:59:58Z"},
		{"01/01/2018 12:00:09 AM", "2018-01-01T08:00:09Z"},
		{"1/1/20 0:05", "2020-01-01T08:05:00Z"},
		{"7/4/20 13:30", "2020-07-04T20:30:00Z"}, // daylight saving: UTC−7
	} {
		t.Run(c.in, func(t *testing.T) {
			got, ok := importer311.ParseDate(c.in)
			if !ok || got.UTC().Format(time.RFC3339) != c.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %s", c.in, got.UTC(), ok, c.want)
			}
		})
	}
	if _, ok := importer311.ParseDate("yesterday"); ok {
		t.Error("ParseDate accepted yesterday")
	}
}

func TestReadBothSchemas(t *testing.T) {
	for _, c := range []struct {
		name, csv string
		rows      int
		skipped   map[string]int
	}{
		{"2018", `SRNumber,CreatedDate,UpdatedDate,ActionTaken,Owner,RequestType,Status,RequestSource,MobileOS,Anonymous,AssignTo,ServiceDate,ClosedDate,AddressVerified,ApproximateAddress,Address,HouseNumber,Direction,StreetName,Suffix,ZipCode,Latitude,Longitude,Location,TBMPage,TBMColumn,TBMRow,APC,CD,CDMember,NC,NCName,PolicePrecinct
1-1,01/01/2018 12:00:09 AM,01/06/2018 10:18:29 AM,SR Created,BOS,Bulky Items,Closed,Mobile App,Android,Y,NC,01/06/2018 12:00:00 AM,01/06/2018 10:18:29 AM,Y,,"356 S BERENDO ST, 90020",356,S,BERENDO,ST,90020,34.0676390557,-118.294017712,POINT (-118.294017712 34.0676390557),634,A,2,Central APC,10,X,55,WILSHIRE NC,OLYMPIC
1-2,01/01/2018 12:00:09 AM,,SR Created,BOS,Feedback,Open,Call,,Y,NC,,,Y,,"addr",,,,,,,,,,,,,,,,,
`, 1, map[string]int{importer311.SkipNoCoords: 1}},
		{"2020", `srnumber,requesttype,status,actiontaken,createddate,updateddate,servicedate,closeddate,requestsource,owner,createdbyuserorganization,mobileos,anonymous,assignto,latitude,longitude,address,zipcode,apc,cd,cdmember,nc,ncname,policeprecinct
1-3,Graffiti Removal,Cancelled,SR Created,1/1/20 0:05,1/2/20 8:43,1/2/20 0:00,1/2/20 8:43,Call,BOS,BOS,,N,WV,34.19402846,-118.4994716,"16815 W VANOWEN ST, 91406",91406,South Valley APC,6,N,19,LAKE BALBOA NC,WEST VALLEY
1-4,Other,Strange,SR Created,1/1/20 0:05,,,,Call,BOS,BOS,,N,WV,34.1,-118.4,"x",91406,,,,,,
`, 1, map[string]int{importer311.SkipStatus: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := importer311.Read(strings.NewReader(c.csv))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != c.rows {
				t.Fatalf("rows = %d, want %d (%+v)", len(got.Rows), c.rows, got)
			}
			for reason, n := range c.skipped {
				if r := (importer.Result{Skipped: got.Skipped}); r.SkippedFor(reason) != n {
					t.Errorf("skipped for %q = %d, want %d", reason, r.SkippedFor(reason), n)
				}
			}
		})
	}
	if _, err := importer311.Read(strings.NewReader("a,b,c\n1,2,3\n")); err == nil {
		t.Error("a CSV without the 311 columns was accepted")
	}
}

// LAFiles are the three real extracts.
var LAFiles = []string{"la311-2017-12-27_31.csv", "la311-2018-01-01_04.csv", "la311-2020-01-01_03.csv"}

// TestImportLA imports the three real files with the 99 Neighborhood Councils as units and checks counts,
// routing against an independent point-in-polygon count, idempotence and the imported history.
func TestImportLA(t *testing.T) {
	ncPath := sharedData(t, "boundaries/la-neighborhood-councils-2019.geojson")
	dir := sharedData(t, "civic311")
	st, _ := testdb.New(t)
	ctx := t.Context()
	svc := service.New(st, nil, nil)
	units, err := importer311.UnitsFromZones(ctx, svc, ncPath, store.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 99 {
		t.Fatalf("%d units from the councils, want 99", len(units))
	}
	wantRows := map[string]int{"la311-2017-12-27_31.csv": 8246, "la311-2018-01-01_04.csv": 8898, "la311-2020-01-01_03.csv": 9989}
	total := 0
	for _, f := range LAFiles {
		start := time.Now()
		res, err := importer311.Import(ctx, st, filepath.Join(dir, f), importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		k := res.Kind("report")
		t.Logf("%s: %+v skipped %+v in %s", f, k, res.Skipped, time.Since(start))
		if k.Total() != wantRows[f] {
			t.Errorf("%s: %d reports, the README counts %d rows with coordinates", f, k.Total(), wantRows[f])
		}
		total += k.Inserted
	}
	n, err := st.CountReportsBySource(ctx, importer311.Source)
	if err != nil {
		t.Fatal(err)
	}
	if int(n) != total {
		t.Errorf("%d reports stored, %d inserted", n, total)
	}
	// Routing: every report inside exactly the zone the oracle finds (lowest zone id among those covering it).
	var mismatched, routed int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE r.unit_id IS DISTINCT FROM (
			SELECT z.unit_id FROM zones z WHERE ST_Intersects(z.geom, r.geom) ORDER BY z.id LIMIT 1)),
			count(r.unit_id) FROM reports r`).Scan(&mismatched, &routed); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d reports routed to another unit than the zone containing them", mismatched)
	}
	// The README's ray-casting cross-check found 8,136 + 8,764 + 9,850 points inside a polygon.
	if routed < 26000 || routed > 27000 {
		t.Errorf("%d reports routed to a council, want about 26,750", routed)
	}
	// Again: nothing changes.
	res, err := importer311.Import(ctx, st, filepath.Join(dir, LAFiles[1]), importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if k := res.Kind("report"); k.Inserted != 0 || k.Updated != 0 || k.Unchanged != wantRows[LAFiles[1]] {
		t.Errorf("re-import wrote %+v, want all unchanged", k)
	}
	var badEvents int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM reports r WHERE r.status = 'closed' AND
		(SELECT array_agg(action ORDER BY id) FROM report_events e WHERE e.report_id = r.id) <> '{create,dispatch,verify}'`).Scan(&badEvents); err != nil {
		t.Fatal(err)
	}
	if badEvents != 0 {
		t.Errorf("%d closed reports without the imported history create, dispatch, verify", badEvents)
	}
}
