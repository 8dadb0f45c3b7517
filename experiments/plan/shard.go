package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ncae-repro/ncae/protocol"
)

// Shard is the slice i of n (1 ≤ i ≤ n) of a grid that one machine runs.
// The zero Shard (and 1/1) is the whole grid.
type Shard struct{ I, N int }

// ParseShard parses "i/n"; "" is the whole grid.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{1, 1}, nil
	}
	is, ns, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(is)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return Shard{}, fmt.Errorf("--shard %q: want i/n with 1 ≤ i ≤ n, e.g. 2/4", s)
	}
	return Shard{i, n}, nil
}

// Keys returns the shard's experiments: every n-th key of the grid's fixed
// order, starting at the i-th, so that n shards partition the grid and
// each shard mixes data sets, ρ and classes (similar run times). All
// methods of an experiment stay on one shard, which draws its data once.
func (s Shard) Keys(keys []protocol.Key) []protocol.Key {
	if s.N <= 1 {
		return keys
	}
	var out []protocol.Key
	for j, k := range keys {
		if j%s.N == s.I-1 {
			out = append(out, k)
		}
	}
	return out
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }
