// Numbers a JSON document holds that govector cannot keep as written (see json_exact.h).
#include "engine/json_exact.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace govector {

namespace {

// A decimal number as its significant digits (no leading or trailing zeros) and a power of ten.
struct Decimal {
  bool negative = false;
  std::string digits;
  long exponent = 0;  // value = digits * 10^exponent
};

// Parses "-123", "1.5e+300", "0.0001" (what std::to_chars and JSON integers look like).
Decimal ToDecimal(std::string_view s) {
  Decimal d;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) d.negative = s[i++] == '-';
  long point_shift = 0;
  bool after_point = false;
  for (; i < s.size() && s[i] != 'e' && s[i] != 'E'; ++i) {
    if (s[i] == '.') {
      after_point = true;
      continue;
    }
    d.digits.push_back(s[i]);
    if (after_point) --point_shift;
  }
  long exp = 0;
  if (i < s.size()) exp = std::strtol(std::string(s.substr(i + 1)).c_str(), nullptr, 10);
  d.exponent = exp + point_shift;
  size_t lead = d.digits.find_first_not_of('0');
  if (lead == std::string::npos) return Decimal{};  // zero
  d.digits.erase(0, lead);
  while (!d.digits.empty() && d.digits.back() == '0') {
    d.digits.pop_back();
    ++d.exponent;
  }
  return d;
}

bool SameDecimal(const Decimal& a, const Decimal& b) {
  if (a.digits.empty() || b.digits.empty()) return a.digits.empty() && b.digits.empty();
  return a.negative == b.negative && a.digits == b.digits && a.exponent == b.exponent;
}

class NumberCheck : public nlohmann::json_sax<nlohmann::json> {
 public:
  Status result;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t v, const string_t& s) override {
    // A float lexeme (a fraction or an exponent) asks for a double, and gets the nearest one. An integer
    // lexeme here is one beyond 64 bits.
    if (s.find_first_of(".eE") != std::string::npos || IntegerDigitsReadBackAs(s, v)) return true;
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
    result = Status::InvalidArgument("the number " + Shorten(s) + " cannot be stored exactly: payload numbers are " +
                                     "64-bit integers or doubles, and it would read back as " +
                                     std::string(buf, r.ptr) + "; store it as a string");
    return false;
  }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string& token, const nlohmann::detail::exception& e) override {
    // 406: a number beyond a double's range (1e400, or 401 digits from jsonb). Anything else is not JSON,
    // which the caller's own parse reports.
    if (e.id == 406)
      result = Status::InvalidArgument("the number " + Shorten(token) +
                                       " is beyond the range of a double (about 1.8e308), which payload numbers " +
                                       "are kept in; store it as a string");
    return false;
  }

 private:
  static std::string Shorten(const std::string& s) { return s.size() <= 40 ? s : s.substr(0, 20) + "..." + s.substr(s.size() - 8); }
};

}  // namespace

bool IntegerDigitsReadBackAs(std::string_view digits, double d) {
  if (!std::isfinite(d)) return false;
  // The shortest digits that read back as d, as the engine writes the number out (nlohmann's dump). In plain
  // notation to_chars would print a large double's exact binary value (2^64 as 18446744073709551616), which
  // is not what a reader gets back (1.8446744073709552e+19).
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  return SameDecimal(ToDecimal(digits), ToDecimal(std::string_view(buf, r.ptr - buf)));
}

Status CheckJsonNumbers(std::string_view text) {
  // Cheap path: only numbers of more than 19 digits (or 1e309 and the like) can be a problem.
  size_t run = 0;
  bool long_number = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (++run > 19) {
        long_number = true;
        break;
      }
    } else {
      if ((c == 'e' || c == 'E') && run > 0) {
        long_number = true;  // an exponent may overflow
        break;
      }
      run = 0;
    }
  }
  if (!long_number) return Status::OK();
  NumberCheck check;
  nlohmann::json::sax_parse(text.begin(), text.end(), &check, nlohmann::json::input_format_t::json, false);
  return check.result;
}

}  // namespace govector
