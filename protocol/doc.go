// Package protocol is Deep SAD's unsupervised contamination protocol as the
// NCAE paper uses it: which images form an experiment's training and test
// sets, how each experiment's seeds follow from its key, the experiment grid,
// and the small interface every detector (shallow baseline or deep model)
// implements to be evaluated under it.
//
// One class c of a data set is normal. The training set holds every training
// image of c plus n_a = ⌊ρ/(1−ρ)·n_c⌋ images drawn without replacement from
// the nine other classes (mode "pooled") or from one anomaly class a (mode
// "single"), so that ρ is the anomaly fraction. The test set is the official
// test split, with label 1 (anomaly) for every class but c. Labels are never
// shown to a detector's Fit.
package protocol
