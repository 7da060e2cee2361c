-- The statements a worker process runs against the demo's SQLite store, read by the workers of
-- every language that has a SQLite driver here: demo/sqlite_store.rb (Ruby) and
-- demo/workers/python_worker.py (Python's standard sqlite3). One copy of the claim and of the
-- fence, as demo/sql/postgres.sql is for PostgreSQL.
--
-- Each statement follows a "-- name: NAME" line and takes named parameters (:name), which every
-- SQLite driver here binds. SQLite has one writer at a time: a claim is claim_pick and
-- claim_take (and step_row) in one BEGIN IMMEDIATE transaction, and a write of an attempt is
-- write_attempt and record_event in one. {assignments} is filled in by the reader: the columns a
-- write sets, each `column = :column`. :now is the writer's clock (seconds since the epoch).

-- name: claimable
-- A row while a worker step may be claimed: pending, or running on a lease that expired with
-- attempts left (:max_attempts: the attempts a step may have). Read before the write lock is
-- taken, so that idle workers do not queue for it.
SELECT 1 FROM workflow_steps
WHERE role = 'worker' AND (state = 'pending' OR (state = 'running' AND lease_expires_at < :now AND attempts < :max_attempts))
LIMIT 1

-- name: claim_pick
-- Inside the claim's transaction: the first claimable step, and what the claim takes over (a
-- running state means an expired lease: that attempt's holder and deadline).
SELECT name, state, attempts, claimed_by, lease_expires_at FROM workflow_steps
WHERE role = 'worker' AND (state = 'pending' OR (state = 'running' AND lease_expires_at < :now AND attempts < :max_attempts))
ORDER BY name
LIMIT 1

-- name: claim_take
-- Inside the claim's transaction: the picked step becomes a new attempt, held by the process
-- :holder (its pid), in the language :language, until :lease seconds from now.
UPDATE workflow_steps
SET state = 'running', attempts = attempts + 1, claimed_by = :holder, worker_language = :language,
    lease_expires_at = :now + :lease, updated_at = :now
WHERE name = :name

-- name: step_row
SELECT name, role, state, attempts, inputs, results, checkpoint, error FROM workflow_steps WHERE name = :name

-- name: write_attempt
-- A write of the attempt :attempt of the step :name: sets the columns given, and renews the lease
-- by :lease seconds. It lands only while the step is still running that attempt: one row changed
-- means written (record_event follows in the same transaction), none means the step has moved
-- on and the attempt is fenced.
UPDATE workflow_steps
SET {assignments}, lease_expires_at = :now + :lease, updated_at = :now
WHERE name = :name AND state = 'running' AND attempts = :attempt

-- name: record_event
INSERT INTO step_events (at, step, attempt, event, detail) VALUES (:now, :step, :attempt, :event, :detail)

-- name: work_remaining
-- A row while a worker step is still to be done or being done.
SELECT 1 FROM workflow_steps WHERE role = 'worker' AND state IN ('pending', 'running') LIMIT 1

-- name: log_exhausted
-- With fail_exhausted, in one transaction: the running worker steps whose lease expired with no
-- attempt left (:max_attempts) are failed, and each gets its event. This one logs them first.
INSERT INTO step_events (at, step, attempt, event, detail)
SELECT :now, name, attempts, 'failed',
       json_object('error', 'the lease of attempt ' || attempts || ' expired and no attempt is left')
FROM workflow_steps
WHERE role = 'worker' AND state = 'running' AND lease_expires_at < :now AND attempts >= :max_attempts

-- name: fail_exhausted
UPDATE workflow_steps
SET state = 'failed', error = 'the lease of attempt ' || attempts || ' expired and no attempt is left', updated_at = :now
WHERE role = 'worker' AND state = 'running' AND lease_expires_at < :now AND attempts >= :max_attempts

-- name: products
-- Up to :limit [id, price_cents] rows with :start <= id < :before (a null :before: open end), in
-- key order. Canonical UUIDs are lowercase hex at fixed positions, so their text order is their
-- numeric order.
SELECT id, price_cents FROM products
WHERE id >= :start AND (:before IS NULL OR id < :before)
ORDER BY id
LIMIT :limit
