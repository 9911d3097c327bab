#include "profile/trace.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace kiln::profile {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

namespace {
// Microseconds with nanosecond resolution; JSON has no NaN or Inf.
std::string micros(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.3f", std::isfinite(v) ? v : 0.0);
  return buf;
}
}  // namespace

std::string chrome_trace_json(const std::vector<TraceEvent>& events, const std::string& process_name) {
  std::ostringstream s;
  s << "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n";
  s << "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":"
    << json_string(process_name) << "}}";
  for (const TraceEvent& e : events) {
    s << ",\n{\"name\":" << json_string(e.name) << ",\"cat\":" << json_string(e.category)
      << ",\"ph\":\"X\",\"pid\":1,\"tid\":" << e.tid << ",\"ts\":" << micros(e.ts_us)
      << ",\"dur\":" << micros(e.dur_us) << ",\"args\":{";
    for (size_t i = 0; i < e.args.size(); ++i) {
      s << (i ? "," : "") << json_string(e.args[i].first) << ":" << json_string(e.args[i].second);
    }
    s << "}}";
  }
  s << "\n]}\n";
  return s.str();
}

}  // namespace kiln::profile
