package domain

import (
	"encoding/json"
	"time"

	"github.com/paulmach/orb"

	"everymeter/i18n"
	"everymeter/vocab"
)

// Report is one problem report (案卷) and where it stands in the closed loop (see package workflow).
type Report struct {
	ID           int64
	CategoryCode string
	Description  string
	Address      string
	Urgency      string // normal or urgent
	Status       string
	Geom         orb.Point
	AssetID      *int64
	MeasureM     *float64
	UnitID       *int64
	UnitName     string // joined from units; empty when no unit
	// Routing: how the unit was chosen (nearest_meter, zone, asset, category_default, none, manual, import) and why.
	DecidedBy     string
	RoutingReason string // in English; RoutingReasonParts renders it in either language (nil for rows written before)
	// RoutingReasonParts is the reason in its parts (formats and arguments), stored beside the text.
	RoutingReasonParts i18n.Msgs
	ReporterID         *int64
	ResolverID         *int64
	VerifierID         *int64
	DuplicateOf        *int64
	IdempotencyKey     *string
	ReworkCount        int
	ReopenCount        int
	ExtensionCount     int
	ReturnCount        int
	// TimeLimitHours is the limit the current deadline was computed from (nil before dispatch).
	TimeLimitHours *float64
	Deadline       *time.Time
	DispatchedAt   *time.Time
	AcceptedAt     *time.Time
	ResolvedAt     *time.Time
	ClosedAt       *time.Time
	Source         string // app, open311 or import311
	SourceID       string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Light is the traffic light of the report's deadline at now: green below 80% of the time limit elapsed, yellow
// from 80% to 100%, red beyond; "" when no deadline runs (not dispatched). Resolved and closed reports are judged
// at the time they were resolved.
func (r Report) Light(now time.Time) string {
	if r.Deadline == nil || r.DispatchedAt == nil {
		return ""
	}
	switch s := vocab.Status(r.Status); {
	case !s.Lit():
		return ""
	case s.Handled():
		if r.ResolvedAt != nil {
			now = *r.ResolvedAt
		}
	}
	total := r.Deadline.Sub(*r.DispatchedAt)
	elapsed := now.Sub(*r.DispatchedAt)
	switch {
	case elapsed > total:
		return "red"
	case total <= 0 || float64(elapsed) >= 0.8*float64(total):
		return "yellow"
	}
	return "green"
}

// Overdue reports whether the deadline passed before the report was resolved (or, while it runs, before now).
func (r Report) Overdue(now time.Time) bool {
	return r.Light(now) == "red"
}

// ReportFilter selects reports for a list; zero values mean "any".
type ReportFilter struct {
	Statuses   []string
	Category   string
	UnitID     *int64
	ReporterID *int64
	BBox       *orb.Bound
	Overdue    *bool // true: running past the deadline now; false: not so
	Since      *time.Time
	Until      *time.Time
	Q          string
	Source     string
	Before     int64 // cursor: ids smaller than this (lists run newest first)
	Limit      int
}

// ReportEvent is one recorded step of a report's loop.
type ReportEvent struct {
	ID         int64          `json:"id"`
	ReportID   int64          `json:"report_id"`
	At         time.Time      `json:"at"`
	ActorID    *int64         `json:"actor_id"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	FromStatus string         `json:"from_status"`
	ToStatus   string         `json:"to_status"`
	Note       string         `json:"note"`
	UnitID     *int64         `json:"unit_id"`
	UnitName   string         `json:"unit_name"`
	PhotoID    *int64         `json:"photo_id"`
	Details    map[string]any `json:"details"`
}

// NoteParts is the Details key under which a note the server wrote (a routing reason, a resident's recheck)
// keeps its parts, so that the history renders it in the reader's language; Note is its English text.
const NoteParts = "note_parts"

// SetNote writes a server's note in its parts and, for readers of the text, in English.
func (e *ReportEvent) SetNote(parts ...i18n.Msg) {
	e.Note = i18n.Msgs(parts).String()
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[NoteParts] = i18n.Msgs(parts)
}

// NoteIn is the note in l: from its parts when the server wrote it, else the text as it was written (a person's
// note, or an event stored before notes kept their parts).
func (e ReportEvent) NoteIn(l i18n.Lang) string {
	raw, ok := e.Details[NoteParts]
	if !ok {
		return e.Note
	}
	ms, ok := raw.(i18n.Msgs)
	if !ok { // read back from the database: JSON
		b, err := json.Marshal(raw)
		if err != nil || json.Unmarshal(b, &ms) != nil {
			return e.Note
		}
	}
	if len(ms) == 0 {
		return e.Note
	}
	return ms.In(l)
}

// Photo is the metadata of an image attached to a report; the bytes live in the data directory by content hash.
type Photo struct {
	ID          int64
	ReportID    int64
	SHA256      string // hex hash of the served (EXIF-stripped) file
	ContentType string
	Bytes       int64
	Width       int
	Height      int
	ExifPoint   *orb.Point // GPS position read from the original's EXIF, if any
	UploaderID  *int64
	CreatedAt   time.Time
}

// Category is a problem category (问题类别) with its routing fallback and handling time limit.
type Category struct {
	Code   string `json:"code"`
	NameZh string `json:"name_zh"`
	NameEn string `json:"name_en"`
	Group  string `json:"group"`
	Type   string `json:"type"` // event (事件) or part (部件)
	Sort   int    `json:"sort"`
	Active bool   `json:"active"`
	// DefaultUnitCode names the fallback unit by code; DefaultUnitID and DefaultUnitName are that unit's,
	// when a unit with the code exists (nil and "" otherwise).
	DefaultUnitCode  string    `json:"default_unit_code"`
	DefaultUnitID    *int64    `json:"default_unit_id"`
	DefaultUnitName  string    `json:"default_unit_name"`
	TimeLimitHours   float64   `json:"time_limit_hours"`
	UrgentLimitHours *float64  `json:"urgent_time_limit_hours"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// PartKind is the kind of 部件 a part category is about (vocab.PartKinds; "" for none): its reports go to the
	// owner of the nearest such object first.
	PartKind string `json:"part_kind"`
}

// LimitHours is the handling time limit for a report of the given urgency.
func (c Category) LimitHours(urgency string) float64 {
	if urgency == "urgent" && c.UrgentLimitHours != nil {
		return *c.UrgentLimitHours
	}
	return c.TimeLimitHours
}

// NewReport is a report as filed.
type NewReport struct {
	Point          *orb.Point // where; may be omitted when AssetID is given (a point on the asset is used)
	AssetID        *int64
	Category       string
	Description    string
	Address        string
	Urgency        string // normal (default) or urgent
	IdempotencyKey string // same reporter + same key → the same report
	Source         string // app (default), open311, import311
	SourceID       string
	// Deadline, when set, replaces the category's time limit (an evaluation round's 整改期限): the report is due
	// then, whenever it is dispatched.
	Deadline *time.Time
}

// Filed is the answer to filing a report.
type Filed struct {
	Report     Report
	Created    bool     // false when an idempotent retry found the earlier report
	Duplicates []Report // open reports of the same category within DuplicateRadiusM over DuplicateWindow
}

// Move is one requested transition.
type Move struct {
	Action      string
	Note        string
	UnitID      *int64   // dispatch: the unit
	PhotoID     *int64   // resolve: the after photo, attached to this report
	DuplicateOf *int64   // duplicate: the earlier report
	Hours       *float64 // extend: how much longer (default: the category's limit)
}

// Uploaded is the answer to a photo upload.
type Uploaded struct {
	Photo   Photo
	Created bool // false when the same file was already attached to the report
	// Suggested is the GPS position from the photo's EXIF, if it had one.
	Suggested *orb.Point
}

// Open311Filter selects reports for Open311's GET requests; zero values mean "any".
type Open311Filter struct {
	IDs        []int64  // service_request_id: when set, the other filters are ignored (as the spec says)
	Categories []string // service_code
	Statuses   []string // everymeter statuses (open/closed already expanded)
	Since      *time.Time
	Until      *time.Time
	Limit      int
}

// Open311Row is a report with what an Open311 answer needs beside it: the category's names, the asset's name,
// the note of the last step that had one, and the first photo.
type Open311Row struct {
	Report
	CategoryNameZh string
	CategoryNameEn string
	AssetName      string
	LastNote       string
	FirstPhotoID   *int64
}

// Reason is the routing reason in l: from its parts when they were stored, else the text as it was written.
func (r Report) Reason(l i18n.Lang) string {
	if len(r.RoutingReasonParts) > 0 {
		return r.RoutingReasonParts.In(l)
	}
	return r.RoutingReason
}

// SetReason writes the routing reason in its parts and, for readers of the text, in English.
func (r *Report) SetReason(parts ...i18n.Msg) {
	r.RoutingReasonParts, r.RoutingReason = parts, i18n.Msgs(parts).String()
}
