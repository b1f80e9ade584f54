package importer311

import (
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRead feeds arbitrary CSV to the LA 311 reader: it never panics, and every row it keeps has an id, a
// known category and status, a finite WGS84 point and a creation time.
func FuzzRead(f *testing.F) {
	f.Add("SRNumber,CreatedDate,UpdatedDate,RequestType,Status,Latitude,Longitude,Address\n1-1,12/31/2017 11:59:58 PM,01/01/2018 01:00:00 AM,Graffiti Removal,Closed,34.07,-118.26,\"1 MAIN ST\"\n")
	f.Add("srnumber,requesttype,status,createddate,latitude,longitude\n1-2,Bulky Items,Open,1/1/20 0:05,34.1,-118.2\n1-3,Other,Cancelled,13/45/20 99:99,NaN,Inf\n")
	f.Add("srnumber,createddate,requesttype,status,latitude,longitude\n\"unterminated,1,2\n")
	f.Add("\ufeffSRNumber,CreatedDate,RequestType,Status,Latitude,Longitude\n,,,,,\nx,1/1/20 0:05,Feedback,Pending,0,0\n")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := Read(strings.NewReader(data))
		if err != nil {
			return
		}
		for _, r := range rows.Rows {
			if r.SourceID == "" || r.Category == "" || r.Status == "" || r.CreatedAt.IsZero() {
				t.Fatalf("kept an incomplete row %+v from %q", r, data)
			}
			if math.IsNaN(r.Lon) || math.IsNaN(r.Lat) || math.Abs(r.Lon) > 180 || math.Abs(r.Lat) > 90 {
				t.Fatalf("kept an impossible point %v,%v from %q", r.Lon, r.Lat, data)
			}
			if !utf8.ValidString(r.SourceID) || strings.ContainsRune(r.Address+r.Description+r.SourceID, 0) {
				t.Fatalf("kept text PostgreSQL cannot store: %+v", r)
			}
		}
	})
}
