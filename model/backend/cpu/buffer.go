package cpu

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Buffer is a tensor in host memory: flat is a slice of the shape's Go type
// ([]float32, []bool, …) with exactly shape.Size() elements.
type Buffer struct {
	shape shapes.Shape
	flat  any
	valid bool
}

// pool recycles the flat slices of finalised and dead buffers, by type and
// length.
type pool struct {
	mu   sync.Mutex
	free map[poolKey][]any
}

type poolKey struct {
	dt dtypes.DType
	n  int
}

// maxPooled is the number of free slices kept per type and length.
const maxPooled = 32

func (p *pool) get(dt dtypes.DType, n int) any {
	p.mu.Lock()
	l := p.free[poolKey{dt, n}]
	if len(l) > 0 {
		flat := l[len(l)-1]
		p.free[poolKey{dt, n}] = l[:len(l)-1]
		p.mu.Unlock()
		return flat
	}
	p.mu.Unlock()
	return makeFlat(dt, n)
}

func (p *pool) put(dt dtypes.DType, flat any) {
	n := flatLen(flat)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[poolKey][]any{}
	}
	k := poolKey{dt, n}
	if len(p.free[k]) < maxPooled {
		p.free[k] = append(p.free[k], flat)
	}
}

func (p *pool) clear() {
	p.mu.Lock()
	p.free = nil
	p.mu.Unlock()
}

func makeFlat(dt dtypes.DType, n int) any {
	switch dt {
	case dtypes.Float32:
		return make([]float32, n)
	case dtypes.Float64:
		return make([]float64, n)
	case dtypes.Int32:
		return make([]int32, n)
	case dtypes.Int64:
		return make([]int64, n)
	case dtypes.Uint8:
		return make([]uint8, n)
	case dtypes.Bool:
		return make([]bool, n)
	}
	panic(fmt.Sprintf("cpu backend: makeFlat(%s): unsupported data type", dt)) // checked at graph build
}

func flatLen(flat any) int {
	switch f := flat.(type) {
	case []float32:
		return len(f)
	case []float64:
		return len(f)
	case []int32:
		return len(f)
	case []int64:
		return len(f)
	case []uint8:
		return len(f)
	case []bool:
		return len(f)
	}
	panic(fmt.Sprintf("cpu backend: flat of type %T", flat))
}

// raw views the elements of a flat slice as unsigned integers of their size
// (uint8, uint32 or uint64), for operations that only move data.
func raw[T uint8 | uint32 | uint64](flat any) []T {
	var p unsafe.Pointer
	var n int
	switch f := flat.(type) {
	case []float32:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	case []float64:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	case []int32:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	case []int64:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	case []uint8:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	case []bool:
		p, n = unsafe.Pointer(unsafe.SliceData(f)), len(f)
	}
	return unsafe.Slice((*T)(p), n)
}

// newBuffer returns a buffer of shape whose contents are undefined.
func (b *Backend) newBuffer(shape shapes.Shape) *Buffer {
	return &Buffer{shape: shape, flat: b.pool.get(shape.DType, shape.Size()), valid: true}
}

func (b *Backend) buffer(buf backends.Buffer) (*Buffer, error) {
	x, ok := buf.(*Buffer)
	if !ok || x == nil {
		return nil, fmt.Errorf("cpu backend: buffer of type %T is not this backend's", buf)
	}
	if !x.valid {
		return nil, fmt.Errorf("cpu backend: buffer %s was finalized or donated", x.shape)
	}
	return x, nil
}

// BufferFinalize returns the buffer's memory to the pool.
func (b *Backend) BufferFinalize(buf backends.Buffer) error {
	x, ok := buf.(*Buffer)
	if !ok || x == nil || !x.valid {
		return nil
	}
	x.valid = false
	b.pool.put(x.shape.DType, x.flat)
	x.flat = nil
	return nil
}

// BufferShape implements backends.DataInterface.
func (b *Backend) BufferShape(buf backends.Buffer) (shapes.Shape, error) {
	x, err := b.buffer(buf)
	if err != nil {
		return shapes.Invalid(), err
	}
	return x.shape, nil
}

// BufferDeviceNum implements backends.DataInterface.
func (b *Backend) BufferDeviceNum(buf backends.Buffer) (backends.DeviceNum, error) {
	_, err := b.buffer(buf)
	return 0, err
}

// BufferToFlatData copies the buffer into flat.
func (b *Backend) BufferToFlatData(buf backends.Buffer, flat any) error {
	x, err := b.buffer(buf)
	if err != nil {
		return err
	}
	if err := sameFlat(x.shape, flat); err != nil {
		return err
	}
	copyFlat(flat, x.flat)
	return nil
}

// BufferFromFlatData copies flat into a new buffer of shape.
func (b *Backend) BufferFromFlatData(_ backends.DeviceNum, flat any, shape shapes.Shape) (backends.Buffer, error) {
	if err := checkDType(shape.DType); err != nil {
		return nil, err
	}
	if err := sameFlat(shape, flat); err != nil {
		return nil, err
	}
	x := b.newBuffer(shape)
	copyFlat(x.flat, flat)
	return x, nil
}

// HasSharedBuffers reports that buffers live in host memory.
func (b *Backend) HasSharedBuffers() bool { return true }

// NewSharedBuffer returns a buffer and its flat slice, which the caller may
// read and write while no execution uses the buffer.
func (b *Backend) NewSharedBuffer(_ backends.DeviceNum, shape shapes.Shape) (backends.Buffer, any, error) {
	if err := checkDType(shape.DType); err != nil {
		return nil, nil, err
	}
	x := &Buffer{shape: shape, flat: makeFlat(shape.DType, shape.Size()), valid: true}
	return x, x.flat, nil
}

// BufferData returns the buffer's flat slice.
func (b *Backend) BufferData(buf backends.Buffer) (any, error) {
	x, err := b.buffer(buf)
	if err != nil {
		return nil, err
	}
	return x.flat, nil
}

// BufferCopyToDevice fails: there is one device.
func (b *Backend) BufferCopyToDevice(backends.Buffer, backends.DeviceNum) (backends.Buffer, error) {
	return nil, fmt.Errorf("cpu backend: one device only, nothing to copy to")
}

func sameFlat(shape shapes.Shape, flat any) error {
	want := makeFlatType(shape.DType)
	if fmt.Sprintf("%T", flat) != want {
		return fmt.Errorf("cpu backend: flat data of type %T for a buffer of %s (want %s)", flat, shape, want)
	}
	if n := flatLen(flat); n != shape.Size() {
		return fmt.Errorf("cpu backend: flat data of %d elements for a buffer of %s (%d elements)", n, shape, shape.Size())
	}
	return nil
}

func makeFlatType(dt dtypes.DType) string {
	switch dt {
	case dtypes.Float32:
		return "[]float32"
	case dtypes.Float64:
		return "[]float64"
	case dtypes.Int32:
		return "[]int32"
	case dtypes.Int64:
		return "[]int64"
	case dtypes.Uint8:
		return "[]uint8"
	case dtypes.Bool:
		return "[]bool"
	}
	return "unsupported " + dt.String()
}

// copyFlat copies src to dst, slices of the same type and length.
func copyFlat(dst, src any) {
	switch elemSize(src) {
	case 1:
		copy(raw[uint8](dst), raw[uint8](src))
	case 4:
		copy(raw[uint32](dst), raw[uint32](src))
	default:
		copy(raw[uint64](dst), raw[uint64](src))
	}
}

func elemSize(flat any) int {
	switch flat.(type) {
	case []uint8, []bool:
		return 1
	case []float32, []int32:
		return 4
	}
	return 8
}
