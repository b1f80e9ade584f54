package geo_test

import (
	"fmt"

	"everymeter/geo"

	"github.com/paulmach/orb"
)

func ExampleSweep() {
	// A 1000 m road; unit 1 claims 0–400 m, unit 2 claims 300–700 m.
	for _, p := range geo.Sweep(1000, []geo.Claim{{From: 0, To: 400, Owner: 1}, {From: 300, To: 700, Owner: 2}}, 1) {
		fmt.Println(p.From, p.To, p.Owners)
	}
	// Output:
	// 0 300 [1]
	// 300 400 [1 2]
	// 400 700 [2]
	// 700 1000 []
}

func ExampleArea_Clip() {
	road, _ := geo.NewLine(orb.LineString{{9.50, 47.10}, {9.52, 47.10}})
	area, _ := geo.NewArea(orb.Polygon{{{9.49, 47.09}, {9.51, 47.09}, {9.51, 47.11}, {9.49, 47.11}, {9.49, 47.09}}})
	for _, iv := range area.Clip(road, 0.5, 1) {
		fmt.Printf("%.0f–%.0f m of %.0f m\n", iv.From, iv.To, road.Length())
	}
	// Output: 0–759 m of 1518 m
}

func ExampleParseBBox() {
	_, err := geo.ParseBBox("9.6,47.0,9.4,47.3")
	fmt.Println(err)
	// Output: bbox: minLon 9.6 is greater than maxLon 9.4
}
