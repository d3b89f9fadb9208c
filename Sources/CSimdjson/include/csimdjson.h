// A small C face on simdjson's DOM API, for Swift: one parser per reader, one JSON document
// (one JSONL line) at a time, values looked up by RFC 6901 JSON pointer.
#ifndef CSIMDJSON_H
#define CSIMDJSON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An opaque simdjson DOM parser with the last document it parsed.
typedef struct csj_parser csj_parser;

/// What a lookup found.
typedef enum csj_type {
    CSJ_MISSING = 0,   ///< the pointer leads nowhere (no such key, index out of range, through a scalar)
    CSJ_NULL = 1,
    CSJ_BOOL = 2,
    CSJ_NUMBER = 3,
    CSJ_STRING = 4,
    CSJ_CONTAINER = 5  ///< an object or an array
} csj_type;

/// A looked-up value. Only the fields of its type are set.
typedef struct csj_value {
    csj_type type;
    /// CSJ_BOOL: 0 or 1.
    int boolean;
    /// CSJ_NUMBER: 1 if the JSON number was written as an integer that fits int64 or uint64.
    int is_integer;
    /// CSJ_NUMBER: 1 if `int64` holds the exact value.
    int fits_int64;
    /// CSJ_NUMBER: the value as a double (rounded for integers beyond 2^53).
    double number;
    int64_t int64;
    /// CSJ_NUMBER with is_integer and not fits_int64: the exact value (above INT64_MAX).
    uint64_t uint64;
    /// CSJ_STRING: the unescaped UTF-8 bytes, in the parser's memory: valid until the next
    /// csj_parse or csj_parser_destroy. May contain NUL bytes.
    const char *string;
    size_t length;
} csj_value;

/// The bytes of readable slack a buffer must have after the document's end (SIMDJSON_PADDING).
size_t csj_padding(void);

/// A new parser, or NULL when out of memory.
csj_parser *csj_parser_create(void);
void csj_parser_destroy(csj_parser *parser);

/// Parses one JSON document, `buf[0..<len]`. The caller guarantees that `csj_padding()` bytes
/// after `buf + len` are readable (their contents do not matter); the input is not copied.
/// Returns 0 on success, otherwise a simdjson error code (see csj_error_message). The previous
/// document, and every string pointer into it, is invalid after this call.
/// simdjson refuses integers beyond uint64 (NUMBER_ERROR); then the line is parsed again from a
/// copy in which every integer literal of 20+ digits is quoted, so that it reads as a string of
/// its exact digits. Other errors, and a retry that fails, return the first error.
int csj_parse(csj_parser *parser, const char *buf, size_t len);

/// Parses the line `csj_parse` parsed again, from a copy in which every nonzero number literal
/// too small for a double (`1e-400`, which simdjson reads as 0) is quoted, so that it reads as
/// the string of its text. Returns 1 if it did (earlier lookups are then invalid), 0 if the line
/// holds no such literal (the parsed document stays as it was).
int csj_parse_quoting_underflow(csj_parser *parser, const char *buf, size_t len);

/// The last successfully parsed document's root type (CSJ_CONTAINER for objects and arrays).
/// `is_object` is set to 1 when the root is an object.
csj_type csj_root_type(csj_parser *parser, int *is_object);

/// Looks up `pointer[0..<len]` (an RFC 6901 JSON pointer, "" for the root, "/a/0/b" below it)
/// in the last successfully parsed document. Anything that does not lead to a value (no such
/// key, index out of range, a key on an array, a step through a scalar, a malformed pointer)
/// is CSJ_MISSING.
csj_type csj_lookup(csj_parser *parser, const char *pointer, size_t len, csj_value *out);

/// A set of JSON pointers compiled into a tree of their steps, so that one walk of a document
/// finds all of them: each object on the way is searched once per distinct key below it, not
/// once per pointer (a JSONL line's ten fields under three objects took 31 key comparisons and
/// ten pointer parses; now 10 and none).
typedef struct csj_paths csj_paths;

/// Compiles `count` pointers (`pointers[i][0..<lengths[i]]`); NULL when out of memory. A
/// malformed pointer (no leading `/`, a `~` not followed by `0` or `1`) never finds anything,
/// as with csj_lookup.
csj_paths *csj_paths_create(const char *const *pointers, const size_t *lengths, size_t count);
void csj_paths_destroy(csj_paths *paths);

/// Looks up every compiled pointer in the last successfully parsed document: `out[i]` is what
/// csj_lookup would give for pointer i (same rules: first of duplicate keys, array indexes
/// without leading zeros, CSJ_MISSING for anything that leads nowhere), with one exception: an
/// array index of 19 or more digits is CSJ_MISSING here, where simdjson's at_pointer lets the
/// number wrap around (and `/18446744073709551616` finds element 0).
void csj_lookup_paths(csj_parser *parser, const csj_paths *paths, csj_value *out);

/// Starts going through the array at `pointer[0..<len]` in the last parsed document: returns
/// its number of elements, or -1 when the pointer does not lead to an array. csj_array_next then
/// hands out its elements in order (a data frame's thousands of values without a lookup each).
long csj_array_begin(csj_parser *parser, const char *pointer, size_t len);

/// The next element of the array begun last (CSJ_CONTAINER for a nested object or array);
/// CSJ_MISSING after the last one, or when no array was begun.
csj_type csj_array_next(csj_parser *parser, csj_value *out);

/// simdjson's text for an error code; a static string.
const char *csj_error_message(int code);

/// The simdjson error codes callers tell apart (the values of simdjson::error_code).
enum {
    CSJ_OK = 0,
    CSJ_ERROR_MEMALLOC = 2,
    CSJ_ERROR_UTF8 = 10
};

#ifdef __cplusplus
}
#endif

#endif
