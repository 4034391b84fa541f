package pcenter

import (
	"bytes"
	"encoding/csv"
	"strconv"

	"evaluate/facts"
)

// Export is one export file: its dataset's id, its file name and its CSV
// text.
type Export struct {
	Dataset string
	File    string
	Data    []byte
}

// Exports writes the Partner Center exports that hold a fact file, one per
// dataset of the mapping that has rows: a row per entry, month and
// attribution type in effect on the month's last day (as the exports list a
// tenant once per type), a CPOR claim per CPOR association (its
// DateAssociated is the association's from), and a row per certification.
// What the exports cannot say is lost: associations of months without
// rows, and names of people. Importing the exports gives the fact file
// back in the form import writes.
func Exports(f *facts.File, schema *facts.Schema, m *Mapping) ([]Export, error) {
	var out []Export
	for _, d := range m.datasets() {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		n, err := exportDataset(w, d, f, schema, m)
		if err != nil {
			return nil, err
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return nil, err
		}
		if n > 0 {
			name := d.File
			if name == "" {
				name = d.name + ".csv"
			}
			out = append(out, Export{Dataset: d.name, File: name, Data: buf.Bytes()})
		}
	}
	return out, nil
}

// column is the name a dataset's role is written as.
func column(n Names) string {
	if len(n) == 0 {
		return ""
	}
	return n[0]
}

func exportDataset(w *csv.Writer, d *Dataset, f *facts.File, schema *facts.Schema, m *Mapping) (int, error) {
	rows := 0
	if d.people() {
		w.Write([]string{column(d.Columns["person"]), column(d.Columns["certification"]), column(d.Columns["earned"]), column(d.Columns["expires"]), column(d.Columns["status"])})
		active := ""
		if len(d.ActiveStatus) > 0 {
			active = d.ActiveStatus[0]
		}
		for _, p := range f.People {
			for _, c := range p.Certifications {
				w.Write([]string{p.ID, c.Name, string(c.Earned), string(c.Expires), active})
				rows++
			}
		}
		return rows, nil
	}
	si := -1
	for i := range schema.Series {
		if schema.Series[i].Name == d.Series {
			si = i
		}
	}
	if si < 0 {
		return 0, nil
	}
	se := &schema.Series[si]
	// The columns of the roles the dataset has, then keys and measures.
	var roleCols []string
	for _, r := range []string{"partner", "partner_name", "tenant", "tenant_name", "month", "attribution", "associated"} {
		if len(d.Columns[r]) > 0 {
			roleCols = append(roleCols, r)
		}
	}
	claims := d.ClaimType != ""
	var head []string
	for _, r := range roleCols {
		head = append(head, column(d.Columns[r]))
	}
	for _, k := range se.Keys {
		head = append(head, column(d.Keys[k]))
	}
	for _, ms := range se.Measures {
		head = append(head, column(d.Measures[ms.Name]))
	}
	w.Write(head)
	tierAt := -1
	for i, a := range schema.Attrs {
		if a.Name == "tier" {
			tierAt = i
		}
	}
	label := func(a *facts.Association) string {
		var tier int64
		if tierAt >= 0 && a.Attrs[tierAt] != "" {
			tier, _ = strconv.ParseInt(a.Attrs[tierAt], 10, 64)
		}
		return m.label(a.Type, tier)
	}
	for _, c := range f.Customers {
		// The role columns of a row of month m and association a.
		roles := func(m facts.Month, a *facts.Association) []string {
			vals := map[string]string{"partner": f.Partner.ID, "partner_name": f.Partner.Name, "tenant": c.Tenant,
				"tenant_name": c.Name, "month": m.String(), "attribution": label(a), "associated": string(a.From)}
			var out []string
			for _, r := range roleCols {
				out = append(out, vals[r])
			}
			return out
		}
		if claims {
			// A claim per association of the claimed type, in its first
			// month.
			for i := range c.Associations {
				a := &c.Associations[i]
				if a.Type != d.ClaimType {
					continue
				}
				rec := roles(a.From.Month(), a)
				for range se.Keys {
					rec = append(rec, "")
				}
				for range se.Measures {
					rec = append(rec, "")
				}
				w.Write(rec)
				rows++
			}
			continue
		}
		for _, e := range c.Series[si] {
			for _, r := range e.Rows {
				for i := range c.Associations {
					a := &c.Associations[i]
					if !a.InEffect(r.Month.LastDay()) {
						continue
					}
					rec := roles(r.Month, a)
					for ki, k := range e.Keys {
						if ki == 0 {
							k = reverse(m.nameMap(d), k)
						}
						rec = append(rec, k)
					}
					for mi, ms := range se.Measures {
						if ms.Kind == facts.Cents {
							rec = append(rec, facts.FormatCents(r.Values[mi]))
						} else {
							rec = append(rec, strconv.FormatInt(r.Values[mi], 10))
						}
					}
					w.Write(rec)
					rows++
				}
			}
		}
	}
	return rows, nil
}
