-- +goose Up
-- Sign-in throttling lives in the database, not in one server's memory, so that several servers over one
-- database throttle together and a restart forgets nothing. One row per throttled key: an (account, address)
-- pair, an address, or an account; the service decides what the counts mean (service/loginguard.go).
CREATE TABLE login_throttles (
    id            bigserial PRIMARY KEY,
    key           text NOT NULL UNIQUE,
    scope         text NOT NULL CHECK (scope IN ('account-address', 'address', 'account')),
    username      text NOT NULL DEFAULT '',
    addr          text NOT NULL DEFAULT '',
    failures      integer NOT NULL DEFAULT 0,
    first_at      timestamptz NOT NULL DEFAULT now(),
    last_at       timestamptz NOT NULL DEFAULT now(),
    blocked_until timestamptz,            -- refused until then (null: not blocked)
    expires_at    timestamptz NOT NULL    -- the row is forgotten after this
);
CREATE INDEX login_throttles_expires_idx ON login_throttles (expires_at);

-- Failed attempts since the last sign-in, shown to the user when they next sign in (and kept with the session,
-- so /auth/me can show it too).
ALTER TABLE users ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
    ADD COLUMN last_login_at timestamptz;
ALTER TABLE sessions ADD COLUMN failed_before integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sessions DROP COLUMN failed_before;
ALTER TABLE users DROP COLUMN failed_logins, DROP COLUMN last_login_at;
DROP TABLE login_throttles;
