#include "json_fields.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "input/duration.hpp"

namespace xt::config {

void Problems::error(const JsonPath& at, std::string_view what) {
    errors.push_back(fmt::format("{}: {}", at.str(), what));
}

void Problems::warn(const JsonPath& at, std::string_view what) {
    warnings.push_back(fmt::format("{}: {}", at.str(), what));
}

std::string quote(const std::string& text) {
    return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string describe(const json& value) {
    switch (value.type()) {
    case json::value_t::string: {
        std::string text = value.get<std::string>();
        if (text.size() > 40) text = text.substr(0, 37) + "...";
        return fmt::format("string {}", quote(text));
    }
    case json::value_t::boolean: return fmt::format("boolean {}", value.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return fmt::format("number {}", value.dump());
    case json::value_t::null: return "null";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
    }
}

bool is_annotation_key(std::string_view key) {
    return !key.empty() && (key[0] == '@' || key[0] == '$' || key[0] == '_' || key[0] == '#');
}

Fields::Fields(const json& object, JsonPath path, Problems& problems)
    : path_(std::move(path)), problems_(problems) {
    if (object.is_object())
        object_ = &object;
    else
        problems_.error(path_, fmt::format("expected an object, got {}", describe(object)));
}

bool Fields::has(std::string_view key) const { return get(key) != nullptr; }

const json* Fields::get(std::string_view key) const {
    if (!object_) return nullptr;
    auto it = object_->find(key);
    return it == object_->end() ? nullptr : &*it;
}

const json* Fields::typed(std::string_view key, bool required, std::string_view expected,
                          bool (*is_expected)(const json&)) {
    const json* v = get(key);
    if (!v) {
        if (required && object_) problems_.error(path_ / key, fmt::format("required: expected {}", expected));
        return nullptr;
    }
    if (!is_expected(*v)) {
        problems_.error(path_ / key, fmt::format("expected {}, got {}", expected, describe(*v)));
        return nullptr;
    }
    return v;
}

std::optional<double> Fields::number(std::string_view key, bool required) {
    const json* v = typed(key, required, "a number", [](const json& j) { return j.is_number(); });
    if (!v) return std::nullopt;
    return v->get<double>();
}

std::optional<uint64_t> Fields::whole(std::string_view key, bool required, uint64_t max) {
    // 2.0 is a whole number too; above 1.8e19 a double no longer fits in 64 bits.
    const json* v = typed(key, required, "a whole number (0 or more)", [](const json& j) {
        if (j.is_number_unsigned()) return true;
        if (!j.is_number_float()) return false;
        const double d = j.get<double>();
        return d >= 0 && d == std::floor(d) && d <= 1.8e19;
    });
    if (!v) return std::nullopt;
    const uint64_t out =
        v->is_number_unsigned() ? v->get<uint64_t>() : static_cast<uint64_t>(v->get<double>());
    if (out > max) {
        problems_.error(path_ / key, fmt::format("expected at most {}, got {}", max, out));
        return std::nullopt;
    }
    return out;
}

std::optional<uint64_t> Fields::positive(std::string_view key, uint64_t max) {
    auto v = whole(key, false, max);
    if (v && *v == 0) {
        problems_.error(path_ / key, "expected 1 or more, got number 0");
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> Fields::string(std::string_view key, bool required) {
    const json* v = typed(key, required, "a string", [](const json& j) { return j.is_string(); });
    if (!v) return std::nullopt;
    return v->get<std::string>();
}

std::optional<bool> Fields::boolean(std::string_view key) {
    const json* v = typed(key, false, "true or false", [](const json& j) { return j.is_boolean(); });
    if (!v) return std::nullopt;
    return v->get<bool>();
}

std::optional<uint64_t> Fields::duration_ns(std::string_view key) {
    const json* v = typed(key, false, "a duration such as \"1s\" or \"10m\"",
                          [](const json& j) { return j.is_string(); });
    if (!v) return std::nullopt;
    auto parsed = parse_duration_ns(v->get<std::string>());
    if (!parsed) {
        problems_.error(path_ / key, fmt::format("expected a duration such as \"1s\" or \"10m\" "
                                                 "(units ns, us, ms, s, m, h), got {}: {}",
                                                 describe(*v), parsed.error().message));
        return std::nullopt;
    }
    if (*parsed == 0) {
        problems_.error(path_ / key, "expected a duration longer than 0");
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::vector<std::string>> Fields::string_list(std::string_view key) {
    const json* v = typed(key, false, "an array of strings", [](const json& j) { return j.is_array(); });
    if (!v) return std::nullopt;
    std::vector<std::string> out;
    bool ok = true;
    for (std::size_t i = 0; i < v->size(); ++i) {
        const json& item = (*v)[i];
        if (!item.is_string()) {
            problems_.error((path_ / key)[i],
                            fmt::format("expected a string, got {}", describe(item)));
            ok = false;
            continue;
        }
        out.push_back(item.get<std::string>());
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<std::vector<std::string>> Fields::weak_string_list(std::string_view key) {
    if (const json* v = get(key); v && v->is_string()) return std::vector<std::string>{v->get<std::string>()};
    return string_list(key);
}

std::optional<std::vector<Cidr>> Fields::cidr_list(std::string_view key) {
    auto list = string_list(key);
    if (!list) return std::nullopt;
    std::vector<Cidr> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        auto cidr = parse_cidr((*list)[i]);
        if (!cidr)
            problems_.error((path_ / key)[i], fmt::format("expected an address or CIDR such as "
                                                          "\"10.0.0.0/8\": {}", cidr.error().message));
        else
            out.push_back(*cidr);
    }
    return out;
}

void Fields::reject_unknown(std::initializer_list<std::string_view> known) {
    if (!object_) return;
    for (const auto& [key, value] : object_->items()) {
        if (is_annotation_key(key)) continue;
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string expected;
        for (auto k : known) expected += fmt::format("{}{}", expected.empty() ? "" : ", ", k);
        problems_.error(path_ / key, fmt::format("unknown field (expected one of: {})", expected));
    }
}

void Fields::warn_unknown(std::initializer_list<std::string_view> known) {
    if (!object_) return;
    for (const auto& [key, value] : object_->items()) {
        if (is_annotation_key(key)) continue;
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        problems_.warn(path_ / key, "unknown field, ignored");
    }
}

}  // namespace xt::config
