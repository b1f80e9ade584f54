package handlers

import (
	"bytes"
	"context"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"everymeter/domain"
)

// The handlers' view of the domain layer: every route parses its request, makes one call through one of these
// interfaces with the request's principal, and renders the answer. Package server wires the concrete service in
// (*service.Service, *service.Reports, *service.Open311), so that this package depends on no store and no engine.

// Service is the domain layer of the core, coverage, OGC, tile and leaders' routes.
type Service interface {
	Ping(ctx context.Context) error

	Authenticate(ctx context.Context, token string) (domain.User, error)
	Login(ctx context.Context, username, password, addr string) (string, domain.User, error)
	FailedAttemptsBefore(ctx context.Context, token string) (int, error)
	Throttles(ctx context.Context) ([]domain.Throttle, error)
	ClearThrottle(ctx context.Context, actor domain.Actor, id int64) error
	Logout(ctx context.Context, token string) error
	LogoutEverywhere(ctx context.Context, userID int64) error
	AuthenticateAPIKey(ctx context.Context, key string) (domain.User, error)
	CreateAPIKey(ctx context.Context, actor domain.Actor, userID int64, name string) (string, domain.APIKey, error)
	RevokeAPIKey(ctx context.Context, actor domain.Actor, userID, id int64) ([]byte, error)
	APIKeys(ctx context.Context, p domain.Principal) ([]domain.APIKey, error)

	Units(ctx context.Context, p domain.Principal) ([]domain.Unit, error)
	Unit(ctx context.Context, p domain.Principal, id int64) (domain.Unit, error)
	CreateUnit(ctx context.Context, actor domain.Actor, u domain.Unit) (domain.Unit, error)
	UpdateUnit(ctx context.Context, actor domain.Actor, u domain.Unit) (domain.Unit, error)
	DeleteUnit(ctx context.Context, actor domain.Actor, id int64) error

	Assets(ctx context.Context, p domain.Principal, f domain.AssetFilter) ([]domain.Asset, error)
	Asset(ctx context.Context, p domain.Principal, id int64) (domain.Asset, error)
	CreateAssets(ctx context.Context, actor domain.Actor, as []domain.Asset, bulk bool) ([]domain.Asset, error)
	UpdateAsset(ctx context.Context, actor domain.Actor, a domain.Asset) (domain.Asset, error)
	DeleteAsset(ctx context.Context, actor domain.Actor, id int64) error

	Zones(ctx context.Context, p domain.Principal, bbox *orb.Bound) ([]domain.Zone, error)
	Zone(ctx context.Context, p domain.Principal, id int64) (domain.Zone, error)
	CreateZone(ctx context.Context, actor domain.Actor, z domain.Zone) (domain.Zone, error)
	UpdateZone(ctx context.Context, actor domain.Actor, z domain.Zone) (domain.Zone, error)
	DeleteZone(ctx context.Context, actor domain.Actor, id int64) error

	Assignment(ctx context.Context, p domain.Principal, id int64) (domain.Assignment, error)
	AssignmentsOf(ctx context.Context, p domain.Principal, assetID int64) ([]domain.Assignment, error)
	CreateAssignment(ctx context.Context, actor domain.Actor, a domain.Assignment) (domain.Assignment, error)
	UpdateAssignment(ctx context.Context, actor domain.Actor, a domain.Assignment) (domain.Assignment, error)
	DeleteAssignment(ctx context.Context, actor domain.Actor, id int64) error

	Categories(ctx context.Context, p domain.Principal, activeOnly bool) ([]domain.Category, error)
	Category(ctx context.Context, p domain.Principal, code string) (domain.Category, error)
	CreateCategory(ctx context.Context, actor domain.Actor, c domain.Category) (domain.Category, error)
	UpdateCategory(ctx context.Context, actor domain.Actor, oldCode string, c domain.Category) (domain.Category, error)

	CoverageSummary(ctx context.Context, p domain.Principal, at *time.Time) (domain.Summary, error)
	CoverageSegments(ctx context.Context, p domain.Principal, f domain.PieceFilter, at *time.Time) ([]byte, error)
	CoverageGaps(ctx context.Context, p domain.Principal, f domain.PieceFilter, at *time.Time) ([]domain.GapRow, error)
	AssetCoverage(ctx context.Context, p domain.Principal, id int64, at *time.Time) (domain.AssetCoverage, error)
	// AssetCoverageOn is AssetCoverage on one side (left or right), with that side's 门前三包 frontage coverage.
	AssetCoverageOn(ctx context.Context, p domain.Principal, id int64, at *time.Time, side string) (domain.AssetCoverage, error)
	Owner(ctx context.Context, p domain.Principal, pt orb.Point, at *time.Time) (domain.OwnerResult, error)

	Heatmap(ctx context.Context, p domain.Principal, q domain.HeatRequest, now time.Time) (domain.HeatMap, error)
	Hotspots(ctx context.Context, p domain.Principal, from, to time.Time, minRepeat, limit int) ([]domain.Hotspot, error)
	UnitStats(ctx context.Context, p domain.Principal, q domain.StatsQuery) ([]domain.UnitStat, error)
	InspectorStats(ctx context.Context, p domain.Principal, from, to time.Time) ([]domain.InspectorStat, error)
	Trend(ctx context.Context, p domain.Principal, interval string, from, to time.Time, unitID *int64, category string) ([]domain.TrendPoint, error)
	Briefing(ctx context.Context, p domain.Principal, q domain.StatsQuery) (domain.Briefing, error)

	OGCCollectionIDs() []string
	OGCCollections(ctx context.Context, p domain.Principal) ([]domain.OGCCollection, error)
	OGCCollection(ctx context.Context, p domain.Principal, id string) (domain.OGCCollection, error)
	OGCExtent(ctx context.Context, p domain.Principal, id string) (domain.OGCExtent, error)
	OGCItems(ctx context.Context, p domain.Principal, id string, q domain.OGCQuery, features *bytes.Buffer) (domain.OGCPage, error)
	OGCItem(ctx context.Context, p domain.Principal, id string, k domain.OGCKey, srid int, flip bool) ([]byte, error)

	TileLayers() []domain.TileLayer
	TileLayer(name string) (domain.TileLayer, error)
	TileScope(p domain.Principal, layer string) (string, error)
	Tile(ctx context.Context, p domain.Principal, layer string, t maptile.Tile) ([]byte, error)
}

// ReportLoop is the report loop's domain layer: filing, transitions, photos, each as the principal may.
type ReportLoop interface {
	Report(ctx context.Context, p domain.Principal, id int64) (domain.Report, error)
	List(ctx context.Context, p domain.Principal, f domain.ReportFilter) ([]domain.Report, error)
	History(ctx context.Context, p domain.Principal, id int64) ([]domain.ReportEvent, error)
	File(ctx context.Context, p domain.Principal, in domain.NewReport) (domain.Filed, error)
	Transition(ctx context.Context, p domain.Principal, id int64, mv domain.Move) (domain.Report, domain.ReportEvent, error)
	AddPhoto(ctx context.Context, p domain.Principal, reportID int64, data []byte) (domain.Uploaded, error)
	Photos(ctx context.Context, p domain.Principal, reportID int64) ([]domain.Photo, error)
	Photo(ctx context.Context, p domain.Principal, id int64, thumb bool) (domain.Photo, string, error)
}

// Open311Service is the domain layer of Open311 GeoReport v2.
type Open311Service interface {
	Services(ctx context.Context) ([]domain.Category, error)
	Service(ctx context.Context, code string) (domain.Category, error)
	Requests(ctx context.Context, p domain.Principal, f domain.Open311Filter) ([]domain.Open311Row, error)
	Request(ctx context.Context, p domain.Principal, id int64) (domain.Open311Row, error)
	Submit(ctx context.Context, apiKey string, in domain.NewReport) (domain.Filed, error)
	SubmitFromApp(ctx context.Context, apiKey string, in domain.NewPublicReport) (domain.PublicFiled, error)
}

// EvalService is the evaluation's domain layer (测评与整改): checklists, rounds, results, the feedback list, the
// rectification ledger and the readiness view.
type EvalService interface {
	EvalItems(ctx context.Context, p domain.Principal, siteType string, withRetired bool) ([]domain.EvalItem, error)
	CreateEvalItem(ctx context.Context, p domain.Principal, it domain.EvalItem) (domain.EvalItem, error)
	ReviseEvalItem(ctx context.Context, p domain.Principal, id int64, it domain.EvalItem) (domain.EvalItem, error)
	EvalSites(ctx context.Context, p domain.Principal, siteType string) ([]domain.EvalSite, error)
	CreateEvalSite(ctx context.Context, p domain.Principal, s domain.EvalSite) (domain.EvalSite, error)
	Rounds(ctx context.Context, p domain.Principal) ([]domain.EvalRound, error)
	Round(ctx context.Context, p domain.Principal, id int64) (domain.EvalRound, error)
	CreateRound(ctx context.Context, p domain.Principal, nr domain.NewRound) (domain.EvalRound, error)
	Results(ctx context.Context, p domain.Principal, roundID int64) ([]domain.EvalResult, error)
	Record(ctx context.Context, p domain.Principal, roundID int64, in []domain.NewResult) ([]domain.EvalResult, error)
	Scores(ctx context.Context, p domain.Principal, roundID int64) (domain.Scores, error)
	RoundLedger(ctx context.Context, p domain.Principal, roundID int64) (domain.Ledger, error)
	FeedbackLedger(ctx context.Context, p domain.Principal) (domain.Ledger, error)
	Readiness(ctx context.Context, p domain.Principal) (domain.Readiness, error)
	ImportFeedback(ctx context.Context, p domain.Principal, name string, data []byte, rectifyBy *time.Time) (domain.FeedbackImport, error)
	FeedbackRows(ctx context.Context, p domain.Principal, located *bool) ([]domain.FeedbackRow, error)
	Evaluators(ctx context.Context, p domain.Principal) ([]domain.User, error)
}

// CitizenService is the domain layer of public reporting (市民随手拍): submissions, the tracking page, ratings,
// and the moderation queue.
type CitizenService interface {
	PublicCategories(ctx context.Context) ([]domain.Category, error)
	Nearby(ctx context.Context, lon, lat float64, category string) ([]domain.NearbyCase, error)
	Submit(ctx context.Context, in domain.NewPublicReport) (domain.PublicFiled, error)
	PublicStatus(ctx context.Context, code string) (domain.PublicStatus, error)
	PublicPhoto(ctx context.Context, code string, photoID int64, thumb bool) (domain.Photo, string, error)
	Rate(ctx context.Context, code, rating string) (domain.PublicStatus, error)

	Queue(ctx context.Context, p domain.Principal) ([]domain.PublicReport, error)
	Queued(ctx context.Context, p domain.Principal, id int64) (domain.PublicReport, error)
	Moderate(ctx context.Context, p domain.Principal, id int64, m domain.Moderation) (domain.PublicReport, error)
	Edit(ctx context.Context, p domain.Principal, id int64, e domain.PublicEdit) (domain.PublicReport, error)
	HidePhoto(ctx context.Context, p domain.Principal, photoID int64) (domain.PublicPhoto, error)
	QueuedPhoto(ctx context.Context, p domain.Principal, photoID int64, thumb bool) (domain.Photo, string, error)
	Blocks(ctx context.Context, p domain.Principal) ([]domain.PublicBlock, error)
	Block(ctx context.Context, p domain.Principal, b domain.PublicBlock) (domain.PublicBlock, error)
	Unblock(ctx context.Context, p domain.Principal, id int64) error
	CreateApp(ctx context.Context, p domain.Principal, name string) (string, domain.CitizenApp, error)
	Apps(ctx context.Context) ([]domain.CitizenApp, error)
	RevokeApp(ctx context.Context, p domain.Principal, id int64) error
}

// SignService is the domain layer of the sign boards (路段长公示牌).
type SignService interface {
	Signs(ctx context.Context, p domain.Principal, unitID *int64) ([]domain.Sign, error)
	Sign(ctx context.Context, p domain.Principal, code string) (domain.Sign, error)
	SupervisionPhone() string
}
