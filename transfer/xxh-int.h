/*
 * xxHash for bulk data (private to transfer/): the end-to-end hash and
 * the block map.
 *
 * Why: Debian's libxxhash is compiled for baseline x86-64, so its XXH3
 * runs on SSE2 (about 16 GB/s here on data in cache); the same library
 * exports variants that pick AVX2 or AVX-512 when the CPU has them (about
 * 45 GB/s). Hashing is done once on each side for every byte sent, so
 * that was a tenth of each side's CPU in S1 (docs/benchmarks.md, "CPU per
 * GB, eighteenth pass"). The results are the same bit for bit; configure
 * defines HAVE_XXH_DISPATCH only where the library has the variants, and
 * the header below then renames XXH3_64bits, XXH3_128bits_update and the
 * others to them.
 */
#ifndef FERRY_XXH_INT_H
#define FERRY_XXH_INT_H

#ifdef HAVE_XXH_DISPATCH
#include <xxh_x86dispatch.h>
#else
#include <xxhash.h>
#endif

#endif
