package loadgen

// The load generator's own SQL, for reconciling a run: it reads the reports table directly, as an auditor would,
// rather than through the API under test.

import (
	"context"

	"everymeter/store"
)

// KeyCount is one (reporter, idempotency key) group of the reports table, for reconciling a load run.
type KeyCount struct {
	ReporterID int64
	Key        *string // nil: reports filed without a key
	Count      int
	MinID      int64
	MaxID      int64
	Status     string // the status of the group's lowest id
}

// ReportKeyCounts groups every report filed by the given reporters by idempotency key, so a load generator can
// check its clients' logs against what the database holds: no acknowledged key missing, none stored twice (the
// unique index forbids it; this checks), and no report whose key no client sent.
func ReportKeyCounts(ctx context.Context, st *store.Store, reporterIDs []int64) ([]KeyCount, error) {
	rows, err := st.Pool.Query(ctx, `SELECT reporter_id, idempotency_key, count(*), min(id), max(id),
			(array_agg(status ORDER BY id))[1]
		FROM reports WHERE reporter_id = ANY($1)
		GROUP BY reporter_id, idempotency_key`, reporterIDs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KeyCount
	for rows.Next() {
		var k KeyCount
		if err := rows.Scan(&k.ReporterID, &k.Key, &k.Count, &k.MinID, &k.MaxID, &k.Status); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
