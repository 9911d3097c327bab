#include "memory/planner.h"

#include <algorithm>
#include <numeric>

namespace kiln::memory {
namespace {

int64_t align_up(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

struct Root {
  int64_t bytes = 0;
  int first = 0, last = 0;
};

}  // namespace

Solution plan(const Problem& p) {
  const int n = static_cast<int>(p.buffers.size());
  Solution s;
  s.offsets.assign(n, 0);
  s.in_place.assign(n, false);
  s.view.assign(n, false);
  std::vector<int> root(n);
  std::vector<int64_t> offset_in_root(n, 0);
  std::iota(root.begin(), root.end(), 0);
  std::vector<Root> roots(n);
  std::vector<bool> has_members(n, false);
  for (int i = 0; i < n; ++i) {
    roots[i] = {align_up(p.buffers[i].bytes, p.alignment), p.buffers[i].def, p.buffers[i].last_use};
    s.naive_bytes += roots[i].bytes;
  }
  auto find = [&](int v) {
    int64_t off = 0;
    while (root[v] != v) {
      off += offset_in_root[v];
      v = root[v];
    }
    return std::make_pair(v, off);
  };
  auto merge_into = [&](int value, int target_root, int64_t offset) {
    root[value] = target_root;
    offset_in_root[value] = offset;
    has_members[target_root] = true;
    Root& r = roots[target_root];
    r.first = std::min(r.first, roots[value].first);
    r.last = std::max(r.last, roots[value].last);
  };
  // Views first: they are structural (the producer must write there). A group is checked as a
  // whole against the current state, then applied as a whole.
  auto view_ok = [&](const View& v) {
    if (v.value < 0 || v.value >= n || v.target < 0 || v.target >= n || v.value == v.target) return false;
    if (root[v.value] != v.value || has_members[v.value]) return false;  // placed already or holds others
    auto [tr, toff] = find(v.target);
    if (tr == v.value) return false;
    if (v.offset < 0 || toff + v.offset + p.buffers[v.value].bytes > roots[tr].bytes) return false;
    return (toff + v.offset) % p.alignment == 0;
  };
  for (size_t i = 0; i < p.views.size();) {
    size_t j = i + 1;
    if (p.views[i].group >= 0)
      while (j < p.views.size() && p.views[j].group == p.views[i].group) ++j;
    bool ok = true;
    for (size_t k = i; k < j && ok; ++k) {
      ok = view_ok(p.views[k]);
      for (size_t m = i; m < k && ok; ++m) ok = p.views[m].value != p.views[k].value;
    }
    if (ok) {
      for (size_t k = i; k < j; ++k) {
        auto [tr, toff] = find(p.views[k].target);
        merge_into(p.views[k].value, tr, toff + p.views[k].offset);
        s.view[p.views[k].value] = true;
      }
    }
    i = j;
  }
  // In place: the input's whole root must die at the step that writes the value.
  for (const InPlace& ip : p.in_place) {
    if (ip.value < 0 || ip.value >= n || ip.input < 0 || ip.input >= n) continue;
    if (root[ip.value] != ip.value || has_members[ip.value]) continue;
    auto [ir, ioff] = find(ip.input);
    if (ir == ip.value) continue;
    if (roots[ir].last != p.buffers[ip.value].def) continue;
    if (p.buffers[ip.value].bytes != p.buffers[ip.input].bytes) continue;
    merge_into(ip.value, ir, ioff);
    s.in_place[ip.value] = true;
  }
  // Place roots, largest first, best fit among gaps left by roots alive at the same time.
  std::vector<int> order;
  for (int i = 0; i < n; ++i)
    if (root[i] == i) order.push_back(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return roots[a].bytes > roots[b].bytes; });
  std::vector<int64_t> root_offset(n, 0);
  std::vector<int> placed;
  for (int r : order) {
    std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of overlapping-lifetime roots
    for (int q : placed) {
      if (roots[q].last < roots[r].first || roots[r].last < roots[q].first) continue;
      busy.push_back({root_offset[q], root_offset[q] + roots[q].bytes});
    }
    std::sort(busy.begin(), busy.end());
    int64_t best = -1, best_waste = INT64_MAX, cursor = 0;
    for (const auto& [b, e] : busy) {
      if (b > cursor && b - cursor >= roots[r].bytes && b - cursor - roots[r].bytes < best_waste) {
        best = cursor;
        best_waste = b - cursor - roots[r].bytes;
      }
      cursor = std::max(cursor, e);
    }
    if (best < 0) best = cursor;
    root_offset[r] = best;
    s.arena_bytes = std::max(s.arena_bytes, best + roots[r].bytes);
    placed.push_back(r);
  }
  for (int i = 0; i < n; ++i) {
    auto [r, off] = find(i);
    s.offsets[i] = root_offset[r] + off;
  }
  return s;
}

}  // namespace kiln::memory
