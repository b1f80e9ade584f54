-- +goose Up
-- A full recompute empties the linear coverage tables and writes them again with COPY. Until autovacuum reaches
-- them the planner keeps the statistics it had before — for a first run, those of empty tables — and plans every
-- later edit's reads of a million pieces as if they were a handful: measured at 1,000,810 segments, zone edits
-- went from 9 to 226 ms (p50) and the summary from 47 to 489 ms for the minute or two until autoanalyze ran.
-- Only the owner may ANALYZE; the application role gets this one function, run after such a rewrite commits.
-- +goose StatementBegin
CREATE FUNCTION coverage_analyze() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
BEGIN
    ANALYZE coverage_pieces, coverage_support, coverage_rollup;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION coverage_analyze() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coverage_analyze() TO everymeter_app;

-- +goose Down
DROP FUNCTION coverage_analyze();
