package engine

import (
	"context"
	"testing"

	"evaluate/facts"
)

func BenchmarkMonthRules(b *testing.B) {
	bundle, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	st := &facts.MonthState{Month: "2026-10", Associations: []string{"CPOR"},
		Workloads: []facts.WorkloadMonth{{Workload: "Teams", PaidSeats: 500, ActiveUsers: 300}, {Workload: "Exchange", PaidSeats: 20, ActiveUsers: 3}}}
	e := &evaluation{b: bundle, act: map[string]any{varTrack: "enterprise"}}
	for b.Loop() {
		if _, err := e.month(st); err != nil {
			b.Fatal(err)
		}
	}
}
