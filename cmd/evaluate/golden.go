package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// goldenCase is a fact file with the result it must give: either
// <name>.expected.json (keys that must match, numbers to 1e-6) or
// <name>.expected.err (the file must be refused with exit 2, nothing on
// stdout, and every line of it somewhere in the messages), scored for
// the designation its expected result names. Adding a case needs no code.
type goldenCase struct {
	Name     string
	Input    string
	Expected string
}

// findGoldenCases returns every case under the given files or folders,
// and those of them that hold none. A fact file given by name is its own
// case when its expected result is beside it.
func findGoldenCases(paths []string) (cases []goldenCase, empty []string, err error) {
	for _, p := range paths {
		before := len(cases)
		err := filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			stem, ok := strings.CutSuffix(f, ".expected.json")
			if !ok {
				stem, ok = strings.CutSuffix(f, ".expected.err")
			}
			if !ok && f == p {
				stem = strings.TrimSuffix(f, filepath.Ext(f))
				for _, exp := range []string{".expected.json", ".expected.err"} {
					if _, err := os.Stat(stem + exp); err == nil {
						cases = append(cases, goldenCase{Name: filepath.ToSlash(filepath.Base(stem)), Input: f, Expected: stem + exp})
						return nil
					}
				}
				return nil
			}
			if !ok {
				return nil
			}
			input := ""
			for _, ext := range []string{".yaml", ".yml", ".json"} {
				if _, err := os.Stat(stem + ext); err == nil {
					input = stem + ext
					break
				}
			}
			if input == "" {
				return fmt.Errorf("%s: no fact file %s.yaml or .json beside it", f, filepath.Base(stem))
			}
			rel, _ := filepath.Rel(p, stem)
			if f == p {
				rel = filepath.Base(stem)
			}
			cases = append(cases, goldenCase{Name: filepath.ToSlash(rel), Input: input, Expected: f})
			return nil
		})
		var pe *fs.PathError
		switch {
		case errors.As(err, &pe) && pe.Path == p:
			return nil, nil, fmt.Errorf("%s: %v", p, pe.Err)
		case err != nil:
			return nil, nil, err
		case len(cases) == before:
			empty = append(empty, p)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, empty, nil
}

// errSkipped marks a case for a designation the bundle does not have (a
// copy of one designation's folder tested against the whole testcases/).
type errSkipped struct{ id string }

func (e errSkipped) Error() string { return "the bundle has no designation " + e.id }

// scoped returns the scorer for the case: narrowed to the designation its
// expected result names, if it names one.
func (c goldenCase) scoped(s *scorer, expected any) (*scorer, error) {
	obj, ok := expected.(map[string]any)
	if !ok {
		return s, nil
	}
	if all, ok := obj["designations"].(map[string]any); ok {
		return s, c.narrow(s, obj, all)
	}
	id, ok := obj["designation"].(string)
	if !ok {
		// Expected keys of one designation's object, with several scored:
		// every key would differ, none saying why.
		if _, one := obj["tracks"]; one && len(s.bundle.Designations) > 1 {
			return nil, fmt.Errorf("%s names no designation, so the case is scored for every one of the bundle (%s) into a \"designations\" map; add \"designation\": \"<id>\" to check one",
				c.Expected, strings.Join(s.bundle.IDs(), ", "))
		}
		return s, nil
	}
	if s.bundle.Designation(id) == nil {
		return nil, errSkipped{id}
	}
	b, err := s.bundle.Select([]string{id})
	if err != nil {
		return nil, err
	}
	one := *s
	one.bundle = b
	return &one, nil
}

// narrow keeps, of an expected result for several designations, those
// the run scores (--designation, or one designation's folder): a case for
// the whole bundle then checks the part that was scored. With one left,
// the result is that designation's object (SPEC.md §6), so the
// expectation becomes its entry.
func (c goldenCase) narrow(s *scorer, obj, all map[string]any) error {
	kept := map[string]any{}
	for id, want := range all {
		if s.bundle.Designation(id) != nil {
			kept[id] = want
		}
	}
	switch {
	case len(kept) == len(all):
		return nil
	case len(kept) == 0:
		return errSkipped{strings.Join(slices.Sorted(maps.Keys(all)), ", ")}
	case len(kept) == 1 && len(s.bundle.Designations) == 1:
		for _, want := range kept {
			one, ok := want.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: designations: want an object per designation", c.Expected)
			}
			clear(obj)
			maps.Copy(obj, one)
		}
		return nil
	}
	obj["designations"] = kept
	return nil
}

// check scores the case's fact file and returns what differs from the
// expectation (nothing when the case passes). An expected result names its
// designation ("designation"), and the case is scored for it alone; a case
// without one is scored for every designation.
func (c goldenCase) check(ctx context.Context, s *scorer) ([]string, error) {
	want, err := os.ReadFile(c.Expected)
	if err != nil {
		return nil, err
	}
	var expected any
	if strings.HasSuffix(c.Expected, ".expected.json") {
		if err := json.Unmarshal(want, &expected); err != nil {
			return nil, fmt.Errorf("%s: %v", c.Expected, err)
		}
	}
	if s, err = c.scoped(s, expected); err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	results, code := s.score(ctx, []string{c.Input}, &stderr)
	if expected == nil {
		var diffs []string
		if code != exitBadInput || len(results) > 0 {
			diffs = append(diffs, fmt.Sprintf("exit code %d, want %d with no result", code, exitBadInput))
		}
		for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.Contains(stderr.String(), line) {
				diffs = append(diffs, fmt.Sprintf("messages lack %q; they were:\n%s", line, stderr.String()))
			}
		}
		return diffs, nil
	}
	if len(results) != 1 {
		return []string{fmt.Sprintf("not scored (exit %d): %s", code, strings.TrimSpace(stderr.String()))}, nil
	}
	got, err := toJSONValue(results[0])
	if err != nil {
		return nil, err
	}
	// Where the input sits is not part of its result.
	for _, m := range []any{expected, got} {
		if obj, ok := m.(map[string]any); ok {
			delete(obj, "file")
			delete(obj, "line")
		}
	}
	return diffJSON("", expected, got), nil
}

// update rewrites the case's expected result from what the bundle gives
// now, for the same designation, without the keys that change with the
// machine or the bundle's content (file, policies, warnings) or are prose
// (reasons). Refusals (.expected.err) are left alone.
func (c goldenCase) update(ctx context.Context, s *scorer) error {
	if !strings.HasSuffix(c.Expected, ".expected.json") {
		return nil
	}
	want, err := os.ReadFile(c.Expected)
	if err != nil {
		return err
	}
	var expected any
	if err := json.Unmarshal(want, &expected); err != nil {
		return fmt.Errorf("%s: %v", c.Expected, err)
	}
	if s, err = c.scoped(s, expected); err != nil {
		return err
	}
	var stderr bytes.Buffer
	results, _ := s.score(ctx, []string{c.Input}, &stderr)
	if len(results) != 1 {
		return fmt.Errorf("%s: not scored: %s", c.Input, stderr.String())
	}
	v, err := toJSONValue(results[0])
	if err != nil {
		return err
	}
	strip := func(m map[string]any) {
		for _, k := range []string{"file", "line", "policies", "warnings"} {
			delete(m, k)
		}
		if tracks, ok := m["tracks"].(map[string]any); ok {
			for _, tr := range tracks {
				delete(tr.(map[string]any), "reasons")
			}
		}
	}
	m := v.(map[string]any)
	strip(m)
	if ds, ok := m["designations"].(map[string]any); ok {
		for _, d := range ds {
			strip(d.(map[string]any))
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(c.Expected, append(b, '\n'), 0o644)
}

func toJSONValue(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(raw, &out)
}

// diffJSON lists where got differs from want, as "path: got X, want Y".
// Keys absent from want are not checked; numbers match to 1e-6.
func diffJSON(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", orRoot(path), compact(got))}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []string
		for _, k := range keys {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing, want %s", path, k, compact(w[k])))
				continue
			}
			out = append(out, diffJSON(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %s, want %s", orRoot(path), compact(got), compact(want))}
		}
		var out []string
		for i := range w {
			out = append(out, diffJSON(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	case float64:
		if g, ok := got.(float64); ok && math.Abs(g-w) <= 1e-6 {
			return nil
		}
	default:
		if fmt.Sprint(want) == fmt.Sprint(got) {
			return nil
		}
	}
	return []string{fmt.Sprintf("%s: got %s, want %s", orRoot(path), compact(got), compact(want))}
}

func orRoot(path string) string {
	if path == "" {
		return "(result)"
	}
	return path
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
