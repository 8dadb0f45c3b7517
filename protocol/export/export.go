// Package export writes one experiment of the protocol as files a detector
// in any language can read: the training and test images as float32 .npy
// arrays with pixels in [0, 1], and experiment.json with the key and a seed
// for the detector's own randomness. Labels are written only when asked
// for (test labels and the labelled hold-out); the training labels never.
package export

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/ncae-repro/ncae/internal/atomicfile"
	"github.com/ncae-repro/ncae/internal/npy"
	"github.com/ncae-repro/ncae/protocol"
)

// The files of an exported experiment.
const (
	TrainFile            = "train.npy"             // float32, n_train × dim, the training order
	TestFile             = "test.npy"              // float32, n_test × dim
	TestLabelsFile       = "test_labels.npy"       // uint8, n_test, 1 = anomaly (Options.TestLabels)
	ValidationFile       = "validation.npy"        // float32, k × dim: the labelled hold-out (Options.Validation)
	ValidationLabelsFile = "validation_labels.npy" // uint8, k, 1 = anomaly (Options.Validation)
	ValidationRowsFile   = "validation_rows.npy"   // int64, k: the hold-out's rows in the test set (Options.Validation)
	ExperimentFile       = "experiment.json"
)

// Options say which labelled files to write beside the unlabelled ones.
type Options struct {
	// TestLabels writes test_labels.npy (for offline development; a
	// detector under evaluation never gets it).
	TestLabels bool
	// Validation writes the labelled hold-out OC-SVM selects γ on: its
	// images and labels (rows of the test set, listed in experiment.json).
	Validation bool
}

// Info is experiment.json.
type Info struct {
	Dataset      string  `json:"dataset"`
	NormalClass  int     `json:"normal_class"`
	AnomalyClass int     `json:"anomaly_class"`
	Rho          float64 `json:"rho"`
	Seed         int     `json:"seed"`
	Key          string  `json:"key"`
	// DetectorSeed is a seed in [0, 2³¹) for the detector's own randomness,
	// derived from the key like our methods' seeds.
	DetectorSeed int64 `json:"detector_seed"`
	NTrain       int   `json:"n_train"`
	NTest        int   `json:"n_test"`
	Rows         int   `json:"rows"`
	Cols         int   `json:"cols"`
	// ExtraOutliers is protocol.Options.ExtraOutliers (omitted at 0).
	ExtraOutliers float64 `json:"extra_outliers,omitempty"`
	// Workers is the number of threads the run may use, its share of the
	// cores when the harness runs several at once (omitted: all cores).
	// Scores must not depend on it.
	Workers int `json:"workers,omitempty"`
}

// DetectorSeed is the seed handed to an outside detector for exp.
func DetectorSeed(k protocol.Key) int64 {
	return int64(protocol.DeriveSeed(k.MethodSeed(), "external") >> 33)
}

// Write writes exp, built with protocol options popt, into dir (created if
// missing), each file atomically.
func Write(dir string, exp *protocol.Experiment, popt protocol.Options, opt Options) error {
	f := Folder{Key: exp.Key, Train: exp.Train, Test: exp.Test, ExtraOutliers: popt.ExtraOutliers}
	if opt.TestLabels {
		f.TestIsAnomaly = exp.TestIsAnomaly
	}
	if opt.Validation {
		val := protocol.Labelled{Samples: exp.Test.Subset(exp.Validation), IsAnomaly: make([]bool, len(exp.Validation))}
		for i, row := range exp.Validation {
			val.IsAnomaly[i] = exp.TestIsAnomaly[row]
		}
		f.Validation, f.ValidationRows = &val, exp.Validation
	}
	return f.Write(dir)
}

// Folder is an experiment in parts, as a detector sees it: Write takes it
// from a whole protocol.Experiment, the external detector from what Fit and
// Score are handed.
type Folder struct {
	Key           protocol.Key
	Train, Test   protocol.Samples
	ExtraOutliers float64 // protocol.Options.ExtraOutliers, for experiment.json
	Workers       int     // threads the run may use, for experiment.json (0: all cores)
	// TestIsAnomaly, when not nil, is written as test_labels.npy.
	TestIsAnomaly []bool
	// Validation, when not nil, is written as validation.npy and
	// validation_labels.npy; ValidationRows, when not nil, as
	// validation_rows.npy.
	Validation     *protocol.Labelled
	ValidationRows []int
}

// Write writes the folder's files into dir (created if missing), each
// atomically.
func (f Folder) Write(dir string) error {
	info := Info{ExtraOutliers: f.ExtraOutliers, Workers: f.Workers, Dataset: f.Key.Dataset, NormalClass: f.Key.Normal, AnomalyClass: f.Key.Anomaly,
		Rho: f.Key.Rho, Seed: f.Key.Seed, Key: f.Key.String(), DetectorSeed: DetectorSeed(f.Key),
		NTrain: f.Train.N, NTest: f.Test.N, Rows: f.Train.Rows, Cols: f.Train.Cols}
	files := map[string]npy.Array{
		TrainFile: npy.Float32s(f.Train.Float32(), f.Train.N, f.Train.Dim()),
		TestFile:  npy.Float32s(f.Test.Float32(), f.Test.N, f.Test.Dim()),
	}
	if f.TestIsAnomaly != nil {
		if len(f.TestIsAnomaly) != f.Test.N {
			return fmt.Errorf("export: %d test labels for %d test images", len(f.TestIsAnomaly), f.Test.N)
		}
		files[TestLabelsFile] = npy.Uint8s(flags(f.TestIsAnomaly), f.Test.N)
	}
	if v := f.Validation; v != nil {
		if len(v.IsAnomaly) != v.N {
			return fmt.Errorf("export: %d hold-out labels for %d hold-out images", len(v.IsAnomaly), v.N)
		}
		files[ValidationFile] = npy.Float32s(v.Float32(), v.N, v.Dim())
		files[ValidationLabelsFile] = npy.Uint8s(flags(v.IsAnomaly), v.N)
	}
	if f.ValidationRows != nil {
		files[ValidationRowsFile] = npy.Int64s(f.ValidationRows, len(f.ValidationRows))
	}
	for name, a := range files {
		if err := npy.Write(filepath.Join(dir, name), a); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ExperimentFile), append(b, '\n'), 0o644)
}

func flags(v []bool) []byte {
	out := make([]byte, len(v))
	for i, b := range v {
		if b {
			out[i] = 1
		}
	}
	return out
}
