/*
 * A small JSON reader for the C conformance runner.
 *
 * It keeps what the runner needs and a general-purpose library would hide: the exact source
 * span of every value (inputs are sent as their exact text, `value_text` is compared byte for
 * byte) and numbers as their text (big integers compare by digits, never through a double).
 * Strings are decoded (escapes, \uXXXX, surrogate pairs) into NUL-terminated buffers.
 */
#ifndef TASKER_BATCH_TEST_JSON_H
#define TASKER_BATCH_TEST_JSON_H

#include <stddef.h>

typedef enum {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_kind;

typedef struct json_member json_member;

typedef struct {
    json_kind kind;
    /* The value's exact text in the source (not NUL-terminated). */
    const char *text;
    size_t text_len;
    /* JSON_STRING: the decoded bytes, NUL-terminated; may hold a NUL from \u0000. */
    char *str;
    size_t str_len;
    /* JSON_ARRAY (keys are NULL) and JSON_OBJECT: the elements in source order. */
    json_member *members;
    size_t count;
} json_value;

struct json_member {
    char *key; /* decoded, NUL-terminated; NULL in arrays */
    size_t key_len;
    json_value value;
};

/* Where and why parsing failed. */
typedef struct {
    size_t offset;
    char message[96];
} json_error;

/*
 * Parses the whole of `text[0..len)` into `out`. Returns 1 on success (free `out` with
 * json_free) or 0 with `err` filled in (nothing to free). `out` points into `text`, which must
 * outlive it.
 */
int json_parse(const char *text, size_t len, json_value *out, json_error *err);

/* Frees what json_parse allocated for `value` (not `value` itself). */
void json_free(json_value *value);

/* The first member of `object` called `key`, or NULL (also when `object` is not an object). */
const json_value *json_get(const json_value *object, const char *key);

/* A decoded string member of `object`, or NULL when absent or not a string. */
const char *json_get_string(const json_value *object, const char *key);

/* Whether `s` is a string equal to the bytes `text[0..len)`. */
int json_string_is(const json_value *s, const char *text, size_t len);

/*
 * Structural equality. Integers (no fraction, no exponent) compare by their exact digits,
 * other numbers by their strtod value, an integer never equals a non-integer (as in the Rust
 * runner). Objects compare by key whatever the order, unless `ordered` is non-zero.
 */
int json_equal(const json_value *a, const json_value *b, int ordered);

/*
 * The value's text without the whitespace between tokens, NUL-terminated, for reports that
 * put an expectation from a pretty-printed file next to the library's compact output. Free it
 * with free(); NULL if out of memory.
 */
char *json_compact(const json_value *value);

#endif /* TASKER_BATCH_TEST_JSON_H */
