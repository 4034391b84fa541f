// Package slab hands out short-lived values cut from a few large chunks
// and takes them all back at once: a record's views (a tenant's month and
// row views, their lists) are dozens of small values that live exactly as
// long as the record is scored, and the next record needs about as many.
package slab

// Slab cuts slices of T from its chunks. Reset makes every chunk free
// again, zeroed, for the next record: what was taken before must no longer
// be used. The zero value is ready to use; not safe for concurrent use.
type Slab[T any] struct {
	chunks [][]T
	cur    int // the chunk being cut
	off    int // how much of it is taken
	taken  int // how much was taken since the last Reset
}

// minChunk is the size of the first chunk.
const minChunk = 16

// Take is n zero values of T, a slice of length and capacity n.
func (s *Slab[T]) Take(n int) []T {
	s.taken += n
	for s.cur < len(s.chunks) {
		if c := s.chunks[s.cur]; s.off+n <= len(c) {
			out := c[s.off : s.off+n : s.off+n]
			s.off += n
			return out
		}
		s.cur++
		s.off = 0
	}
	// As much again as taken so far: a record that needs more than the
	// chunks hold costs a few allocations, and the next one none.
	c := make([]T, max(minChunk, n, s.taken))
	s.chunks = append(s.chunks, c)
	s.cur, s.off = len(s.chunks)-1, n
	return c[:n:n]
}

// One is a pointer to one zero value of T.
func (s *Slab[T]) One() *T { return &s.Take(1)[0] }

// Reset takes back everything taken, zeroing it (so that it holds on to
// nothing the record referred to), and keeps the chunks for what comes
// next.
func (s *Slab[T]) Reset() {
	for i := 0; i < len(s.chunks) && i <= s.cur; i++ {
		c := s.chunks[i]
		if i == s.cur {
			c = c[:s.off]
		}
		clear(c)
	}
	s.cur, s.off, s.taken = 0, 0, 0
}
