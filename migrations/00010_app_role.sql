-- +goose Up
-- The server does not run as the schema's owner: it runs as everymeter_app, a role that owns nothing and may
-- read and write the application's tables but (from migration 00011 on) only append to the audit log. A
-- superuser or owner bypasses every privilege, so without this role "append-only" would mean nothing.
-- Roles belong to the whole cluster, so the role may already exist (another database, an earlier run, or a
-- database administrator who made it by hand for a runner without CREATEROLE).
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'everymeter_app') THEN
        CREATE ROLE everymeter_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
    -- The runner (the owner) connects and then SETs ROLE everymeter_app, which needs membership.
    IF NOT pg_has_role(current_user, 'everymeter_app', 'MEMBER') THEN
        EXECUTE format('GRANT everymeter_app TO %I', current_user);
    END IF;
END
$$;
-- +goose StatementEnd
GRANT USAGE ON SCHEMA public TO everymeter_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO everymeter_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO everymeter_app;
-- Tables that later migrations create (by the same runner) get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO everymeter_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO everymeter_app;
-- A full coverage recompute and a heat rebuild (heat_rebuild()) empty their derived tables with TRUNCATE.
GRANT TRUNCATE ON coverage_pieces, coverage_support, heat_cells, heat_cells_daily TO everymeter_app;
-- Read-only for the server: the schema version (serve checks it) and PostGIS's reference table.
REVOKE INSERT, UPDATE, DELETE ON goose_db_version FROM everymeter_app;
-- +goose StatementBegin
DO $$
BEGIN
    IF to_regclass('public.spatial_ref_sys') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE ON spatial_ref_sys FROM everymeter_app;
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM everymeter_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM everymeter_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM everymeter_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM everymeter_app;
REVOKE USAGE ON SCHEMA public FROM everymeter_app;
-- The role itself stays: other databases of the cluster may use it.
