package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/geo"
	"everymeter/store"
)

// PlaceImport is the units and zones read from one county file, ready to write (package importer reads them).
type PlaceImport struct {
	Source string // "file:<base name>": with each zone's SourceID, what finds the zone again on a re-import
	File   string
	Kind   string // zone or unit
	Units  []ImportedUnit
	Zones  []ImportedZone
}

// ImportedUnit is one unit of a file, matched to the database by its code.
type ImportedUnit struct {
	Feature string // the feature's label for messages: "feature 3 (城关社区)"
	Unit    store.Unit
}

// ImportedZone is one zone of a file; its unit is named by code and found (or made by the same import) on writing.
type ImportedZone struct {
	Feature  string
	SourceID string
	UnitCode string
	Zone     store.Zone // UnitID is filled in from UnitCode
}

// ImportPlaces writes a file's units and zones in one transaction: units are inserted or updated by code, zones
// by (source, feature id); rows that already hold what the file says are left untouched, so importing the same file
// again writes nothing, publishes nothing and audits nothing. Every zone is validated like CreateZone's; any
// problem refuses the whole file with the features named, and nothing is written. The coverage of every asset
// under a new or changed zone (old and new shape) is recomputed before commit. step, when set, is called after
// each row.
func (s *Service) ImportPlaces(ctx context.Context, actor store.Actor, imp PlaceImport, step func()) (domain.ImportApplied, error) {
	out := domain.ImportApplied{Kind: imp.Kind, File: imp.File, Source: imp.Source}
	var c checker
	for _, u := range imp.Units {
		if err := s.checkUnit(ctx, u.Unit); err != nil {
			prefixed(&c, u.Feature, err)
		}
	}
	if err := c.err(); err != nil {
		return out, err
	}
	if step == nil {
		step = func() {}
	}
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		out.Units, out.Zones = domain.ImportCount{}, domain.ImportCount{}
		var unitIDs, zoneIDs []int64
		for _, iu := range imp.Units {
			if err := ctx.Err(); err != nil {
				return err
			}
			id, n, err := upsertUnit(ctx, tx, actor, iu.Unit)
			if err != nil {
				return fmt.Errorf("%s: %w", iu.Feature, err)
			}
			count(&out.Units, n)
			if n != unchanged {
				unitIDs = append(unitIDs, id)
			}
			step()
		}
		unitOf := map[string]int64{}
		var touched []orb.Geometry
		for _, iz := range imp.Zones {
			if err := ctx.Err(); err != nil {
				return err
			}
			z := iz.Zone
			id, ok := unitOf[iz.UnitCode]
			if !ok {
				u, err := tx.UnitByCode(ctx, iz.UnitCode)
				if errors.Is(err, store.ErrNotFound) {
					c.add(iz.Feature, "no unit with code %q", iz.UnitCode)
					continue
				} else if err != nil {
					return err
				}
				id, unitOf[iz.UnitCode] = u.ID, u.ID
			}
			z.UnitID = id
			if err := s.checkZone(ctx, tx, z); err != nil {
				prefixed(&c, iz.Feature, err)
				continue
			}
			if len(c.errs) > 0 {
				continue // refused already: only look for more problems
			}
			zid, n, geoms, err := upsertZone(ctx, tx, actor, imp.Source, iz.SourceID, z)
			if err != nil {
				return fmt.Errorf("%s: %w", iz.Feature, err)
			}
			count(&out.Zones, n)
			if n != unchanged {
				zoneIDs = append(zoneIDs, zid)
				touched = append(touched, geoms...)
			}
			step()
		}
		if err := c.err(); err != nil {
			return err
		}
		if len(unitIDs)+len(zoneIDs) == 0 {
			return nil
		}
		if len(touched) > 0 {
			if err := s.Coverage.RefreshTouching(ctx, tx, touched...); err != nil {
				return fmt.Errorf("refresh coverage: %w", err)
			}
		}
		return tx.Audit(ctx, actor, "import", imp.Kind, imp.Source, nil, map[string]any{
			"source": imp.Source, "file": imp.File, "units": out.Units, "zones": out.Zones, "unit_ids": unitIDs, "zone_ids": zoneIDs})
	})
	return out, err
}

// what one upsert did
type outcome int

const (
	unchanged outcome = iota
	inserted
	updated
)

func count(c *domain.ImportCount, n outcome) {
	switch n {
	case inserted:
		c.Inserted++
	case updated:
		c.Updated++
	default:
		c.Unchanged++
	}
}

// prefixed adds err's field errors to c under the feature's label (the field inside the feature after it).
func prefixed(c *checker, feature string, err error) {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		c.add(feature, "%v", err)
		return
	}
	for _, fe := range ve.Errors {
		field := feature
		if fe.Field != "" {
			field += ": " + fe.Field
		}
		c.errs = append(c.errs, &geo.FieldError{Field: field, Detail: fe.Detail, Format: fe.Format, Args: fe.Args})
	}
}

// upsertUnit inserts u or updates the unit with its code when the file says something else of it (its parent is
// kept: a file does not say it).
func upsertUnit(ctx context.Context, tx *store.Store, actor store.Actor, u store.Unit) (int64, outcome, error) {
	before, err := tx.UnitByCode(ctx, u.Code)
	if errors.Is(err, store.ErrNotFound) {
		out, err := tx.CreateUnit(ctx, u)
		if err != nil {
			return 0, 0, err
		}
		tx.Changed(change.Unit, out.ID)
		return out.ID, inserted, tx.Audit(ctx, actor, "create", "unit", out.ID, nil, out)
	} else if err != nil {
		return 0, 0, err
	}
	if before.Name == u.Name && before.Kind == u.Kind && before.ContactPerson == u.ContactPerson && before.Phone == u.Phone {
		return before.ID, unchanged, nil
	}
	u.ID, u.ParentID = before.ID, before.ParentID
	out, err := tx.UpdateUnit(ctx, u)
	if err != nil {
		return 0, 0, err
	}
	tx.Changed(change.Unit, out.ID)
	return out.ID, updated, tx.Audit(ctx, actor, "update", "unit", out.ID, before, out)
}

// upsertZone inserts z as feature sourceID of source, or updates the zone made from it before when it differs;
// it returns the shapes whose assets need their coverage recomputed.
func upsertZone(ctx context.Context, tx *store.Store, actor store.Actor, source, sourceID string, z store.Zone) (int64, outcome, []orb.Geometry, error) {
	before, err := tx.ZoneBySource(ctx, source, sourceID)
	if errors.Is(err, store.ErrNotFound) {
		out, err := tx.CreateZone(ctx, z)
		if err != nil {
			return 0, 0, nil, err
		}
		if err := tx.SetZoneSource(ctx, out.ID, source, sourceID); err != nil {
			return 0, 0, nil, err
		}
		tx.Changed(change.Zone, out.ID, out.Geom)
		return out.ID, inserted, []orb.Geometry{out.Geom}, tx.Audit(ctx, actor, "create", "zone", out.ID, nil, zoneAudit(out))
	} else if err != nil {
		return 0, 0, nil, err
	}
	z.ID, z.ValidFrom, z.ValidTo = before.ID, before.ValidFrom, before.ValidTo
	if before.Name == z.Name && before.UnitID == z.UnitID && before.Role == z.Role && before.Kind == z.Kind {
		same, err := tx.SameZoneGeom(ctx, before.ID, z.Geom)
		if err != nil {
			return 0, 0, nil, err
		}
		if same {
			return before.ID, unchanged, nil, nil
		}
	}
	out, err := tx.UpdateZone(ctx, z)
	if err != nil {
		return 0, 0, nil, err
	}
	tx.Changed(change.Zone, out.ID, before.Geom, out.Geom)
	return out.ID, updated, []orb.Geometry{before.Geom, out.Geom}, tx.Audit(ctx, actor, "update", "zone", out.ID, zoneAudit(before), zoneAudit(out))
}
