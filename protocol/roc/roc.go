// Package roc computes the area under the ROC curve exactly, and the
// average precision (the area under the precision–recall curve as
// scikit-learn's average_precision_score defines it).
package roc

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrOneClass is returned when the labels contain only one class, for which
// the AUC is undefined.
var ErrOneClass = errors.New("AUC needs at least one positive and one negative sample")

// AUC returns the area under the ROC curve of scores against labels, where
// positive[i] marks an anomaly and a higher score means more anomalous.
//
// It is the Mann–Whitney U statistic normalised by n₊·n₋: the probability
// that a random positive scores above a random negative, counting ties as
// one half (mid-ranks). It equals scikit-learn's roc_auc_score.
func AUC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("roc: %d scores for %d labels", len(scores), len(positive))
	}
	var nPos, nNeg int
	for i, s := range scores {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("roc: score %d is NaN", i)
		}
		if positive[i] {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		return 0, fmt.Errorf("roc: %w (got %d positive, %d negative)", ErrOneClass, nPos, nNeg)
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] < scores[order[b]] })

	// Sum of the (1-based, tie-averaged) ranks of the positives, doubled to
	// stay in integers until the end.
	var rankSum2 int64
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		// Ranks lo+1..hi share the mid-rank (lo+1+hi)/2.
		mid2 := int64(lo + 1 + hi)
		for _, i := range order[lo:hi] {
			if positive[i] {
				rankSum2 += mid2
			}
		}
		lo = hi
	}
	u2 := rankSum2 - int64(nPos)*int64(nPos+1)
	return float64(u2) / (2 * float64(nPos) * float64(nNeg)), nil
}

// AveragePrecision returns the average precision of scores against labels
// (positive[i] marks an anomaly, a higher score is more anomalous):
// Σₙ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds from the highest
// down, where Pₙ and Rₙ are the precision and recall of flagging every
// sample scoring at least the n-th threshold. Tied scores enter together.
// It equals scikit-learn's average_precision_score; unlike the AUC it
// depends on the share of anomalies in the test set (a random detector
// scores that share).
func AveragePrecision(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("roc: %d scores for %d labels", len(scores), len(positive))
	}
	var nPos int
	for i, s := range scores {
		if math.IsNaN(s) {
			return 0, fmt.Errorf("roc: score %d is NaN", i)
		}
		if positive[i] {
			nPos++
		}
	}
	if nPos == 0 || nPos == len(scores) {
		return 0, fmt.Errorf("roc: %w (got %d positive, %d negative)", ErrOneClass, nPos, len(scores)-nPos)
	}
	order := make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	var ap float64
	var tp, flagged int
	for lo := 0; lo < len(order); {
		hi := lo + 1
		for hi < len(order) && scores[order[hi]] == scores[order[lo]] {
			hi++
		}
		newTP := 0
		for _, i := range order[lo:hi] {
			if positive[i] {
				newTP++
			}
		}
		tp, flagged = tp+newTP, flagged+hi-lo
		ap += float64(newTP) / float64(nPos) * float64(tp) / float64(flagged)
		lo = hi
	}
	return ap, nil
}
