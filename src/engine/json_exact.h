// Numbers a JSON document holds that govector cannot keep as written. Payload numbers are 64-bit integers or
// doubles (nlohmann's, and the stored form's). A larger integer becomes the nearest double, which may read
// back as another number (123456789012345678901234567890 as 123456789012345680000000000000), and a number
// beyond a double's range cannot be read at all. Postgres's jsonb writes every numeric in plain digits
// (1.5e300 as 15 followed by 299 zeros), so a large integer is accepted when the double it becomes reads back
// as the same number.
#pragma once

#include <string>
#include <string_view>

#include "engine/status.h"

namespace govector {

// InvalidArgument naming the first such number of text (and why), or OK. A text that is not JSON is OK
// here: the parser that reads it says what is wrong with it.
Status CheckJsonNumbers(std::string_view text);

// Whether the decimal integer digits (optionally signed) equal the double d exactly as its shortest form.
bool IntegerDigitsReadBackAs(std::string_view digits, double d);

}  // namespace govector
