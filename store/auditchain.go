package store

import (
	"context"
	"time"
)

// AuditEntry is one audit-log row as the hash chain covers it; JSON values come as PostgreSQL's text of the
// jsonb (canonical: keys sorted, no insignificant space), which is what the chain hashed.
type AuditEntry struct {
	ID       int64
	Seq      *int64 // nil: not sealed yet
	At       time.Time
	ActorID  *int64
	Actor    string
	Action   string
	Entity   string
	EntityID string
	Before   *string
	After    *string
	PrevHash []byte
	Hash     []byte
}

// EachAuditEntry returns the chain head (the sequence number and hash of the last entry appended) and calls fn
// for every sealed audit-log row in chain order, stopping at the first error fn returns. Head and rows come from one snapshot, so entries committed meanwhile are not half-seen.
func (s *Store) EachAuditEntry(ctx context.Context, fn func(AuditEntry) error) (headSeq int64, headHash []byte, err error) {
	err = s.WithTx(ctx, func(tx *Store) error {
		if _, err := tx.db.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
			return mapErr(err)
		}
		if _, err := tx.db.Exec(ctx, `SET LOCAL statement_timeout = 0`); err != nil {
			return mapErr(err)
		}
		if err := tx.db.QueryRow(ctx, `SELECT seq, hash FROM audit_chain WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
			return mapErr(err)
		}
		rows, err := tx.db.Query(ctx, `SELECT id, seq, at, actor_id, actor, action, entity, entity_id, before::text, after::text,
			prev_hash, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq`)
		if err != nil {
			return mapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			if err := rows.Scan(&e.ID, &e.Seq, &e.At, &e.ActorID, &e.Actor, &e.Action, &e.Entity, &e.EntityID, &e.Before, &e.After,
				&e.PrevHash, &e.Hash); err != nil {
				return mapErr(err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return mapErr(rows.Err())
	})
	return headSeq, headHash, err
}

// SealAudit chains audit rows written since the last seal (up to 10000 a call, through audit_seal(), which runs
// as the schema's owner) and returns how many it sealed.
func (s *Store) SealAudit(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT audit_seal()`).Scan(&n)
	return n, mapErr(err)
}
