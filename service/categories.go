package service

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"everymeter/change"
	"everymeter/store"
	"everymeter/vocab"
)

// CategoryTypes are 事件 (event: territory first) and 部件 (part: the asset's owner first): vocab.CategoryTypes.
var CategoryTypes = vocab.Strings(vocab.CategoryTypes)

// categoryTypeNames is "event (事件) or part (部件)".
var categoryTypeNames = func() string {
	n := make([]string, len(vocab.CategoryTypes))
	for i, t := range vocab.CategoryTypes {
		n[i] = fmt.Sprintf("%s (%s)", t, t.Label().Zh)
	}
	return either(n)
}()

func checkCategory(c store.Category) error {
	var k checker
	k.check(c.Code != "" && len(c.Code) <= 64 && validCode(c.Code), "code", "code must be 1–64 letters, digits, '_', '.' or '-' (e.g. JMZX-01)")
	k.check(strings.TrimSpace(c.NameZh) != "" && utf8.RuneCountInString(c.NameZh) <= 200, "name_zh", "name_zh must be 1–200 characters")
	k.check(utf8.RuneCountInString(c.NameEn) <= 200, "name_en", "at most 200 characters")
	k.check(utf8.RuneCountInString(c.Group) <= 100, "group", "at most 100 characters")
	k.check(contains(CategoryTypes, c.Type), "type", "type must be %s", categoryTypeNames)
	k.check(c.DefaultUnitCode == "" || validCode(c.DefaultUnitCode), "default_unit_code", "a unit code: letters, digits, '_', '.' or '-'")
	k.check(c.TimeLimitHours > 0 && c.TimeLimitHours <= 8760, "time_limit_hours", "time_limit_hours must be more than 0 and at most 8760 (a year)")
	k.check(c.UrgentLimitHours == nil || (*c.UrgentLimitHours > 0 && *c.UrgentLimitHours <= 8760), "urgent_time_limit_hours",
		"urgent_time_limit_hours must be more than 0 and at most 8760, or null")
	return k.err()
}

// resolveDefaultUnit fills DefaultUnitCode from a default unit id, which must exist.
func resolveDefaultUnit(ctx context.Context, tx *store.Store, c *store.Category) error {
	if c.DefaultUnitID == nil {
		return nil
	}
	u, err := tx.Unit(ctx, *c.DefaultUnitID)
	if err != nil {
		if err == store.ErrNotFound {
			return invalid("default_unit_id", "no unit with id %d", *c.DefaultUnitID)
		}
		return err
	}
	c.DefaultUnitCode = u.Code
	return nil
}

// CreateCategory validates and inserts a category. A default_unit_id, when given, wins over default_unit_code.
func (s *Service) CreateCategory(ctx context.Context, actor store.Actor, c store.Category) (store.Category, error) {
	var out store.Category
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		if err := resolveDefaultUnit(ctx, tx, &c); err != nil {
			return err
		}
		if err := checkCategory(c); err != nil {
			return err
		}
		var err error
		if out, err = tx.CreateCategory(ctx, c); err != nil {
			return err
		}
		tx.Changed(change.Category, 0)
		return tx.Audit(ctx, actor, "create", "category", out.Code, nil, out)
	})
	return out, err
}

// UpdateCategory validates and overwrites the category with code oldCode.
func (s *Service) UpdateCategory(ctx context.Context, actor store.Actor, oldCode string, c store.Category) (store.Category, error) {
	var out store.Category
	err := s.Store.WithTx(ctx, func(tx *store.Store) error {
		before, err := tx.Category(ctx, oldCode)
		if err != nil {
			return err
		}
		if err := resolveDefaultUnit(ctx, tx, &c); err != nil {
			return err
		}
		if err := checkCategory(c); err != nil {
			return err
		}
		if out, err = tx.UpdateCategory(ctx, oldCode, c); err != nil {
			return err
		}
		tx.Changed(change.Category, 0)
		if out.Code != before.Code {
			// The new code cascades to every report filed under the old one, wherever they are.
			tx.Changed(change.Report, 0, world)
		}
		return tx.Audit(ctx, actor, "update", "category", out.Code, before, out)
	})
	return out, err
}

// world is the bound of everything, for changes whose place is not known.
var world = orb.Bound{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}}

// categoryCache remembers, per code, a category and its version as filings read them, so that filing a report
// does not ask the database for its category every time. It needs no invalidation: store.FileReport writes only if
// the version is still current (any write to the category or to its default unit changes it, whoever makes it),
// and the report is routed again with a fresh read otherwise. Refusals (unknown or inactive category) are always
// decided on a fresh read, so a category created or re-activated elsewhere is taken at once.
type categoryCache struct {
	mu sync.RWMutex
	m  map[string]cachedCategory
}

type cachedCategory struct {
	cat     store.Category
	version string
}

// maxCachedCategories bounds the cache; categories are an admin's list, far fewer than this.
const maxCachedCategories = 4096

// category returns the category with code and its version: the cached one if it is in use and fresh is false,
// otherwise read from the database (and remembered).
func (s *Reports) category(ctx context.Context, code string, fresh bool) (store.Category, string, error) {
	if !fresh {
		s.cats.mu.RLock()
		c, ok := s.cats.m[code]
		s.cats.mu.RUnlock()
		if ok && c.cat.Active {
			return c.cat, c.version, nil
		}
	}
	cat, version, err := s.Store.CategoryVersioned(ctx, code)
	if err != nil {
		return cat, version, err
	}
	s.cats.mu.Lock()
	if s.cats.m == nil || len(s.cats.m) >= maxCachedCategories {
		s.cats.m = map[string]cachedCategory{}
	}
	s.cats.m[code] = cachedCategory{cat: cat, version: version}
	s.cats.mu.Unlock()
	return cat, version, nil
}
