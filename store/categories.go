package store

import (
	"context"

	"everymeter/domain"
)

// Category is domain.Category (the definition moved to package domain).
type Category = domain.Category

const categoryCols = `c.code, c.name_zh, c.name_en, c.grp, c.type, c.sort, c.active, c.default_unit_code, u.id, COALESCE(u.name, ''),
	c.time_limit_hours, c.urgent_time_limit_hours, c.created_at, c.updated_at, COALESCE(c.part_kind, '')`

// categoryUnitJoin joins a category c to its default unit u by code.
const categoryUnitJoin = `LEFT JOIN units u ON u.code = c.default_unit_code AND c.default_unit_code <> ''`

// categoryFrom joins each category to its default unit by code.
const categoryFrom = ` FROM categories c ` + categoryUnitJoin

// categoryVersionSQL identifies the version of a category row and of its default unit (which a unit created,
// renamed or given the code later changes): the row versions' xmin changes with every write, whoever makes it.
const categoryVersionSQL = `(c.xmin::text || '/' || COALESCE(u.id::text, '') || '/' || COALESCE(u.xmin::text, ''))`

func scanCategory(r interface{ Scan(...any) error }) (Category, error) {
	var c Category
	err := r.Scan(&c.Code, &c.NameZh, &c.NameEn, &c.Group, &c.Type, &c.Sort, &c.Active, &c.DefaultUnitCode, &c.DefaultUnitID, &c.DefaultUnitName,
		&c.TimeLimitHours, &c.UrgentLimitHours, &c.CreatedAt, &c.UpdatedAt, &c.PartKind)
	return c, mapErr(err)
}

// Categories lists categories in display order (all, or only active ones).
func (s *Store) Categories(ctx context.Context, activeOnly bool) ([]Category, error) {
	rows, err := s.db.Query(ctx, `SELECT `+categoryCols+categoryFrom+` WHERE c.active OR NOT $1 ORDER BY c.sort, c.code`, activeOnly)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Category{}
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapErr(rows.Err())
}

// Category returns one category by code.
func (s *Store) Category(ctx context.Context, code string) (Category, error) {
	return scanCategory(s.db.QueryRow(ctx, `SELECT `+categoryCols+categoryFrom+` WHERE c.code = $1`, code))
}

// CategoryVersioned returns one category by code with its version: a cache may keep the pair, and FileReport
// refuses a report routed with a version that is no longer current (ErrCategoryChanged).
func (s *Store) CategoryVersioned(ctx context.Context, code string) (Category, string, error) {
	var v string
	c, err := scanCategory(suffixScanner{s.db.QueryRow(ctx, `SELECT `+categoryCols+`, `+categoryVersionSQL+categoryFrom+`
		WHERE c.code = $1`, code), []any{&v}})
	return c, v, err
}

// CreateCategory inserts a category.
func (s *Store) CreateCategory(ctx context.Context, c Category) (Category, error) {
	_, err := s.db.Exec(ctx, `INSERT INTO categories (code, name_zh, name_en, grp, type, sort, active, default_unit_code,
			time_limit_hours, urgent_time_limit_hours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.Code, c.NameZh, c.NameEn, c.Group, c.Type, c.Sort, c.Active, c.DefaultUnitCode, c.TimeLimitHours, c.UrgentLimitHours)
	if err != nil {
		return c, mapErr(err)
	}
	return s.Category(ctx, c.Code)
}

// UpdateCategory overwrites the category with code oldCode (the code itself may change; reports follow).
func (s *Store) UpdateCategory(ctx context.Context, oldCode string, c Category) (Category, error) {
	tag, err := s.db.Exec(ctx, `UPDATE categories SET code = $2, name_zh = $3, name_en = $4, grp = $5, type = $6, sort = $7,
			active = $8, default_unit_code = $9, time_limit_hours = $10, urgent_time_limit_hours = $11, updated_at = now()
		WHERE code = $1`,
		oldCode, c.Code, c.NameZh, c.NameEn, c.Group, c.Type, c.Sort, c.Active, c.DefaultUnitCode, c.TimeLimitHours, c.UrgentLimitHours)
	if err != nil {
		return c, mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return c, ErrNotFound
	}
	return s.Category(ctx, c.Code)
}
