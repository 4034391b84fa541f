package facts

import (
	"bytes"
	"slices"
)

// raw reads one complete JSON value that starts with c into buf, without
// interpreting it: quotes and brackets are matched and lines counted. The
// value is then read by quickCustomer, or by the node reader when that
// declines, so a customer is read from memory, not from the stream twice.
func (s *jsonScanner) raw(c byte, buf []byte) ([]byte, error) {
	buf = append(buf[:0], c)
	depth := 0
	switch c {
	case '{', '[':
		depth = 1
	case '"':
		return s.rawString(buf)
	default:
		// A scalar: read up to the next delimiter.
		for {
			b, err := s.r.ReadByte()
			if err != nil {
				return buf, nil
			}
			if b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\t' || b == '\r' {
				s.r.UnreadByte()
				return buf, nil
			}
			buf = append(buf, b)
		}
	}
	// The bytes are scanned a buffered window at a time rather than one
	// ReadByte each: this loop sees every byte of every customer.
	inStr, esc, strLen := false, false, 0
	for depth > 0 {
		win, err := s.window()
		if err != nil {
			return nil, s.eof(err)
		}
		i := 0
		for ; i < len(win) && depth > 0; i++ {
			// Skip what needs no look: most of a customer is names and numbers.
			if inStr {
				j := i
				for j < len(win) && !esc && rawInString[win[j]] == 0 {
					j++
				}
				if strLen += j - i; strLen > MaxString {
					return nil, s.fail("a string longer than %d bytes", MaxString)
				}
				if i = j; i == len(win) {
					break
				}
			} else {
				for i < len(win) && rawOutside[win[i]] == 0 {
					i++
				}
				if i == len(win) {
					break
				}
			}
			b := win[i]
			if inStr {
				switch {
				case esc:
					esc = false
				case b == '"':
					inStr = false
					continue
				case b == '\\':
					esc = true
				case b == '\n':
					return nil, s.fail("control character '\\n' in a string")
				}
				if strLen++; strLen > MaxString {
					return nil, s.fail("a string longer than %d bytes", MaxString)
				}
				continue
			}
			switch b {
			case '\n':
				s.line++
			case '{', '[':
				if depth++; depth > MaxDepth {
					return nil, s.fail("nested more than %d levels deep", MaxDepth)
				}
			case '}', ']':
				depth--
			case '"':
				inStr, strLen = true, 0
			}
		}
		buf = append(buf, win[:i]...)
		s.r.Discard(i)
	}
	return buf, nil
}

// The bytes raw() acts on, inside a string and outside one.
var rawInString, rawOutside = func() (in, out [256]byte) {
	for _, c := range []byte{'"', '\\', '\n'} {
		in[c] = 1
	}
	for _, c := range []byte{'"', '\n', '{', '[', '}', ']'} {
		out[c] = 1
	}
	return
}()

// window returns the bytes buffered for reading, reading more when none are.
func (s *jsonScanner) window() ([]byte, error) {
	if s.r.Buffered() == 0 {
		if _, err := s.r.Peek(1); err != nil {
			return nil, err
		}
	}
	return s.r.Peek(s.r.Buffered())
}

// rawString copies a string's rest, after its opening quote, into buf.
func (s *jsonScanner) rawString(buf []byte) ([]byte, error) {
	start := len(buf)
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return nil, s.eof(err)
		}
		buf = append(buf, b)
		switch b {
		case '"':
			return buf, nil
		case '\\':
			e, err := s.r.ReadByte()
			if err != nil {
				return nil, s.eof(err)
			}
			buf = append(buf, e)
		case '\n':
			return nil, s.fail("control character '\\n' in a string")
		}
		if len(buf)-start > MaxString {
			return nil, s.fail("a string longer than %d bytes", MaxString)
		}
	}
}

// quick reads a customer from its raw JSON when it is plainly valid and
// raises no warning: known keys once each, strings without escapes, whole
// numbers, valid dates and months, known attribution types and eligible
// workloads, no overlaps or duplicates, no more users than seats. It gives
// up (false) on anything else, and the node reader, which explains every
// problem, reads the customer instead. Real files are almost all plain.
type quick struct {
	b     []byte
	i     int
	line  int
	vocab *Vocabulary
}

func quickCustomer(raw []byte, line int, vocab *Vocabulary) (Customer, bool) {
	q := &quick{b: raw, line: line, vocab: vocab}
	c := Customer{Line: line}
	ok := q.object([]string{"tenant", "name", "associations", "workloads"}, 1, func(key string) bool {
		switch key {
		case "tenant":
			s, ok := q.str()
			c.Tenant = s
			return ok && len(bytes.TrimSpace([]byte(s))) > 0
		case "name":
			s, ok := q.str()
			c.Name = s
			return ok
		case "associations":
			return q.array(func() bool {
				a, ok := q.association()
				if !ok {
					return false
				}
				for _, b := range c.Associations {
					if b.Type == a.Type && overlap(a, b) {
						return false
					}
				}
				c.Associations = append(c.Associations, a)
				return true
			})
		default: // workloads
			return q.array(func() bool {
				w, ok := q.workload()
				if !ok || slices.ContainsFunc(c.Workloads, func(x Workload) bool { return x.Name == w.Name }) {
					return false
				}
				c.Workloads = append(c.Workloads, w)
				return true
			})
		}
	})
	q.ws()
	return c, ok && q.i == len(q.b)
}

func (q *quick) ws() {
	for q.i < len(q.b) {
		switch q.b[q.i] {
		case '\n':
			q.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		q.i++
	}
}

// object reads {"key": value, ...}, calling f after each key's colon. Keys
// must be among allowed and appear once; the first required of them must
// all be there.
func (q *quick) object(allowed []string, required int, f func(key string) bool) bool {
	if empty, ok := q.open('{', '}'); !ok || empty {
		return ok && required == 0
	}
	var seen uint
	for {
		q.ws()
		k, ok := q.oneOf(allowed)
		if !ok || seen&(1<<k) != 0 {
			return false
		}
		key := allowed[k]
		seen |= 1 << k
		q.ws()
		if q.i >= len(q.b) || q.b[q.i] != ':' {
			return false
		}
		q.i++
		q.ws()
		if !f(key) {
			return false
		}
		if more, ok := q.more('}'); !ok || !more {
			return ok && seen&(1<<required-1) == 1<<required-1
		}
	}
}

// open reads the opening byte of an object or array and, when the closing
// byte follows at once, that too.
func (q *quick) open(open, close byte) (empty, ok bool) {
	q.ws()
	if q.i >= len(q.b) || q.b[q.i] != open {
		return false, false
	}
	q.i++
	q.ws()
	if q.i < len(q.b) && q.b[q.i] == close {
		q.i++
		return true, true
	}
	return false, true
}

// more reads what follows a value in an object or array: ',' (more
// follow) or the closing byte.
func (q *quick) more(close byte) (more, ok bool) {
	q.ws()
	if q.i >= len(q.b) {
		return false, false
	}
	switch q.b[q.i] {
	case ',':
		q.i++
		return true, true
	case close:
		q.i++
		return false, true
	}
	return false, false
}

// array reads [value, ...], calling f at each value.
func (q *quick) array(f func() bool) bool {
	if empty, ok := q.open('[', ']'); !ok || empty {
		return ok
	}
	for {
		q.ws()
		if !f() {
			return false
		}
		if more, ok := q.more(']'); !ok || !more {
			return ok
		}
	}
}

// str reads a string without escapes or control characters.
func (q *quick) str() (string, bool) {
	b, ok := q.bytes()
	return string(b), ok
}

// bytes reads a string without copying it: for keys, months and names
// that are compared, not kept.
func (q *quick) bytes() ([]byte, bool) {
	if q.i >= len(q.b) || q.b[q.i] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(q.b[q.i+1:], '"')
	if end < 0 {
		return nil, false
	}
	s := q.b[q.i+1 : q.i+1+end]
	for _, c := range s {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return nil, false // escapes and non-ASCII take the careful path
		}
	}
	q.i += end + 2
	return s, true
}

// oneOf reads a string that must be one of names and returns its index:
// keys, workloads and types are then names[i], and the thousands of them in
// a file share a few strings.
func (q *quick) oneOf(names []string) (int, bool) {
	b, ok := q.bytes()
	if !ok {
		return 0, false
	}
	i := slices.IndexFunc(names, func(n string) bool { return string(b) == n })
	return i, i >= 0
}

// count reads a whole number of at most 15 digits.
func (q *quick) count() (int64, bool) {
	start := q.i
	var x int64
	for q.i < len(q.b) && q.b[q.i] >= '0' && q.b[q.i] <= '9' {
		x = x*10 + int64(q.b[q.i]-'0')
		q.i++
	}
	n := q.i - start
	if n == 0 || n > 15 || (n > 1 && q.b[start] == '0') {
		return 0, false
	}
	if q.i < len(q.b) && (q.b[q.i] == '.' || q.b[q.i] == 'e' || q.b[q.i] == 'E') {
		return 0, false
	}
	return x, true
}

func (q *quick) association() (Association, bool) {
	a := Association{Line: q.line}
	ok := q.object([]string{"type", "from", "tier", "to"}, 2, func(key string) bool {
		switch key {
		case "type":
			t, ok := q.oneOf(q.vocab.AttributionTypes)
			if ok {
				a.Type = q.vocab.AttributionTypes[t]
			}
			return ok
		case "tier":
			t, ok := q.count()
			a.Tier = int(t)
			return ok && t >= 1
		default: // from, to
			s, ok := q.str()
			if !ok {
				return false
			}
			d, err := ParseDate(s)
			if key == "from" {
				a.From = d
			} else {
				a.To = d
			}
			return err == nil
		}
	})
	return a, ok && (a.To == "" || a.To >= a.From) && q.vocab.tierProblem(a.Type, a.Tier) == ""
}

func (q *quick) workload() (Workload, bool) {
	w := Workload{Line: q.line}
	ok := q.object([]string{"workload", "usage"}, 1, func(key string) bool {
		if key == "workload" {
			k, ok := q.oneOf(q.vocab.EligibleWorkloads)
			if ok {
				w.Name = q.vocab.EligibleWorkloads[k]
			}
			return ok
		}
		return q.array(func() bool {
			u, ok := q.usage()
			if !ok || slices.ContainsFunc(w.Usage, func(x Usage) bool { return x.Month == u.Month }) {
				return false
			}
			w.Usage = append(w.Usage, u)
			return true
		})
	})
	return w, ok
}

func (q *quick) usage() (Usage, bool) {
	u := Usage{Line: q.line}
	ok := q.object(usageKeys, len(usageKeys), func(key string) bool {
		var ok bool
		switch key {
		case "month":
			var s []byte
			if s, ok = q.bytes(); ok {
				u.Month, ok = parseMonth(s)
			}
		case "paid_seats":
			u.PaidSeats, ok = q.count()
		default: // active_users
			u.ActiveUsers, ok = q.count()
		}
		return ok
	})
	return u, ok && u.ActiveUsers <= u.PaidSeats
}
