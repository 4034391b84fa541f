package facts

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// StreamJSON reads a JSON fact file from r a customer at a time and windows
// each customer as soon as it is read, so memory holds only the months the
// rules look at, however many months or tenants the file has. This needs the
// reporting month before the customers: from opts, or a "month" key ahead of
// "customers" (as `evaluate gen` writes). Otherwise the customers are kept
// until the end of the file and windowed then. Messages are those of Parse;
// firstLine numbers the stream's first line (for JSON Lines). With onTenant,
// each windowed tenant of a file without errors so far is handed to it
// rather than kept in the Window; a file found bad later must then be
// dropped by the caller, as StreamJSON returns its errors.
func StreamJSON(name string, firstLine int, r io.Reader, vocab Vocabulary, opts WindowOptions, onTenant func(TenantWindow)) (*File, *Window, error) {
	s := newJSONScanner(r, firstLine)
	defer s.release()
	w := &walker{file: name, vocab: &vocab}
	f := &File{Name: name}
	win := &Window{}
	known := opts.HasMonth
	if known {
		win.Month, win.Baseline = opts.Month, opts.Month-12
	}
	var pending []Customer
	held := false // customers came before the month: windowed at the end
	problem := func(err error) (*File, *Window, error) {
		var le *lineError
		if errors.As(err, &le) {
			return nil, nil, Problems{{File: name, Line: le.line, Message: le.msg}}
		}
		return nil, nil, Problems{{File: name, Message: err.Error()}}
	}
	c, err := s.next()
	if errors.Is(err, io.EOF) {
		return problem(&lineError{line: firstLine, msg: "the file is empty"})
	}
	if err != nil {
		return problem(err)
	}
	if c != '{' {
		return problem(s.fail("a fact file is an object {...}, found %q", c))
	}
	seenKeys := map[string]int{}
	seenTenants := map[string]int{}
	err = s.members(func(key string, line int, c byte) error {
		keyNode := &yaml.Node{Kind: yaml.ScalarNode, Value: key, Line: line, Column: 1}
		if first, dup := seenKeys[key]; dup {
			w.errorf(keyNode, key, "appears twice in the same mapping (first on line %d)", first)
		}
		seenKeys[key] = line
		if key != "customers" {
			n, err := s.value(c, 1)
			if err != nil {
				return err
			}
			switch {
			case !slices.Contains(topKeys, key):
				w.errorf(keyNode, key, "unknown key%s (allowed: %s)", Suggest(key, topKeys), strings.Join(topKeys, ", "))
			case key == "people":
				w.people(f, n)
			default:
				w.header(f, key, n)
				if key == "month" && f.HasMonth && !known {
					known = true
					win.Month, win.Baseline = f.Month, f.Month-12
				}
			}
			return nil
		}
		if c != '[' {
			n, err := s.value(c, 1)
			if err == nil {
				w.errorf(n, "customers", "want a list, got %s", describe(n))
			}
			return err
		}
		i := 0
		var buf []byte
		return s.elements(func(c byte) error {
			line := s.line
			raw, err := s.raw(c, buf)
			if err != nil {
				return err
			}
			buf = raw
			cust, ok := quickCustomer(raw, line, &vocab)
			if _, dup := seenTenants[cust.Tenant]; dup {
				ok = false
			}
			if ok {
				seenTenants[cust.Tenant] = cust.Line
			} else {
				// The careful path: every problem with its line and field.
				sub := newJSONScanner(bytes.NewReader(raw), line)
				first, _ := sub.next()
				n, err := sub.value(first, 2)
				sub.release()
				if err != nil {
					return err
				}
				cust, ok = w.addCustomer(n, i, vocab, seenTenants)
			}
			switch {
			case !ok || len(w.problems) > 0:
				// A file with errors is not scored: stop windowing, keep checking.
			case !known || held:
				held = true
				pending = append(pending, cust)
			case onTenant != nil:
				onTenant(win.tenant(name, i, &cust))
			default:
				win.Tenants = append(win.Tenants, win.tenant(name, i, &cust))
			}
			i++
			return nil
		})
	})
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return problem(err)
	}
	if _, ok := seenKeys["partner"]; !ok {
		w.errorf(&yaml.Node{Line: firstLine}, "partner", "missing (required)")
	}
	if len(w.problems) > 0 {
		sort.SliceStable(w.problems, func(i, j int) bool { return w.problems[i].Line < w.problems[j].Line })
		return nil, nil, w.problems
	}
	f.Warnings = w.warnings
	if held || !known {
		f.Customers = pending
		full, err := f.Window(opts)
		f.Customers = nil
		return f, full, err
	}
	win.People = f.People
	win.Warnings = append(slices.Clone(f.Warnings), win.Warnings...)
	win.AsOf, win.AsOfGiven = f.evaluationDate(opts, win.Month)
	return f, win, nil
}
