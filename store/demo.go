package store

import "context"

// SourceAssetCount returns how many assets carry the given source (the demo town's marker).
func (s *Store) SourceAssetCount(ctx context.Context, source string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets WHERE source = $1`, source).Scan(&n)
	return n, mapErr(err)
}
