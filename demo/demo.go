// Package demo generates everymeter's demo county seat (县城) — roads split into 路段, back alleys, the
// seed speech's markets, commercial streets, parks and units, grids and 路段分包 assignments with gaps and
// overlaps on purpose, and one user per role — and loads it through the service layer, idempotently.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"

	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Source marks the demo's assets (assets.source); their source_id is stable across runs.
const Source = "demo"

// Result says what Load did.
type Result struct {
	Created      bool // false: the demo town was already there and was left alone
	UnitsCreated int
	Roads        int
	Alleys       int
	Markets      int
	Parks        int
	Zones        int
	Assignments  int
	BaseWritten  int64   // base-map features written now (0 when they were there already)
	RoadM        float64 // meters of road (segments and commercial streets) created now
	AlleyM       float64
	Users        []UserResult
}

// UserResult is one demo account; Password is set only when the account was created now.
type UserResult struct {
	Username, Role, Unit, Password string
	Existed                        bool
}

// Load puts the demo town into the database through the service layer, in one transaction, and writes
// a summary with the new accounts' passwords (shown this once) to out. Running it again changes nothing:
// units are kept by code, the town is skipped when demo assets exist, and existing accounts keep their
// passwords.
func Load(ctx context.Context, svc *service.Service, out io.Writer) (Result, error) {
	town := Generate()
	var res Result
	actor := store.Actor{Name: "demo"}
	err := svc.Store.WithTx(ctx, func(tx *store.Store) error {
		// One transaction: a failed load leaves nothing behind, and what it changed is published once, after
		// the commit (the tx-bound service records into this transaction's unit of work).
		s := service.New(tx, svc.Coverage, svc.Log)
		unitIDs, err := ensureUnits(ctx, s, actor, &res)
		if err != nil {
			return err
		}
		n, err := tx.SourceAssetCount(ctx, Source)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := loadTown(ctx, s, actor, town, unitIDs, &res); err != nil {
				return err
			}
			res.Created = true
		}
		if res.BaseWritten, err = loadBase(ctx, s, actor, town); err != nil {
			return err
		}
		return ensureUsers(ctx, s, &res)
	})
	if err != nil {
		return Result{}, err
	}
	report(out, res)
	return res, nil
}

// ensureUnits creates the units the demo needs that do not exist yet (by code) and returns all their ids.
func ensureUnits(ctx context.Context, s *service.Service, actor store.Actor, res *Result) (map[string]int64, error) {
	// Contacts come from their own stream so that changes to the town never rename a unit's contact.
	rng := mrand.New(mrand.NewPCG(seedHi, 1))
	g := &gen{rng: rng}
	ids := map[string]int64{}
	for _, d := range units {
		person, phone := g.person(), g.landline()
		u, err := s.Store.UnitByCode(ctx, d.code)
		if err == nil {
			ids[d.code] = u.ID
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		u = store.Unit{Code: d.code, Name: d.name, Kind: string(d.kind), ContactPerson: person, Phone: phone}
		if d.parent != "" {
			p := ids[d.parent]
			u.ParentID = &p
		}
		if u, err = s.CreateUnit(ctx, actor, u); err != nil {
			return nil, fmt.Errorf("demo: unit %s: %w", d.code, err)
		}
		ids[d.code] = u.ID
		res.UnitsCreated++
	}
	return ids, nil
}

// loadTown creates every asset in one bulk call, then the zones and assignments.
func loadTown(ctx context.Context, s *service.Service, actor store.Actor, t Town, unitIDs map[string]int64, res *Result) error {
	in := make([]store.Asset, len(t.Assets))
	for i, a := range t.Assets {
		in[i] = store.Asset{Kind: string(a.Kind), Name: a.Name, Geom: a.Geom, Attributes: a.Attributes, Source: Source, SourceID: a.SourceID}
	}
	created, err := s.CreateAssets(ctx, actor, in, true)
	if err != nil {
		return fmt.Errorf("demo: assets: %w", err)
	}
	bySource := make(map[string]store.Asset, len(created))
	for _, a := range created {
		bySource[a.SourceID] = a
		switch a.Kind {
		case string(vocab.Road):
			res.Roads++
			res.RoadM += a.LengthM
		case string(vocab.Alley):
			res.Alleys++
			res.AlleyM += a.LengthM
		case string(vocab.Market):
			res.Markets++
		case string(vocab.Park):
			res.Parks++
		}
	}
	for _, z := range t.Zones {
		if _, err := s.CreateZone(ctx, actor, store.Zone{Name: z.Name, UnitID: unitIDs[z.Unit], Role: string(z.Role), Kind: z.Kind, Geom: z.Geom}); err != nil {
			return fmt.Errorf("demo: zone %s: %w", z.Name, err)
		}
		res.Zones++
	}
	for _, a := range t.Assignments {
		asset, ok := bySource[a.Asset]
		if !ok {
			return fmt.Errorf("demo: assignment on unknown asset %s", a.Asset)
		}
		from, to := a.Range(asset.LengthM)
		_, err := s.CreateAssignment(ctx, actor, store.Assignment{AssetID: asset.ID, UnitID: unitIDs[a.Unit], FromM: from, ToM: to,
			Role: string(a.Role), Person: a.Person, Phone: a.Phone})
		if err != nil {
			return fmt.Errorf("demo: assignment on %s: %w", asset.Name, err)
		}
		res.Assignments++
	}
	return nil
}

// loadBase writes the town's base map; features already there and unchanged are left alone.
func loadBase(ctx context.Context, s *service.Service, actor store.Actor, t Town) (int64, error) {
	fs := make([]store.BaseFeature, len(t.Base))
	for i, f := range t.Base {
		fs[i] = store.BaseFeature{Layer: string(f.Layer), Class: f.Class, Name: f.Name, Geom: f.Geom, Source: Source, SourceID: f.SourceID}
	}
	n, err := s.LoadBaseFeatures(ctx, actor, fs)
	if err != nil {
		return 0, fmt.Errorf("demo: base map: %w", err)
	}
	return n, nil
}

// ensureUsers creates the demo accounts that do not exist yet with fresh random passwords.
func ensureUsers(ctx context.Context, s *service.Service, res *Result) error {
	for _, d := range demoUsers {
		r := UserResult{Username: d.name, Role: string(d.role), Unit: d.unit}
		if _, err := s.Store.UserByName(ctx, d.name); err == nil {
			r.Existed = true
			res.Users = append(res.Users, r)
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r.Password = rand.Text()[:16] // 80 bits from crypto/rand
		if _, err := s.AddUser(ctx, d.name, string(d.role), d.unit, r.Password); err != nil {
			return fmt.Errorf("demo: user %s: %w", d.name, err)
		}
		res.Users = append(res.Users, r)
	}
	return nil
}

func report(out io.Writer, res Result) {
	if out == nil {
		return
	}
	if res.Created {
		fmt.Fprintf(out, "demo town loaded: %d road segments (%.1f km), %d back alleys (%.1f km), %d markets, %d parks, %d zones, %d assignments, %d new units\n",
			res.Roads, res.RoadM/1000, res.Alleys, res.AlleyM/1000, res.Markets, res.Parks, res.Zones, res.Assignments, res.UnitsCreated)
		fmt.Fprintf(out, "  base map: %d features (blocks, buildings, water, green areas, place names)\n", res.BaseWritten)
	} else {
		fmt.Fprintln(out, "demo town already loaded; left unchanged")
		if res.BaseWritten > 0 {
			fmt.Fprintf(out, "  %d base-map features written\n", res.BaseWritten)
		}
		if res.UnitsCreated > 0 {
			fmt.Fprintf(out, "  %d missing demo units created again\n", res.UnitsCreated)
		}
	}
	shown := false
	for _, u := range res.Users {
		unit := ""
		if u.Unit != "" {
			unit = " (unit " + u.Unit + ")"
		}
		if u.Existed {
			fmt.Fprintf(out, "  user %-11s %-10s already exists; password unchanged%s\n", u.Username, u.Role, unit)
			continue
		}
		fmt.Fprintf(out, "  user %-11s %-10s password %s%s\n", u.Username, u.Role, u.Password, unit)
		shown = true
	}
	if shown {
		fmt.Fprintln(out, "These passwords are shown only this once; change them with `everymeter user add NAME --role ROLE --password-stdin`.")
	}
}
