;; GEMM macro-kernel with a 4x4 float64 micro-kernel in WebAssembly SIMD (f64x2).
;;
;; Source of @dlkata/tensor's wasm GEMM kernel. `pnpm --filter @dlkata/tensor build:wasm`
;; assembles it with wabt into src/gemm-kernel.wasm.ts (committed; a test checks that the
;; committed bytes equal a fresh build).
;;
;; The TypeScript side (src/gemm.ts) packs the operands into this module's memory exactly as
;; for its TypeScript micro-kernel: A as consecutive 4 x kc panels (the 4 values of one k
;; together), B as consecutive kc x 4 panels (the 4 values of one k together), both
;; zero-padded to a multiple of 4, and copies the mc x nc block of C into a zero-padded buffer
;; with `ldc` bytes per row. `macro` then adds A*B into every 4x4 tile of that C block.
;;
;; Every entry of C gets one rounded f64 multiply and one rounded f64 add per k, for
;; k = 0, 1, ..., kc-1 in order (no fused multiply-add, no reassociation), so the result is
;; bit-for-bit that of the TypeScript kernel and of the textbook loop.
;;
;; A row r of a C tile is two f64x2 registers: cR0 = columns 0-1, cR1 = columns 2-3.
(module
  ;; 32 pages = 2 MiB: packed A (256 KiB), packed B (1 MiB), C block (512 KiB); see gemm.ts.
  (memory (export "memory") 32 32)

  ;; macro(mc, nc, kc, pA, pB, pC, ldc): C[0:mc, 0:nc] += A[0:mc, 0:kc] * B[0:kc, 0:nc]
  ;;   mc, nc: multiples of 4, >= 4; kc >= 1
  ;;   pA, pB, pC: byte addresses of packed A, packed B and the C block (8-byte aligned)
  ;;   ldc: bytes from one row of the C block to the next (a multiple of 32)
  (func (export "macro")
    (param $mc i32) (param $nc i32) (param $kc i32)
    (param $pA i32) (param $pB i32) (param $pC i32) (param $ldc i32)
    (local $panel i32)   ;; bytes per packed panel: kc * 4 * 8
    (local $bPanel i32) (local $bEnd i32)
    (local $aPanel i32) (local $aEnd i32)
    (local $cCol i32) (local $c i32)
    (local $a i32) (local $b i32) (local $kEnd i32)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128)

    (local.set $panel (i32.shl (local.get $kc) (i32.const 5)))
    ;; bEnd = pB + (nc / 4) * panel
    (local.set $bEnd (i32.add (local.get $pB)
      (i32.mul (i32.shr_u (local.get $nc) (i32.const 2)) (local.get $panel))))
    ;; aEnd = pA + (mc / 4) * panel
    (local.set $aEnd (i32.add (local.get $pA)
      (i32.mul (i32.shr_u (local.get $mc) (i32.const 2)) (local.get $panel))))
    (local.set $bPanel (local.get $pB))
    (local.set $cCol (local.get $pC))
    (loop $jLoop
      (local.set $aPanel (local.get $pA))
      (local.set $c (local.get $cCol))
      (loop $iLoop
        ;; load the 4x4 tile of C
        (local.set $c00 (v128.load offset=0 (local.get $c)))
        (local.set $c01 (v128.load offset=16 (local.get $c)))
        (local.set $c10 (v128.load offset=0 (i32.add (local.get $c) (local.get $ldc))))
        (local.set $c11 (v128.load offset=16 (i32.add (local.get $c) (local.get $ldc))))
        (local.set $c20 (v128.load offset=0 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1)))))
        (local.set $c21 (v128.load offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1)))))
        (local.set $c30 (v128.load offset=0 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3)))))
        (local.set $c31 (v128.load offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3)))))
        (local.set $a (local.get $aPanel))
        (local.set $b (local.get $bPanel))
        (local.set $kEnd (i32.add (local.get $aPanel) (local.get $panel)))
        ;; k loop: one rank-1 update of the tile per k
        (loop $kLoop
          (local.set $b0 (v128.load offset=0 (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $av (v128.load64_splat offset=0 (local.get $a)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=8 (local.get $a)))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=16 (local.get $a)))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $av (v128.load64_splat offset=24 (local.get $a)))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $av) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $av) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $kLoop (i32.lt_u (local.get $a) (local.get $kEnd))))
        ;; store the tile back
        (v128.store offset=0 (local.get $c) (local.get $c00))
        (v128.store offset=16 (local.get $c) (local.get $c01))
        (v128.store offset=0 (i32.add (local.get $c) (local.get $ldc)) (local.get $c10))
        (v128.store offset=16 (i32.add (local.get $c) (local.get $ldc)) (local.get $c11))
        (v128.store offset=0 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))) (local.get $c20))
        (v128.store offset=16 (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 1))) (local.get $c21))
        (v128.store offset=0 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c30))
        (v128.store offset=16 (i32.add (local.get $c) (i32.mul (local.get $ldc) (i32.const 3))) (local.get $c31))
        ;; next tile down: 4 rows of C, the next A panel
        (local.set $c (i32.add (local.get $c) (i32.shl (local.get $ldc) (i32.const 2))))
        (local.set $aPanel (local.get $kEnd))
        (br_if $iLoop (i32.lt_u (local.get $aPanel) (local.get $aEnd))))
      ;; next tile column: 4 columns of C (32 bytes), the next B panel
      (local.set $cCol (i32.add (local.get $cCol) (i32.const 32)))
      (local.set $bPanel (i32.add (local.get $bPanel) (local.get $panel)))
      (br_if $jLoop (i32.lt_u (local.get $bPanel) (local.get $bEnd))))))
