package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"

	"github.com/paulmach/orb"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"everymeter/change"
	"everymeter/domain"
	"everymeter/store"
	"everymeter/vocab"
	"everymeter/workflow"
)

// Photo limits.
const (
	MaxPhotoBytes  = domain.MaxPhotoBytes // per upload
	MaxPhotoPixels = 50e6                 // decoded size bound, against decompression bombs
	ThumbMaxSide   = 320
)

// PhotoTypes are the accepted content types, detected from the bytes.
var PhotoTypes = []string{"image/jpeg", "image/png", "image/webp"}

// ErrPhotoTooLarge is returned for uploads over MaxPhotoBytes.
var ErrPhotoTooLarge = domain.ErrPhotoTooLarge

// Uploaded is domain.Uploaded (the definition moved to package domain).
type Uploaded = domain.Uploaded

// DetectPhotoType returns the image type of b by its magic bytes, or "" when it is not JPEG, PNG or WebP.
func DetectPhotoType(b []byte) string {
	if len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP" {
		return "image/webp"
	}
	switch ct := http.DetectContentType(b); ct {
	case "image/jpeg", "image/png":
		return ct
	}
	return ""
}

// CanUpload reports whether who may attach photos to r: inspectors and admins to any report they see, unit staff
// to their unit's; nobody to a voided or duplicate report.
func CanUpload(w Who, r store.Report) bool {
	if vocab.Is(r.Status, vocab.DiscardedStatuses) || !vocab.Is(w.Role, vocab.PhotographerRoles) {
		return false
	}
	return vocab.Role(w.Role) != vocab.UnitStaff || CanSee(w, r)
}

// AddPhoto checks, cleans and stores an uploaded photo of a report: the type comes from the bytes, EXIF GPS is read
// to suggest a location and then stripped from the stored copy, and a thumbnail is made. Files are named by the
// hash of the stored copy, so the same picture is kept once however often it is sent.
func (s *Reports) AddPhoto(ctx context.Context, who Who, reportID int64, data []byte) (Uploaded, error) {
	r, err := s.Report(ctx, who, reportID)
	if err != nil {
		return Uploaded{}, err
	}
	if !CanUpload(who, r) {
		return Uploaded{}, &workflow.Error{Kind: workflow.ErrForbidden, Status: workflow.Status(r.Status),
			Detail: fmt.Sprintf("a %s may not add photos to a %s report", who.Role, r.Status)}
	}
	cp, err := s.cleanPhoto(data)
	if err != nil {
		return Uploaded{}, err
	}
	if err := cp.store(s); err != nil {
		return Uploaded{}, err
	}
	suggested := cp.suggested
	p := store.Photo{ReportID: r.ID, SHA256: cp.hash, ContentType: cp.contentType, Bytes: int64(len(cp.clean)),
		Width: cp.width, Height: cp.height, ExifPoint: suggested, UploaderID: idPtr(who)}
	var out store.Photo
	created := false
	err = s.Store.WithTx(ctx, func(tx *store.Store) error {
		var err error
		if out, created, err = tx.AddPhoto(ctx, p); err != nil || !created {
			return err
		}
		_, err = tx.AddReportEvent(ctx, store.ReportEvent{ReportID: r.ID, At: s.now(), ActorID: idPtr(who), Actor: who.Name,
			Action: "photo", FromStatus: r.Status, ToStatus: r.Status, UnitID: r.UnitID, PhotoID: &out.ID})
		tx.Changed(change.Report, r.ID) // nothing mapped changes: no bound
		return err
	})
	if err != nil {
		return Uploaded{}, err
	}
	if out.ExifPoint != nil {
		suggested = out.ExifPoint
	}
	return Uploaded{Photo: out, Created: created, Suggested: suggested}, nil
}

// cleaned is an uploaded photo after cleanPhoto: stored under its hash, without metadata.
type cleaned struct {
	hash, contentType string
	clean             []byte
	width, height     int
	suggested         *orb.Point // the EXIF GPS position of the original, if any
	img               image.Image
	orientation       int
}

// store writes the clean copy and its thumbnail (see writePhotoFiles).
func (c cleaned) store(s *Reports) error {
	return s.writePhotoFiles(c.hash, c.clean, c.img, c.orientation)
}

// cleanPhoto checks an uploaded photo (type from the bytes, size, pixel count), reads its EXIF GPS position,
// strips the metadata and decodes it, writing nothing yet (the one photo path of reports and public reports
// alike).
func (s *Reports) cleanPhoto(data []byte) (cleaned, error) {
	if len(data) > MaxPhotoBytes {
		return cleaned{}, ErrPhotoTooLarge
	}
	ct := DetectPhotoType(data)
	if ct == "" {
		return cleaned{}, invalid("file", "the file is not a JPEG, PNG or WebP image")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return cleaned{}, invalid("file", "the image cannot be read: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || float64(cfg.Width)*float64(cfg.Height) > MaxPhotoPixels {
		return cleaned{}, invalid("file", "the image is %d×%d pixels; at most %.0f megapixels", cfg.Width, cfg.Height, MaxPhotoPixels/1e6)
	}
	var suggested *orb.Point
	clean := data
	orientation := 1
	switch ct {
	case "image/jpeg":
		if p, ok := JPEGLocation(data); ok {
			suggested = &p
		}
		orientation = JPEGOrientation(data)
		clean = StripJPEGMetadata(data)
	case "image/png":
		clean = stripPNGMetadata(data)
	case "image/webp":
		clean = stripWebPMetadata(data)
	}
	img, _, err := image.Decode(bytes.NewReader(clean))
	if err != nil {
		return cleaned{}, invalid("file", "the image cannot be decoded: %v", err)
	}
	sum := sha256.Sum256(clean)
	hash := hex.EncodeToString(sum[:])
	return cleaned{hash: hash, contentType: ct, clean: clean, width: cfg.Width, height: cfg.Height, suggested: suggested,
		img: img, orientation: orientation}, nil
}

// PhotoPath is where a stored photo (thumb false) or its thumbnail lives.
func (s *Reports) PhotoPath(hash string, thumb bool) string {
	name := hash
	if thumb {
		name += ".thumb.jpg"
	}
	return filepath.Join(s.DataDir, "photos", hash[:2], name)
}

// writePhotoFiles stores the cleaned file and its thumbnail unless they exist; each is written to a temporary
// file and renamed, so a reader never sees half a photo.
func (s *Reports) writePhotoFiles(hash string, clean []byte, img image.Image, orientation int) error {
	if s.DataDir == "" {
		return errors.New("service: no data directory for photos")
	}
	main := s.PhotoPath(hash, false)
	if err := os.MkdirAll(filepath.Dir(main), 0o755); err != nil {
		return err
	}
	if err := writeIfMissing(main, func() ([]byte, error) { return clean, nil }); err != nil {
		return err
	}
	return writeIfMissing(s.PhotoPath(hash, true), func() ([]byte, error) { return Thumbnail(img, orientation) })
}

func writeIfMissing(path string, content func() ([]byte, error)) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	b, err := content()
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Thumbnail scales img to fit ThumbMaxSide (never up), turns it upright by its EXIF orientation (1–8; the
// thumbnail carries no EXIF of its own) and encodes it as JPEG.
func Thumbnail(img image.Image, orientation int) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	scale := math.Min(1, float64(ThumbMaxSide)/float64(max(w, h)))
	tw, th := max(1, int(math.Round(float64(w)*scale))), max(1, int(math.Round(float64(h)*scale)))
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, upright(dst, orientation), &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// upright applies an EXIF orientation: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
// 7 transverse, 8 rotate 90° counter-clockwise.
func upright(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, src.RGBAAt(x, y))
		}
	}
	return dst
}

// JPEGOrientation reads the EXIF orientation of a JPEG (1, upright, when absent).
func JPEGOrientation(b []byte) int {
	for _, seg := range jpegSegments(b) {
		if seg.marker == 0xE1 && bytes.HasPrefix(seg.data, []byte("Exif\x00\x00")) {
			return exifOrientation(seg.data[6:])
		}
	}
	return 1
}

// ---- metadata: EXIF GPS in, everything identifying out

// JPEGLocation reads the GPS position from a JPEG's EXIF (APP1) segment.
func JPEGLocation(b []byte) (orb.Point, bool) {
	for _, seg := range jpegSegments(b) {
		if seg.marker == 0xE1 && bytes.HasPrefix(seg.data, []byte("Exif\x00\x00")) {
			if p, ok := exifGPS(seg.data[6:]); ok {
				return p, true
			}
		}
	}
	return orb.Point{}, false
}

type jpegSegment struct {
	marker byte
	start  int // offset of the 0xFF marker byte
	end    int // offset after the segment
	data   []byte
}

// jpegSegments lists the marker segments before the scan data (SOS); a malformed file yields what could be read.
func jpegSegments(b []byte) []jpegSegment {
	var out []jpegSegment
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return nil
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return out
		}
		m := b[i+1]
		if m == 0xFF { // fill byte
			i++
			continue
		}
		if m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return out
		}
		out = append(out, jpegSegment{marker: m, start: i, end: i + 2 + n, data: b[i+4 : i+2+n]})
		if m == 0xDA { // start of scan: entropy-coded data follows
			return out
		}
		i += 2 + n
	}
	return out
}

// StripJPEGMetadata drops the APP1 (EXIF, XMP), APP13 (IPTC) and comment segments of a JPEG, keeping everything
// else byte for byte (no re-encoding, so no quality is lost). The EXIF orientation, if any, is kept in a minimal
// new EXIF segment so that phone photos do not turn sideways.
func StripJPEGMetadata(b []byte) []byte {
	segs := jpegSegments(b)
	if len(segs) == 0 || segs[len(segs)-1].marker != 0xDA {
		return b // not a JPEG we understand; decoding will judge it
	}
	orient := 0
	for _, s := range segs {
		if s.marker == 0xE1 && bytes.HasPrefix(s.data, []byte("Exif\x00\x00")) {
			orient = exifOrientation(s.data[6:])
		}
	}
	out := make([]byte, 0, len(b))
	out = append(out, 0xFF, 0xD8)
	inserted := false
	for _, s := range segs {
		if !inserted && s.marker != 0xE0 { // after JFIF APP0, before anything else
			if orient > 1 && orient <= 8 {
				out = append(out, orientationSegment(orient)...)
			}
			inserted = true
		}
		if s.marker == 0xE1 || s.marker == 0xED || s.marker == 0xFE {
			continue
		}
		if s.marker == 0xDA {
			out = append(out, b[s.start:]...)
			break
		}
		out = append(out, b[s.start:s.end]...)
	}
	return out
}

// orientationSegment is an APP1 EXIF segment holding only the orientation tag.
func orientationSegment(o int) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation SHORT 1 = o
		0, 0, 0, 0} // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// tiffReader reads a TIFF (EXIF) structure with bounds checks on every access.
type tiffReader struct {
	b  []byte
	bo binary.ByteOrder
}

func newTIFF(b []byte) (*tiffReader, uint32, bool) {
	if len(b) < 8 {
		return nil, 0, false
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return nil, 0, false
	}
	if bo.Uint16(b[2:]) != 42 {
		return nil, 0, false
	}
	return &tiffReader{b: b, bo: bo}, bo.Uint32(b[4:]), true
}

type tiffEntry struct {
	tag, typ uint16
	count    uint32
	value    []byte // the 4 bytes of the value/offset field
}

// ifd returns the entries of the IFD at off.
func (t *tiffReader) ifd(off uint32) []tiffEntry {
	if uint64(off)+2 > uint64(len(t.b)) {
		return nil
	}
	n := int(t.bo.Uint16(t.b[off:]))
	var out []tiffEntry
	for i := 0; i < n; i++ {
		p := uint64(off) + 2 + uint64(i)*12
		if p+12 > uint64(len(t.b)) {
			break
		}
		e := t.b[p : p+12]
		out = append(out, tiffEntry{tag: t.bo.Uint16(e), typ: t.bo.Uint16(e[2:]), count: t.bo.Uint32(e[4:]), value: e[8:12]})
	}
	return out
}

// rationals reads count RATIONALs (type 5) of an entry.
func (t *tiffReader) rationals(e tiffEntry) ([]float64, bool) {
	if e.typ != 5 || e.count == 0 || e.count > 16 {
		return nil, false
	}
	off := uint64(t.bo.Uint32(e.value))
	if off+uint64(e.count)*8 > uint64(len(t.b)) {
		return nil, false
	}
	out := make([]float64, e.count)
	for i := range out {
		num := t.bo.Uint32(t.b[off+uint64(i)*8:])
		den := t.bo.Uint32(t.b[off+uint64(i)*8+4:])
		if den == 0 {
			return nil, false
		}
		out[i] = float64(num) / float64(den)
	}
	return out, true
}

// exifGPS reads GPSLatitude/GPSLongitude with their N/S, E/W references from a TIFF structure.
func exifGPS(b []byte) (orb.Point, bool) {
	t, off, ok := newTIFF(b)
	if !ok {
		return orb.Point{}, false
	}
	var gpsOff uint32
	for _, e := range t.ifd(off) {
		if e.tag == 0x8825 && (e.typ == 4 || e.typ == 13) {
			gpsOff = t.bo.Uint32(e.value)
		}
	}
	if gpsOff == 0 {
		return orb.Point{}, false
	}
	var lat, lon []float64
	latRef, lonRef := byte('N'), byte('E')
	for _, e := range t.ifd(gpsOff) {
		switch e.tag {
		case 1:
			latRef = e.value[0]
		case 2:
			lat, _ = t.rationals(e)
		case 3:
			lonRef = e.value[0]
		case 4:
			lon, _ = t.rationals(e)
		}
	}
	if len(lat) != 3 || len(lon) != 3 {
		return orb.Point{}, false
	}
	la := lat[0] + lat[1]/60 + lat[2]/3600
	lo := lon[0] + lon[1]/60 + lon[2]/3600
	if latRef == 'S' {
		la = -la
	}
	if lonRef == 'W' {
		lo = -lo
	}
	if la < -90 || la > 90 || lo < -180 || lo > 180 || (la == 0 && lo == 0) {
		return orb.Point{}, false
	}
	return orb.Point{lo, la}, true
}

// exifOrientation reads the IFD0 Orientation tag (1 when absent).
func exifOrientation(b []byte) int {
	t, off, ok := newTIFF(b)
	if !ok {
		return 1
	}
	for _, e := range t.ifd(off) {
		if e.tag == 0x0112 && e.typ == 3 {
			return int(t.bo.Uint16(e.value))
		}
	}
	return 1
}

// stripPNGMetadata drops the eXIf, tEXt, zTXt, iTXt and tIME chunks of a PNG.
func stripPNGMetadata(b []byte) []byte {
	const sig = "\x89PNG\r\n\x1a\n"
	if len(b) < 8 || string(b[:8]) != sig {
		return b
	}
	out := append(make([]byte, 0, len(b)), b[:8]...)
	i := 8
	for i+12 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		end := i + 12 + n
		if n < 0 || end > len(b) || end < i {
			return b
		}
		switch string(b[i+4 : i+8]) {
		case "eXIf", "tEXt", "zTXt", "iTXt", "tIME":
		default:
			out = append(out, b[i:end]...)
		}
		i = end
	}
	return out
}

// stripWebPMetadata drops the EXIF and XMP chunks of an extended WebP and clears their flags.
func stripWebPMetadata(b []byte) []byte {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return b
	}
	out := append(make([]byte, 0, len(b)), b[:12]...)
	i := 12
	for i+8 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		end := i + 8 + n + n%2
		if n < 0 || end > len(b) || end < i {
			if i+8+n == len(b) { // last chunk without padding
				end = len(b)
			} else {
				return b
			}
		}
		switch string(b[i : i+4]) {
		case "EXIF", "XMP ":
		case "VP8X":
			c := append([]byte(nil), b[i:end]...)
			if len(c) > 8 {
				c[8] &^= 0x08 | 0x04 // EXIF and XMP present flags
			}
			out = append(out, c...)
		default:
			out = append(out, b[i:end]...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}
