package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"everymeter/domain"
	"everymeter/geo"
	"everymeter/service"
	"everymeter/store"
)

// Limits of a web upload: the file as sent, and what a .zip may unpack to (a zip bomb stops there).
const (
	MaxUploadBytes   = 12 << 20
	maxUnpackedBytes = 256 << 20
	maxZipEntries    = 64
	// DefaultUploadTTL is how long an uploaded file waits for its confirmation.
	DefaultUploadTTL = 30 * time.Minute
)

// sideFiles are the files a zip of a shapefile may hold beside it (anything else in the zip is ignored).
var sideFiles = map[string]bool{".shp": true, ".shx": true, ".dbf": true, ".prj": true, ".cpg": true, ".qpj": true,
	".gpkg": true, ".geojson": true, ".json": true}

// Uploads are zone and unit files uploaded in the web app: read and previewed first, applied on confirmation
// exactly as `everymeter import FILE --kind zone|unit` would (Places), until they expire.
type Uploads struct {
	Svc *service.Service
	TTL time.Duration // 0: DefaultUploadTTL
}

// fileProblem is a 400 about the uploaded file.
func fileProblem(format string, args ...any) error {
	return &domain.ValidationError{Errors: []*geo.FieldError{geo.Fieldf("file", format, args...)}}
}

// UploadImport reads an uploaded zone or unit file — a .zip of a shapefile's parts, a .gpkg or a .geojson — and keeps
// it, with its summary and preview, as a pending import. A file that cannot be read at all is refused (400); one with
// problems in some features is kept with the problems listed (it cannot be confirmed until they are fixed).
func (u *Uploads) UploadImport(ctx context.Context, actor domain.Actor, kind, name string, data []byte, opt domain.ImportOptions) (domain.ImportSummary, error) {
	if kind != "zone" && kind != "unit" {
		return domain.ImportSummary{}, &domain.ValidationError{Errors: []*geo.FieldError{geo.Fieldf("kind", "kind must be zone or unit")}}
	}
	if len(data) > MaxUploadBytes {
		return domain.ImportSummary{}, fileProblem("the file is larger than %d MB", MaxUploadBytes>>20)
	}
	dir, err := os.MkdirTemp("", "everymeter-upload-")
	if err != nil {
		return domain.ImportSummary{}, err
	}
	defer os.RemoveAll(dir)
	path, err := unpack(dir, name, data)
	if err != nil {
		return domain.ImportSummary{}, err
	}
	_, sum, preview, err := ReadPlaces(ctx, u.Svc, path, kind, PlaceOptions{ImportOptions: opt})
	if err != nil {
		return sum, readProblem(err)
	}
	sum.File = filepath.Base(name)
	optJSON, err := json.Marshal(opt)
	if err != nil {
		return sum, err
	}
	sumJSON, err := json.Marshal(sum)
	if err != nil {
		return sum, err
	}
	prevJSON, err := json.Marshal(preview)
	if err != nil {
		return sum, err
	}
	ttl := u.TTL
	if ttl <= 0 {
		ttl = DefaultUploadTTL
	}
	exp := time.Now().Add(ttl)
	p := store.PendingImport{Kind: kind, FileName: filepath.Base(name), Options: optJSON, Data: data, Summary: sumJSON, Preview: prevJSON, ExpiresAt: exp}
	if actor.ID != 0 {
		p.CreatedBy = &actor.ID
	}
	if sum.ID, err = u.Svc.Store.CreatePendingImport(ctx, p); err != nil {
		return sum, err
	}
	sum.ExpiresAt = &exp
	return sum, nil
}

// readProblem turns an error reading a file into a 400 for the client, keeping errors of the server's own (a
// database gone, a cancelled request) as they are.
func readProblem(err error) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrPermission) {
		return err
	}
	if strings.Contains(err.Error(), "is needed to read") {
		return err // ogr2ogr missing: the server's fault, not the file's
	}
	var fe *fileError
	if errors.As(err, &fe) { // in its parts: the client reads it in its language
		args := make([]any, len(fe.msg.Args))
		for i, a := range fe.msg.Args {
			args[i] = a
		}
		return fileProblem(fe.msg.Format, args...)
	}
	return fileProblem("%s", err.Error())
}

// ImportSummary returns a pending import's summary (404 when it is gone or expired).
func (u *Uploads) ImportSummary(ctx context.Context, id int64) (domain.ImportSummary, error) {
	var sum domain.ImportSummary
	p, err := u.Svc.Store.PendingImport(ctx, id, false)
	if err != nil {
		return sum, err
	}
	if err := json.Unmarshal(p.Summary, &sum); err != nil {
		return sum, err
	}
	sum.ID, sum.ExpiresAt = p.ID, &p.ExpiresAt
	return sum, nil
}

// ImportPreview returns a pending import's features as GeoJSON, each with the unit it goes to and its problem.
func (u *Uploads) ImportPreview(ctx context.Context, id int64) ([]byte, error) {
	p, err := u.Svc.Store.PendingImport(ctx, id, false)
	if err != nil {
		return nil, err
	}
	return p.Preview, nil
}

// ConfirmImport applies a pending import as the CLI would, reading the file again (units may have changed since the
// preview): a file with problems is refused with each feature named, and nothing is written.
func (u *Uploads) ConfirmImport(ctx context.Context, actor domain.Actor, id int64) (domain.ImportApplied, error) {
	p, err := u.Svc.Store.PendingImport(ctx, id, true)
	if err != nil {
		return domain.ImportApplied{}, err
	}
	var opt domain.ImportOptions
	if err := json.Unmarshal(p.Options, &opt); err != nil {
		return domain.ImportApplied{}, err
	}
	dir, err := os.MkdirTemp("", "everymeter-upload-")
	if err != nil {
		return domain.ImportApplied{}, err
	}
	defer os.RemoveAll(dir)
	path, err := unpack(dir, p.FileName, p.Data)
	if err != nil {
		return domain.ImportApplied{}, err
	}
	out, sum, err := Places(ctx, u.Svc, path, p.Kind, PlaceOptions{Options: Options{Actor: actor}, ImportOptions: opt})
	if errors.Is(err, ErrRefused) {
		errs := make([]*geo.FieldError, 0, len(sum.Errors))
		for _, pr := range sum.Errors {
			args := make([]any, len(pr.Msg.Args))
			for i, a := range pr.Msg.Args {
				args[i] = a
			}
			errs = append(errs, geo.Fieldf(pr.Feature, pr.Msg.Format, args...))
		}
		return out, &domain.ValidationError{Errors: errs}
	}
	if err != nil {
		return out, readProblem(err)
	}
	out.File = p.FileName
	if err := u.Svc.Store.DeletePendingImport(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return out, err
	}
	return out, nil
}

// unpack writes an uploaded file into dir and returns the path to read: the file itself (.gpkg, .geojson, .json) or
// the one shapefile, GeoPackage or GeoJSON file of a .zip (entries are flattened to their base names; only the
// parts of a shapefile and those files are written).
func unpack(dir, name string, data []byte) (string, error) {
	base := filepath.Base(filepath.Clean("/" + name))
	ext := strings.ToLower(filepath.Ext(base))
	switch ext {
	case ".gpkg", ".geojson", ".json":
		path := filepath.Join(dir, "upload"+ext)
		return path, os.WriteFile(path, data, 0o600)
	case ".zip":
	default:
		return "", fileProblem("send a .zip of the shapefile's parts (.shp, .shx, .dbf, .prj, .cpg), a .gpkg or a .geojson file")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fileProblem("the file is not a readable .zip: %s", err.Error())
	}
	if len(zr.File) > maxZipEntries {
		return "", fileProblem("the .zip holds %d files; at most %d", len(zr.File), maxZipEntries)
	}
	var mains []string
	var total int64
	seen := map[string]bool{}
	for _, f := range zr.File {
		fb := filepath.Base(filepath.Clean("/" + f.Name))
		fe := strings.ToLower(filepath.Ext(fb))
		if f.FileInfo().IsDir() || !sideFiles[fe] || strings.HasPrefix(fb, ".") || strings.HasPrefix(f.Name, "__MACOSX") {
			continue
		}
		if seen[strings.ToLower(fb)] {
			return "", fileProblem("the .zip holds two files named %s", fb)
		}
		seen[strings.ToLower(fb)] = true
		n, err := unzipOne(f, filepath.Join(dir, fb), maxUnpackedBytes-total)
		if err != nil {
			return "", err
		}
		total += n
		if fe == ".shp" || fe == ".gpkg" || fe == ".geojson" || fe == ".json" {
			mains = append(mains, fb)
		}
	}
	switch len(mains) {
	case 0:
		return "", fileProblem("the .zip holds no .shp, .gpkg or .geojson file")
	case 1:
		return filepath.Join(dir, mains[0]), nil
	}
	return "", fileProblem("the .zip holds %d data files (%s); send one at a time", len(mains), strings.Join(mains, ", "))
}

// unzipOne writes one zip entry to path, refusing it past limit bytes.
func unzipOne(f *zip.File, path string, limit int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fileProblem("the .zip entry %s cannot be read: %s", f.Name, err.Error())
	}
	defer rc.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	n, err := io.Copy(out, io.LimitReader(rc, limit+1))
	if err != nil {
		return n, fileProblem("the .zip entry %s cannot be read: %s", f.Name, err.Error())
	}
	if n > limit {
		return n, fileProblem("the .zip unpacks to more than %d MB", maxUnpackedBytes>>20)
	}
	return n, out.Close()
}
