package engine

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// spin is a Rego expression that runs for hours on little memory: a
// runaway in time only.
const spin = "count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000); i == j + 1000000]) == 0"

// runawayBound is how long a stopped runaway may take to return in these
// tests. The runaways would go on for hours, so returning at all is the
// check; the bound only fails a broken stop quickly instead of at the test
// binary's timeout. It is generous because CI runs these under the race
// detector, in parallel, on 2 cores (4 s was seen once for a 100 ms limit).
const runawayBound = 30 * time.Second

// liveHeap is the process's live heap now.
func liveHeap() int64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// TestLoadDirStopsRunawayRego: a Rego that grows to gigabytes
// (count(numbers.range(1, 1000000000))) when the bundle loads is stopped by
// the memory guard, and one that runs for ever by the load's time limit;
// either is an error naming the designation and saying why.
func TestLoadDirStopsRunawayRego(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		dir := hostileBundle(t, "rego_memory")
		ctx, stop := WithMemoryLimit(context.Background(), liveHeap()+32<<20)
		defer stop()
		start := time.Now()
		_, err := loadWithin(t, ctx, dir, 10*time.Second)
		if err == nil || !strings.Contains(err.Error(), "policy modern_work: policy evaluation used more than") || !strings.Contains(err.Error(), "MiB of memory") {
			t.Errorf("got %v", err)
		}
		t.Logf("stopped after %s", time.Since(start))
	})
	t.Run("time", func(t *testing.T) {
		t.Parallel()
		dir := hostileBundle(t, "rego_spin")
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := loadWithin(t, ctx, dir, 10*time.Second)
		// The limit said is what was left of the deadline when the load
		// began: 500ms, or less on a busy machine.
		if err == nil || !regexp.MustCompile(`policy modern_work: loading the bundle took longer than [1-5][0-9]{2}ms`).MatchString(err.Error()) {
			t.Errorf("got %v", err)
		}
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "took longer") {
			t.Errorf("not a time limit: %v", err)
		}
		if d := time.Since(start); d > runawayBound {
			t.Errorf("stopped after %s", d)
		}
	})
}

// TestBoundedLoad: a load that does not watch its context at all (a hang
// anywhere in compiling) still returns by the deadline, with an error
// saying how long it had; a context without a deadline gets
// DefaultLoadTimeout.
func TestBoundedLoad(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	release := make(chan struct{})
	defer close(release)
	_, err := bounded(ctx, "bundle", func(context.Context) (*Bundle, error) {
		<-release
		return nil, nil
	})
	// The load never returns before release is closed, so returning at
	// all proves bounded did not wait for it.
	if d := time.Since(start); d > runawayBound {
		t.Errorf("returned after %s", d)
	}
	var pe PolicyErrors
	if !errors.As(err, &pe) || len(pe) != 1 || pe[0].File != "bundle" || pe[0].Message != "loading the bundle took longer than 100ms" {
		t.Errorf("got %#v", err)
	}

	var deadline time.Time
	_, _ = bounded(context.Background(), "bundle", func(ctx context.Context) (*Bundle, error) {
		deadline, _ = ctx.Deadline()
		return nil, nil
	})
	if d := time.Until(deadline); d < DefaultLoadTimeout-time.Second || d > DefaultLoadTimeout {
		t.Errorf("deadline in %s, want %s", d, DefaultLoadTimeout)
	}
}

// TestWithMemoryLimit: a guard under the heap cancels its context with
// the cause; one far above it does not; stop releases it.
func TestWithMemoryLimit(t *testing.T) {
	t.Parallel()
	ctx, stop := WithMemoryLimit(context.Background(), 1)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("a guard of 1 byte did not trip")
	}
	var me *MemoryLimitError
	if cause := context.Cause(ctx); !errors.As(cause, &me) || me.Limit != 1 || !errors.Is(cause, ErrMemoryLimit) {
		t.Errorf("cause %v", cause)
	}
	if err := stopped(ctx); !errors.Is(err, ErrMemoryLimit) || !errors.Is(err, context.Canceled) {
		t.Errorf("stopped: %v", err)
	}

	ctx, stop = WithMemoryLimit(context.Background(), 1<<50)
	time.Sleep(5 * memSampleEvery)
	if ctx.Err() != nil {
		t.Errorf("a guard of 1 PiB tripped: %v", context.Cause(ctx))
	}
	stop()
	if !errors.Is(ctx.Err(), context.Canceled) || errors.Is(context.Cause(ctx), ErrMemoryLimit) {
		t.Errorf("after stop: %v, %v", ctx.Err(), context.Cause(ctx))
	}

	// A guard inside one is not doubled: verdict's default steps aside.
	outer, stop := WithMemoryLimit(context.Background(), 1<<50)
	defer stop()
	if inner, _ := guarded(outer); inner != outer {
		t.Error("guarded added a second guard")
	}
	none, stopNone := WithMemoryLimit(context.Background(), 0)
	defer stopNone()
	if inner, _ := guarded(none); inner != none {
		t.Error("a limit of 0 was replaced by the default")
	}
}

// spinDesignation is a designation whose Rego runs away when the partner
// says so (input.partner.run): what a verdict meets at evaluation, after
// the bundle loaded.
func spinDesignation(t *testing.T, body string) *Designation {
	t.Helper()
	src := "package spin\n\nresult := {\"qualified\": true, \"track\": \"a\", \"score\": 1, \"tracks\": {\"a\": {\"score\": 1, \"qualified\": true}}} if {\n\tnot input.partner.run\n} else := {\"big\": " + body + "}\n"
	pq, _, errs := prepareRego(context.Background(), fstest.MapFS{"spin/p.rego": {Data: []byte(src)}}, "spin", "spin", map[string]any{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return &Designation{ID: "spin", Tracks: []string{"a"}, rego: pq}
}

// TestVerdictStops: a verdict's Rego stops when its context ends or its
// memory guard trips, with an error naming the designation; callers still
// find context.DeadlineExceeded (the CLI's --timeout).
func TestVerdictStops(t *testing.T) {
	t.Parallel()
	metrics := map[string]map[string]*MetricResult{}
	t.Run("fine", func(t *testing.T) {
		t.Parallel()
		d := spinDesignation(t, "0")
		if r, err := d.verdict(context.Background(), metrics, map[string]any{"run": false}); err != nil || !r.Qualified {
			t.Errorf("%v %v", r, err)
		}
	})
	t.Run("time", func(t *testing.T) {
		t.Parallel()
		d := spinDesignation(t, "count([1 | some i in numbers.range(1, 100000); some j in numbers.range(1, 100000); i == j + 1000000])")
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := d.verdict(ctx, metrics, map[string]any{"run": true})
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "policy spin: ") {
			t.Errorf("got %v", err)
		}
		if d := time.Since(start); d > runawayBound {
			t.Errorf("stopped after %s", d)
		}
	})
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		d := spinDesignation(t, "count(numbers.range(1, 1000000000))")
		ctx, stop := WithMemoryLimit(context.Background(), liveHeap()+32<<20)
		defer stop()
		start := time.Now()
		_, err := d.verdict(ctx, metrics, map[string]any{"run": true})
		if !errors.Is(err, ErrMemoryLimit) || !strings.Contains(err.Error(), "policy spin: policy evaluation used more than") {
			t.Errorf("got %v", err)
		}
		t.Logf("stopped after %s", time.Since(start))
	})
}

// TestReadResultShapes: any shape of the Rego's result that the renderers
// could not read is an error of the verdict, never a nil track later.
func TestReadResultShapes(t *testing.T) {
	t.Parallel()
	d := &Designation{ID: "x", Tracks: []string{"a", "b"}}
	track := `{"score": 1, "qualified": true, "reasons": []}`
	ok := `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": ` + track + `, "b": ` + track + `}}`
	cases := []struct{ name, result, want string }{
		{"not an object", `5`, "want an object"},
		{"null", `null`, "want an object"},
		{"a list", `[]`, "want an object, got an array (a set or a list) of 0"},
		{"tracks empty", `{"qualified": true, "track": "a", "score": 1, "tracks": {}}`, `tracks has no track "a"`},
		{"tracks a number", `{"qualified": true, "track": "a", "score": 1, "tracks": 5}`, "tracks: want an object"},
		{"tracks a list", `{"qualified": true, "track": "a", "score": 1, "tracks": []}`, "tracks: want an object"},
		{"tracks missing", `{"qualified": true, "track": "a", "score": 1}`, "tracks: want an object"},
		{"tracks null", `{"qualified": true, "track": "a", "score": 1, "tracks": null}`, "tracks: want an object"},
		{"one track missing", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": ` + track + `}}`, `tracks has no track "b"`},
		{"track not an object", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": 1, "b": ` + track + `}}`, `tracks has no track "a"`},
		{"qualified missing", `{"track": "a", "score": 1, "tracks": {"a": ` + track + `, "b": ` + track + `}}`, "qualified: want true or false"},
		{"qualified a string", `{"qualified": "false", "track": "a", "score": 1, "tracks": {}}`, `qualified: want true or false, got the string "false"`},
		{"track missing", `{"qualified": true, "score": 1, "tracks": {"a": ` + track + `, "b": ` + track + `}}`, "track: want a string, got nothing (the key is missing)"},
		{"track unknown", `{"qualified": true, "track": "c", "score": 1, "tracks": {"a": ` + track + `, "b": ` + track + `}}`, `track "c" is not one of its tracks`},
		{"score a string", `{"qualified": true, "track": "a", "score": "1", "tracks": {}}`, `score: want a number, got the string "1"`},
		{"score too large", `{"qualified": true, "track": "a", "score": 1e999, "tracks": {}}`, "out of range"},
		{"track score missing", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": {"qualified": true}, "b": ` + track + `}}`, "tracks.a: score: want a number"},
		{"track qualified missing", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": {"score": 1}, "b": ` + track + `}}`, "tracks.a: qualified: want true or false"},
		{"reasons not a list", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": {"score": 1, "qualified": true, "reasons": "no"}, "b": ` + track + `}}`, "tracks.a.reasons: want a list of strings"},
		{"reasons of numbers", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": {"score": 1, "qualified": true, "reasons": [1]}, "b": ` + track + `}}`, "tracks.a.reasons: want a list of strings"},
		{"needs not an object", `{"qualified": true, "track": "a", "score": 1, "tracks": {"a": {"score": 1, "qualified": true, "needs": 5}, "b": ` + track + `}}`, "tracks.a.needs: want {total"},
		{"valid", ok, ""},
	}
	for _, c := range cases {
		var v any
		dec := json.NewDecoder(strings.NewReader(c.result))
		dec.UseNumber() // as OPA gives numbers
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		r, err := d.readResult(v)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want == "" && (r.Tracks[r.Track] == nil || len(r.Tracks) != 2):
			t.Errorf("%s: tracks %v", c.name, r.Tracks)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

// TestHostileResultRefusedAtLoad: a bundle whose result has no tracks is
// refused when it loads, naming the designation, before anything renders.
func TestHostileResultRefusedAtLoad(t *testing.T) {
	t.Parallel()
	dir := hostileBundle(t, "tracks_empty")
	_, err := loadWithin(t, context.Background(), dir, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), `policy modern_work: data.modern_work.result: tracks has no track "enterprise"`) {
		t.Errorf("got %v", err)
	}
}
