package loadgen

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
)

// smallJPEG makes the after photo every resolve uploads: 64×48, a gradient, a few hundred bytes.
func smallJPEG() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// multipartPhoto wraps a JPEG as the multipart body of POST /api/v1/reports/{id}/photos (field "file").
func multipartPhoto(jpg []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, _ := w.CreateFormFile("file", "after.jpg")
	_, _ = part.Write(jpg)
	_ = w.Close()
	return w.FormDataContentType(), b.Bytes()
}
