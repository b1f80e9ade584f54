// Package importer loads real networks — OpenStreetMap extracts and GeoJSON files — into everymeter's
// assets, idempotently, in resumable batches, reporting what it skipped and why.
//
// # OpenStreetMap rule
//
// Ways tagged highway=* become linear assets:
//   - road: motorway, trunk, primary, secondary, tertiary and their _link roads, residential,
//     unclassified, living_street, pedestrian and road (the streets inspectors walk and score);
//   - alley (背街小巷): highway=service (except service=parking_aisle and service=drive-through, which lie
//     inside a car park or a drive-through whose owner already answers for it), highway=alley where a
//     mapper used it, and footway, path and steps that are named or lit (lit=yes), except
//     footway=sidewalk and footway=crossing.
//
// "Named or lit" is the built-up-area rule. Testing each footpath against landuse polygons would be
// more exact but needs polygons most extracts lack (the Beijing export has none); a name or a street
// lamp is what a walkway in town has and a hiking path in the hills has not, so Liechtenstein's
// mountain paths stay out while Monaco's named stairways come in. Sidewalks and crossings are part of
// the road they run beside and belong to that road's owner, so importing them would count the same
// meters twice.
//
// Skipped on purpose, each with its reason in the result: highways tagged area=yes (squares are
// areas, not lines), construction and proposed (not streets yet), raceway, bridleway, cycleway and
// track (not streets the county cleans: field and forest tracks, bike paths), every other highway
// value (bus stops, rest areas, platforms …), ways with nodes missing from the extract and ways with
// fewer than two distinct nodes.
//
// amenity=marketplace becomes a market and leisure=park a park: closed ways and type=multipolygon
// relations become polygons (outer and inner member ways joined into rings; a relation whose member
// ways are not all in the extract is skipped, as is one whose rings do not close). A marketplace
// mapped as a node becomes a small area: a 32-sided polygon of 20 m radius around the node, because
// coverage of markets is a share of area and a point has none.
//
// Every asset keeps its OSM identity (source "osm", source_id "way/123", "node/1" or "relation/5"),
// its name (name, or name:zh when name is missing) and attributes osm_id, highway (or amenity,
// leisure), name:zh / name:en when present and attribution "© OpenStreetMap contributors".
// Every geometry passes geo.ValidateGeometry; invalid ones (a self-crossing park ring) are skipped.
//
// # Writing
//
// Assets are written in batches of BatchSize, each batch one transaction that upserts by
// (source, source_id), refreshes the coverage of the assets it changed and writes one audit entry.
// An interrupted import leaves whole batches; running it again finishes the job, and running it on
// unchanged data writes nothing.
package importer

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/schollz/progressbar/v3"

	"everymeter/change"
	"everymeter/service"
	"everymeter/store"
)

// Attribution is the credit OpenStreetMap's licence requires wherever imported OSM data is shown.
const Attribution = "© OpenStreetMap contributors"

// DefaultBatchSize is how many assets one transaction writes when Options.BatchSize is zero.
const DefaultBatchSize = 500

// maxExamples is how many example ids a skip reason keeps.
const maxExamples = 5

// Options tune an import.
type Options struct {
	Progress  io.Writer   // where progress bars go (the CLI passes stderr); nil shows none
	BatchSize int         // assets per transaction; 0 means DefaultBatchSize
	Actor     store.Actor // who the audit log names; the zero value is recorded as "import"
}

// KindCount says how many assets of one kind an import wrote.
type KindCount struct {
	Kind      string `json:"kind"`
	Inserted  int    `json:"inserted"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
}

// Total is every asset of the kind the file holds, whether written or already current.
func (k KindCount) Total() int { return k.Inserted + k.Updated + k.Unchanged }

// Skip counts the objects left out for one reason, with a few example ids.
type Skip struct {
	Reason   string   `json:"reason"`
	Count    int      `json:"count"`
	Examples []string `json:"examples"`
}

// Result reports what an import did.
type Result struct {
	Source  string      `json:"source"`  // the assets' source column: "osm" or "geojson:<file>"
	File    string      `json:"file"`    // the file's base name
	Kinds   []KindCount `json:"kinds"`   // sorted by kind
	Skipped []Skip      `json:"skipped"` // most frequent first
	// BaseFeatures counts the file's base-map features by layer (OSM: buildings, water, land use, places);
	// BaseWritten is how many of them were written now (0 on a re-import of the same file).
	BaseFeatures map[string]int `json:"base_features,omitempty"`
	BaseWritten  int64          `json:"base_written"`
	Duration     time.Duration  `json:"duration"`
}

// Kind returns the counts for one kind (zero if the import wrote none).
func (r Result) Kind(kind string) KindCount {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return KindCount{Kind: kind}
}

// SkippedFor returns how many objects were skipped for a reason.
func (r Result) SkippedFor(reason string) int {
	for _, s := range r.Skipped {
		if s.Reason == reason {
			return s.Count
		}
	}
	return 0
}

// skips collects skip reasons while reading.
type skips map[string]*Skip

func (s skips) add(reason, example string) {
	k := s[reason]
	if k == nil {
		k = &Skip{Reason: reason}
		s[reason] = k
	}
	k.Count++
	if len(k.Examples) < maxExamples {
		k.Examples = append(k.Examples, example)
	}
}

func (s skips) sorted() []Skip {
	out := make([]Skip, 0, len(s))
	for _, k := range s {
		out = append(out, *k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// write upserts the assets in batches, one transaction each, and fills res.Kinds. On error (or a
// cancelled ctx) the batches already committed stay; res still counts them.
func write(ctx context.Context, svc *service.Service, assets []store.Asset, opt Options, res *Result) error {
	size := opt.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	actor := opt.Actor
	if actor.Name == "" {
		actor.Name = "import"
	}
	kinds := map[string]*KindCount{}
	kindOf := map[string]string{}
	for _, a := range assets {
		kindOf[a.SourceID] = a.Kind
		if kinds[a.Kind] == nil {
			kinds[a.Kind] = &KindCount{Kind: a.Kind}
		}
	}
	defer func() {
		res.Kinds = res.Kinds[:0]
		for _, k := range kinds {
			res.Kinds = append(res.Kinds, *k)
		}
		sort.Slice(res.Kinds, func(i, j int) bool { return res.Kinds[i].Kind < res.Kinds[j].Kind })
	}()

	var bar *progressbar.ProgressBar
	if opt.Progress != nil {
		bar = progressbar.NewOptions(len(assets), progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("writing assets"), progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		defer bar.Finish() //nolint:errcheck // progress output only
	}
	for start := 0; start < len(assets); start += size {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := assets[start:min(start+size, len(assets))]
		var changed []store.UpsertResult
		err := svc.Store.WithTx(ctx, func(tx *store.Store) error {
			var err error
			changed, err = tx.UpsertAssetsBySource(ctx, batch)
			if err != nil {
				return err
			}
			geomOf := make(map[string]orb.Geometry, len(batch))
			for _, a := range batch {
				geomOf[a.SourceID] = a.Geom
			}
			ids := make([]int64, len(changed))
			ins := 0
			for i, c := range changed {
				ids[i] = c.ID
				if c.Inserted {
					ins++
				}
				var before orb.Geometry
				if c.Before != nil {
					before = *c.Before
				}
				tx.Changed(change.Asset, c.ID, before, geomOf[c.SourceID])
			}
			if len(ids) == 0 {
				return nil // nothing changed: no coverage to refresh, nothing to audit
			}
			if err := svc.Coverage.RefreshAssets(ctx, tx, ids); err != nil {
				return fmt.Errorf("refresh coverage: %w", err)
			}
			return tx.Audit(ctx, actor, "import", "asset", res.Source, nil, map[string]any{
				"source": res.Source, "file": res.File, "first": batch[0].SourceID, "last": batch[len(batch)-1].SourceID,
				"assets": len(batch), "inserted": ins, "updated": len(changed) - ins, "ids": ids,
			})
		})
		if err != nil {
			return fmt.Errorf("import batch %d–%d of %s: %w", start+1, start+len(batch), res.Source, err)
		}
		touched := make(map[string]bool, len(changed))
		for _, c := range changed {
			touched[c.SourceID] = true
			if c.Inserted {
				kinds[kindOf[c.SourceID]].Inserted++
			} else {
				kinds[kindOf[c.SourceID]].Updated++
			}
		}
		for _, a := range batch {
			if !touched[a.SourceID] {
				kinds[a.Kind].Unchanged++
			}
		}
		if bar != nil {
			bar.Add(len(batch)) //nolint:errcheck // progress output only
		}
	}
	return nil
}
