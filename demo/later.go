package demo

import (
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"time"

	"everymeter/service"
	"everymeter/store"
)

// LaterResult says what Later did; zero counts mean that part was there already.
type LaterResult struct {
	Patrols  int     // tracks uploaded
	PatrolM  float64 // meters matched to the network
	Parts    int     // 部件 created
	Shops    int     // shops created
	Expired  int     // of their agreements, expired ones
	Rounds   int     // evaluation rounds created
	Results  int     // verdicts recorded
	Feedback int     // feedback rows filed as cases
}

// Later fills what the capabilities after the report loop added, through their services, each part skipped when
// it is there already: the inspectors' patrol tracks, the town's 部件 and shops with their 门前三包 agreements,
// a mock evaluation round and the provincial feedback list with their rectification ledger. One transaction.
func Later(ctx context.Context, svc *service.Service, dataDir string, now time.Time, out io.Writer) (LaterResult, error) {
	var res LaterResult
	err := svc.Store.WithTx(ctx, func(tx *store.Store) error {
		s := service.New(tx, svc.Coverage, svc.Log)
		l := &life{rng: mrand.New(mrand.NewPCG(seedHi, 0x1A7E)), now: now.UTC()}
		l.rep = service.NewReports(s.Store, service.CoverageLocator{Coverage: s.Coverage}, dataDir, svc.Log)
		l.rep.Now = func() time.Time { return l.clock }
		if err := l.people(ctx, s); err != nil {
			return err
		}
		if err := l.setup(ctx, tx); err != nil {
			return err
		}
		town := Generate()
		ps := service.NewPatrols(tx, svc.Log)
		var err error
		if res.Patrols, res.PatrolM, err = l.patrols(ctx, ps, town); err != nil {
			return err
		}
		if res.Parts, err = l.parts(ctx, s, town); err != nil {
			return err
		}
		if res.Shops, res.Expired, err = l.shops(ctx, s, town); err != nil {
			return err
		}
		ev := &service.Evaluation{Store: tx, Reports: l.rep, Now: func() time.Time { return l.clock }}
		if res.Rounds, res.Results, res.Feedback, err = l.evaluation(ctx, ev, town); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return LaterResult{}, err
	}
	if out != nil {
		if res.Patrols > 0 {
			fmt.Fprintf(out, "demo patrols: %d tracks, %.1f km matched to the network\n", res.Patrols, res.PatrolM/1000)
		}
		if res.Parts > 0 || res.Shops > 0 {
			fmt.Fprintf(out, "demo 部件 and shops: %d 部件, %d shops (%d agreements expired)\n", res.Parts, res.Shops, res.Expired)
		}
		if res.Rounds > 0 {
			fmt.Fprintf(out, "demo evaluation: %d mock round with %d verdicts, %d feedback rows filed as cases\n", res.Rounds, res.Results, res.Feedback)
		}
		if res == (LaterResult{}) {
			fmt.Fprintln(out, "demo patrols, 部件, shops and evaluation already there; left unchanged")
		}
	}
	return res, nil
}
