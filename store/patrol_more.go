package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"everymeter/domain"
)

// CheckinStretch is the stretch a check-in lands on: the nearest asset of the kinds, or the named one.
type CheckinStretch struct {
	AssetID    int64
	Name, Kind string
	AtM        *float64
	DistanceM  *float64
}

// NearestStretch returns the asset of the given kinds nearest to p (by geodesic distance, among the few nearest
// by the index's order), with where along it p falls; ErrNotFound when there is none.
func (s *Store) NearestStretch(ctx context.Context, p orb.Point, kinds []string) (CheckinStretch, error) {
	var c CheckinStretch
	err := s.db.QueryRow(ctx, `WITH pt AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS g),
		near AS (SELECT a.id, a.name, a.kind, a.length_m, a.geom FROM assets a, pt WHERE a.kind = ANY($3)
			ORDER BY a.geom <-> pt.g LIMIT 8)
		SELECT near.id, near.name, near.kind,
			CASE WHEN GeometryType(near.geom) = 'LINESTRING' THEN ST_LineLocatePoint(near.geom, pt.g) * near.length_m END,
			ST_Distance(near.geom::geography, pt.g::geography) AS d
		FROM near, pt ORDER BY d, near.id LIMIT 1`, p[0], p[1], kinds).Scan(&c.AssetID, &c.Name, &c.Kind, &c.AtM, &c.DistanceM)
	return c, mapErr(err)
}

// StretchByID returns an asset of the given kinds as a check-in's stretch; ErrNotFound for another id.
func (s *Store) StretchByID(ctx context.Context, id int64, kinds []string) (CheckinStretch, error) {
	c := CheckinStretch{AssetID: id}
	err := s.db.QueryRow(ctx, `SELECT name, kind FROM assets WHERE id = $1 AND kind = ANY($2)`, id, kinds).Scan(&c.Name, &c.Kind)
	return c, mapErr(err)
}

// InsertCheckin records a check-in at a stretch.
func (s *Store) InsertCheckin(ctx context.Context, userID int64, role string, c CheckinStretch, at time.Time) (domain.Checkin, error) {
	out := domain.Checkin{UserID: userID, Role: role, AssetID: c.AssetID, Name: c.Name, Kind: c.Kind, AtM: c.AtM, DistanceM: c.DistanceM}
	err := s.db.QueryRow(ctx, `INSERT INTO patrol_checkins (user_id, role, asset_id, at_m, at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id, at`, userID, role, c.AssetID, c.AtM, at).Scan(&out.ID, &out.At)
	return out, mapErr(err)
}

// onUnit is the condition "asset a is led, at least in part, by unit $n (or no unit is asked for)".
func onUnit(n string) string {
	return `($` + n + `::bigint IS NULL OR EXISTS (SELECT 1 FROM coverage_pieces cp WHERE cp.asset_id = a.id AND $` + n + ` = ANY(cp.unit_ids)))`
}

// Presence returns, per asset of the kinds (led by the unit, when one is given), the walks, check-ins and
// distinct people of the given roles on it in [from, to).
func (s *Store) Presence(ctx context.Context, from, to time.Time, kinds []string, unitID *int64, roles []string) ([]domain.PresenceStretch, error) {
	rows, err := s.db.Query(ctx, `WITH net AS (SELECT a.id, a.name, a.kind FROM assets a WHERE a.kind = ANY($3) AND `+onUnit("4")+`),
		w AS (SELECT asset_id, patrol_id, user_id FROM patrol_pieces WHERE role = ANY($5) AND last_at >= $1 AND first_at < $2),
		c AS (SELECT asset_id, user_id FROM patrol_checkins WHERE role = ANY($5) AND at >= $1 AND at < $2),
		wa AS (SELECT asset_id, count(DISTINCT patrol_id) AS n FROM w GROUP BY asset_id),
		ca AS (SELECT asset_id, count(*) AS n FROM c GROUP BY asset_id),
		ua AS (SELECT asset_id, count(DISTINCT user_id) AS n FROM (SELECT asset_id, user_id FROM w UNION ALL SELECT asset_id, user_id FROM c) x GROUP BY asset_id)
		SELECT net.id, net.name, net.kind, COALESCE(wa.n, 0), COALESCE(ca.n, 0), COALESCE(ua.n, 0)
		FROM net LEFT JOIN wa ON wa.asset_id = net.id LEFT JOIN ca ON ca.asset_id = net.id LEFT JOIN ua ON ua.asset_id = net.id
		ORDER BY net.id`, from, to, kinds, unitID, roles)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PresenceStretch, error) {
		var p domain.PresenceStretch
		err := r.Scan(&p.AssetID, &p.Name, &p.Kind, &p.Walks, &p.Checkins, &p.Volunteers)
		p.Present = p.Walks+p.Checkins > 0
		return p, err
	})
	return out, mapErr(err)
}

// PatrolTargets returns the frequency targets, by kind.
func (s *Store) PatrolTargets(ctx context.Context) ([]domain.PatrolTarget, error) {
	rows, err := s.db.Query(ctx, `SELECT kind, every_days, min_percent FROM patrol_targets ORDER BY kind`)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.PatrolTarget, error) {
		var t domain.PatrolTarget
		return t, r.Scan(&t.Kind, &t.EveryDays, &t.MinPercent)
	})
	return out, mapErr(err)
}

// SetPatrolTarget creates or replaces the target of a kind.
func (s *Store) SetPatrolTarget(ctx context.Context, t domain.PatrolTarget, by int64) error {
	var who *int64
	if by != 0 {
		who = &by
	}
	_, err := s.db.Exec(ctx, `INSERT INTO patrol_targets (kind, every_days, min_percent, updated_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kind) DO UPDATE SET every_days = excluded.every_days, min_percent = excluded.min_percent,
			updated_by = excluded.updated_by, updated_at = now()`, t.Kind, t.EveryDays, t.MinPercent, who)
	return mapErr(err)
}

// islands is the gaps-and-islands step over a CTE pp(…, from_m, to_m), as in patrolUnion but partitioned by the
// given columns: pm adds the reach of the earlier pieces of the partition, pg numbers the islands (a piece starts
// one when it begins after all earlier ones ended).
func islands(by string) string {
	return `pm AS (
			SELECT *, max(to_m) OVER (PARTITION BY ` + by + ` ORDER BY from_m, to_m ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
			FROM pp),
		pg AS (
			SELECT *, sum(CASE WHEN reach >= from_m THEN 0 ELSE 1 END) OVER (PARTITION BY ` + by + ` ORDER BY from_m, to_m) AS island
			FROM pm)`
}

// ComplianceUnitRow is one unit's sums behind its 巡查达标率: Σ lead_m × met periods over Σ lead_m × periods.
type ComplianceUnitRow struct {
	UnitID            int64
	Name              string
	Stretches         int
	LeadM, MetM, AllM float64
}

// PatrolCompliance returns, for the days whole days from from (a midnight), per stretch of the kinds that have
// a target (and, for a unit, that it leads) its periods and met periods, and per unit the sums of its rate. A
// period of a stretch is met when the pieces walked by the roles in it cover at least the target's share of the
// stretch (of the unit's own meters of it, for the unit's rate); a meter walked twice counts once.
func (s *Store) PatrolCompliance(ctx context.Context, from time.Time, days int, kinds []string, unitID *int64, roles []string) ([]domain.PatrolComplianceStretch, []ComplianceUnitRow, error) {
	// $1 from, $2 days, $3 kinds, $4 unit, $5 roles. Each piece falls in the periods its [first_at, last_at]
	// overlaps (computed, not joined against every period), then the union per asset and period
	// (gaps-and-islands, as patrolUnion).
	rows, err := s.db.Query(ctx, `WITH net AS (
			SELECT a.id, a.kind, a.name, a.length_m, t.every_days, t.min_percent, ($2::int / t.every_days) AS periods
			FROM assets a JOIN patrol_targets t ON t.kind = a.kind WHERE a.kind = ANY($3) AND a.length_m > 0),
		pp AS (
			SELECT p.asset_id, g.n, p.from_m, p.to_m
			FROM patrol_pieces p JOIN net ON net.id = p.asset_id,
				generate_series(GREATEST(0, floor(extract(epoch FROM p.first_at - $1) / 86400 / net.every_days))::int,
					LEAST(net.periods - 1, floor(extract(epoch FROM p.last_at - $1) / 86400 / net.every_days))::int) AS g(n)
			WHERE p.role = ANY($5) AND p.last_at >= $1 AND p.first_at < $1 + make_interval(days => $2::int)),
		`+islands("asset_id, n")+`,
		pu AS (SELECT asset_id, n, min(from_m) AS f, max(to_m) AS t FROM pg GROUP BY asset_id, n, island),
		am AS (
			SELECT pu.asset_id, pu.n FROM pu JOIN net ON net.id = pu.asset_id
			GROUP BY pu.asset_id, pu.n, net.length_m, net.min_percent
			HAVING sum(GREATEST(0, LEAST(pu.t, net.length_m) - GREATEST(pu.f, 0))) >= net.min_percent / 100 * net.length_m),
		cpu AS (
			SELECT cp.asset_id, u.unit_id, cp.from_m, cp.to_m FROM coverage_pieces cp JOIN net ON net.id = cp.asset_id,
				unnest(cp.unit_ids) AS u(unit_id)
			WHERE $4::bigint IS NULL OR u.unit_id = $4),
		own AS (SELECT asset_id, unit_id, sum(to_m - from_m) AS lead_m FROM cpu GROUP BY asset_id, unit_id HAVING sum(to_m - from_m) > 0),
		ow AS (
			SELECT cpu.asset_id, cpu.unit_id, pu.n, sum(GREATEST(0, LEAST(pu.t, cpu.to_m) - GREATEST(pu.f, cpu.from_m))) AS walked
			FROM cpu JOIN pu ON pu.asset_id = cpu.asset_id AND pu.f < cpu.to_m AND pu.t > cpu.from_m
			GROUP BY cpu.asset_id, cpu.unit_id, pu.n),
		um AS (
			SELECT ow.asset_id, ow.unit_id, count(*) AS met FROM ow JOIN own USING (asset_id, unit_id) JOIN net ON net.id = ow.asset_id
			WHERE ow.walked >= net.min_percent / 100 * own.lead_m GROUP BY ow.asset_id, ow.unit_id)
		SELECT 'asset', net.id, net.name, net.kind, net.length_m, net.periods::bigint, COALESCE(m.met, 0)::float8, 0::float8
		FROM net LEFT JOIN (SELECT asset_id, count(*) AS met FROM am GROUP BY asset_id) m ON m.asset_id = net.id
		WHERE $4::bigint IS NULL OR EXISTS (SELECT 1 FROM own WHERE own.asset_id = net.id)
		UNION ALL
		SELECT 'unit', own.unit_id, un.name, '', sum(own.lead_m), count(*), sum(own.lead_m * COALESCE(um.met, 0)), sum(own.lead_m * net.periods)
		FROM own JOIN net ON net.id = own.asset_id JOIN units un ON un.id = own.unit_id LEFT JOIN um USING (asset_id, unit_id)
		GROUP BY own.unit_id, un.name
		ORDER BY 1, 2`, from, days, kinds, unitID, roles)
	if err != nil {
		return nil, nil, mapErr(err)
	}
	defer rows.Close()
	stretches, units := []domain.PatrolComplianceStretch{}, []ComplianceUnitRow{}
	for rows.Next() {
		var what, name, kind string
		var id, n int64
		var m, met, all float64
		if err := rows.Scan(&what, &id, &name, &kind, &m, &n, &met, &all); err != nil {
			return nil, nil, mapErr(err)
		}
		if what == "asset" {
			stretches = append(stretches, domain.PatrolComplianceStretch{AssetID: id, Name: name, Kind: kind, LengthM: m, Periods: int(n), Met: int(met)})
		} else {
			units = append(units, ComplianceUnitRow{UnitID: id, Name: name, Stretches: int(n), LeadM: m, MetM: met, AllM: all})
		}
	}
	return stretches, units, mapErr(rows.Err())
}

// InspectorPatrols returns per walker of the roles (and every inspector) in [from, to): patrols, meters matched
// (repeats counted), network meters (a meter walked twice once) and reports filed.
func (s *Store) InspectorPatrols(ctx context.Context, from, to time.Time, roles []string) ([]domain.InspectorPatrol, error) {
	rows, err := s.db.Query(ctx, `WITH pp AS (
			SELECT p.user_id, p.patrol_id, p.asset_id, p.from_m, LEAST(p.to_m, a.length_m) AS to_m
			FROM patrol_pieces p JOIN assets a ON a.id = p.asset_id
			WHERE p.last_at >= $1 AND p.first_at < $2 AND p.role = ANY($3)),
		`+islands("user_id, asset_id")+`,
		nu AS (
			SELECT user_id, sum(GREATEST(0, t - f)) AS m FROM (
				SELECT user_id, min(from_m) AS f, max(to_m) AS t FROM pg GROUP BY user_id, asset_id, island) x GROUP BY user_id),
		wk AS (SELECT user_id, count(DISTINCT patrol_id) AS n, sum(GREATEST(0, to_m - from_m)) AS m FROM pp GROUP BY user_id),
		rp AS (SELECT reporter_id AS user_id, count(*) AS n FROM reports
			WHERE created_at >= $1 AND created_at < $2 AND reporter_id IS NOT NULL GROUP BY reporter_id)
		SELECT u.id, u.username, COALESCE(wk.n, 0), COALESCE(wk.m, 0), COALESCE(nu.m, 0), COALESCE(rp.n, 0)
		FROM users u LEFT JOIN wk ON wk.user_id = u.id LEFT JOIN nu ON nu.user_id = u.id LEFT JOIN rp ON rp.user_id = u.id
		WHERE u.role = 'inspector' OR wk.user_id IS NOT NULL
		ORDER BY u.username`, from, to, roles)
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.InspectorPatrol, error) {
		var p domain.InspectorPatrol
		var m, nm float64
		err := r.Scan(&p.UserID, &p.Username, &p.Patrols, &m, &nm, &p.Reports)
		p.Km, p.NetworkKm = m/1000, nm/1000
		if p.Km > 0 {
			v := float64(p.Reports) / p.Km
			p.ReportsPerKm = &v
		}
		return p, err
	})
	return out, mapErr(err)
}
