package facts

import (
	"slices"
	"testing"
)

// TestKeeperKeeps checks the months' bit set against a plain search, for
// offsets spanning fewer than 64 months (bits) and more (the search).
func TestKeeperKeeps(t *testing.T) {
	m := Month(24300)
	assoc := []Month{m - 40, m + 3}
	for _, offsets := range [][]int{{0, -1, -12, -13}, {-23, -11, 0}, {0, -70}, {}, {5}} {
		k := Needs{Offsets: offsets}.keeper(m)
		for x := m - 100; x <= m+100; x++ {
			want := slices.Contains(k.months, x) || slices.Contains(assoc, x)
			if got := k.keeps(x, assoc); got != want {
				t.Errorf("offsets %v: keeps(%v) = %v, want %v", offsets, x, got, want)
			}
		}
	}
}
