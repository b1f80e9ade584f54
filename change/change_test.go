package change_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"everymeter/change"
)

func TestSetCollectsAndStaysSmall(t *testing.T) {
	var s change.Set
	a := orb.Bound{Min: orb.Point{116, 40}, Max: orb.Point{116.1, 40.1}}
	s.Add(change.Zone, 3, a, nil)
	s.Add(change.Zone, 1, a) // same bound twice is kept once
	s.Add(change.Coverage, 0, orb.Point{116.2, 40.2})
	ev := s.Event()
	if len(ev.Changes) != 2 || ev.Changes[0].Kind != change.Zone || ev.Changes[1].Kind != change.Coverage {
		t.Fatalf("changes in first-change order, one per kind: %+v", ev.Changes)
	}
	if z := ev.Of(change.Zone); !slices.Equal(z.IDs, []int64{1, 3}) || len(z.Bounds) != 1 || z.Bounds[0].Orb() != a {
		t.Errorf("zone change %+v: want ids 1, 3 and one bound %v", z, a)
	}
	if c := ev.Of(change.Coverage); len(c.IDs) != 0 || len(c.Bounds) != 1 {
		t.Errorf("an unnamed record keeps its bound only: %+v", c)
	}

	// A bulk write: thousands of records in one unit of work still make an event of a few hundred bytes.
	var big change.Set
	for i := 1; i <= 5000; i++ {
		x := 116 + float64(i)/1000
		big.Add(change.Coverage, int64(i), orb.Bound{Min: orb.Point{x, 40}, Max: orb.Point{x + 0.001, 40.001}})
	}
	c := big.Event().Of(change.Coverage)
	want := orb.Bound{Min: orb.Point{116.001, 40}, Max: orb.Point{121.001, 40.001}}
	u := c.Bounds[0].Orb()
	for _, b := range c.Bounds {
		u = u.Union(b.Orb())
	}
	if !c.Many || len(c.IDs) != 0 || len(c.Bounds) > change.MaxBounds || !near(u, want) {
		t.Errorf("5,000 records: want ids dropped and at most %d bounds covering %v, got many=%v ids=%d bounds=%v",
			change.MaxBounds, want, c.Many, len(c.IDs), c.Bounds)
	}
	b, err := json.Marshal(big.Event())
	if err != nil || len(b) > 8000 {
		t.Errorf("the event's JSON is %d bytes (%v), want it to fit a NOTIFY payload", len(b), err)
	}
	var back change.Event
	if err := json.Unmarshal(b, &back); err != nil || fmt.Sprint(back) != fmt.Sprint(big.Event()) {
		t.Errorf("JSON round trip: %v\n%+v\n%+v", err, back, big.Event())
	}
}

func near(a, b orb.Bound) bool {
	d := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return d(a.Min[0], b.Min[0]) && d(a.Min[1], b.Min[1]) && d(a.Max[0], b.Max[0]) && d(a.Max[1], b.Max[1])
}

func TestBusPublishesToEverySubscriber(t *testing.T) {
	var bus change.Bus
	var got []string
	bus.Subscribe(func(ev change.Event) { got = append(got, "a:"+string(ev.Changes[0].Kind)) })
	bus.Subscribe(func(ev change.Event) { got = append(got, "b:"+string(ev.Changes[0].Kind)) })
	bus.Publish(change.Event{}) // nothing changed: nobody is told
	var s change.Set
	s.Add(change.Report, 1)
	bus.Publish(s.Event())
	if !slices.Equal(got, []string{"a:report", "b:report"}) {
		t.Errorf("got %v", got)
	}
}
