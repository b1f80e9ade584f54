-- +goose Up
-- Every write to a report (filing, each step of the loop, photos, imports) is recorded in report_events with
-- its actor, time and note; this copies each such step into the one audit log as well, so that "who changed
-- what, when" has a single answer across units, assets, zones, assignments, users and reports. A statement
-- trigger with a transition table keeps bulk imports to one extra INSERT per statement.
-- +goose StatementBegin
CREATE FUNCTION audit_report_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (at, actor_id, actor, action, entity, entity_id, before, after)
    SELECT e.at, e.actor_id, e.actor, 'report:' || e.action, 'report', e.report_id::text,
           CASE WHEN e.from_status = '' THEN NULL ELSE jsonb_build_object('status', e.from_status) END,
           jsonb_strip_nulls(jsonb_build_object('status', e.to_status, 'unit_id', e.unit_id, 'photo_id', e.photo_id,
               'note', NULLIF(e.note, ''), 'event_id', e.id))
    FROM new_events e;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER report_events_audit AFTER INSERT ON report_events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_report_events();

-- +goose Down
DROP TRIGGER report_events_audit ON report_events;
DROP FUNCTION audit_report_events();
