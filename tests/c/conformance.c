/*
 * The conformance vectors through the C ABI.
 *
 *   conformance SPEC_DIR     runs every SPEC_DIR/NAME.json (format: spec/conformance/README.md)
 *
 * Each case's input is sent as its exact text from the file (the raw span of `input`, never
 * re-serialized) or as the decoded `input_text`. The envelope is compared with `expect` the
 * way the Rust runner (tests/conformance.rs) does. The edges of the ABI itself (NULL
 * arguments, invalid UTF-8, the version) are checked directly.
 *
 * Prints `N vectors passed`; on any failure lists file / case and the difference on stderr and
 * exits 1.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "tasker_batch.h"

/* Where a failure happened, for the report. */
typedef struct {
    const char *file;
    const char *name;
} location;

static int mismatch(const location *at, const char *format, ...)
{
    va_list args;
    fprintf(stderr, "FAIL %s / %s: ", at->file, at->name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return 0;
}

/* A span for "%.*s". */
#define SPAN(v) (int)(v)->text_len, (v)->text

/* Reports `expected` (compacted, to read against the compact output) and what came instead. */
static int differ(const location *at, const char *what, const json_value *expected,
                  int actual_len, const char *actual)
{
    char *compact = json_compact(expected);
    if (compact != NULL) {
        mismatch(at, "expected %s %s, got %.*s", what, compact, actual_len, actual);
    } else {
        mismatch(at, "expected %s %.*s, got %.*s", what, SPAN(expected), actual_len, actual);
    }
    free(compact);
    return 0;
}

/* ---------------------------------------------------------------------------- files --- */

/* The whole file, NUL-terminated, or NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0;
    size_t n = 0;

    if (f == NULL) {
        return NULL;
    }
    for (;;) {
        size_t got;
        if (cap - n < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = grown;
            cap += 65536;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        int saved = errno;
        free(buf);
        fclose(f);
        errno = saved;
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the *.json files in `dir`, sorted; NULL on error. */
static char **vector_files(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *entry;
    char **names = NULL;
    size_t n = 0;

    if (d == NULL) {
        return NULL;
    }
    while ((entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        char **grown;
        if (len <= 5 || strcmp(entry->d_name + len - 5, ".json") != 0) {
            continue;
        }
        grown = realloc(names, (n + 1) * sizeof *names);
        if (grown == NULL) {
            goto error;
        }
        names = grown;
        if ((names[n] = strdup(entry->d_name)) == NULL) {
            goto error;
        }
        n++;
    }
    closedir(d);
    if (n == 0) {
        /* An empty list, distinct from the NULL of an error. */
        return calloc(1, sizeof *names);
    }
    qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;

error:
    while (n > 0) {
        free(names[--n]);
    }
    free(names);
    closedir(d);
    errno = ENOMEM;
    return NULL;
}

/* ----------------------------------------------------------------------- comparison --- */

/* `actual` is an object whose string `code` and `path` equal those of `expected`. */
static int same_diagnostic(const json_value *expected, const json_value *actual)
{
    const json_value *code = json_get(expected, "code");
    const json_value *path = json_get(expected, "path");
    return code != NULL && code->kind == JSON_STRING && path != NULL &&
           path->kind == JSON_STRING &&
           json_string_is(json_get(actual, "code"), code->str, code->str_len) &&
           json_string_is(json_get(actual, "path"), path->str, path->str_len);
}

/* `expected` is NULL (no warnings) or an array of {code, path}, in order. */
static int same_warnings(const json_value *expected, const json_value *actual)
{
    size_t i;
    size_t n = expected != NULL ? expected->count : 0;
    if (actual->count != n) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!same_diagnostic(&expected->members[i].value, &actual->members[i].value)) {
            return 0;
        }
    }
    return 1;
}

/* `expect` has only the keys the format knows, of the right kinds (catches typos). */
static int check_expect_shape(const location *at, const json_value *expect)
{
    static const char *const known[] = {"value", "value_text", "ordered", "warnings", "error"};
    size_t i, k;
    const json_value *v;

    if (expect == NULL || expect->kind != JSON_OBJECT) {
        return mismatch(at, "the case has no \"expect\" object");
    }
    for (i = 0; i < expect->count; i++) {
        int found = 0;
        for (k = 0; k < sizeof known / sizeof known[0]; k++) {
            found |= strcmp(expect->members[i].key, known[k]) == 0;
        }
        if (!found) {
            return mismatch(at, "unknown key \"%s\" in expect", expect->members[i].key);
        }
    }
    if ((v = json_get(expect, "value_text")) != NULL && v->kind != JSON_STRING) {
        return mismatch(at, "expect.value_text must be a string");
    }
    if ((v = json_get(expect, "ordered")) != NULL && v->kind != JSON_TRUE &&
        v->kind != JSON_FALSE) {
        return mismatch(at, "expect.ordered must be a boolean");
    }
    if ((v = json_get(expect, "warnings")) != NULL && v->kind != JSON_ARRAY) {
        return mismatch(at, "expect.warnings must be an array");
    }
    return 1;
}

/* Compares a parsed envelope with `expect`; `text` is the envelope, for the report. */
static int compare_envelope(const location *at, const json_value *expect, const json_value *env,
                            const char *text)
{
    const json_value *ok = json_get(env, "ok");
    const json_value *expected_error = json_get(expect, "error");
    const json_value *value, *warnings, *expected_warnings, *value_text, *expected_value;

    if (ok == NULL || (ok->kind != JSON_TRUE && ok->kind != JSON_FALSE)) {
        return mismatch(at, "the envelope has no boolean \"ok\": %s", text);
    }
    if (ok->kind == JSON_FALSE) {
        const json_value *error = json_get(env, "error");
        if (expected_error == NULL) {
            return mismatch(at, "expected a value, got %s", text);
        }
        if (error == NULL) {
            return mismatch(at, "an error envelope without error: %s", text);
        }
        if (!same_diagnostic(expected_error, error)) {
            return differ(at, "error", expected_error, (int)strlen(text), text);
        }
        return 1;
    }
    if (expected_error != NULL) {
        return differ(at, "error", expected_error, (int)strlen(text), text);
    }

    value = json_get(env, "value");
    warnings = json_get(env, "warnings");
    if (value == NULL || warnings == NULL || warnings->kind != JSON_ARRAY) {
        return mismatch(at, "a success envelope needs value and warnings: %s", text);
    }
    expected_warnings = json_get(expect, "warnings");
    if (!same_warnings(expected_warnings, warnings)) {
        if (expected_warnings != NULL) {
            return differ(at, "warnings", expected_warnings, SPAN(warnings));
        }
        return mismatch(at, "expected no warnings, got %.*s", SPAN(warnings));
    }
    value_text = json_get(expect, "value_text");
    if (value_text != NULL &&
        (value_text->str_len != value->text_len ||
         memcmp(value_text->str, value->text, value->text_len) != 0)) {
        return mismatch(at, "expected value text %s, got %.*s", value_text->str, SPAN(value));
    }
    expected_value = json_get(expect, "value");
    if (expected_value != NULL) {
        const json_value *ordered = json_get(expect, "ordered");
        int in_order = ordered != NULL && ordered->kind == JSON_TRUE;
        if (!json_equal(expected_value, value, in_order)) {
            return differ(at, in_order ? "value (ordered)" : "value", expected_value,
                          SPAN(value));
        }
    }
    return 1;
}

/* --------------------------------------------------------------------------- cases --- */

/* Runs one case; 1 if it passes, 0 (after reporting why) if not. */
static int run_case(const char *file, const json_value *c)
{
    location at;
    const char *op = json_get_string(c, "op");
    const json_value *input = json_get(c, "input");
    const json_value *input_text = json_get(c, "input_text");
    const json_value *expect = json_get(c, "expect");
    char *owned_input = NULL;
    const char *sent;
    char *out;
    json_value env;
    json_error err;
    int passed;

    at.file = file;
    at.name = json_get_string(c, "name");
    if (at.name == NULL) {
        at.name = "(a case without a name)";
    }
    if (op == NULL) {
        return mismatch(&at, "the case has no string \"op\"");
    }
    if ((input == NULL) == (input_text == NULL)) {
        return mismatch(&at, "a case needs exactly one of input and input_text");
    }
    if (!check_expect_shape(&at, expect)) {
        return 0;
    }
    if (input != NULL) {
        /* The exact text from the file: the input is never re-serialized. */
        owned_input = malloc(input->text_len + 1);
        if (owned_input == NULL) {
            return mismatch(&at, "out of memory");
        }
        memcpy(owned_input, input->text, input->text_len);
        owned_input[input->text_len] = '\0';
        sent = owned_input;
    } else if (input_text->kind != JSON_STRING) {
        return mismatch(&at, "input_text must be a string");
    } else if (strlen(input_text->str) != input_text->str_len) {
        return mismatch(&at, "input_text holds U+0000, which a C string cannot carry");
    } else {
        sent = input_text->str;
    }

    out = tasker_batch_call(op, sent);
    free(owned_input);
    if (out == NULL) {
        return mismatch(&at, "tasker_batch_call returned NULL");
    }
    if (!json_parse(out, strlen(out), &env, &err)) {
        passed = mismatch(&at, "the envelope is not JSON (byte %lu: %s): %s",
                          (unsigned long)err.offset, err.message, out);
    } else {
        passed = compare_envelope(&at, expect, &env, out);
        json_free(&env);
    }
    tasker_batch_free_string(out);
    return passed;
}

/* Runs every case of one file; adds to the counts. */
static void run_file(const char *dir, const char *name, int *passed, int *failed)
{
    location at;
    size_t len = 0;
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    char *text;
    json_value doc;
    json_error err;
    const json_value *cases;
    size_t i;

    at.file = name;
    at.name = "-";
    if (path == NULL) {
        mismatch(&at, "out of memory");
        (*failed)++;
        return;
    }
    sprintf(path, "%s/%s", dir, name);
    text = read_file(path, &len);
    free(path);
    if (text == NULL) {
        mismatch(&at, "cannot read the file: %s", strerror(errno));
        (*failed)++;
        return;
    }
    if (!json_parse(text, len, &doc, &err)) {
        mismatch(&at, "not JSON at byte %lu: %s", (unsigned long)err.offset, err.message);
        (*failed)++;
        free(text);
        return;
    }
    cases = json_get(&doc, "cases");
    if (cases == NULL || cases->kind != JSON_ARRAY) {
        mismatch(&at, "not a vector file: no \"cases\" array");
        (*failed)++;
    } else {
        for (i = 0; i < cases->count; i++) {
            if (run_case(name, &cases->members[i].value)) {
                (*passed)++;
            } else {
                (*failed)++;
            }
        }
    }
    json_free(&doc);
    free(text);
}

/* ---------------------------------------------------------------------- ABI edges --- */

/* The call fails with `code` at the root path (every boundary error is about the input). */
static int expect_boundary_error(const char *what, const char *op, const char *input,
                                 const char *code)
{
    location at;
    char *out = tasker_batch_call(op, input);
    json_value env;
    json_error err;
    int passed = 1;

    at.file = "ABI";
    at.name = what;
    if (out == NULL) {
        return mismatch(&at, "tasker_batch_call returned NULL");
    }
    if (!json_parse(out, strlen(out), &env, &err)) {
        passed = mismatch(&at, "the envelope is not JSON (byte %lu: %s): %s",
                          (unsigned long)err.offset, err.message, out);
    } else {
        const json_value *ok = json_get(&env, "ok");
        const json_value *error = json_get(&env, "error");
        const json_value *message = json_get(error, "message");
        if (ok == NULL || ok->kind != JSON_FALSE ||
            !json_string_is(json_get(error, "code"), code, strlen(code)) ||
            !json_string_is(json_get(error, "path"), "", 0)) {
            passed = mismatch(&at, "expected error {\"code\":\"%s\",\"path\":\"\"}, got %s", code,
                              out);
        } else if (message == NULL || message->kind != JSON_STRING || message->str_len == 0) {
            passed = mismatch(&at, "expected an error message, got %s", out);
        }
        json_free(&env);
    }
    tasker_batch_free_string(out);
    return passed;
}

static int check_version(void)
{
    location at;
    char expected[64];
    const char *actual = tasker_batch_version();

    at.file = "ABI";
    at.name = "tasker_batch_version() matches the header's version macros";
    sprintf(expected, "%d.%d.%d", TASKER_BATCH_VERSION_MAJOR, TASKER_BATCH_VERSION_MINOR,
            TASKER_BATCH_VERSION_PATCH);
    if (actual == NULL || strcmp(actual, expected) != 0) {
        return mismatch(&at, "expected \"%s\", got \"%s\"", expected,
                        actual != NULL ? actual : "(NULL)");
    }
    if (TASKER_BATCH_ABI_VERSION < 1) {
        return mismatch(&at, "TASKER_BATCH_ABI_VERSION is %d", TASKER_BATCH_ABI_VERSION);
    }
    return 1;
}

/* tasker_batch_abi_version() is the ABI version the library implements: the header's. */
static int check_abi_version(void)
{
    location at;
    unsigned long actual = (unsigned long)tasker_batch_abi_version();

    at.file = "ABI";
    at.name = "tasker_batch_abi_version() matches TASKER_BATCH_ABI_VERSION";
    if (actual != (unsigned long)TASKER_BATCH_ABI_VERSION) {
        return mismatch(&at, "expected %lu, got %lu", (unsigned long)TASKER_BATCH_ABI_VERSION,
                        actual);
    }
    return 1;
}

/* tasker_batch_operations() is a JSON array naming every operation; each name is callable
 * (an unknown name would come back as unknown_operation). */
static int check_operations(void)
{
    location at;
    const char *names = tasker_batch_operations();

    at.file = "ABI";
    at.name = "tasker_batch_operations() lists callable operations";
    if (names == NULL || names[0] != '[' || strstr(names, "\"partition\"") == NULL ||
        strstr(names, "\"converge\"") == NULL) {
        return mismatch(&at, "unexpected list %s", names != NULL ? names : "(NULL)");
    }
    return 1;
}

static void run_abi_checks(int *passed, int *failed)
{
    int results[11];
    size_t i;

    results[0] = expect_boundary_error("NULL op", NULL, "{}", "null_argument");
    results[1] = expect_boundary_error("NULL input", "validate_cursor_config", NULL,
                                       "null_argument");
    results[2] = expect_boundary_error("NULL op and NULL input", NULL, NULL, "null_argument");
    results[3] = expect_boundary_error("invalid UTF-8 in the input", "validate_cursor_config",
                                       "{\"batch_id\":\"\xff\"}", "invalid_utf8");
    results[4] = expect_boundary_error("invalid UTF-8 in the op", "validate_\xc3\x28", "{}",
                                       "invalid_utf8");
    results[5] = expect_boundary_error("invalid JSON", "validate_cursor_config", "{\"batch_id\":",
                                       "invalid_json");
    results[6] = expect_boundary_error("unknown op", "no_such_operation", "{}",
                                       "unknown_operation");
    results[7] = expect_boundary_error("empty op", "", "{}", "unknown_operation");
    results[8] = check_version();
    results[9] = check_operations();
    results[10] = check_abi_version();
    /* Freeing NULL is documented as a no-op; valgrind would flag anything else. */
    tasker_batch_free_string(NULL);

    for (i = 0; i < sizeof results / sizeof results[0]; i++) {
        if (results[i]) {
            (*passed)++;
        } else {
            (*failed)++;
        }
    }
}

/* ---------------------------------------------------------------------------- main --- */

int main(int argc, char **argv)
{
    char **files;
    size_t count = 0, i;
    int passed = 0, failed = 0, abi_passed = 0, abi_failed = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s SPEC_DIR   (runs SPEC_DIR/*.json through the C ABI)\n",
                argc > 0 ? argv[0] : "conformance");
        return 2;
    }
    files = vector_files(argv[1], &count);
    if (files == NULL) {
        fprintf(stderr, "%s: cannot list the vector files: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (i = 0; i < count; i++) {
        run_file(argv[1], files[i], &passed, &failed);
        free(files[i]);
    }
    free(files);
    run_abi_checks(&abi_passed, &abi_failed);

    if (passed + failed == 0) {
        fprintf(stderr, "no conformance vectors found in %s\n", argv[1]);
        return 1;
    }
    if (failed > 0 || abi_failed > 0) {
        fprintf(stderr, "%d of %d vectors failed, %d of %d ABI checks failed (library %s)\n",
                failed, passed + failed, abi_failed, abi_passed + abi_failed,
                tasker_batch_version());
        return 1;
    }
    printf("%d vectors passed, %d ABI checks passed (library %s, %lu files)\n", passed,
           abi_passed, tasker_batch_version(), (unsigned long)count);
    return 0;
}
