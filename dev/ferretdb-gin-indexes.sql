-- Indexes FerretDB 1.x can use, in the embedded PostgreSQL (database `ferretdb`); applied by
-- dev/embedded.ts at every start, so it is idempotent.
--
-- FerretDB 1.x on PostgreSQL pushes an equality filter `{field: value}` (`{_id: …}` included)
-- down as `_jsonb->'field' @> value`, while it makes each MongoDB index, `_id`'s too, a btree on
-- `_jsonb->'field'`. A btree cannot answer `@>`, so every query scans its whole table and costs
-- more as the table grows (docs/BENCHMARKS.md, "Queries as data grows"). A GIN index
-- (jsonb_path_ops) on the same expression answers `@>`: this gives every btree expression index
-- FerretDB creates a GIN sibling, through an event trigger, and backfills indexes created before.
-- Nothing changes for orderflow, which sees only the MongoDB wire protocol; real MongoDB needs
-- none of this. A sibling outlives a single dropped index (dropping the collection drops both):
-- it then costs only write time.

-- "already exists, skipping" is the expected answer to a repeated start, not news.
SET client_min_messages = warning;

-- A GIN sibling for each key expression of `btree` (nothing for other indexes). The sibling's
-- name is derived from its table and expression, so two btrees sharing a key share a sibling.
CREATE OR REPLACE FUNCTION public.orderflow_gin_siblings(btree oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  tbl regclass;
  keys int;
  expr text;
BEGIN
  SELECT x.indrelid, x.indnkeyatts INTO tbl, keys
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_am am ON am.oid = i.relam
   WHERE x.indexrelid = btree AND am.amname = 'btree' AND x.indexprs IS NOT NULL;
  IF tbl IS NULL THEN
    RETURN;
  END IF;
  FOR col IN 1..keys LOOP
    expr := pg_get_indexdef(btree, col, false);
    -- Only FerretDB's document column: `((_jsonb -> 'field'::text))`, `_jsonb #> …`.
    CONTINUE WHEN ltrim(expr, '(') NOT LIKE '\_jsonb %';
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s jsonb_path_ops)',
      'gin_' || md5(tbl::text || ' ' || expr),
      tbl,
      expr
    );
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION public.orderflow_gin_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index'
  LOOP
    -- The sibling's own CREATE INDEX comes back here too: it is no btree, so it stops there.
    PERFORM public.orderflow_gin_siblings(created.objid);
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS orderflow_gin_siblings;
CREATE EVENT TRIGGER orderflow_gin_siblings ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX', 'CREATE TABLE')
  EXECUTE FUNCTION public.orderflow_gin_on_create_index();

-- Indexes made before this trigger existed (a cluster from an earlier run).
SELECT public.orderflow_gin_siblings(x.indexrelid)
  FROM pg_index x
  JOIN pg_class c ON c.oid = x.indrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast');
