package facts

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// validator reads one fact document from a cursor into the model, checking
// it against the schema as it goes and collecting every problem, so that
// one run lists all of them. It is the only place that knows the fact
// file's rules; JSON and YAML both come through it.
type validator struct {
	file     string
	schema   *Schema
	problems Problems
	warnings []Problem
	// within names the record being read (a tenant, a person), so that a
	// problem deep inside it says whose it is.
	within string
	// rowBuf, valBuf and cur are rows' scratch (see rows).
	rowBuf []Row
	valBuf []int64
	cur    []int64
	// rowKeys are each series' row keys and required ones, made once.
	rowKeys map[*Series][2][]string
	// ignored are the suggestions for an ignored entry's name, by series
	// and name: a file may name the same unknown workload thousands of
	// times, and an edit distance to every allowed name is dear.
	ignored map[[2]string][2]string
}

func (v *validator) errorf(line int, field *fieldPath, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if v.within != "" && !strings.Contains(msg, v.within) {
		msg += " (" + v.within + ")"
	}
	v.problems = append(v.problems, Problem{File: v.file, Line: line, Field: field.String(), Message: msg})
}

func (v *validator) warnf(kind, key string, line int, field *fieldPath, format string, args ...any) {
	v.warnings = append(v.warnings, Problem{File: v.file, Line: line, Field: field.String(), Message: fmt.Sprintf(format, args...), Kind: kind, Key: key})
}

// topKeys are the keys of a fact document; partner is required.
var topKeys = []string{"partner", "month", "as_of", "customers", "people"}

// document reads a whole fact document. Each customer is handed to
// onCustomer as soon as it is read and found sound (with the file as read
// so far, its month included when it came first); the caller keeps it or
// not. err is a syntax error: the document could not be read on.
func (v *validator) document(c cursor, f *File, onCustomer func(f *File, i int, cust *Customer)) error {
	tenants := newIDSet()
	seen := false
	_, err := v.object(c, root, topKeys, []string{"partner"}, func(key string, _, line int) error {
		switch key {
		case "partner":
			seen = true
			return v.partner(c, f)
		case "month":
			m, ok, err := v.month(c, root.Key("month"))
			f.Month, f.HasMonth = m, ok
			return err
		case "as_of":
			d, _, err := v.date(c, root.Key("as_of"))
			f.AsOf, f.AsOfLine = d, line
			return err
		case "customers":
			i := 0
			return v.list(c, root.Key("customers"), func() error {
				cust, ok, err := v.customer(c, root.Key("customers").At(i))
				if err != nil {
					return err
				}
				// A duplicate is said even of a customer with other
				// problems, so that one run lists every problem.
				if cust.Tenant != "" {
					if first, dup := tenants.add(canonicalID(cust.Tenant), cust.Line); dup {
						v.errorf(cust.Line, root.Key("customers").At(i).Key("tenant"), "duplicate tenant %q (first on line %d)", cust.Tenant, first)
					} else if ok {
						v.latest(f, &cust)
						if len(v.problems) == 0 {
							onCustomer(f, i, &cust)
						}
					}
				}
				i++
				return nil
			})
		default: // people
			return v.people(c, f)
		}
	})
	_ = seen
	return err
}

// latest keeps the latest month of any row (the default reporting
// month) and of each series.
func (v *validator) latest(f *File, cust *Customer) {
	for si, entries := range cust.Series {
		var last Month
		for _, e := range entries {
			for _, r := range e.Rows {
				last = max(last, r.Month)
			}
		}
		if last == 0 {
			continue
		}
		if !f.HasRows || last > f.Latest {
			f.Latest, f.HasRows = last, true
		}
		name := v.schema.Series[si].Name
		if f.LatestOf == nil {
			f.LatestOf = map[string]Month{}
		}
		if last > f.LatestOf[name] {
			f.LatestOf[name] = last
		}
	}
}

// object reads an object whose keys are among allowed, each once, calling
// fn to read each value (with the key's index in allowed). Unknown and
// repeated keys and missing required ones are problems; a value that is
// not an object is one too. ok is false when the value was not an object.
func (v *validator) object(c cursor, path *fieldPath, allowed, required []string, fn func(key string, at, line int) error) (bool, error) {
	k, err := c.peek()
	if err != nil {
		return false, err
	}
	if k != '{' {
		s, err := consume(c, k)
		if err != nil {
			return false, err
		}
		v.errorf(s.line, path, "want a mapping with keys %s, got %s", strings.Join(allowed, ", "), describe(s))
		return false, nil
	}
	start, err := c.enter()
	if err != nil {
		return false, err
	}
	// The line of each allowed key once seen (0: not yet); objects are
	// small, so an array on the stack rather than a map per row.
	var small [16]int
	lines := small[:0]
	if len(allowed) > len(small) {
		lines = make([]int, 0, len(allowed))
	}
	lines = lines[:len(allowed)]
	for {
		key, ki, line, ok, err := c.key(allowed)
		if err != nil {
			return true, err
		}
		if !ok {
			break
		}
		switch {
		case ki < 0:
			v.errorf(line, path.Key(key), "unknown key%s (allowed: %s)", Suggest(key, allowed), strings.Join(allowed, ", "))
			err = c.skip()
		case lines[ki] != 0:
			v.errorf(line, path.Key(key), "appears twice in the same mapping (first on line %d)", lines[ki])
			err = c.skip()
		default:
			lines[ki] = line
			err = fn(key, ki, line)
		}
		if err != nil {
			return true, err
		}
	}
	for _, r := range required {
		if ki := slices.Index(allowed, r); ki < 0 || lines[ki] == 0 {
			v.errorf(start, path.Key(r), "missing (required)")
		}
	}
	return true, nil
}

// next reads the next value, whatever it is (see consume).
func next(c cursor) (scalar, error) {
	k, err := c.peek()
	if err != nil {
		return scalar{}, err
	}
	return consume(c, k)
}

// consume reads the value whose kind peek said: a scalar as it stands, a
// container skipped whole and given as its kind and line (for a message
// that it is not what was wanted).
func consume(c cursor, k byte) (scalar, error) {
	if k == '{' || k == '[' {
		line, err := c.enter()
		if err != nil {
			return scalar{}, err
		}
		// The container is entered; skip the rest of it.
		if err := skipRest(c, k); err != nil {
			return scalar{}, err
		}
		return scalar{kind: k, line: line}, nil
	}
	return c.scalar()
}

// skipRest skips what is left of a container just entered.
func skipRest(c cursor, k byte) error {
	if k == '{' {
		for {
			_, _, _, ok, err := c.key(nil)
			if err != nil || !ok {
				return err
			}
			if err := c.skip(); err != nil {
				return err
			}
		}
	}
	for {
		more, err := c.more()
		if err != nil || !more {
			return err
		}
		if err := c.skip(); err != nil {
			return err
		}
	}
}

// list reads a list, calling fn for each element; null or absent is
// empty.
func (v *validator) list(c cursor, path *fieldPath, fn func() error) error {
	k, err := c.peek()
	if err != nil {
		return err
	}
	if k == 'n' {
		_, err := c.scalar()
		return err
	}
	if k != '[' {
		s, err := consume(c, k)
		if err != nil {
			return err
		}
		v.errorf(s.line, path, "want a list, got %s", describe(s))
		return nil
	}
	if _, err := c.enter(); err != nil {
		return err
	}
	for {
		more, err := c.more()
		if err != nil || !more {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
	}
}

func describe(s scalar) string {
	switch s.kind {
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '0':
		return "the number " + shortened(s.text)
	}
	return quoteShort(s.text)
}

// maxQuoted is how much of a value a message quotes: a whole file read as
// one string (a CSV export given as a fact file) is not echoed back.
const maxQuoted = 60

// quoteShort quotes s, or its start and how long it is.
func quoteShort(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	return strconv.Quote(shortened(s)) + fmt.Sprintf(" (%d characters)", utf8.RuneCountInString(s))
}

// shortened is s, or its first maxQuoted bytes (whole characters) and "…".
func shortened(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// text reads a string. A number is taken as written (an id of digits in
// YAML); a boolean or null is not a string.
func (v *validator) text(c cursor, path *fieldPath) (string, int, bool, error) {
	s, ok, err := v.textOf(c, path)
	if !ok {
		return "", s.line, false, err
	}
	return s.owned(), s.line, true, nil
}

// textOf is text as the cursor read it (perhaps transient), for a text
// that is parsed at once.
func (v *validator) textOf(c cursor, path *fieldPath) (scalar, bool, error) {
	s, err := c.value()
	if err != nil {
		return scalar{}, false, err
	}
	switch {
	case s.kind != '"' && s.kind != '0':
		v.errorf(s.line, path, "want a string, got %s", describe(s))
		return s, false, nil
	case len(s.text) > MaxString:
		v.errorf(s.line, path, "a string of %d bytes, longer than the %d allowed", len(s.text), MaxString)
		return s, false, nil
	case !s.checked && (!utf8.ValidString(s.text) || strings.IndexByte(s.text, 0) >= 0):
		v.errorf(s.line, path, "holds a NUL byte or invalid UTF-8")
		return s, false, nil
	}
	return s, true, nil
}

// name reads a non-empty string (an id or a key).
func (v *validator) name(c cursor, path *fieldPath) (string, int, bool, error) {
	s, line, ok, err := v.text(c, path)
	if ok && strings.TrimSpace(s) == "" {
		v.errorf(line, path, "must not be empty")
		return "", line, false, err
	}
	return s, line, ok, err
}

// optional tells whether the next value is null (consuming it): an
// optional field given as null is absent.
func optional(c cursor) (bool, error) {
	k, err := c.peek()
	if err != nil || k != 'n' {
		return false, err
	}
	_, err = c.scalar()
	return true, err
}

func (v *validator) month(c cursor, path *fieldPath) (Month, bool, error) {
	s, ok, err := v.textOf(c, path)
	if !ok {
		return 0, false, err
	}
	m, perr := ParseMonth(s.text) // its message holds a copy of the text
	if perr != nil {
		v.errorf(s.line, path, "%v", perr)
		return 0, false, nil
	}
	return m, true, nil
}

func (v *validator) date(c cursor, path *fieldPath) (Date, bool, error) {
	if null, err := optional(c); null || err != nil {
		return "", false, err
	}
	s, line, ok, err := v.text(c, path)
	if !ok {
		return "", false, err
	}
	d, perr := ParseDate(s)
	if perr != nil {
		v.errorf(line, path, "%v", perr)
		return "", false, nil
	}
	return d, true, nil
}

// Bounds of numbers in a fact file: a count above MaxCount, or an amount
// above MaxCents in either sign, is a typo, and sums of many of them must
// stay exact in 64 bits.
const (
	MaxCount = 1_000_000_000_000
	MaxCents = 100_000_000_000_000 // a trillion dollars
)

// number reads a number of the given kind. It must be written as one:
// digits (a minus for int and cents), and for cents at most two decimals.
func (v *validator) number(c cursor, path *fieldPath, kind ValueKind) (int64, bool, error) {
	s, err := c.value()
	if err != nil {
		return 0, false, err
	}
	if s.kind != '0' {
		switch kind {
		case Count:
			v.errorf(s.line, path, "want a whole number >= 0, got %s", describe(s))
		case Integer:
			v.errorf(s.line, path, "want a whole number, got %s", describe(s))
		default:
			v.errorf(s.line, path, "want an amount (a number with at most 2 decimals), got %s", describe(s))
		}
		return 0, false, nil
	}
	x, msg := parseNumber(s.text, kind)
	if msg != "" {
		v.errorf(s.line, path, "%s", msg)
		return 0, false, nil
	}
	return x, true, nil
}

// digitsValue is the value of t, all decimal digits and at most 18 of
// them (parseNumber checks both).
func digitsValue(t string) int64 {
	var x int64
	for i := 0; i < len(t); i++ {
		x = x*10 + int64(t[i]-'0')
	}
	return x
}

// exponentHint says how to write a number given with an exponent (1e3),
// which a fact file's counts and amounts are not: "at most 2 decimals"
// alone reads oddly for a number with none.
func exponentHint(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return ""
	}
	// Out of range (1e999) is an error here, so f is finite.
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return ""
	}
	return fmt.Sprintf(" (write it without an exponent: %s)", strconv.FormatFloat(f, 'f', -1, 64))
}

// parseNumber reads a number as written in a fact file; msg says why not.
func parseNumber(s string, kind ValueKind) (int64, string) {
	neg := strings.HasPrefix(s, "-")
	digitsPart := strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(digitsPart, ".")
	allDigits := func(t string) bool {
		if t == "" {
			return false
		}
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return false
			}
		}
		return true
	}
	switch kind {
	case Count, Integer:
		if !allDigits(whole) || hasFrac {
			if kind == Count {
				return 0, fmt.Sprintf("want a whole number >= 0, got %s%s", s, exponentHint(s))
			}
			return 0, fmt.Sprintf("want a whole number, got %s%s", s, exponentHint(s))
		}
		if neg && kind == Count {
			return 0, fmt.Sprintf("must not be negative, got %s", s)
		}
		if len(whole) > 13 {
			return 0, fmt.Sprintf("%s is more than the largest number allowed, %d", s, MaxCount)
		}
		x := digitsValue(whole)
		if x > MaxCount {
			return 0, fmt.Sprintf("%s is more than the largest number allowed, %d", s, MaxCount)
		}
		if neg {
			x = -x
		}
		return x, ""
	}
	// Cents: an amount of money with at most two decimals.
	if !allDigits(whole) || hasFrac && (!allDigits(frac) || len(frac) > 2) {
		return 0, fmt.Sprintf("want an amount with at most 2 decimals (cents), got %s%s", s, exponentHint(s))
	}
	if len(whole) > 13 {
		return 0, fmt.Sprintf("%s is more than the largest amount allowed, %d.00", s, MaxCents/100)
	}
	// At most 13 digits and 2 decimals, each checked: no overflow, and
	// no copy of the text to pad the cents.
	x := digitsValue(whole) * 100
	if len(frac) > 0 {
		x += int64(frac[0]-'0') * 10
	}
	if len(frac) > 1 {
		x += int64(frac[1] - '0')
	}
	if x > MaxCents {
		return 0, fmt.Sprintf("%s is more than the largest amount allowed, %d.00", s, MaxCents/100)
	}
	if neg {
		x = -x
	}
	return x, ""
}

func (v *validator) partner(c cursor, f *File) error {
	_, err := v.object(c, root.Key("partner"), []string{"id", "name"}, []string{"id"}, func(key string, _, _ int) error {
		var err error
		if key == "id" {
			f.Partner.ID, _, _, err = v.name(c, root.Key("partner").Key("id"))
		} else {
			f.Partner.Name, _, _, err = v.text(c, root.Key("partner").Key("name"))
		}
		return err
	})
	return err
}
