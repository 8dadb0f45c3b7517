// Package par runs loop iterations on all cores.
package par

import (
	"context"
	"runtime"
	"sync"
)

// For runs fn(0), …, fn(n−1) on GOMAXPROCS goroutines. If ctx is cancelled,
// the iterations not yet started are skipped and ctx's error is returned.
func For(ctx context.Context, n int, fn func(i int)) error {
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
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
