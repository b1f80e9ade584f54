package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"everymeter/change"
	"everymeter/handlers"
	"everymeter/internal/testdb"
	"everymeter/server"
	"everymeter/service"
	"everymeter/store"
	"everymeter/tilecache"
)

// The burst: this many writes, spread over this many goroutines that each write in bursts.
const (
	burstWrites  = 5000
	burstWorkers = 50
	burstReaders = 4
	burstLen     = 10 // writes a worker makes back to back before a pause
)

// A grid town: rows of east-west roads (each block one road, with a kink) and north-south alleys.
const (
	gridLon, gridLat = 9.515, 47.130
	gridRows         = 10
	gridBlocks       = 10
	blockLon         = 0.002
	blockLat         = 0.0015
)

// burstLayers are the tile layers the burst reads: each kind of write shows in one of them.
var burstLayers = []string{"road", "alley", "gaps", "overlaps", "reports"}

// layersOf are the layers that show each kind of change.
var layersOf = map[change.Kind][]string{
	change.Asset:    {"road", "alley", "gaps", "overlaps"},
	change.Coverage: {"gaps", "overlaps"},
	change.Report:   {"reports"},
}

// TestBurstLeavesNoStaleTile runs a whole server on a real PostGIS and makes 5,000 writes of every mapped
// kind (zone moves, creates and deletes; assignment edits; asset edits; reports filed) in bursts across 50
// goroutines, while readers fetch vector tiles over HTTP and so fill the tile cache. Afterwards every tile
// still in the cache must be byte for byte the tile PostGIS builds now: a write whose change was published
// too early, too narrowly or not at all leaves a cached tile showing the old state.
func TestBurstLeavesNoStaleTile(t *testing.T) {
	start := time.Now()
	_, url := testdb.New(t)
	ctx := t.Context()
	// More connections than the default four: 50 writers and the tile readers share them. Commits need
	// not wait for the disk here (a lost test database costs nothing), which spares 5,000 WAL flushes.
	st, err := store.Open(ctx, url+"&synchronous_commit=off", 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(st, log, server.Options{DataDir: t.TempDir()})
	hs := httptest.NewServer(srv.Echo)
	t.Cleanup(hs.Close)
	svc := srv.Svc
	reports := srv.Reports

	town := newBurstTown(t, ctx, svc)
	reporter, err := svc.AddUser(ctx, "burst-inspector", "inspector", "", "burst-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddUser(ctx, "burst-reader", "planner", "", "burst-password"); err != nil {
		t.Fatal(err)
	}
	token := login(t, hs.URL, "burst-reader", "burst-password")
	cats, err := st.Categories(ctx, false)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v (%d)", err, len(cats))
	}
	tiles := burstTiles()
	// A reader at the worst moment: right when a change is published, fetch a tile it touches. Published
	// after the commit, that tile is built from the new data; published before it (the bug this catches),
	// the tile is built from the old data after the cache forgot it, and stays stale.
	var published atomic.Int64
	var eagerErr atomic.Pointer[error]
	svc.Subscribe(func(ev change.Event) {
		n := published.Add(1)
		if n%4 != 0 {
			return
		}
		bs := map[string][]orb.Bound{} // layer → bounds of the changes it shows
		for _, c := range ev.Changes {
			for _, l := range layersOf[c.Kind] {
				for _, b := range c.Bounds {
					bs[l] = append(bs[l], b.Orb())
				}
			}
		}
		for i := range tiles {
			k := tiles[(int(n)+i*7)%len(tiles)]
			tb := handlers.TileBound(maptile.New(k.X, k.Y, maptile.Zoom(k.Z)))
			if slices.ContainsFunc(bs[k.Layer], tb.Intersects) {
				if err := getTile(ctx, hs.URL, token, k); err != nil {
					eagerErr.Store(&err)
				}
				return
			}
		}
	})
	setup := time.Since(start)

	// Readers fill the cache until the writers are done.
	var reads atomic.Int64
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	readErr := make(chan error, burstReaders)
	for r := 0; r < burstReaders; r++ {
		rwg.Add(1)
		go func(seed uint64) {
			defer rwg.Done()
			rng := rand.New(rand.NewPCG(seed, 7))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := tiles[rng.IntN(len(tiles))]
				if err := getTile(ctx, hs.URL, token, k); err != nil {
					readErr <- err
					return
				}
				reads.Add(1)
			}
		}(uint64(r))
	}

	var ok, refused atomic.Int64
	var wwg sync.WaitGroup
	writeErr := make(chan error, burstWorkers)
	t0 := time.Now()
	for w := 0; w < burstWorkers; w++ {
		wwg.Add(1)
		go func(seed uint64) {
			defer wwg.Done()
			b := &burster{ctx: ctx, svc: svc, reports: reports, town: town, cats: cats,
				who: service.Who{ID: reporter.ID, Name: reporter.Username, Role: reporter.Role},
				rng: rand.New(rand.NewPCG(seed, 11))}
			for i := 0; i < burstWrites/burstWorkers; i++ {
				err := b.write()
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrReference), isValidation(err):
					refused.Add(1) // another worker deleted it first, or the edit no longer fits: refused whole
				default:
					writeErr <- err
					return
				}
				if i%burstLen == burstLen-1 {
					time.Sleep(time.Duration(b.rng.IntN(20)) * time.Millisecond)
				}
			}
		}(uint64(w))
	}
	wwg.Wait()
	writing := time.Since(t0)
	close(stop)
	rwg.Wait()
	close(writeErr)
	close(readErr)
	for err := range writeErr {
		t.Fatalf("write: %v", err)
	}
	for err := range readErr {
		t.Fatalf("tile read: %v", err)
	}
	if err := eagerErr.Load(); err != nil {
		t.Fatalf("tile read at publication: %v", *err)
	}

	cached := srv.Tiles.Tiles()
	stale := 0
	for k, tile := range cached {
		// A key of a viewer limited to one unit reads "layer@unit:N": the fresh build gets the same limit.
		layer, scope, _ := strings.Cut(k.Layer, "@")
		var only *int64
		if id, ok := strings.CutPrefix(scope, "unit:"); ok {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				t.Fatalf("tile key %s: %v", k, err)
			}
			only = &n
		}
		fresh, err := st.Tile(ctx, store.TileLayerByName(layer), maptile.New(k.X, k.Y, maptile.Zoom(k.Z)), only)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(tile.Data, fresh) {
			stale++
			if stale <= 5 {
				t.Errorf("tile %s is stale: cached %d bytes, fresh build %d bytes; %s", k, len(tile.Data), len(fresh), tileDiff(tile.Data, fresh))
			}
		}
	}
	stats := srv.Tiles.Stats()
	t.Logf("burst: %d writes (%d done, %d refused) by %d goroutines in %v; %d tile reads; %d cached tiles compared, %d stale; "+
		"cache hits %d, misses %d, invalidated %d; setup %v, total %v",
		burstWrites, ok.Load(), refused.Load(), burstWorkers, writing.Round(time.Millisecond), reads.Load(), len(cached), stale,
		stats.Hits, stats.Misses, stats.Invalidated, setup.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if stale > 0 {
		t.Fatalf("%d of %d cached tiles differ from a fresh build", stale, len(cached))
	}
	// The test proves something only if the cache was busy: tiles held, hit, and forgotten by writes.
	if len(cached) < 10 || stats.Hits == 0 || stats.Invalidated == 0 || ok.Load() < burstWrites*3/4 {
		t.Fatalf("too little happened to tell: %d cached tiles, %+v, %d of %d writes done", len(cached), stats, ok.Load(), burstWrites)
	}
}

// burstTown is what the workers write to, shared between them.
type burstTown struct {
	units []int64

	mu          sync.Mutex
	roads       []store.Asset // roads and alleys, as last written
	zones       []int64
	assignments []int64
}

func (b *burstTown) pick(ids []int64, rng *rand.Rand) (int64, bool) {
	if len(ids) == 0 {
		return 0, false
	}
	return ids[rng.IntN(len(ids))], true
}

// newBurstTown loads the grid, four units and a lead zone per quadrant (overlapping in the middle).
func newBurstTown(t *testing.T, ctx context.Context, svc *service.Service) *burstTown {
	t.Helper()
	town := &burstTown{}
	for i := 0; i < 4; i++ {
		u, err := svc.CreateUnit(ctx, store.Actor{}, store.Unit{Code: fmt.Sprintf("B%d", i), Name: fmt.Sprintf("单位%d", i), Kind: "department"})
		if err != nil {
			t.Fatal(err)
		}
		town.units = append(town.units, u.ID)
	}
	var as []store.Asset
	for r := 0; r < gridRows; r++ {
		for b := 0; b < gridBlocks; b++ {
			x, y := gridLon+float64(b)*blockLon, gridLat+float64(r)*blockLat
			as = append(as, store.Asset{Kind: "road", Name: fmt.Sprintf("路%d-%d", r, b),
				Geom: orb.LineString{{x, y}, {x + blockLon/2, y + blockLat/15}, {x + blockLon, y}}})
		}
	}
	for c := 0; c < gridBlocks; c++ {
		for r := 0; r < gridRows-1; r++ {
			x, y := gridLon+float64(c)*blockLon+blockLon/3, gridLat+float64(r)*blockLat+blockLat/8
			as = append(as, store.Asset{Kind: "alley", Name: fmt.Sprintf("巷%d-%d", c, r),
				Geom: orb.LineString{{x, y}, {x, y + blockLat*0.7}}})
		}
	}
	created, err := svc.CreateAssets(ctx, store.Actor{}, as, true)
	if err != nil {
		t.Fatal(err)
	}
	town.roads = created
	// A 5 × 5 patchwork of lead zones, each a little larger than its share so that neighbours overlap;
	// small enough that one edit locks a dozen or two assets, not the town.
	w, h := gridBlocks*blockLon/5, gridRows*blockLat/5
	for i := 0; i < 25; i++ {
		x, y := gridLon+float64(i%5)*w, gridLat+float64(i/5)*h
		z, err := svc.CreateZone(ctx, store.Actor{}, store.Zone{Name: fmt.Sprintf("片区%d", i), UnitID: town.units[i%4], Role: "lead",
			Geom: rect(x-blockLon/4, y-blockLat/4, w*1.1, h*1.1)})
		if err != nil {
			t.Fatal(err)
		}
		town.zones = append(town.zones, z.ID)
	}
	return town
}

func rect(x, y, w, h float64) orb.Polygon {
	return orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
}

// burstTiles lists the tiles of the burst layers over the grid at zooms 14–16.
func burstTiles() []tilecache.Key {
	b := orb.Bound{Min: orb.Point{gridLon, gridLat}, Max: orb.Point{gridLon + gridBlocks*blockLon, gridLat + gridRows*blockLat}}
	var out []tilecache.Key
	for z := maptile.Zoom(14); z <= 16; z++ {
		lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				for _, l := range burstLayers {
					out = append(out, tilecache.Key{Layer: l, Z: uint32(z), X: x, Y: y})
				}
			}
		}
	}
	return out
}

// burster is one writing goroutine.
type burster struct {
	ctx     context.Context
	svc     *service.Service
	reports *service.Reports
	town    *burstTown
	cats    []store.Category
	who     service.Who
	rng     *rand.Rand
}

// somewhere returns a random point of the grid (a little beyond it too).
func (b *burster) somewhere() (float64, float64) {
	return gridLon - blockLon + b.rng.Float64()*(gridBlocks+2)*blockLon, gridLat - blockLat + b.rng.Float64()*(gridRows+2)*blockLat
}

// write makes one random write, in the proportions of a busy planning office plus the public's reports.
func (b *burster) write() error {
	ctx, t, a := b.ctx, b.town, store.Actor{Name: "burst"}
	switch n := b.rng.IntN(100); {
	case n < 25: // move a zone
		t.mu.Lock()
		id, ok := t.pick(t.zones, b.rng)
		t.mu.Unlock()
		if !ok {
			return nil
		}
		z, err := b.svc.Store.Zone(ctx, id)
		if err != nil {
			return err
		}
		dx, dy := (b.rng.Float64()-0.5)*blockLon/2, (b.rng.Float64()-0.5)*blockLat/2
		z.Geom = shift(z.Geom, dx, dy)
		_, err = b.svc.UpdateZone(ctx, a, z)
		return err
	case n < 35: // draw a zone
		x, y := b.somewhere()
		role := "lead"
		if b.rng.IntN(4) == 0 {
			role = "support"
		}
		z, err := b.svc.CreateZone(ctx, a, store.Zone{Name: "新片区", UnitID: t.units[b.rng.IntN(len(t.units))], Role: role,
			Geom: rect(x, y, blockLon*(0.3+0.7*b.rng.Float64()), blockLat*(0.3+0.7*b.rng.Float64()))})
		if err == nil {
			t.mu.Lock()
			t.zones = append(t.zones, z.ID)
			t.mu.Unlock()
		}
		return err
	case n < 43: // delete a zone
		t.mu.Lock()
		if len(t.zones) <= 25 {
			t.mu.Unlock()
			return nil
		}
		i := b.rng.IntN(len(t.zones))
		id := t.zones[i]
		t.zones = append(t.zones[:i:i], t.zones[i+1:]...)
		t.mu.Unlock()
		return b.svc.DeleteZone(ctx, a, id)
	case n < 63: // assignments: create, change or delete
		t.mu.Lock()
		road := t.roads[b.rng.IntN(len(t.roads))]
		id, have := t.pick(t.assignments, b.rng)
		t.mu.Unlock()
		from := b.rng.Float64() * road.LengthM * 0.5
		to := from + b.rng.Float64()*road.LengthM*0.4 + 1
		role := []string{"lead", "lead", "support"}[b.rng.IntN(3)]
		switch k := b.rng.IntN(3); {
		case k == 0 || !have:
			x, err := b.svc.CreateAssignment(ctx, a, store.Assignment{AssetID: road.ID, UnitID: t.units[b.rng.IntN(len(t.units))],
				Role: role, FromM: from, ToM: to, Person: "王师傅", Phone: "13800000000"})
			if err == nil {
				t.mu.Lock()
				t.assignments = append(t.assignments, x.ID)
				t.mu.Unlock()
			}
			return err
		case k == 1:
			x, err := b.svc.Store.Assignment(ctx, id)
			if err != nil {
				return err
			}
			x.FromM, x.ToM = 0, x.ToM*0.9+0.5
			_, err = b.svc.UpdateAssignment(ctx, a, x)
			return err
		default:
			t.mu.Lock()
			for i, x := range t.assignments {
				if x == id {
					t.assignments = append(t.assignments[:i:i], t.assignments[i+1:]...)
					break
				}
			}
			t.mu.Unlock()
			return b.svc.DeleteAssignment(ctx, a, id)
		}
	case n < 80: // edit an asset: rename it, or shift it along its parallel (same length, new place)
		t.mu.Lock()
		i := b.rng.IntN(len(t.roads))
		id := t.roads[i].ID
		t.mu.Unlock()
		as, err := b.svc.Store.Asset(ctx, id)
		if err != nil {
			return err
		}
		if b.rng.IntN(2) == 0 {
			as.Name = fmt.Sprintf("%s·%d", strings.Split(as.Name, "·")[0], b.rng.IntN(1000))
		} else {
			as.Geom = shift(as.Geom, (b.rng.Float64()-0.5)*blockLon/4, 0)
		}
		out, err := b.svc.UpdateAsset(ctx, a, as)
		if err == nil {
			t.mu.Lock()
			t.roads[i] = out
			t.mu.Unlock()
		}
		return err
	default: // the public files a report
		x, y := b.somewhere()
		p := orb.Point{x, y}
		c := b.cats[b.rng.IntN(len(b.cats))]
		_, err := b.reports.File(ctx, b.who, service.NewReport{Point: &p, Category: c.Code, Description: "burst"})
		return err
	}
}

// shift returns g moved by dx, dy degrees.
func shift(g orb.Geometry, dx, dy float64) orb.Geometry {
	return project.Geometry(orb.Clone(g), func(p orb.Point) orb.Point { return orb.Point{p[0] + dx, p[1] + dy} })
}

// tileDiff says how two builds of a tile differ: which features one has and the other lacks.
func tileDiff(a, b []byte) string {
	feats := func(data []byte) map[string]int {
		ls, err := mvt.Unmarshal(data)
		if err != nil {
			return map[string]int{"undecodable: " + err.Error(): 1}
		}
		out := map[string]int{}
		for _, l := range ls {
			for _, f := range l.Features {
				g, _ := json.Marshal(f.Geometry)
				p, _ := json.Marshal(f.Properties)
				out[fmt.Sprintf("%v %s %s", f.ID, p, g)]++
			}
		}
		return out
	}
	fa, fb := feats(a), feats(b)
	var only []string
	for k, n := range fa {
		if fb[k] != n {
			only = append(only, "cached only: "+k)
		}
	}
	for k, n := range fb {
		if fa[k] != n {
			only = append(only, "fresh only: "+k)
		}
	}
	if len(only) == 0 {
		return "the same features in another order"
	}
	if len(only) > 4 {
		only = append(only[:4], fmt.Sprintf("… %d more", len(only)-4))
	}
	return strings.Join(only, "; ")
}

func isValidation(err error) bool {
	var ve *service.ValidationError
	return errors.As(err, &ve)
}

func login(t *testing.T, base, user, pw string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	res, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 || out.Token == "" {
		t.Fatalf("login %s: %d %v", user, res.StatusCode, err)
	}
	return out.Token
}

// getTile fetches one tile over HTTP (which caches it).
func getTile(ctx context.Context, base, token string, k tilecache.Key) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, k.Layer, k.Z, k.X, k.Y), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Encoding", "identity") // the cache is the point here, not gzip
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET tile %s: %d", k, res.StatusCode)
	}
	return nil
}
