package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// Rand is the deterministic random source of the protocol. Its stream is
// fixed by this package (PCG from math/rand/v2, plus our own bounded-integer
// and shuffle code), so sampled indices do not change with the Go release.
type Rand struct {
	src *rand.PCG
}

// NewRand returns a source seeded from seed and a purpose label, so that the
// streams used for different purposes of one experiment are independent.
func NewRand(seed uint64, purpose string) *Rand {
	s := DeriveSeed(seed, purpose)
	return &Rand{src: rand.NewPCG(s, s^0x9e3779b97f4a7c15)}
}

// Uint64 returns 64 uniformly random bits.
func (r *Rand) Uint64() uint64 { return r.src.Uint64() }

// IntN returns a uniform integer in [0, n) without modulo bias (Lemire's
// multiply-and-reject method). n must be positive.
func (r *Rand) IntN(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.src.Uint64(), bound)
	if lo < bound {
		threshold := -bound % bound
		for lo < threshold {
			hi, lo = bits.Mul64(r.src.Uint64(), bound)
		}
	}
	return int(hi)
}

// Float64 returns a uniform number in [0, 1) with 53 random bits.
func (r *Rand) Float64() float64 { return float64(r.src.Uint64()>>11) / (1 << 53) }

// Sample returns k distinct elements of pool chosen uniformly, in draw order.
// Draws are nested: the first k elements for a given seed are the same
// whatever larger k is asked for. pool is not modified.
func (r *Rand) Sample(pool []int, k int) []int {
	work := append([]int(nil), pool...)
	for i := 0; i < k; i++ {
		j := i + r.IntN(len(work)-i)
		work[i], work[j] = work[j], work[i]
	}
	return work[:k:k]
}

// DeriveSeed hashes a parent seed and a label into a child seed.
func DeriveSeed(parent uint64, label string) uint64 {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], parent)
	h := sha256.New()
	h.Write(buf[:])
	h.Write([]byte(label))
	return binary.BigEndian.Uint64(h.Sum(nil))
}

// SeedOf hashes a string key into a seed.
func SeedOf(key string) uint64 {
	sum := sha256.Sum256([]byte(key))
	return binary.BigEndian.Uint64(sum[:8])
}
