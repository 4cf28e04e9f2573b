// GENERATED FILE, do not edit. Source: packages/tensor/wasm/gemm-kernel.wat.
// Regenerate with `pnpm --filter @dlkata/tensor build:wasm` (assembles the WAT with wabt).
// The bytes are committed so that installing and bundling the package need no build step;
// gemm-kernel.test.ts checks that they equal a fresh build.

/** The GEMM micro-kernel module (547 bytes of WebAssembly with SIMD), base64. */
export const GEMM_KERNEL_WASM_BASE64 =
  'AGFzbQEAAAABCwFgB39/f39/f38AAwIBAAUEAQEgIAcSAgZtZW1vcnkCAAVtYWNybwAACu0DAeoDAgp/C3sgAkEFdCEHIAQg' +
  'AUECdiAHbGohCSADIABBAnYgB2xqIQsgBCEIIAUhDANAIAMhCiAMIQ0DQCAN/QAEACERIA39AAQQIRIgDSAGav0ABAAhEyAN' +
  'IAZq/QAEECEUIA0gBkEBdGr9AAQAIRUgDSAGQQF0av0ABBAhFiANIAZBA2xq/QAEACEXIA0gBkEDbGr9AAQQIRggCiEOIAgh' +
  'DyAKIAdqIRADQCAP/QAEACEZIA/9AAQQIRogDv0KAwAhGyARIBsgGf3yAf3wASERIBIgGyAa/fIB/fABIRIgDv0KAwghGyAT' +
  'IBsgGf3yAf3wASETIBQgGyAa/fIB/fABIRQgDv0KAxAhGyAVIBsgGf3yAf3wASEVIBYgGyAa/fIB/fABIRYgDv0KAxghGyAX' +
  'IBsgGf3yAf3wASEXIBggGyAa/fIB/fABIRggDkEgaiEOIA9BIGohDyAOIBBJDQALIA0gEf0LBAAgDSAS/QsEECANIAZqIBP9' +
  'CwQAIA0gBmogFP0LBBAgDSAGQQF0aiAV/QsEACANIAZBAXRqIBb9CwQQIA0gBkEDbGogF/0LBAAgDSAGQQNsaiAY/QsEECAN' +
  'IAZBAnRqIQ0gECEKIAogC0kNAAsgDEEgaiEMIAggB2ohCCAIIAlJDQALCw==';
