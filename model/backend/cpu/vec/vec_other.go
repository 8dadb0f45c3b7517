//go:build !amd64

package vec

const haveAVX = false

func vectorsAVX(Op, *float32, *float32, *float32, int)     { panic("vec: no assembly") }
func vectorScalarAVX(Op, *float32, *float32, float32, int) { panic("vec: no assembly") }
func scalarVectorAVX(Op, *float32, float32, *float32, int) { panic("vec: no assembly") }

func maskAVX(Pred, *float32, *float32, *float32, int, bool) { panic("vec: no assembly") }
