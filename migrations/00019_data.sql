-- +goose Up
-- Routing reasons in their parts (issue 17): each step an English format and its arguments as text, so a reason
-- renders in zh-CN or English when it is read. routing_reason keeps the English text; rows written before this
-- migration have no parts and render as their text.
ALTER TABLE reports ADD COLUMN routing_reason_parts jsonb;

-- +goose Down
ALTER TABLE reports DROP COLUMN routing_reason_parts;
