// `nearest($v.prop, q)` as a Ranking (query/search_functions.h): the squared L2 distance
// (query/vector_distance.h) of each row's Vector(N) F32 to the query vector, computed at a
// row's first use and kept. The query is a Vector(N) parameter, a list literal of N numbers,
// or a String embedded by the run's QueryEmbedder (query/query_embedder.h).
#pragma once

#include "query/search_functions.h"

namespace omnigraph::query {

// Binds nearest call `e`: resolves the query vector (a runtime failure when it has the wrong
// length, a non-finite value, or needs an embedder the run lacks).
std::unique_ptr<Ranking> make_nearest(const ExecContext& ctx, const Expr& e);

} // namespace omnigraph::query
