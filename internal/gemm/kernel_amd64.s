#include "textflag.h"
#include "kernel_amd64.h"

// TAPS_ARGS loads the taps kernels' strides, passes, pass count and
// accumulators (R8 xstep, R9 tapBytes, R11 3·tapBytes, R10 ystep, BX
// passes, R12 npass, DX acc).
#define TAPS_ARGS \
	MOVQ xstep+16(FP), R8; MOVQ tapBytes+24(FP), R9; MOVQ ystep+40(FP), R10; \
	MOVQ passes+48(FP), BX; MOVQ npass+56(FP), R12; MOVQ acc+64(FP), DX; LEAQ (R9)(R9*2), R11

// TAPS_PASS starts a pass: CX = n, SI and DI at the pass's x and y, its
// five accumulators into Y0–Y4.
#define TAPS_PASS \
	MOVQ n+0(FP), CX; MOVQ x+8(FP), SI; ADDQ 0(BX), SI; MOVQ y+32(FP), DI; ADDQ 8(BX), DI; \
	VMOVUPS 0(DX), Y0; VMOVUPS 32(DX), Y1; VMOVUPS 64(DX), Y2; VMOVUPS 96(DX), Y3; VMOVUPS 128(DX), Y4

// TAPS_NEXT stores a pass's accumulators and moves to the next pass.
#define TAPS_NEXT \
	VMOVUPS Y0, 0(DX); VMOVUPS Y1, 32(DX); VMOVUPS Y2, 64(DX); VMOVUPS Y3, 96(DX); VMOVUPS Y4, 128(DX); \
	ADDQ $160, DX; ADDQ $16, BX; DECQ R12

// FMA_8x8 is one step k of the 8×8 kernels: B's row k at DI into Y8, the
// k-th element of each of A's 8 rows (addresses r0–r7) broadcast and
// fused-multiply-added into Y0–Y7. Both kernels take their loop from here,
// so their arithmetic is the same instruction for instruction.
#define FMA_8x8(r0, r1, r2, r3, r4, r5, r6, r7) \
	VMOVUPS (DI), Y8; \
	VBROADCASTSS r0, Y9; VFMADD231PS Y9, Y8, Y0; \
	VBROADCASTSS r1, Y10; VFMADD231PS Y10, Y8, Y1; \
	VBROADCASTSS r2, Y11; VFMADD231PS Y11, Y8, Y2; \
	VBROADCASTSS r3, Y12; VFMADD231PS Y12, Y8, Y3; \
	VBROADCASTSS r4, Y13; VFMADD231PS Y13, Y8, Y4; \
	VBROADCASTSS r5, Y14; VFMADD231PS Y14, Y8, Y5; \
	VBROADCASTSS r6, Y15; VFMADD231PS Y15, Y8, Y6; \
	VBROADCASTSS r7, Y9; VFMADD231PS Y9, Y8, Y7

// ZERO_ACCUMULATORS clears Y0–Y7.
#define ZERO_ACCUMULATORS \
	VXORPS Y0, Y0, Y0; VXORPS Y1, Y1, Y1; VXORPS Y2, Y2, Y2; VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; VXORPS Y5, Y5, Y5; VXORPS Y6, Y6, Y6; VXORPS Y7, Y7, Y7

// func vecMatAVX2(depth int, a *float32, lda int, b *float32, ldb int, cols int, out *float32)
//
// out[j] = Σ_k a[k*lda]·b[k*ldb+j] for j < cols, cols ∈ {8, 4, 1}: one
// fused-multiply-add chain per column from zero, k in order — lane for
// lane the arithmetic of kernel8x8AVX2 on one row of A, so the sums are
// bit-identical to it. depth > 0.
TEXT ·vecMatAVX2(SB), NOSPLIT, $0-56
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R10
	SHLQ $2, R10
	MOVQ cols+40(FP), AX
	MOVQ out+48(FP), DX
	VXORPS Y0, Y0, Y0
	CMPQ AX, $8
	JNE  four

loop8:
	VBROADCASTSS (SI), Y1
	VFMADD231PS  (DI), Y1, Y0
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  loop8
	VMOVUPS Y0, (DX)
	VZEROUPPER
	RET

four:
	CMPQ AX, $4
	JNE  one

loop4:
	VBROADCASTSS (SI), X1
	VFMADD231PS  (DI), X1, X0
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  loop4
	VMOVUPS X0, (DX)
	VZEROUPPER
	RET

one:
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ R9, SI
	ADDQ R10, DI
	DECQ CX
	JNZ  one
	VMOVSS X0, (DX)
	VZEROUPPER
	RET

// func kernel8x8AVX2(depth int, a, b *float32, ldbBytes int, c *float32, ldc int, accumulate int)
//
// kernel8x8OffsAVX2 on a packed panel, whose rows lie depth floats apart:
// the same instructions in the same order, so the same sums bit for bit,
// with the row addresses kept in registers (SI + 0..2·R9, R10 + 0..2·R9,
// R11 + 0..R9) instead of read from an offsets array — on short depths
// (the 25 taps of a 1-channel 5×5 convolution) that setup is a quarter of
// the call.
TEXT ·kernel8x8AVX2(SB), NOSPLIT, $0-56
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldbBytes+24(FP), R14
	MOVQ CX, R9
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	LEAQ (R10)(R9*2), R11
	ADDQ R9, R11
	ZERO_ACCUMULATORS

packedloop:
	FMA_8x8((SI), (SI)(R9*1), (SI)(R9*2), (R10), (SI)(R9*4), (R10)(R9*2), (R11), (R11)(R9*1))
	ADDQ $4, SI
	ADDQ $4, R10
	ADDQ $4, R11
	ADDQ R14, DI
	DECQ CX
	JNZ  packedloop

	STORE_C_AND_RETURN(c+32(FP), ldc+40(FP), accumulate+48(FP), packedstore, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

// func kernel8x8OffsAVX2(depth int, a *float32, offs *[8]int, b *float32, ldbBytes int, c *float32, ldc int, accumulate int, first, runLen, gapBytes int)
//
// C[8×8 at c, row stride ldc floats] (+)= Σ_k A[r, k]·B[k, j], B[k, j] at
// b + k·ldbBytes + 4j: one ymm
// accumulator per row of C (Y0–Y7), one B row per step (Y8), the k-th
// element of each of the 8 rows of A broadcast (Y9–Y15) and
// fused-multiply-added. Row r starts at a+offs[r] (offsets in AX, BX,
// R8–R13, in bytes) and is laid out as Runs: after the first first
// elements and then after every runLen, the rows skip gapBytes (counter in
// DX). The FMA step is kernel8x8AVX2's, so in place or packed, contiguous
// or in runs, the sums are the same bit for bit.
TEXT ·kernel8x8OffsAVX2(SB), NOSPLIT, $0-88
	MOVQ depth+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ offs+16(FP), DX
	LOAD_ROW_OFFSETS
	MOVQ b+24(FP), DI
	MOVQ ldbBytes+32(FP), R14
	MOVQ first+64(FP), DX
	ZERO_ACCUMULATORS

offsloop:
	FMA_8x8((SI)(AX*1), (SI)(BX*1), (SI)(R8*1), (SI)(R9*1), (SI)(R10*1), (SI)(R11*1), (SI)(R12*1), (SI)(R13*1))
	ADDQ $4, SI
	ADDQ R14, DI
	DECQ DX
	JNZ  offsnext
	ADDQ gapBytes+80(FP), SI
	MOVQ runLen+72(FP), DX

offsnext:
	DECQ CX
	JNZ  offsloop

	STORE_C_AND_RETURN(c+40(FP), ldc+48(FP), accumulate+56(FP), offsstore, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

// func dot8x8OffsAVX2(depth8 int, a *float32, offs *[8]int, b *float32, acc *[64]float32, first8, runLen8, gapBytes int, sum int)
//
// For the 8 rows of A, row r starting at a+offs[r] (in floats): acc[r*8:r*8+8] =
// Σ over k in steps of 8 of A[r, k:k+8]·b[k:+8], eight partial sums per
// row — or, when sum ≠ 0, acc[r] = ((0 + those[0]) + those[1]) + … +
// those[7], the eight rows' partial sums transposed in registers and added
// in that order; depth8 is a positive multiple of 8. The rows are laid out as Runs
// whose lengths are multiples of 8: after the first first8 steps of 8
// floats and then after every runLen8, they skip gapBytes. Rows of a packed
// panel are offsets 0, depth, 2·depth, … without gaps; rows read in place
// anything else — the same instructions either way.
TEXT ·dot8x8OffsAVX2(SB), NOSPLIT, $0-72
	MOVQ depth8+0(FP), CX
	SHRQ $3, CX
	MOVQ a+8(FP), SI
	MOVQ offs+16(FP), DX
	LOAD_ROW_OFFSETS
	MOVQ b+24(FP), DI
	MOVQ first8+40(FP), DX
	ZERO_ACCUMULATORS

dotoffsloop:
	VMOVUPS     (DI), Y8
	VFMADD231PS (SI)(AX*1), Y8, Y0
	VFMADD231PS (SI)(BX*1), Y8, Y1
	VFMADD231PS (SI)(R8*1), Y8, Y2
	VFMADD231PS (SI)(R9*1), Y8, Y3
	VFMADD231PS (SI)(R10*1), Y8, Y4
	VFMADD231PS (SI)(R11*1), Y8, Y5
	VFMADD231PS (SI)(R12*1), Y8, Y6
	VFMADD231PS (SI)(R13*1), Y8, Y7
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ DX
	JNZ  dotoffsnext
	ADDQ gapBytes+56(FP), SI
	MOVQ runLen8+48(FP), DX

dotoffsnext:
	DECQ CX
	JNZ  dotoffsloop

	MOVQ  acc+32(FP), DX
	MOVQ  sum+64(FP), AX
	TESTQ AX, AX
	JZ    dotoffsstore

	// rows Y0–Y7 → columns Y8–Y15 (column j holds partial sum j of every row)
	VUNPCKLPS  Y1, Y0, Y8
	VUNPCKHPS  Y1, Y0, Y9
	VUNPCKLPS  Y3, Y2, Y10
	VUNPCKHPS  Y3, Y2, Y11
	VUNPCKLPS  Y5, Y4, Y12
	VUNPCKHPS  Y5, Y4, Y13
	VUNPCKLPS  Y7, Y6, Y14
	VUNPCKHPS  Y7, Y6, Y15
	VSHUFPS    $0x44, Y10, Y8, Y0
	VSHUFPS    $0xee, Y10, Y8, Y1
	VSHUFPS    $0x44, Y11, Y9, Y2
	VSHUFPS    $0xee, Y11, Y9, Y3
	VSHUFPS    $0x44, Y14, Y12, Y4
	VSHUFPS    $0xee, Y14, Y12, Y5
	VSHUFPS    $0x44, Y15, Y13, Y6
	VSHUFPS    $0xee, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	VXORPS     Y0, Y0, Y0
	VADDPS     Y8, Y0, Y0
	VADDPS     Y9, Y0, Y0
	VADDPS     Y10, Y0, Y0
	VADDPS     Y11, Y0, Y0
	VADDPS     Y12, Y0, Y0
	VADDPS     Y13, Y0, Y0
	VADDPS     Y14, Y0, Y0
	VADDPS     Y15, Y0, Y0
	VMOVUPS    Y0, (DX)
	VZEROUPPER
	RET

dotoffsstore:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	VZEROUPPER
	RET

// The kernels below serve KernelGrad (convgrad.go): the kernel gradient of
// a convolution summed straight from the padded input x and the output
// gradient dy. Each step does what the matrix kernels do to one element of
// C — one FMA into a chain that started from zero — so the sums are theirs
// bit for bit. Each call runs a list of passes over the same n pixels:
// pass p starts at x+passes[p].x and y+passes[p].y (bytes) and has its own
// accumulators at acc+p·size, read first and written back.

// func tapsVecXAVX2(n int, x *float32, xstep, tapBytes int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)
//
// Per pass, for i < n: acc[t] += x[i·xstep + t·tapBytes : +8 floats] ·
// y[i·ystep] (broadcast), t < 5; strides in bytes. Lanes are eight input
// channels, one accumulator chain per tap (acc: [npass][5][8]). n, npass > 0.
TEXT ·tapsVecXAVX2(SB), NOSPLIT, $0-72
	TAPS_ARGS

tapsxpass:
	TAPS_PASS

tapsxloop:
	VBROADCASTSS (DI), Y15
	VFMADD231PS  (SI), Y15, Y0
	VFMADD231PS  (SI)(R9*1), Y15, Y1
	VFMADD231PS  (SI)(R9*2), Y15, Y2
	VFMADD231PS  (SI)(R11*1), Y15, Y3
	VFMADD231PS  (SI)(R9*4), Y15, Y4
	ADDQ         R8, SI
	ADDQ         R10, DI
	DECQ         CX
	JNZ          tapsxloop

	TAPS_NEXT
	JNZ     tapsxpass
	VZEROUPPER
	RET

// func tapsVecYAVX2(n int, x *float32, xstep, tapBytes int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)
//
// Per pass, for i < n: acc[t] += x[i·xstep + t·tapBytes] (broadcast) ·
// y[i·ystep : +8 floats], t < 5; strides in bytes. Lanes are eight output
// channels (acc: [npass][5][8]). n, npass > 0.
TEXT ·tapsVecYAVX2(SB), NOSPLIT, $0-72
	TAPS_ARGS

tapsypass:
	TAPS_PASS

tapsyloop:
	VMOVUPS      (DI), Y15
	VBROADCASTSS (SI), Y10
	VFMADD231PS  Y10, Y15, Y0
	VBROADCASTSS (SI)(R9*1), Y11
	VFMADD231PS  Y11, Y15, Y1
	VBROADCASTSS (SI)(R9*2), Y12
	VFMADD231PS  Y12, Y15, Y2
	VBROADCASTSS (SI)(R11*1), Y13
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R9*4), Y14
	VFMADD231PS  Y14, Y15, Y4
	ADDQ         R8, SI
	ADDQ         R10, DI
	DECQ         CX
	JNZ          tapsyloop

	TAPS_NEXT
	JNZ     tapsypass
	VZEROUPPER
	RET

// func phasesVecXAVX2(n8 int, x *float32, xstep int, y *float32, ystep int, passes *gradPass, npass int, acc *float32)
//
// The matrix-vector kernel's arithmetic (dot8x8OffsAVX2: eight partial sums
// per row, pixel i into sum i mod 8), one tap per pass: for i < 8·n8,
// acc[i mod 8] += x[i·xstep : +8 floats] · y[i·ystep] (broadcast); strides
// in bytes, lanes eight input channels (acc: [npass][8][8]). n8, npass > 0.
TEXT ·phasesVecXAVX2(SB), NOSPLIT, $0-64
	MOVQ xstep+16(FP), R8
	MOVQ ystep+32(FP), R10
	MOVQ passes+40(FP), BX
	MOVQ npass+48(FP), R12
	MOVQ acc+56(FP), DX

#define PHASE(acc, bc) \
	VBROADCASTSS (DI), bc; VFMADD231PS (SI), bc, acc; ADDQ R8, SI; ADDQ R10, DI

phasespass:
	MOVQ    n8+0(FP), CX
	MOVQ    x+8(FP), SI
	ADDQ    0(BX), SI
	MOVQ    y+24(FP), DI
	ADDQ    8(BX), DI
	VMOVUPS 0(DX), Y0
	VMOVUPS 32(DX), Y1
	VMOVUPS 64(DX), Y2
	VMOVUPS 96(DX), Y3
	VMOVUPS 128(DX), Y4
	VMOVUPS 160(DX), Y5
	VMOVUPS 192(DX), Y6
	VMOVUPS 224(DX), Y7

phasesloop:
	PHASE(Y0, Y8)
	PHASE(Y1, Y9)
	PHASE(Y2, Y10)
	PHASE(Y3, Y11)
	PHASE(Y4, Y12)
	PHASE(Y5, Y13)
	PHASE(Y6, Y14)
	PHASE(Y7, Y15)
	DECQ CX
	JNZ  phasesloop

	VMOVUPS Y0, 0(DX)
	VMOVUPS Y1, 32(DX)
	VMOVUPS Y2, 64(DX)
	VMOVUPS Y3, 96(DX)
	VMOVUPS Y4, 128(DX)
	VMOVUPS Y5, 160(DX)
	VMOVUPS Y6, 192(DX)
	VMOVUPS Y7, 224(DX)
	ADDQ    $256, DX
	ADDQ    $16, BX
	DECQ    R12
	JNZ     phasespass
	VZEROUPPER
	RET

// func sumPhasesAVX2(n int, acc *float32, out *float32)
//
// For each of n [8][8] blocks of acc: out[8 lanes] = ((0 + acc[0]) +
// acc[1]) + … + acc[7], lane by lane — dotRowsOffsAVX2's sum of the eight
// partial sums, in its order. n > 0.
TEXT ·sumPhasesAVX2(SB), NOSPLIT, $0-24
	MOVQ n+0(FP), CX
	MOVQ acc+8(FP), SI
	MOVQ out+16(FP), DI

sumphases:
	VXORPS  Y0, Y0, Y0
	VADDPS  0(SI), Y0, Y0
	VADDPS  32(SI), Y0, Y0
	VADDPS  64(SI), Y0, Y0
	VADDPS  96(SI), Y0, Y0
	VADDPS  128(SI), Y0, Y0
	VADDPS  160(SI), Y0, Y0
	VADDPS  192(SI), Y0, Y0
	VADDPS  224(SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $256, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     sumphases
	VZEROUPPER
	RET

// func outerAVX2(rows int, a *float32, lda int, b *float32, n8, n4 int, c *float32, ldc int)
//
// The product of a column and a row (a contraction of length 1): for
// i < rows, C[i, j] = fma(a[i·lda], b[j], +0) for j < 8·n8 (+ 4 more when
// n4 = 1); lda and ldc in floats. That is the micro-kernel's first step
// (its chains start from +0): a product of −0 comes out +0, one that
// underflows keeps its sign. rows > 0.
TEXT ·outerAVX2(SB), NOSPLIT, $0-64
	MOVQ rows+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), BX
	MOVQ n8+32(FP), R9
	MOVQ n4+40(FP), R10
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R11
	SHLQ $2, R11

outerrow:
	VBROADCASTSS (SI), Y0
	MOVQ         R9, DX
	XORQ         AX, AX
	TESTQ        DX, DX
	JZ           outerfour

outer8:
	VXORPS      Y1, Y1, Y1
	VFMADD231PS (BX)(AX*1), Y0, Y1
	VMOVUPS     Y1, (DI)(AX*1)
	ADDQ    $32, AX
	DECQ    DX
	JNZ     outer8

outerfour:
	TESTQ   R10, R10
	JZ      outernext
	VXORPS      X1, X1, X1
	VFMADD231PS (BX)(AX*1), X0, X1
	VMOVUPS     X1, (DI)(AX*1)

outernext:
	ADDQ R8, SI
	ADDQ R11, DI
	DECQ CX
	JNZ  outerrow
	VZEROUPPER
	RET
