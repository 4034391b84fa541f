package pcenter

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"evaluate/facts"
)

// Importer gathers the rows of exports, per partner, until Facts makes
// them fact files. Rows are kept compactly and, past a budget, spilled to
// temporary files in sorted runs (spill.go): memory does not grow with the
// exports.
type Importer struct {
	m        *Mapping
	schema   *facts.Schema
	partners map[string]*partner
	rows     spill
	latest   facts.Month
	// people are the certified people of a certifications export, which
	// names no partner.
	people      map[string]*person
	peopleFiles []string
	// Counts of rows left out, for notices.
	dropped  map[string]int // attribution type -> rows
	inactive int
	dups     int
	// fileErrs are problems of a file as a whole (no partner to blame).
	fileErrs facts.Problems
	files    []string // by index, for the places of rows
	// sums are the exports read, by the SHA-256 of their bytes: the same
	// download given twice would count every row twice.
	sums    map[[sha256.Size]byte]string
	key     []byte // scratch for entry keys
	typeIDs map[string]uint16
}

type partner struct {
	id, name string
	problems facts.Problems
	warnings facts.Problems
}

// maxMeasures bounds the measures of a series that an export may fill.
const maxMeasures = 4

// rec is one export row of an entry: its month and attribution type, its
// measures (counts as they are; amounts in millionths of a dollar), which
// of them it has, how rows of its type combine, and where it was read.
type rec struct {
	month facts.Month
	typ   uint16 // the Partner Center type, by index
	vals  [maxMeasures]int64
	has   uint8
	sum   bool
	file  int32
	line  int32
}

type person struct {
	id    string
	certs []cert
}

type cert struct{ name, earned, expires string }

// NewImporter starts an import with a mapping, into facts of a schema (the
// bundle's: its series, measures and kinds). Rows past runBytes of memory
// (0: DefaultRunBytes) are spilled to temporary files in tempDir ("": the
// system's); Close removes them.
func NewImporter(m *Mapping, schema *facts.Schema, runBytes int, tempDir string) *Importer {
	if runBytes <= 0 {
		runBytes = DefaultRunBytes
	}
	return &Importer{m: m, schema: schema, partners: map[string]*partner{}, people: map[string]*person{}, dropped: map[string]int{},
		rows: spill{dir: tempDir, budget: runBytes}}
}

// Close removes the temporary files of the rows spilled.
func (im *Importer) Close() { im.rows.close() }

// header is a file's columns, matched to a dataset's roles.
type header struct {
	d      *Dataset
	col    map[string]int // role -> index
	keys   []int          // by the series' key order
	meas   []int          // by the series' measure order, -1: absent
	se     *facts.Series
	series int // se's index in the schema
	width  int // the header's columns
	// The columns of the roles read on every row (-1: absent).
	partner, partnerName, tenant, tenantName, month, attribution, duplicate, associated int
	file                                                                                int32
}

// ReadFile reads one export. Problems with the file as a whole (no
// dataset matches, a required column is missing) are returned; problems
// with a row are the row's partner's (Documents reports them).
func (im *Importer) ReadFile(name string, r io.Reader) error {
	sum := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, sum), 1<<16)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\ufeff")) {
		br.Discard(3)
	} else if len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff) {
		return fmt.Errorf("%s: the file is UTF-16 (Excel's \"Unicode text\"): save or download the export as CSV UTF-8", name)
	}
	first, _ := br.Peek(4096)
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	if bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")) {
		cr.Comma = '\t'
	}
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err == io.EOF {
		return fmt.Errorf("%s: the file is empty", name)
	}
	if err != nil {
		return factFileHint(fmt.Errorf("%s: %v", name, csvError(err)), first)
	}
	h, err := im.match(name, head)
	if err != nil {
		return factFileHint(err, first)
	}
	h.file = int32(len(im.files))
	h.width = len(head)
	im.files = append(im.files, name)
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			if rows == 0 {
				return nil // a header alone counts nothing, however often
			}
			return im.once(name, sum.Sum(nil))
		}
		rows++
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%s: %v", name, csvError(err))
		}
		if len(rec) < h.width {
			im.shortRow(h, name, line, rec)
			continue
		}
		if err := im.row(h, name, line, rec); err != nil {
			return err
		}
	}
}

// once refuses an export whose bytes are those of one read before (a
// report downloaded twice, "AzureUsage (1).csv"): its rows would count
// twice. Exports that only overlap are not told apart from one report
// split into several files, and are summed.
func (im *Importer) once(name string, sum []byte) error {
	k := [sha256.Size]byte(sum)
	if first, ok := im.sums[k]; ok && first == name {
		return fmt.Errorf("%s: given twice: its rows would count twice", name)
	} else if ok {
		return fmt.Errorf("%s: the same export as %s (identical content): its rows would count twice; remove one", name, first)
	}
	if im.sums == nil {
		im.sums = map[[sha256.Size]byte]string{}
	}
	im.sums[k] = name
	return nil
}

// factFileHint adds to err, when the file's first line is how a fact file
// begins (JSON, a YAML document marker or comment, a top-level key), that
// it is one: a fact file given with --from partner-center.
func factFileHint(err error, first []byte) error {
	line := bytes.TrimSpace(first)
	for _, start := range []string{"{", "[", "---", "#", "partner:", "month:", "as_of:", "customers:", "people:"} {
		if bytes.HasPrefix(line, []byte(start)) {
			return fmt.Errorf("%w\n(it looks like a fact file, not a Partner Center export: score it without --from partner-center)", err)
		}
	}
	return err
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// match finds the dataset whose columns the header has.
func (im *Importer) match(name string, head []string) (*header, error) {
	index := map[string]int{}
	for i, c := range head {
		k := strings.ToLower(strings.TrimSpace(c))
		if j, dup := index[k]; dup && k != "" {
			// Which of the two holds the value cannot be known.
			return nil, fmt.Errorf("%s: the header has the column %q twice (columns %d and %d)", name, strings.TrimSpace(c), j+1, i+1)
		}
		index[k] = i
	}
	find := func(n Names) int {
		for _, c := range n {
			if i, ok := index[strings.ToLower(c)]; ok {
				return i
			}
		}
		return -1
	}
	var tried []string
	var best *Dataset
	var bestMissing, secondMissing []Names
	bestFound := 0
	for _, d := range im.m.datasets() {
		var missing []Names
		found := 0
		for _, r := range d.required() {
			found++
			if find(d.Columns[r]) < 0 {
				missing = append(missing, d.Columns[r])
			}
		}
		if !d.people() {
			for _, k := range sortedNames(d.Keys) {
				if k == im.firstKey(d) {
					found++
				}
				if find(d.Keys[k]) < 0 && k == im.firstKey(d) {
					missing = append(missing, d.Keys[k])
				}
			}
			// Every measure: a renamed column must not read as zero.
			for _, k := range sortedNames(d.Measures) {
				found++
				if find(d.Measures[k]) < 0 {
					missing = append(missing, d.Measures[k])
				}
			}
		}
		if len(missing) == 0 {
			return im.header(d, find)
		}
		found -= len(missing)
		tried = append(tried, fmt.Sprintf("%s (%s) lacks %s", d.name, d.Title, namesList(missing, nil)))
		switch {
		case best == nil || len(missing) < len(bestMissing):
			best, bestMissing, secondMissing, bestFound = d, missing, bestMissing, found
		case secondMissing == nil || len(missing) < len(secondMissing):
			secondMissing = missing
		}
	}
	shown := slices.Clone(head)
	if len(shown) > 30 {
		shown = append(slices.Clone(head[:30]), fmt.Sprintf("and %d more", len(head)-30))
	}
	for i, c := range shown {
		if len(c) > 60 {
			shown[i] = c[:60] + "..." // a text file's first line, not a header
		}
	}
	if best != nil && len(bestMissing) <= 2 && bestFound > len(bestMissing) && (secondMissing == nil || len(secondMissing) > len(bestMissing)) {
		// One dataset is plainly meant: say what it lacks, and the
		// column of the file that is likely that one.
		return nil, fmt.Errorf("%s: looks like %s (%s) of the mapping %s, but lacks %s %s; the file's columns are %s",
			name, best.name, best.Title, im.m.source, plural(len(bestMissing), "the column", "the columns"), namesList(bestMissing, head), strings.Join(shown, ", "))
	}
	return nil, fmt.Errorf("%s: matches no Partner Center dataset of the mapping %s: %s; the file's columns are %s",
		name, im.m.source, strings.Join(tried, "; "), strings.Join(shown, ", "))
}

// namesList lists missing columns ("A or B, C"), each with the column of
// head it likely is, if any.
func namesList(missing []Names, head []string) string {
	parts := make([]string, len(missing))
	for i, n := range missing {
		parts[i] = strings.Join(n, " or ")
		for _, c := range n {
			if hint := facts.Suggest(c, head); hint != "" {
				parts[i] += hint
				break
			}
		}
	}
	return strings.Join(parts, ", ")
}

// firstKey is the key that names an entry of the dataset's series.
func (im *Importer) firstKey(d *Dataset) string {
	if se := im.series(d.Series); se != nil {
		return se.Keys[0]
	}
	return ""
}

func (im *Importer) series(name string) *facts.Series {
	if i := im.seriesIndex(name); i >= 0 {
		return &im.schema.Series[i]
	}
	return nil
}

func (im *Importer) seriesIndex(name string) int {
	for i := range im.schema.Series {
		if im.schema.Series[i].Name == name {
			return i
		}
	}
	return -1
}

func (im *Importer) header(d *Dataset, find func(Names) int) (*header, error) {
	h := &header{d: d, col: map[string]int{}}
	for role, names := range d.Columns {
		if i := find(names); i >= 0 {
			h.col[role] = i
		}
	}
	at := func(role string) int {
		if i, ok := h.col[role]; ok {
			return i
		}
		return -1
	}
	h.partner, h.partnerName, h.tenant, h.tenantName = at("partner"), at("partner_name"), at("tenant"), at("tenant_name")
	h.month, h.attribution, h.duplicate, h.associated = at("month"), at("attribution"), at("duplicate"), at("associated")
	if d.people() {
		return h, nil
	}
	h.series = im.seriesIndex(d.Series)
	if h.series < 0 {
		return nil, fmt.Errorf("mapping %s: datasets.%s.series: the bundle has no series %q", im.m.source, d.name, d.Series)
	}
	h.se = &im.schema.Series[h.series]
	if h.series > math.MaxInt8 {
		return nil, fmt.Errorf("mapping %s: datasets.%s: the bundle has more than %d series", im.m.source, d.name, math.MaxInt8)
	}
	if len(h.se.Measures) > maxMeasures {
		return nil, fmt.Errorf("mapping %s: datasets.%s: series %s has more than %d measures", im.m.source, d.name, d.Series, maxMeasures)
	}
	for _, k := range h.se.Keys {
		i := -1
		if n, ok := d.Keys[k]; ok {
			i = find(n)
		}
		h.keys = append(h.keys, i)
	}
	for _, ms := range h.se.Measures {
		i := -1
		if n, ok := d.Measures[ms.Name]; ok {
			i = find(n)
		}
		h.meas = append(h.meas, i)
	}
	return h, nil
}

func sortedNames(m map[string]Names) []string { return slices.Sorted(mapKeys(m)) }

// field is a row's value of a role ("" when the file has no such column).
func (h *header) field(rec []string, role string) string {
	if i, ok := h.col[role]; ok {
		return at(rec, i)
	}
	return ""
}

// at is a row's value of column i ("" for -1 or a short row).
func at(rec []string, i int) string {
	if i < 0 || i >= len(rec) {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// row adds one row of an export. An error is the spill's (a temporary
// file that cannot be written); a bad row is a problem of its partner.
func (im *Importer) row(h *header, file string, line int, fields []string) error {
	if h.d.people() {
		im.personRow(h, file, line, fields)
		return nil
	}
	pid := at(fields, h.partner)
	if pid == "" {
		im.fileErrs = append(im.fileErrs, facts.Problem{File: file, Line: line, Field: h.d.Columns["partner"][0], Message: "no partner id"})
		return nil
	}
	p := im.partnerOf(pid)
	if p.name == "" {
		p.name = strings.Clone(at(fields, h.partnerName))
	}
	bad := func(role, format string, args ...any) error {
		col := role
		if names := h.d.Columns[role]; len(names) > 0 {
			col = names[0]
		}
		p.problems = append(p.problems, facts.Problem{File: file, Line: line, Field: col, Message: fmt.Sprintf(format, args...)})
		return nil
	}
	if dup := at(fields, h.duplicate); dup != "" && slices.ContainsFunc(im.m.Duplicates, func(v string) bool { return strings.EqualFold(v, dup) }) {
		im.dups++
		return nil
	}
	tid := at(fields, h.tenant)
	if tid == "" {
		return bad("tenant", "no tenant id")
	}
	month, err := parseMonth(at(fields, h.month))
	if err != nil {
		return bad("month", "%v", err)
	}
	pcType := at(fields, h.attribution)
	tm, known := im.m.typeOf(pcType)
	switch {
	case !known:
		return bad("attribution", "attribution type %q is not in the mapping's attribution_types (%s)", pcType, strings.Join(slices.Sorted(mapKeys(im.m.Types)), ", "))
	case tm == nil:
		im.dropped[pcType]++
		return nil
	}
	if month > im.latest {
		im.latest = month
	}
	r := row{partner: p.id, tenant: tid, name: at(fields, h.tenantName), atype: tm.Type, tier: tm.Tier, series: -1,
		rec: rec{month: month, sum: h.d.Combine == "sum", file: h.file, line: int32(line)}}
	if s := at(fields, h.associated); s != "" {
		d, err := parseDate(s)
		if err != nil {
			return bad("associated", "%v", err)
		}
		r.claim = d
	}
	// The row's entry and measures; a row without measures is its
	// association only (a claim without a workload), but measures need an
	// entry to belong to. Types are numbered as rows of entries meet them:
	// the order in which rows of a month are compared (combine).
	first := at(fields, h.keys[0])
	if first != "" {
		r.typ = im.typeIndex(pcType)
	}
	for i, ci := range h.meas {
		v := at(fields, ci)
		if v == "" {
			continue
		}
		x, err := parseValue(v, h.se.Measures[i].Kind)
		if err != nil {
			p.problems = append(p.problems, facts.Problem{File: file, Line: line, Field: h.d.Measures[h.se.Measures[i].Name][0], Message: err.Error()})
			return nil
		}
		r.vals[i], r.has = x, r.has|1<<i
	}
	if first == "" && r.has != 0 {
		key := im.firstKey(h.d)
		col := key
		if names := h.d.Keys[key]; len(names) > 0 {
			col = names[0]
		}
		p.problems = append(p.problems, facts.Problem{File: file, Line: line, Field: col, Message: fmt.Sprintf("empty, but the row has measures: they would belong to no %s", key)})
		return nil
	} else if first != "" {
		if r.has != 0 {
			im.key = append(im.key[:0], mapName(im.m.nameMap(h.d), first)...)
			for _, ci := range h.keys[1:] {
				im.key = append(im.key, 0)
				im.key = append(im.key, at(fields, ci)...)
			}
			r.series, r.key = int8(h.series), im.rows.strBytes(im.key)
		}
	}
	return im.rows.add(r)
}

// shortRow is a row with fewer fields than the header (a cut or ragged
// line): a problem of its partner when the row names one, else of the file.
func (im *Importer) shortRow(h *header, file string, line int, fields []string) {
	pr := facts.Problem{File: file, Line: line, Message: fmt.Sprintf("the row has %d fields, the header %d", len(fields), h.width)}
	if pid := at(fields, h.partner); pid != "" && !h.d.people() {
		p := im.partnerOf(pid)
		p.problems = append(p.problems, pr)
		return
	}
	im.fileErrs = append(im.fileErrs, pr)
}

// partnerOf is the partner of an id, made when first met.
func (im *Importer) partnerOf(pid string) *partner {
	p := im.partners[pid]
	if p == nil {
		p = &partner{id: strings.Clone(pid)}
		im.partners[p.id] = p
	}
	return p
}

// parseValue reads a measure as written: a count whole and not negative;
// an amount in dollars as millionths of a dollar (Decision: an export's
// amount with more decimals is rounded there, half away from zero; sums
// are rounded to the cent once, in the fact file).
func parseValue(s string, kind facts.ValueKind) (int64, error) {
	if kind != facts.Cents {
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%q is not a whole number", s)
		case kind == facts.Count && n < 0:
			return 0, fmt.Errorf("%q is negative", s)
		case n > 1e12 || n < -1e12:
			return 0, fmt.Errorf("%q is too large", s)
		}
		return n, nil
	}
	v, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/eEpP_") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	micro := new(big.Rat).Mul(v, big.NewRat(1_000_000, 1))
	n, err := roundRat(micro)
	if err != nil || n > 1e18 || n < -1e18 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n, nil
}

// roundRat rounds to an integer, half away from zero.
func roundRat(v *big.Rat) (int64, error) {
	n, d := new(big.Int).Set(v.Num()), v.Denom()
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("too large")
	}
	return q.Int64(), nil
}

// typeIndex numbers Partner Center's attribution types as they are met.
func (im *Importer) typeIndex(pc string) uint16 {
	if i, ok := im.typeIDs[pc]; ok {
		return i
	}
	if im.typeIDs == nil {
		im.typeIDs = map[string]uint16{}
	}
	i := uint16(len(im.typeIDs))
	im.typeIDs[strings.Clone(pc)] = i
	return i
}

// where is a row's place, for messages.
func (im *Importer) where(r *rec) string { return fmt.Sprintf("%s:%d", im.files[r.file], r.line) }

func (im *Importer) personRow(h *header, file string, line int, rec []string) {
	if !slices.Contains(im.peopleFiles, file) {
		im.peopleFiles = append(im.peopleFiles, file)
	}
	id := h.field(rec, "person")
	name := h.field(rec, "certification")
	if id == "" || name == "" {
		im.fileErrs = append(im.fileErrs, facts.Problem{File: file, Line: line, Field: h.d.Columns["person"][0], Message: "a row without a person or a certification"})
		return
	}
	if st := h.field(rec, "status"); st != "" && !slices.ContainsFunc(h.d.ActiveStatus, func(a string) bool { return strings.EqualFold(a, st) }) {
		im.inactive++
		return
	}
	var c cert
	c.name = name
	for role, dst := range map[string]*string{"earned": &c.earned, "expires": &c.expires} {
		s := h.field(rec, role)
		if s == "" {
			continue
		}
		d, err := parseDate(s)
		if err != nil {
			im.fileErrs = append(im.fileErrs, facts.Problem{File: file, Line: line, Field: h.d.Columns[role][0], Message: err.Error()})
			return
		}
		*dst = string(d)
	}
	p := im.people[id]
	if p == nil {
		p = &person{id: id}
		im.people[id] = p
	}
	p.certs = append(p.certs, c)
}

// parseMonth reads YYYY-MM or a date of the month (its first day, maybe
// with a time).
func parseMonth(s string) (facts.Month, error) {
	if len(s) > 7 {
		d, err := parseDate(s)
		if err != nil && !(len(s) >= 10 && s[4] == '-' && s[7] == '-') {
			return 0, fmt.Errorf("%q is not a month: want YYYY-MM, or a date YYYY-MM-DD in it", s)
		}
		if err != nil {
			return 0, err // a date, but not one of the calendar
		}
		return d.Month(), nil
	}
	return facts.ParseMonth(s)
}

// parseDate reads YYYY-MM-DD, maybe with a time (2026-03-15T00:00:00 or
// "2026-03-15 00:00:00").
func parseDate(s string) (facts.Date, error) {
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	return facts.ParseDate(s)
}
