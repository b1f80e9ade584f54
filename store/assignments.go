package store

import (
	"context"

	"everymeter/domain"
)

// Assignment is domain.Assignment (the definition moved to package domain).
type Assignment = domain.Assignment

const assignmentCols = `id, asset_id, unit_id, from_m, to_m, role, person, phone, valid_from, valid_to, created_at, updated_at, side`

func scanAssignment(r interface{ Scan(...any) error }) (Assignment, error) {
	var a Assignment
	err := r.Scan(&a.ID, &a.AssetID, &a.UnitID, &a.FromM, &a.ToM, &a.Role, &a.Person, &a.Phone, &a.ValidFrom, &a.ValidTo, &a.CreatedAt, &a.UpdatedAt, &a.Side)
	return a, mapErr(err)
}

// CreateAssignment inserts an assignment.
func (s *Store) CreateAssignment(ctx context.Context, a Assignment) (Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `INSERT INTO assignments (asset_id, unit_id, from_m, to_m, role, person, phone, valid_from, valid_to, side)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE(NULLIF($10, ''), 'both')) RETURNING `+assignmentCols,
		a.AssetID, a.UnitID, a.FromM, a.ToM, a.Role, a.Person, a.Phone, a.ValidFrom, a.ValidTo, a.Side))
}

// Assignment returns one assignment.
func (s *Store) Assignment(ctx context.Context, id int64) (Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `SELECT `+assignmentCols+` FROM assignments WHERE id = $1`, id))
}

// AssignmentForUpdate returns one assignment, locked for the transaction.
func (s *Store) AssignmentForUpdate(ctx context.Context, id int64) (Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `SELECT `+assignmentCols+` FROM assignments WHERE id = $1 FOR UPDATE`, id))
}

// UpdateAssignment overwrites an assignment.
func (s *Store) UpdateAssignment(ctx context.Context, a Assignment) (Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `UPDATE assignments SET unit_id = $2, from_m = $3, to_m = $4, role = $5,
		person = $6, phone = $7, valid_from = $8, valid_to = $9, side = COALESCE(NULLIF($10, ''), side), updated_at = now()
		WHERE id = $1 RETURNING `+assignmentCols,
		a.ID, a.UnitID, a.FromM, a.ToM, a.Role, a.Person, a.Phone, a.ValidFrom, a.ValidTo, a.Side))
}

// DeleteAssignment deletes an assignment.
func (s *Store) DeleteAssignment(ctx context.Context, id int64) (Assignment, error) {
	return scanAssignment(s.db.QueryRow(ctx, `DELETE FROM assignments WHERE id = $1 RETURNING `+assignmentCols, id))
}

// AssignmentsOf lists an asset's assignments ordered by from_m.
func (s *Store) AssignmentsOf(ctx context.Context, assetID int64) ([]Assignment, error) {
	rows, err := s.db.Query(ctx, `SELECT `+assignmentCols+` FROM assignments WHERE asset_id = $1 ORDER BY from_m, id`, assetID)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []Assignment{}
	for rows.Next() {
		a, err := scanAssignment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}
