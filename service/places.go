package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"everymeter/change"
	"everymeter/geo"
	"everymeter/store"
	"everymeter/vocab"
)

// AssetKinds maps each asset kind (vocab.AssetKinds) to the geometry class its vocab.Shape asks for. Linear kinds
// take part in meter coverage; areal kinds in area coverage.
var AssetKinds = func() map[string]geo.Class {
	m := make(map[string]geo.Class, len(vocab.AssetKinds))
	for _, k := range vocab.AssetKinds {
		m[string(k)] = geo.Lineal
		if sh, _ := k.Shape(); sh == vocab.Areal {
			m[string(k)] = geo.Polygonal
		}
	}
	return m
}()

// LinearKinds lists the kinds measured in meters, in display order (vocab.LinearKinds).
var LinearKinds = vocab.Strings(vocab.LinearKinds)

// UnitKinds are the kinds of responsible unit (vocab.UnitKinds).
var UnitKinds = vocab.Strings(vocab.UnitKinds)

// ZoneRoles are the roles a zone or assignment gives its unit (vocab.ZoneRoles); only lead counts for ownership.
var ZoneRoles = vocab.Strings(vocab.ZoneRoles)

func kindNames() string {
	ks := make([]string, 0, len(AssetKinds))
	for k := range AssetKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// ---- units

func (s *Service) checkUnit(ctx context.Context, u store.Unit) error {
	var c checker
	c.check(u.Code != "" && len(u.Code) <= 64 && validCode(u.Code), "code", "code must be 1–64 letters, digits, '_', '.' or '-'")
	c.check(strings.TrimSpace(u.Name) != "" && utf8.RuneCountInString(u.Name) <= 200, "name", "name must be 1–200 characters")
	c.check(contains(UnitKinds, u.Kind), "kind", "kind must be one of %s", strings.Join(UnitKinds, ", "))
	c.check(utf8.RuneCountInString(u.ContactPerson) <= 100, "contact_person", "at most 100 characters")
	c.check(utf8.RuneCountInString(u.Phone) <= 40, "phone", "at most 40 characters")
	if u.ParentID != nil {
		if u.ID != 0 && *u.ParentID == u.ID {
			c.add("parent_id", "a unit cannot be its own parent")
		} else if _, err := s.Store.Unit(ctx, *u.ParentID); errors.Is(err, store.ErrNotFound) {
			c.add("parent_id", "no unit with id %d", *u.ParentID)
		} else if err != nil {
			return err
		} else if u.ID != 0 {
			if cyc, err := s.Store.UnitParentCycle(ctx, u.ID, *u.ParentID); err != nil {
				return err
			} else if cyc {
				c.add("parent_id", "this parent would make the unit its own ancestor")
			}
		}
	}
	return c.err()
}

func validCode(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.-", r)) {
			return false
		}
	}
	return true
}

// CreateUnit validates and inserts a unit.
func (s *Service) CreateUnit(ctx context.Context, actor store.Actor, u store.Unit) (store.Unit, error) {
	if err := s.checkUnit(ctx, u); err != nil {
		return u, err
	}
	var out store.Unit
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.CreateUnit(ctx, u); err != nil {
			return err
		}
		tx.Changed(change.Unit, out.ID)
		return tx.Audit(ctx, actor, "create", "unit", out.ID, nil, out)
	})
	return out, err
}

// UpdateUnit validates and overwrites a unit.
func (s *Service) UpdateUnit(ctx context.Context, actor store.Actor, u store.Unit) (store.Unit, error) {
	if err := s.checkUnit(ctx, u); err != nil {
		return u, err
	}
	var out store.Unit
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.Unit(ctx, u.ID)
		if err != nil {
			return err
		}
		if out, err = tx.UpdateUnit(ctx, u); err != nil {
			return err
		}
		tx.Changed(change.Unit, out.ID)
		return tx.Audit(ctx, actor, "update", "unit", out.ID, before, out)
	})
	return out, err
}

// DeleteUnit deletes a unit that nothing refers to any more.
func (s *Service) DeleteUnit(ctx context.Context, actor store.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.DeleteUnit(ctx, id)
		if err != nil {
			return err
		}
		tx.Changed(change.Unit, id)
		return tx.Audit(ctx, actor, "delete", "unit", id, before, nil)
	})
}

// ---- assets

func (s *Service) checkAsset(a store.Asset, prefix string) []*geo.FieldError {
	var c checker
	class, known := AssetKinds[a.Kind]
	c.check(known, prefix+"properties.kind", "kind %q is not one of %s", a.Kind, kindNames())
	c.check(utf8.RuneCountInString(a.Name) <= 200, prefix+"properties.name", "name must be at most 200 characters")
	if a.Geom == nil {
		c.add(prefix+"geometry", "a geometry is required")
	} else if err := geo.ValidateGeometry(a.Geom); err != nil {
		var fe *geo.FieldError
		if errors.As(err, &fe) {
			c.errs = append(c.errs, &geo.FieldError{Field: prefix + "geometry", Detail: fe.Detail, Format: fe.Format, Args: fe.Args})
		} else {
			c.add(prefix+"geometry", "%v", err)
		}
	} else if known && geo.ClassOf(a.Geom) != class {
		c.add(prefix+"geometry", "a %s must be a %s geometry, not %s", a.Kind, class, a.Geom.GeoJSONType())
	}
	return c.errs
}

// CreateAssets validates and inserts assets all-or-nothing, then computes their coverage.
func (s *Service) CreateAssets(ctx context.Context, actor store.Actor, as []store.Asset, bulk bool) ([]store.Asset, error) {
	var c checker
	for i, a := range as {
		prefix := ""
		if bulk {
			prefix = fmt.Sprintf("features[%d].", i)
		}
		c.errs = append(c.errs, s.checkAsset(a, prefix)...)
		if len(c.errs) > 50 {
			break
		}
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	out := make([]store.Asset, 0, len(as))
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		ids := make([]int64, 0, len(as))
		for _, a := range as {
			created, err := tx.CreateAsset(ctx, a)
			if err != nil {
				return err
			}
			out = append(out, created)
			ids = append(ids, created.ID)
			tx.Changed(change.Asset, created.ID, created.Geom)
			if err := tx.Audit(ctx, actor, "create", "asset", created.ID, nil, assetAudit(created)); err != nil {
				return err
			}
		}
		return s.Coverage.RefreshAssets(ctx, tx, ids)
	})
	return out, err
}

// UpdateAsset validates and overwrites an asset; its coverage is recomputed and its assignments must
// still fit its (possibly shorter) length.
func (s *Service) UpdateAsset(ctx context.Context, actor store.Actor, a store.Asset) (store.Asset, error) {
	if errs := s.checkAsset(a, ""); len(errs) > 0 {
		return a, &ValidationError{Errors: errs}
	}
	var out, before store.Asset
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		before, err = tx.AssetForUpdate(ctx, a.ID)
		if err != nil {
			return err
		}
		if out, err = tx.UpdateAsset(ctx, a); err != nil {
			return err
		}
		if AssetKinds[out.Kind] == geo.Lineal {
			asg, err := tx.AssignmentsOf(ctx, out.ID)
			if err != nil {
				return err
			}
			for _, x := range asg {
				if x.ToM > out.LengthM+lengthSlack {
					return invalid("geometry", "the new geometry is %.1f m long but assignment %d runs to %.1f m; shorten or delete it first", out.LengthM, x.ID, x.ToM)
				}
			}
		}
		if err := tx.Audit(ctx, actor, "update", "asset", out.ID, assetAudit(before), assetAudit(out)); err != nil {
			return err
		}
		tx.Changed(change.Asset, out.ID, before.Geom, out.Geom)
		return s.Coverage.RefreshAssets(ctx, tx, []int64{out.ID})
	})
	return out, err
}

// DeleteAsset deletes an asset with its assignments and coverage.
func (s *Service) DeleteAsset(ctx context.Context, actor store.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.DeleteAsset(ctx, id)
		if err != nil {
			return err
		}
		// Its coverage pieces and assignments go with it (ON DELETE CASCADE), within its bound.
		tx.Changed(change.Asset, id, before.Geom)
		tx.Changed(change.Coverage, id, before.Geom)
		return tx.Audit(ctx, actor, "delete", "asset", id, assetAudit(before), nil)
	})
}

// assetAudit is the audit-log form of an asset (geometry as WKT-free GeoJSON is big; keep the bbox).
func assetAudit(a store.Asset) map[string]any {
	b := a.Geom.Bound()
	return map[string]any{"id": a.ID, "kind": a.Kind, "name": a.Name, "length_m": a.LengthM, "area_m": a.AreaM,
		"bbox": []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, "attributes": a.Attributes}
}

// ---- zones

// checkZone validates a zone, reading its unit through db (a transaction that may just have made the unit).
func (s *Service) checkZone(ctx context.Context, db *store.Store, z store.Zone) error {
	var c checker
	c.check(utf8.RuneCountInString(z.Name) <= 200, "properties.name", "name must be at most 200 characters")
	c.check(contains(ZoneRoles, z.Role), "properties.role", "role must be %s", either(ZoneRoles))
	c.check(utf8.RuneCountInString(z.Kind) <= 50, "properties.kind", "kind must be at most 50 characters")
	if z.Geom == nil {
		c.add("geometry", "a geometry is required")
	} else if err := geo.ValidateGeometry(z.Geom); err != nil {
		c.addErr(err)
	} else if geo.ClassOf(z.Geom) != geo.Polygonal {
		c.add("geometry", "a zone must be a Polygon or MultiPolygon, not %s", z.Geom.GeoJSONType())
	}
	if z.ValidFrom != nil && z.ValidTo != nil && !z.ValidTo.After(*z.ValidFrom) {
		c.add("properties.valid_to", "valid_to must be after valid_from")
	}
	if err := checkUnitRef(ctx, db, &c, "properties.unit_id", z.UnitID); err != nil {
		return err
	}
	return c.err()
}

// checkUnitRef checks that unit id exists, reading through db: the caller's transaction when it is in one
// (asking the pool for a second connection while holding one can exhaust it under load and hang every writer).
func checkUnitRef(ctx context.Context, db *store.Store, c *checker, field string, id int64) error {
	if id <= 0 {
		c.add(field, "a unit id is required")
		return nil
	}
	if _, err := db.Unit(ctx, id); errors.Is(err, store.ErrNotFound) {
		c.add(field, "no unit with id %d", id)
	} else if err != nil {
		return err
	}
	return nil
}

func zoneAudit(z store.Zone) map[string]any {
	b := z.Geom.Bound()
	return map[string]any{"id": z.ID, "name": z.Name, "unit_id": z.UnitID, "role": z.Role, "kind": z.Kind,
		"valid_from": z.ValidFrom, "valid_to": z.ValidTo, "bbox": []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}
}

// CreateZone validates and inserts a zone, then recomputes the coverage of the assets it touches.
func (s *Service) CreateZone(ctx context.Context, actor store.Actor, z store.Zone) (store.Zone, error) {
	if err := s.checkZone(ctx, s.Store, z); err != nil {
		return z, err
	}
	var out store.Zone
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, err = tx.CreateZone(ctx, z); err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "create", "zone", out.ID, nil, zoneAudit(out)); err != nil {
			return err
		}
		tx.Changed(change.Zone, out.ID, out.Geom)
		return s.Coverage.RefreshTouching(ctx, tx, out.Geom)
	})
	return out, err
}

// UpdateZone validates and overwrites a zone; assets under its old and new shapes are recomputed.
func (s *Service) UpdateZone(ctx context.Context, actor store.Actor, z store.Zone) (store.Zone, error) {
	if err := s.checkZone(ctx, s.Store, z); err != nil {
		return z, err
	}
	var out, before store.Zone
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		before, err = tx.ZoneForUpdate(ctx, z.ID)
		if err != nil {
			return err
		}
		if out, err = tx.UpdateZone(ctx, z); err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "update", "zone", out.ID, zoneAudit(before), zoneAudit(out)); err != nil {
			return err
		}
		tx.Changed(change.Zone, out.ID, before.Geom, out.Geom)
		return s.Coverage.RefreshTouching(ctx, tx, before.Geom, out.Geom)
	})
	return out, err
}

// DeleteZone deletes a zone and recomputes the assets it touched.
func (s *Service) DeleteZone(ctx context.Context, actor store.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.DeleteZone(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "delete", "zone", id, zoneAudit(before), nil); err != nil {
			return err
		}
		tx.Changed(change.Zone, id, before.Geom)
		return s.Coverage.RefreshTouching(ctx, tx, before.Geom)
	})
}

// ---- assignments

// lengthSlack tolerates rounding when a client sends an asset's full length as to_m.
const lengthSlack = 0.01

func (s *Service) checkAssignment(ctx context.Context, tx *store.Store, a store.Assignment) error {
	var c checker
	asset, err := tx.Asset(ctx, a.AssetID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("asset %d: %w", a.AssetID, store.ErrNotFound)
	} else if err != nil {
		return err
	}
	linear := AssetKinds[asset.Kind] == geo.Lineal
	c.check(contains(ZoneRoles, a.Role), "role", "role must be %s", either(ZoneRoles))
	c.check(a.Side == "" || vocab.Side(a.Side).Valid(), "side", "side must be %s", either(vocab.Strings(vocab.Sides)))
	c.check(!math.IsNaN(a.FromM) && !math.IsInf(a.FromM, 0) && a.FromM >= 0, "from_m", "from_m must be a number ≥ 0")
	c.check(!math.IsNaN(a.ToM) && !math.IsInf(a.ToM, 0), "to_m", "to_m must be a number")
	if a.FromM >= a.ToM {
		c.add("to_m", "to_m (%g) must be greater than from_m (%g)", a.ToM, a.FromM)
	}
	if linear && a.ToM > asset.LengthM+lengthSlack {
		c.add("to_m", "to_m (%g) is beyond the end of %s %q, which is %.2f m long", a.ToM, asset.Kind, asset.Name, asset.LengthM)
	}
	c.check(utf8.RuneCountInString(a.Person) <= 100, "person", "at most 100 characters")
	c.check(utf8.RuneCountInString(a.Phone) <= 40, "phone", "at most 40 characters")
	if a.ValidFrom != nil && a.ValidTo != nil && !a.ValidTo.After(*a.ValidFrom) {
		c.add("valid_to", "valid_to must be after valid_from")
	}
	if err := checkUnitRef(ctx, tx, &c, "unit_id", a.UnitID); err != nil {
		return err
	}
	return c.err()
}

// CreateAssignment validates and inserts an assignment, then recomputes its asset's coverage.
func (s *Service) CreateAssignment(ctx context.Context, actor store.Actor, a store.Assignment) (store.Assignment, error) {
	var out store.Assignment
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		asset, err := tx.AssetForUpdate(ctx, a.AssetID)
		if err != nil {
			return err
		}
		if err := s.checkAssignment(ctx, tx, a); err != nil {
			return err
		}
		if out, err = tx.CreateAssignment(ctx, a); err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "create", "assignment", out.ID, nil, out); err != nil {
			return err
		}
		tx.Changed(change.Assignment, out.ID, asset.Geom)
		return s.Coverage.RefreshAssets(ctx, tx, []int64{out.AssetID})
	})
	return out, err
}

// UpdateAssignment validates and overwrites an assignment (its asset cannot change).
func (s *Service) UpdateAssignment(ctx context.Context, actor store.Actor, a store.Assignment) (store.Assignment, error) {
	var out store.Assignment
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.AssignmentForUpdate(ctx, a.ID)
		if err != nil {
			return err
		}
		a.AssetID = before.AssetID
		asset, err := tx.Asset(ctx, a.AssetID)
		if err != nil {
			return err
		}
		if err := s.checkAssignment(ctx, tx, a); err != nil {
			return err
		}
		if out, err = tx.UpdateAssignment(ctx, a); err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "update", "assignment", out.ID, before, out); err != nil {
			return err
		}
		tx.Changed(change.Assignment, out.ID, asset.Geom)
		return s.Coverage.RefreshAssets(ctx, tx, []int64{out.AssetID})
	})
	return out, err
}

// DeleteAssignment deletes an assignment and recomputes its asset.
func (s *Service) DeleteAssignment(ctx context.Context, actor store.Actor, id int64) error {
	return s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.DeleteAssignment(ctx, id)
		if err != nil {
			return err
		}
		asset, err := tx.Asset(ctx, before.AssetID)
		if err != nil {
			return err
		}
		if err := tx.Audit(ctx, actor, "delete", "assignment", id, before, nil); err != nil {
			return err
		}
		tx.Changed(change.Assignment, id, asset.Geom)
		return s.Coverage.RefreshAssets(ctx, tx, []int64{before.AssetID})
	})
}
