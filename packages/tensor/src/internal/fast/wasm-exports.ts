/**
 * The functions the kernels module exports. Pointers are byte offsets into the
 * imported memory, sizes are element counts, booleans are 0 or 1.
 *
 * @internal
 */

type Ptr = number;
type Flag = number;

export interface WasmExports {
  heapBase(): number;

  matmulScratchBytes(k: number): number;
  matmulNTScratchBytes(k: number): number;
  matmulTNRowsScratchBytes(m: number, n: number): number;
  matmul(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulTN(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulNT(
    out: Ptr, a: Ptr, b: Ptr, m: number, k: number, n: number, acc: Flag, lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, k: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulNTRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, k: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
  matmulTNRows(
    out: Ptr, a: Ptr, b: Ptr, rows: Ptr, count: number, m: number, n: number, acc: Flag,
    lda: number, ldb: number, ldc: number, scratch: Ptr,
  ): void;
}
