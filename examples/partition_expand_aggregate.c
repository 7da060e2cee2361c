/*
 * partition_expand_aggregate.c: one batch lifecycle through the tasker-batch C ABI.
 *
 * Partitions 1,000,000 items over 8 workers, builds the `create_batches` outcome, expands it
 * into worker steps, runs each worker on its range (checkpointing as it goes), aggregates the
 * workers' results and prints a short report. The "work" is fake: item `id` earns `id % 1000`
 * cents, and every item whose id ends in 77777 fails with "bad price". The program checks the
 * aggregated revenue against the total computed directly and exits 1 if they differ.
 *
 * Build and run from the repository root:
 *
 *   cargo build
 *   cc -std=c99 -Wall -Wextra -pedantic -Iinclude examples/partition_expand_aggregate.c \
 *      -Ltarget/debug -ltasker_batch -o partition_expand_aggregate
 *   LD_LIBRARY_PATH=target/debug ./partition_expand_aggregate
 *
 * Every tasker_batch_call returns a JSON envelope that the caller owns:
 * {"ok":true,"value":...,"warnings":[...]} or {"ok":false,"error":{...}}. Check "ok", read the
 * value, release the envelope with tasker_batch_free_string. The JSON reading below is just
 * enough for the core's compact output (find a member, walk an array, read an integer); a
 * real program would use its JSON library.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tasker_batch.h"

#define TOTAL_ITEMS 1000000LL
#define WORKER_COUNT 8
#define CHECKPOINT_EVERY 50000LL

/* ---------------------------------------------------------------- growing strings --- */

/* A NUL-terminated string that grows as it is appended to. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} text;

static void die(const char *message)
{
    fprintf(stderr, "partition_expand_aggregate: %s\n", message);
    exit(1);
}

/* Appends printf-style; on out of memory there is nothing useful left to do. */
static void append(text *t, const char *format, ...)
{
    va_list args;
    int n;

    va_start(args, format);
    n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    if (n < 0) {
        die("vsnprintf failed");
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = (t->cap == 0 ? 256 : t->cap);
        char *grown;
        while (cap < t->len + (size_t)n + 1) {
            cap *= 2;
        }
        grown = realloc(t->data, cap);
        if (grown == NULL) {
            die("out of memory");
        }
        t->data = grown;
        t->cap = cap;
    }
    va_start(args, format);
    vsnprintf(t->data + t->len, (size_t)n + 1, format, args);
    va_end(args);
    t->len += (size_t)n;
}

static void text_free(text *t)
{
    free(t->data);
    t->data = NULL;
    t->len = t->cap = 0;
}

/* ------------------------------------------------------------ reading JSON output --- */

/* Just past the JSON value that starts at `p` (compact JSON, as the core writes it). */
static const char *skip_value(const char *p)
{
    int depth = 0;
    do {
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (*p == '\\') {
                    p++; /* the escaped character, which may be a quote */
                }
            }
            p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (*p == ',' || *p == ':') {
            p++;
        } else {
            /* A number, true, false or null. */
            while (*p != '\0' && *p != ',' && *p != '}' && *p != ']') {
                p++;
            }
        }
    } while (depth > 0);
    return p;
}

/* The length of the JSON value at `p`, for printf("%.*s", length(p), p). */
static int length(const char *p)
{
    return (int)(skip_value(p) - p);
}

/* The value of member `key` of the object at `object`, or NULL. */
static const char *member(const char *object, const char *key)
{
    size_t key_len = strlen(key);
    const char *p = object + 1;
    while (*p == '"') {
        const char *name = p + 1;
        const char *name_end = skip_value(p) - 1; /* the closing quote */
        const char *value = name_end + 2;         /* past the quote and the ':' */
        if ((size_t)(name_end - name) == key_len && memcmp(name, key, key_len) == 0) {
            return value;
        }
        p = skip_value(value);
        if (*p == ',') {
            p++;
        }
    }
    return NULL;
}

/* The first element of the array at `array`, or NULL when it is empty. */
static const char *first_element(const char *array)
{
    return array[1] == ']' ? NULL : array + 1;
}

/* The element after the one at `p`, or NULL after the last. */
static const char *next_element(const char *p)
{
    p = skip_value(p);
    return *p == ',' ? p + 1 : NULL;
}

static size_t count_elements(const char *array)
{
    size_t n = 0;
    const char *p;
    for (p = first_element(array); p != NULL; p = next_element(p)) {
        n++;
    }
    return n;
}

/* Copies the JSON string at `p` without its quotes (the names here need no unescaping). */
static void copy_string(char *out, size_t size, const char *p)
{
    size_t n = (size_t)length(p) - 2;
    if (n >= size) {
        n = size - 1;
    }
    memcpy(out, p + 1, n);
    out[n] = '\0';
}

/* The integer member `key` of `object`; exits if there is none. */
static long long integer(const char *object, const char *key)
{
    const char *value = member(object, key);
    if (value == NULL) {
        fprintf(stderr, "partition_expand_aggregate: no \"%s\" in %.200s\n", key, object);
        exit(1);
    }
    return strtoll(value, NULL, 10);
}

/* -------------------------------------------------------------- calling the core --- */

/*
 * Runs `op` on `input` and returns the envelope, which the caller must release with
 * tasker_batch_free_string. An error envelope is printed and ends the program: in a real
 * worker it would fail the step, with the error's code and path.
 */
static char *call_ok(const char *op, const char *input)
{
    char *envelope = tasker_batch_call(op, input);
    if (envelope == NULL) {
        die("tasker_batch_call returned NULL");
    }
    if (strncmp(envelope, "{\"ok\":true,", 11) != 0) {
        fprintf(stderr, "partition_expand_aggregate: %s failed: %s\n", op, envelope);
        tasker_batch_free_string(envelope);
        exit(1);
    }
    return envelope;
}

/* The "value" of a success envelope. */
static const char *value_of(const char *envelope)
{
    return member(envelope, "value");
}

/* ------------------------------------------------------------------------ the work --- */

/* What one worker did, for the report. */
typedef struct {
    char name[64];
    long long start, end, processed, failed, revenue_cents;
    int checkpoints;
} worker_report;

/*
 * Runs one worker step: reads its context from its inputs, processes [resume_cursor,
 * end_cursor) and checkpoints every CHECKPOINT_EVERY items through update_step_results, the
 * same call a real worker makes to persist its progress. Returns the step's final results
 * (malloc'd JSON text) for the aggregation.
 */
static char *run_worker(const char *worker, worker_report *report)
{
    const char *name = member(worker, "name");
    const char *inputs = member(worker, "inputs");
    text request = {0};
    text results = {0};
    text errors = {0};
    char *envelope;
    const char *context;
    long long id, resume;

    /* worker_context: the range, and where to resume (the start, or a retry's checkpoint). */
    append(&request, "{\"inputs\":%.*s}", length(inputs), inputs);
    envelope = call_ok("worker_context", request.data);
    context = value_of(envelope);
    report->start = integer(context, "start_cursor");
    report->end = integer(context, "end_cursor");
    resume = integer(context, "resume_cursor");
    tasker_batch_free_string(envelope);
    copy_string(report->name, sizeof report->name, name);

    /* A first attempt starts at start_cursor with empty results. A retry would get its last
     * checkpoint as resume_cursor and restore its counters from the context's
     * checkpoint.accumulated_results, so that no item is counted twice. */
    append(&results, "{}");
    append(&errors, "[");
    for (id = resume; id < report->end; id++) {
        if (id % 100000 == 77777) {
            report->failed++;
            append(&errors, "%s{\"id\":%lld,\"message\":\"bad price\"}", report->failed > 1 ? "," : "", id);
        } else {
            report->revenue_cents += id % 1000;
        }
        report->processed++;

        if (report->processed % CHECKPOINT_EVERY == 0 && id + 1 < report->end) {
            /* The core checks the checkpoint (inside the range, never backwards) and merges it. */
            request.len = 0;
            append(&request,
                   "{\"step\":{\"inputs\":%.*s,\"results\":%s},\"changes\":{\"checkpoint_cursor\":%lld,"
                   "\"processed_count\":%lld,\"accumulated_results\":{\"revenue_cents\":%lld}}}",
                   length(inputs), inputs, results.data, id + 1, report->processed,
                   report->revenue_cents);
            envelope = call_ok("update_step_results", request.data);
            results.len = 0;
            append(&results, "%.*s", length(value_of(envelope)), value_of(envelope));
            tasker_batch_free_string(envelope);
            report->checkpoints++;
        }
    }
    append(&errors, "]");

    /* The final results: the last checkpoint at the end of the range, and the counters the
     * aggregation reads. */
    request.len = 0;
    append(&request,
           "{\"step\":{\"inputs\":%.*s,\"results\":%s},\"changes\":{\"checkpoint_cursor\":%lld,"
           "\"processed_count\":%lld,\"items_processed\":%lld,\"items_succeeded\":%lld,"
           "\"items_failed\":%lld,\"errors\":%s,\"revenue_cents\":%lld}}",
           length(inputs), inputs, results.data, report->end, report->processed,
           report->processed, report->processed - report->failed, report->failed, errors.data,
           report->revenue_cents);
    envelope = call_ok("update_step_results", request.data);
    results.len = 0;
    append(&results, "%.*s", length(value_of(envelope)), value_of(envelope));
    tasker_batch_free_string(envelope);

    text_free(&request);
    text_free(&errors);
    return results.data;
}

/* The revenue computed directly, to check the aggregation against. */
static long long expected_revenue(void)
{
    long long id, total = 0;
    for (id = 0; id < TOTAL_ITEMS; id++) {
        if (id % 100000 != 77777) {
            total += id % 1000;
        }
    }
    return total;
}

int main(void)
{
    text request = {0};
    text batch_results = {0};
    char *partition, *plan, *aggregation;
    const char *configs, *workers, *worker, *totals;
    worker_report reports[WORKER_COUNT];
    size_t worker_count, edge_count, i;
    long long revenue, expected;
    int ok;

    printf("tasker-batch %s: %lld items over %d workers\n", tasker_batch_version(), TOTAL_ITEMS,
           WORKER_COUNT);

    /* 1. partition: the cursor configs, one range per worker. */
    append(&request, "{\"strategy\":\"integer_by_count\",\"total_items\":%lld,\"worker_count\":%d}",
           TOTAL_ITEMS, WORKER_COUNT);
    partition = call_ok("partition", request.data);
    configs = value_of(partition);

    /* 2. expand_outcome: the create_batches outcome (built around the configs' exact text)
     *    becomes worker steps and the edges that connect them. */
    request.len = 0;
    append(&request,
           "{\"batchable_step_name\":\"analyze\",\"convergence_step_names\":[\"aggregate_totals\"],"
           "\"initialization\":{\"source\":\"products.csv\"},"
           "\"outcome\":{\"type\":\"create_batches\",\"worker_template_name\":\"process_batch\","
           "\"worker_count\":%lu,\"cursor_configs\":%.*s,\"total_items\":%lld}}",
           (unsigned long)count_elements(configs), length(configs), configs, TOTAL_ITEMS);
    tasker_batch_free_string(partition);
    plan = call_ok("expand_outcome", request.data);
    workers = member(value_of(plan), "workers");
    worker_count = count_elements(workers);
    edge_count = count_elements(member(value_of(plan), "edges"));
    printf("expanded into %lu worker steps and %lu edges\n", (unsigned long)worker_count,
           (unsigned long)edge_count);
    if (worker_count != WORKER_COUNT) {
        die("unexpected number of worker steps");
    }

    /* 3. The workers (here one after the other; in the orchestrator, separate processes). */
    append(&batch_results, "{");
    for (i = 0, worker = first_element(workers); worker != NULL; i++, worker = next_element(worker)) {
        char *results;
        memset(&reports[i], 0, sizeof reports[i]);
        results = run_worker(worker, &reports[i]);
        append(&batch_results, "%s\"%s\":%s", i > 0 ? "," : "", reports[i].name, results);
        free(results);
        printf("  %-18s [%7lld, %7lld)  %6lld items  %d checkpoints  %lld failed\n",
               reports[i].name, reports[i].start, reports[i].end, reports[i].processed,
               reports[i].checkpoints, reports[i].failed);
    }
    append(&batch_results, "}");
    tasker_batch_free_string(plan);

    /* 4. aggregate: the standard totals, and a sum reducer for the revenue. */
    request.len = 0;
    append(&request, "{\"batch_results\":%s,\"reducers\":{\"revenue_cents\":\"sum\"}}",
           batch_results.data);
    aggregation = call_ok("aggregate", request.data);
    totals = value_of(aggregation);
    revenue = integer(member(totals, "custom"), "revenue_cents");
    expected = expected_revenue();
    printf("aggregated %lld processed, %lld succeeded, %lld failed (success rate %.*s), %lld errors\n",
           integer(totals, "total_processed"), integer(totals, "total_succeeded"),
           integer(totals, "total_failed"), length(member(totals, "success_rate")),
           member(totals, "success_rate"), integer(totals, "error_count"));
    ok = integer(totals, "total_processed") == TOTAL_ITEMS && revenue == expected;
    printf("revenue %lld cents, expected %lld: %s\n", revenue, expected, ok ? "ok" : "MISMATCH");

    tasker_batch_free_string(aggregation);
    text_free(&batch_results);
    text_free(&request);
    return ok ? 0 : 1;
}
