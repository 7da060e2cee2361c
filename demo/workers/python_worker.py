"""A worker process in Python, as one would run on a machine of its own:

    python demo/workers/python_worker.py STORE LEASE_SECONDS MAX_ATTEMPTS

The same worker as demo/worker.rb (Ruby) and demo/workers/node_worker.mjs (Node), on the same
store, through the tasker-batch Python package (bindings/python): on PostgreSQL with psycopg 3,
on SQLite with the standard library's sqlite3. STORE is the store's postgresql:// URL (its schema
named in libpq's `options`) or its SQLite file. The worker opens its own connection and claims
worker steps itself, one at a time, with the claim every language runs (demo/sql/postgres.sql,
demo/sql/sqlite.sql), until none is left to do. For each claimed step the package reads
its BatchWorkerContext from the stored inputs and results (a step taken over from an expired
lease first gets what reset_for_retry keeps), the worker sums its range from the resume cursor
on, and each checkpoint is what write_checkpoint returned, stored with the attempt's fenced
write. The worker decides nothing about cursors, ranges or checkpoints itself.

The exit status says how the process ended, as the Ruby worker's does: 0 no work left; 3 it lost
its database connection; 4 a write of its attempt was refused (fenced).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, List, Optional

import psycopg
import tasker_batch as tb

LANGUAGE = "python"
IDLE_SECONDS = 0.05
LOST_CONNECTION = 3
FENCED = 4
JSON_COLUMNS = ("inputs", "results", "checkpoint")
SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def load_sql(path: Path) -> Dict[str, str]:
    """The named statements of a demo/sql file (each after a "-- name: NAME" line)."""
    statements: Dict[str, List[str]] = {}
    current: Optional[List[str]] = None
    for line in path.read_text().splitlines():
        marker = re.fullmatch(r"-- name: (\w+)\s*", line)
        if marker:
            current = statements[marker.group(1)] = []
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip() for name, lines in statements.items()}


POSTGRES_SQL = load_sql(SQL_DIR / "postgres.sql")
SQLITE_SQL = load_sql(SQL_DIR / "sqlite.sql")


class Fenced(Exception):
    """A write of an attempt that no longer owns its step: refused, and the attempt stops."""


class Unusable(Exception):
    """A step whose stored data cannot be used: it is not run."""


class Step:
    """A claimed worker step: what the package reads (inputs, results, checkpoint: parsed JSON)
    and the attempt that holds it, with its lease (seconds)."""

    def __init__(self, name: str, attempts: int, lease: float, inputs: Any, results: Any, checkpoint: Any) -> None:
        self.name = name
        self.attempts = attempts
        self.lease = lease
        self.inputs = inputs
        self.results = results
        self.checkpoint = checkpoint


def parse_json(text: Optional[str]) -> Any:
    # JSONB comes back as text; what it holds is the core's to judge (an object or not).
    return None if text is None else json.loads(text)


class AttemptWrites:
    """The writes of a worker attempt, the same on every store (as demo/store.rb's AttemptWrites):
    each is a fenced write_attempt of the store."""

    def save_checkpoint(self, step: Step, results: Dict[str, Any]) -> None:
        """The results write_checkpoint returned, the same checkpoint in the checkpoint column,
        and its event, at once."""
        checkpoint = {"cursor": results["checkpoint_cursor"], "items_processed": results["processed_count"],
                      "accumulated_results": results.get("accumulated_results")}
        self.write_attempt(step, {"results": results, "checkpoint": checkpoint}, "checkpoint",
                           {"cursor": checkpoint["cursor"], "items_processed": checkpoint["items_processed"]})
        step.results = results
        step.checkpoint = checkpoint

    def finish(self, step: Step, result: Dict[str, Any], detail: Dict[str, Any]) -> None:
        state = "complete" if result.get("success") else "failed"
        self.write_attempt(step, {"results": result, "state": state},
                           "completed" if state == "complete" else "failed", detail)
        step.results = result

    def fail(self, step: Step, error: str) -> None:
        results = {**(step.results if isinstance(step.results, dict) else {}), "error": error}
        self.write_attempt(step, {"results": results, "state": "failed", "error": error}, "failed", {"error": error})

    def reject(self, step: Step, error: str) -> None:
        """Ends the attempt without running it; the stored results stay as they are."""
        self.write_attempt(step, {"state": "failed", "error": error}, "rejected", {"error": error})

    def reclaimed(self, step: Step, results: Dict[str, Any], lapsed: Dict[str, Any]) -> None:
        """The first write of an attempt that took over an expired lease: what reset_for_retry
        kept, in place of what the lapsed attempt left."""
        before = step.results if isinstance(step.results, dict) else {}
        dropped = [key for key in before if key not in results]
        self.write_attempt(step, {"results": results}, "reclaimed", {**lapsed, "kept": list(results), "dropped": dropped})
        step.results = results

    def fenced(self, step: Step, event: str) -> None:
        """Logs the refusal (the step row is not the attempt's to touch any more) and stops it."""
        self.record_event(step.name, step.attempts, "fenced", {"write": event, "pid": os.getpid()})
        raise Fenced(f"{step.name} attempt {step.attempts} no longer owns the step: its {event} was refused")

    def write_attempt(self, step: Step, columns: Dict[str, Any], event: str, detail: Dict[str, Any]) -> None:
        raise NotImplementedError

    def record_event(self, name: str, attempt: Optional[int], event: str, detail: Dict[str, Any]) -> None:
        raise NotImplementedError


def reclaimed_from(attempts: int, was_state: str, was_holder: Any, was_lease: Any) -> Optional[Dict[str, Any]]:
    """What a claim took over: the lapsed attempt's number, holder and lease deadline when the
    step was running (its lease had expired); None for a pending step."""
    if was_state != "running":
        return None
    return {"lapsed_attempt": attempts - 1, "lapsed_holder": was_holder, "lease_expired_at": float(was_lease)}


class PostgresStore(AttemptWrites):
    """The worker's own connection to the PostgreSQL store."""

    def __init__(self, locator: str, application_name: str) -> None:
        # Autocommit: every statement is its own transaction (the claim and each write are one
        # statement each), so a worker frozen or cut off between two never holds a lock.
        # RawCursor: PostgreSQL's own $1 placeholders, as in demo/sql/postgres.sql.
        self.db = psycopg.connect(locator, application_name=application_name, autocommit=True,
                                  cursor_factory=psycopg.RawCursor)
        self.key_type = self.rows(POSTGRES_SQL["key_type"])[0][0]

    def rows(self, sql: str, params: tuple = ()) -> List[tuple]:
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def changed(self, sql: str, params: tuple) -> int:
        with self.db.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount

    def lost_connection(self, error: BaseException) -> bool:
        return isinstance(error, psycopg.OperationalError) or self.db.broken or self.db.closed

    # --- claims ----------------------------------------------------------------------------

    def claim_next(self, holder: str, lease: float, max_attempts: int):
        """(Step, reclaimed) for the step this worker took, reclaimed being the lapsed attempt's
        number, holder and lease deadline when the claim took over an expired lease; or None."""
        taken = self.rows(POSTGRES_SQL["claim_next"], (holder, float(lease), max_attempts, LANGUAGE))
        if not taken:
            return None
        name, _role, _state, attempts, inputs, results, checkpoint, _error, was_state, was_holder, was_lease = taken[0]
        step = Step(name, attempts, float(lease), parse_json(inputs), parse_json(results), parse_json(checkpoint))
        return step, reclaimed_from(attempts, was_state, was_holder, was_lease)

    def work_remaining(self) -> bool:
        return bool(self.rows(POSTGRES_SQL["work_remaining"]))

    def expire_exhausted(self, max_attempts: int) -> None:
        self.changed(POSTGRES_SQL["expire_exhausted"], (max_attempts,))

    # --- products --------------------------------------------------------------------------

    def products(self, start: Any, before: Any, limit: int) -> List[tuple]:
        """Up to `limit` (id, price_cents) pairs with start <= id < before, in key order."""
        rows = self.rows(POSTGRES_SQL["products"].replace("{key}", self.key_type), (start, before, limit))
        integer = self.key_type == "bigint"
        return [(int(key) if integer else key, price) for key, price in rows]

    # --- events and the attempt's fenced writes ---------------------------------------------

    def record_event(self, name: str, attempt: Optional[int], event: str, detail: Dict[str, Any]) -> None:
        self.changed(POSTGRES_SQL["record_event"], (name, attempt, event, json.dumps(detail)))

    def write_attempt(self, step: Step, columns: Dict[str, Any], event: str, detail: Dict[str, Any]) -> None:
        """One statement: the step's update and its event; refused unless the step is still
        running this attempt."""
        params: List[Any] = [step.name, step.attempts, step.lease, event, json.dumps(detail)]
        assignments = []
        for column, value in columns.items():
            params.append(json.dumps(value) if column in JSON_COLUMNS else value)
            assignments.append(f"{column} = ${len(params)}{'::jsonb' if column in JSON_COLUMNS else ''}")
        sql = POSTGRES_SQL["write_attempt"].replace("{assignments}", ", ".join(assignments))
        if self.changed(sql, tuple(params)) != 1:
            self.fenced(step, event)


class SqliteStore(AttemptWrites):
    """The worker's own connection to the SQLite store (a file several processes use at once:
    WAL, and a busy timeout so that writers wait their turn). Every write transaction starts with
    BEGIN IMMEDIATE, as the Ruby store's do."""

    def __init__(self, path: str) -> None:
        if not os.path.isfile(path):
            raise SystemExit(f"python worker: no SQLite store at {path}")
        # isolation_level None: no implicit transactions; the BEGIN IMMEDIATEs are explicit.
        self.db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def transaction(self):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def lost_connection(self, error: BaseException) -> bool:
        return False  # a file has no connection to lose

    def claim_next(self, holder: str, lease: float, max_attempts: int):
        if self.db.execute(SQLITE_SQL["claimable"], {"now": now(), "max_attempts": max_attempts}).fetchone() is None:
            return None
        with self.transaction():
            at = now()
            taken = self.db.execute(SQLITE_SQL["claim_pick"], {"now": at, "max_attempts": max_attempts}).fetchone()
            if taken is None:
                return None
            name, was_state, attempts, was_holder, was_lease = taken
            self.db.execute(SQLITE_SQL["claim_take"], {"holder": holder, "language": LANGUAGE, "now": at,
                                                       "lease": float(lease), "name": name})
            row = self.db.execute(SQLITE_SQL["step_row"], {"name": name}).fetchone()
        _name, _role, _state, attempts, inputs, results, checkpoint, _error = row
        step = Step(name, attempts, float(lease), sqlite_json(inputs), sqlite_json(results), sqlite_json(checkpoint))
        return step, reclaimed_from(attempts, was_state, was_holder, was_lease)

    def work_remaining(self) -> bool:
        return self.db.execute(SQLITE_SQL["work_remaining"]).fetchone() is not None

    def expire_exhausted(self, max_attempts: int) -> None:
        with self.transaction():
            at = now()
            self.db.execute(SQLITE_SQL["log_exhausted"], {"now": at, "max_attempts": max_attempts})
            self.db.execute(SQLITE_SQL["fail_exhausted"], {"now": at, "max_attempts": max_attempts})

    def products(self, start: Any, before: Any, limit: int) -> List[tuple]:
        return self.db.execute(SQLITE_SQL["products"], {"start": start, "before": before, "limit": limit}).fetchall()

    def record_event(self, name: str, attempt: Optional[int], event: str, detail: Dict[str, Any]) -> None:
        self.db.execute(SQLITE_SQL["record_event"], {"now": now(), "step": name, "attempt": attempt, "event": event,
                                                     "detail": json.dumps(detail)})

    def write_attempt(self, step: Step, columns: Dict[str, Any], event: str, detail: Dict[str, Any]) -> None:
        """The step's update and its event in one transaction; refused unless the step is still
        running this attempt."""
        values = {column: json.dumps(value) if column in JSON_COLUMNS else value for column, value in columns.items()}
        sql = SQLITE_SQL["write_attempt"].replace("{assignments}", ", ".join(f"{column} = :{column}" for column in values))
        with self.transaction():
            changed = self.db.execute(sql, {**values, "now": now(), "lease": step.lease, "name": step.name,
                                            "attempt": step.attempts}).rowcount == 1
            if changed:
                self.record_event(step.name, step.attempts, event, detail)
        if not changed:
            self.fenced(step, event)


def sqlite_json(text: Optional[str]) -> Any:
    """A JSON text column: its value, or the text itself when it does not parse (a string where
    an object belongs, which the core then refuses: the step is not run)."""
    try:
        return parse_json(text)
    except ValueError:
        return text


def now() -> float:
    return time.time()


class Pace:
    """Simulated work, as the Ruby worker's: at most `rows_per_second` (0: no limit)."""

    def __init__(self, rows_per_second: int) -> None:
        self.seconds_per_row = 1.0 / rows_per_second if rows_per_second > 0 else 0.0
        self.started = time.monotonic()
        self.rows = 0

    def tick(self) -> None:
        self.rows += 1
        if self.seconds_per_row == 0.0 or self.rows % 50:
            return
        ahead = self.started + self.rows * self.seconds_per_row - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)


class ProcessProducts(tb.Batchable):
    """The worker handler: sums the prices of its range from its resume cursor on, and counts its
    rows, checkpointing every `checkpoint_every` rows with the running sum."""

    def __init__(self, store: AttemptWrites) -> None:
        self.store = store

    def call(self, step: Step) -> None:
        batch = self.context(step)
        started = {"pid": os.getpid(), "language": LANGUAGE, "resume_cursor": batch.resume_cursor,
                   "processed_count": batch.checkpoint_items_processed}
        if batch.warnings:
            started["warnings"] = [warning["message"] for warning in batch.warnings]
        self.store.record_event(step.name, step.attempts, "started", started)
        no_op = self.handle_no_op_worker(step)
        if no_op is not None:
            self.store.finish(step, no_op, {"no_op": True})
            return
        self.sum_range(step, batch)

    def context(self, step: Step) -> tb.BatchWorkerContext:
        # The core reads the context and refuses what does not fit.
        try:
            return tb.BatchWorkerContext.from_step_data(step)
        except tb.ValidationError as e:
            raise Unusable(f"{e.code} at {e.path}: {e.message}") from e

    def sum_range(self, step: Step, batch: tb.BatchWorkerContext) -> None:
        every = step.inputs["checkpoint_every"]
        pace = Pace(step.inputs["rows_per_second"])
        cursor = batch.resume_cursor
        count = batch.checkpoint_items_processed
        total = self.carried_sum(batch)
        last_id = None
        while True:
            # One row more than a checkpoint's worth: its key is where the next chunk starts.
            rows = self.store.products(cursor, batch.end_cursor, every + 1)
            for key, price_cents in rows[:every]:
                total += price_cents
                count += 1
                last_id = key
                pace.tick()
            if len(rows) <= every:
                break
            cursor = rows[-1][0]
            results = tb.write_checkpoint(step, cursor, count, {"price_cents": total})
            self.store.save_checkpoint(step, results)
        result = self.batch_worker_success(items_processed=count, items_succeeded=count, last_cursor=last_id)
        result["result"]["price_cents"] = total
        if batch.has_checkpoint():
            result["result"]["resumed_from"] = {"cursor": batch.checkpoint_cursor,
                                                "processed_count": batch.checkpoint_items_processed}
        self.store.finish(step, result, {"items_processed": count, "price_cents": total})

    @staticmethod
    def carried_sum(batch: tb.BatchWorkerContext) -> int:
        """The sum of the rows before the checkpoint, saved with it; without it the retry could
        only guess, so it does not start."""
        if not batch.has_checkpoint():
            return 0
        carried = batch.accumulated_results.get("price_cents") if isinstance(batch.accumulated_results, dict) else None
        if isinstance(carried, int) and not isinstance(carried, bool):
            return carried
        raise Unusable(f"the checkpoint at {batch.checkpoint_cursor!r} carries no accumulated price_cents "
                       f"(found {batch.accumulated_results!r}): the sum of the rows before it is unknown")


class Worker:
    """The claim loop of one worker process."""

    def __init__(self, locator: str, lease: float, max_attempts: int) -> None:
        self.holder = str(os.getpid())
        if locator.startswith(("postgres://", "postgresql://")):
            self.store: Any = PostgresStore(locator, f"tasker-batch-worker-{self.holder}")
        else:
            self.store = SqliteStore(locator)
        self.lease = lease
        self.max_attempts = max_attempts

    def run(self) -> int:
        try:
            while True:
                claim = self.store.claim_next(self.holder, self.lease, self.max_attempts)
                if claim:
                    self.attempt(*claim)
                elif not self.store.work_remaining():
                    return 0
                else:
                    self.store.expire_exhausted(self.max_attempts)
                    time.sleep(IDLE_SECONDS)
        except Fenced as e:
            log(f"worker {self.holder}: {e}; stopping")
            return FENCED
        except (psycopg.Error, sqlite3.Error) as e:
            if not self.store.lost_connection(e):
                raise
            log(f"worker {self.holder}: lost the database connection ({type(e).__name__}: {str(e).strip()}); stopping")
            return LOST_CONNECTION

    def attempt(self, step: Step, reclaimed: Optional[Dict[str, Any]]) -> None:
        try:
            if reclaimed:
                self.store.reclaimed(step, tb.reset_for_retry(step), reclaimed)
            ProcessProducts(self.store).call(step)
        except Unusable as e:
            self.store.reject(step, str(e))
            log(f"{step.name}: {e}")
        except Fenced:
            raise
        except Exception as e:  # noqa: BLE001 - any other failure ends the attempt as failed
            if isinstance(e, psycopg.Error) and self.store.lost_connection(e):
                raise
            self.store.fail(step, str(e))
            log(f"{step.name}: {type(e).__name__}: {e}")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: List[str]) -> int:
    if len(argv) != 3:
        log("usage: python demo/workers/python_worker.py STORE LEASE_SECONDS MAX_ATTEMPTS")
        return 2
    locator, lease, max_attempts = argv
    return Worker(locator, float(lease), int(max_attempts)).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
