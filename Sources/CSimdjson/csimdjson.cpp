#include <cmath>
#include <cstdlib>
#include "csimdjson.h"

#include <simdjson.h>

#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

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


/// The pointers' steps as a tree: node 0 is the document's root, each other node one step (an
/// object key, or an array index) below its parent.
struct csj_paths {
    struct Node {
        /// The step's token, unescaped (`~1` → `/`, `~0` → `~`).
        std::string key;
        /// The token read as an array index the way simdjson's at_pointer reads it (digits, no
        /// leading zero, not `-`); -1 when it is not one, and an array then has no such element.
        long long index = -1;
        /// The pointers that end here.
        std::vector<size_t> outputs;
        std::vector<size_t> children;
    };
    std::vector<Node> nodes;
    size_t count = 0;
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

// simdjson 3.0.1 refuses integers beyond the range of uint64 and numbers beyond a double's
// (NUMBER_ERROR), which would reject a whole line as invalid JSON for one big id in a field nobody
// reads, or for one `1e309` whose row deserves the rule it breaks (`number-finite`, with its
// column). Copies `buf` with every such literal (outside strings) in quotes, so that simdjson
// reads it as a string and the reader hands out its exact text, as the CSV reader would; false
// if there is none. `underflow`: also a nonzero literal too small for a double (`1e-400`), which
// simdjson reads as 0 without an error, so that its row gets `number-precision`.
bool quote_out_of_range_numbers(const char *buf, size_t len, std::string &out, bool underflow = false) {
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
            bool nonzero = false;
            for (size_t d = int_start; d < i; d++) { nonzero = nonzero || buf[d] != '0'; }
            if (i < len && buf[i] == '.') {
                is_float = true;
                i++;
                while (digit(i)) { nonzero = nonzero || buf[i] != '0'; i++; }
            }
            bool has_exponent = false;
            if (i < len && (buf[i] == 'e' || buf[i] == 'E')) {
                is_float = true;
                has_exponent = true;
                i++;
                if (i < len && (buf[i] == '+' || buf[i] == '-')) { i++; }
                while (digit(i)) { i++; }
            }
            bool out_of_range = !is_float && int_digits >= 20;
            // Only an exponent or some 300 digits can take a literal past a double's range
            // (the underflow scan runs on ordinary lines, so it skips strtod for the rest).
            if (is_float && (!underflow || (nonzero && (has_exponent || i - start > 300)))) {
                std::string literal(buf + start, i - start);
                double value = std::strtod(literal.c_str(), nullptr);
                out_of_range = std::isinf(value) || (underflow && nonzero && value == 0);
            }
            if (out_of_range) {
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


// A token as simdjson's array::at_pointer reads it: -1 unless it is digits without a leading zero.
long long array_index(const std::string &token) {
    if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) { return -1; }
    long long value = 0;
    for (char c : token) {
        if (c < '0' || c > '9') { return -1; }
        value = value * 10 + (c - '0');
    }
    return value;
}

// The unescaped tokens of an RFC 6901 pointer; false when it is malformed.
bool split_pointer(std::string_view pointer, std::vector<std::string> &tokens) {
    tokens.clear();
    if (pointer.empty()) { return true; }
    if (pointer[0] != '/') { return false; }
    size_t at = 1;
    while (true) {
        size_t slash = pointer.find('/', at);
        std::string_view raw = pointer.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
        std::string token;
        for (size_t i = 0; i < raw.size(); i++) {
            if (raw[i] != '~') { token.push_back(raw[i]); continue; }
            if (i + 1 >= raw.size() || (raw[i + 1] != '0' && raw[i + 1] != '1')) { return false; }
            token.push_back(raw[i + 1] == '0' ? '~' : '/');
            i++;
        }
        tokens.push_back(std::move(token));
        if (slash == std::string_view::npos) { return true; }
        at = slash + 1;
    }
}

// Fills the outputs of `node` and of everything below it that `element` holds.
void walk(const csj_paths &paths, size_t node, const simdjson::dom::element &element, csj_value *out) {
    const csj_paths::Node &here = paths.nodes[node];
    for (size_t output : here.outputs) { fill(element, out + output); }
    if (here.children.empty()) { return; }
    using simdjson::dom::element_type;
    element_type type = element.type();
    for (size_t child : here.children) {
        const csj_paths::Node &step = paths.nodes[child];
        simdjson::simdjson_result<simdjson::dom::element> found;
        if (type == element_type::OBJECT) {
            found = element.get_object().value_unsafe().at_key(step.key);
        } else if (type == element_type::ARRAY && step.index >= 0) {
            found = element.get_array().value_unsafe().at(size_t(step.index));
        } else {
            continue;
        }
        if (!found.error()) { walk(paths, child, found.value_unsafe(), out); }
    }
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
        if (quote_out_of_range_numbers(buf, len, widened)) {
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

int csj_parse_quoting_underflow(csj_parser *parser, const char *buf, size_t len) {
    std::string widened;
    if (!quote_out_of_range_numbers(buf, len, widened, true)) { return 0; }
    parser->scratch = simdjson::padded_string(widened);
    auto retry = parser->parser.parse(parser->scratch);
    if (retry.error()) { return 0; }
    parser->root = retry.value_unsafe();
    parser->has_root = true;
    parser->iterating = false;
    return 1;
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

csj_paths *csj_paths_create(const char *const *pointers, const size_t *lengths, size_t count) {
    try {
        auto paths = std::make_unique<csj_paths>();
        paths->count = count;
        paths->nodes.emplace_back();
        std::vector<std::string> tokens;
        for (size_t i = 0; i < count; i++) {
            if (!split_pointer(std::string_view(pointers[i], lengths[i]), tokens)) { continue; }
            size_t node = 0;
            for (const std::string &token : tokens) {
                size_t next = 0;
                for (size_t child : paths->nodes[node].children) {
                    if (paths->nodes[child].key == token) { next = child; break; }
                }
                if (next == 0) {
                    csj_paths::Node step;
                    step.key = token;
                    step.index = array_index(token);
                    paths->nodes.push_back(std::move(step));
                    next = paths->nodes.size() - 1;
                    paths->nodes[node].children.push_back(next);
                }
                node = next;
            }
            paths->nodes[node].outputs.push_back(i);
        }
        return paths.release();
    } catch (...) {
        return nullptr;
    }
}

void csj_paths_destroy(csj_paths *paths) { delete paths; }

void csj_lookup_paths(csj_parser *parser, const csj_paths *paths, csj_value *out) {
    for (size_t i = 0; i < paths->count; i++) {
        out[i] = csj_value{};
        out[i].type = CSJ_MISSING;
    }
    if (!parser->has_root) { return; }
    walk(*paths, 0, parser->root, out);
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
