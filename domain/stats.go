package domain

import (
	"encoding/json"
	"time"

	"github.com/paulmach/orb"
)

// UnitCounts are the raw counts of one unit's reports created in a period; service/stats.go defines each
// indicator and derives the rates.
type UnitCounts struct {
	UnitID        int64
	Code, Name    string
	Received      int64 // created in the period and routed to the unit
	Due           int64 // received, not voided or duplicate (应处置)
	Handled       int64 // due, resolved or closed (处置)
	OnTime        int64 // handled, resolved (or closed) no later than the deadline (按期处置)
	OverdueNow    int64 // due, clock running (dispatched, accepted, rework) past the deadline at now (超期)
	Rework        int64 // due with rework_count > 0 (返工)
	ToClose       int64 // due that were reported fixed at least once: handled or rework_count > 0 (应结案)
	Closed        int64 // due and closed (结案)
	Extended      int64 // due with extension_count > 0 (延期)
	AvgHoursClose *float64
	LeadM         float64 // meters of road the unit leads (coverage pieces covered or overlap)
}

// InspectorCounts are one inspector's counts for a period.
type InspectorCounts struct {
	UserID         int64
	Username       string
	Reported       int64 // reports they filed in the period (上报数)
	Valid          int64 // of those, not voided or duplicate
	Verifications  int64 // reports they verified (closed or sent back) that were resolved in the period
	VerifiedOnTime int64 // of those, verified within 24 h of the resolution
	AvgHoursVerify *float64
}

// TrendPoint is one time bucket of a trend.
type TrendPoint struct {
	T       time.Time
	Created int64
	Closed  int64
}

// OverdueItem is a report running past its deadline, with its owner.
type OverdueItem struct {
	ID           int64
	CategoryCode string
	CategoryName string
	Address      string
	UnitID       int64
	UnitName     string
	Deadline     time.Time
	Status       string
	CreatedAt    time.Time
}

// Hotspot is a place where problems recur: a 50 m stretch of a named asset, or a small grid cell.
type Hotspot struct {
	AssetID    *int64
	AssetName  string
	FromM      *float64
	ToM        *float64
	CellLevel  int
	CX, CY     int
	Lon, Lat   float64 // the centroid of its reports
	Count      int64
	Reopened   int64 // reports with reopen_count > 0 (反弹)
	Repeat     bool  // some category has at least the repeat threshold of reports (重复投诉)
	Categories json.RawMessage
	FirstAt    time.Time
	LastAt     time.Time
}

// MapLayers is what the briefing's small map draws: SVG path data in Web-Mercator meters with y flipped
// (PostGIS ST_AsSVG), and the extent.
type MapLayers struct {
	MinX, MinY, Width, Height float64 // viewBox
	Zones                     []string
	Cells                     []MapCell
	// Covered and Gaps are the road and alley pieces with a lead unit and without one, as SVG paths: the
	// coverage map.
	Covered, Gaps []string
}

// MapCell is one heat cell of the briefing map.
type MapCell struct {
	X, Y, Size float64 // top-left corner in SVG coordinates (y = −northing)
	Count      int64
}

// HeatQuery selects the cells of one heat map; zero values mean "any".
type HeatQuery struct {
	Level      int        // one of HeatLevels
	BBox       *orb.Bound // cells meeting this box (lon/lat); nil: every cell
	Statuses   []string   // nil: every status
	Categories []string
	UnitID     *int64 // 0: reports in the dispatch queue (no unit)
	Since      *time.Time
	Until      *time.Time // days: since and until are UTC dates (since inclusive, until exclusive)
	Weight     string     // count, urgency, age or overdue
	Now        time.Time  // the time ages and overdue are judged at
}

// HeatCell is one cell of a heat map.
type HeatCell struct {
	CX, CY   int
	Count    int64
	Weight   float64
	Lon, Lat float64         // the cell's centre
	Geometry json.RawMessage // the cell square as a GeoJSON Polygon in lon/lat (only when asked)
}

// ScoreWeights are the composite score's weights.
type ScoreWeights struct {
	Handling       float64 `json:"handling"`
	OnTime         float64 `json:"on_time"`
	Rework         float64 `json:"rework"`
	OverduePending float64 `json:"overdue_pending"`
	Extension      float64 `json:"extension"`
	// Satisfaction weighs the 满意率 of residents' ratings; a unit nobody rated in the period is scored without it.
	Satisfaction float64 `json:"satisfaction"`
}

// Rates are a unit's ratios (nil: no denominator).
type Rates struct {
	Handling       *float64 `json:"handling"`
	OnTime         *float64 `json:"on_time"`
	Rework         *float64 `json:"rework"`
	Closure        *float64 `json:"closure"`
	Extension      *float64 `json:"extension"`
	OverduePending *float64 `json:"overdue_pending"`
	// Satisfaction is 满意率: ratings 满意 or 基本满意 / all ratings given in the period (issue 14).
	Satisfaction *float64 `json:"satisfaction"`
}

// UnitStat is one row of the unit league table.
type UnitStat struct {
	UnitID          int64    `json:"unit_id"`
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	Received        int64    `json:"received"`
	Due             int64    `json:"due"`
	Handled         int64    `json:"handled"`
	OnTime          int64    `json:"on_time"`
	OverdueNow      int64    `json:"overdue_now"`
	Rework          int64    `json:"rework"`
	ToClose         int64    `json:"to_close"`
	Closed          int64    `json:"closed"`
	Extended        int64    `json:"extended"`
	Rates           Rates    `json:"rates"`
	AvgHoursToClose *float64 `json:"avg_hours_to_close"`
	Km              float64  `json:"km"`
	PerKm           *float64 `json:"per_km"`
	Score           *float64 `json:"score"`
	Rank            *int     `json:"rank"`
	TooFew          bool     `json:"too_few"`
	// Rated is how many residents' ratings the unit got in the period; SatisfactionRate is Rates.Satisfaction.
	Rated            int64    `json:"rated"`
	RatedContent     int64    `json:"rated_content"` // of those, 满意 or 基本满意
	SatisfactionRate *float64 `json:"satisfaction_rate"`
	// Frontage is the 门前三包 coverage of the stretches the unit leads (issue 16).
	Frontage *UnitFrontage `json:"frontage,omitempty"`
	// PatrolRate is the 巡查达标率 (a share; see PatrolCompliance) over the period's whole days; null without targets,
	// periods or stretches the unit leads, or for periods over a year.
	PatrolRate *float64 `json:"patrol_rate"`
}

// StatsQuery is a statistics period with the score settings.
type StatsQuery struct {
	From, To    time.Time
	Weights     ScoreWeights
	MinReceived int
	Now         time.Time
}

// InspectorStat is one inspector's row: 上报数, 有效上报率 (valid / reported; valid = not voided or duplicate),
// 按时核查率 (verifications within 24 h of the resolution / verifications; a verification is a verify or rework
// decision on a resolved report, counted in the period it was made).
type InspectorStat struct {
	UserID           int64    `json:"user_id"`
	Username         string   `json:"username"`
	Reported         int64    `json:"reported"`
	Valid            int64    `json:"valid"`
	ValidRate        *float64 `json:"valid_rate"`
	Verifications    int64    `json:"verifications"`
	VerifiedOnTime   int64    `json:"verified_on_time"`
	OnTimeVerifyRate *float64 `json:"on_time_verify_rate"`
	AvgHoursToVerify *float64 `json:"avg_hours_to_verify"`
}

// Briefing is everything the weekly briefing (通报) shows for a period.
type Briefing struct {
	From, To   time.Time
	Now        time.Time
	Totals     UnitStat // the sums over every unit (rates recomputed), plus Queue
	Queue      int64    // reports created in the period not routed to any unit
	Units      []UnitStat
	Overdue    []OverdueItem
	Coverage   []CoverageRow
	CoveragePc *float64 // share of all road meters with a lead owner
	Map        MapLayers
	Weights    ScoreWeights
	Evaluation *EvalBriefing // the mock evaluation rounds (测评) and their rectification; nil when there are none
	// Trend is reports created and closed per TrendInterval over the period (the cases the principal may see).
	Trend         []TrendPoint
	TrendInterval string
	Frontage      *FrontageBriefing // 门前三包 coverage by side and per street (per unit: Units[i].Frontage)
	// Patrol is the 巡查达标率 of the period by unit, with the stretches furthest below target; nil when there is none.
	Patrol *PatrolCompliance
}

// CoverageRow is one unit's share of the road network.
type CoverageRow struct {
	Code, Name string
	LeadKm     float64
	OverlapKm  float64
	Share      *float64 // LeadKm / total network km
}

// HeatRequest is a parsed heat-map request.
type HeatRequest struct {
	BBox       *orb.Bound
	Zoom       int
	Status     string // "" or "outstanding": not closed/voided/duplicate; "all"; or a comma list of statuses
	Categories []string
	UnitID     *int64
	Since      *time.Time
	Until      *time.Time
	Weight     string
	Geometry   bool // the cell squares are wanted (GeoJSON), not only centres
}

// HeatMap is the answer: the grid used and its non-empty cells.
type HeatMap struct {
	Level  int
	CellM  float64 // cell side in Web-Mercator meters
	Weight string
	Cells  []HeatCell
}
