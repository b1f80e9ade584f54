package domain

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/paulmach/orb"
)

// PublicReport is a report a resident filed without an account (市民随手拍), in the moderation queue or decided.
// Nickname, Phone, Device and Addr identify the reporter: only staff routes ever show them.
type PublicReport struct {
	ID           int64           `json:"id"`
	Code         string          `json:"code"`
	Status       string          `json:"status"` // pending, accepted, merged, rejected
	CategoryCode string          `json:"category"`
	CategoryName string          `json:"category_name"`
	Description  string          `json:"description"`
	Address      string          `json:"address"`
	Geom         orb.Point       `json:"-"`
	Nickname     string          `json:"nickname"`
	Phone        string          `json:"phone"`
	Device       string          `json:"device"`
	Addr         string          `json:"addr"`
	AppID        *int64          `json:"app_id"`
	Original     json.RawMessage `json:"original"` // the submission as filed, kept at the first edit
	ReportID     *int64          `json:"report_id"`
	Reason       string          `json:"reason"`
	ModeratorID  *int64          `json:"moderator_id"`
	ModeratedAt  *time.Time      `json:"moderated_at"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Photos       []PublicPhoto   `json:"photos"`
}

// PublicPhoto is a photo of a public report, cleaned and stored as report photos are.
type PublicPhoto struct {
	ID             int64      `json:"id"`
	PublicReportID int64      `json:"public_report_id"`
	SHA256         string     `json:"-"`
	ContentType    string     `json:"content_type"`
	Bytes          int64      `json:"bytes"`
	Width          int        `json:"width"`
	Height         int        `json:"height"`
	ExifPoint      *orb.Point `json:"-"`
	Hidden         bool       `json:"hidden"`
	PhotoID        *int64     `json:"photo_id"` // the case's photo made of it on acceptance
	CreatedAt      time.Time  `json:"created_at"`
}

// NewPublicReport is a public report as submitted.
type NewPublicReport struct {
	Point       *orb.Point // nil: taken from the first photo's EXIF GPS
	Category    string
	Description string
	Address     string
	Nickname    string
	Phone       string
	Device      string // a device id the page keeps in local storage
	Addr        string // the client address, as handlers/clientaddr.go trusts it
	Honeypot    string // a field people never see; a bot fills it
	Photos      [][]byte
	AppID       *int64 // the citizen app that sent it (Open311), if any
}

// PublicFiled is the answer to a public submission.
type PublicFiled struct {
	Code   string
	Status string
}

// PublicStatus is what the reporter's tracking page shows: the timeline and the after photo, never who reported
// nor what staff wrote.
type PublicStatus struct {
	Code         string       `json:"code"`
	Status       string       `json:"status"`      // pending, rejected, or the case's status once accepted
	CaseStatus   string       `json:"case_status"` // the case's status ("" before acceptance)
	CategoryName string       `json:"category_name"`
	Description  string       `json:"description"`
	Address      string       `json:"address"`
	Lon          float64      `json:"lon"`
	Lat          float64      `json:"lat"`
	UnitName     string       `json:"unit_name"`
	Reason       string       `json:"reason"` // why it was rejected or merged
	Merged       bool         `json:"merged"`
	Steps        []PublicStep `json:"steps"`
	PhotoIDs     []int64      `json:"photo_ids"` // published photos of the case (the reporter's, not hidden, and the after photos)
	CanRate      bool         `json:"can_rate"`
	Rating       string       `json:"rating"` // the rating of the current closing, if given
}

// PublicStep is one step of a tracking page's timeline.
type PublicStep struct {
	At       time.Time `json:"at"`
	Step     string    `json:"step"` // received, accepted, merged, rejected, dispatched, taken, fixed, closed, rework, recheck, reopened, returned, rated
	UnitName string    `json:"unit_name,omitempty"`
	PhotoID  *int64    `json:"photo_id,omitempty"`
	Rating   string    `json:"rating,omitempty"`
}

// Moderation is a moderator's decision on a queued public report.
type Moderation struct {
	Action   string // accept, merge, reject
	Reason   string
	ReportID *int64 // merge: the open case it duplicates
}

// PublicEdit is a moderator's correction of a queued public report; nil fields stay.
type PublicEdit struct {
	Category    *string
	Description *string
	Address     *string
	Point       *orb.Point
}

// NearbyCase is an open case near a place, suggested to a resident before they submit.
type NearbyCase struct {
	CategoryName string    `json:"category_name"`
	Status       string    `json:"status"`
	DistanceM    float64   `json:"distance_m"`
	CreatedAt    time.Time `json:"created_at"`
}

// PublicBlock is a blocked reporter, by phone or device.
type PublicBlock struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Value     string    `json:"value"`
	Reason    string    `json:"reason"`
	CreatedAt time.Time `json:"created_at"`
}

// CitizenApp is an app of the jurisdiction that files public reports through Open311 with its own key.
type CitizenApp struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	RevokedAt *time.Time `json:"revoked_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// CitizenAppKeyPrefix starts every citizen app's key, telling it from a user's API key.
const CitizenAppKeyPrefix = "emapp_"

// ErrBlocked refuses a public submission from a blocked phone or device.
var ErrBlocked = errors.New("domain: this reporter is blocked")

// Sign is one responsibility stretch's sign board (路段长公示牌): a lead assignment (code "A<id>") or a lead
// zone's part of a road (code "Z<zone>-<asset>").
type Sign struct {
	Code      string   `json:"code"`
	AssetID   int64    `json:"asset_id"`
	RoadName  string   `json:"road_name"`
	FromM     float64  `json:"from_m"`
	ToM       float64  `json:"to_m"`
	LengthM   float64  `json:"length_m"`
	StartName string   `json:"start_name"` // the cross street at the start, "" where none meets it
	EndName   string   `json:"end_name"`
	UnitID    int64    `json:"unit_id"`
	UnitName  string   `json:"unit_name"`
	Person    string   `json:"person"`
	Phone     string   `json:"phone"`
	Duties    []string `json:"duties"` // 门前三包 lines of the shops along the stretch, where they apply
	Lon       float64  `json:"lon"`    // the stretch's middle, for the report form
	Lat       float64  `json:"lat"`
}
