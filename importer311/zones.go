package importer311

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
	"everymeter/vocab"
)

// Council is one Neighborhood Council polygon.
type Council struct {
	ID   string // nc_id
	Name string
	Raw  json.RawMessage // the GeoJSON geometry
}

// ReadCouncils reads the Neighborhood Council FeatureCollection (properties nc_id and name).
func ReadCouncils(path string) ([]Council, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fc struct {
		Features []struct {
			Properties map[string]any  `json:"properties"`
			Geometry   json.RawMessage `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("importer311: %s: %w", path, err)
	}
	var out []Council
	for i, f := range fc.Features {
		id := strings.TrimSpace(fmt.Sprint(f.Properties["nc_id"]))
		name, _ := f.Properties["name"].(string)
		if id == "" || id == "<nil>" || name == "" {
			return nil, fmt.Errorf("importer311: %s feature %d has no nc_id or name", path, i)
		}
		out = append(out, Council{ID: id, Name: name, Raw: f.Geometry})
	}
	return out, nil
}

// UnitsFromZones makes one unit per Neighborhood Council (code NC<nc_id>, kind community, the council's name)
// with one lead zone of its polygon, through the domain service (validation, audit, coverage refresh). Units
// and zones that exist already (same code; a zone of the same name) are left as they are. It returns the
// unit ids by nc_id.
func UnitsFromZones(ctx context.Context, svc *service.Service, path string, actor store.Actor) (map[string]int64, error) {
	cs, err := ReadCouncils(path)
	if err != nil {
		return nil, err
	}
	zones, err := svc.Store.Zones(ctx, nil)
	if err != nil {
		return nil, err
	}
	have := map[[2]string]bool{}
	for _, z := range zones {
		have[[2]string{fmt.Sprint(z.UnitID), z.Name}] = true
	}
	out := map[string]int64{}
	for _, c := range cs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		u, err := svc.Store.UnitByCode(ctx, "NC"+c.ID)
		if errors.Is(err, store.ErrNotFound) {
			u, err = svc.CreateUnit(ctx, actor, store.Unit{Code: "NC" + c.ID, Name: c.Name, Kind: string(vocab.Community)})
		}
		if err != nil {
			return out, fmt.Errorf("unit NC%s %s: %w", c.ID, c.Name, err)
		}
		out[c.ID] = u.ID
		if have[[2]string{fmt.Sprint(u.ID), c.Name}] {
			continue
		}
		g, err := geo.DecodeGeometry(c.Raw)
		if err != nil {
			return out, fmt.Errorf("zone of NC%s %s: %w", c.ID, c.Name, err)
		}
		if _, err := svc.CreateZone(ctx, actor, store.Zone{Name: c.Name, UnitID: u.ID, Role: string(vocab.Lead), Kind: "neighborhood council", Geom: g}); err != nil {
			return out, fmt.Errorf("zone of NC%s %s: %w", c.ID, c.Name, err)
		}
	}
	return out, nil
}
