// Package importer311 loads real Los Angeles MyLA311 service requests (the CSV extracts in
// ../shared/data/civic311) as everymeter reports, and the city's Neighborhood Council polygons as units with
// one lead zone each, so that statistics and heat maps can be exercised on real places and real timing.
//
// # Files
//
// Two schemas are read, told apart by their header (column names are matched case-insensitively):
//   - 2017 and 2018 extracts, 33 columns (SRNumber, CreatedDate, … Latitude, Longitude …), dates like
//     "12/31/2017 11:59:58 PM";
//   - the 2020 extract, 24 lower-case columns (srnumber, requesttype, … latitude, longitude …), dates like
//     "1/1/20 0:05".
//
// Times are Los Angeles wall-clock times (America/Los_Angeles, with its daylight-saving rules) and are stored as
// instants. Rows without coordinates (address-only reports) are skipped and counted, as are rows whose SRNumber
// or CreatedDate is missing or unreadable.
//
// # Mapping
//
// RequestType → category (RequestTypes lists the table). Status: Closed → closed (closed_at = resolved_at =
// ClosedDate), Cancelled → voided, Open / Pending / Referred Out → dispatched. Every report keeps CreatedDate as
// created_at and is dispatched at that instant (dispatched_at = created_at, deadline = created_at + the category's
// normal time limit), to the unit of the lead zone covering its point; with no such zone a dispatched report
// stays in the queue (status reported) and a finished one keeps no unit. Identity is (source 'import311',
// source_id = SRNumber), so importing a file again changes nothing, and a newer extract updates statuses.
//
// # History
//
// New reports get report_events for their imported history — create, dispatch, then verify (closed) or void —
// so the history view shows where they came from. Statistics (service/stats.go) are computed from the report
// columns, not from events, so they hold for reports from any source.
package importer311

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the Los Angeles zone, also in CGO_ENABLED=0 builds on hosts without zoneinfo

	"github.com/paulmach/orb"
	"github.com/schollz/progressbar/v3"

	"everymeter/change"
	"everymeter/importer"
	"everymeter/store"
	"everymeter/vocab"
)

// Source is the reports' source column for LA 311 imports.
const Source = "import311"

// CatchAll is the category of request types the table does not name (seeded by migration 00006).
const CatchAll = "QT-01"

// RequestTypes maps LA RequestType values to everymeter category codes (DOMAIN.md §3):
//
//	Graffiti Removal                          → SRHJ-05 乱涂写/乱张贴
//	Illegal Dumping Pickup                    → SRHJ-01 暴露垃圾/卫生死角
//	Bulky Items, Metal/Household Appliances,
//	Electronic Waste                          → SRHJ-03 乱堆物堆料 (items left on the street for pickup)
//	Dead Animal Removal                       → SRHJ-02 道路不洁
//	Homeless Encampment                       → JMZX-01 占道经营/流动摊贩 (街面秩序: occupation of the footway)
//	Single / Multiple Streetlight Issue       → BJ-02 路灯不亮 (部件)
//	Report Water Waste, Feedback, Other, any
//	other type                                → QT-01 其他 (CatchAll)
var RequestTypes = map[string]string{
	"graffiti removal":           "SRHJ-05",
	"illegal dumping pickup":     "SRHJ-01",
	"bulky items":                "SRHJ-03",
	"metal/household appliances": "SRHJ-03",
	"electronic waste":           "SRHJ-03",
	"dead animal removal":        "SRHJ-02",
	"homeless encampment":        "JMZX-01",
	"single streetlight issue":   "BJ-02",
	"multiple streetlight issue": "BJ-02",
}

// Category returns the category code for an LA RequestType.
func Category(requestType string) string {
	if c, ok := RequestTypes[strings.ToLower(strings.TrimSpace(requestType))]; ok {
		return c
	}
	return CatchAll
}

// Status maps an LA status to ours; ok is false for a status we do not know.
func Status(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "closed":
		return string(vocab.Closed), true
	case "cancelled", "canceled":
		return string(vocab.Voided), true
	case "open", "pending", "referred out":
		return string(vocab.Dispatched), true
	}
	return "", false
}

// Skip reasons.
const (
	SkipNoCoords  = "no coordinates (address-only report)"
	SkipBadCoords = "coordinates out of range"
	SkipNoID      = "no SRNumber"
	SkipBadDate   = "CreatedDate missing or unreadable"
	SkipStatus    = "unknown status"
)

var la = mustZone("America/Los_Angeles")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC // unreachable: time/tzdata is linked in
	}
	return loc
}

// dateLayouts are the two date formats of the extracts.
var dateLayouts = []string{"01/02/2006 03:04:05 PM", "1/2/06 15:04", "1/2/2006 15:04", "01/02/2006 15:04:05"}

// ParseDate reads an LA 311 date as Los Angeles time; the zero time and false for an empty or unreadable one.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, la); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Rows holds what Read made of a file.
type Rows struct {
	Rows    []store.Import311Row
	Skipped []importer.Skip
	Total   int // data rows in the file
}

// Read parses one LA 311 CSV file of either schema.
func Read(r io.Reader) (Rows, error) {
	var out Rows
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return out, fmt.Errorf("importer311: read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"srnumber", "createddate", "requesttype", "status", "latitude", "longitude"} {
		if _, ok := col[need]; !ok {
			return out, fmt.Errorf("importer311: column %q missing: not an LA 311 extract (header %s)", need, strings.Join(head, ","))
		}
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		// PostgreSQL text holds neither NUL bytes nor invalid UTF-8: clean them here so one bad row
		// cannot fail a whole batch.
		return strings.TrimSpace(strings.ReplaceAll(strings.ToValidUTF8(rec[i], "\uFFFD"), "\x00", ""))
	}
	skips := map[string]*importer.Skip{}
	skip := func(reason, example string) {
		k := skips[reason]
		if k == nil {
			k = &importer.Skip{Reason: reason}
			skips[reason] = k
		}
		k.Count++
		if len(k.Examples) < 5 {
			k.Examples = append(k.Examples, example)
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("importer311: %w", err)
		}
		out.Total++
		id := get(rec, "srnumber")
		if id == "" {
			skip(SkipNoID, fmt.Sprintf("row %d", out.Total+1))
			continue
		}
		latS, lonS := get(rec, "latitude"), get(rec, "longitude")
		if latS == "" || lonS == "" {
			skip(SkipNoCoords, id)
			continue
		}
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 || (lat == 0 && lon == 0) {
			skip(SkipBadCoords, id)
			continue
		}
		created, ok := ParseDate(get(rec, "createddate"))
		if !ok {
			skip(SkipBadDate, id)
			continue
		}
		status, ok := Status(get(rec, "status"))
		if !ok {
			skip(SkipStatus, id+" "+get(rec, "status"))
			continue
		}
		updated, ok := ParseDate(get(rec, "updateddate"))
		if !ok || updated.Before(created) {
			updated = created
		}
		row := store.Import311Row{SourceID: id, Category: Category(get(rec, "requesttype")), Status: status,
			Lon: lon, Lat: lat, Address: get(rec, "address"), CreatedAt: created, UpdatedAt: updated}
		row.Description = "LA 311: " + get(rec, "requesttype")
		if a := get(rec, "actiontaken"); a != "" {
			row.Description += " (" + a + ")"
		}
		if c, ok := ParseDate(get(rec, "closeddate")); ok && status == string(vocab.Closed) {
			if c.Before(created) {
				c = created // a few rows close before they open; keep the durations non-negative
			}
			row.ClosedAt = &c
			if updated.Before(c) {
				row.UpdatedAt = c
			}
		} else if status == string(vocab.Closed) {
			row.ClosedAt = &updated
		}
		out.Rows = append(out.Rows, row)
	}
	for _, k := range skips {
		out.Skipped = append(out.Skipped, *k)
	}
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Count > out.Skipped[j].Count })
	return out, nil
}

// DefaultBatchSize is how many reports one transaction writes.
const DefaultBatchSize = 5000

// Import reads an LA 311 CSV file and writes its reports in batches (one transaction each), with a progress
// bar on opt.Progress. An interrupted import keeps whole batches; running it again finishes the job.
func Import(ctx context.Context, st *store.Store, path string, opt importer.Options) (res importer.Result, err error) {
	start := time.Now()
	res = importer.Result{Source: Source, File: filepath.Base(path)}
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	rows, err := Read(f)
	if err != nil {
		return res, err
	}
	res.Skipped = rows.Skipped
	size := opt.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(len(rows.Rows), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("writing reports"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		defer bar.Finish() //nolint:errcheck // progress output only
	}
	k := importer.KindCount{Kind: "report"}
	defer func() {
		res.Kinds = []importer.KindCount{k}
		res.Duration = time.Since(start)
	}()
	for i := 0; i < len(rows.Rows); i += size {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch := rows.Rows[i:min(i+size, len(rows.Rows))]
		var c store.Import311Counts
		err := st.WithTx(ctx, func(tx *store.Store) error {
			var err error
			if c, err = tx.Import311(ctx, batch); err != nil {
				return err
			}
			// The batch's reports, by where they are (the statement does not return their ids).
			var pts orb.MultiPoint
			for _, r := range batch {
				pts = append(pts, orb.Point{r.Lon, r.Lat})
			}
			tx.Changed(change.Report, 0, pts.Bound())
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("%s rows %d–%d: %w", res.File, i+1, i+len(batch), err)
		}
		k.Inserted += c.Inserted
		k.Updated += c.Updated
		k.Unchanged += c.Unchanged
		if bar != nil {
			_ = bar.Add(len(batch))
		}
	}
	return res, nil
}
