package store

import "context"

// SourceAssetCount returns how many assets carry the given source (the demo town's marker).
func (s *Store) SourceAssetCount(ctx context.Context, source string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM assets WHERE source = $1`, source).Scan(&n)
	return n, mapErr(err)
}

// SourceReportCount returns how many reports of a source have a source_id starting with prefix (the demo's
// county life marks its reports so), only those in the given statuses when any are given.
func (s *Store) SourceReportCount(ctx context.Context, source, prefix string, statuses ...string) (int64, error) {
	var n int64
	err := s.db.QueryRow(ctx, `SELECT count(*) FROM reports WHERE source = $1 AND starts_with(source_id, $2)
		AND (COALESCE(cardinality($3::text[]), 0) = 0 OR status = ANY($3))`, source, prefix, statuses).Scan(&n)
	return n, mapErr(err)
}
