package main

import "testing"

func TestParseSklearnLine(t *testing.T) {
	good := []string{
		`{"method": "ocsvm", "auc": 0.91, "seconds": 3.5, "gamma": 0.0078125, "val_auc": [0.8, 0.9], "n_sv": 600}`,
		`{"method": "iforest", "auc": 0.85, "seconds": 0.4, "auc_std": 0.01}`,
		`{"method": "kde", "auc": 0.9, "seconds": 9, "bandwidth": 5.66, "cv_loglik": [-1.5, -2]}`,
	}
	for _, line := range good {
		if _, _, err := parseSklearnLine(line, 10); err != nil {
			t.Errorf("%s: %v", line, err)
		}
	}
	bad := []string{
		`{"method": "ocsvm", "auc": "0.91", "seconds": 3.5}`, // a string where a number belongs
		`{"method": "ocsvm", "seconds": 3.5}`,                // no AUC
		`{"auc": 0.9, "seconds": 1}`,                         // no method
		`{"method": "kde", "auc": 0.9, "seconds": 9, "bandwidth": "wide"}`,
		`not json`,
	}
	for _, line := range bad {
		if _, _, err := parseSklearnLine(line, 10); err == nil {
			t.Errorf("%s accepted", line)
		}
	}
}
