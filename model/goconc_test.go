package model

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ncae-repro/ncae/model/backend"
	"github.com/ncae-repro/ncae/protocol"
)

// TestGoBackendConcurrentRuns trains on the SimpleGo reference backend from
// several goroutines at once, sharing one backend as a sweep with jobs > 1
// does: with its ops run sequentially, SimpleGo's worker pool (one slot per
// core) serves the matrix products of both without deadlock.
func TestGoBackendConcurrentRuns(t *testing.T) {
	pool := &backend.Pool{}
	defer pool.Close()
	train, _ := synthetic(96, 8, 1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ae := smallAE()
			ae.Epochs = 1
			var d interface {
				Fit(context.Context, protocol.Samples) error
			}
			var err error
			if i%2 == 0 {
				d, err = NewCAE(&CAEParams{ae}, Env{Dataset: "mnist", Seed: uint64(i), Backend: "go", Backends: pool})
			} else {
				p := DefaultNCAEParams()
				p.AEParams = ae
				d, err = NewNCAE(p, Env{Dataset: "mnist", Seed: uint64(i), Backend: "go", Backends: pool})
			}
			if err == nil {
				err = d.Fit(context.Background(), train)
			}
			errs[i] = err
		}()
	}
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("three concurrent trainings on the go backend did not finish in 5 minutes: deadlock?")
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
	}
}
