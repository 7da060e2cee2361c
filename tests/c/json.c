/*
 * A small JSON reader for the C conformance runner (see json.h).
 *
 * Recursive descent over the RFC 8259 grammar. Every value records its source span; strings
 * are decoded; numbers stay text. Nesting is capped so that hostile input cannot exhaust the
 * stack.
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than any vector needs (the library itself refuses more than 128 levels). */
#define JSON_MAX_DEPTH 1000

typedef struct {
    const char *src;
    size_t len;
    size_t pos;
    int depth;
    json_error *err;
} parser;

static int parse_value(parser *p, json_value *out);

static int fail(parser *p, const char *message)
{
    p->err->offset = p->pos;
    snprintf(p->err->message, sizeof p->err->message, "%s", message);
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int at(const parser *p, char c)
{
    return p->pos < p->len && p->src[p->pos] == c;
}

static void skip_whitespace(parser *p)
{
    while (p->pos < p->len) {
        char c = p->src[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            return;
        }
        p->pos++;
    }
}

static int parse_literal(parser *p, const char *word, json_kind kind, json_value *out)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->src + p->pos, word, n) != 0) {
        return fail(p, "expected a value");
    }
    p->pos += n;
    out->kind = kind;
    return 1;
}

static void skip_digits(parser *p)
{
    while (p->pos < p->len && is_digit(p->src[p->pos])) {
        p->pos++;
    }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as text. */
static int parse_number(parser *p, json_value *out)
{
    if (at(p, '-')) {
        p->pos++;
    }
    if (at(p, '0')) {
        p->pos++;
    } else if (p->pos < p->len && is_digit(p->src[p->pos])) {
        skip_digits(p);
    } else {
        return fail(p, "expected a digit");
    }
    if (at(p, '.')) {
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->src[p->pos])) {
            return fail(p, "expected a digit after the decimal point");
        }
        skip_digits(p);
    }
    if (at(p, 'e') || at(p, 'E')) {
        p->pos++;
        if (at(p, '+') || at(p, '-')) {
            p->pos++;
        }
        if (p->pos >= p->len || !is_digit(p->src[p->pos])) {
            return fail(p, "expected a digit in the exponent");
        }
        skip_digits(p);
    }
    out->kind = JSON_NUMBER;
    return 1;
}

/* Four hex digits at `s`, or -1. */
static long hex4(const char *s)
{
    long value = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        value <<= 4;
        if (c >= '0' && c <= '9') {
            value |= c - '0';
        } else if (c >= 'a' && c <= 'f') {
            value |= c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            value |= c - 'A' + 10;
        } else {
            return -1;
        }
    }
    return value;
}

static size_t put_utf8(char *buf, unsigned long cp)
{
    if (cp < 0x80) {
        buf[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    buf[0] = (char)(0xF0 | (cp >> 18));
    buf[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    buf[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decodes the \uXXXX escape whose hex digits start at p->pos (a surrogate pair takes a second
 * escape) and appends it to `buf`. `end` is the closing quote.
 */
static int decode_unicode_escape(parser *p, size_t end, char *buf, size_t *n)
{
    long cp;
    if (end - p->pos < 4 || (cp = hex4(p->src + p->pos)) < 0) {
        return fail(p, "expected four hex digits after \\u");
    }
    p->pos += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(p, "a low surrogate without a high surrogate before it");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        long low = -1;
        if (end - p->pos >= 6 && p->src[p->pos] == '\\' && p->src[p->pos + 1] == 'u') {
            low = hex4(p->src + p->pos + 2);
        }
        if (low < 0xDC00 || low > 0xDFFF) {
            return fail(p, "a high surrogate without a low surrogate after it");
        }
        p->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    *n += put_utf8(buf + *n, (unsigned long)cp);
    return 1;
}

/* Decodes the string starting at the opening quote into a new NUL-terminated buffer. */
static int parse_string(parser *p, char **out, size_t *out_len)
{
    size_t end;
    size_t n = 0;
    char *buf;

    p->pos++; /* the opening quote */
    /* Find the closing quote first: the decoded text is never longer than the raw text. */
    for (end = p->pos; end < p->len && p->src[end] != '"'; end++) {
        if (p->src[end] == '\\') {
            end++;
        }
    }
    if (end >= p->len) {
        return fail(p, "unterminated string");
    }
    buf = malloc(end - p->pos + 1);
    if (buf == NULL) {
        return fail(p, "out of memory");
    }
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->src[p->pos];
        if (c < 0x20) {
            free(buf);
            return fail(p, "a control character in a string must be escaped");
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            p->pos++;
            continue;
        }
        p->pos++;
        switch (p->src[p->pos++]) {
        case '"': buf[n++] = '"'; break;
        case '\\': buf[n++] = '\\'; break;
        case '/': buf[n++] = '/'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'f': buf[n++] = '\f'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'u':
            if (!decode_unicode_escape(p, end, buf, &n)) {
                free(buf);
                return 0;
            }
            break;
        default:
            p->pos--;
            free(buf);
            return fail(p, "unknown escape sequence");
        }
    }
    buf[n] = '\0';
    p->pos = end + 1;
    *out = buf;
    *out_len = n;
    return 1;
}

/* Appends `member` to a container; on failure the caller still owns `member`. */
static int push_member(parser *p, json_value *container, size_t *capacity, json_member *member)
{
    if (container->count == *capacity) {
        size_t grown = *capacity ? *capacity * 2 : 4;
        json_member *members = realloc(container->members, grown * sizeof *members);
        if (members == NULL) {
            return fail(p, "out of memory");
        }
        container->members = members;
        *capacity = grown;
    }
    container->members[container->count++] = *member;
    return 1;
}

static void free_member(json_member *member)
{
    free(member->key);
    json_free(&member->value);
}

/* An array or an object; `close` is ']' or '}'. */
static int parse_container(parser *p, json_value *out, json_kind kind, char close)
{
    size_t capacity = 0;

    if (++p->depth > JSON_MAX_DEPTH) {
        return fail(p, "nested too deeply");
    }
    out->kind = kind;
    p->pos++;
    skip_whitespace(p);
    if (at(p, close)) {
        p->pos++;
        p->depth--;
        return 1;
    }
    for (;;) {
        json_member member;
        memset(&member, 0, sizeof member);
        skip_whitespace(p);
        if (kind == JSON_OBJECT) {
            if (!at(p, '"')) {
                fail(p, "expected a string key");
                goto error;
            }
            if (!parse_string(p, &member.key, &member.key_len)) {
                goto error;
            }
            skip_whitespace(p);
            if (!at(p, ':')) {
                free(member.key);
                fail(p, "expected ':' after a key");
                goto error;
            }
            p->pos++;
        }
        if (!parse_value(p, &member.value) || !push_member(p, out, &capacity, &member)) {
            free_member(&member);
            goto error;
        }
        skip_whitespace(p);
        if (at(p, ',')) {
            p->pos++;
        } else if (at(p, close)) {
            p->pos++;
            break;
        } else {
            fail(p, kind == JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
            goto error;
        }
    }
    p->depth--;
    return 1;

error:
    json_free(out);
    return 0;
}

static int parse_value(parser *p, json_value *out)
{
    size_t start;
    int ok;

    memset(out, 0, sizeof *out);
    skip_whitespace(p);
    if (p->pos >= p->len) {
        return fail(p, "unexpected end of input, expected a value");
    }
    start = p->pos;
    switch (p->src[p->pos]) {
    case '{': ok = parse_container(p, out, JSON_OBJECT, '}'); break;
    case '[': ok = parse_container(p, out, JSON_ARRAY, ']'); break;
    case '"':
        out->kind = JSON_STRING;
        ok = parse_string(p, &out->str, &out->str_len);
        break;
    case 't': ok = parse_literal(p, "true", JSON_TRUE, out); break;
    case 'f': ok = parse_literal(p, "false", JSON_FALSE, out); break;
    case 'n': ok = parse_literal(p, "null", JSON_NULL, out); break;
    default:
        if (p->src[p->pos] == '-' || is_digit(p->src[p->pos])) {
            ok = parse_number(p, out);
        } else {
            ok = fail(p, "expected a value");
        }
    }
    if (ok) {
        out->text = p->src + start;
        out->text_len = p->pos - start;
    }
    return ok;
}

int json_parse(const char *text, size_t len, json_value *out, json_error *err)
{
    parser p;
    p.src = text;
    p.len = len;
    p.pos = 0;
    p.depth = 0;
    p.err = err;
    if (!parse_value(&p, out)) {
        return 0;
    }
    skip_whitespace(&p);
    if (p.pos != p.len) {
        json_free(out);
        return fail(&p, "trailing characters after the value");
    }
    return 1;
}

void json_free(json_value *value)
{
    size_t i;
    for (i = 0; i < value->count; i++) {
        free_member(&value->members[i]);
    }
    free(value->members);
    free(value->str);
    value->members = NULL;
    value->count = 0;
    value->str = NULL;
}

const json_value *json_get(const json_value *object, const char *key)
{
    size_t i;
    size_t len = strlen(key);
    if (object == NULL || object->kind != JSON_OBJECT) {
        return NULL;
    }
    for (i = 0; i < object->count; i++) {
        const json_member *m = &object->members[i];
        if (m->key_len == len && memcmp(m->key, key, len) == 0) {
            return &m->value;
        }
    }
    return NULL;
}

const char *json_get_string(const json_value *object, const char *key)
{
    const json_value *v = json_get(object, key);
    return v != NULL && v->kind == JSON_STRING ? v->str : NULL;
}

int json_string_is(const json_value *s, const char *text, size_t len)
{
    return s != NULL && s->kind == JSON_STRING && s->str_len == len &&
           memcmp(s->str, text, len) == 0;
}

static int is_integer(const json_value *number)
{
    size_t i;
    for (i = 0; i < number->text_len; i++) {
        char c = number->text[i];
        if (c == '.' || c == 'e' || c == 'E') {
            return 0;
        }
    }
    return 1;
}

/* The number's value as a double (the span is not NUL-terminated, so copy it). */
static double number_value(const json_value *number)
{
    char *copy = malloc(number->text_len + 1);
    double value;
    if (copy == NULL) {
        return 0.0;
    }
    memcpy(copy, number->text, number->text_len);
    copy[number->text_len] = '\0';
    value = strtod(copy, NULL);
    free(copy);
    return value;
}

static int numbers_equal(const json_value *a, const json_value *b)
{
    int a_int = is_integer(a);
    int b_int = is_integer(b);
    if (a_int && b_int) {
        return a->text_len == b->text_len && memcmp(a->text, b->text, a->text_len) == 0;
    }
    if (a_int != b_int) {
        return 0;
    }
    return number_value(a) == number_value(b);
}

static const json_member *find_member(const json_value *object, const json_member *like)
{
    size_t i;
    for (i = 0; i < object->count; i++) {
        const json_member *m = &object->members[i];
        if (m->key_len == like->key_len && memcmp(m->key, like->key, m->key_len) == 0) {
            return m;
        }
    }
    return NULL;
}

/* Every member of `a` has a member of the same key and an equal value in `b`. */
static int members_found_in(const json_value *a, const json_value *b, int ordered)
{
    size_t i;
    for (i = 0; i < a->count; i++) {
        const json_member *other = find_member(b, &a->members[i]);
        if (other == NULL || !json_equal(&a->members[i].value, &other->value, ordered)) {
            return 0;
        }
    }
    return 1;
}

int json_equal(const json_value *a, const json_value *b, int ordered)
{
    size_t i;
    if (a->kind != b->kind) {
        return 0;
    }
    switch (a->kind) {
    case JSON_NULL:
    case JSON_FALSE:
    case JSON_TRUE:
        return 1;
    case JSON_NUMBER:
        return numbers_equal(a, b);
    case JSON_STRING:
        return a->str_len == b->str_len && memcmp(a->str, b->str, a->str_len) == 0;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (a->count != b->count) {
            return 0;
        }
        if (a->kind == JSON_OBJECT && !ordered) {
            /* Both ways, so that duplicate keys cannot make unequal objects look equal. */
            return members_found_in(a, b, ordered) && members_found_in(b, a, ordered);
        }
        for (i = 0; i < a->count; i++) {
            const json_member *x = &a->members[i];
            const json_member *y = &b->members[i];
            if (x->key_len != y->key_len || (x->key_len && memcmp(x->key, y->key, x->key_len)) ||
                !json_equal(&x->value, &y->value, ordered)) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

char *json_compact(const json_value *value)
{
    char *out = malloc(value->text_len + 1);
    size_t i, n = 0;
    int in_string = 0;
    if (out == NULL) {
        return NULL;
    }
    for (i = 0; i < value->text_len; i++) {
        char c = value->text[i];
        if (in_string) {
            out[n++] = c;
            if (c == '\\' && i + 1 < value->text_len) {
                out[n++] = value->text[++i];
            } else if (c == '"') {
                in_string = 0;
            }
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out[n++] = c;
            in_string = c == '"';
        }
    }
    out[n] = '\0';
    return out;
}
