-- The statements a worker process runs against the demo's PostgreSQL store, read by the workers
-- of every language: demo/postgres_store.rb (Ruby), demo/workers/python_worker.py and
-- demo/workers/node_worker.mjs. One copy of the claim and of the fence, so the rule that two
-- workers never take the same step, and that a stale attempt never writes, is written once.
--
-- Each statement follows a "-- name: NAME" line and runs with PostgreSQL's own placeholders
-- ($1, $2, ...). {assignments} and {key} are filled in by the reader: the columns a write sets
-- (their values are $6, $7, ...), and the products' key type (bigint or uuid, from key_type).

-- name: claim_next
-- A worker's claim, in one statement: the first worker step that is pending, or running on a
-- lease that expired (with attempts left), locked by the subquery with SKIP LOCKED so that a step
-- another worker is claiming right now is passed over, not waited for; then a new attempt, held
-- by the process $1 (its pid), in the language $4, until $2 seconds from now. $3: the attempts a
-- step may have. No row: nothing to take. The last three columns are what the claim took over
-- (a running state means an expired lease: that attempt's holder and deadline).
UPDATE workflow_steps s
SET state = 'running', attempts = s.attempts + 1, claimed_by = $1::text, worker_language = $4::text,
    lease_expires_at = clock_timestamp() + make_interval(secs => $2::float8), updated_at = clock_timestamp()
FROM (SELECT workflow_step_id, state, attempts, claimed_by, lease_expires_at
      FROM workflow_steps
      WHERE role = 'worker'
        AND (state = 'pending' OR (state = 'running' AND lease_expires_at < clock_timestamp() AND attempts < $3::integer))
      ORDER BY name
      LIMIT 1
      FOR UPDATE SKIP LOCKED) taken
WHERE s.workflow_step_id = taken.workflow_step_id
RETURNING s.name, s.role, s.state, s.attempts, s.inputs::text, s.results::text, s.checkpoint::text, s.error,
          taken.state, taken.claimed_by, extract(epoch FROM taken.lease_expires_at)

-- name: write_attempt
-- A write of the attempt $2 of the step $1 (a checkpoint, a completion, a failure, a refusal):
-- sets the columns given ($6, $7, ...), renews the lease by $3 seconds and logs the event $4 with the detail $5,
-- in one statement. Its UPDATE lands only while the step is still running that attempt: one row
-- means written, none means the step has moved on and the attempt is fenced.
WITH moved AS (
  UPDATE workflow_steps
  SET {assignments}, lease_expires_at = clock_timestamp() + make_interval(secs => $3::float8),
      updated_at = clock_timestamp()
  WHERE name = $1::text AND state = 'running' AND attempts = $2::integer
  RETURNING name)
INSERT INTO step_events (at, step, attempt, event, detail)
SELECT extract(epoch FROM clock_timestamp()), name, $2::integer, $4::text, $5::jsonb FROM moved

-- name: record_event
-- An event of the step $1, attempt $2 (or null): $3 with the detail $4.
INSERT INTO step_events (at, step, attempt, event, detail)
VALUES (extract(epoch FROM clock_timestamp()), $1::text, $2::integer, $3::text, $4::jsonb)

-- name: work_remaining
-- A row while a worker step is still to be done or being done.
SELECT 1 FROM workflow_steps WHERE role = 'worker' AND state IN ('pending', 'running') LIMIT 1

-- name: expire_exhausted
-- Fails the running worker steps whose lease expired with no attempt left ($1: the attempts a
-- step may have): nobody may take them.
WITH exhausted AS (
  UPDATE workflow_steps
  SET state = 'failed', error = 'the lease of attempt ' || attempts || ' expired and no attempt is left',
      updated_at = clock_timestamp()
  WHERE role = 'worker' AND state = 'running' AND lease_expires_at < clock_timestamp() AND attempts >= $1::integer
  RETURNING name, attempts, error)
INSERT INTO step_events (at, step, attempt, event, detail)
SELECT extract(epoch FROM clock_timestamp()), name, attempts, 'failed', jsonb_build_object('error', error) FROM exhausted

-- name: key_type
-- The type of the products' key: bigint or uuid.
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'products'::regclass AND attname = 'id'

-- name: products
-- Up to $3 [id as text, price_cents] rows with $1 <= id < $2 (a null $2: open end), in key order
-- (the key's, not its text's: `products.id`, because a bare `id` would name the text column).
SELECT id::text, price_cents FROM products
WHERE id >= $1::{key} AND ($2::{key} IS NULL OR id < $2::{key})
ORDER BY products.id
LIMIT $3::integer
