package engine

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileBundle copies the shipped modern_work designation into a new
// bundle folder and lays testdata/hostile/<overlay> over it (files named as
// in the bundle, e.g. modern_work/designation.rego), so that each hostile
// bundle keeps only what makes it hostile. overlay "" is the plain copy.
func hostileBundle(t *testing.T, overlay string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "modern_work"), os.DirFS("../policies/modern_work")); err != nil {
		t.Fatal(err)
	}
	if overlay == "" {
		return dir
	}
	src := filepath.Join("testdata", "hostile", overlay)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadWithin loads dir, failing the test rather than hanging when the load
// does not return within d (a FIFO blocked the loader for ever).
func loadWithin(t *testing.T, ctx context.Context, dir string, d time.Duration) (*Bundle, error) {
	t.Helper()
	type result struct {
		b   *Bundle
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := LoadDir(ctx, dir)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-time.After(d):
		t.Fatalf("LoadDir(%s) did not return within %s", dir, d)
		return nil, nil
	}
}

// TestLoadDirRefusesHostileFiles: each file of a bundle that is not a
// regular file inside the folder, or is too large, is refused by name and
// with the reason, before it is read: nothing of it is echoed, nothing
// blocks, nothing is read to the end of a device.
func TestLoadDirRefusesHostileFiles(t *testing.T) {
	t.Parallel()
	environ, _ := os.ReadFile("/proc/self/environ")
	cases := []struct {
		name string
		// make turns the bundle in dir hostile.
		make func(t *testing.T, dir string)
		file string // the file named, relative to the bundle
		why  string
	}{
		{"fifo", func(t *testing.T, dir string) { mkfifo(t, filepath.Join(dir, "modern_work/x.rego")) },
			"modern_work/x.rego", "not a regular file (a named pipe)"},
		{"fifo params", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "modern_work/params.yaml"))
			mkfifo(t, filepath.Join(dir, "modern_work/params.yaml"))
		}, "modern_work/params.yaml", "not a regular file (a named pipe)"},
		{"fifo in a sub-folder", func(t *testing.T, dir string) {
			os.Mkdir(filepath.Join(dir, "modern_work/notes"), 0o755)
			mkfifo(t, filepath.Join(dir, "modern_work/notes/README"))
		}, "modern_work/notes/README", "not a regular file (a named pipe)"},
		{"dev zero", func(t *testing.T, dir string) { symlink(t, "/dev/zero", filepath.Join(dir, "modern_work/y.rego")) },
			"modern_work/y.rego", "is a link leaving the bundle folder"},
		{"etc passwd", func(t *testing.T, dir string) { symlink(t, "/etc/passwd", filepath.Join(dir, "modern_work/z.rego")) },
			"modern_work/z.rego", "is a link leaving the bundle folder"},
		{"proc environ", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "modern_work/params.yaml"))
			symlink(t, "/proc/self/environ", filepath.Join(dir, "modern_work/params.yaml"))
		}, "modern_work/params.yaml", "is a link leaving the bundle folder"},
		{"relative link out", func(t *testing.T, dir string) {
			outside := filepath.Join(filepath.Dir(dir), filepath.Base(dir)+"-secret.rego")
			if err := os.WriteFile(outside, []byte("package secret\nx := 1 +\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Remove(outside) })
			symlink(t, "../../"+filepath.Base(outside), filepath.Join(dir, "modern_work/s.rego"))
		}, "modern_work/s.rego", "is a link leaving the bundle folder"},
		{"folder link out", func(t *testing.T, dir string) { symlink(t, "/etc", filepath.Join(dir, "modern_work/etc")) },
			"modern_work/etc", "is a link leaving the bundle folder"},
		{"too large", func(t *testing.T, dir string) {
			// Sparse: no disk is used for the 16 MiB.
			if err := os.Truncate(filepath.Join(dir, "modern_work/rules.yaml"), MaxPolicyFileSize+1); err != nil {
				t.Fatal(err)
			}
		}, "modern_work/rules.yaml", "larger than 16 MiB"},
		{"socket", func(t *testing.T, dir string) {
			l, err := net.Listen("unix", filepath.Join(dir, "modern_work/s.rego"))
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "modern_work/s.rego", "not a regular file (a socket)"},
		{"device", func(t *testing.T, dir string) {
			mknodNull(t, filepath.Join(dir, "modern_work/d.rego"))
		}, "modern_work/d.rego", "not a regular file (a character device)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := hostileBundle(t, "")
			c.make(t, dir)
			_, err := loadWithin(t, context.Background(), dir, 5*time.Second)
			var pe PolicyErrors
			if !errors.As(err, &pe) {
				t.Fatalf("want PolicyErrors, got %v", err)
			}
			want := filepath.Join(dir, c.file)
			found := false
			for _, e := range pe {
				found = found || e.File == want && strings.Contains(e.Message, c.why)
			}
			if !found {
				t.Errorf("no error for %s saying %q:\n%v", want, c.why, err)
			}
			if msg := err.Error(); strings.Contains(msg, "root:") || len(environ) > 20 && strings.Contains(msg, string(environ[:20])) || len(msg) > 2000 {
				t.Errorf("the error echoes what it read:\n%.3000s", msg)
			}
		})
	}
}

// TestLoadDirFollowsLinksInside: a link to another file of the bundle
// folder is read as that file.
func TestLoadDirFollowsLinksInside(t *testing.T) {
	t.Parallel()
	dir := hostileBundle(t, "")
	if err := os.Rename(filepath.Join(dir, "modern_work/designation.rego"), filepath.Join(dir, "shared.rego")); err != nil {
		t.Fatal(err)
	}
	symlink(t, "../shared.rego", filepath.Join(dir, "modern_work/designation.rego"))
	if _, err := loadWithin(t, context.Background(), dir, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestBundleDir: the FS itself, as OPA's loader and the engine use it.
func TestBundleDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("d/rules.yaml", "x: 1\n")
	write("d/a.rego", "package d\n")
	mkfifo(t, filepath.Join(dir, "d/pipe"))
	symlink(t, "a.rego", filepath.Join(dir, "d/b.rego"))
	symlink(t, "/etc/hostname", filepath.Join(dir, "d/out"))

	bd, err := OpenBundleDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer bd.Close()
	// Walking lists the FIFO without opening it.
	var walked []string
	if err := fs.WalkDir(bd, ".", func(p string, d fs.DirEntry, err error) error {
		walked = append(walked, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(walked, " "); got != ". d d/a.rego d/b.rego d/out d/pipe d/rules.yaml" {
		t.Errorf("walked %s", got)
	}
	if b, err := fs.ReadFile(bd, "d/b.rego"); err != nil || string(b) != "package d\n" {
		t.Errorf("link inside: %q, %v", b, err)
	}
	for name, want := range map[string]error{"d/pipe": ErrNotRegularFile, "d/out": ErrLinkLeavesBundle, "../etc/passwd": fs.ErrInvalid, "d/missing": fs.ErrNotExist} {
		if _, err := fs.ReadFile(bd, name); !errors.Is(err, want) {
			t.Errorf("ReadFile(%s): %v, want %v", name, err, want)
		}
	}
	if st, err := fs.Stat(bd, "d/pipe"); err != nil || st.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("Stat of the FIFO: %v, %v", st, err)
	}

	// A file that grows past the limit once opened is cut at the limit.
	big := filepath.Join(dir, "d/big.yaml")
	write("d/big.yaml", "")
	if err := os.Truncate(big, MaxPolicyFileSize); err != nil {
		t.Fatal(err)
	}
	f, err := bd.Open("d/big.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, MaxPolicyFileSize+10); err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, f); !errors.Is(err, ErrFileTooLarge) || n != MaxPolicyFileSize {
		t.Errorf("read %d bytes, %v; want %d bytes then %v", n, err, MaxPolicyFileSize, ErrFileTooLarge)
	}
	f.Close()

	// One designation's folder is the only folder of its bundle.
	one, err := OpenBundleDir(filepath.Join(dir, "d"))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	if names, err := DesignationFolders(one); err != nil || len(names) != 1 || names[0] != "d" {
		t.Errorf("designation folder: %v, %v", names, err)
	}
	if one.Source() != dir {
		t.Errorf("source %s, want %s", one.Source(), dir)
	}
	if b, err := fs.ReadFile(one, "d/a.rego"); err != nil || string(b) != "package d\n" {
		t.Errorf("designation folder read: %q, %v", b, err)
	}
}

func symlink(t *testing.T, target, p string) {
	t.Helper()
	if err := os.Symlink(target, p); err != nil {
		t.Fatal(err)
	}
}
