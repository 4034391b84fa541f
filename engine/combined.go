package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
)

// compileCombined joins the month rules into one program and the metric
// values into one program per scope. Evaluating a handful of programs per
// tenant instead of dozens, and each condition once rather than once per
// track and type when it does not depend on them, is what keeps large
// partners fast. The rules were compiled and checked one by one before.
func (b *Bundle) compileCombined(c *compiler, rs *rulesSource) {
	first := &rs.Month.Eligible[0].Rule
	uses := func(text, name string) bool {
		ast, iss := c.base.Parse(text)
		return iss.Err() != nil || referencesName(ast, name)
	}
	quote := func(items []string) string {
		q := make([]string, len(items))
		for i, t := range items {
			q[i] = strconv.Quote(t)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	// Conditions that depend on neither track nor types are computed once
	// per month, those that depend on the track once per track.
	var global, perTrack []string
	conj := make([]string, len(rs.Month.Eligible))
	for i, cs := range rs.Month.Eligible {
		name := fmt.Sprintf("evaluate_c%d", i)
		switch {
		case uses(cs.Rule.Text, varTypes):
			conj[i] = "(" + cs.Rule.Text + ")"
			continue
		case uses(cs.Rule.Text, varTrack):
			perTrack = append(perTrack, fmt.Sprintf("cel.bind(%s, (%s), ", name, cs.Rule.Text))
		default:
			global = append(global, fmt.Sprintf("cel.bind(%s, (%s), ", name, cs.Rule.Text))
		}
		conj[i] = name
	}
	eligible := strings.Join(conj, " && ")
	deployed, active := "("+rs.Month.Deployed.Text+")", "("+rs.Month.ActiveUsers.Text+")"
	if !uses(rs.Month.Deployed.Text, varTrack) {
		global = append(global, fmt.Sprintf("cel.bind(evaluate_deployed, %s, ", deployed))
		deployed = "evaluate_deployed"
	}
	if !uses(rs.Month.ActiveUsers.Text, varTrack) {
		global = append(global, fmt.Sprintf("cel.bind(evaluate_active, %s, ", active))
		active = "evaluate_active"
	}
	var tracks []string
	for _, t := range b.Tracks {
		items := []string{fmt.Sprintf("cel.bind(%s, %s, %s)", varTypes, quote(t.Types), eligible)}
		for _, o := range t.Types {
			items = append(items, fmt.Sprintf("cel.bind(%s, %s, %s)", varTypes, quote([]string{o}), eligible))
		}
		items = append(items, deployed, active)
		body := "[" + strings.Join(items, ",\n") + "]"
		tracks = append(tracks, fmt.Sprintf("cel.bind(%s, %q, %s%s%s)", varTrack, t.Name, strings.Join(perTrack, ""), body, strings.Repeat(")", len(perTrack))))
	}
	text := strings.Join(global, "") + "[" + strings.Join(tracks, ",\n") + "]" + strings.Repeat(")", len(global))
	b.monthAll = c.compileText(first, &exprKind{vars: monthVars, want: []*cel.Type{cel.ListType(cel.ListType(cel.DynType)), cel.ListType(cel.DynType)}}, text)
	b.scopeAll = map[bool]*program{}
	for _, perOption := range []bool{false, true} {
		var parts []string
		for _, m := range rs.Metrics {
			if m.Over != "tenants" || m.PerOption != perOption {
				continue
			}
			bas := "0"
			if m.Baseline.Text != "" {
				bas = m.Baseline.Text
			}
			parts = append(parts, "("+m.Reporting.Text+")", "("+bas+")")
		}
		b.scopeAll[perOption] = c.compileText(first, &exprKind{vars: tenantVars, want: wantAnyList}, "["+strings.Join(parts, ",\n")+"]")
	}
}
