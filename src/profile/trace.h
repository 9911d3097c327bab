// Chrome / Perfetto trace export (the "Trace Event Format"): open the file in chrome://tracing or
// ui.perfetto.dev to see one run's layers on a timeline.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::profile {

/// One complete event ("ph": "X").
struct TraceEvent {
  std::string name;
  std::string category;  // e.g. the op type
  double ts_us = 0;      // start, microseconds from the start of the run
  double dur_us = 0;
  int tid = 0;
  std::vector<std::pair<std::string, std::string>> args;  // shown in the event's details
};

/// The trace document: {"traceEvents": [...], "displayTimeUnit": "ms"}, with a metadata event
/// naming the process, then one "X" event per entry of `events`.
std::string chrome_trace_json(const std::vector<TraceEvent>& events, const std::string& process_name);

/// `text` as a JSON string literal, quotes included (control characters escaped as \u00XX).
std::string json_string(std::string_view text);

}  // namespace kiln::profile
