import type { Migration } from '../migrate';

/** Stock per (sku, warehouse) and allocations with their lines. */
export const migration001: Migration = {
  version: 1,
  name: 'stock_and_allocations',
  sql: `
-- Stock per (sku, warehouse): on hand and allocated. available = on_hand - allocated, never below
-- zero: the CHECK makes the database itself refuse any state that would break it.
CREATE TABLE stock (
  sku         text        NOT NULL,
  warehouse   text        NOT NULL,
  on_hand     integer     NOT NULL CHECK (on_hand >= 0),
  allocated   integer     NOT NULL DEFAULT 0 CHECK (allocated >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (sku, warehouse),
  CONSTRAINT stock_available_not_negative CHECK (allocated <= on_hand)
);

-- One allocation per order: order_id is the idempotency key, request_hash tells a retry of the
-- same request from a different request under the same order ID.
CREATE TABLE allocations (
  id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id      text        NOT NULL UNIQUE,
  status        text        NOT NULL CHECK (status IN ('allocated', 'released')),
  request_hash  text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  released_at   timestamptz
);

CREATE TABLE allocation_lines (
  allocation_id  uuid    NOT NULL REFERENCES allocations (id) ON DELETE CASCADE,
  line_no        integer NOT NULL,
  sku            text    NOT NULL,
  warehouse      text    NOT NULL,
  quantity       integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (allocation_id, line_no)
);
`,
};
