package store

// Index is the runs of one or more runs.csv files merged, and the one
// place that says which row of a run counts: the last final row of its key
// (ok or diverged) — but never a Dirty row over a clean one, in whatever
// order the files come — or its last row when none is final. A final row found
// in two files with the same finish time and commit (a Slurm shard holding
// a copy of a run the results folder has) is one run, kept once.
type Index struct {
	rows   []Row
	latest map[Key]int // index in rows of the row that counts
	order  []Key       // keys in the order they first appear
}

// NewIndex merges the row lists in order.
func NewIndex(lists ...[]Row) *Index {
	ix := &Index{latest: map[Key]int{}}
	type runID struct {
		key              Key
		finished, commit string
	}
	seen := map[runID]bool{}
	for _, rows := range lists {
		for _, r := range rows {
			if r.Final() {
				id := runID{r.Key(), r.FinishedAt, r.GitCommit}
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			ix.rows = append(ix.rows, r)
			k := r.Key()
			i, ok := ix.latest[k]
			switch {
			case !ok:
				ix.order = append(ix.order, k)
				ix.latest[k] = len(ix.rows) - 1
			case !ix.rows[i].Final() || (r.Final() && !(r.Dirty() && !ix.rows[i].Dirty())):
				ix.latest[k] = len(ix.rows) - 1
			}
		}
	}
	return ix
}

// Rows returns every merged row, in file order.
func (ix *Index) Rows() []Row { return ix.rows }

// Latest returns the row that counts for every key, in the order the keys
// first appear.
func (ix *Index) Latest() []Row {
	out := make([]Row, len(ix.order))
	for i, k := range ix.order {
		out[i] = ix.rows[ix.latest[k]]
	}
	return out
}

// Get returns the row that counts for key.
func (ix *Index) Get(key Key) (Row, bool) {
	i, ok := ix.latest[key]
	if !ok {
		return Row{}, false
	}
	return ix.rows[i], true
}

// Finished returns the keys with a final row, and that row.
func (ix *Index) Finished() map[Key]Row {
	done := map[Key]Row{}
	for k, i := range ix.latest {
		if r := ix.rows[i]; r.Final() {
			done[k] = r
		}
	}
	return done
}
