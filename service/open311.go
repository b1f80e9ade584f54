package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
)

// Open311 serves the Open311 GeoReport v2 endpoint: public reads of categories and reports, and filing through a
// per-user API key by the same path as POST /api/v1/reports, so an Open311 report is routed like any other.
type Open311 struct {
	Svc     *Service
	Reports *Reports
	// Citizens takes the reports of citizen apps (keys starting domain.CitizenAppKeyPrefix) into the moderation
	// queue; nil refuses them.
	Citizens *Citizens
}

// Open311Reporters are the roles whose API key may file reports (those that may POST /api/v1/reports).
var Open311Reporters = vocab.Strings(vocab.ReporterRoles)

// ErrNotReporter means the API key is valid but its user's role may not file reports.
var ErrNotReporter = domain.ErrNotReporter

// Services lists the active categories (Open311 services).
func (o *Open311) Services(ctx context.Context) ([]store.Category, error) {
	return o.Svc.Store.Categories(ctx, true)
}

// Service returns one active category; an inactive or unknown one is store.ErrNotFound.
func (o *Open311) Service(ctx context.Context, code string) (store.Category, error) {
	c, err := o.Svc.Store.Category(ctx, code)
	if err == nil && !c.Active {
		return store.Category{}, store.ErrNotFound
	}
	return c, err
}

// Requests lists reports for Open311 (a public list, as the spec intends): the visibility policy's published
// entry, the same for every principal, and without who reported, resolved or verified them.
func (o *Open311) Requests(ctx context.Context, p domain.Principal, f store.Open311Filter) ([]store.Open311Row, error) {
	if err := o.Svc.allow(p, Published); err != nil {
		return nil, err
	}
	rows, err := o.Svc.Store.Open311Requests(ctx, f)
	for i := range rows {
		published(&rows[i])
	}
	return rows, err
}

// Request returns one report for Open311, as Requests publishes it.
func (o *Open311) Request(ctx context.Context, p domain.Principal, id int64) (store.Open311Row, error) {
	if err := o.Svc.allow(p, Published); err != nil {
		return store.Open311Row{}, err
	}
	r, err := o.Svc.Store.Open311Request(ctx, id)
	published(&r)
	return r, err
}

// published blanks what Open311 never publishes: the people behind a report, and the staff's notes on a
// resident's case (the resident follows it on the tracking page, which shows the steps and never the notes).
func published(r *store.Open311Row) {
	r.ReporterID, r.ResolverID, r.VerifierID, r.IdempotencyKey = nil, nil, nil, nil
	if r.Source == string(vocab.FromCitizen) {
		r.LastNote = ""
	}
}

// SubmitFromApp queues a citizen app's report for moderation (see Citizens.SubmitFromApp).
func (o *Open311) SubmitFromApp(ctx context.Context, apiKey string, in domain.NewPublicReport) (domain.PublicFiled, error) {
	if o.Citizens == nil {
		return domain.PublicFiled{}, domain.ErrAuth
	}
	return o.Citizens.SubmitFromApp(ctx, apiKey, in)
}

// Submit files a report for the user owning apiKey: ErrAuth for an unknown or revoked key (or a disabled user),
// ErrNotReporter when the user's role may not file. The report is filed with source open311 and routed.
func (o *Open311) Submit(ctx context.Context, apiKey string, in NewReport) (Filed, error) {
	u, err := o.Svc.AuthenticateAPIKey(ctx, apiKey)
	if err != nil {
		return Filed{}, err
	}
	if !slices.Contains(Open311Reporters, u.Role) {
		return Filed{}, fmt.Errorf("%w: only %s may", ErrNotReporter, strings.Join(Open311Reporters, " and "))
	}
	in.Source = string(vocab.FromOpen311)
	return o.Reports.File(ctx, Who{ID: u.ID, Name: u.Username, Role: u.Role, UnitID: u.UnitID}, in)
}
