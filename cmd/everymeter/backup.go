package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"everymeter/pgctl"
)

// A backup is a gzip'd tar holding everymeter.dump (pg_dump's custom format) and photos/… (the photo
// files under the data directory).
const dumpName = "everymeter.dump"

func cmdBackup(ctx context.Context, app *cli, args []string) error {
	flags := flag.NewFlagSet("backup", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(flags)
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: everymeter backup FILE.tar.gz [--data DIR]"}
	}
	db, err := openDB(ctx, app, dbf.data, false, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	bin, err := pgctl.FindBinDir()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "everymeter-backup")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dump := filepath.Join(tmp, dumpName)
	if out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_dump"), "--format=custom", "--no-owner", "--file", dump, "--dbname", db.URL).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_dump: %v\n%s", err, out)
	}
	// Write to a temporary name and rename, so a crash never leaves a half-written backup under FILE.
	part := pos[0] + ".part"
	if err := writeArchive(part, dump, filepath.Join(dbf.data, "photos")); err != nil {
		os.Remove(part)
		return err
	}
	if err := os.Rename(part, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(app.stdout, "backup written to %s\n", pos[0])
	return nil
}

func writeArchive(path, dump, photos string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	add := func(src, name string) error {
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(st, "")
		if err != nil {
			return err
		}
		hdr.Name = name
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(tw, in)
		return err
	}
	if err := add(dump, dumpName); err != nil {
		return err
	}
	err = filepath.WalkDir(photos, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(photos, p)
		return add(p, "photos/"+filepath.ToSlash(rel))
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return f.Sync()
}

func cmdRestore(ctx context.Context, app *cli, args []string) error {
	flags := flag.NewFlagSet("restore", flag.ContinueOnError)
	var dbf dbFlags
	dbf.register(flags)
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"usage: everymeter restore FILE.tar.gz [--data DIR]   (replaces everything in the database)"}
	}
	bin, err := pgctl.FindBinDir()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "everymeter-restore")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := readArchive(pos[0], tmp); err != nil {
		return fmt.Errorf("reading %s: %w", pos[0], err)
	}
	dump := filepath.Join(tmp, dumpName)
	// Check the dump is readable before anything is dropped.
	if out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_restore"), "--list", dump).CombinedOutput(); err != nil {
		return fmt.Errorf("%s holds no valid database dump: %v\n%s", pos[0], err, out)
	}
	db, err := openDB(ctx, app, dbf.data, false, 2)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Store.Pool.Close() // pg_restore works on its own connection; ours would hold locks
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		return err
	}
	// A new public schema lacks the USAGE that PostgreSQL gives the initial one; the application role
	// (store.AppRole) needs it, and the dump's own grants follow.
	_, err = conn.Exec(ctx, "DROP SCHEMA public CASCADE; CREATE SCHEMA public; GRANT USAGE ON SCHEMA public TO PUBLIC")
	conn.Close(ctx)
	if err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, filepath.Join(bin, "pg_restore"), "--no-owner", "--single-transaction", "--exit-on-error", "--dbname", db.URL, dump).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_restore: %v\n%s", err, out)
	}
	photos := filepath.Join(tmp, "photos")
	if _, err := os.Stat(photos); err == nil {
		dst := filepath.Join(dbf.data, "photos")
		err = filepath.WalkDir(photos, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(photos, p)
			target := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(app.stdout, "restored %s\n", pos[0])
	return nil
}

func readArchive(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(hdr.Name)
		if hdr.Typeflag != tar.TypeReg || strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			continue // only plain files inside the archive's root
		}
		target := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, io.LimitReader(tr, 8<<30)); err != nil {
			out.Close()
			return err
		}
		out.Close()
	}
}
