{
  "targets": [
    {
      "target_name": "hebb_kernels",
      "sources": ["addon.cc", "dense.cc", "gemm.cc", "elementwise.cc", "attention.cc", "mlp.cc", "sce.cc", "embed.cc"],
      "cflags": ["-O3", "-march=native", "-fno-math-errno"],
      "cflags_cc": ["-std=gnu++17", "-O3", "-march=native", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-march=native", "-fno-math-errno"] }
    }
  ]
}
