// Package par runs loop iterations on several goroutines.
package par

import (
	"context"
	"runtime"
	"sync"
)

// Workers returns the goroutines a loop told to use workers runs on:
// workers itself, or all cores (GOMAXPROCS) when workers ≤ 0.
func Workers(workers int) int {
	if workers <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return workers
}

// For runs fn(0), …, fn(n−1) on Workers(workers) goroutines. If ctx is
// cancelled, the iterations not yet started are skipped and ctx's error is
// returned.
func For(ctx context.Context, workers, n int, fn func(i int)) error {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(Workers(workers), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	var err error
	for i := 0; i < n; i++ {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return err
}
