package store

import (
	"context"

	"everymeter/domain"
)

// Unit is domain.Unit (the definition moved to package domain).
type Unit = domain.Unit

const unitCols = `id, code, name, kind, parent_id, contact_person, phone, created_at, updated_at`

func scanUnit(r interface{ Scan(...any) error }) (Unit, error) {
	var u Unit
	err := r.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.ParentID, &u.ContactPerson, &u.Phone, &u.CreatedAt, &u.UpdatedAt)
	return u, mapErr(err)
}

// Units lists all units ordered by code.
func (s *Store) Units(ctx context.Context) ([]Unit, error) {
	rows, err := s.db.Query(ctx, `SELECT `+unitCols+` FROM units ORDER BY code`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err())
}

// Unit returns one unit by id.
func (s *Store) Unit(ctx context.Context, id int64) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `SELECT `+unitCols+` FROM units WHERE id = $1`, id))
}

// UnitByCode returns one unit by its code.
func (s *Store) UnitByCode(ctx context.Context, code string) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `SELECT `+unitCols+` FROM units WHERE code = $1`, code))
}

// CreateUnit inserts a unit.
func (s *Store) CreateUnit(ctx context.Context, u Unit) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, contact_person, phone)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+unitCols,
		u.Code, u.Name, u.Kind, u.ParentID, u.ContactPerson, u.Phone))
}

// UpsertUnit inserts a unit or updates the one with the same code.
func (s *Store) UpsertUnit(ctx context.Context, u Unit) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `INSERT INTO units (code, name, kind, parent_id, contact_person, phone)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id,
			contact_person = EXCLUDED.contact_person, phone = EXCLUDED.phone, updated_at = now()
		RETURNING `+unitCols,
		u.Code, u.Name, u.Kind, u.ParentID, u.ContactPerson, u.Phone))
}

// UpdateUnit overwrites a unit's fields.
func (s *Store) UpdateUnit(ctx context.Context, u Unit) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `UPDATE units SET code = $2, name = $3, kind = $4, parent_id = $5,
		contact_person = $6, phone = $7, updated_at = now() WHERE id = $1 RETURNING `+unitCols,
		u.ID, u.Code, u.Name, u.Kind, u.ParentID, u.ContactPerson, u.Phone))
}

// UnitParentCycle reports whether making parent the parent of id would create a cycle.
func (s *Store) UnitParentCycle(ctx context.Context, id, parent int64) (bool, error) {
	var cyc bool
	err := s.db.QueryRow(ctx, `WITH RECURSIVE up(id, parent_id) AS (
			SELECT id, parent_id FROM units WHERE id = $2
			UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent_id)
		SELECT EXISTS (SELECT 1 FROM up WHERE id = $1)`, id, parent).Scan(&cyc)
	return cyc, mapErr(err)
}

// DeleteUnit deletes a unit; ErrReference if zones, assignments, users or child units still use it.
func (s *Store) DeleteUnit(ctx context.Context, id int64) (Unit, error) {
	return scanUnit(s.db.QueryRow(ctx, `DELETE FROM units WHERE id = $1 RETURNING `+unitCols, id))
}
