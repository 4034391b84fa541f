package slab

import "testing"

func TestTakeAndReset(t *testing.T) {
	var s Slab[int]
	for round := range 3 {
		var taken [][]int
		for _, n := range []int{1, 5, 20, 0, 3, 40} {
			got := s.Take(n)
			if len(got) != n || cap(got) != n {
				t.Fatalf("round %d: Take(%d) has len %d cap %d", round, n, len(got), cap(got))
			}
			for i, x := range got {
				if x != 0 {
					t.Fatalf("round %d: Take(%d)[%d] = %d, want a zero value", round, n, i, x)
				}
			}
			for i := range got {
				got[i] = round*1000 + len(taken)*100 + i + 1
			}
			taken = append(taken, got)
		}
		// No two takes share memory: each still holds what was written.
		for k, got := range taken {
			for i, x := range got {
				if want := round*1000 + k*100 + i + 1; x != want {
					t.Fatalf("round %d: take %d [%d] = %d, want %d (overwritten by a later take)", round, k, i, x, want)
				}
			}
		}
		s.Reset()
	}
}

// TestReuseAllocatesNothing: once a record's values have been taken and
// given back, the next record's as many cost no allocation.
func TestReuseAllocatesNothing(t *testing.T) {
	var s Slab[*int]
	record := func() {
		for _, n := range []int{3, 17, 2, 60, 1} {
			s.Take(n)
		}
		s.One()
		s.Reset()
	}
	record()
	if n := testing.AllocsPerRun(100, record); n != 0 {
		t.Fatalf("a record after the first made %v allocations, want 0", n)
	}
}

// TestResetLetsGo: Reset zeroes what was taken, so that the slab holds on
// to nothing a record referred to.
func TestResetLetsGo(t *testing.T) {
	var s Slab[*int]
	x := 1
	for _, n := range []int{4, 30, 9} {
		for i := range s.Take(n) {
			_ = i
		}
	}
	p := s.One()
	*p = &x
	s.Reset()
	for _, c := range s.chunks {
		for i, v := range c {
			if v != nil {
				t.Fatalf("after Reset, chunk element %d still points at %v", i, v)
			}
		}
	}
}
