package demo

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// photoSet holds the generated pictures the demo's people take: a few "before" scenes (a street with a problem
// blob in it) and "after" scenes (the same street, clean). Few distinct pictures keep the photo store small: files
// are named by their hash, so a picture used a hundred times is stored once.
type photoSet struct{ before, after [][]byte }

const (
	photoW, photoH = 240, 180
	photoVariants  = 6
)

func makePhotos(rng *rand.Rand) (photoSet, error) {
	var ps photoSet
	for k := 0; k < photoVariants; k++ {
		sky := color.RGBA{uint8(150 + rng.IntN(60)), uint8(180 + rng.IntN(50)), uint8(210 + rng.IntN(45)), 255}
		wall := color.RGBA{uint8(170 + rng.IntN(60)), uint8(150 + rng.IntN(50)), uint8(120 + rng.IntN(50)), 255}
		blob := color.RGBA{uint8(60 + rng.IntN(150)), uint8(40 + rng.IntN(80)), uint8(20 + rng.IntN(60)), 255}
		bx, by, br := 40+rng.IntN(150), 120+rng.IntN(40), 14+rng.IntN(18)
		for _, dirty := range []bool{true, false} {
			img := image.NewRGBA(image.Rect(0, 0, photoW, photoH))
			for y := 0; y < photoH; y++ {
				for x := 0; x < photoW; x++ {
					c := sky
					switch {
					case y > 110: // the road, darker towards the camera
						g := uint8(120 - (y-110)/2)
						c = color.RGBA{g, g, g + 6, 255}
					case y > 40 && (x/30)%3 != 2: // shop fronts
						c = wall
						if y > 70 && y < 100 && x%30 > 6 && x%30 < 24 {
							c = color.RGBA{70, 90, 110, 255} // windows
						}
					}
					if dirty {
						dx, dy := x-bx, (y-by)*2
						if dx*dx+dy*dy < br*br {
							c = blob
						}
					}
					img.SetRGBA(x, y, c)
				}
			}
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 70}); err != nil {
				return ps, err
			}
			if dirty {
				ps.before = append(ps.before, b.Bytes())
			} else {
				ps.after = append(ps.after, b.Bytes())
			}
		}
	}
	return ps, nil
}
