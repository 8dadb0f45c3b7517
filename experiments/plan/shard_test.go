package plan

import (
	"testing"

	"github.com/ncae-repro/ncae/protocol"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"", Shard{1, 1}, true},
		{"1/1", Shard{1, 1}, true},
		{"2/4", Shard{2, 4}, true},
		{"0/4", Shard{}, false},
		{"5/4", Shard{}, false},
		{"2", Shard{}, false},
		{"a/b", Shard{}, false},
		{"1/0", Shard{}, false},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseShard(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func TestShardsPartitionTheGrid(t *testing.T) {
	var keys []protocol.Key
	for c := range 10 {
		keys = append(keys, protocol.Key{Dataset: "mnist", Normal: c, Anomaly: (c + 1) % 10})
	}
	seen := map[protocol.Key]int{}
	for i := 1; i <= 3; i++ {
		for _, k := range (Shard{i, 3}).Keys(keys) {
			seen[k]++
		}
	}
	if len(seen) != len(keys) {
		t.Fatalf("3 shards cover %d of %d keys", len(seen), len(keys))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%v in %d shards", k, n)
		}
	}
}
