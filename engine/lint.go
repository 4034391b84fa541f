package engine

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"evaluate/facts"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// paramsPathIssue is a reference to a key that params.yaml does not have.
type paramsPathIssue struct {
	id  int64
	msg string
	top string // the top-level key found missing, if that is the issue
}

// lintParamsPaths finds references such as params.eligble_workloads or
// params.tracks[track].metricz: params is dynamic to CEL, so the type
// checker cannot catch them, but the parameters file at hand can.
func lintParamsPaths(ast *cel.Ast, params any) []paramsPathIssue {
	if params == nil {
		return nil
	}
	var issues []paramsPathIssue
	seen := map[string]bool{}
	var visit func(e celast.Expr)
	visit = func(e celast.Expr) {
		if steps, ok := paramsPath(e); ok {
			if issue, bad := checkPath(params, steps); bad && !seen[issue.msg] {
				seen[issue.msg] = true
				issues = append(issues, issue)
			}
		}
		for _, c := range children(e) {
			visit(c)
		}
	}
	visit(ast.NativeRep().Expr())
	return issues
}

type pathStep struct {
	id  int64
	key string // "" for a computed index
}

// paramsPath returns the steps of a select/index chain rooted at params.
func paramsPath(e celast.Expr) ([]pathStep, bool) {
	switch e.Kind() {
	case celast.IdentKind:
		return nil, e.AsIdent() == varParams
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() {
			return nil, false
		}
		steps, ok := paramsPath(sel.Operand())
		return append(steps, pathStep{id: e.ID(), key: sel.FieldName()}), ok
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() != operators.Index || len(call.Args()) != 2 {
			return nil, false
		}
		steps, ok := paramsPath(call.Args()[0])
		key := ""
		if idx := call.Args()[1]; idx.Kind() == celast.LiteralKind {
			if s, isStr := idx.AsLiteral().(types.String); isStr {
				key = string(s)
			}
		}
		return append(steps, pathStep{id: e.ID(), key: key}), ok
	}
	return nil, false
}

func checkPath(params any, steps []pathStep) (paramsPathIssue, bool) {
	nodes := []any{params}
	where := "params"
	for _, st := range steps {
		var next []any
		var known []string
		for _, n := range nodes {
			m, isMap := n.(map[string]any)
			if !isMap {
				return paramsPathIssue{}, false // a list or scalar: nothing to check
			}
			if st.key == "" {
				for _, v := range m {
					next = append(next, v)
				}
				continue
			}
			if v, ok := m[st.key]; ok {
				next = append(next, v)
			}
			for k := range m {
				known = append(known, k)
			}
		}
		if st.key != "" && len(next) == 0 && len(nodes) > 0 {
			slices.Sort(known)
			known = slices.Compact(known)
			is := paramsPathIssue{id: st.id, msg: fmt.Sprintf("%s has no key %q%s (params.yaml has: %s)", where, st.key, facts.Suggest(st.key, known), strings.Join(known, ", "))}
			if where == "params" {
				is.top = st.key
			}
			return is, true
		}
		if st.key == "" {
			where += "[…]"
		} else {
			where += "." + st.key
		}
		nodes = next
	}
	return paramsPathIssue{}, false
}

func children(e celast.Expr) []celast.Expr {
	switch e.Kind() {
	case celast.SelectKind:
		return []celast.Expr{e.AsSelect().Operand()}
	case celast.CallKind:
		c := e.AsCall()
		out := slices.Clone(c.Args())
		if c.IsMemberFunction() {
			out = append(out, c.Target())
		}
		return out
	case celast.ListKind:
		return e.AsList().Elements()
	case celast.MapKind:
		var out []celast.Expr
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			out = append(out, me.Key(), me.Value())
		}
		return out
	case celast.StructKind:
		var out []celast.Expr
		for _, f := range e.AsStruct().Fields() {
			out = append(out, f.AsStructField().Value())
		}
		return out
	case celast.ComprehensionKind:
		c := e.AsComprehension()
		return []celast.Expr{c.IterRange(), c.AccuInit(), c.LoopCondition(), c.LoopStep(), c.Result()}
	}
	return nil
}

var (
	undefinedField = regexp.MustCompile(`undefined field '([^']+)'`)
	undeclaredRef  = regexp.MustCompile(`undeclared reference to '([^']+)'`)
)

// hint adds "did you mean" to CEL's messages about unknown names.
func hint(msg string, env *cel.Env, fieldNames []string) string {
	if m := undefinedField.FindStringSubmatch(msg); m != nil {
		return msg + facts.Suggest(m[1], fieldNames)
	}
	if m := undeclaredRef.FindStringSubmatch(msg); m != nil {
		var vars []string
		for _, v := range env.Variables() {
			vars = append(vars, v.Name())
		}
		return strings.Replace(msg, " (in container '')", "", 1) + facts.Suggest(m[1], vars)
	}
	return msg
}

// referencesName tells whether an expression mentions the identifier name.
func referencesName(ast *cel.Ast, name string) bool {
	found := false
	var visit func(e celast.Expr)
	visit = func(e celast.Expr) {
		if e.Kind() == celast.IdentKind && e.AsIdent() == name {
			found = true
		}
		for _, c := range children(e) {
			visit(c)
		}
	}
	visit(ast.NativeRep().Expr())
	return found
}
