#include "textflag.h"
#include "kernel_amd64.h"

// The AVX-512 micro-kernels: kernel8x8AVX2's tile widened to 16 columns of
// C, two packed B panels side by side, one zmm accumulator per row. Every
// element of C is the same fused-multiply-add chain over k from zero, in
// the same order, as in the 8×8 kernels (then added to C's old value when
// accumulating), so a product is bit-identical whichever kernel ran it.

// FMA_8x16 is one step k: B's row k — 8 floats of the left panel at DI and
// 8 of the right one at DI+R14 — into Z8, the k-th element of each of A's
// 8 rows (addresses r0–r7) broadcast and fused-multiply-added into Z0–Z7.
#define FMA_8x16(r0, r1, r2, r3, r4, r5, r6, r7) \
	VMOVUPS (DI), Y8; \
	VINSERTF64X4 $1, (DI)(R14*1), Z8, Z8; \
	VBROADCASTSS r0, Z9; VFMADD231PS Z9, Z8, Z0; \
	VBROADCASTSS r1, Z10; VFMADD231PS Z10, Z8, Z1; \
	VBROADCASTSS r2, Z11; VFMADD231PS Z11, Z8, Z2; \
	VBROADCASTSS r3, Z12; VFMADD231PS Z12, Z8, Z3; \
	VBROADCASTSS r4, Z13; VFMADD231PS Z13, Z8, Z4; \
	VBROADCASTSS r5, Z14; VFMADD231PS Z14, Z8, Z5; \
	VBROADCASTSS r6, Z15; VFMADD231PS Z15, Z8, Z6; \
	VBROADCASTSS r7, Z9; VFMADD231PS Z9, Z8, Z7

// ZERO_ACCUMULATORS_Z clears Z0–Z7.
#define ZERO_ACCUMULATORS_Z \
	VPXORD Z0, Z0, Z0; VPXORD Z1, Z1, Z1; VPXORD Z2, Z2, Z2; VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; VPXORD Z5, Z5, Z5; VPXORD Z6, Z6, Z6; VPXORD Z7, Z7, Z7

// func kernel8x16AVX512(depth int, a, b *float32, ldbBytes, bstride int, c *float32, ldc int, accumulate int)
//
// C[8×16 at c, row stride ldc floats] (+)= Σ_k a[r*depth+k]·B[k, j], the
// columns j < 8 from the panel at b (B[k, j] at b + k·ldbBytes + 4j) and
// j ≥ 8 from the one bstride bytes after it. depth > 0. The row addresses are kept in
// registers as in kernel8x8AVX2.
TEXT ·kernel8x16AVX512(SB), NOSPLIT, $0-64
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldbBytes+24(FP), R15
	MOVQ bstride+32(FP), R14
	MOVQ CX, R9
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R11
	ADDQ R9, R11
	ZERO_ACCUMULATORS_Z

packedloop:
	FMA_8x16((SI), (SI)(R9*1), (SI)(R9*2), (R10), (SI)(R9*4), (R10)(R9*2), (R11), (R11)(R9*1))
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ R15, DI
	DECQ CX
	JNZ  packedloop

	STORE_C_AND_RETURN(c+40(FP), ldc+48(FP), accumulate+56(FP), packedstore, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

// func kernel8x16OffsAVX512(depth int, a *float32, offs *[8]int, b *float32, ldbBytes, bstride int, c *float32, ldc int, accumulate int, first, runLen, gapBytes int)
//
// kernel8x8OffsAVX2 sixteen columns wide: row r of A at a+offs[r] (offsets
// in AX, BX, R8–R13, in bytes), laid out as Runs (counter in DX); B's
// columns as in kernel8x16AVX512. depth > 0.
TEXT ·kernel8x16OffsAVX512(SB), NOSPLIT, $0-96
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ offs+16(FP), DX
	LOAD_ROW_OFFSETS
	MOVQ b+24(FP), DI
	MOVQ ldbBytes+32(FP), R15
	MOVQ bstride+40(FP), R14
	MOVQ first+72(FP), DX
	ZERO_ACCUMULATORS_Z

offsloop:
	FMA_8x16((SI)(AX*1), (SI)(BX*1), (SI)(R8*1), (SI)(R9*1), (SI)(R10*1), (SI)(R11*1), (SI)(R12*1), (SI)(R13*1))
	ADDQ $4, SI
	ADDQ R15, DI
	DECQ DX
	JNZ  offsnext
	ADDQ gapBytes+88(FP), SI
	MOVQ runLen+80(FP), DX

offsnext:
	DECQ CX
	JNZ  offsloop

	STORE_C_AND_RETURN(c+48(FP), ldc+56(FP), accumulate+64(FP), offsstore, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
