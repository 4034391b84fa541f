package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// byteSize is a flag value in bytes written with an optional unit: 500MB,
// 2GiB, 1048576 (kB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB
// of 1024).
type byteSize int64

var byteUnits = []struct {
	suffix string
	factor float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

func (b *byteSize) Set(s string) error {
	text := strings.TrimSpace(s)
	factor := 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(text, u.suffix) {
			text, factor = strings.TrimSpace(strings.TrimSuffix(text, u.suffix)), u.factor
			break
		}
	}
	x, err := strconv.ParseFloat(text, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || x*factor > math.MaxInt64 {
		return fmt.Errorf("want a size such as 500MB, 2GiB or 1048576 (0: no limit), got %q", s)
	}
	*b = byteSize(x * factor)
	return nil
}

func (b *byteSize) String() string { return formatBytes(int64(*b)) }

// Type names the value in --help.
func (b *byteSize) Type() string { return "size" }

// formatBytes writes n bytes for people: 1GiB, 500MB, 12345 bytes.
func formatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		factor int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}} {
		if n >= u.factor && n%u.factor == 0 {
			return fmt.Sprintf("%d%s", n/u.factor, u.suffix)
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
