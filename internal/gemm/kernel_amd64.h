// Macros shared by the AVX2 (kernel_amd64.s) and AVX-512
// (kernel512_amd64.s) micro-kernels.

// LOAD_ROW_OFFSETS reads the 8 row offsets at DX (in floats) into AX, BX,
// R8–R13 (in bytes).
#define LOAD_ROW_OFFSETS \
	MOVQ 0(DX), AX; SHLQ $2, AX; \
	MOVQ 8(DX), BX; SHLQ $2, BX; \
	MOVQ 16(DX), R8; SHLQ $2, R8; \
	MOVQ 24(DX), R9; SHLQ $2, R9; \
	MOVQ 32(DX), R10; SHLQ $2, R10; \
	MOVQ 40(DX), R11; SHLQ $2, R11; \
	MOVQ 48(DX), R12; SHLQ $2, R12; \
	MOVQ 56(DX), R13; SHLQ $2, R13

// STORE_ROWS stores the accumulators r0–r7 (ymm or zmm) to the 8 rows of
// C at DX, R8 bytes apart.
#define STORE_ROWS(r0, r1, r2, r3, r4, r5, r6, r7) \
	VMOVUPS r0, (DX); ADDQ R8, DX; \
	VMOVUPS r1, (DX); ADDQ R8, DX; \
	VMOVUPS r2, (DX); ADDQ R8, DX; \
	VMOVUPS r3, (DX); ADDQ R8, DX; \
	VMOVUPS r4, (DX); ADDQ R8, DX; \
	VMOVUPS r5, (DX); ADDQ R8, DX; \
	VMOVUPS r6, (DX); ADDQ R8, DX; \
	VMOVUPS r7, (DX)

// ADD_STORE_ROWS adds the 8 rows of C at DX (R8 bytes apart) into the
// accumulators r0–r7 and stores the sums back.
#define ADD_STORE_ROWS(r0, r1, r2, r3, r4, r5, r6, r7) \
	VADDPS (DX), r0, r0; VMOVUPS r0, (DX); ADDQ R8, DX; \
	VADDPS (DX), r1, r1; VMOVUPS r1, (DX); ADDQ R8, DX; \
	VADDPS (DX), r2, r2; VMOVUPS r2, (DX); ADDQ R8, DX; \
	VADDPS (DX), r3, r3; VMOVUPS r3, (DX); ADDQ R8, DX; \
	VADDPS (DX), r4, r4; VMOVUPS r4, (DX); ADDQ R8, DX; \
	VADDPS (DX), r5, r5; VMOVUPS r5, (DX); ADDQ R8, DX; \
	VADDPS (DX), r6, r6; VMOVUPS r6, (DX); ADDQ R8, DX; \
	VADDPS (DX), r7, r7; VMOVUPS r7, (DX)

// STORE_C_AND_RETURN writes the accumulators r0–r7 to C (the arguments c,
// ldc in floats and accumulate, read into DX, R8 in bytes and AX), added
// to C's old values when accumulate ≠ 0, and returns; store is a label of
// the calling function's own.
#define STORE_C_AND_RETURN(c, ldc, accumulate, store, r0, r1, r2, r3, r4, r5, r6, r7) \
	MOVQ c, DX; MOVQ ldc, R8; SHLQ $2, R8; MOVQ accumulate, AX; \
	TESTQ AX, AX; JZ store; \
	ADD_STORE_ROWS(r0, r1, r2, r3, r4, r5, r6, r7); VZEROUPPER; RET; \
store: \
	STORE_ROWS(r0, r1, r2, r3, r4, r5, r6, r7); VZEROUPPER; RET
