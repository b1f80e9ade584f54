package handlers_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"testing"

	"everymeter/internal/testapp"
	"everymeter/service"
)

func testImage(w, h int, shade uint8) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), shade, 255})
		}
	}
	return img
}

func pngBytes(t testing.TB, w, h int, shade uint8) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage(w, h, shade)); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// jpegWithGPS encodes a JPEG and inserts an EXIF APP1 segment holding orientation 6 and a GPS position.
func jpegWithGPS(t testing.TB, w, h int, lon, lat float64) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(w, h, 9), nil); err != nil {
		t.Fatal(err)
	}
	// TIFF, little endian: IFD0 at 8 with Orientation and GPS pointer; GPS IFD with refs and DMS rationals.
	le := binary.LittleEndian
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	entry := func(tag, typ uint16, count, val uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e, tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], val)
		return e
	}
	ifd0 := 8
	gps := ifd0 + 2 + 2*12 + 4
	data := gps + 2 + 4*12 + 4
	tiff = append(tiff, 2, 0)
	tiff = append(tiff, entry(0x0112, 3, 1, 6)...)
	tiff = append(tiff, entry(0x8825, 4, 1, uint32(gps))...)
	tiff = append(tiff, 0, 0, 0, 0)
	latRef, lonRef := uint32('N'), uint32('E')
	if lat < 0 {
		latRef, lat = 'S', -lat
	}
	if lon < 0 {
		lonRef, lon = 'W', -lon
	}
	tiff = append(tiff, 4, 0)
	tiff = append(tiff, entry(1, 2, 2, latRef)...)
	tiff = append(tiff, entry(2, 5, 3, uint32(data))...)
	tiff = append(tiff, entry(3, 2, 2, lonRef)...)
	tiff = append(tiff, entry(4, 5, 3, uint32(data+24))...)
	tiff = append(tiff, 0, 0, 0, 0)
	dms := func(v float64) []byte {
		d := math.Floor(v)
		m := math.Floor((v - d) * 60)
		s := ((v-d)*60 - m) * 60
		out := make([]byte, 24)
		le.PutUint32(out, uint32(d))
		le.PutUint32(out[4:], 1)
		le.PutUint32(out[8:], uint32(m))
		le.PutUint32(out[12:], 1)
		le.PutUint32(out[16:], uint32(math.Round(s*10000)))
		le.PutUint32(out[20:], 10000)
		return out
	}
	tiff = append(tiff, dms(lat)...)
	tiff = append(tiff, dms(lon)...)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	j := b.Bytes()
	out := append([]byte{}, j[:2]...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

// webp1x1 is a 1×1 lossless WebP.
var webp1x1, _ = base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")

// upload posts a multipart photo as role.
func (l *loop) upload(role string, id int64, name string, data []byte) testapp.Response {
	l.t.Helper()
	return uploadTo(l.t, l.App, role, id, "file", name, data)
}

func uploadTo(t testing.TB, a *testapp.App, role string, id int64, field, name string, data []byte) testapp.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/reports/%d/photos", a.URL, id), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.Tokens[role])
	return send(t, req)
}

// send makes a request and reads its answer.
func send(t testing.TB, req *http.Request) testapp.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return testapp.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func TestPhotos(t *testing.T) {
	l := newLoop(t)
	id := idOf(l.file())
	lon, lat := 117.123456, 36.654321
	orig := jpegWithGPS(t, 800, 600, lon, lat)
	if p, ok := service.JPEGLocation(orig); !ok || math.Abs(p[0]-lon) > 1e-6 || math.Abs(p[1]-lat) > 1e-6 {
		t.Fatalf("the test JPEG's own GPS reads as %v %v", p, ok)
	}
	res := l.upload("inspector", id, "before.jpg", orig).MustStatus(t, 201)
	ph := res.JSON()
	sl, ok := ph["suggested_location"].(map[string]any)
	if !ok {
		t.Fatalf("no suggested_location: %s", res.Body)
	}
	c := sl["coordinates"].([]any)
	if math.Abs(c[0].(float64)-lon) > 1e-6 || math.Abs(c[1].(float64)-lat) > 1e-6 || ph["content_type"] != "image/jpeg" {
		t.Fatalf("photo = %s", res.Body)
	}
	// The same bytes again: the same photo, 200.
	again := l.upload("inspector", id, "same.jpg", orig).MustStatus(t, 200).JSON()
	if again["id"] != ph["id"] {
		t.Fatalf("re-upload gave photo %v, want %v", again["id"], ph["id"])
	}
	// The served copy has no GPS (or any EXIF but the orientation) and still decodes.
	served := l.Do("leader", "GET", ph["url"].(string), nil).MustStatus(t, 200)
	if served.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("served as %q", served.Header.Get("Content-Type"))
	}
	if _, ok := service.JPEGLocation(served.Body); ok || bytes.Contains(served.Body, []byte{0x25, 0x88}) {
		t.Fatal("the served photo still carries its GPS position")
	}
	if !bytes.Contains(served.Body, []byte("Exif\x00\x00MM")) {
		t.Fatal("the orientation was not kept")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(served.Body)); err != nil || cfg.Width != 800 {
		t.Fatalf("served photo: %v %v", cfg, err)
	}
	thumb := l.Do("inspector", "GET", ph["thumb_url"].(string), nil).MustStatus(t, 200)
	tc, err := jpeg.DecodeConfig(bytes.NewReader(thumb.Body))
	if err != nil || tc.Width != 240 || tc.Height != 320 { // orientation 6: turned upright
		t.Fatalf("thumbnail %dx%d %v, want 240x320", tc.Width, tc.Height, err)
	}
	// Unit staff of another unit cannot fetch it; the holding unit can.
	l.Do("other", "GET", ph["url"].(string), nil).MustStatus(t, 404)
	l.Do("other", "GET", ph["thumb_url"].(string), nil).MustStatus(t, 404)
	l.Do("unit_staff", "GET", ph["url"].(string), nil).MustStatus(t, 200)
	l.Do("", "GET", ph["url"].(string), nil).MustStatus(t, 401)

	// PNG and WebP are accepted, with a thumbnail each.
	p2 := l.upload("unit_staff", id, "a.png", pngBytes(t, 100, 50, 1)).MustStatus(t, 201).JSON()
	if p2["content_type"] != "image/png" || p2["suggested_location"] != nil {
		t.Fatalf("png: %v", p2)
	}
	p3 := l.upload("admin", id, "a.webp", webp1x1).MustStatus(t, 201).JSON()
	if p3["content_type"] != "image/webp" {
		t.Fatalf("webp: %v", p3)
	}
	l.Do("admin", "GET", p3["thumb_url"].(string), nil).MustStatus(t, 200)
	list := l.Do("unit_staff", "GET", fmt.Sprintf("/api/v1/reports/%d/photos", id), nil).MustStatus(t, 200).JSON()["items"].([]any)
	if len(list) != 3 {
		t.Fatalf("%d photos listed, want 3", len(list))
	}

	// Refusals.
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	cases := []struct {
		name, role, field string
		id                int64
		data              []byte
		want              int
	}{
		{"gif", "inspector", "file", id, gif, 400},
		{"text named .jpg", "inspector", "file", id, []byte("hello, this is not an image"), 400},
		{"truncated jpeg", "inspector", "file", id, orig[:200], 400},
		{"wrong field", "inspector", "photo", id, orig, 400},
		{"too large", "inspector", "file", id, append(pngBytes(t, 10, 10, 0), make([]byte, 10<<20)...), 413},
		{"other unit's report", "other", "file", id, orig, 404},
		{"leader", "leader", "file", id, orig, 403},
		{"no such report", "inspector", "file", 999999, orig, 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := uploadTo(t, l.App, c.role, c.id, c.field, "x.jpg", c.data)
			if res.Status != c.want {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, c.want)
			}
		})
	}
	l.Do("inspector", "GET", "/api/v1/photos/999999", nil).MustStatus(t, 404)
	l.Do("inspector", "GET", "/api/v1/photos/abc/thumb", nil).MustStatus(t, 404)
}

func TestStripJPEGMetadataKeepsImage(t *testing.T) {
	orig := jpegWithGPS(t, 64, 48, -118.25, 34.05)
	if p, ok := service.JPEGLocation(orig); !ok || p[0] > -118 || p[1] < 34 {
		t.Fatalf("western/northern GPS reads as %v", p)
	}
	clean := service.StripJPEGMetadata(orig)
	a, err1 := jpeg.Decode(bytes.NewReader(orig))
	b, err2 := jpeg.Decode(bytes.NewReader(clean))
	if err1 != nil || err2 != nil || a.Bounds() != b.Bounds() || a.At(10, 10) != b.At(10, 10) {
		t.Fatalf("stripping changed the image: %v %v", err1, err2)
	}
	for _, junk := range [][]byte{nil, {0xFF, 0xD8}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF}, []byte("RIFF")} {
		service.StripJPEGMetadata(junk)
		service.JPEGLocation(junk)
	}
}

func FuzzJPEGMetadata(f *testing.F) {
	f.Add(jpegWithGPS(f, 8, 8, 117, 36))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x10, 'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, ok := service.JPEGLocation(b); ok && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			t.Fatalf("location %v out of range", p)
		}
		if out := service.StripJPEGMetadata(b); len(out) > len(b)+64 {
			t.Fatalf("stripping grew %d bytes to %d", len(b), len(out))
		}
	})
}
