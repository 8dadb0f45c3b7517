package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	tests := []struct {
		in   []int
		want string
	}{
		{[]int{1}, "1"}, {[]int{1, 2, 3}, "1-3"}, {[]int{1, 2, 3, 5, 7, 8}, "1-3,5,7-8"}, {[]int{2, 4}, "2,4"},
	}
	for _, tc := range tests {
		if got := list(tc.in); got != tc.want {
			t.Errorf("list(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	good := Options{CPUsPerTask: 1}
	bad := []Options{
		{CPUsPerTask: 0},
		{CPUsPerTask: 1, GPUs: -1},
		{CPUsPerTask: 1, Partition: "gpu; rm -rf /"},
		{CPUsPerTask: 1, Time: "1 day"},
		{CPUsPerTask: 1, Extra: []string{"mem=8G"}},
		{CPUsPerTask: 1, Extra: []string{"--mem=8G\n#SBATCH --x"}},
	}
	if err := good.Validate(); err != nil {
		t.Errorf("%+v: %v", good, err)
	}
	for _, o := range bad {
		if o.Validate() == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// TestScriptsAreValidBash checks the scripts with bash -n, with a folder
// whose name needs quoting.
func TestScriptsAreValidBash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sweep")
	s := Sweep{Dir: dir, Binary: filepath.Join(dir, "bin", "experiments"), Args: []string{"--preset", "paper"},
		Shards: 10, Tasks: []int{1, 2, 3, 7}, MergeOut: []string{"--results-dir", "/r s"}}
	o := Options{CPUsPerTask: 4, GPUs: 1, Partition: "gpu", Time: "2:00:00", Extra: []string{"--mem=8G"}, JobName: "ncae-paper"}
	for name, text := range map[string]string{"array": ArrayScript(s, o), "merge": MergeScript(s, o)} {
		p := filepath.Join(t.TempDir(), name+".sh")
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("bash", "-n", p).CombinedOutput(); err != nil {
			t.Errorf("%s script is not valid bash: %v\n%s\n%s", name, err, out, text)
		}
	}
	array := ArrayScript(s, o)
	for _, want := range []string{"#SBATCH --array=1-3,7", "#SBATCH --gpus=1", "#SBATCH --mem=8G", `--shard "${SLURM_ARRAY_TASK_ID}"/10`,
		"--jobs 4", dir + `/shard-"${SLURM_ARRAY_TASK_ID}"`} {
		if !strings.Contains(array, want) {
			t.Errorf("array script lacks %q:\n%s", want, array)
		}
	}
	if merge := MergeScript(s, o); !strings.Contains(merge, "report --preset paper --results-dir '/r s'") {
		t.Errorf("merge script:\n%s", merge)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"a b", "x/${SLURM_ARRAY_TASK_ID}/y z", "${SLURM_ARRAY_TASK_ID}", "plain"})
	want := `'a b' x/"${SLURM_ARRAY_TASK_ID}"'/y z' "${SLURM_ARRAY_TASK_ID}" plain`
	if got != want {
		t.Errorf("shellJoin = %s, want %s", got, want)
	}
	out, err := exec.Command("bash", "-c", "SLURM_ARRAY_TASK_ID=7; printf '%s|' "+got).Output()
	if err != nil || string(out) != "a b|x/7/y z|7|plain|" {
		t.Errorf("bash expanded %s to %q (%v)", got, out, err)
	}
}

func TestCheckDir(t *testing.T) {
	if err := CheckDir("/scratch/me/ncae-sweep_1"); err != nil {
		t.Error(err)
	}
	for _, d := range []string{"/a b", "/it's", "/x%a", "/$HOME"} {
		if CheckDir(d) == nil {
			t.Errorf("CheckDir(%q) accepted", d)
		}
	}
}
