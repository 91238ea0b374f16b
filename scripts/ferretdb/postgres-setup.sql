-- Applied by scripts/services.sh to FerretDB's PostgreSQL database on every
-- start of the test cluster (idempotent).
--
-- FerretDB v1 pushes an equality filter down as `_jsonb -> '_id' @> '"x"'`
-- (@> so that arrays match their elements like MongoDB). Its own `_id_` index
-- is a btree on `(_jsonb -> '_id')`, which @> cannot use, so every find,
-- update and delete by _id is a sequential scan and slows down linearly as a
-- collection grows. A GIN index on the same expression serves @>, and
-- plan_cache_mode=force_custom_plan (set on the server command line) lets the
-- planner see the constant key that FerretDB sends as a query parameter.
-- FerretDB never sees these indexes (it lists indexes from its own metadata),
-- and they change no results: `_id` uniqueness is still FerretDB's btree.

CREATE OR REPLACE FUNCTION public.mediaflow_index_id(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L) jsonb_path_ops)',
                 'mediaflow_id_gin_' || tbl::oid, tbl, '_id');
END
$$;

CREATE OR REPLACE FUNCTION public.mediaflow_on_create_table() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands()
           WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    IF EXISTS (SELECT 1 FROM pg_attribute
               WHERE attrelid = r.objid AND attname = '_jsonb' AND NOT attisdropped) THEN
      PERFORM public.mediaflow_index_id(r.objid::regclass);
    END IF;
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS mediaflow_index_id;
CREATE EVENT TRIGGER mediaflow_index_id ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION public.mediaflow_on_create_table();

-- Tables created before this file was applied.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT c.oid FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = '_jsonb' AND NOT a.attisdropped
           WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') LOOP
    PERFORM public.mediaflow_index_id(r.oid::regclass);
  END LOOP;
END
$$;
