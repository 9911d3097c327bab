// Helpers for the plan tests: aligned copies, re-sealing edited plans (size and checksum), locating
// sections, a hand-made engine that uses every field, and a field-by-field EngineData comparison.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "plan/format.h"
#include "runtime/engine_data.h"

namespace kiln::plan_test {

/// `bytes` copied to a 64-byte aligned buffer, as plan::read requires.
std::pair<std::shared_ptr<std::byte[]>, size_t> aligned_copy(const std::string& bytes);
/// plan::read's status on `bytes`.
Status read_plan(const std::string& bytes);
/// Rewrites the header's file size and checksum to match `bytes`, so the parser sees the edit.
std::string reseal(std::string bytes);
/// {offset, size} of a section, from the section table.
std::pair<size_t, size_t> section_of(const std::string& bytes, plan::SectionId id);

/// An engine that uses every attribute kind, shared and empty tensors, unknown ranks, symbolic
/// dims, nested subgraphs, placements and tactic parameters. Marker names the tests patch:
/// value "VALUE_X", attributes "ATTR_KIND" and "ATTR_INTS", node op type "OP_Y" (domain "kiln.t").
std::unique_ptr<runtime::EngineData> hand_made_engine();

/// Every field of `b` equals `a` (graphs recursively; pointers compared by position).
void expect_same_engine(const runtime::EngineData& a, const runtime::EngineData& b);
/// Every non-empty constant and tensor attribute of `d` with values is a view into d.blob (no
/// copy), 64-byte aligned; returns how many were checked.
int expect_constants_in_blob(const runtime::EngineData& d, size_t blob_size);
/// Non-empty constants and tensor attributes of `d`, subgraphs included.
int count_tensors(const runtime::EngineData& d);
/// Constants of `d` stored as their shapes only (their readers' tactics packed the values).
int count_shape_only(const runtime::EngineData& d);

}  // namespace kiln::plan_test
