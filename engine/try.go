package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sync"

	"evaluate/facts"
	"evaluate/gen"
)

// trySeeds are the generated partners Try scores, of every kind of fact
// the bundle reads, so that most rules meet data: one, since every check
// pays for it (a second found nothing more on the shipped rules).
var trySeeds = []uint64{1}

// tryTenants are the tenants of each.
const tryTenants = 12

// Try scores generated partners (evaluate gen's) with each designation,
// explanations and plans included, and returns what fails as problems of
// the bundle, at the expression that failed. Type checks cannot see a
// misspelt key of a params map (seats.minn where params.tracks[t].paid_seats
// has min): it fails only on data, for every partner.
//
// A designation whose folder is byte for byte one of tried (id → content
// hash, see FolderHashes) is not scored again: the embedded bundle's are
// scored by its tests, and a program manager's copy changes one or two.
func (b *Bundle) Try(ctx context.Context, tried map[string]string) error {
	month, _ := facts.ParseMonth("2026-10")
	found := make([]*PolicyError, len(b.Designations))
	var wg sync.WaitGroup
	for i, d := range b.Designations {
		if h, ok := tried[d.ID]; ok && h == d.Hash {
			continue
		}
		one, err := b.Select([]string{d.ID})
		if err != nil {
			return err
		}
		wg.Go(func() {
			if pe, ok := one.try(ctx, d, month); ok {
				found[i] = &pe
			}
		})
	}
	wg.Wait()
	var errs PolicyErrors
	for _, pe := range found {
		if pe != nil {
			errs = append(errs, *pe)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// try scores the generated partners with one designation's bundle and
// returns the first failure.
func (b *Bundle) try(ctx context.Context, d *Designation, month facts.Month) (PolicyError, bool) {
	for _, seed := range trySeeds {
		f, w, err := b.generated(fmt.Sprintf("generated partner %d", seed), seed, tryTenants, month)
		if err == nil {
			_, err = b.Evaluate(ctx, f, w, Options{Explain: true, Workers: 1})
		}
		if err != nil {
			return tryError(d, seed, err), true
		}
	}
	return PolicyError{}, false
}

// FolderHashes are the content hashes of fsys's designation folders, by
// designation (as Designation.Hash has them).
func FolderHashes(fsys fs.FS) map[string]string {
	names, err := DesignationFolders(fsys)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, n := range names {
		if h, err := hashDir(fsys, n); err == nil {
			out[n] = h
		}
	}
	return out
}

// generated is evaluate gen's partner of seed and tenants for month, read
// as a fact file of the bundle, with its window.
func (b *Bundle) generated(name string, seed uint64, tenants int, month facts.Month) (*facts.File, *facts.Window, error) {
	var buf bytes.Buffer
	if err := gen.WriteJSON(&buf, gen.Options{Seed: seed, Tenants: tenants, Month: month, Schema: &b.Schema}); err != nil {
		return nil, nil, err
	}
	f, err := facts.Parse(name, 1, buf.Bytes(), &b.Schema)
	if err != nil {
		return nil, nil, err
	}
	w, err := f.Window(facts.WindowOptions{Needs: b.Needs})
	return f, w, err
}

// tryError is err at the expression that failed, when one did.
func tryError(d *Designation, seed uint64, err error) PolicyError {
	return d.locate(d.ID, fmt.Sprintf("fails on generated partner %d of %d tenants: %v", seed, tryTenants, err), err)
}

// noSuchKey is cel-go's error for a map key that is not there.
var noSuchKey = regexp.MustCompile(`no such key: ([A-Za-z_][A-Za-z0-9_]*)`)

// locate is msg, the error err of an evaluation, as a problem at the
// expression that failed (else at file): for a missing key, at the one
// place of rules.yaml that reads it, when there is one (a function's body,
// not the value that calls it).
func (d *Designation) locate(file, msg string, err error) PolicyError {
	var ee *exprError
	if !errors.As(err, &ee) || ee.p.c == nil || ee.p.src == nil {
		return PolicyError{File: displayPath(d.Source, file), Message: msg}
	}
	src := ee.p.c.src
	file, line, col := ee.p.where()
	if m := noSuchKey.FindStringSubmatch(err.Error()); m != nil {
		if at := regexp.MustCompile(`\.`+m[1]+`\b`).FindAllIndex(src, 2); len(at) == 1 {
			line = 1 + bytes.Count(src[:at[0][0]], []byte("\n"))
			col = at[0][0] - bytes.LastIndexByte(src[:at[0][0]], '\n') + 2 // the name, after its dot
		}
	}
	return PolicyError{File: displayPath(d.Source, file), Line: line, Column: col, Message: msg, Snippet: snippet(src, line, col)}
}
