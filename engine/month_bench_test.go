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

func BenchmarkScope(b *testing.B) {
	bundle, err := Default(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	e := &evaluation{b: bundle, act: map[string]any{varTrack: "enterprise"}}
	tw := &facts.TenantWindow{Tenant: "t"}
	now := Summary{Month: "2026-10", Eligible: true, Deployed: true, ActiveUsers: 40}
	s := scope{tenant: tw, track: bundle.Tracks[0], option: "CPOR", now: now, nowRec: summaryRecord(now), baseRec: noSummary, assocRec: noSummary}
	sums := bundle.newSums()
	for b.Loop() {
		if err := e.addTenant(&s, sums); err != nil {
			b.Fatal(err)
		}
	}
}
