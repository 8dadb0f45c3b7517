// Package baselines is the home of the shallow detectors of Table 1, written
// in Go after Deep SAD's recipes and run on the raw 784 pixels in [0, 1]:
//
//   - iforest: isolation forest (Liu et al. 2008), 100 trees, sub-sample 256;
//   - ocsvm: one-class SVM (Schölkopf et al. 2001), RBF kernel, ν = 0.1, an
//     SMO solver after libsvm, γ chosen on a labelled hold-out of the test set;
//   - kde: Gaussian kernel density, bandwidth by 5-fold cross-validation.
//
// Each sub-package implements protocol.Detector; experiments/registry wires
// them to the harness. experiments/crosscheck compares them with scikit-learn.
package baselines
