package store

import (
	"math"
	"testing"
)

// TestIndex: per key the last final row counts (else the last row); a
// final row repeated in a second file with the same finish time is one run;
// keys keep their first order.
func TestIndex(t *testing.T) {
	at := func(normal int, status Status, finished string, auc float64) Row {
		r := row(normal, status)
		r.FinishedAt, r.AUC = finished, auc
		return r
	}
	results := []Row{
		at(0, Failed, "t1", math.NaN()),
		at(0, OK, "t2", 0.7),
		at(1, Failed, "t3", math.NaN()),
	}
	shard := []Row{
		at(0, OK, "t2", 0.7), // a copy of the results folder's run
		at(2, OK, "t4", 0.9),
		at(1, Failed, "t5", math.NaN()),
	}
	ix := NewIndex(results, shard)
	if n := len(ix.Rows()); n != 5 {
		t.Errorf("%d merged rows, want 5 (the copy dropped)", n)
	}
	latest := ix.Latest()
	if len(latest) != 3 || latest[0].NormalClass != 0 || latest[1].NormalClass != 1 || latest[2].NormalClass != 2 {
		t.Fatalf("latest %+v", latest)
	}
	if latest[0].Status != OK || latest[1].FinishedAt != "t5" {
		t.Errorf("class 0: %s (want the ok row), class 1: %s (want the last failure)", latest[0].Status, latest[1].FinishedAt)
	}
	done := ix.Finished()
	if len(done) != 2 {
		t.Errorf("finished %v, want classes 0 and 2", done)
	}
	if r, ok := ix.Get(at(2, OK, "", 0).Key()); !ok || r.AUC != 0.9 {
		t.Errorf("Get class 2: %+v, %v", r, ok)
	}
	if _, ok := ix.Get(at(7, OK, "", 0).Key()); ok {
		t.Error("Get of an unknown key succeeded")
	}
}

// TestIndexCleanOverDirty: whichever file comes first, a clean final row
// counts over a dirty one; between two of a kind the later counts.
func TestIndexCleanOverDirty(t *testing.T) {
	mk := func(commit, finished string, auc float64) Row {
		r := row(0, OK)
		r.GitCommit, r.FinishedAt, r.AUC = commit, finished, auc
		return r
	}
	failed := func(r Row) Row { r.Status = Failed; return r }
	clean, dirty := mk("c1", "t2", 0.8), mk("d1-dirty", "t1", 0.7)
	tests := []struct {
		name  string
		lists [][]Row
		want  Row
	}{
		{"dirty then clean", [][]Row{{dirty}, {clean}}, clean},
		{"clean then dirty (a shard's dirty copy merged last)", [][]Row{{clean}, {dirty}}, clean},
		{"clean, failed clean, then dirty", [][]Row{{clean, failed(mk("c2", "t3", math.NaN()))}, {dirty}}, clean},
		{"two clean", [][]Row{{clean}, {mk("c2", "t3", 0.85)}}, mk("c2", "t3", 0.85)},
		{"two dirty", [][]Row{{dirty}, {mk("d2-dirty", "t3", 0.6)}}, mk("d2-dirty", "t3", 0.6)},
		{"dirty, then a failed clean", [][]Row{{dirty}, {failed(mk("c2", "t3", math.NaN()))}}, dirty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := NewIndex(tt.lists...).Get(clean.Key())
			if got.GitCommit != tt.want.GitCommit || got.FinishedAt != tt.want.FinishedAt {
				t.Errorf("counting row from %s at %s, want %s at %s", got.GitCommit, got.FinishedAt, tt.want.GitCommit, tt.want.FinishedAt)
			}
		})
	}
}
