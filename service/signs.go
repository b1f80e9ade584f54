package service

import (
	"context"
	"regexp"

	"everymeter/domain"
	"everymeter/store"
)

// Signs serves the responsibility stretches' sign boards (路段长公示牌).
type Signs struct {
	Store *store.Store
	// Supervision is the county's supervision phone (监督电话) printed on every board.
	Supervision string
	// Duties finds the 门前三包 duties along a stretch; nil prints none.
	Duties ShopDuties
}

// ShopDuties is the hook through which the shops along a stretch (the 门前三包 register) put their duties on the
// stretch's sign: one line per shop, e.g. "某某超市：包卫生、包秩序、包绿化".
type ShopDuties interface {
	DutiesAlong(ctx context.Context, st *store.Store, sign domain.Sign) ([]string, error)
}

// maxSigns bounds one batch of boards.
const maxSigns = 2000

var signCode = regexp.MustCompile(`^(A[0-9]{1,18}|Z[0-9]{1,18}-[0-9]{1,18})$`)

// ValidSignCode reports whether s has the shape of a sign code.
func ValidSignCode(s string) bool { return signCode.MatchString(s) }

// SupervisionPhone is the supervision phone the boards print.
func (s *Signs) SupervisionPhone() string { return s.Supervision }

// Signs lists the boards of one unit (nil: all), as the policy's sign-boards entry allows.
func (s *Signs) Signs(ctx context.Context, p domain.Principal, unitID *int64) ([]domain.Sign, error) {
	if v, err := view(p, SignBoards); err != nil || v.Denied {
		return nil, firstErr(err, domain.ErrForbidden)
	}
	gs, err := s.Store.Signs(ctx, unitID, "", maxSigns)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		if err := s.duties(ctx, &gs[i]); err != nil {
			return nil, err
		}
	}
	return gs, nil
}

// Sign returns one board by its code; store.ErrNotFound when no stretch in force has it.
func (s *Signs) Sign(ctx context.Context, p domain.Principal, code string) (domain.Sign, error) {
	if v, err := view(p, SignBoards); err != nil || v.Denied {
		return domain.Sign{}, firstErr(err, domain.ErrForbidden)
	}
	if !ValidSignCode(code) {
		return domain.Sign{}, store.ErrNotFound
	}
	gs, err := s.Store.Signs(ctx, nil, code, 1)
	if err != nil {
		return domain.Sign{}, err
	}
	if len(gs) == 0 {
		return domain.Sign{}, store.ErrNotFound
	}
	return gs[0], s.duties(ctx, &gs[0])
}

func (s *Signs) duties(ctx context.Context, g *domain.Sign) error {
	if s.Duties == nil {
		return nil
	}
	d, err := s.Duties.DutiesAlong(ctx, s.Store, *g)
	if err == nil && d != nil {
		g.Duties = d
	}
	return err
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
