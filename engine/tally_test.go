package engine

import (
	"bytes"
	"context"
	"testing"

	"evaluate/facts"
	"evaluate/gen"
)

// TestTallyWarningsInFileOrder: workers take batches as they come, yet a
// tally's warnings (and so what --warnings all prints) follow the file.
func TestTallyWarningsInFileOrder(t *testing.T) {
	t.Parallel()
	b, err := Default(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := facts.ParseMonth("2026-10")
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: 3, Tenants: 3000, Month: m, Schema: &b.Schema}); err != nil {
		t.Fatal(err)
	}
	tally := b.NewTally(context.Background(), "g.json", 4)
	if _, _, err := facts.Stream("g.json", 1, &buf, &b.Schema, facts.WindowOptions{Needs: b.Needs}, tally.Add); err != nil {
		t.Fatal(err)
	}
	_, warns, err := tally.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) < 10 {
		t.Fatalf("%d warnings: the generated file should give more", len(warns))
	}
	for i := 1; i < len(warns); i++ {
		if warns[i].Line < warns[i-1].Line {
			t.Fatalf("warning %d (line %d) comes after one of line %d:\n%s\n%s", i, warns[i].Line, warns[i-1].Line, warns[i-1], warns[i])
		}
	}
}
