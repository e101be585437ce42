// An integer wide enough for exact sums of products of simulated times (requests x ns over a
// factory hour pass 2^63). Private to the serve layer.
#pragma once

namespace tokenfab {

__extension__ using WideInt = __int128;

}  // namespace tokenfab
