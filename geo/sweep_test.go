package geo

import (
	"reflect"
	"testing"
)

func TestIntervalsNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   Intervals
		want Intervals
	}{
		{"empty", nil, Intervals{}},
		{"sorted disjoint", Intervals{{0, 1}, {2, 3}}, Intervals{{0, 1}, {2, 3}}},
		{"unsorted overlapping", Intervals{{5, 9}, {0, 2}, {1, 6}}, Intervals{{0, 9}}},
		{"touching merge", Intervals{{0, 1}, {1, 2}}, Intervals{{0, 2}}},
		{"reversed turned round", Intervals{{3, 1}}, Intervals{{1, 3}}},
		{"contained", Intervals{{0, 10}, {2, 3}}, Intervals{{0, 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append(Intervals(nil), tc.in...)
			got := tc.in.Normalize()
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Normalize = %v, want %v", got, tc.want)
			}
			if !reflect.DeepEqual(in, tc.in) {
				t.Errorf("Normalize changed its input")
			}
		})
	}
	if got := (Intervals{{0, 1}, {2, 4.5}}).Total(); got != 3.5 {
		t.Errorf("Total = %v", got)
	}
}

func TestSweep(t *testing.T) {
	const A, B, C = 1, 2, 3
	tests := []struct {
		name   string
		length float64
		claims []Claim
		min    float64
		want   []Piece
	}{
		{"brief example", 1000, []Claim{{0, 400, A}, {300, 700, B}}, 0, []Piece{
			{0, 300, []int64{A}}, {300, 400, []int64{A, B}}, {400, 700, []int64{B}}, {700, 1000, []int64{}}}},
		{"no claims is one gap", 500, nil, 1, []Piece{{0, 500, []int64{}}}},
		{"claims clamped", 100, []Claim{{-50, 40, A}, {60, 500, B}}, 0, []Piece{
			{0, 40, []int64{A}}, {40, 60, []int64{}}, {60, 100, []int64{B}}}},
		{"same owner twice merges", 100, []Claim{{0, 60, A}, {40, 100, A}}, 0, []Piece{{0, 100, []int64{A}}}},
		{"adjacent same owner merges", 100, []Claim{{0, 50, A}, {50, 100, A}}, 0, []Piece{{0, 100, []int64{A}}}},
		{"empty and reversed claims ignored", 100, []Claim{{30, 30, A}, {80, 20, B}}, 0, []Piece{{0, 100, []int64{}}}},
		{"owners sorted", 10, []Claim{{0, 10, C}, {0, 10, A}, {0, 10, B}}, 0, []Piece{{0, 10, []int64{A, B, C}}}},
		{"short overlap absorbed into longer neighbour", 1000, []Claim{{0, 500.3, A}, {500, 900, B}}, 1, []Piece{
			{0, 500.3, []int64{A}}, {500.3, 900, []int64{B}}, {900, 1000, []int64{}}}},
		{"short gap between same owner disappears", 1000, []Claim{{0, 500, A}, {500.5, 1000, A}}, 1, []Piece{
			{0, 1000, []int64{A}}}},
		{"short piece at start goes to its only neighbour", 100, []Claim{{0.2, 100, A}}, 1, []Piece{{0, 100, []int64{A}}}},
		{"line shorter than min stays one piece", 0.5, []Claim{{0, 0.2, A}}, 1, []Piece{{0, 0.5, []int64{}}}},
		{"zero length", 0, []Claim{{0, 1, A}}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Sweep(tc.length, tc.claims, tc.min)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Sweep =\n %v\nwant\n %v", got, tc.want)
			}
		})
	}
	t.Run("brief example totals", func(t *testing.T) {
		var covered, gap, overlap float64
		for _, p := range Sweep(1000, []Claim{{0, 400, A}, {300, 700, B}}, 0) {
			switch l := p.To - p.From; len(p.Owners) {
			case 0:
				gap += l
			case 1:
				covered += l
			default:
				covered += l
				overlap += l
			}
		}
		if covered != 700 || gap != 300 || overlap != 100 {
			t.Errorf("covered %v gap %v overlap %v, want 700 300 100", covered, gap, overlap)
		}
	})
}
