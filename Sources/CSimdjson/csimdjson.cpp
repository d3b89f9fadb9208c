#include "csimdjson.h"

#include <simdjson.h>

#include <new>
#include <string>
#include <string_view>

struct csj_parser {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    bool has_root = false;
    /// A rewritten copy of the line, for the big-integer retry.
    simdjson::padded_string scratch;
    /// The array csj_array_begin started, and how far csj_array_next has gone.
    simdjson::dom::array::iterator next;
    simdjson::dom::array::iterator end;
    bool iterating = false;
};

static_assert(CSJ_OK == int(simdjson::SUCCESS), "simdjson error codes moved");
static_assert(CSJ_ERROR_MEMALLOC == int(simdjson::MEMALLOC), "simdjson error codes moved");
static_assert(CSJ_ERROR_UTF8 == int(simdjson::UTF8_ERROR), "simdjson error codes moved");

namespace {

// After a document this big, a small one gets a fresh parser: simdjson keeps its buffers at the
// largest size it has seen, and one 64 MiB line should not hold hundreds of MiB for the rest of
// the file.
constexpr size_t kShrinkAbove = 16u << 20;
constexpr size_t kShrinkBelow = 1u << 20;

csj_type fill(const simdjson::dom::element &element, csj_value *out) {
    using simdjson::dom::element_type;
    switch (element.type()) {
        case element_type::ARRAY:
        case element_type::OBJECT:
            out->type = CSJ_CONTAINER;
            break;
        case element_type::NULL_VALUE:
            out->type = CSJ_NULL;
            break;
        case element_type::BOOL:
            out->type = CSJ_BOOL;
            out->boolean = element.get_bool().value_unsafe() ? 1 : 0;
            break;
        case element_type::INT64: {
            int64_t value = element.get_int64().value_unsafe();
            out->type = CSJ_NUMBER;
            out->is_integer = 1;
            out->fits_int64 = 1;
            out->int64 = value;
            out->number = double(value);
            break;
        }
        case element_type::UINT64: {
            // Only integers above INT64_MAX are UINT64 on simdjson's tape.
            uint64_t value = element.get_uint64().value_unsafe();
            out->type = CSJ_NUMBER;
            out->is_integer = 1;
            out->fits_int64 = 0;
            out->uint64 = value;
            out->number = double(value);
            break;
        }
        case element_type::DOUBLE:
            out->type = CSJ_NUMBER;
            out->number = element.get_double().value_unsafe();
            break;
        case element_type::STRING: {
            std::string_view text = element.get_string().value_unsafe();
            out->type = CSJ_STRING;
            out->string = text.data();
            out->length = text.size();
            break;
        }
    }
    return out->type;
}

// simdjson 3.0.1 refuses integers beyond the range of uint64 (NUMBER_ERROR), which would reject
// a whole line for one big id in a field nobody reads. Copies `buf` with every integer literal
// (outside strings) of 20 or more digits in quotes, so that simdjson reads it as a string and the
// reader hands out its exact digits (as it does for any integer a double cannot hold); false if
// there is none.
bool widen_big_integers(const char *buf, size_t len, std::string &out) {
    auto digit = [&](size_t i) { return i < len && buf[i] >= '0' && buf[i] <= '9'; };
    bool changed = false;
    bool in_string = false;
    out.clear();
    out.reserve(len + 16);
    size_t i = 0;
    while (i < len) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\' && i + 1 < len) {
                out.append(buf + i, 2);
                i += 2;
                continue;
            }
            if (c == '"') { in_string = false; }
            out.push_back(c);
            i++;
            continue;
        }
        if (c == '"') {
            in_string = true;
            out.push_back(c);
            i++;
            continue;
        }
        if (c == '-' || digit(i)) {
            size_t start = i;
            if (c == '-') { i++; }
            size_t int_start = i;
            while (digit(i)) { i++; }
            size_t int_digits = i - int_start;
            bool is_float = false;
            if (i < len && buf[i] == '.') {
                is_float = true;
                i++;
                while (digit(i)) { i++; }
            }
            if (i < len && (buf[i] == 'e' || buf[i] == 'E')) {
                is_float = true;
                i++;
                if (i < len && (buf[i] == '+' || buf[i] == '-')) { i++; }
                while (digit(i)) { i++; }
            }
            if (!is_float && int_digits >= 20) {
                out.push_back('"');
                out.append(buf + start, i - start);
                out.push_back('"');
                changed = true;
            } else {
                out.append(buf + start, i - start);
            }
            continue;
        }
        out.push_back(c);
        i++;
    }
    return changed;
}

} // namespace

extern "C" {

size_t csj_padding(void) { return simdjson::SIMDJSON_PADDING; }

csj_parser *csj_parser_create(void) { return new (std::nothrow) csj_parser(); }

void csj_parser_destroy(csj_parser *parser) { delete parser; }

int csj_parse(csj_parser *parser, const char *buf, size_t len) {
    parser->has_root = false;
    parser->iterating = false;
    if (parser->parser.capacity() > kShrinkAbove && len < kShrinkBelow) {
        parser->parser = simdjson::dom::parser();
    }
    // realloc_if_needed = false: the caller guarantees SIMDJSON_PADDING readable bytes after
    // the document, so simdjson reads the line where it is instead of copying it.
    auto result = parser->parser.parse(buf, len, false);
    if (result.error() == simdjson::NUMBER_ERROR) {
        std::string widened;
        if (widen_big_integers(buf, len, widened)) {
            parser->scratch = simdjson::padded_string(widened);
            auto retry = parser->parser.parse(parser->scratch);
            if (!retry.error()) { result = std::move(retry); }
        }
    }
    if (result.error()) { return int(result.error()); }
    parser->root = result.value_unsafe();
    parser->has_root = true;
    return 0;
}

csj_type csj_root_type(csj_parser *parser, int *is_object) {
    *is_object = 0;
    if (!parser->has_root) { return CSJ_MISSING; }
    csj_value value = {};
    csj_type type = fill(parser->root, &value);
    if (parser->root.type() == simdjson::dom::element_type::OBJECT) { *is_object = 1; }
    return type;
}

csj_type csj_lookup(csj_parser *parser, const char *pointer, size_t len, csj_value *out) {
    *out = csj_value{};
    out->type = CSJ_MISSING;
    if (!parser->has_root) { return CSJ_MISSING; }
    auto found = parser->root.at_pointer(std::string_view(pointer, len));
    if (found.error()) { return CSJ_MISSING; }
    return fill(found.value_unsafe(), out);
}

long csj_array_begin(csj_parser *parser, const char *pointer, size_t len) {
    parser->iterating = false;
    if (!parser->has_root) { return -1; }
    auto found = parser->root.at_pointer(std::string_view(pointer, len));
    if (found.error()) { return -1; }
    auto array = found.value_unsafe().get_array();
    if (array.error()) { return -1; }
    parser->next = array.value_unsafe().begin();
    parser->end = array.value_unsafe().end();
    parser->iterating = true;
    return long(array.value_unsafe().size());
}

csj_type csj_array_next(csj_parser *parser, csj_value *out) {
    *out = csj_value{};
    if (!parser->iterating || !(parser->next != parser->end)) {
        parser->iterating = false;
        out->type = CSJ_MISSING;
        return CSJ_MISSING;
    }
    csj_type type = fill(*parser->next, out);
    ++parser->next;
    return type;
}

const char *csj_error_message(int code) {
    if (code < 0 || code >= int(simdjson::NUM_ERROR_CODES)) { return "unknown simdjson error"; }
    return simdjson::error_message(simdjson::error_code(code));
}

} // extern "C"
