// Typed reads of one JSON object's members that record, instead of throwing, every problem with
// its path. Internal to the config loader.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/json_path.hpp"
#include "input/address.hpp"

namespace xt::config {

using json = nlohmann::json;

struct Problems {
    std::vector<std::string> errors;
    std::vector<std::string> warnings;
    void error(const JsonPath& at, std::string_view what);
    void warn(const JsonPath& at, std::string_view what);
};

// `string "ten"`, `number 5`, `boolean true`, `null`, `an array`, `an object`.
std::string describe(const json& value);

// A string as a JSON literal for messages; never throws (invalid UTF-8 becomes U+FFFD).
std::string quote(const std::string& text);

// Keys starting with one of @ $ _ # are annotations: KrakenD's schema accepts them everywhere.
bool is_annotation_key(std::string_view key);

class Fields {
public:
    // `object` must outlive the Fields. When it is not an object, one problem is recorded and every
    // read returns nothing.
    Fields(const json& object, JsonPath path, Problems& problems);

    bool valid() const { return object_ != nullptr; }
    const JsonPath& path() const { return path_; }
    bool has(std::string_view key) const;
    const json* get(std::string_view key) const;

    std::optional<double> number(std::string_view key, bool required = false);
    // A non-negative whole number (2.0 is accepted, 2.5 and -1 are not), at most `max`.
    std::optional<uint64_t> whole(std::string_view key, bool required = false,
                                  uint64_t max = UINT64_MAX);
    // The same, at least 1 (0 is a problem: "expected 1 or more").
    std::optional<uint64_t> positive(std::string_view key, uint64_t max = UINT64_MAX);
    std::optional<std::string> string(std::string_view key, bool required = false);
    std::optional<bool> boolean(std::string_view key);
    // Go duration syntax ("1s", "10m", "1m30s"); strictly positive.
    std::optional<uint64_t> duration_ns(std::string_view key);
    std::optional<std::vector<std::string>> string_list(std::string_view key);
    // The same, but one string also stands for a list of one: KrakenD's loader (koanf, decoding
    // with mapstructure's WeaklyTypedInput) converts it so, e.g. `"host": "http://10.0.0.2"`.
    std::optional<std::vector<std::string>> weak_string_list(std::string_view key);
    // An array of addresses or CIDRs ("10.0.0.0/8", "2001:db8::1"); every bad entry is a problem at
    // its index, and the good ones are kept.
    std::optional<std::vector<Cidr>> cidr_list(std::string_view key);

    // Records an error for every member outside `known` (annotations excepted), as KrakenD's schema
    // does with additionalProperties: false.
    void reject_unknown(std::initializer_list<std::string_view> known);
    // The same, but as a warning: for blocks whose KrakenD schema tolerates extra members.
    void warn_unknown(std::initializer_list<std::string_view> known);

    // The member `key` when it is there and `is_expected`; otherwise nothing, and a problem
    // "expected <expected>, got ..." (or "required: ..." when it is missing and `required`).
    const json* typed(std::string_view key, bool required, std::string_view expected,
                      bool (*is_expected)(const json&));

private:
    const json* object_ = nullptr;
    JsonPath path_;
    Problems& problems_;
};

// A block KrakenD's schema closes (additionalProperties: false): members outside `known` are
// errors, and `read(fields)` makes the T. Nothing when the block is not an object or `read`
// recorded an error; an unknown member alone fails the file but leaves the block usable.
template <typename T, typename Read>
std::optional<T> read_closed_block(const json& block, const JsonPath& at, Problems& problems,
                                   std::initializer_list<std::string_view> known, Read&& read) {
    Fields fields(block, at, problems);
    if (!fields.valid()) return std::nullopt;
    fields.reject_unknown(known);
    const std::size_t errors_before = problems.errors.size();
    std::optional<T> out = read(fields);
    if (problems.errors.size() != errors_before) return std::nullopt;
    return out;
}

}  // namespace xt::config
