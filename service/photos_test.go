package service

import (
	"image"
	"image/color"
	"testing"
)

// TestUpright checks where the top-left pixel of a 3×2 picture lands for each EXIF orientation.
func TestUpright(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	mark := color.RGBA{255, 0, 0, 255}
	src.SetRGBA(0, 0, mark)
	cases := []struct {
		o          int
		w, h, x, y int
	}{
		{1, 3, 2, 0, 0}, {2, 3, 2, 2, 0}, {3, 3, 2, 2, 1}, {4, 3, 2, 0, 1},
		{5, 2, 3, 0, 0}, {6, 2, 3, 1, 0}, {7, 2, 3, 1, 2}, {8, 2, 3, 0, 2},
	}
	for _, c := range cases {
		got := upright(src, c.o)
		if got.Bounds().Dx() != c.w || got.Bounds().Dy() != c.h || got.RGBAAt(c.x, c.y) != mark {
			t.Errorf("orientation %d: %v, mark not at (%d,%d)", c.o, got.Bounds(), c.x, c.y)
		}
	}
}

func TestDetectPhotoType(t *testing.T) {
	cases := map[string]string{
		"\xff\xd8\xff\xe0\x00\x10JFIF\x00":      "image/jpeg",
		"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR": "image/png",
		"RIFF\x1a\x00\x00\x00WEBPVP8L":          "image/webp",
		"GIF89a\x01\x00\x01\x00":                "",
		"<svg xmlns=":                           "",
		"RIFF\x1a\x00\x00\x00WAVEfmt ":          "",
	}
	for in, want := range cases {
		if got := DetectPhotoType([]byte(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
