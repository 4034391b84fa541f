package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"evaluate/facts"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
)

// ResultRule is the rule every designation's Rego package defines; the
// engine evaluates data.<designation>.result.
const ResultRule = "result"

// allowedBuiltins are the built-ins a policy may call: pure and
// deterministic ones, whose result depends only on their arguments, so that
// a verdict depends only on the facts and the parameters. The sandbox is
// this list, not OPA's built-ins minus some: a built-in a newer OPA adds is
// refused until someone reads it and adds it here. Left out on purpose:
// the clock (time.now_ns, and crypto.x509.*, io.jwt.* and json.match_schema,
// which read it or fetch remote keys and schemas), the network (http.send,
// net.*), the runtime (opa.runtime), randomness (rand.intn, uuid.rfc4122),
// key parsing (crypto.parse_private_keys, providers.aws.sign_req),
// rego.parse_module, graphql.*, and the deprecated built-ins Rego v1
// refuses anyway.
var allowedBuiltins = []string{
	// Operators: comparison, arithmetic, assignment, membership, set union
	// and intersection.
	"eq", "equal", "neq", "lt", "lte", "gt", "gte", "assign", "internal.member_2", "internal.member_3",
	"plus", "minus", "mul", "div", "rem", "abs", "ceil", "floor", "round", "and", "or",
	"numbers.range", "numbers.range_step",
	// Aggregates.
	"count", "sum", "product", "max", "min", "sort",
	// Arrays, sets, objects.
	"array.concat", "array.flatten", "array.reverse", "array.slice",
	"intersection", "union",
	"object.filter", "object.get", "object.keys", "object.remove", "object.subset", "object.union", "object.union_n",
	"json.filter", "json.patch", "json.remove",
	// Strings.
	"concat", "contains", "endswith", "startswith", "format_int", "indexof", "indexof_n", "lower", "upper",
	"replace", "split", "sprintf", "substring", "trim", "trim_left", "trim_prefix", "trim_right", "trim_space", "trim_suffix",
	"strings.any_prefix_match", "strings.any_suffix_match", "strings.count", "strings.render_template",
	"strings.replace_n", "strings.reverse", "strings.split_n", "internal.template_string",
	// Regular expressions and globs.
	"regex.find_all_string_submatch_n", "regex.find_n", "regex.globs_match", "regex.is_valid", "regex.match",
	"regex.replace", "regex.split", "regex.template_match", "glob.match", "glob.quote_meta",
	// Bits.
	"bits.and", "bits.lsh", "bits.negate", "bits.or", "bits.rsh", "bits.xor",
	// Conversions and types.
	"to_number", "is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string", "type_name",
	// Encodings.
	"base64.decode", "base64.encode", "base64.is_valid", "base64url.decode", "base64url.encode", "base64url.encode_no_pad",
	"hex.decode", "hex.encode", "json.is_valid", "json.marshal", "json.marshal_with_options", "json.unmarshal",
	"yaml.is_valid", "yaml.marshal", "yaml.unmarshal",
	"urlquery.decode", "urlquery.decode_object", "urlquery.encode", "urlquery.encode_object",
	// Units and versions.
	"units.parse", "units.parse_bytes", "semver.compare", "semver.is_valid",
	// Graphs.
	"graph.reachable", "graph.reachable_paths", "walk",
	// Time, from given instants only (never the clock). A zone named in a
	// call is read from the system's zone database, as Go reads it.
	"time.add_date", "time.clock", "time.date", "time.diff", "time.format", "time.parse_duration_ns",
	"time.parse_ns", "time.parse_rfc3339_ns", "time.weekday",
	// Hashes.
	"crypto.md5", "crypto.sha1", "crypto.sha256",
	"crypto.hmac.equal", "crypto.hmac.md5", "crypto.hmac.sha1", "crypto.hmac.sha256", "crypto.hmac.sha512",
	// Debugging, annotations and tests.
	"print", "internal.print", "trace", "rego.metadata.chain", "rego.metadata.rule", "internal.test_case",
}

// SandboxCapabilities are the OPA capabilities every policy is compiled
// with, its Rego tests included: this OPA's built-ins that are on the allow
// list (allowedBuiltins), no network access. Each call returns a new value
// the caller may change.
func SandboxCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	keep := caps.Builtins[:0:0]
	for _, b := range caps.Builtins {
		if slices.Contains(allowedBuiltins, b.Name) {
			keep = append(keep, b)
		}
	}
	caps.Builtins = keep
	caps.AllowNet = []string{}
	return caps
}

// AllowedBuiltins lists the built-ins a policy may call, by name.
func AllowedBuiltins() []string {
	names := slices.Clone(allowedBuiltins)
	slices.Sort(names)
	return slices.Compact(names)
}

// ForbiddenBuiltins lists this OPA's built-ins the sandbox refuses, by name:
// every one not on the allow list.
func ForbiddenBuiltins() []string {
	var names []string
	for _, b := range ast.CapabilitiesForThisVersion().Builtins {
		if !slices.Contains(allowedBuiltins, b.Name) {
			names = append(names, b.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// regoModules parses every non-test .rego file of the designation folder.
func regoModules(fsys fs.FS, dir string) (map[string]*ast.Module, PolicyErrors) {
	mods := map[string]*ast.Module{}
	var errs PolicyErrors
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rego") || strings.HasSuffix(p, "_test.rego") {
			return err
		}
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			errs = append(errs, PolicyError{File: p, Message: err.Error()})
			return nil
		}
		m, err := ast.ParseModuleWithOpts(p, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true})
		if err != nil {
			errs = append(errs, regoErrors(fsys, err)...)
			return nil
		}
		mods[p] = m
		return nil
	})
	return mods, errs
}

// regoErrors turns OPA errors into PolicyErrors with file and line, and says
// which built-in the sandbox refused.
func regoErrors(fsys fs.FS, err error) PolicyErrors {
	var astErrs ast.Errors
	switch e := err.(type) {
	case ast.Errors:
		astErrs = e
	case *ast.Error:
		astErrs = ast.Errors{e}
	default:
		if re, ok := err.(interface{ Unwrap() []error }); ok {
			var out PolicyErrors
			for _, x := range re.Unwrap() {
				out = append(out, regoErrors(fsys, x)...)
			}
			return out
		}
		return PolicyErrors{{Message: err.Error()}}
	}
	var out PolicyErrors
	for _, e := range astErrs {
		pe := PolicyError{Message: e.Message}
		if e.Location != nil {
			pe.File, pe.Line, pe.Column = e.Location.File, e.Location.Row, e.Location.Col
			if src, rerr := fs.ReadFile(fsys, e.Location.File); rerr == nil {
				pe.Snippet = snippet(src, pe.Line, pe.Column)
			}
		}
		if name := undefinedFunction(e.Message); name != "" && slices.Contains(ForbiddenBuiltins(), name) {
			pe.Message = fmt.Sprintf("built-in %s is not allowed in policies (only pure built-ins are: no network, clock, randomness or runtime access): %s", name, e.Message)
		}
		out = append(out, pe)
	}
	return out
}

// undefinedFunction is the name in OPA's "undefined function NAME" error,
// or "".
func undefinedFunction(msg string) string {
	_, rest, ok := strings.Cut(msg, "undefined function ")
	if !ok {
		return ""
	}
	end := strings.IndexFunc(rest, func(r rune) bool {
		return r != '.' && r != '_' && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if end >= 0 {
		rest = rest[:end]
	}
	return rest
}

// prepareRego compiles the designation's Rego once, in strict mode and in the
// sandbox, with params as data.<designation>.
func prepareRego(ctx context.Context, fsys fs.FS, dir, designation string, params any) (*rego.PreparedEvalQuery, int, PolicyErrors) {
	mods, errs := regoModules(fsys, dir)
	if len(errs) > 0 {
		return nil, len(mods), errs
	}
	if len(mods) == 0 {
		return nil, 0, PolicyErrors{{File: dir, Message: "no .rego policy in the designation folder"}}
	}
	data, err := jsonData(map[string]any{designation: params})
	if err != nil {
		return nil, len(mods), PolicyErrors{{File: path.Join(dir, ParamsFile), Message: err.Error()}}
	}
	// Compiling here rather than in rego.New keeps OPA's errors as ast.Errors
	// with their locations.
	compiler := ast.NewCompiler().WithCapabilities(SandboxCapabilities()).WithStrict(true)
	if compiler.Compile(mods); compiler.Failed() {
		return nil, len(mods), regoErrors(fsys, compiler.Errors)
	}
	if errs := undefinedData(compiler, mods, designation, params); len(errs) > 0 {
		return nil, len(mods), regoErrors(fsys, errs)
	}
	ref := ast.Ref{ast.DefaultRootDocument, ast.StringTerm(designation), ast.StringTerm(ResultRule)}
	if len(compiler.GetRulesExact(ref)) == 0 {
		return nil, len(mods), PolicyErrors{{File: dir, Message: fmt.Sprintf("no Rego rule %s: the designation's policy must define it (package %s, rule %s)", ref, designation, ResultRule)}}
	}
	query := ast.NewTerm(ref).String()
	pq, err := rego.New(
		rego.Query(query),
		rego.Compiler(compiler),
		// The params as OPA values once, not converted again on every
		// read of every verdict.
		rego.Store(inmem.NewFromObjectWithOpts(data, inmem.OptReturnASTValuesOnRead(true))),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, len(mods), regoErrors(fsys, err)
	}
	return &pq, len(mods), nil
}

// resultRuleAt is where the designation's result rule is written (its
// first definition), for an error about what it returned; the folder
// when it cannot be found.
func resultRuleAt(fsys fs.FS, dir string) (string, int) {
	mods, _ := regoModules(fsys, dir)
	for _, name := range slices.Sorted(maps.Keys(mods)) {
		for _, r := range mods[name].Rules {
			if r.Head.Name.String() == ResultRule && r.Location != nil {
				return r.Location.File, r.Location.Row
			}
		}
	}
	return dir, 0
}

// undefinedData finds references to data.<designation>.<key> that name
// neither a key of params.yaml nor a rule of the package: a misspelt key
// (data.modern_work.min_total_point) makes every rule that reads it, and
// so the result, undefined, which would say nothing of where. Keys below
// the first are followed through params while they are constant strings.
func undefinedData(compiler *ast.Compiler, mods map[string]*ast.Module, designation string, params any) ast.Errors {
	var errs ast.Errors
	for _, name := range slices.Sorted(maps.Keys(mods)) {
		ast.WalkRefs(mods[name], func(r ast.Ref) bool {
			if len(r) >= 2 && r[0].Equal(ast.DefaultRootDocument) && !r[1].Equal(ast.StringTerm(designation)) {
				// Only the designation's own params are data here: a
				// folder copied under a new name that still reads the old
				// one's is undefined, and so is its result.
				if other, ok := r[1].Value.(ast.String); ok && len(compiler.GetRulesWithPrefix(r[:2])) == 0 {
					errs = append(errs, ast.NewError(ast.CompileErr, r[1].Location, "%s: this designation's params are data.%s (its folder's name); data.%s is none of its packages",
						r[:2].String(), designation, string(other)))
				}
				return false
			}
			if len(r) < 3 || !r[0].Equal(ast.DefaultRootDocument) {
				return false
			}
			if _, ok := r[2].Value.(ast.String); !ok || len(compiler.GetRulesWithPrefix(r[:3])) > 0 {
				return false
			}
			var at any = params
			for i, t := range r[2:] {
				s, ok := t.Value.(ast.String)
				m, isMap := at.(map[string]any)
				if !ok || !isMap {
					return false // a variable key, or below a list: not known here
				}
				v, found := m[string(s)]
				if !found {
					what := "params.yaml has no key"
					if i == 0 {
						what = "neither params.yaml nor the package has"
					}
					errs = append(errs, ast.NewError(ast.CompileErr, t.Location, "%s: %s %s%s",
						r[:3+i].String(), what, strconv.Quote(string(s)), facts.Suggest(string(s), slices.Sorted(maps.Keys(m)))))
					return false
				}
				at = v
			}
			return false
		})
	}
	return errs
}

// jsonData converts YAML-decoded values to the JSON types OPA's store takes.
func jsonData(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	return out, dec.Decode(&out)
}
