// The masks of mask.go: one routine per comparison and form, from the two
// macros below with the predicate as VCMPPS's immediate — AVX's ordered,
// quiet comparisons for ==, <, <=, >, >= (false with a NaN) and the
// unordered one for != (true with a NaN), as Go compares. Each compares 8
// elements at a time and ANDs the all-ones lanes with 1.0, then finishes
// one element at a time.

#include "textflag.h"

// MASK(pred, b8, b1, bstep, bstep1) is the body after the arguments are
// loaded (out DI, a SI, b DX, n CX): b8 and b1 are the 8-wide and 1-wide
// right operands, bstep and bstep1 advance DX past them (or nothing).
#define MASK(pred, b8, b1, bstep, bstep1) \
	MOVL         $0x3f800000, AX; \
	MOVL         AX, X14; \
	VBROADCASTSS X14, Y14; \
loop8: \
	CMPQ         CX, $8; \
	JL           tail; \
	VMOVUPS      (SI), Y0; \
	VCMPPS       pred, b8, Y0, Y1; \
	VANDPS       Y14, Y1, Y1; \
	VMOVUPS      Y1, (DI); \
	ADDQ         $32, SI; \
	bstep; \
	ADDQ         $32, DI; \
	SUBQ         $8, CX; \
	JMP          loop8; \
tail: \
	CMPQ         CX, $0; \
	JE           done; \
	VMOVSS       (SI), X0; \
	VCMPSS       pred, b1, X0, X1; \
	VANDPS       X14, X1, X1; \
	VMOVSS       X1, (DI); \
	ADDQ         $4, SI; \
	bstep1; \
	ADDQ         $4, DI; \
	DECQ         CX; \
	JMP          tail; \
done: \
	VZEROUPPER; \
	RET

#define ARGS \
	MOVQ out+0(FP), DI; MOVQ a+8(FP), SI; MOVQ b+16(FP), DX; MOVQ n+24(FP), CX

#define STEP8 ADDQ $32, DX
#define STEP1 ADDQ $4, DX
#define STAY MOVQ DX, DX

// the vector-vector form: b an array
#define MASK_VV(pred) ARGS; MASK(pred, (DX), (DX), STEP8, STEP1)

// the vector-scalar form: b points at the scalar, broadcast into Y13
#define MASK_VS(pred) ARGS; VBROADCASTSS (DX), Y13; MASK(pred, Y13, X13, STAY, STAY)

// func maskEqualVV(out, a, b *float32, n int)
TEXT ·maskEqualVV(SB), NOSPLIT, $0-32
	MASK_VV($0x00)

// func maskEqualVS(out, a, b *float32, n int)
TEXT ·maskEqualVS(SB), NOSPLIT, $0-32
	MASK_VS($0x00)

// func maskNotEqualVV(out, a, b *float32, n int)
TEXT ·maskNotEqualVV(SB), NOSPLIT, $0-32
	MASK_VV($0x04)

// func maskNotEqualVS(out, a, b *float32, n int)
TEXT ·maskNotEqualVS(SB), NOSPLIT, $0-32
	MASK_VS($0x04)

// func maskLessVV(out, a, b *float32, n int)
TEXT ·maskLessVV(SB), NOSPLIT, $0-32
	MASK_VV($0x11)

// func maskLessVS(out, a, b *float32, n int)
TEXT ·maskLessVS(SB), NOSPLIT, $0-32
	MASK_VS($0x11)

// func maskLessOrEqualVV(out, a, b *float32, n int)
TEXT ·maskLessOrEqualVV(SB), NOSPLIT, $0-32
	MASK_VV($0x12)

// func maskLessOrEqualVS(out, a, b *float32, n int)
TEXT ·maskLessOrEqualVS(SB), NOSPLIT, $0-32
	MASK_VS($0x12)

// func maskGreaterVV(out, a, b *float32, n int)
TEXT ·maskGreaterVV(SB), NOSPLIT, $0-32
	MASK_VV($0x1e)

// func maskGreaterVS(out, a, b *float32, n int)
TEXT ·maskGreaterVS(SB), NOSPLIT, $0-32
	MASK_VS($0x1e)

// func maskGreaterOrEqualVV(out, a, b *float32, n int)
TEXT ·maskGreaterOrEqualVV(SB), NOSPLIT, $0-32
	MASK_VV($0x1d)

// func maskGreaterOrEqualVS(out, a, b *float32, n int)
TEXT ·maskGreaterOrEqualVS(SB), NOSPLIT, $0-32
	MASK_VS($0x1d)
