package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress draws a bar on stderr while a population is scored: how much
// of the input is done, partners per second and the time left. It is
// drawn only when stderr is a terminal, so it never mixes with output
// meant for machines. All its methods are called from one goroutine.
type progress struct {
	w     io.Writer
	total int64 // bytes of input; 0 when unknown (stdin)
	start time.Time
	now   func() time.Time
	bytes int64
	docs  int
	last  time.Time
	drawn bool
}

// isTerminal tells whether w is a terminal; tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := underlying(w).(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress returns a bar for an input of total bytes (0: unknown), or
// nil when stderr is not a terminal.
func newProgress(stderr io.Writer, total int64) *progress {
	if !isTerminal(stderr) {
		return nil
	}
	return &progress{w: underlying(stderr), total: total, start: time.Now(), now: time.Now}
}

// add counts one partner done, which stood for n bytes of input.
func (p *progress) add(n int64) {
	if p == nil {
		return
	}
	p.bytes += n
	p.docs++
	if now := p.now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		fmt.Fprint(p.w, "\r\033[K"+p.line(now))
		p.drawn = true
	}
}

// line is the bar's text at time now.
func (p *progress) line(now time.Time) string {
	elapsed := now.Sub(p.start)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf(", %.0f/s", float64(p.docs)/s)
	}
	partners := fmt.Sprintf("%d %s%s", p.docs, plural(p.docs, "partner", "partners"), rate)
	if p.total <= 0 {
		return partners
	}
	frac := min(1, float64(p.bytes)/float64(p.total))
	const width = 30
	filled := int(frac * width)
	left := "--:--"
	if frac > 0 {
		left = clock(time.Duration(float64(elapsed) * (1 - frac) / frac))
	}
	return fmt.Sprintf("[%s%s] %3.0f%% %s, %s left", strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, partners, left)
}

// clock formats a duration as m:ss (or h:mm:ss).
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// clear wipes the bar so that a message can be printed on a clean line;
// the next add draws it again.
func (p *progress) clear() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
		p.last = time.Time{}
	}
}

func (p *progress) finish() { p.clear() }
