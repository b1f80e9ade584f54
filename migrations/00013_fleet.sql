-- +goose Up
-- Many servers over one primary (issue 12). Every unit of work that changes something takes the next number of
-- this sequence and sends the change as a NOTIFY, both as the last statement before its commit: the
-- notification is delivered only if the transaction commits. A sequence rather than a counter row, because a
-- row would make every writing transaction wait for the one before to commit (its WAL flush included) — the
-- measured cost of a chained audit log in 00011. Numbers are therefore taken, not committed, in order; a server
-- that sees a number missing for longer than a short grace (or that reconnects) resynchronises from the
-- database, and the rare number lost to a failed commit costs one needless resync.
CREATE SEQUENCE change_seq;
GRANT USAGE, SELECT ON SEQUENCE change_seq TO everymeter_app;

-- +goose Down
DROP SEQUENCE change_seq;
