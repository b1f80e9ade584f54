package domain

import (
	"time"

	"everymeter/i18n"
)

// ImportOptions say how to read a county's zone or unit file (the CLI's flags; the web app sends the same).
type ImportOptions struct {
	NameField     string `json:"name_field,omitempty"`      // the attribute holding the zone's or unit's name
	UnitField     string `json:"unit_field,omitempty"`      // zones: the attribute naming the unit (its code or its name)
	Unit          string `json:"unit,omitempty"`            // zones: one unit (code or name) for every feature
	Role          string `json:"role,omitempty"`            // zones: lead or support for every feature (default lead)
	RoleField     string `json:"role_field,omitempty"`      // zones: the attribute holding lead/support (牵头/配合)
	ZoneKind      string `json:"zone_kind,omitempty"`       // zones.kind of every zone (default 网格)
	CodeField     string `json:"code_field,omitempty"`      // units: the attribute holding the unit code
	UnitKind      string `json:"unit_kind,omitempty"`       // units: the kind of every unit without a kind attribute
	UnitKindField string `json:"unit_kind_field,omitempty"` // units: the attribute holding the unit kind
	Territory     bool   `json:"territory,omitempty"`       // units: also make each unit's polygon its lead zone
	Encoding      string `json:"encoding,omitempty"`        // shapefile attribute text (GBK …)
	SRS           string `json:"srs,omitempty"`             // EPSG:N for a file without (or with a wrong) .prj
	Layer         string `json:"layer,omitempty"`           // the layer of a GeoPackage with several
}

// ImportProblem is one feature a file cannot be imported with, and why.
type ImportProblem struct {
	Index   int      `json:"index"`   // the feature's position in the file, from 1
	Feature string   `json:"feature"` // "feature 3 (学清网格)": its position, id and name
	Detail  string   `json:"detail"`  // Msg in English; the HTTP layer renders it in the client's language
	Msg     i18n.Msg `json:"msg"`
}

// ImportSummary is what reading a zone or unit file found: its features, the problems refusing it and warnings.
type ImportSummary struct {
	ID        int64           `json:"id,omitempty"` // the pending import (web uploads)
	Kind      string          `json:"kind"`
	File      string          `json:"file"`
	Features  int             `json:"features"`
	Units     int             `json:"units"` // units the file makes or updates (kind unit)
	Zones     int             `json:"zones"`
	Warnings  []string        `json:"warnings"`
	Errors    []ImportProblem `json:"errors"`
	BBox      []float64       `json:"bbox"` // minLon, minLat, maxLon, maxLat; empty when no geometry
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
}

// ImportCount says how many rows of one table an import inserted, updated and left as they were.
type ImportCount struct {
	Inserted  int `json:"inserted"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// ImportApplied is what applying a zone or unit import wrote.
type ImportApplied struct {
	Kind   string      `json:"kind"`
	File   string      `json:"file"`
	Source string      `json:"source"`
	Units  ImportCount `json:"units"`
	Zones  ImportCount `json:"zones"`
}
