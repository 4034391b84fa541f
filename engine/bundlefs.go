package engine

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// MaxPolicyFileSize is the largest file a bundle folder may hold: 16 MiB.
// The shipped bundle's largest file is a few kilobytes; a policy file of
// megabytes is a mistake or an attack (a link to /dev/zero, a generated
// file), and refusing it early keeps loading within memory.
const MaxPolicyFileSize = 16 << 20

// Why a bundle file is refused. They are the Err of the *fs.PathError a
// BundleDir returns, and the message of the PolicyError loading reports.
var (
	// ErrNotRegularFile: a named pipe would block the reader forever, a
	// device (/dev/zero) never ends, a socket is no file at all.
	ErrNotRegularFile = errors.New("not a regular file")
	// ErrLinkLeavesBundle: a link may point to another file of the bundle
	// folder, never out of it (/etc/passwd, /proc/self/environ).
	ErrLinkLeavesBundle = errors.New("is a link leaving the bundle folder")
	// ErrFileTooLarge: larger than MaxPolicyFileSize.
	ErrFileTooLarge = fmt.Errorf("larger than %d MiB, the limit for a policy file", MaxPolicyFileSize>>20)
)

// BundleDir is a bundle folder opened for reading, as an fs.FS: every read
// of a bundle folder (loading it, evaluate test) goes through one, so that
// a file of a bundle from a shared folder cannot make the engine read
// outside it, block or run out of memory. It
//
//   - stays inside the folder: names are resolved with os.Root, so no path
//     and no symbolic link leaves it (a link to another file of the folder is
//     followed);
//   - opens only regular files: the type is checked before opening (opening
//     a named pipe blocks until a writer comes), and the file is opened
//     without blocking and checked again, so swapping it in between is no
//     way around;
//   - reads at most MaxPolicyFileSize bytes of a file, whatever its size
//     says (files of /proc say 0).
//
// Refusals are *fs.PathError whose Err is ErrNotRegularFile,
// ErrLinkLeavesBundle or ErrFileTooLarge (wrapped with the kind of file).
// A BundleDir is safe for concurrent use; Close releases the folder.
type BundleDir struct {
	root *os.Root
	// dir is the folder opened, to tell a link leaving it from a missing file.
	dir string
	// prefix is set when dir is one designation's folder: the FS then shows
	// it as the only folder, named prefix, as a bundle folder holding just
	// that designation would.
	prefix string
	// source is the folder file names are relative to, for messages.
	source string
}

// OpenBundleDir opens dir for reading as a bundle: a bundle folder whose
// sub-folders are designations, or one designation's folder (one with a
// rules file), which is then seen as the only designation folder of a
// bundle, under its own name.
func OpenBundleDir(dir string) (*BundleDir, error) {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("load policies %s: no such folder", dir)
	case err != nil:
		return nil, fmt.Errorf("load policies %s: %v", dir, errors.Unwrap(err))
	case !st.IsDir():
		return nil, fmt.Errorf("load policies %s: not a folder", dir)
	}
	clean := filepath.Clean(dir)
	b := &BundleDir{dir: clean, source: dir}
	if isDesignationDir(clean) {
		b.prefix, b.source = filepath.Base(clean), filepath.Dir(clean)
		if b.prefix == "." || b.prefix == string(filepath.Separator) {
			// "." has no name to show it under: use the folder's own.
			abs, err := filepath.Abs(clean)
			if err != nil {
				return nil, fmt.Errorf("load policies %s: %v", dir, err)
			}
			b.prefix, b.source = filepath.Base(abs), filepath.Dir(abs)
		}
	}
	if b.root, err = os.OpenRoot(clean); err != nil {
		return nil, fmt.Errorf("load policies %s: %v", dir, err)
	}
	return b, nil
}

// isDesignationDir tells one designation's folder (it has a rules file)
// from a bundle folder.
func isDesignationDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, RulesFile))
	return err == nil
}

// InBundleOfSeveral reports whether dir is one designation's folder whose
// parent is a bundle of several designations, and names that parent: read
// alone, such a folder checks facts against what its designation alone
// accepts, which a user pointing at it may not mean.
func InBundleOfSeveral(dir string) (parent string, ok bool) {
	dir = filepath.Clean(dir)
	if !isDesignationDir(dir) {
		return "", false
	}
	parent = filepath.Join(dir, "..") // ".." for "."
	names, err := DesignationFolders(os.DirFS(parent))
	return parent, err == nil && len(names) >= 2
}

// Source is the folder the FS's names are relative to: the bundle folder,
// or the parent of a designation's folder.
func (b *BundleDir) Source() string { return b.source }

// Close releases the folder.
func (b *BundleDir) Close() error { return b.root.Close() }

// rel maps a name of the FS to a name inside the folder; ok false for a
// name outside the designation folder of a BundleDir that has a prefix
// (dot is then the synthetic bundle folder holding it).
func (b *BundleDir) rel(name string) (string, bool) {
	if b.prefix == "" {
		return name, true
	}
	if name == b.prefix {
		return ".", true
	}
	if rest, ok := strings.CutPrefix(name, b.prefix+"/"); ok {
		return rest, true
	}
	return "", false
}

// stat stats name inside the folder, following links that stay inside it.
// It never opens the file.
func (b *BundleDir) stat(op, name string) (fs.FileInfo, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	rel, ok := b.rel(name)
	if name == "." && b.prefix != "" {
		// The synthetic bundle folder: the designation folder's own details.
		rel, ok = ".", true
	}
	if !ok {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	info, err := b.root.Stat(rel)
	if err != nil {
		// os.Root says "path escapes from parent" for a link leaving the
		// folder, in an unexported error: a name the root cannot resolve
		// but the file system can is such a link (or a folder that is one).
		if _, oerr := os.Stat(filepath.Join(b.dir, filepath.FromSlash(rel))); oerr == nil {
			err = ErrLinkLeavesBundle
		} else if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
		}
		return nil, "", &fs.PathError{Op: op, Path: name, Err: err}
	}
	if name == b.prefix {
		info = renamed{info, b.prefix}
	}
	return info, rel, nil
}

// fileRefusal says why a file (not a folder) of this size and mode cannot
// be read, or nil.
func fileRefusal(info fs.FileInfo) error {
	mode := info.Mode()
	if !mode.IsRegular() {
		return fmt.Errorf("%w (%s)", ErrNotRegularFile, kindOf(mode))
	}
	if info.Size() > MaxPolicyFileSize {
		return fmt.Errorf("%w (%d bytes)", ErrFileTooLarge, info.Size())
	}
	return nil
}

func kindOf(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "a " + mode.Type().String()
}

// Stat implements fs.StatFS. It refuses a link leaving the folder, and
// reports what other files are (a named pipe is stat'ed, never opened).
func (b *BundleDir) Stat(name string) (fs.FileInfo, error) {
	info, _, err := b.stat("stat", name)
	return info, err
}

// Open implements fs.FS: folders, and regular files of at most
// MaxPolicyFileSize bytes.
func (b *BundleDir) Open(name string) (fs.File, error) {
	info, rel, err := b.stat("open", name)
	if err != nil {
		return nil, err
	}
	if name == "." && b.prefix != "" {
		return &bundleRoot{info: info, entry: renamed{info, b.prefix}}, nil
	}
	if !info.IsDir() {
		if err := fileRefusal(info); err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
	}
	// Without blocking: should the file have become a named pipe since it
	// was stat'ed, opening it returns at once, and the check below refuses it.
	f, err := b.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if pe, ok := err.(*fs.PathError); ok {
			err = pe.Err
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() != info.IsDir() {
		err = errors.New("changed while it was opened")
	} else if err == nil && !st.IsDir() {
		err = fileRefusal(st)
	}
	if err != nil {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	if st.IsDir() {
		return f, nil
	}
	return &bundleFile{f: f, name: name, left: MaxPolicyFileSize}, nil
}

// ReadFile implements fs.ReadFileFS.
func (b *BundleDir) ReadFile(name string) ([]byte, error) {
	f, err := b.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: errors.New("is a folder")}
	}
	return io.ReadAll(f)
}

// ReadDir implements fs.ReadDirFS: the entries in name order, their types
// as the folder lists them (a link is a link); nothing is opened but the
// folder.
func (b *BundleDir) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := b.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errors.New("not a folder")}
	}
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// bundleFile is a regular file of the bundle, read to at most
// MaxPolicyFileSize bytes: a file can grow after it is stat'ed, and some
// (in /proc) say they are empty.
// Only Read, Stat and Close: embedding *os.File would bring its WriteTo,
// which io.Copy prefers and which reads past the limit.
type bundleFile struct {
	f    *os.File
	name string
	left int64
}

func (f *bundleFile) Stat() (fs.FileInfo, error) { return f.f.Stat() }
func (f *bundleFile) Close() error               { return f.f.Close() }

func (f *bundleFile) Read(p []byte) (int, error) {
	if f.left <= 0 {
		// One byte more tells a file of exactly the limit from a longer one.
		var one [1]byte
		if n, _ := f.f.Read(one[:]); n > 0 {
			return 0, &fs.PathError{Op: "read", Path: f.name, Err: ErrFileTooLarge}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.f.Read(p)
	f.left -= int64(n)
	return n, err
}

// bundleRoot is the dot of a BundleDir opened on one designation's folder:
// a folder holding only that folder.
type bundleRoot struct {
	info, entry fs.FileInfo
	done        bool
}

func (r *bundleRoot) Stat() (fs.FileInfo, error) { return r.info, nil }
func (r *bundleRoot) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: ".", Err: errors.New("is a folder")}
}
func (r *bundleRoot) Close() error { return nil }
func (r *bundleRoot) ReadDir(n int) ([]fs.DirEntry, error) {
	if r.done {
		if n > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	r.done = true
	return []fs.DirEntry{fs.FileInfoToDirEntry(r.entry)}, nil
}

// renamed is a FileInfo under another name.
type renamed struct {
	fs.FileInfo
	name string
}

func (r renamed) Name() string { return r.name }

// checkFiles checks every file under the designation folder dir of fsys
// before any is read: each that is not a regular file of at most
// MaxPolicyFileSize bytes inside the bundle folder is a PolicyError naming
// it and saying why. Walking lists folders and stats files; it opens
// nothing but folders, so a named pipe cannot block it. Any fs.FS is
// checked so (a BundleDir refuses the same files again when they are
// opened, in case they change).
func checkFiles(fsys fs.FS, dir string) PolicyErrors {
	var errs PolicyErrors
	_ = fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, PolicyError{File: p, Message: refusalMessage(err)})
			if d != nil && d.IsDir() && p != dir {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := fs.Stat(fsys, p)
		switch {
		case err != nil:
			errs = append(errs, PolicyError{File: p, Message: refusalMessage(err)})
		case info.IsDir():
			errs = append(errs, PolicyError{File: p, Message: "is a link to a folder: a link in a bundle may name a file, not a folder"})
		default:
			if err := fileRefusal(info); err != nil {
				errs = append(errs, PolicyError{File: p, Message: err.Error()})
			}
		}
		return nil
	})
	return errs
}

// refusalMessage is the reason of a path error, without the path (the
// PolicyError names the file).
func refusalMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
